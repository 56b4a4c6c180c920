//! Every measure of `analytics/report.yml`, computed by the crate on a small Gold with known
//! rows, equals an independent SQL query written here (a flat join and a hand-written WHERE, not
//! the report's SQL), with no slicer and under slicer combinations: to the cent for amounts,
//! exactly for counts, to 1e-9 for ratios.

use std::path::Path;

use duckdb::Connection;
use medallion_analytics::{Report, Slicers};

/// A Gold with known rows (see the fixture's header).
const GOLD: &str = include_str!("fixtures/small_gold.sql");

/// A group of a grouped visual: (field name, value; None for the blank group).
type GroupFilter<'a> = Option<(&'a str, Option<&'a str>)>;

/// The WHERE text of a slicer combination (and a visual's group) for one of the flat views
/// (`t_sales`, `t_returns`, `t_shipments`) or Gold tables (`ingestion`, `rejects`) or the
/// scorecard: written here from the fixture's columns, not from the report.
fn filter(view: &str, slicers: &Slicers, with_date: bool, group: GroupFilter) -> String {
    let slicer_columns: &[&str] = match view {
        "sales" => &["region", "country_code", "store_id", "category", "channel"],
        "returns" => &["region", "store_id", "category"],
        "shipments" => &["region", "store_id"],
        _ => &[],
    };
    let mut parts = vec!["true".to_string()];
    if let (true, Some((from, to)), true) = (with_date, &slicers.date, matches!(view, "sales" | "returns" | "shipments")) {
        parts.push(format!("date_day >= date '{from}' and date_day <= date '{to}'"));
    }
    for (name, value) in &slicers.values {
        let column = match name.as_str() {
            "region" => "region",
            "country" => "country_code",
            "store" => "store_id",
            "category" => "category",
            "channel" => "channel",
            other => panic!("{other}"),
        };
        if slicer_columns.contains(&column) {
            parts.push(format!("cast({column} as varchar) = '{value}'"));
        }
    }
    if let Some((field, value)) = group {
        let column = match (field, view) {
            ("month", "sales" | "returns" | "shipments") => "strftime(date_day, '%Y-%m')",
            ("region", "sales" | "returns" | "shipments") => "region",
            ("country", "sales") => "country_code",
            ("category", "sales" | "returns") => "category",
            ("channel", "sales") => "channel",
            ("carrier", "shipments") => "carrier",
            ("source_table", "ingestion") => "table_name",
            ("reject_reason", "rejects") => "reason_code",
            ("anomaly_kind", "scorecard") => "table_name || ' · ' || kind",
            ("monitored_metric", "monitoring") => "metric",
            ("monitor_run", "monitoring") => "run_id",
            _ => "",
        };
        if !column.is_empty() {
            parts.push(match value {
                Some(v) => format!("cast({column} as varchar) = '{}'", v.replace('\'', "''")),
                None => format!("{column} is null"),
            });
        }
    }
    parts.join(" and ")
}

/// The expected value of each measure, computed independently (within one group of a visual
/// when `group` is given).
fn expected(conn: &Connection, measure: &str, slicers: &Slicers, group: GroupFilter) -> Option<f64> {
    let sales = filter("sales", slicers, true, group);
    let sales_all = filter("sales", slicers, false, group);
    let returns = filter("returns", slicers, true, group);
    let shipments = filter("shipments", slicers, true, group);
    let ingestion = filter("ingestion", slicers, true, group);
    let rejects = filter("rejects", slicers, true, group);
    let scores = filter("scorecard", slicers, true, group);
    let monitoring = filter("monitoring", slicers, true, group);
    let latest = format!("(select max(run_id) from quality.data_quality_metrics where {monitoring})");
    let q = |sql: String| -> Option<f64> { conn.query_row(&sql, [], |r| r.get::<_, Option<f64>>(0)).unwrap() };
    let bounds = format!("(select min(date_day) from t_sales where {sales})");
    let last = format!("(select max(date_day) from t_sales where {sales})");
    let customers = format!("(select count(*) from (select distinct customer_key from t_sales where {sales} and customer_key >= 0))");
    let new_customers = format!(
        "(select count(*) from (select distinct customer_key from t_sales where {sales} and customer_key >= 0 and first_order_dt >= {bounds} and first_order_dt <= {last}))"
    );
    let total = format!("(select sum(net_amount_aud) from t_sales where {sales})");
    let year_ago = format!(
        "(select sum(net_amount_aud) from t_sales where {sales_all} and date_day >= {bounds} - interval 12 month and date_day <= {last} - interval 12 month)"
    );
    let sql = match measure {
        "Total Sales" => total.clone(),
        "Total Quantity" => format!("select sum(quantity) from t_sales where {sales}"),
        "Orders" => format!("select count(*) from (select distinct order_number from t_sales where {sales})"),
        "AOV" => format!("select {total} / (select count(*) from (select distinct order_number from t_sales where {sales}))"),
        "Sales YTD" => {
            format!("select sum(net_amount_aud) from t_sales where {sales_all} and year(date_day) = year({last}) and date_day <= {last}")
        }
        "Sales MTD" => format!(
            "select sum(net_amount_aud) from t_sales where {sales_all} and year(date_day) = year({last}) and month(date_day) = month({last}) and date_day <= {last}"
        ),
        "Sales Same Period Last Year" => year_ago.clone(),
        "YoY %" => format!("select ({total} - {year_ago}) / {year_ago}"),
        "Rolling 30-Day Average Sales" => {
            format!("select sum(net_amount_aud) / 30.0 from t_sales where {sales_all} and date_day > {last} - 30 and date_day <= {last}")
        }
        "Active Customers" => format!("select {customers}"),
        "CLV" => format!("select (select sum(net_amount_aud) from t_sales where {sales} and customer_key >= 0) / {customers}"),
        "New Customers" => format!("select {new_customers}"),
        "Returning Customers" => format!("select {customers} - {new_customers}"),
        "New Customer Share" => format!("select {new_customers} / {customers}"),
        "VIP Share" => format!("select (select sum(net_amount_aud) from t_sales where {sales} and is_vip) / {total}"),
        "Returned Quantity" => format!("select sum(quantity) from t_returns where {returns}"),
        "Return Rate" => {
            format!("select (select sum(quantity) from t_returns where {returns}) / (select sum(quantity) from t_sales where {sales})")
        }
        "Average Delivery Days" => format!("select avg(delivery_days) from t_shipments where {shipments} and is_in_transit = false"),
        "On-Time Rate" => format!(
            "select (select count(*) from t_shipments where {shipments} and on_time_flag) / (select count(*) from t_shipments where {shipments} and not is_in_transit)"
        ),
        "Inventory Turnover" => format!(
            "select (select sum(quantity) from t_sales where {sales}) / ((select count(*) from (select distinct product_id from t_sales where {sales} and product_id is not null)) * (date_diff('day', {bounds}, {last}) + 1))"
        ),
        // The fixture's ingestion: 3,500 rows read, 20 rejected.
        "Rows Rejected" => format!("select sum(rows_rejected) from gold.fct_ingestion_audit where {ingestion}"),
        "Rejected Raw Rows" => format!("select count(*) from gold.fct_rejects where {rejects}"),
        "Rejection Rate" => {
            format!("select sum(rows_rejected) / sum(rows_read) from gold.fct_ingestion_audit where {ingestion}")
        }
        "Completeness" => format!(
            "select (select count(*) from t_sales where {sales} and customer_key >= 0 and store_key >= 0 and product_key >= 0 and date_key >= 0 and net_amount_aud is not null) / (select count(*) from t_sales where {sales})"
        ),
        "FK Violation Rate" => format!(
            "select (select count(*) from t_sales where {sales} and (customer_key < 0 or store_key < 0 or product_key < 0)) / (select count(*) from t_sales where {sales})"
        ),
        // The fixture's scorecard: 11 logged, 9 caught, 1 false alarm; no slicer applies.
        "Anomalies Logged" => format!("select sum(in_log) from quality.scorecard where {scores}"),
        "Anomalies Caught" => format!("select sum(rejected_in_bronze + flagged_in_silver) from quality.scorecard where {scores}"),
        "Detection Recall" => {
            format!("select sum(rejected_in_bronze + flagged_in_silver) / sum(in_log) from quality.scorecard where {scores}")
        }
        "Detection Precision" => format!(
            "select sum(rejected_in_bronze + flagged_in_silver) / sum(rejected_in_bronze + flagged_in_silver + false_alarms) from quality.scorecard where {scores}"
        ),
        // The fixture's runs: the latest has one ALERT and one WARNING.
        "DQ Alerts" => {
            format!("select count(*) from quality.data_quality_metrics where {monitoring} and status = 'ALERT' and run_id = {latest}")
        }
        "DQ Warnings" => {
            format!("select count(*) from quality.data_quality_metrics where {monitoring} and status = 'WARNING' and run_id = {latest}")
        }
        "Worst FK Violation Rate" => {
            format!("select max(value) from quality.data_quality_metrics where {monitoring} and metric = 'fk_violation_rate'")
        }
        other => panic!("no independent query for measure `{other}`: add one"),
    };
    q(sql)
}

#[test]
fn every_measure_equals_independent_sql_under_slicers() {
    let report = Report::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(GOLD).unwrap();
    let combinations = combinations();
    // Each figure twice: reading the joins directly, and reading the facts built once into
    // tables (what the dashboard does).
    let mut built = report.clone();
    built.materialize(&conn).unwrap();
    let (mut checked, mut blanks) = (0, 0);
    for slicers in &combinations {
        for measure in &report.measures {
            let got = report.evaluate(&conn, &measure.name, slicers).unwrap_or_else(|e| panic!("{}: {e}", measure.name));
            if measure.name != "Data Freshness" {
                assert_eq!(built.evaluate(&conn, &measure.name, slicers).unwrap(), got, "{} from the built facts", measure.name);
            }
            if measure.name == "Freshness Status" {
                // The last load of the small Gold is long past its 24-hour SLA.
                assert_eq!(got.as_deref(), Some("ALERT"));
                continue;
            }
            if measure.name == "Last Load" {
                assert_eq!(got.as_deref(), Some("2024-07-01 02:05:00"));
                continue;
            }
            if measure.name == "Data Freshness" {
                // Hours since the last load, against the clock: the same to within a minute.
                let now: f64 = conn
                    .query_row("select date_diff('minute', timestamp '2024-07-01 02:05:00', now() at time zone 'UTC') / 60", [], |r| {
                        r.get(0)
                    })
                    .unwrap();
                let got: f64 = got.unwrap().parse().unwrap();
                assert!((got - now).abs() <= 1.0 / 60.0 + 1e-9, "Data Freshness {got} vs {now}");
                continue;
            }
            let want = expected(&conn, &measure.name, slicers, None);
            let got = got.map(|v| v.parse::<f64>().unwrap_or_else(|_| panic!("{}: `{v}` is not a number", measure.name)));
            match (got, want) {
                (None, None) => {
                    eprintln!("blank: {} under {slicers:?}", measure.name);
                    blanks += 1
                }
                (Some(g), Some(w)) => {
                    assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{} under {slicers:?}: {g} vs independent {w}", measure.name)
                }
                (g, w) => panic!("{} under {slicers:?}: {g:?} vs independent {w:?}", measure.name),
            }
            checked += 1;
        }
    }
    // Every measure but the three clock ones, under each combination; a blank is rare (YoY % of a
    // period without last year's sales).
    assert_eq!(checked, combinations.len() * (report.measures.len() - 3));
    assert!(blanks <= 5, "{blanks} blank values: the test data is too thin");
    // The data is not degenerate: the slicers change the figures.
    let total = |s: &Slicers| report.evaluate(&conn, "Total Sales", s).unwrap();
    assert_ne!(total(&combinations[0]), total(&combinations[2]));
    assert!(report.evaluate(&conn, "YoY %", &combinations[1]).unwrap().is_some(), "YoY needs last year's sales in the data");
}

#[test]
fn bad_requests_name_what_is_wrong() {
    let report = Report::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(GOLD).unwrap();
    let err = |m: &str, s: Slicers| report.evaluate(&conn, m, &s).unwrap_err().to_string();
    assert!(err("Total Sales", Slicers::none().with("colour", "red")).contains("no slicer named `colour`"));
    assert!(err("Total Sales", Slicers::none().between("2024-13-01", "2024-12-31")).contains("not YYYY-MM-DD"));
    assert!(err("Total Sales", Slicers::none().between("2024-05-01", "2024-04-01")).contains("ends before it starts"));
    assert!(err("Gross Margin", Slicers::none()).contains("no measure named `Gross Margin`"));
    // A value is a parameter, not SQL: a quote in it matches nothing and breaks nothing.
    assert_eq!(report.evaluate(&conn, "Total Sales", &Slicers::none().with("region", "x' or '1'='1")).unwrap(), None);
}

#[test]
fn grouped_visuals_equal_group_by_sql() {
    let report = Report::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(GOLD).unwrap();
    let slicers = Slicers::none().between("2023-03-01", "2024-02-29").with("channel", "pos");
    // Sales by region: one row per region, as a GROUP BY computes it.
    let by_region = report.evaluate_by(&conn, "Total Sales", "region", &slicers).unwrap();
    let mut built = report.clone();
    built.materialize(&conn).unwrap();
    assert_eq!(built.evaluate_by(&conn, "Total Sales", "region", &slicers).unwrap(), by_region);
    // Every grouped visual of every page, both ways.
    for page in &report.pages {
        assert_eq!(built.evaluate_page(&conn, &page.name, &slicers).unwrap(), report.evaluate_page(&conn, &page.name, &slicers).unwrap());
    }
    let want: Vec<(Option<String>, Option<f64>)> = conn
        .prepare(
            "select region, sum(net_amount_aud) from t_sales
             where date_day >= date '2023-03-01' and date_day <= date '2024-02-29' and channel = 'pos'
             group by region order by region",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let got: Vec<(Option<String>, Option<f64>)> =
        by_region.iter().map(|(g, v)| (g.clone(), v.as_ref().map(|v| v.parse().unwrap()))).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for ((g1, v1), (g2, v2)) in got.iter().zip(&want) {
        assert_eq!(g1, g2);
        assert!((v1.unwrap() - v2.unwrap()).abs() < 1e-6, "{g1:?}: {v1:?} vs {v2:?}");
    }
    // A page: its cards equal the measures, its tables keep their top rows by the first measure.
    let page = report.evaluate_page(&conn, "Product", &slicers).unwrap();
    let card = page.iter().find(|v| v.title == "Total Quantity").unwrap();
    assert_eq!(card.rows, vec![(None, vec![report.evaluate(&conn, "Total Quantity", &slicers).unwrap()])]);
    let table = page.iter().find(|v| v.title == "Categories").unwrap();
    let sales: Vec<f64> = table.rows.iter().map(|(_, v)| v[0].as_ref().unwrap().parse().unwrap()).collect();
    assert!(sales.windows(2).all(|w| w[0] >= w[1]) && sales.len() == 4, "{sales:?}");
    // Unknown names are 4xx-style errors.
    assert!(report.evaluate_page(&conn, "Finance", &slicers).unwrap_err().to_string().contains("no page named `Finance`"));
}

#[test]
fn a_visual_must_name_real_measures_and_fields() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("report.yml");
    std::fs::write(&broken, text.replace("measures: [On-Time Rate], by: carrier", "measures: [On-Time Rate], by: category")).unwrap();
    let err = Report::load(&broken).unwrap_err().to_string();
    assert!(err.contains("measure `On-Time Rate` reads fact `shipments`, which has no field `category`"), "{err}");
    std::fs::write(&broken, text.replace("{kind: card, measures: [Orders]}", "{kind: card, measures: [Order Count]}")).unwrap();
    let err = Report::load(&broken).unwrap_err().to_string();
    assert!(err.contains("no measure named `Order Count`"), "{err}");
}

#[test]
fn the_power_bi_model_must_filter_what_the_sql_filters() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("report.yml");
    let load = |text: String| {
        std::fs::write(&broken, text).unwrap();
        Report::load(&broken).unwrap_err().to_string()
    };
    // The channel slicer filters sales only in SQL; a store column would filter returns too.
    let err = load(text.replace("powerbi: \"fct_sales[channel]\"}", "powerbi: \"dim_store[channel]\"}"));
    assert!(
        err.contains("slicer `channel`: in SQL it does not filter fact `returns`, but in the model dim_store[channel] reaches fct_returns"),
        "{err}"
    );
    // Without the relationship, the region slicer would not reach shipments.
    let err = load(text.replace("    - {from: \"fct_shipments[store_key]\", to: \"dim_store[store_key]\"}\n", ""));
    assert!(
        err.contains(
            "slicer `region`: in SQL it filters fact `shipments`, but in the model dim_store[region] does not reach fct_shipments"
        ),
        "{err}"
    );
    let err = load(text.replace("to: \"dim_date[date_key]\"}", "to: \"calendar[date_key]\"}"));
    assert!(err.contains("`calendar[date_key]` names table `calendar`, which the model does not import"), "{err}");
    let err = load(text.replace("powerbi: \"dim_date[year_month]\"", "powerbi: \"dim_date.year_month\""));
    assert!(err.contains("field `month`: `dim_date.year_month` is not `table[column]`"), "{err}");
}

#[test]
fn a_warehouse_without_the_saved_scorecard_shows_its_measures_blank() {
    let report = Report::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(GOLD).unwrap();
    conn.execute_batch("drop table quality.scorecard").unwrap();
    let mut built = report.clone();
    built.materialize(&conn).unwrap();
    assert!(built.absent.contains("scorecard"));
    assert_eq!(built.evaluate(&conn, "Detection Recall", &Slicers::none()).unwrap(), None);
    let page = built.evaluate_page(&conn, "Data Quality", &Slicers::none()).unwrap();
    let scores = page.iter().find(|v| v.title.starts_with("Anomaly scorecard")).unwrap();
    assert!(scores.rows.is_empty(), "{:?}", scores.rows);
    // The rest of the page still reads Gold.
    assert_eq!(built.evaluate(&conn, "Rows Rejected", &Slicers::none()).unwrap().as_deref(), Some("20"));
}

/// The slicer combinations the page tests use: none, and four with 1–3 slicers.
fn combinations() -> Vec<Slicers> {
    vec![
        Slicers::none(),
        Slicers::none().between("2024-01-01", "2024-03-31"),
        Slicers::none().between("2024-02-10", "2024-06-30").with("region", "ANZ").with("channel", "web"),
        Slicers::none().with("category", "Toys").with("country", "GB"),
        Slicers::none().between("2023-06-01", "2024-05-31").with("store", "103"),
    ]
}

/// The groups a visual of field `field` shows under `slicers`: the union of the field's values
/// over the facts its measures read, computed on the flat views.
fn expected_groups(conn: &Connection, field: &str, measures: &[String], slicers: &Slicers) -> Vec<Option<String>> {
    let mut selects = Vec::new();
    let reads = |m: &String, view: &str| match view {
        "sales" => {
            !matches!(
                m.as_str(),
                "Returned Quantity" | "Average Delivery Days" | "On-Time Rate" | "Rows Rejected" | "Rejection Rate" | "Rejected Raw Rows"
            ) && !m.starts_with("Anomalies")
                && !m.starts_with("Detection")
                && !m.starts_with("DQ ")
                && m != "Worst FK Violation Rate"
        }
        "returns" => matches!(m.as_str(), "Returned Quantity" | "Return Rate"),
        "shipments" => matches!(m.as_str(), "Average Delivery Days" | "On-Time Rate"),
        "ingestion" => matches!(m.as_str(), "Rows Rejected" | "Rejection Rate"),
        "rejects" => m == "Rejected Raw Rows",
        "monitoring" => m.starts_with("DQ ") || m == "Worst FK Violation Rate",
        _ => m.starts_with("Anomalies") || m.starts_with("Detection"),
    };
    for (view, relation) in [
        ("sales", "t_sales"),
        ("returns", "t_returns"),
        ("shipments", "t_shipments"),
        ("ingestion", "gold.fct_ingestion_audit"),
        ("rejects", "gold.fct_rejects"),
        ("scorecard", "quality.scorecard"),
        ("monitoring", "quality.data_quality_metrics"),
    ] {
        if !measures.iter().any(|m| reads(m, view)) {
            continue;
        }
        let column = match (field, view) {
            ("month", _) => "strftime(date_day, '%Y-%m')",
            ("country", _) => "country_code",
            ("source_table", _) => "table_name",
            ("reject_reason", _) => "reason_code",
            ("anomaly_kind", _) => "table_name || ' · ' || kind",
            ("monitored_metric", _) => "metric",
            ("monitor_run", _) => "run_id",
            (other, _) => other,
        };
        selects.push(format!("select cast({column} as varchar) as g from {relation} where {}", filter(view, slicers, true, None)));
    }
    let sql = format!("select distinct g from ({}) order by g nulls last", selects.join(" union all "));
    conn.prepare(&sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn every_visual_of_every_page_equals_independent_sql_under_slicers() {
    let mut report = Report::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(GOLD).unwrap();
    // As the dashboard computes them: on the built facts.
    report.materialize(&conn).unwrap();
    let clock = ["Freshness Status", "Last Load", "Data Freshness"];
    let (mut figures, mut groups) = (0, 0);
    for slicers in &combinations() {
        for page in &report.pages {
            for visual in report.evaluate_page(&conn, &page.name, slicers).unwrap() {
                let field = report.pages.iter().flat_map(|p| &p.visuals).find(|v| v.title() == visual.title).unwrap().by.clone();
                if let Some(field) = &field {
                    let want = expected_groups(&conn, field, &visual.measures, slicers);
                    let mut got: Vec<Option<String>> = visual.rows.iter().map(|(g, _)| g.clone()).collect();
                    got.sort_by(|a, b| a.is_none().cmp(&b.is_none()).then(a.cmp(b)));
                    assert_eq!(got, want, "{} / {} under {slicers:?}: groups", page.name, visual.title);
                    groups += want.len();
                }
                for (group, values) in &visual.rows {
                    for (measure, got) in visual.measures.iter().zip(values) {
                        if clock.contains(&measure.as_str()) {
                            continue;
                        }
                        let group_filter = field.as_deref().map(|f| (f, group.as_deref()));
                        let want = expected(&conn, measure, slicers, group_filter);
                        let got: Option<f64> = got.as_ref().map(|v| v.parse().unwrap());
                        let same = match (got, want) {
                            (Some(g), Some(w)) => (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                            // A group where the measure's facts have no rows: blank, or 0 for counts.
                            (None, None) => true,
                            (Some(g), None) => g == 0.0,
                            (None, Some(_)) => false,
                        };
                        assert!(
                            same,
                            "{} / {} / {measure} at {group:?} under {slicers:?}: {got:?} vs independent {want:?}",
                            page.name, visual.title
                        );
                        figures += 1;
                    }
                }
            }
        }
    }
    // Every card and every group of every visual of the five pages, under five combinations.
    assert!(figures > 500 && groups > 300, "{figures} figures, {groups} groups checked");
    eprintln!("{figures} figures in {groups} groups checked against independent SQL");
}
