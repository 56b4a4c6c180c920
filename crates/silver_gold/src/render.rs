//! Renders a node's Jinja-SQL with minijinja and the slice of dbt's context the project uses:
//! `ref`, `source`, `config`, `this`, `is_incremental`, `var`, `env_var`, `target`, `execute`, `doc`,
//! `adapter.dispatch`, and every project macro (and generic test, as `test_<name>`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde_json::Value as Json;

use crate::project::{ADAPTER, Project, target};

/// Name of the template that holds every macro file (and generic test) of the project.
const MACROS: &str = "__macros__";

/// Resolves dbt's `adapter.dispatch('name'[, 'namespace'])` in `text` to the macro dbt would
/// pick on DuckDB — `duckdb__name`, else `default__name` — so `adapter.dispatch('k', 'p')(x)`
/// renders as `duckdb__k(x)`. Done on the text before compiling: dispatch only ever names a
/// macro, and this keeps the project's macros plain minijinja macros. The error names the
/// 1-based line of the call.
fn resolve_dispatch(text: &str, macros: &[String]) -> Result<String, (usize, String)> {
    const CALL: &str = "adapter.dispatch(";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(CALL) {
        out.push_str(&rest[..i]);
        let line = text[..text.len() - rest.len() + i].matches('\n').count() + 1;
        let after = &rest[i + CALL.len()..];
        let close = after.find(')').ok_or((line, format!("{CALL}…: no closing parenthesis")))?;
        let first = after[..close].split(',').next().unwrap_or_default().trim();
        let name = first.trim_start_matches("macro_name").trim_start_matches([' ', '=']).trim_matches(['\'', '"']);
        let picked = [format!("{ADAPTER}__{name}"), format!("default__{name}")].into_iter().find(|m| macros.contains(m));
        let picked =
            picked.ok_or((line, format!("adapter.dispatch('{name}'): no macro {ADAPTER}__{name} or default__{name} in the project")))?;
        out.push_str(&picked);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// dbt's `adapter` object as far as the project uses it beyond `dispatch` (resolved before
/// compiling): `adapter.quote(name)`, DuckDB's double-quoted identifier.
#[derive(Debug)]
struct Adapter;

impl minijinja::value::Object for Adapter {
    fn call_method(self: &Arc<Self>, _state: &minijinja::State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match (method, args) {
            ("quote", [name]) => Ok(Value::from(format!("\"{}\"", name.to_string().replace('"', "\"\"")))),
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("adapter.{method}: not supported by the embedded runner"))),
        }
    }
}

/// What rendering a node learned: its refs and sources (its dependencies) and the config it
/// set with `config(...)`.
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    /// The rendered SQL.
    pub sql: String,
    /// Models, seeds and snapshots named with `ref`.
    pub refs: Vec<String>,
    /// (source, table) pairs named with `source`.
    pub sources: Vec<(String, String)>,
    /// What `config(...)` set.
    pub config: BTreeMap<String, Json>,
}

/// Where each macro file starts in the combined macro template (for error positions).
pub struct Macros {
    /// The combined text, `adapter.dispatch` calls already resolved.
    text: String,
    names: Vec<String>,
    starts: Vec<(usize, String)>,
    /// A dispatch no macro answers (line in the combined text, message), reported by every render.
    unresolved: Option<(usize, String)>,
}

impl Macros {
    /// Combines the project's macro files and generic tests into one template.
    pub fn new(project: &Project) -> Macros {
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut names = Vec::new();
        for (path, body) in project.macros.iter().chain(&project.generic_tests) {
            starts.push((text.matches('\n').count() + 1, path.clone()));
            text.push_str(body);
            if !body.ends_with('\n') {
                text.push('\n');
            }
            let mut rest = body.as_str();
            while let Some(i) = rest.find("macro ") {
                let after = &rest[i + 6..];
                let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && after[name.len()..].trim_start().starts_with('(') && !names.contains(&name) {
                    names.push(name.clone());
                }
                rest = &after[name.len()..];
            }
        }
        // Resolved once here, not per node.
        let (text, unresolved) = match resolve_dispatch(&text, &names) {
            Ok(resolved) => (resolved, None),
            Err(e) => (text, Some(e)),
        };
        Macros { text, names, starts, unresolved }
    }

    /// The macro file and line of a line in the combined template.
    pub fn locate(&self, line: usize) -> (String, usize) {
        let (start, path) = self.starts.iter().rev().find(|(s, _)| *s <= line).cloned().unwrap_or((1, MACROS.into()));
        (path, line + 1 - start)
    }

    fn import_line(&self) -> String {
        if self.names.is_empty() { String::new() } else { format!("{{% from \"{MACROS}\" import {} %}}", self.names.join(", ")) }
    }
}

/// How `ref`, `source` and `this` name relations, and the incremental state of the node.
pub struct Context<'a> {
    /// The project.
    pub project: &'a Project,
    /// Its macros.
    pub macros: &'a Macros,
    /// model/seed/snapshot name → relation (`schema.name`).
    pub relations: &'a BTreeMap<String, String>,
    /// `this`: the node's own relation.
    pub this: Option<String>,
    /// What `is_incremental()` answers.
    pub is_incremental: bool,
    /// A unit test's replacements for sources and vars.
    pub overrides: Option<&'a Overrides>,
}

/// What a unit test replaces while its model renders: the relations its `source()` inputs
/// read, and `overrides: vars:`.
#[derive(Debug, Default)]
pub struct Overrides {
    /// (source, table) → relation of the given rows.
    pub sources: BTreeMap<(String, String), String>,
    /// Vars set by the test (they win over `dbt_project.yml`).
    pub vars: BTreeMap<String, Json>,
}

/// A render error with the file and line it points at.
#[derive(Debug)]
pub struct RenderError {
    /// The file, relative to the project.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// minijinja's message.
    pub message: String,
}

fn to_value(j: &Json) -> Value {
    Value::from_serialize(j)
}

/// Renders `source` (the text of `file`) in `ctx`.
pub fn render(ctx: &Context<'_>, file: &str, source: &str) -> Result<Rendered, RenderError> {
    render_with(ctx, file, source, BTreeMap::new())
}

/// Renders with extra variables in scope (e.g. a generic test's arguments).
pub fn render_with(ctx: &Context<'_>, file: &str, source: &str, vars: BTreeMap<String, Value>) -> Result<Rendered, RenderError> {
    let state = Arc::new(Mutex::new(Rendered::default()));
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_keep_trailing_newline(true);
    if let Some((line, message)) = &ctx.macros.unresolved {
        let (file, line) = ctx.macros.locate(*line);
        return Err(RenderError { file, line, message: message.clone() });
    }
    env.add_template_owned(MACROS.to_string(), ctx.macros.text.clone()).map_err(|e| error(ctx, file, e))?;

    let relations = ctx.relations.clone();
    let st = state.clone();
    env.add_function("ref", move |name: String| -> Result<Value, Error> {
        st.lock().expect("render state").refs.push(name.clone());
        relations
            .get(&name)
            .map(|r| Value::from(r.clone()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("ref('{name}'): no such model, seed or snapshot")))
    });
    let mut sources = ctx.project.sources.clone();
    let mut vars_of_project = ctx.project.vars.clone();
    if let Some(o) = ctx.overrides {
        sources.extend(o.sources.clone());
        vars_of_project.extend(o.vars.clone());
    }
    let st = state.clone();
    env.add_function("source", move |source: String, table: String| -> Result<Value, Error> {
        st.lock().expect("render state").sources.push((source.clone(), table.clone()));
        sources.get(&(source.clone(), table.clone())).map(|r| Value::from(r.clone())).ok_or_else(|| {
            Error::new(ErrorKind::InvalidOperation, format!("source('{source}', '{table}'): not declared in a sources YAML"))
        })
    });
    let st = state.clone();
    env.add_function("config", move |kwargs: Kwargs| -> Result<Value, Error> {
        let mut s = st.lock().expect("render state");
        for key in kwargs.args() {
            let v: Value = kwargs.get(key)?;
            s.config.insert(key.to_string(), serde_json::to_value(&v).unwrap_or(Json::Null));
        }
        Ok(Value::from(""))
    });
    let docs = ctx.project.docs.clone();
    env.add_function("doc", move |name: String| -> Result<Value, Error> {
        docs.get(&name)
            .map(|d| Value::from(d.clone()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("doc('{name}'): no such docs block in the models' .md files")))
    });
    let incremental = ctx.is_incremental;
    env.add_function("is_incremental", move || incremental);
    // `var(name)` or `var(name, default)`; a default of `none` is a default too, as in dbt.
    env.add_function("var", move |name: String, default: minijinja::value::Rest<Value>| -> Result<Value, Error> {
        match (vars_of_project.get(&name), default.first()) {
            (Some(v), _) => Ok(to_value(v)),
            (None, Some(d)) => Ok(d.clone()),
            (None, None) => Err(Error::new(ErrorKind::InvalidOperation, format!("var('{name}') is not defined in dbt_project.yml"))),
        }
    });
    env.add_function("env_var", |name: String, default: Option<String>| -> Result<Value, Error> {
        match (std::env::var(&name), default) {
            (Ok(v), _) => Ok(Value::from(v)),
            (Err(_), Some(d)) => Ok(Value::from(d)),
            (Err(_), None) => Err(Error::new(ErrorKind::InvalidOperation, format!("env_var('{name}') is not set and has no default"))),
        }
    });
    env.add_global("this", ctx.this.clone().map(Value::from).unwrap_or(Value::UNDEFINED));
    env.add_global("execute", true);
    env.add_global("target", target());
    env.add_global("adapter", Value::from_object(Adapter));
    for (k, v) in vars {
        env.add_global(k, v);
    }
    // The import shares the first line, so line numbers in errors are the file's own.
    let source =
        resolve_dispatch(source, &ctx.macros.names).map_err(|(line, message)| RenderError { file: file.to_string(), line, message })?;
    let text = format!("{}{}", ctx.macros.import_line(), source);
    let tmpl = env.template_from_named_str(file, &text).map_err(|e| error(ctx, file, e))?;
    let sql = tmpl.render(()).map_err(|e| error(ctx, file, e))?;
    let mut out = state.lock().expect("render state").clone();
    out.sql = sql;
    Ok(out)
}

fn error(ctx: &Context<'_>, file: &str, e: Error) -> RenderError {
    let mut message = e.to_string();
    if let Some(detail) = e.detail() {
        message = format!("{}: {detail}", e.kind());
    }
    let (file, line) = match (e.name(), e.line()) {
        (Some(MACROS), Some(line)) => ctx.macros.locate(line),
        (_, line) => (file.to_string(), line.unwrap_or(0)),
    };
    RenderError { file, line, message }
}

#[cfg(test)]
mod tests {
    use super::resolve_dispatch;

    #[test]
    fn dispatch_picks_the_duckdb_macro_then_the_default_and_names_what_is_missing() {
        let macros: Vec<String> = ["duckdb__key", "default__key", "default__day", "spark__day"].map(String::from).to_vec();
        let text = "select {{ adapter.dispatch('key', 'medallion')(['a']) }},\n {{ adapter.dispatch(macro_name=\"day\")('ts') }}";
        assert_eq!(resolve_dispatch(text, &macros).unwrap(), "select {{ duckdb__key(['a']) }},\n {{ default__day('ts') }}");
        assert_eq!(resolve_dispatch("no dispatch here", &macros).unwrap(), "no dispatch here");
        let (line, message) = resolve_dispatch("x\n{{ adapter.dispatch('nope')() }}", &macros).unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("no macro duckdb__nope or default__nope"), "{message}");
    }
}
