//! A strict reader for the subset of Python used by `schemas/schemas.py`.
//!
//! It understands exactly: a module docstring, `import pyarrow as pa`, comments, and assignments of
//! the forms `name = pa.schema([pa.field(...), ...], metadata={...})`,
//! `name = other.append(pa.field(...))` and `NAME = [name, ...]`. Anything else is an error naming
//! the line, so the canonical file can never be half-understood.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, TimeUnit};

use crate::SchemaError;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Punct(char),
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
}

fn err(line: usize, message: impl Into<String>) -> SchemaError {
    SchemaError::Parse { line, message: message.into() }
}

impl<'a> Lexer<'a> {
    fn tokens(src: &'a str) -> Result<Vec<(Tok, usize)>, SchemaError> {
        let mut lx = Lexer { src: src.as_bytes(), pos: 0, line: 1 };
        let mut out = Vec::new();
        while let Some(t) = lx.next()? {
            out.push(t);
        }
        Ok(out)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn next(&mut self) -> Result<Option<(Tok, usize)>, SchemaError> {
        loop {
            let Some(c) = self.peek(0) else { return Ok(None) };
            match c {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'#' => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'"' | b'\'' => {
                    let line = self.line;
                    let s = self.string(c)?;
                    return Ok(Some((Tok::Str(s), line)));
                }
                b'0'..=b'9' => {
                    let start = self.pos;
                    while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    let text = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
                    let v = text.parse().map_err(|_| err(self.line, format!("bad integer {text}")))?;
                    return Ok(Some((Tok::Int(v), self.line)));
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = self.pos;
                    while self.peek(0).is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                        self.pos += 1;
                    }
                    let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
                    return Ok(Some((Tok::Ident(text), self.line)));
                }
                b'(' | b')' | b'[' | b']' | b'{' | b'}' | b',' | b'.' | b'=' | b':' => {
                    self.pos += 1;
                    return Ok(Some((Tok::Punct(c as char), self.line)));
                }
                other => {
                    return Err(err(self.line, format!("unexpected character {:?}", other as char)));
                }
            }
        }
    }

    /// A single- or triple-quoted string without escapes (the canonical file needs none).
    fn string(&mut self, quote: u8) -> Result<String, SchemaError> {
        let start_line = self.line;
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        let delim = if triple { 3 } else { 1 };
        self.pos += delim;
        let start = self.pos;
        loop {
            match self.peek(0) {
                None => return Err(err(start_line, "unterminated string")),
                Some(b'\\') => return Err(err(self.line, "escapes are not supported in strings")),
                Some(b'\n') if !triple => return Err(err(start_line, "unterminated string")),
                Some(b'\n') => self.line += 1,
                Some(c) if c == quote && (!triple || (self.peek(1) == Some(quote) && self.peek(2) == Some(quote))) => {
                    let s = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
                    self.pos += delim;
                    return Ok(s);
                }
                Some(_) => {}
            }
            self.pos += 1;
        }
    }
}

/// The parsed module: named schemas in definition order, and named lists of schema names.
#[derive(Debug, Default)]
pub struct Module {
    pub schemas: Vec<(String, Arc<Schema>)>,
    pub lists: BTreeMap<String, Vec<String>>,
}

impl Module {
    pub fn schema(&self, name: &str) -> Option<&Arc<Schema>> {
        self.schemas.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn line(&self) -> usize {
        self.toks.get(self.pos).or(self.toks.last()).map_or(0, |t| t.1)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn bump(&mut self) -> Result<Tok, SchemaError> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone()).ok_or_else(|| err(self.line(), "unexpected end of file"))?;
        self.pos += 1;
        Ok(t)
    }

    fn punct(&mut self, c: char) -> Result<(), SchemaError> {
        let line = self.line();
        match self.bump()? {
            Tok::Punct(p) if p == c => Ok(()),
            other => Err(err(line, format!("expected {c:?}, found {other:?}"))),
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<String, SchemaError> {
        let line = self.line();
        match self.bump()? {
            Tok::Ident(s) => Ok(s),
            other => Err(err(line, format!("expected a name, found {other:?}"))),
        }
    }

    fn keyword(&mut self, want: &str) -> Result<(), SchemaError> {
        let line = self.line();
        let got = self.ident()?;
        if got == want { Ok(()) } else { Err(err(line, format!("expected `{want}`, found `{got}`"))) }
    }

    fn string(&mut self) -> Result<String, SchemaError> {
        let line = self.line();
        match self.bump()? {
            Tok::Str(s) => Ok(s),
            other => Err(err(line, format!("expected a string, found {other:?}"))),
        }
    }

    fn int(&mut self) -> Result<i64, SchemaError> {
        let line = self.line();
        match self.bump()? {
            Tok::Int(v) => Ok(v),
            other => Err(err(line, format!("expected an integer, found {other:?}"))),
        }
    }

    /// `pa.<call>` — returns the call name after `pa.`.
    fn pa_call(&mut self) -> Result<String, SchemaError> {
        self.keyword("pa")?;
        self.punct('.')?;
        self.ident()
    }

    fn data_type(&mut self) -> Result<DataType, SchemaError> {
        let line = self.line();
        let name = self.pa_call()?;
        self.punct('(')?;
        let ty = match name.as_str() {
            "int32" => DataType::Int32,
            "int64" => DataType::Int64,
            "float64" => DataType::Float64,
            "bool_" => DataType::Boolean,
            "string" | "utf8" => DataType::Utf8,
            "date32" => DataType::Date32,
            "timestamp" => {
                let unit = match self.string()?.as_str() {
                    "s" => TimeUnit::Second,
                    "ms" => TimeUnit::Millisecond,
                    "us" => TimeUnit::Microsecond,
                    "ns" => TimeUnit::Nanosecond,
                    u => return Err(err(line, format!("unknown timestamp unit {u:?}"))),
                };
                DataType::Timestamp(unit, None)
            }
            "decimal128" => {
                let precision = self.int()?;
                self.punct(',')?;
                let scale = self.int()?;
                let (Ok(p), Ok(s)) = (u8::try_from(precision), i8::try_from(scale)) else {
                    return Err(err(line, "decimal precision/scale out of range"));
                };
                DataType::Decimal128(p, s)
            }
            other => return Err(err(line, format!("unsupported pyarrow type pa.{other}()"))),
        };
        self.punct(')')?;
        Ok(ty)
    }

    fn field(&mut self) -> Result<Field, SchemaError> {
        let line = self.line();
        if self.pa_call()? != "field" {
            return Err(err(line, "expected pa.field(...)"));
        }
        self.punct('(')?;
        let name = self.string()?;
        self.punct(',')?;
        let ty = self.data_type()?;
        let mut nullable = true;
        if self.eat_punct(',') && self.peek() != Some(&Tok::Punct(')')) {
            self.keyword("nullable")?;
            self.punct('=')?;
            nullable = match self.ident()?.as_str() {
                "True" => true,
                "False" => false,
                other => return Err(err(line, format!("nullable must be True or False, not {other}"))),
            };
            self.eat_punct(',');
        }
        self.punct(')')?;
        Ok(Field::new(name, ty, nullable))
    }

    fn metadata(&mut self) -> Result<std::collections::HashMap<String, String>, SchemaError> {
        self.punct('{')?;
        let mut out = std::collections::HashMap::new();
        while !self.eat_punct('}') {
            let line = self.line();
            let k = self.string()?;
            self.punct(':')?;
            let v = self.string()?;
            if out.insert(k.clone(), v).is_some() {
                return Err(err(line, format!("duplicate metadata key {k:?}")));
            }
            if !self.eat_punct(',') {
                self.punct('}')?;
                break;
            }
        }
        Ok(out)
    }

    fn schema_call(&mut self) -> Result<Schema, SchemaError> {
        self.punct('(')?;
        self.punct('[')?;
        let mut fields = Vec::new();
        while !self.eat_punct(']') {
            fields.push(self.field()?);
            if !self.eat_punct(',') {
                self.punct(']')?;
                break;
            }
        }
        let mut metadata = Default::default();
        if self.eat_punct(',') && self.peek() != Some(&Tok::Punct(')')) {
            self.keyword("metadata")?;
            self.punct('=')?;
            metadata = self.metadata()?;
            self.eat_punct(',');
        }
        self.punct(')')?;
        Ok(Schema::new_with_metadata(fields, metadata))
    }
}

/// Parses the canonical module text.
pub fn parse(src: &str) -> Result<Module, SchemaError> {
    let mut p = Parser { toks: Lexer::tokens(src)?, pos: 0 };
    let mut module = Module::default();
    // The module docstring.
    if matches!(p.peek(), Some(Tok::Str(_))) {
        p.pos += 1;
    }
    while let Some(tok) = p.peek().cloned() {
        let line = p.line();
        let name = match tok {
            Tok::Ident(ref kw) if kw == "import" => {
                p.pos += 1;
                p.keyword("pyarrow")?;
                p.keyword("as")?;
                p.keyword("pa")?;
                continue;
            }
            Tok::Ident(name) => {
                p.pos += 1;
                name
            }
            other => return Err(err(line, format!("expected an assignment, found {other:?}"))),
        };
        p.punct('=')?;
        if module.schema(&name).is_some() || module.lists.contains_key(&name) {
            return Err(err(line, format!("`{name}` is defined twice")));
        }
        if p.eat_punct('[') {
            let mut items = Vec::new();
            while !p.eat_punct(']') {
                let item_line = p.line();
                let item = p.ident()?;
                if module.schema(&item).is_none() {
                    return Err(err(item_line, format!("`{item}` is not a schema defined above")));
                }
                items.push(item);
                if !p.eat_punct(',') {
                    p.punct(']')?;
                    break;
                }
            }
            module.lists.insert(name, items);
            continue;
        }
        let head = p.ident()?;
        p.punct('.')?;
        let method = p.ident()?;
        let schema = match (head.as_str(), method.as_str()) {
            ("pa", "schema") => p.schema_call()?,
            (base, "append") => {
                let base = module.schema(base).ok_or_else(|| err(line, format!("`{base}` is not defined above")))?.clone();
                p.punct('(')?;
                let field = p.field()?;
                p.punct(')')?;
                let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
                fields.push(field);
                Schema::new_with_metadata(fields, base.metadata().clone())
            }
            (h, m) => return Err(err(line, format!("unsupported expression {h}.{m}(...)"))),
        };
        module.schemas.push((name, Arc::new(schema)));
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_types_and_metadata() {
        let m = parse(
            r#""""doc"""
import pyarrow as pa
# comment
t = pa.schema([pa.field("a", pa.int64(), nullable=False), pa.field('b', pa.decimal128(12, 4)),
    pa.field("c", pa.timestamp("us"))], metadata={"format": "csv"})
t2 = t.append(pa.field("d", pa.string()))
ALL = [t, t2]
"#,
        )
        .unwrap();
        let t = m.schema("t").unwrap();
        assert_eq!(t.field(0).data_type(), &DataType::Int64);
        assert!(!t.field(0).is_nullable());
        assert_eq!(t.field(1).data_type(), &DataType::Decimal128(12, 4));
        assert_eq!(t.field(2).data_type(), &DataType::Timestamp(TimeUnit::Microsecond, None));
        assert_eq!(t.metadata()["format"], "csv");
        assert_eq!(m.schema("t2").unwrap().fields().len(), 4);
        assert_eq!(m.lists["ALL"], vec!["t", "t2"]);
    }

    #[test]
    fn rejects_unknown_constructs_with_a_line() {
        let e = parse("import pyarrow as pa\n\nt = pa.schema([pa.field(\"a\", pa.large_list())])\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = parse("import pyarrow as pa\nx = 1 + 2\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse("ALL = [missing]\n").unwrap_err();
        assert!(e.to_string().contains("not a schema"), "{e}");
    }
}
