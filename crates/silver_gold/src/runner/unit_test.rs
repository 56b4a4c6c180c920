//! Unit tests (dbt ≥ 1.8 `unit_tests:`): the model rendered with each input replaced by a temp
//! table of the given rows (typed like the real input relation, so parents must be built
//! first, as in dbt), run, and compared with the expected rows (typed like the model's output)
//! as multisets, on the columns the expected rows name.

use std::collections::BTreeMap;

use duckdb::Connection;
use serde_json::Value as Json;

use super::catalog::describe;
use super::plan::{Planned, ref_name};
use super::results::Status;
use crate::project::{Kind, Project, Rows};
use crate::render::{Context, Macros, Overrides, render};
use crate::{Result, TransformError};

/// At most this many differing rows are printed for a failing unit test.
const SHOWN_DIFFERENCES: usize = 20;

pub(crate) fn run_unit_test(
    conn: &Connection,
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    planned: &[Planned],
    p: &Planned,
) -> Result<Status> {
    let at = |message: String| TransformError::At {
        file: p.node.path.clone(),
        line: 0,
        message: format!("unit test {}: {message}", p.node.name),
    };
    let unit = p.node.unit.as_ref().ok_or_else(|| at("not a unit test".into()))?;
    let model = planned
        .iter()
        .find(|m| m.node.kind == Kind::Model && m.node.name == unit.model)
        .ok_or_else(|| at(format!("no model `{}`", unit.model)))?;

    // Every input the model reads must be given (dbt's rule too): a real table silently mixed
    // into a unit test would make it depend on the warehouse.
    let given_keys: Vec<String> = unit
        .given
        .iter()
        .map(|(input, _)| input_key(input))
        .collect::<Option<_>>()
        .ok_or_else(|| at("an input must be ref('…'), source('…', '…') or this".into()))?;
    if let Some(missing) = model.deps.iter().find(|d| !given_keys.contains(d)) {
        let shown = missing.strip_prefix("source:").map_or(format!("ref('{missing}')"), |s| format!("source {s}"));
        return Err(at(format!("the model reads {shown}, which has no `given` input")));
    }

    let mut relations = relations.clone();
    let mut overrides = Overrides { sources: BTreeMap::new(), vars: unit.vars.clone() };
    let mut this = model.relation.clone();
    let mut temp_tables = Vec::new();
    let outcome = (|| -> Result<Status> {
        for (k, ((input, rows), key)) in unit.given.iter().zip(&given_keys).enumerate() {
            let real = match key.as_str() {
                "this" => model.relation.clone(),
                _ => match key.strip_prefix("source:").and_then(|s| s.split_once('.')) {
                    Some((s, t)) => project.sources.get(&(s.to_string(), t.to_string())).cloned(),
                    None => relations.get(key).cloned(),
                },
            }
            .ok_or_else(|| at(format!("input {input}: no such relation in the project")))?;
            let columns = describe(conn, &real).map_err(|e| {
                at(format!("input {input}: cannot read the column types of {real} (build it first): {}", crate::one_line(&e)))
            })?;
            let table = format!("__unit_input_{k}");
            let fixture = fixture_sql(&columns, rows).map_err(|m| at(format!("input {input}: {m}")))?;
            conn.execute_batch(&format!("create or replace temp table \"{table}\" as\n{fixture}"))?;
            temp_tables.push(table.clone());
            let relation = format!("temp.main.\"{table}\"");
            match key.strip_prefix("source:").and_then(|s| s.split_once('.')) {
                _ if key == "this" => this = Some(relation),
                Some((s, t)) => {
                    overrides.sources.insert((s.to_string(), t.to_string()), relation);
                }
                None => {
                    relations.insert(key.clone(), relation);
                }
            }
        }
        let ctx =
            Context { project, macros, relations: &relations, this, is_incremental: unit.is_incremental, overrides: Some(&overrides) };
        let model_sql = render(&ctx, &model.node.path, &model.node.sql)?.sql;
        let output = describe(conn, &model_sql)?;

        let expected_columns: Vec<String> = match &unit.expect {
            Rows::Dict(rows) => {
                let mut names: Vec<String> = Vec::new();
                for name in rows.iter().flat_map(|r| r.keys()) {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
                names
            }
            Rows::Sql(sql) => describe(conn, sql)?.into_iter().map(|(n, _)| n).collect(),
        };
        let mut typed = Vec::new();
        for name in &expected_columns {
            let column = output
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| at(format!("expect names `{name}`, which the model does not return")))?;
            typed.push(column.clone());
        }
        let expected = fixture_sql(&typed, &unit.expect).map_err(|m| at(format!("expect: {m}")))?;
        let list = typed.iter().map(|(n, _)| quote(n)).collect::<Vec<_>>().join(", ");
        let shown = typed
            .iter()
            .map(|(n, _)| format!("'{n}=' || coalesce(cast({} as varchar), 'null')", quote(n)))
            .collect::<Vec<_>>()
            .join(" || ', ' || ");
        let diff_sql = format!(
            "with actual as (select {list} from (\n{model_sql}\n) unit_actual),
             expected as (\n{expected}\n),
             differences as (
                 (select 'expected, not returned' as difference, * from (select * from expected except all select * from actual))
                 union all
                 (select 'returned, not expected', * from (select * from actual except all select * from expected))
             )
             select difference || ': ' || {shown} from differences order by all"
        );
        let mut stmt = conn.prepare(&diff_sql)?;
        let differences: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if differences.is_empty() {
            return Ok(Status::Pass);
        }
        // dbt prints the difference with the failure; so does the embedded runner.
        let mut report = format!("unit test {} ({}) failed:", p.node.name, p.node.path);
        for d in differences.iter().take(SHOWN_DIFFERENCES) {
            report.push_str(&format!("\n    {d}"));
        }
        if differences.len() > SHOWN_DIFFERENCES {
            report.push_str(&format!("\n    … and {} more", differences.len() - SHOWN_DIFFERENCES));
        }
        eprintln!("{report}");
        Ok(Status::Fail(differences.len() as u64))
    })();
    for table in temp_tables {
        // Best effort: the tables are temporary and die with the connection anyway.
        let _ = conn.execute_batch(&format!("drop table if exists temp.main.\"{table}\""));
    }
    outcome
}

/// The dependency key of an input as planning names dependencies: `x` for `ref('x')`,
/// `source:s.t` for `source('s', 't')`, `this` for `this`.
fn input_key(input: &str) -> Option<String> {
    if input == "this" {
        return Some("this".into());
    }
    if let Some(name) = ref_name(input) {
        return Some(name);
    }
    let args = input.strip_prefix("source(")?.strip_suffix(')')?;
    let (s, t) = args.split_once(',')?;
    let unquote = |x: &str| x.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
    Some(format!("source:{}.{}", unquote(s), unquote(t)))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A select giving `rows` typed as `columns` (name, DuckDB type); a column a row leaves out is
/// NULL, a column not in `columns` is an error.
fn fixture_sql(columns: &[(String, String)], rows: &Rows) -> std::result::Result<String, String> {
    let rows = match rows {
        Rows::Sql(sql) => return Ok(format!("select * from (\n{sql}\n) unit_fixture")),
        Rows::Dict(rows) => rows,
    };
    for name in rows.iter().flat_map(|r| r.keys()) {
        if !columns.iter().any(|(c, _)| c == name) {
            return Err(format!(
                "column `{name}` does not exist (columns: {})",
                columns.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let select = |row: Option<&BTreeMap<String, Json>>| -> String {
        let values: Vec<String> = columns
            .iter()
            .map(|(name, ty)| {
                let literal = match row.and_then(|r| r.get(name)) {
                    None | Some(Json::Null) => "null".to_string(),
                    Some(Json::Bool(b)) => b.to_string(),
                    Some(Json::String(s)) => format!("'{}'", s.replace('\'', "''")),
                    Some(other) => format!("'{other}'"),
                };
                format!("cast({literal} as {ty}) as {}", quote(name))
            })
            .collect();
        format!("select {}", values.join(", "))
    };
    if rows.is_empty() {
        return Ok(format!("{} where false", select(None)));
    }
    Ok(rows.iter().map(|r| select(Some(r))).collect::<Vec<_>>().join("\nunion all\n"))
}
