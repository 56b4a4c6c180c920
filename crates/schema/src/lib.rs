//! The one description of medallion's raw tables.
//!
//! Everything here is derived from `schemas/schemas.py` (embedded at compile time): Arrow schemas,
//! keys, file formats, path patterns and partitioning. The [`anomaly`] module is the catalogue of
//! anomaly kinds the generator seeds and downstream layers must catch; [`truth`] is the format of the
//! ground-truth log in which the generator records each one, read back by the checks.
#![warn(missing_docs)]

pub mod anomaly;
pub mod calendar;
pub mod profile;
mod pyarrow;
pub mod truth;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use arrow_schema::{Schema, SchemaRef};

pub use anomaly::AnomalyKind;

/// The canonical module text, as committed.
pub const CANONICAL_SOURCE: &str = include_str!("../../../schemas/schemas.py");

/// Why the catalogue refused something.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The canonical module does not parse.
    #[error("schemas/schemas.py line {line}: {message}")]
    Parse {
        /// 1-based line (0: the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A table's entry is incomplete or contradictory.
    #[error("schemas/schemas.py: table `{table}`: {message}")]
    Table {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A name that is no table.
    #[error(
        "unknown table `{0}` (known: customers, products, stores, suppliers, orders_header, orders_lines, events, sensors, exchange_rates, shipments, returns)"
    )]
    UnknownTable(String),
    /// A path pattern that cannot be rendered with the values given.
    #[error("path pattern `{pattern}`: {message}")]
    PathPattern {
        /// The pattern.
        pattern: String,
        /// What is missing or wrong.
        message: String,
    },
}

/// The eleven raw tables. The list is checked against `RAW_TABLES` in schemas.py by a test.
/// Serialized as its name (`orders_header`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// `customers.csv` (and increments).
    Customers,
    /// `products.csv` (and increments).
    Products,
    /// `stores.csv`.
    Stores,
    /// `suppliers.csv`.
    Suppliers,
    /// Daily `orders_header` CSV files.
    OrdersHeader,
    /// Daily `orders_lines` CSV files.
    OrdersLines,
    /// Daily clickstream JSONL files.
    Events,
    /// Sensor CSV files per store and month.
    Sensors,
    /// The exchange-rates XLSX workbook (and increments).
    ExchangeRates,
    /// Shipments Parquet files per month.
    Shipments,
    /// The returns Delta table.
    Returns,
}

impl Table {
    /// Every table, in catalogue order.
    pub const ALL: [Table; 11] = [
        Table::Customers,
        Table::Products,
        Table::Stores,
        Table::Suppliers,
        Table::OrdersHeader,
        Table::OrdersLines,
        Table::Events,
        Table::Sensors,
        Table::ExchangeRates,
        Table::Shipments,
        Table::Returns,
    ];

    /// The table's name (as in paths, SQL and the log).
    pub fn name(self) -> &'static str {
        match self {
            Table::Customers => "customers",
            Table::Products => "products",
            Table::Stores => "stores",
            Table::Suppliers => "suppliers",
            Table::OrdersHeader => "orders_header",
            Table::OrdersLines => "orders_lines",
            Table::Events => "events",
            Table::Sensors => "sensors",
            Table::ExchangeRates => "exchange_rates",
            Table::Shipments => "shipments",
            Table::Returns => "returns",
        }
    }

    /// The table's catalogue entry.
    pub fn raw(self) -> &'static RawTable {
        &catalogue().tables[self as usize]
    }

    /// The canonical Arrow schema.
    pub fn schema(self) -> SchemaRef {
        self.raw().schema.clone()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Table {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Table::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| SchemaError::UnknownTable(s.to_string()))
    }
}

/// Hears how many rows of a table a long run has produced or read (for progress bars); called
/// from worker threads. The generator reports rows written, Bronze rows read.
pub trait Progress: Sync {
    /// `rows` more rows of `table`.
    fn rows(&self, table: Table, rows: u64);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn rows(&self, _: Table, _: u64) {}
}

/// How a raw table is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// An Excel workbook.
    Xlsx,
    /// Parquet files.
    Parquet,
    /// A Delta Lake table.
    Delta,
}

impl RawFormat {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "csv" => RawFormat::Csv,
            "jsonl" => RawFormat::Jsonl,
            "xlsx" => RawFormat::Xlsx,
            "parquet" => RawFormat::Parquet,
            "delta" => RawFormat::Delta,
            _ => return None,
        })
    }
}

/// One raw table as the canonical file describes it.
#[derive(Debug, Clone)]
pub struct RawTable {
    /// The table.
    pub table: Table,
    /// Its canonical schema.
    pub schema: SchemaRef,
    /// Its file format.
    pub format: RawFormat,
    /// Path pattern of a base run under `data_raw/` (see [`PathVars`]).
    pub path: String,
    /// Path pattern of an increment's changes for snapshot-style sources.
    pub increment_path: Option<String>,
    /// Key columns.
    pub primary_key: Vec<String>,
    /// The business key, if any.
    pub natural_key: Option<String>,
    /// Partition columns of the raw layout.
    pub partition_by: Vec<String>,
    /// Envelope fields every JSON line must carry (events).
    pub required_json_fields: Vec<String>,
}

impl RawTable {
    /// Column names in canonical order.
    pub fn column_names(&self) -> Vec<&str> {
        self.schema.fields().iter().map(|f| f.name().as_str()).collect()
    }
}

/// Values substituted into a path pattern.
#[derive(Debug, Default, Clone)]
pub struct PathVars<'a> {
    /// `{date}`, `YYYY-MM-DD`.
    pub date: Option<&'a str>,
    /// `{month}`, `YYYY-MM`.
    pub month: Option<&'a str>,
    /// `{part}`.
    pub part: Option<u32>,
    /// `{store_id}`.
    pub store_id: Option<i64>,
    /// `{from}`, `YYYY-MM-DD`.
    pub from: Option<&'a str>,
    /// `{to}`, `YYYY-MM-DD`.
    pub to: Option<&'a str>,
}

/// Renders a path pattern: `{name}` or `{part:05}` (zero-padded). A placeholder without a value
/// is an error naming it, so a caller can never write a file with a literal `{date}` in its name.
pub fn render_path(pattern: &str, vars: &PathVars<'_>) -> Result<String, SchemaError> {
    let bad = |message: String| SchemaError::PathPattern { pattern: pattern.to_string(), message };
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or_else(|| bad("unclosed placeholder".into()))? + open;
        let spec = &rest[open + 1..close];
        let (name, width) = match spec.split_once(':') {
            Some((n, w)) => (n, w.parse::<usize>().map_err(|_| bad(format!("bad width in {{{spec}}}")))?),
            None => (spec, 0),
        };
        let missing = || bad(format!("no value for {{{name}}}"));
        let value = match name {
            "date" => vars.date.ok_or_else(missing)?.to_string(),
            "month" => vars.month.ok_or_else(missing)?.to_string(),
            "from" => vars.from.ok_or_else(missing)?.to_string(),
            "to" => vars.to.ok_or_else(missing)?.to_string(),
            "part" => vars.part.ok_or_else(missing)?.to_string(),
            "store_id" => vars.store_id.ok_or_else(missing)?.to_string(),
            other => return Err(bad(format!("unknown placeholder {{{other}}}"))),
        };
        for _ in value.len()..width {
            out.push('0');
        }
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Matches a relative path (with `/` separators) against a path pattern and returns the
/// placeholder values, e.g. `orders_header/order_dt={date}/part-{part:05}.csv` against
/// `orders_header/order_dt=2024-01-02/part-00001.csv` gives `date = 2024-01-02, part = 00001`.
/// A placeholder matches one or more characters other than `/`.
pub fn match_path(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let Some(open) = pattern.find('{') else { return (pattern == path).then(Vec::new) };
    let close = pattern[open..].find('}')? + open;
    let name = pattern[open + 1..close].split(':').next().unwrap_or_default();
    let (literal, rest) = (&pattern[..open], &pattern[close + 1..]);
    let tail = path.strip_prefix(literal)?;
    // Shortest value first; the literal after the placeholder decides where it ends.
    for n in 1..=tail.len() {
        if tail[..n].contains('/') {
            break;
        }
        if !tail.is_char_boundary(n) {
            continue;
        }
        if let Some(mut values) = match_path(rest, &tail[n..]) {
            values.insert(0, (name.to_string(), tail[..n].to_string()));
            return Some(values);
        }
    }
    None
}

/// The whole catalogue.
#[derive(Debug)]
pub struct Catalogue {
    tables: Vec<RawTable>,
    /// Returns after schema evolution (adds `return_reason_code`).
    pub returns_evolved: SchemaRef,
}

impl Catalogue {
    /// Every table's entry, in [`Table::ALL`] order.
    pub fn tables(&self) -> &[RawTable] {
        &self.tables
    }
}

fn split_list(v: Option<&String>) -> Vec<String> {
    v.map(|s| s.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()).unwrap_or_default()
}

/// Builds the catalogue from module text; public so tests can feed it broken variants.
pub fn build_catalogue(src: &str) -> Result<Catalogue, SchemaError> {
    let module = pyarrow::parse(src)?;
    let listed = module.lists.get("RAW_TABLES").ok_or_else(|| SchemaError::Parse { line: 0, message: "RAW_TABLES is missing".into() })?;
    let names: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    if listed.iter().map(String::as_str).ne(names.iter().copied()) {
        return Err(SchemaError::Parse { line: 0, message: format!("RAW_TABLES is {listed:?}, the crate knows {names:?}") });
    }
    let mut tables = Vec::with_capacity(Table::ALL.len());
    for table in Table::ALL {
        let schema = module.schema(table.name()).expect("listed tables are defined").clone();
        let bad = |message: String| SchemaError::Table { table: table.name().to_string(), message };
        let md = schema.metadata();
        let format =
            md.get("format").and_then(|f| RawFormat::parse(f)).ok_or_else(|| bad("metadata `format` missing or unknown".into()))?;
        let path = md.get("path").cloned().ok_or_else(|| bad("metadata `path` missing".into()))?;
        let primary_key = split_list(md.get("primary_key"));
        if primary_key.is_empty() {
            return Err(bad("metadata `primary_key` missing".into()));
        }
        let required_json_fields = split_list(md.get("required_json_fields"));
        // Key columns must exist and be non-nullable, except JSON keys that live inside the line.
        for key in &primary_key {
            match schema.field_with_name(key) {
                Ok(f) if f.is_nullable() => return Err(bad(format!("key column `{key}` is nullable"))),
                Ok(_) => {}
                Err(_) if required_json_fields.contains(key) => {}
                Err(_) => return Err(bad(format!("key column `{key}` is not a column"))),
            }
        }
        let natural_key = md.get("natural_key").cloned();
        if let Some(nk) = &natural_key {
            schema.field_with_name(nk).map_err(|_| bad(format!("natural key `{nk}` is not a column")))?;
        }
        tables.push(RawTable {
            table,
            format,
            path,
            increment_path: md.get("increment_path").cloned(),
            primary_key,
            natural_key,
            partition_by: split_list(md.get("partition_by")),
            required_json_fields,
            schema,
        });
    }
    let returns_evolved = module
        .schema("returns_evolved")
        .cloned()
        .ok_or_else(|| SchemaError::Parse { line: 0, message: "returns_evolved is missing".into() })?;
    Ok(Catalogue { tables, returns_evolved })
}

static CATALOGUE: LazyLock<Catalogue> =
    LazyLock::new(|| build_catalogue(CANONICAL_SOURCE).unwrap_or_else(|e| panic!("the committed canonical schema file is invalid: {e}")));

/// The catalogue of the committed `schemas/schemas.py`. Its validity is a tested build invariant,
/// not user input, which is why an invalid file panics here.
pub fn catalogue() -> &'static Catalogue {
    &CATALOGUE
}

/// The Arrow schema of returns after its schema evolution.
pub fn returns_evolved_schema() -> Arc<Schema> {
    catalogue().returns_evolved.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::DataType;

    #[test]
    fn committed_file_describes_all_eleven_tables() {
        let cat = catalogue();
        assert_eq!(cat.tables().len(), 11);
        for t in Table::ALL {
            assert_eq!(t.raw().table, t);
            assert_eq!(t.name().parse::<Table>().unwrap(), t);
        }
        assert!(matches!("nope".parse::<Table>(), Err(SchemaError::UnknownTable(_))));
    }

    #[test]
    fn spec_facts_hold() {
        // A few facts of SPEC §2 that would silently break downstream if the file drifted.
        assert_eq!(Table::Customers.raw().column_names().len(), 18);
        assert_eq!(Table::Products.schema().field_with_name("current_price").unwrap().data_type(), &DataType::Decimal128(12, 4));
        assert_eq!(Table::OrdersLines.raw().primary_key, vec!["order_id", "line_number"]);
        assert_eq!(Table::Sensors.raw().partition_by, vec!["store_id", "month"]);
        assert_eq!(Table::Events.raw().required_json_fields.len(), 5);
        assert_eq!(Table::Returns.raw().format, RawFormat::Delta);
        let evolved = returns_evolved_schema();
        assert_eq!(evolved.fields().len(), Table::Returns.schema().fields().len() + 1);
        assert_eq!(evolved.fields().last().unwrap().name(), "return_reason_code");
    }

    #[test]
    fn drift_is_caught() {
        let renamed =
            CANONICAL_SOURCE.replace("pa.field(\"customer_id\", pa.int64(), nullable=False)", "pa.field(\"customer_id\", pa.int64())");
        assert!(build_catalogue(&renamed).unwrap_err().to_string().contains("nullable"));
        let dropped = CANONICAL_SOURCE.replace("    shipments,\n    returns,\n]", "    shipments,\n]");
        assert!(build_catalogue(&dropped).is_err());
    }

    #[test]
    fn paths_match_their_patterns() {
        let raw = Table::OrdersHeader.raw();
        let m = match_path(&raw.path, "orders_header/order_dt=2024-01-02/part-00001.csv").unwrap();
        assert_eq!(m, vec![("date".to_string(), "2024-01-02".to_string()), ("part".to_string(), "00001".to_string())]);
        assert!(match_path(&raw.path, "orders_header/order_dt=2024-01-02/x/part-00001.csv").is_none());
        assert!(match_path(&raw.path, "orders_lines/order_dt=2024-01-02/part-00001.csv").is_none());
        assert_eq!(match_path("customers.csv", "customers.csv"), Some(vec![]));
        let inc = Table::Customers.raw().increment_path.clone().unwrap();
        assert!(match_path(&inc, "customers_increments/2026-01-01_2026-01-02.csv").is_some());
    }

    #[test]
    fn paths_render() {
        let p = render_path(&Table::OrdersHeader.raw().path, &PathVars { date: Some("2024-01-02"), part: Some(3), ..Default::default() })
            .unwrap();
        assert_eq!(p, "orders_header/order_dt=2024-01-02/part-00003.csv");
        let e = render_path(&Table::Sensors.raw().path, &PathVars::default()).unwrap_err();
        assert!(e.to_string().contains("no value for {store_id}"), "{e}");
    }
}
