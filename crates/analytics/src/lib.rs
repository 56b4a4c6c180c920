//! The report on Gold, defined once in `analytics/report.yml` ([`Report`]): the facts it reads,
//! its slicers and its measures, each with a plain-words definition, a DAX expression (for the
//! Power BI project) and a DuckDB SQL query (for the dashboard and for proving the numbers).
//! [`Report::evaluate`] computes a measure on a warehouse under [`Slicers`].
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use serde::Deserialize;

/// Why the report could not be loaded or a measure computed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The definition file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The definition file is not valid YAML of the expected shape.
    #[error("{}:{line}: {message}", path.display())]
    Definition {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A measure, slicer or value that the report does not have, or a malformed value.
    #[error("{0}")]
    BadRequest(String),
    /// DuckDB refused a query.
    #[error("measure {measure}: {source}")]
    Sql {
        /// The measure computed.
        measure: String,
        /// What DuckDB said.
        source: duckdb::Error,
    },
}

/// A Gold fact joined with its dimensions, as measures read it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// The `from` clause: the fact and its joins.
    pub from: String,
    /// The columns measures may read.
    pub columns: String,
    /// Slicer name → the column it filters in this fact.
    pub slicers: BTreeMap<String, String>,
}

/// How a slicer filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlicerKind {
    /// A date range (from, to), both ends included.
    Range,
    /// One value.
    Value,
}

/// A slicer every page shows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlicerDef {
    /// Its name in requests and in facts' `slicers`.
    pub name: String,
    /// What users read.
    pub label: String,
    /// Range or single value.
    pub kind: SlicerKind,
}

/// A measure, in words, DAX and SQL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// Its name (unique; Power BI's measure name).
    pub name: String,
    /// The display folder.
    pub folder: String,
    /// The format string (Power BI's).
    pub format: String,
    /// What it means, in plain words.
    pub definition: String,
    /// The DAX expression of the Power BI measure.
    pub dax: String,
    /// One DuckDB select returning the value, over the facts' CTEs (see the file's header).
    pub sql: String,
}

/// `analytics/report.yml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Fact name → fact.
    pub facts: BTreeMap<String, Fact>,
    /// The slicers.
    pub slicers: Vec<SlicerDef>,
    /// The measures.
    pub measures: Vec<Measure>,
}

/// The slicer values of a request: a date range and single values by slicer name. Values are
/// bound as parameters, never spliced into SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slicers {
    /// Inclusive date range, `YYYY-MM-DD`.
    pub date: Option<(String, String)>,
    /// Slicer name → value (compared with the column as text).
    pub values: BTreeMap<String, String>,
}

impl Slicers {
    /// No slicer set.
    pub fn none() -> Slicers {
        Slicers::default()
    }

    /// Adds a single-value slicer.
    pub fn with(mut self, name: &str, value: &str) -> Slicers {
        self.values.insert(name.to_string(), value.to_string());
        self
    }

    /// Sets the date range.
    pub fn between(mut self, from: &str, to: &str) -> Slicers {
        self.date = Some((from.to_string(), to.to_string()));
        self
    }
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let (month, day): (u32, u32) = (s[5..7].parse().unwrap_or(0), s[8..10].parse().unwrap_or(0));
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

impl Report {
    /// Loads and checks the definition: unique measure names, facts' slicers among the
    /// report's slicers, exactly one range slicer named `date`.
    pub fn load(path: &Path) -> Result<Report, AnalyticsError> {
        let text = std::fs::read_to_string(path).map_err(|source| AnalyticsError::Io { path: path.to_path_buf(), source })?;
        let report: Report = serde_yaml_ng::from_str(&text).map_err(|e| AnalyticsError::Definition {
            path: path.to_path_buf(),
            line: e.location().map_or(0, |l| l.line()),
            message: e.to_string(),
        })?;
        let bad = |message: String| AnalyticsError::Definition { path: path.to_path_buf(), line: 0, message };
        let mut seen = std::collections::BTreeSet::new();
        for m in &report.measures {
            if !seen.insert(m.name.as_str()) {
                return Err(bad(format!("measure `{}` is defined twice", m.name)));
            }
        }
        for (name, fact) in &report.facts {
            for slicer in fact.slicers.keys() {
                if !report.slicers.iter().any(|s| &s.name == slicer) {
                    return Err(bad(format!("fact `{name}` names slicer `{slicer}`, which the report does not define")));
                }
            }
        }
        let ranges: Vec<&str> = report.slicers.iter().filter(|s| s.kind == SlicerKind::Range).map(|s| s.name.as_str()).collect();
        if ranges != ["date"] {
            return Err(bad(format!("the report needs exactly one range slicer, `date` (found {ranges:?})")));
        }
        Ok(report)
    }

    /// The measure named `name`.
    pub fn measure(&self, name: &str) -> Result<&Measure, AnalyticsError> {
        self.measures.iter().find(|m| m.name == name).ok_or_else(|| AnalyticsError::BadRequest(format!("no measure named `{name}`")))
    }

    /// Checks slicer names and values: a 4xx-style error naming what is wrong.
    pub fn check_slicers(&self, slicers: &Slicers) -> Result<(), AnalyticsError> {
        if let Some((from, to)) = &slicers.date {
            for d in [from, to] {
                if !is_date(d) {
                    return Err(AnalyticsError::BadRequest(format!("date `{d}` is not YYYY-MM-DD")));
                }
            }
            if from > to {
                return Err(AnalyticsError::BadRequest(format!("date range {from} … {to} ends before it starts")));
            }
        }
        for name in slicers.values.keys() {
            match self.slicers.iter().find(|s| &s.name == name) {
                Some(s) if s.kind == SlicerKind::Value => {}
                Some(_) => return Err(AnalyticsError::BadRequest(format!("slicer `{name}` takes a range"))),
                None => {
                    let known: Vec<&str> = self.slicers.iter().map(|s| s.name.as_str()).collect();
                    return Err(AnalyticsError::BadRequest(format!("no slicer named `{name}` (slicers: {})", known.join(", "))));
                }
            }
        }
        Ok(())
    }

    /// The query computing `measure` under `slicers`, and its parameters: each fact F as CTEs
    /// `F` (every slicer) and `F_all_dates` (every slicer but the date range), then the
    /// measure's select, its value cast to text so decimals keep every digit.
    pub fn query(&self, measure: &Measure, slicers: &Slicers) -> (String, Vec<String>) {
        let mut ctes = Vec::new();
        let mut params = Vec::new();
        for (name, fact) in &self.facts {
            for (cte, with_date) in [(name.clone(), true), (format!("{name}_all_dates"), false)] {
                let mut filters = Vec::new();
                if let (true, Some((from, to)), Some(column)) = (with_date, &slicers.date, fact.slicers.get("date")) {
                    filters.push(format!("{column} between cast(? as date) and cast(? as date)"));
                    params.push(from.clone());
                    params.push(to.clone());
                }
                for (slicer, value) in &slicers.values {
                    if let Some(column) = fact.slicers.get(slicer) {
                        filters.push(format!("cast({column} as varchar) = ?"));
                        params.push(value.clone());
                    }
                }
                let filter = if filters.is_empty() { String::new() } else { format!("\n    where {}", filters.join(" and ")) };
                ctes.push(format!("{cte} as (\n    select {}\n    from {}{filter}\n)", fact.columns.trim(), fact.from.trim()));
            }
        }
        (format!("with {}\nselect cast((\n{}\n) as varchar)", ctes.join(",\n"), measure.sql.trim()), params)
    }

    /// The value of measure `name` under `slicers`, as DuckDB prints it (None for NULL, a blank
    /// in Power BI).
    pub fn evaluate(&self, conn: &Connection, name: &str, slicers: &Slicers) -> Result<Option<String>, AnalyticsError> {
        self.check_slicers(slicers)?;
        let measure = self.measure(name)?;
        let (sql, params) = self.query(measure, slicers);
        let sql_error = |source| AnalyticsError::Sql { measure: name.to_string(), source };
        let mut stmt = conn.prepare(&sql).map_err(sql_error)?;
        stmt.query_row(duckdb::params_from_iter(params.iter()), |r| r.get::<_, Option<String>>(0)).map_err(sql_error)
    }
}
