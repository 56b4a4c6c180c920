//! The realism report of a generated raw dataset: the figures a reviewer checks before trusting
//! generated data — when orders happen (weekday, month, local hour), how they spread over
//! customers and products, basket sizes, prices and discounts, deliveries per carrier against
//! its SLA, sensor readings per shelf, and each anomaly kind's rate against the catalogue —
//! each against a target range. The targets are scale-free (shares, ratios to the mean), so one
//! report holds from scale 0.01 to 10; docs/decisions.md says where they come from.
//!
//! It reads the raw files with DuckDB, as a reviewer would, not the generator's memory.

use std::fmt::Write as _;
use std::path::Path;

use duckdb::Connection;
use medallion_schema::AnomalyKind;
use medallion_schema::Table;
use medallion_schema::anomaly::ANOMALIES;
use medallion_schema::profile::{PROFILE_FILE, Profile};

use crate::QualityError;

/// How a figure is printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A fraction, printed as a percentage.
    Share,
    /// A plain number.
    Number,
    /// Days.
    Days,
}

/// One figure of the report, with its target range when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What it is about (`orders by weekday`, `anomalies`, …).
    pub section: &'static str,
    /// The figure's name within the section.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// The accepted range (inclusive); None for a figure given for information.
    pub target: Option<(f64, f64)>,
    /// How to print value and target.
    pub unit: Unit,
}

impl Figure {
    /// A figure judged against `target` (inclusive).
    fn checked(section: &'static str, name: impl Into<String>, value: f64, target: (f64, f64), unit: Unit) -> Self {
        Figure { section, name: name.into(), value, target: Some(target), unit }
    }

    /// A figure given for information.
    fn info(section: &'static str, name: impl Into<String>, value: f64, unit: Unit) -> Self {
        Figure { section, name: name.into(), value, target: None, unit }
    }

    /// Whether the value lies in its target range (a figure without a target always does).
    pub fn in_range(&self) -> bool {
        self.target.is_none_or(|(low, high)| low <= self.value && self.value <= high)
    }
}

/// A carrier and its delivery promise (the generator's world, passed in: this crate never
/// depends on the generator).
#[derive(Debug, Clone)]
pub struct CarrierSla {
    /// The carrier's name as the shipments write it.
    pub carrier: String,
    /// Days from dispatch to delivery it promises.
    pub sla_days: f64,
}

/// The report: every figure, in print order.
#[derive(Debug, Clone)]
pub struct RealismReport {
    /// The figures.
    pub figures: Vec<Figure>,
}

impl RealismReport {
    /// The figures outside their target range.
    pub fn out_of_range(&self) -> Vec<&Figure> {
        self.figures.iter().filter(|f| !f.in_range()).collect()
    }

    /// The report as a table: status, section, figure, value, target.
    pub fn render(&self) -> String {
        let mut out = format!("{:<6} {:<22} {:<34} {:>12}  {}\n", "status", "section", "figure", "value", "target");
        for f in &self.figures {
            let status = match (f.target, f.in_range()) {
                (None, _) => "",
                (Some(_), true) => "OK",
                (Some(_), false) => "OUT",
            };
            let target = f.target.map_or(String::new(), |(low, high)| format!("{} – {}", show(low, f.unit), show(high, f.unit)));
            let line = format!("{status:<6} {:<22} {:<34} {:>12}  {target}", f.section, f.name, show(f.value, f.unit));
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let out_of_range = self.out_of_range().len();
        let checked = self.figures.iter().filter(|f| f.target.is_some()).count();
        let _ = writeln!(out, "{} of {checked} figures in their target range", checked - out_of_range);
        out
    }
}

fn show(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Share if value != 0.0 && value.abs() < 0.001 => format!("{:.4} %", value * 100.0),
        Unit::Share => format!("{:.2} %", value * 100.0),
        Unit::Days => format!("{value:.2} d"),
        Unit::Number if value.fract() == 0.0 && value.abs() < 1e15 => format!("{value:.0}"),
        Unit::Number => format!("{value:.2}"),
    }
}

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// The report of the dataset under `raw` (what `medallion gen` wrote). Sections whose files are
/// absent (a `--tables` subset) are left out.
pub fn report(raw: &Path, carriers: &[CarrierSla]) -> Result<RealismReport, QualityError> {
    // Anomaly rates are judged against the profile the data was made with.
    let profile_file = raw.join(PROFILE_FILE);
    let profile = if profile_file.exists() {
        Profile::load(&profile_file).map_err(|e| QualityError::Config(e.to_string()))?
    } else {
        Profile::default()
    };
    let conn = Connection::open_in_memory()?;
    let sources = Sources::new(raw);
    let mut figures = Vec::new();
    let orders = "try_cast(order_dt_local as date) as order_day, try_cast(substr(order_ts, 12, 2) as integer) as local_hour, \
                  try_cast(customer_id as bigint) as customer_id";
    if sources.define(&conn, "orders", Table::OrdersHeader, orders)? {
        orders_in_time(&conn, &mut figures)?;
        if sources.define(&conn, "customers", Table::Customers, "try_cast(customer_id as bigint) as customer_id")? {
            spread(
                &conn,
                &mut figures,
                "orders per customer",
                "customers",
                "customer_id",
                "orders",
                "customer_id",
                (0.55, 0.85),
                Some((3.0, 40.0)),
                None,
            )?;
        }
    }
    let lines = "try_cast(order_id as bigint) as order_id, try_cast(product_id as bigint) as product_id, \
                 try_cast(unit_price as double) as unit_price, try_cast(line_discount_pct as double) as discount, try_cast(qty as double) as qty";
    if sources.define(&conn, "lines", Table::OrdersLines, lines)? {
        if sources.define(&conn, "products", Table::Products, "try_cast(product_id as bigint) as product_id")? {
            // Products have a head of bestsellers of a fixed size, not a fixed share: the top
            // product's share of lines is the figure to hold (around a percent), not its ratio
            // to a mean that shrinks as the catalogue grows.
            spread(
                &conn,
                &mut figures,
                "lines per product",
                "products",
                "product_id",
                "lines",
                "product_id",
                (0.45, 0.92),
                None,
                Some((0.002, 0.03)),
            )?;
        }
        baskets_and_prices(&conn, &mut figures)?;
    }
    if sources.define(&conn, "shipments", Table::Shipments, "carrier, epoch(delivered_at - shipped_at) / 86400 as delivery_days")? {
        deliveries(&conn, &mut figures, carriers, &profile)?;
    }
    if sources.define(&conn, "sensors", Table::Sensors, "store_id, shelf_id, nullif(left(sensor_ts, 10), '') as day")? {
        let (per_day, shelves): (f64, i64) = conn.query_row(
            "select count(*) / count(distinct (store_id, shelf_id, day)), count(distinct (store_id, shelf_id))
             from sensors where day is not null",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        figures.push(Figure::info("sensor readings", "shelves", shelves as f64, Unit::Number));
        // Hourly readings: 24 a day, less the few rejected for a missing timestamp.
        figures.push(Figure::checked("sensor readings", "readings per shelf and day", per_day, (22.0, 24.5), Unit::Number));
    }
    anomalies(&conn, &sources, &profile, &mut figures)?;
    Ok(RealismReport { figures })
}

/// Where each raw table's files are, and how to read them as text (the report judges what is
/// written, before any cast: empty is empty).
struct Sources<'a> {
    raw: &'a Path,
    /// The tables read so far, and the name each was read into.
    defined: std::cell::RefCell<std::collections::BTreeMap<Table, &'static str>>,
}

/// The DuckDB reader of `files` of `table`: Parquet, or CSV as text (no sniffing of types per
/// file — that costs a minute over 1,095 daily files — and nothing cast before it is judged).
fn reader(table: Table, files: &[String]) -> String {
    let list = files.iter().map(|f| format!("'{f}'")).collect::<Vec<_>>().join(", ");
    if table == Table::Shipments {
        format!("read_parquet([{list}])")
    } else {
        format!("read_csv([{list}], header = true, all_varchar = true, hive_partitioning = false)")
    }
}

impl Sources<'_> {
    fn new(raw: &Path) -> Sources<'_> {
        Sources { raw, defined: Default::default() }
    }

    /// The globs of `table`'s files (its base and increment paths in the schema catalogue,
    /// each `{…}` a `*`) that match a file, quoted for SQL; none when absent.
    fn files(&self, table: Table) -> Vec<String> {
        let raw = table.raw();
        [Some(&raw.path), raw.increment_path.as_ref()]
            .into_iter()
            .flatten()
            .map(|path| as_glob(path))
            .filter(|pattern| !glob(self.raw, pattern).is_empty())
            .map(|pattern| self.raw.join(pattern).display().to_string().replace('\'', "''"))
            .collect()
    }

    /// Reads `columns` (SQL over the text columns) of `table`'s files once into table `name`;
    /// false when it has no files. Every later figure reads that table, not the files again.
    fn define(&self, conn: &Connection, name: &'static str, table: Table, columns: &str) -> Result<bool, QualityError> {
        let files = self.files(table);
        if files.is_empty() {
            return Ok(false);
        }
        conn.execute_batch(&format!("create or replace table {name} as select {columns} from {}", reader(table, &files)))?;
        self.defined.borrow_mut().insert(table, name);
        Ok(true)
    }

    /// Rows of `table` (events: lines, a malformed one counts too).
    fn rows(&self, conn: &Connection, table: Table) -> Result<Option<u64>, QualityError> {
        let files = self.files(table);
        if files.is_empty() {
            return Ok(None);
        }
        if table == Table::Events {
            // Lines, not JSON documents: a malformed line is a row too.
            let mut lines = 0u64;
            for path in glob(self.raw, &as_glob(&table.raw().path)) {
                let bytes = std::fs::read(&path).map_err(|source| QualityError::Io { path: path.clone(), source })?;
                lines += bytes.iter().filter(|b| **b == b'\n').count() as u64 + u64::from(bytes.last().is_some_and(|b| *b != b'\n'));
            }
            return Ok(Some(lines));
        }
        let from = self.defined.borrow().get(&table).map_or_else(|| reader(table, &files), |name| name.to_string());
        Ok(Some(conn.query_row(&format!("select count(*) from {from}"), [], |r| r.get::<_, i64>(0))? as u64))
    }
}

/// A catalogue path pattern as a glob: every `{placeholder}` becomes `*`.
fn as_glob(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let (Some(open), Some(close)) = (rest.find('{'), rest.find('}')) {
        out.push_str(&rest[..open]);
        out.push('*');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The files under `root` matching `pattern` (`/`-separated segments, `*` any run of
/// characters within one name), in path order.
fn glob(root: &Path, pattern: &str) -> Vec<std::path::PathBuf> {
    let mut found = vec![root.to_path_buf()];
    let segments: Vec<&str> = pattern.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for path in entries.flatten().map(|e| e.path()) {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if wildcard(segment, &name) && if last { path.is_file() } else { path.is_dir() } {
                    next.push(path);
                }
            }
        }
        found = next;
    }
    found.sort();
    found
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
fn wildcard(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.len() >= part.len() && rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Orders by weekday, month and local hour. Weekday and month figures are indices: the
/// average orders of such a day over the average day, so a range that covers months unevenly
/// still reads right.
fn orders_in_time(conn: &Connection, figures: &mut Vec<Figure>) -> Result<(), QualityError> {
    let section = "orders by weekday";
    let mut stmt = conn.prepare(
        "with days as (select order_day d, count(*) n from orders group by 1)
         select dayofweek(d), avg(n) / (select avg(n) from days) from days group by 1 order by (dayofweek(d) + 6) % 7",
    )?;
    let weekdays: Vec<(i64, f64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (day, index) in &weekdays {
        figures.push(Figure::checked(section, format!("{} (index)", WEEKDAYS[*day as usize]), *index, (0.8, 1.25), Unit::Number));
    }
    let mut stmt = conn.prepare(
        "with days as (select order_day d, count(*) n from orders group by 1)
         select month(d), avg(n) / (select avg(n) from days) from days group by 1 order by 1",
    )?;
    let months: Vec<(i64, f64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    // Seasonality only means something over whole years of data.
    if months.len() == 12 {
        let section = "orders by month";
        for (month, index) in &months {
            figures.push(Figure::checked(section, format!("{} (index)", MONTHS[*month as usize - 1]), *index, (0.7, 1.6), Unit::Number));
        }
        // The Christmas peak: December's average day against February's.
        figures.push(Figure::checked(section, "December ÷ February", months[11].1 / months[1].1, (1.2, 2.0), Unit::Number));
    }
    let section = "orders by local hour";
    // order_ts carries the store's offset: its hour is the local hour.
    let (night, peak): (f64, i64) = conn.query_row(
        "with hours as (select local_hour h, count(*)::double n from orders group by 1)
         select sum(n) filter (where h < 6) / sum(n), arg_max(h, n) from hours",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    figures.push(Figure::checked(section, "share 00:00–05:59", night, (0.0, 0.06), Unit::Share));
    figures.push(Figure::checked(section, "busiest hour", peak as f64, (9.0, 21.0), Unit::Number));
    Ok(())
}

/// Below this many facts per member (a few weeks of a small scale), shares of the top are
/// sampling noise: they are printed, not judged.
const FACTS_PER_MEMBER_TO_JUDGE: f64 = 5.0;

/// How `facts` (orders, lines) spread over the members of `members` (customers, products):
/// quantiles per member, the top fifth's share (Pareto), and the top member against the mean
/// and as a share of all.
#[allow(clippy::too_many_arguments)]
fn spread(
    conn: &Connection,
    figures: &mut Vec<Figure>,
    section: &'static str,
    members: &str,
    member_key: &str,
    facts: &str,
    fact_key: &str,
    top_fifth_target: (f64, f64),
    top_over_mean_target: Option<(f64, f64)>,
    top_share_target: Option<(f64, f64)>,
) -> Result<(), QualityError> {
    // Every member counts, also those with no fact (the long tail's end).
    let sql = format!(
        "with per_member as (
             select m.key, count(f.key)::double n
             from (select distinct {member_key} as key from {members}) m
             left join (select {fact_key} as key from {facts}) f using (key)
             group by m.key
         ), ranked as (select n, row_number() over (order by n desc) r, count(*) over () members, sum(n) over () total from per_member)
         select quantile_cont(n, 0.5), quantile_cont(n, 0.9), quantile_cont(n, 0.99), max(n), avg(n),
                sum(n) filter (where r <= members / 5.0) / any_value(total), count(*) filter (where n <= 2)::double / count(*),
                count(*)::double
         from ranked"
    );
    let v: [f64; 8] =
        conn.query_row(&sql, [], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?]))?;
    let [p50, p90, p99, max, mean, top_fifth, at_most_two, member_count] = v;
    for (name, value) in [("median", p50), ("90th percentile", p90), ("99th percentile", p99), ("most", max), ("mean", mean)] {
        figures.push(Figure::info(section, name, value, Unit::Number));
    }
    figures.push(Figure::info(section, "with at most 2", at_most_two, Unit::Share));
    let judged = mean >= FACTS_PER_MEMBER_TO_JUDGE;
    let suffix = if judged { "" } else { " (too few to judge)" };
    for (name, value, target, unit) in [
        ("top fifth's share", top_fifth, Some(top_fifth_target), Unit::Share),
        ("most ÷ mean", max / mean.max(1e-9), top_over_mean_target, Unit::Number),
        ("most, as a share of all", max / (mean * member_count).max(1e-9), top_share_target, Unit::Share),
    ] {
        figures.push(Figure { section, name: format!("{name}{suffix}"), value, target: target.filter(|_| judged), unit });
    }
    Ok(())
}

/// Lines per order, prices and discounts of the order lines.
fn baskets_and_prices(conn: &Connection, figures: &mut Vec<Figure>) -> Result<(), QualityError> {
    let section = "basket size";
    let (mean, p99, max): (f64, f64, f64) = conn.query_row(
        "with baskets as (select count(*)::double n from lines group by order_id) select avg(n), quantile_cont(n, 0.99), max(n) from baskets",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    figures.push(Figure::checked(section, "lines per order, mean", mean, (2.0, 5.0), Unit::Number));
    figures.push(Figure::checked(section, "lines per order, 99th percentile", p99, (4.0, 12.0), Unit::Number));
    figures.push(Figure::info(section, "lines per order, most", max, Unit::Number));
    let section = "prices and discounts";
    let v: [f64; 6] = conn.query_row(
        "select quantile_cont(unit_price, 0.1), quantile_cont(unit_price, 0.5), quantile_cont(unit_price, 0.9),
                count(*) filter (where discount > 0)::double / count(*), avg(discount) filter (where discount > 0), avg(qty) filter (where qty > 0)
         from lines",
        [],
        |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]),
    )?;
    let [p10, p50, p90, discounted, discount, qty] = v;
    figures.push(Figure::info(section, "unit price, 10th percentile", p10, Unit::Number));
    figures.push(Figure::checked(section, "unit price, median", p50, (10.0, 150.0), Unit::Number));
    figures.push(Figure::info(section, "unit price, 90th percentile", p90, Unit::Number));
    figures.push(Figure::checked(section, "lines discounted", discounted, (0.05, 0.4), Unit::Share));
    figures.push(Figure::checked(section, "discount when discounted", discount, (0.05, 0.35), Unit::Share));
    figures.push(Figure::checked(section, "quantity per line, mean", qty, (1.0, 2.5), Unit::Number));
    Ok(())
}

/// Per carrier: shipments, median days to deliver against its SLA, and the share of the
/// delivered ones later than promised.
fn deliveries(conn: &Connection, figures: &mut Vec<Figure>, carriers: &[CarrierSla], profile: &Profile) -> Result<(), QualityError> {
    let late_delivery = AnomalyKind::LateDelivery.spec();
    let section = "deliveries";
    let slas: Vec<String> = carriers.iter().map(|c| format!("('{}', {})", c.carrier.replace('\'', "''"), c.sla_days)).collect();
    let slas = if slas.is_empty() {
        "select null::varchar carrier, null::double sla_days where false".to_string()
    } else {
        format!("values {}", slas.join(", "))
    };
    let mut stmt = conn.prepare(&format!(
        "with sla(carrier, sla_days) as ({slas}),
         d as (select carrier, delivery_days from shipments)
         select d.carrier, any_value(sla.sla_days), count(delivery_days), quantile_cont(delivery_days, 0.5),
                count(*) filter (where delivery_days > sla.sla_days)::double / count(delivery_days)
         from d left join sla using (carrier) group by d.carrier order by d.carrier"
    ))?;
    type Row = (String, Option<f64>, i64, Option<f64>, Option<f64>);
    let rows: Vec<Row> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?.collect::<Result<_, _>>()?;
    for (carrier, sla_days, delivered, median, late) in rows {
        figures.push(Figure::info(section, format!("{carrier}: delivered"), delivered as f64, Unit::Number));
        let Some(sla_days) = sla_days else {
            // A carrier the world does not know: always out of range.
            figures.push(Figure::checked(section, format!("{carrier}: known carrier"), 0.0, (1.0, 1.0), Unit::Number));
            continue;
        };
        // Nothing delivered yet (a dataset of a few days): no delivery time to judge.
        let Some(median) = median else { continue };
        figures.push(Figure::checked(section, format!("{carrier}: median (SLA {sla_days} d)"), median, (0.5, sla_days), Unit::Days));
        // Late deliveries are the late_delivery anomaly: the profile's rate, per carrier.
        let target = late_delivery.accepted_rate_at(profile.rate(late_delivery), delivered as u64);
        figures.push(Figure::checked(section, format!("{carrier}: later than SLA"), late.unwrap_or(0.0), target, Unit::Share));
    }
    Ok(())
}

/// Days of orders from which the in-transit share is judged (the horizon's parcels are then a
/// few percent of the shipments, inside the kind's range).
const MIN_DAYS_FOR_IN_TRANSIT: i64 = 30;

/// Each anomaly kind's rate in the ground-truth log against the profile's.
fn anomalies(conn: &Connection, sources: &Sources<'_>, profile: &Profile, figures: &mut Vec<Figure>) -> Result<(), QualityError> {
    let days_of_orders: i64 = if sources.defined.borrow().contains_key(&Table::OrdersHeader) {
        conn.query_row("select count(distinct order_day) from orders", [], |r| r.get(0))?
    } else {
        0
    };
    let truth = sources.raw.join(medallion_schema::truth::TRUTH_DIR);
    if glob(&truth, "*.jsonl").is_empty() {
        return Ok(());
    }
    let glob = truth.join("*.jsonl").display().to_string().replace('\'', "''");
    let mut stmt = conn.prepare(&format!(
        "select kind, count(*) from read_json('{glob}', columns = {{'table': 'VARCHAR', 'kind': 'VARCHAR'}}, format = 'newline_delimited') group by kind"
    ))?;
    let counts: std::collections::BTreeMap<String, i64> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut rows = std::collections::BTreeMap::new();
    for spec in ANOMALIES.iter() {
        let table_rows = match rows.get(&spec.table) {
            Some(n) => *n,
            None => {
                let n = sources.rows(conn, spec.table)?;
                rows.insert(spec.table, n);
                n
            }
        };
        let Some(table_rows) = table_rows else { continue };
        let count = counts.get(spec.code).copied().unwrap_or(0) as u64;
        // Parcels still travelling at the horizon count as in transit too: over a few weeks of
        // data they are most of them, and the injected rate cannot be told apart.
        if spec.kind == AnomalyKind::InTransit && days_of_orders < MIN_DAYS_FOR_IN_TRANSIT {
            let name = format!("{}: {} (under {MIN_DAYS_FOR_IN_TRANSIT} days of data)", spec.table.name(), spec.code);
            figures.push(Figure::info("anomalies", name, count as f64 / table_rows.max(1) as f64, Unit::Share));
            continue;
        }
        figures.push(Figure::checked(
            "anomalies",
            format!("{}: {}", spec.table.name(), spec.code),
            count as f64 / table_rows.max(1) as f64,
            spec.accepted_rate_at(profile.rate(spec), table_rows),
            Unit::Share,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{as_glob, wildcard};

    #[test]
    fn catalogue_paths_become_globs_that_match_their_files() {
        assert_eq!(as_glob("orders_header/order_dt={date}/part-{part:05}.csv"), "orders_header/order_dt=*/part-*.csv");
        assert_eq!(as_glob("customers.csv"), "customers.csv");
        assert!(wildcard("part-*.csv", "part-00000.csv") && wildcard("shipments_*_*.parquet", "shipments_2024-01-01_2024-01-31.parquet"));
        assert!(wildcard("customers.csv", "customers.csv") && !wildcard("customers.csv", "customers.csv.tmp"));
        assert!(!wildcard("part-*.csv", "part-00000.csv.tmp") && !wildcard("order_dt=*", "event_dt=2024-01-01"));
        assert!(wildcard("*.jsonl", "a.jsonl") && !wildcard("*.jsonl", "a.json"));
    }
}
