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
    /// The warehouse may lack the fact's table; its measures are then blank (not an error).
    #[serde(default)]
    pub optional: bool,
    /// The Power BI model imports the fact's table (false for a table outside Gold: its
    /// measures have no DAX and its visuals are the dashboard's only).
    #[serde(default = "yes")]
    pub powerbi: bool,
}

fn yes() -> bool {
    true
}

impl Fact {
    /// The Gold table the fact's rows come from: the first table of `from` (`gold.<table>`).
    pub fn gold_table(&self) -> Option<&str> {
        self.relation()?.strip_prefix("gold.")
    }

    /// The first relation of `from`, `schema.table`.
    pub fn relation(&self) -> Option<&str> {
        self.from.split_whitespace().next()
    }

    /// The names of `columns` (`alias.column` → `column`, `expression as name` → `name`).
    pub fn column_names(&self) -> Vec<&str> {
        self.columns
            .split(',')
            .map(|c| {
                let c = c.trim();
                match c.rsplit_once(" as ") {
                    Some((_, name)) => name.trim(),
                    None => c.rsplit('.').next().unwrap_or(c).trim(),
                }
            })
            .collect()
    }
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
    /// The model column the Power BI slicer filters, `table[column]`.
    pub powerbi: String,
}

/// A model column, `table[column]` in the definition (DAX's spelling).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnRef {
    /// The model table (a Gold table).
    pub table: String,
    /// The column.
    pub column: String,
}

impl ColumnRef {
    /// Parses `table[column]`.
    pub fn parse(text: &str) -> Option<ColumnRef> {
        let (table, rest) = text.trim().split_once('[')?;
        let column = rest.strip_suffix(']')?;
        let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (plain(table) && plain(column)).then(|| ColumnRef { table: table.to_string(), column: column.to_string() })
    }
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.table, self.column)
    }
}

/// A column a model table adds in Power Query (it is not in Gold).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddedColumn {
    /// Its name.
    pub name: String,
    /// Its type: `string`, `int64`, `double`, `boolean` or `dateTime`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// The Power Query function computing it from a row (`each ...`).
    pub m: String,
}

/// How the model imports one Gold table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelTable {
    /// A Power Query row condition (`each ...`): only these rows are imported.
    pub keep: Option<String>,
    /// Columns added in Power Query.
    #[serde(default)]
    pub add: Vec<AddedColumn>,
}

/// A star relationship: many rows of `from` to one row of `to`, filtering from `to` to `from`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    /// The fact's foreign key, `table[column]`.
    pub from: String,
    /// The dimension's key, `table[column]`.
    pub to: String,
}

/// The semantic model of the Power BI project.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The project's name (`<name>.pbip`).
    pub name: String,
    /// The table holding every measure.
    pub measures_table: String,
    /// The marked date table's date column, `table[column]`.
    pub date_table: String,
    /// Gold table name → how it is imported.
    pub tables: BTreeMap<String, ModelTable>,
    /// The relationships.
    pub relationships: Vec<Relationship>,
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
    /// The DAX expression of the Power BI measure (none for a measure of facts outside the
    /// Power BI model).
    pub dax: Option<String>,
    /// One DuckDB select returning the value, over the facts' CTEs (see the file's header).
    pub sql: String,
}

/// A field visuals group by: its label and, per fact that has it, the SQL expression giving it.
#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    /// What users read.
    pub label: String,
    /// The model column a Power BI visual's axis shows, `table[column]` (none for a field of
    /// facts outside the Power BI model only).
    pub powerbi: Option<String>,
    /// Fact name → expression.
    #[serde(flatten)]
    pub per_fact: BTreeMap<String, String>,
}

/// What a visual draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VisualKind {
    /// One measure, one number.
    Card,
    /// Measures by a field, as lines.
    Line,
    /// Measures by a field, as bars.
    Bar,
    /// Measures by a field, as rows (the top `limit` by the first measure).
    Table,
}

/// A visual of a page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visual {
    /// What it draws.
    pub kind: VisualKind,
    /// Its title (a card's is its measure).
    pub title: Option<String>,
    /// The measures it shows.
    pub measures: Vec<String>,
    /// The field it groups by (not for cards).
    pub by: Option<String>,
    /// For tables: how many rows.
    pub limit: Option<usize>,
}

impl Visual {
    /// The title shown: the given one, else the first measure's name.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or_else(|| self.measures.first().map_or("", String::as_str))
    }
}

/// A page of the report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Its name (the tab).
    pub name: String,
    /// Its visuals, in reading order.
    pub visuals: Vec<Visual>,
}

/// `analytics/report.yml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Fact name → fact.
    pub facts: BTreeMap<String, Fact>,
    /// The Power BI semantic model.
    pub model: Model,
    /// The slicers.
    pub slicers: Vec<SlicerDef>,
    /// The measures.
    pub measures: Vec<Measure>,
    /// Field name → field.
    pub fields: BTreeMap<String, Field>,
    /// The pages.
    pub pages: Vec<Page>,
    /// Fact name → the table holding its joined columns, once [`Report::materialize`] built it.
    #[serde(skip)]
    pub materialized: BTreeMap<String, String>,
    /// Optional facts whose table the warehouse lacks (found by [`Report::materialize`]).
    #[serde(skip)]
    pub absent: std::collections::BTreeSet<String>,
}

/// The identifiers of an SQL text.
fn sql_words(sql: &str) -> std::collections::BTreeSet<&str> {
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect()
}

/// The column a materialized fact holds field `name` in.
fn field_column(name: &str) -> String {
    format!("\"report_field_{name}\"")
}

/// Whether the warehouse has table or view `schema.table` (in the default catalog).
fn relation_exists(conn: &Connection, relation: &str) -> Result<bool, AnalyticsError> {
    let (schema, table) = relation.split_once('.').unwrap_or(("main", relation));
    let sql_error = |source| AnalyticsError::Sql { measure: format!("looking for {relation}"), source };
    let n: i64 = conn
        .query_row(
            "select count(*) from information_schema.tables where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, table],
            |r| r.get(0),
        )
        .map_err(sql_error)?;
    Ok(n > 0)
}

/// Opens a warehouse for the report: an in-memory DuckDB with the warehouse attached read-only
/// as the default catalog, so the report can build its working tables (in `memory`) without
/// writing to the warehouse.
pub fn open_warehouse(path: &Path) -> Result<Connection, AnalyticsError> {
    let sql_error = |source| AnalyticsError::Sql { measure: format!("opening {}", path.display()), source };
    if !path.is_file() {
        return Err(AnalyticsError::Io { path: path.to_path_buf(), source: std::io::Error::from(std::io::ErrorKind::NotFound) });
    }
    let conn = Connection::open_in_memory().map_err(sql_error)?;
    let quoted = path.display().to_string().replace('\'', "''");
    conn.execute_batch(&format!("attach '{quoted}' as warehouse (read_only); use warehouse")).map_err(sql_error)?;
    Ok(conn)
}

/// A warning for readers when the warehouse's latest transform run (`main.transform_runs`,
/// recorded by `medallion transform`) did not finish with success: Silver and Gold may then
/// mix two runs, or lack what a failed node builds. None when it did, or when no run is
/// recorded (a warehouse built by dbt alone).
pub fn transform_warning(conn: &Connection) -> Result<Option<String>, AnalyticsError> {
    if !relation_exists(conn, "main.transform_runs")? {
        return Ok(None);
    }
    let latest: Option<(i64, String, String)> = conn
        .query_row("select id, status, strftime(started_at, '%Y-%m-%d %H:%M') from main.transform_runs order by id desc limit 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .ok();
    Ok(latest.and_then(|(id, status, started)| match status.as_str() {
        "success" => None,
        "running" => Some(format!(
            "The latest transform (run {id}, started {started} UTC) has not finished: it is under way or was stopped, and Silver and Gold may mix two runs."
        )),
        _ => Some(format!("The latest transform (run {id}, started {started} UTC) failed: some Silver or Gold tables may be out of date.")),
    }))
}

/// A measure's value as DuckDB prints it; None is NULL (Power BI's blank).
pub type Value = Option<String>;
/// A value of a field a visual groups by; None is NULL.
pub type Group = Option<String>;
/// One row of a visual: its group (none for a card) and one value per measure.
pub type Row = (Group, Vec<Value>);

/// One visual's figures: per group (none for a card), one value per measure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VisualValues {
    /// The visual's title.
    pub title: String,
    /// What it draws.
    pub kind: VisualKind,
    /// The measures, in order.
    pub measures: Vec<String>,
    /// The field's label (none for a card).
    pub by: Option<String>,
    /// The value slicer filtering the same field, if any: choosing a group sets it (the
    /// dashboard's cross-filter on a click).
    pub slicer: Option<String>,
    /// (group value, one value per measure); a card has one row with no group.
    pub rows: Vec<Row>,
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
        for (name, field) in &report.fields {
            if let Some(fact) = field.per_fact.keys().find(|f| !report.facts.contains_key(*f)) {
                return Err(bad(format!("field `{name}` names fact `{fact}`, which the report does not define")));
            }
        }
        for page in &report.pages {
            for v in &page.visuals {
                let at = format!("page `{}`, visual `{}`", page.name, v.title());
                for m in &v.measures {
                    let Some(measure) = report.measures.iter().find(|x| &x.name == m) else {
                        return Err(bad(format!("{at}: no measure named `{m}`")));
                    };
                    if let Some(by) = &v.by {
                        let Some(field) = report.fields.get(by) else { return Err(bad(format!("{at}: no field named `{by}`"))) };
                        if let Some(fact) = report.facts_of(measure).into_iter().find(|f| !field.per_fact.contains_key(f)) {
                            return Err(bad(format!("{at}: measure `{m}` reads fact `{fact}`, which has no field `{by}`")));
                        }
                    }
                }
                match (v.kind, &v.by, v.measures.len()) {
                    (VisualKind::Card, None, 1) => {}
                    (VisualKind::Card, _, _) => return Err(bad(format!("{at}: a card shows one measure and groups by nothing"))),
                    (_, None, _) => return Err(bad(format!("{at}: a {:?} visual needs `by`", v.kind))),
                    (_, Some(_), 0) => return Err(bad(format!("{at}: no measures"))),
                    _ => {}
                }
            }
        }
        report.check_model().map_err(bad)?;
        let ranges: Vec<&str> = report.slicers.iter().filter(|s| s.kind == SlicerKind::Range).map(|s| s.name.as_str()).collect();
        if ranges != ["date"] {
            return Err(bad(format!("the report needs exactly one range slicer, `date` (found {ranges:?})")));
        }
        Ok(report)
    }

    /// The model's side of the definition: every `table[column]` names a model table, and the
    /// Power BI model filters what the SQL filters — a slicer's or an axis's column reaches a
    /// fact (same table, or a relationship from the fact to it) exactly when the SQL side
    /// filters or groups that fact by it.
    fn check_model(&self) -> Result<(), String> {
        let model = &self.model;
        let column = |what: &str, text: &str| -> Result<ColumnRef, String> {
            let c = ColumnRef::parse(text).ok_or_else(|| format!("{what}: `{text}` is not `table[column]`"))?;
            if !model.tables.contains_key(&c.table) {
                return Err(format!("{what}: `{text}` names table `{}`, which the model does not import", c.table));
            }
            Ok(c)
        };
        if model.tables.contains_key(&model.measures_table) {
            return Err(format!("the measures table `{}` has the name of a Gold table", model.measures_table));
        }
        column("model.date_table", &model.date_table)?;
        let mut edges = Vec::new();
        for r in &model.relationships {
            let (from, to) = (column("relationship", &r.from)?, column("relationship", &r.to)?);
            if from.table == to.table {
                return Err(format!("relationship {} → {}: a table cannot relate to itself", r.from, r.to));
            }
            edges.push((from.table, to.table));
        }
        // Star schema: a column of table `by` filters the rows of `fact` when they are the same
        // table or `fact` has a relationship to `by`.
        let reaches = |by: &str, fact: &str| by == fact || edges.iter().any(|(f, t)| f == fact && t == by);
        for measure in &self.measures {
            let in_model = self.facts_of(measure).iter().all(|f| self.facts[f].powerbi);
            if in_model != measure.dax.is_some() {
                return Err(format!(
                    "measure `{}`: {}",
                    measure.name,
                    if in_model {
                        "needs `dax` (its facts are in the Power BI model)"
                    } else {
                        "reads a fact outside the Power BI model, so it has no `dax`"
                    }
                ));
            }
        }
        for page in &self.pages {
            for v in &page.visuals {
                let with_dax = v.measures.iter().filter(|m| self.measures.iter().any(|x| &&x.name == m && x.dax.is_some())).count();
                if with_dax != 0 && with_dax != v.measures.len() {
                    return Err(format!("page `{}`, visual `{}`: mixes measures in and outside the Power BI model", page.name, v.title()));
                }
            }
        }
        for (name, fact) in self.facts.iter().filter(|(_, f)| f.powerbi) {
            let table = fact
                .gold_table()
                .ok_or_else(|| format!("fact `{name}`: `from` does not start with a gold table (or say `powerbi: false`)"))?;
            if !model.tables.contains_key(table) {
                return Err(format!("fact `{name}` reads gold.{table}, which the model does not import"));
            }
            for slicer in &self.slicers {
                let c = column(&format!("slicer `{}`", slicer.name), &slicer.powerbi)?;
                let sql_filters = fact.slicers.contains_key(&slicer.name);
                if sql_filters != reaches(&c.table, table) {
                    return Err(format!(
                        "slicer `{}`: in SQL it {} fact `{name}`, but in the model {c} {} {table}",
                        slicer.name,
                        if sql_filters { "filters" } else { "does not filter" },
                        if sql_filters { "does not reach" } else { "reaches" },
                    ));
                }
            }
        }
        for (name, field) in &self.fields {
            let in_model: Vec<&String> = field.per_fact.keys().filter(|f| self.facts[*f].powerbi).collect();
            let Some(powerbi) = &field.powerbi else {
                if let Some(fact) = in_model.first() {
                    return Err(format!("field `{name}` needs `powerbi` (fact `{fact}` is in the Power BI model)"));
                }
                continue;
            };
            let c = column(&format!("field `{name}`"), powerbi)?;
            for fact_name in in_model {
                let table = self.facts[fact_name].gold_table().unwrap_or_default();
                if !reaches(&c.table, table) {
                    return Err(format!("field `{name}`: fact `{fact_name}` has it in SQL, but in the model {c} does not reach {table}"));
                }
            }
        }
        Ok(())
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

    /// Builds each fact's joined columns once into a table of the in-memory catalog (see
    /// [`open_warehouse`]); later queries read it instead of joining again (at scale 1 a card
    /// drops from ~0.2 s to ~0.02 s). Same rows, same results.
    pub fn materialize(&mut self, conn: &Connection) -> Result<(), AnalyticsError> {
        for (name, fact) in &self.facts {
            if fact.optional && !relation_exists(conn, fact.relation().unwrap_or_default())? {
                self.absent.insert(name.clone());
                continue;
            }
            let table = format!("memory.main.\"report_{name}\"");
            // Each field of the fact computed once per row here, not per row and group later
            // (a month label is a strftime per row: at scale 1, 0.55 s of a page otherwise).
            let fields: Vec<String> = self
                .fields
                .iter()
                .filter_map(|(field, f)| Some(format!(", cast({} as varchar) as {}", f.per_fact.get(name)?, field_column(field))))
                .collect();
            let sql = format!(
                "create or replace table {table} as select *{} from (select {} from {})",
                fields.concat(),
                fact.columns.trim(),
                fact.from.trim()
            );
            conn.execute_batch(&sql).map_err(|source| AnalyticsError::Sql { measure: format!("building fact {name}"), source })?;
            self.materialized.insert(name.clone(), table);
        }
        Ok(())
    }

    /// What queries over fact `name` select from: its table once materialized, else its join.
    pub fn source(&self, name: &str, fact: &Fact) -> String {
        if self.absent.contains(name) {
            // No rows, the same column names: its measures are blank, its groups none.
            let nulls: Vec<String> = fact.column_names().iter().map(|c| format!("null as {c}")).collect();
            return format!("(select {} where false) as {name}_rows", nulls.join(", "));
        }
        match self.materialized.get(name) {
            Some(table) => table.clone(),
            None => format!("(select {} from {}) as {name}_rows", fact.columns.trim(), fact.from.trim()),
        }
    }

    /// The SQL giving field `field` (named `name`) on the rows of fact `fact`: its column once
    /// the fact is materialized, else its expression.
    fn field_sql(&self, fact: &str, name: &str, field: &Field) -> Option<String> {
        let expr = field.per_fact.get(fact)?;
        Some(if self.materialized.contains_key(fact) { field_column(name) } else { expr.clone() })
    }

    /// The filters and parameters of fact `name` under `slicers` (the date range unless
    /// `with_date` is false).
    fn filters(&self, fact: &Fact, slicers: &Slicers, with_date: bool) -> (Vec<String>, Vec<String>) {
        let mut filters = Vec::new();
        let mut params = Vec::new();
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
        (filters, params)
    }

    /// The facts a measure reads: those whose CTE (`F` or `F_all_dates`) its SQL names.
    pub fn facts_of(&self, measure: &Measure) -> Vec<String> {
        let words = sql_words(&measure.sql);
        self.facts.keys().filter(|f| words.contains(f.as_str()) || words.contains(format!("{f}_all_dates").as_str())).cloned().collect()
    }

    /// The query computing `measure` under `slicers`, and its parameters: each fact F as CTEs
    /// `F` (every slicer) and `F_all_dates` (every slicer but the date range), then the
    /// measure's select, its value cast to text so decimals keep every digit.
    pub fn query(&self, measure: &Measure, slicers: &Slicers) -> (String, Vec<String>) {
        let (ctes, params) = self.ctes(measure, slicers, None);
        (format!("with {ctes}\nselect cast((\n{}\n) as varchar)", measure.sql.trim()), params)
    }

    /// The facts' CTEs under `slicers`, each also filtered on `group` when it has the field:
    /// its expression equal to an SQL expression (the outer query's group column).
    fn ctes(&self, measure: &Measure, slicers: &Slicers, group: Option<(&str, &Field, &str)>) -> (String, Vec<String>) {
        let mut ctes = Vec::new();
        let mut params = Vec::new();
        // Only the CTEs the measure names: fewer relations for DuckDB to plan per group.
        let words = sql_words(&measure.sql);
        for (name, fact) in &self.facts {
            for (cte, with_date) in [(name.clone(), true), (format!("{name}_all_dates"), false)] {
                if !words.contains(cte.as_str()) {
                    continue;
                }
                let (mut filters, fact_params) = self.filters(fact, slicers, with_date);
                params.extend(fact_params);
                if let Some((field_name, field, value)) = group
                    && let Some(expr) = self.field_sql(name, field_name, field)
                {
                    filters.push(format!("cast({expr} as varchar) is not distinct from {value}"));
                }
                let filter = if filters.is_empty() { String::new() } else { format!("\n    where {}", filters.join(" and ")) };
                ctes.push(format!("{cte} as (\n    select * from {}{filter}\n)", self.source(name, fact)));
            }
        }
        (ctes.join(",\n"), params)
    }

    /// The value of measure `name` under `slicers`, as DuckDB prints it (None for NULL, a blank
    /// in Power BI).
    pub fn evaluate(&self, conn: &Connection, name: &str, slicers: &Slicers) -> Result<Value, AnalyticsError> {
        self.check_slicers(slicers)?;
        let measure = self.measure(name)?;
        let (sql, params) = self.query(measure, slicers);
        let sql_error = |source| AnalyticsError::Sql { measure: name.to_string(), source };
        let mut stmt = conn.prepare(&sql).map_err(sql_error)?;
        stmt.query_row(duckdb::params_from_iter(params.iter()), |r| r.get::<_, Option<String>>(0)).map_err(sql_error)
    }

    /// Measure `name` per value of field `by` in view, in the values' order (NULL last): one
    /// query, the measure computed per group with the group as one more filter (a correlated
    /// subquery DuckDB runs as one pass, not one query per group).
    pub fn evaluate_by(&self, conn: &Connection, name: &str, by: &str, slicers: &Slicers) -> Result<Vec<(Group, Value)>, AnalyticsError> {
        self.check_slicers(slicers)?;
        let measure = self.measure(name)?;
        let field = self.fields.get(by).ok_or_else(|| AnalyticsError::BadRequest(format!("no field named `{by}`")))?;
        let mut values = Vec::new();
        let mut params = Vec::new();
        for fact_name in self.facts_of(measure) {
            let fact = &self.facts[&fact_name];
            let Some(expr) = self.field_sql(&fact_name, by, field) else { continue };
            let (filters, fact_params) = self.filters(fact, slicers, true);
            params.extend(fact_params);
            let filter = if filters.is_empty() { String::new() } else { format!(" where {}", filters.join(" and ")) };
            values.push(format!("select cast({expr} as varchar) as report_group from {}{filter}", self.source(&fact_name, fact)));
        }
        let (ctes, inner_params) = self.ctes(measure, slicers, Some((by, field, "report_groups.report_group")));
        params.extend(inner_params);
        let sql = format!(
            "with report_groups as (\n{}\n)\nselect report_group, cast((\n    with {ctes}\n    select (\n{}\n)) as varchar)\nfrom (select distinct report_group from report_groups) report_groups\norder by report_group nulls last",
            values.join("\nunion\n"),
            measure.sql.trim()
        );
        let sql_error = |source| AnalyticsError::Sql { measure: format!("{name} by {by}"), source };
        let mut stmt = conn.prepare(&sql).map_err(sql_error)?;
        let rows = stmt
            .query_map(duckdb::params_from_iter(params.iter()), |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(sql_error)?;
        Ok(rows)
    }

    /// Every visual of page `name` under `slicers`: what the dashboard draws.
    pub fn evaluate_page(&self, conn: &Connection, name: &str, slicers: &Slicers) -> Result<Vec<VisualValues>, AnalyticsError> {
        let page = self.pages.iter().find(|p| p.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.pages.iter().map(|p| p.name.as_str()).collect();
            AnalyticsError::BadRequest(format!("no page named `{name}` (pages: {})", names.join(", ")))
        })?;
        page.visuals.iter().map(|v| self.evaluate_visual(conn, v, slicers)).collect()
    }

    /// One visual's figures under `slicers`.
    fn evaluate_visual(&self, conn: &Connection, v: &Visual, slicers: &Slicers) -> Result<VisualValues, AnalyticsError> {
        let rows = match &v.by {
            None => {
                let values = v.measures.iter().map(|m| self.evaluate(conn, m, slicers)).collect::<Result<Vec<_>, _>>()?;
                vec![(None, values)]
            }
            Some(by) => self.grouped_rows(conn, v, by, slicers)?,
        };
        Ok(VisualValues {
            title: v.title().to_string(),
            kind: v.kind,
            measures: v.measures.clone(),
            by: v.by.as_ref().map(|b| self.fields[b].label.clone()),
            slicer: v.by.as_ref().filter(|b| self.slicers.iter().any(|s| &&s.name == b && s.kind == SlicerKind::Value)).cloned(),
            rows,
        })
    }

    /// A grouped visual's rows: the union of its measures' groups, one value per measure (blank
    /// where a measure has no such group); a table keeps its top `limit` rows by the first
    /// measure.
    #[allow(clippy::type_complexity)]
    fn grouped_rows(
        &self,
        conn: &Connection,
        v: &Visual,
        by: &str,
        slicers: &Slicers,
    ) -> Result<Vec<(Option<String>, Vec<Option<String>>)>, AnalyticsError> {
        let per_measure = v.measures.iter().map(|m| self.evaluate_by(conn, m, by, slicers)).collect::<Result<Vec<_>, _>>()?;
        let mut groups: Vec<Group> = Vec::new();
        for values in &per_measure {
            for (g, _) in values {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
        }
        groups.sort_by(|a, b| match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        let mut rows: Vec<Row> = groups
            .into_iter()
            .map(|g| {
                let values =
                    per_measure.iter().map(|values| values.iter().find(|(x, _)| *x == g).and_then(|(_, value)| value.clone())).collect();
                (g, values)
            })
            .collect();
        if v.kind == VisualKind::Table {
            let first = |row: &Row| -> f64 { row.1.first().cloned().flatten().and_then(|x| x.parse().ok()).unwrap_or(f64::NEG_INFINITY) };
            rows.sort_by(|a, b| first(b).total_cmp(&first(a)));
            rows.truncate(v.limit.unwrap_or(10));
        }
        Ok(rows)
    }
}
