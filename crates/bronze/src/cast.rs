//! Casting text cells to the canonical Arrow types, row by row: a row either casts completely
//! (and is appended to the batch) or not at all (and becomes a reject naming the column, the
//! value and what was expected). Parsers are exact: decimals never go through floats.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};

/// Why a cell could not be cast.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    /// The column.
    pub column: String,
    /// The value as written.
    pub value: String,
    /// Reject reason code: `null_required` or `invalid_<type>`.
    pub code: &'static str,
    /// What the column expects, in words.
    pub expected: &'static str,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code == "null_required" {
            write!(f, "column `{}` is required but empty", self.column)
        } else {
            write!(f, "column `{}`: `{}` is not {}", self.column, self.value, self.expected)
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text,
    Date(i32),
    Micros(i64),
    Decimal(i128),
}

enum Column {
    Int64(Int64Builder),
    Int32(Int32Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    Utf8(StringBuilder),
    Date32(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Decimal(Decimal128Builder),
}

/// Builds a batch of the canonical schema from rows of text cells.
pub struct RowCaster {
    schema: SchemaRef,
    columns: Vec<Column>,
    parsed: Vec<Cell>,
    rows: usize,
}

impl RowCaster {
    /// `schema` must use only the types of the canonical file (checked by a test).
    pub fn new(schema: SchemaRef) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Int64 => Column::Int64(Int64Builder::new()),
                DataType::Int32 => Column::Int32(Int32Builder::new()),
                DataType::Float64 => Column::Float64(Float64Builder::new()),
                DataType::Boolean => Column::Boolean(BooleanBuilder::new()),
                DataType::Date32 => Column::Date32(Date32Builder::new()),
                DataType::Timestamp(TimeUnit::Microsecond, None) => Column::Timestamp(TimestampMicrosecondBuilder::new()),
                DataType::Decimal128(p, s) => {
                    Column::Decimal(Decimal128Builder::new().with_precision_and_scale(*p, *s).expect("canonical decimal"))
                }
                _ => Column::Utf8(StringBuilder::new()),
            })
            .collect();
        let parsed = vec![Cell::Null; schema.fields().len()];
        RowCaster { schema, columns, parsed, rows: 0 }
    }

    /// Rows buffered so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Casts one row of cells (in schema order) and appends it, or leaves the batch untouched
    /// and returns the first failing cell.
    pub fn push(&mut self, cells: &[&str]) -> Result<(), CellError> {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.push_by(|i| cells[i])
    }

    /// Like [`RowCaster::push`], with cell `i` (in schema order) given by `cell(i)`: lets a
    /// reader map file columns to schema columns without building a row.
    pub fn push_by<'a>(&mut self, cell: impl Fn(usize) -> &'a str) -> Result<(), CellError> {
        for (i, field) in self.schema.fields().iter().enumerate() {
            let text = cell(i);
            let fail = |code, expected| CellError { column: field.name().clone(), value: text.to_string(), code, expected };
            let cell = parse_cell(field.data_type(), text).map_err(|(code, expected)| fail(code, expected))?;
            if matches!(cell, Cell::Null) && !field.is_nullable() {
                return Err(fail("null_required", "a value"));
            }
            self.parsed[i] = cell;
        }
        for (i, (col, parsed)) in self.columns.iter_mut().zip(&self.parsed).enumerate() {
            match (col, *parsed) {
                (Column::Int64(b), Cell::Int(v)) => b.append_value(v),
                (Column::Int32(b), Cell::Int(v)) => b.append_value(v as i32),
                (Column::Float64(b), Cell::Float(v)) => b.append_value(v),
                (Column::Boolean(b), Cell::Bool(v)) => b.append_value(v),
                (Column::Utf8(b), Cell::Text) => b.append_value(cell(i)),
                (Column::Date32(b), Cell::Date(v)) => b.append_value(v),
                (Column::Timestamp(b), Cell::Micros(v)) => b.append_value(v),
                (Column::Decimal(b), Cell::Decimal(v)) => b.append_value(v),
                (Column::Int64(b), _) => b.append_null(),
                (Column::Int32(b), _) => b.append_null(),
                (Column::Float64(b), _) => b.append_null(),
                (Column::Boolean(b), _) => b.append_null(),
                (Column::Utf8(b), _) => b.append_null(),
                (Column::Date32(b), _) => b.append_null(),
                (Column::Timestamp(b), _) => b.append_null(),
                (Column::Decimal(b), _) => b.append_null(),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows cast so far as a batch; the caster starts empty again.
    pub fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Column::Int64(b) => Arc::new(b.finish()),
                    Column::Int32(b) => Arc::new(b.finish()),
                    Column::Float64(b) => Arc::new(b.finish()),
                    Column::Boolean(b) => Arc::new(b.finish()),
                    Column::Utf8(b) => Arc::new(b.finish()),
                    Column::Date32(b) => Arc::new(b.finish()),
                    Column::Timestamp(b) => Arc::new(b.finish()),
                    Column::Decimal(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).expect("builders follow the schema and nulls were checked per row")
    }
}

type ParseError = (&'static str, &'static str);

/// Parses one text cell; empty means null for every type (CSV has no other null marker).
fn parse_cell(ty: &DataType, text: &str) -> Result<Cell, ParseError> {
    if text.is_empty() {
        return Ok(Cell::Null);
    }
    if matches!(ty, DataType::Utf8) {
        return Ok(Cell::Text);
    }
    let t = text.trim_matches(|c: char| c == ' ' || c == '\t');
    match ty {
        DataType::Int64 => t.parse().map(Cell::Int).map_err(|_| ("invalid_integer", "a 64-bit integer")),
        DataType::Int32 => t.parse::<i32>().map(|v| Cell::Int(v as i64)).map_err(|_| ("invalid_integer", "a 32-bit integer")),
        DataType::Float64 => match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Cell::Float(v)),
            _ => Err(("invalid_number", "a finite number")),
        },
        DataType::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Ok(Cell::Bool(true)),
            "false" | "f" | "0" | "no" => Ok(Cell::Bool(false)),
            _ => Err(("invalid_boolean", "true or false")),
        },
        DataType::Date32 => parse_date(t).map(Cell::Date).ok_or(("invalid_date", "a date YYYY-MM-DD")),
        DataType::Timestamp(..) => {
            parse_timestamp(t).map(Cell::Micros).ok_or(("invalid_timestamp", "an ISO 8601 timestamp with a UTC offset"))
        }
        DataType::Decimal128(p, s) => {
            parse_decimal(t, *p, *s).map(Cell::Decimal).ok_or(("invalid_decimal", "a decimal that fits the column"))
        }
        _ => Err(("unsupported_type", "a supported type")),
    }
}

use medallion_schema::calendar::digits;
/// `YYYY-MM-DD`, a real calendar date: the project's one date parser.
pub use medallion_schema::calendar::parse_date;

/// `YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}](Z|±HH:MM)` → microseconds since the epoch, UTC.
pub fn parse_timestamp(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let day = parse_date(&t[..10])? as i64;
    let (h, mi, s) = (digits::<2>(&b[11..13])? as i64, digits::<2>(&b[14..16])? as i64, digits::<2>(&b[17..19])? as i64);
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros = 0i64;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 6 {
            return None;
        }
        micros = rest[1..=n].iter().fold(0i64, |acc, d| acc * 10 + (d - b'0') as i64) * 10i64.pow(6 - n as u32);
        rest = &rest[n + 1..];
    }
    let offset_s = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), hh @ ..] if hh.len() == 5 && hh[2] == b':' => {
            let (oh, om) = (digits::<2>(&hh[..2])? as i64, digits::<2>(&hh[3..])? as i64);
            if oh > 14 || om > 59 {
                return None;
            }
            let v = oh * 3600 + om * 60;
            if *sign == b'-' { -v } else { v }
        }
        _ => return None,
    };
    Some(((day * 86_400 + h * 3600 + mi * 60 + s) - offset_s) * 1_000_000 + micros)
}

/// An exact decimal with at most `precision` digits and `scale` fractional digits (extra
/// fractional zeros are accepted; anything that would need rounding is not).
pub fn parse_decimal(t: &str, precision: u8, scale: i8) -> Option<i128> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty()) || !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let scale = scale.max(0) as usize;
    let (kept, dropped) = frac.split_at(frac.len().min(scale));
    if dropped.bytes().any(|c| c != b'0') {
        return None;
    }
    let int = int.trim_start_matches('0');
    if int.len() + scale > precision as usize {
        return None;
    }
    let mut v: i128 = 0;
    for c in int.bytes().chain(kept.bytes()) {
        v = v * 10 + (c - b'0') as i128;
    }
    v *= 10i128.pow((scale - kept.len()) as u32);
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Decimal128Array, Int64Array};
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn exact_parsers() {
        assert_eq!(parse_decimal("123.45", 12, 4), Some(1_234_500));
        assert_eq!(parse_decimal("-0.5", 5, 4), Some(-5_000));
        assert_eq!(parse_decimal("1.23450", 12, 4), Some(12_345));
        assert_eq!(parse_decimal("1.23456", 12, 4), None, "would need rounding");
        assert_eq!(parse_decimal("1234.5", 5, 2), None, "too many digits");
        assert_eq!(parse_decimal("999.99", 5, 2), Some(99_999));
        assert_eq!(parse_decimal("1e3", 12, 2), None);
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2023-02-29"), None);
        let utc = 19_723i64 * 86_400 * 1_000_000 + 30 * 60 * 1_000_000; // 2024-01-01T00:30:00Z
        assert_eq!(parse_timestamp("2024-01-01T11:00:00+10:30"), Some(utc));
        assert_eq!(parse_timestamp("2023-12-31T19:30:00-05:00"), Some(utc));
        assert_eq!(parse_timestamp("2024-01-01 00:30:00.5Z"), Some(utc + 500_000));
        assert_eq!(parse_timestamp("2024-01-01T00:30:00"), None, "no offset");
        assert_eq!(parse_timestamp("2024-01-01T24:30:00Z"), None);
    }

    #[test]
    fn a_row_casts_whole_or_not_at_all() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("price", DataType::Decimal128(12, 2), true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let mut c = RowCaster::new(schema);
        c.push(&["1", "9.99", "a"]).unwrap();
        let e = c.push(&["2", "nine", "b"]).unwrap_err();
        assert_eq!((e.column.as_str(), e.code), ("price", "invalid_decimal"));
        assert!(e.to_string().contains("`nine`"));
        let e = c.push(&["", "1.00", "c"]).unwrap_err();
        assert_eq!(e.code, "null_required");
        c.push(&["3", "", ""]).unwrap();
        let batch = c.finish();
        assert_eq!(batch.num_rows(), 2);
        let ids = batch.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(ids.values(), &[1, 3]);
        let price = batch.column(1).as_any().downcast_ref::<Decimal128Array>().unwrap();
        assert_eq!(price.value(0), 999);
        assert!(price.is_null(1));
    }
}
