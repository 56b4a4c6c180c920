//! The report of `analytics/report.yml` as a Power BI project (PBIP) that a BI developer opens
//! in Power BI Desktop: a semantic model in TMDL ([`tmdl`]) importing Gold's Parquet export
//! (`lake/gold/<table>.parquet`, folder set by the `GoldFolder` parameter), and a report in
//! PBIR ([`pbir`]) with the five pages, every visual bound to model columns and measures.
//!
//! The files are a pure function of the definition and of Gold's column types, so the same
//! Gold gives the same bytes: the project is committed and a test regenerates it to compare.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use medallion_analytics::{ColumnRef, Report};

pub mod pbir;
pub mod tmdl;

/// Why the project could not be generated or written.
#[derive(Debug, thiserror::Error)]
pub enum PowerBiError {
    /// The definition asks for something Gold does not have, or a type the model cannot hold.
    #[error("{0}")]
    Model(String),
    /// Reading Gold's columns failed.
    #[error("reading Gold's columns: {0}")]
    Warehouse(#[from] duckdb::Error),
    /// Writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// A Gold column as the warehouse types it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldColumn {
    /// Its name.
    pub name: String,
    /// DuckDB's type, as `information_schema` spells it (`BIGINT`, `DECIMAL(18,4)`, …).
    pub duckdb_type: String,
}

/// Gold table name → its columns in table order.
pub type GoldTables = BTreeMap<String, Vec<GoldColumn>>;

/// The columns of the Gold tables the model imports, read from a warehouse connection (the
/// `gold` schema of the default catalog, as [`medallion_analytics::open_warehouse`] sets it).
pub fn read_gold(conn: &Connection, report: &Report) -> Result<GoldTables, PowerBiError> {
    let mut stmt = conn.prepare(
        "select column_name, data_type from information_schema.columns
         where table_schema = 'gold' and table_name = ? order by ordinal_position",
    )?;
    let mut gold = GoldTables::new();
    for table in report.model.tables.keys() {
        let columns =
            stmt.query_map([table], |r| Ok(GoldColumn { name: r.get(0)?, duckdb_type: r.get(1)? }))?.collect::<Result<Vec<_>, _>>()?;
        if columns.is_empty() {
            return Err(PowerBiError::Model(format!("the model imports gold.{table}, which the warehouse does not have")));
        }
        gold.insert(table.clone(), columns);
    }
    Ok(gold)
}

/// A generated project: path relative to the output folder → file text.
pub type Project = BTreeMap<String, String>;

/// The model's column types, per table (Gold's and the added ones), for resolving references.
pub(crate) struct ModelColumns<'a> {
    pub(crate) report: &'a Report,
    pub(crate) gold: &'a GoldTables,
}

impl ModelColumns<'_> {
    /// Whether the model has `table[column]`.
    pub(crate) fn has(&self, c: &ColumnRef) -> bool {
        self.gold.get(&c.table).is_some_and(|cols| cols.iter().any(|g| g.name == c.column))
            || self.report.model.tables.get(&c.table).is_some_and(|t| t.add.iter().any(|a| a.name == c.column))
    }

    /// `text` as a model column, or an error naming where it was used.
    pub(crate) fn resolve(&self, what: &str, text: &str) -> Result<ColumnRef, PowerBiError> {
        let c = ColumnRef::parse(text).ok_or_else(|| PowerBiError::Model(format!("{what}: `{text}` is not `table[column]`")))?;
        if !self.has(&c) {
            return Err(PowerBiError::Model(format!("{what}: the model has no column {c} (not in Gold, not added)")));
        }
        Ok(c)
    }
}

/// Generates the whole project for `report` on Gold's columns `gold`.
pub fn generate(report: &Report, gold: &GoldTables) -> Result<Project, PowerBiError> {
    let columns = ModelColumns { report, gold };
    let mut project = tmdl::semantic_model(&columns)?;
    project.extend(pbir::report(&columns)?);
    let name = &report.model.name;
    project.insert(
        format!("{name}.pbip"),
        json(&serde_json::json!({
            "$schema": pbir::schema("pbip/pbipProperties/1.0.0"),
            "version": "1.0",
            "artifacts": [{"report": {"path": format!("{name}.Report")}}],
            "settings": {"enableAutoRecovery": true}
        })),
    );
    // What Power BI Desktop writes beside a project: its per-user state stays out of git.
    project.insert(".gitignore".into(), "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n".into());
    Ok(project)
}

/// Writes `project` into `dir`, first removing the files an earlier generation wrote there
/// (the project's folders), so a page or table dropped from the definition disappears.
pub fn write(project: &Project, report: &Report, dir: &Path) -> Result<(), PowerBiError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PowerBiError::Io { path, source }
    };
    let name = &report.model.name;
    for generated in [format!("{name}.SemanticModel"), format!("{name}.Report")] {
        let folder = dir.join(generated);
        if folder.exists() {
            std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
        }
    }
    for (relative, text) in project {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(())
}

/// Pretty JSON with a final newline, as Power BI Desktop writes it.
pub(crate) fn json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// A stable GUID for an object, derived from what it is (so regenerating changes nothing).
pub(crate) fn guid(what: &str) -> String {
    let h = blake3::hash(format!("medallion powerbi {what}").as_bytes()).to_hex();
    // Version-5 layout (name-based), variant bits 10.
    let variant = ["8", "9", "a", "b"][(h.as_bytes()[16] % 4) as usize];
    format!("{}-{}-5{}-{variant}{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::guid;

    #[test]
    fn guids_are_stable_well_formed_and_distinct() {
        let a = guid("table fct_sales");
        assert_eq!(a, guid("table fct_sales"));
        assert_ne!(a, guid("table fct_returns"));
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(&a[14..15], "5");
    }
}
