//! Tests: dbt's built-in generic tests, the project's generic tests (macros `test_<name>`) and
//! singular tests, with severity, `warn_if` / `error_if`, `fail_calc`, `where` and stored failures.

use std::collections::BTreeMap;

use duckdb::Connection;
use minijinja::value::Value;
use serde_json::Value as Json;

use super::catalog::ensure_schema;
use super::plan::{Planned, cfg_str, ref_name, schema_of};
use super::results::Status;
use crate::project::{Node, Project};
use crate::render::{Context, Macros, render, render_with};
use crate::{Result, TransformError};

/// A test's SQL: built-in generic tests, project generic tests (macros `test_<name>`), or a
/// singular test file; `where` narrows the model first.
fn test_sql(
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    p: &Planned,
    store_failures: bool,
) -> Result<(String, BTreeMap<String, Json>)> {
    let ctx = Context { project, macros, relations, this: None, is_incremental: false, overrides: None };
    let Some(t) = &p.node.test else {
        let r = render(&ctx, &p.node.path, &p.node.sql)?;
        return Ok((r.sql, r.config));
    };
    let model = relations.get(&t.model).cloned().ok_or_else(|| TransformError::At {
        file: p.node.path.clone(),
        line: 0,
        message: format!("no model {}", t.model),
    })?;
    let model = match cfg_str(&p.config, "where") {
        Some(w) => format!("(select * from {model} where {w}) dbt_subquery"),
        None => model,
    };
    let arg = |name: &str| -> Result<Json> {
        t.args.get(name).cloned().ok_or_else(|| TransformError::At {
            file: p.node.path.clone(),
            line: 0,
            message: format!("test {} needs `{name}`", t.test),
        })
    };
    let resolve = |v: &Json| -> Json {
        match v.as_str().and_then(ref_name) {
            Some(r) => Json::from(relations.get(&r).cloned().unwrap_or(r)),
            None => v.clone(),
        }
    };
    let col = t.column.clone().unwrap_or_default();
    let builtin = match t.test.as_str() {
        // As dbt: the whole row when failures are stored, else the column.
        "not_null" => Some(format!(
            "select {} from {model} where \"{col}\" is null",
            if store_failures { "*".to_string() } else { format!("\"{col}\"") }
        )),
        "unique" => Some(format!(
            "select \"{col}\" as unique_field, count(*) as n_records from {model} where \"{col}\" is not null group by \"{col}\" having count(*) > 1"
        )),
        "accepted_values" => {
            let values = arg("values")?;
            let list: Vec<String> = values
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| format!("'{}'", v.as_str().map_or(v.to_string(), str::to_string).replace('\'', "''")))
                .collect();
            Some(format!(
                "with all_values as (select \"{col}\" as value_field, count(*) as n_records from {model} group by \"{col}\")
                 select * from all_values where value_field not in ({})",
                list.join(", ")
            ))
        }
        "relationships" => {
            let to = resolve(&arg("to")?);
            let field = arg("field")?;
            Some(format!(
                "with child as (select \"{col}\" as from_field from {model} where \"{col}\" is not null),
                 parent as (select \"{}\" as to_field from {})
                 select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null",
                field.as_str().unwrap_or_default(),
                to.as_str().unwrap_or_default()
            ))
        }
        _ => None,
    };
    if let Some(sql) = builtin {
        return Ok((sql, BTreeMap::new()));
    }
    // A project generic test: call its macro with the model, the column (as dbt, only for a
    // column's test) and the arguments.
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    vars.insert("__model".into(), Value::from(model));
    let mut call_args = vec!["model=__model".to_string()];
    if t.column.is_some() {
        vars.insert("__column".into(), Value::from(col));
        call_args.push("column_name=__column".to_string());
    }
    for (k, v) in &t.args {
        vars.insert(format!("__arg_{k}"), Value::from_serialize(resolve(v)));
        call_args.push(format!("{k}=__arg_{k}"));
    }
    let call = format!("{{{{ test_{}({}) }}}}", t.test, call_args.join(", "));
    let r = render_with(&ctx, &p.node.path, &call, vars)?;
    Ok((r.sql, r.config))
}

pub(crate) fn run_test(
    conn: &Connection,
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    p: &Planned,
    store_failures: bool,
) -> Result<Status> {
    let store = store_failures || p.config.get("store_failures").and_then(Json::as_bool).unwrap_or(false);
    let (mut sql, from_sql) = test_sql(project, macros, relations, p, store)?;
    let mut config = from_sql;
    config.extend(p.config.clone());
    if store {
        // dbt's test materialization: the failing rows become a table named after the test.
        let mut audit = BTreeMap::new();
        audit.insert("schema".to_string(), config.get("schema").cloned().unwrap_or_else(|| Json::from("dbt_test__audit")));
        let schema = schema_of(project, macros, &audit)?;
        let table = format!("{schema}.\"{}\"", test_alias(conn, &p.node)?);
        ensure_schema(conn, &table)?;
        conn.execute_batch(&format!("create or replace table {table} as\n{sql}"))?;
        sql = format!("select * from {table}");
    }
    let fail_calc = cfg_str(&config, "fail_calc").unwrap_or("count(*)");
    let failures: Option<i64> = conn.query_row(&format!("select {fail_calc} from (\n{sql}\n) dbt_internal_test"), [], |r| r.get(0))?;
    // As dbt: a failure count that is NULL (a `max` over no rows) is an error, not a pass.
    let Some(failures) = failures else {
        return Ok(Status::Error(format!("{}: the failure count (fail_calc `{fail_calc}`) is NULL, not an integer", p.node.path)));
    };
    let failures = failures.max(0) as u64;
    let holds = |cond: &str| -> bool { threshold(cond, failures) };
    let severity = cfg_str(&config, "severity").unwrap_or("error").to_ascii_lowercase();
    let error_if = cfg_str(&config, "error_if").unwrap_or("!=0");
    let warn_if = cfg_str(&config, "warn_if").unwrap_or("!=0");
    Ok(if severity == "error" && holds(error_if) {
        Status::Fail(failures)
    } else if holds(warn_if) {
        Status::Warn(failures)
    } else {
        Status::Pass
    })
}

/// The relation name dbt gives a test: its name, or for a generic test whose name reaches 64
/// characters, the first 30 characters of `<test>_<model>` and the md5 of the full name.
fn test_alias(conn: &Connection, node: &Node) -> Result<String> {
    let Some(t) = &node.test else { return Ok(node.name.clone()) };
    if node.name.len() < 64 {
        return Ok(node.name.clone());
    }
    let identifier: String = format!("{}_{}", t.test, t.model).chars().take(30).collect();
    let md5: String = conn.query_row("select md5(?)", [&node.name], |r| r.get(0))?;
    Ok(format!("{identifier}_{md5}"))
}

/// dbt's `warn_if` / `error_if`: a comparison like `!=0`, `>150`, `>=10`.
fn threshold(cond: &str, n: u64) -> bool {
    let c = cond.replace(' ', "");
    let (op, num) =
        ["!=", ">=", "<=", "==", ">", "<", "="].iter().find_map(|op| c.strip_prefix(op).map(|rest| (*op, rest))).unwrap_or(("!=", "0"));
    let Ok(v) = num.parse::<f64>() else { return n != 0 };
    let n = n as f64;
    match op {
        "!=" => n != v,
        ">=" => n >= v,
        "<=" => n <= v,
        "==" | "=" => n == v,
        ">" => n > v,
        _ => n < v,
    }
}
