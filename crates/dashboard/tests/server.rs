//! `medallion dashboard` over HTTP on a small Gold with known rows: the page's JSON equals SQL
//! written here, bad parameters get a 400 that names them, and the static export embeds every
//! page.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use medallion_dashboard::{Dashboard, export};

fn report() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")
}

/// A warehouse file holding the small Gold of the analytics tests.
fn warehouse(dir: &Path) -> PathBuf {
    let path = dir.join("warehouse.duckdb");
    let gold = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../analytics/tests/fixtures/small_gold.sql")).unwrap();
    duckdb::Connection::open(&path).unwrap().execute_batch(&gold).unwrap();
    path
}

/// Starts the server on a free port; returns its address.
fn start(warehouse: &Path) -> SocketAddr {
    let dashboard = Dashboard::open(&report(), warehouse, None).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || dashboard.serve("127.0.0.1:0".parse().unwrap(), |addr| tx.send(addr).unwrap()));
    rx.recv().unwrap()
}

/// A GET: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn sql_f64(conn: &duckdb::Connection, sql: &str) -> f64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn pages_over_http_equal_sql_and_bad_parameters_are_400() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse(dir.path());
    let addr = start(&warehouse);
    let conn = duckdb::Connection::open(&warehouse).unwrap();

    let (status, body) = get(addr, "/api/page?name=Executive&from=2024-01-01&to=2024-03-31&region=ANZ");
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let visual = |title: &str| page["visuals"].as_array().unwrap().iter().find(|v| v["title"] == title).unwrap().clone();
    let value = |v: &serde_json::Value, row: usize| -> f64 { v["rows"][row][1][0].as_str().unwrap().parse().unwrap() };
    let filter = "date_day between date '2024-01-01' and date '2024-03-31' and region = 'ANZ'";
    let total = sql_f64(&conn, &format!("select sum(net_amount_aud)::double from t_sales where {filter}"));
    assert!((value(&visual("Total Sales"), 0) - total).abs() < 1e-6);
    let orders = sql_f64(&conn, &format!("select count(distinct order_number)::double from t_sales where {filter}"));
    assert_eq!(value(&visual("Orders"), 0), orders);
    // The bar by category: one row per category, each its GROUP BY total.
    let bars = visual("Sales by category");
    let rows = bars["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{bars}");
    for (i, row) in rows.iter().enumerate() {
        let category = row[0].as_str().unwrap();
        let want = sql_f64(&conn, &format!("select sum(net_amount_aud)::double from t_sales where {filter} and category = '{category}'"));
        assert!((value(&bars, i) - want).abs() < 1e-6, "{category}");
    }

    // Bad requests name what is wrong.
    for (path, says) in [
        ("/api/page?name=Executive&colour=red", "no slicer named `colour`"),
        ("/api/page?name=Finance", "no page named `Finance`"),
        ("/api/page?name=Executive&from=2024-01-01", "`from` and `to` go together"),
        ("/api/page?name=Executive&from=2024-02-30x&to=2024-03-01", "not YYYY-MM-DD"),
        ("/api/page?region=ANZ", "missing parameter `name`"),
    ] {
        let (status, body) = get(addr, path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
    }
    // A value is data, never SQL.
    let (status, body) = get(addr, "/api/page?name=Executive&region=x%27%20or%20%271%27%3D%271");
    assert_eq!(status, 200);
    assert!(
        body.contains(r#""title":"Total Sales","kind":"card","measures":["Total Sales"],"by":null,"slicer":null,"rows":[[null,[null]]]"#),
        "{body}"
    );
    // A bar of a field a slicer filters names the slicer a click sets (cross-filter); a month does not.
    assert!(
        body.contains(r#""title":"Sales by region","kind":"bar","measures":["Total Sales"],"by":"Region","slicer":"region""#),
        "{body}"
    );
    assert!(body.contains(r#""title":"Sales by month","kind":"line","measures":["Total Sales"],"by":"Month","slicer":null"#), "{body}");

    // The page and its layout.
    let (status, html) = get(addr, "/");
    assert_eq!(status, 200);
    assert!(html.contains("<title>Medallion") && html.contains("/api/page?"));
    let (_, layout) = get(addr, "/api/layout");
    let layout: serde_json::Value = serde_json::from_str(&layout).unwrap();
    let pages: Vec<&str> = layout["pages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(pages, ["Executive", "Customer", "Product", "Operations", "Data Quality"]);
    let region = layout["slicers"].as_array().unwrap().iter().find(|s| s["name"] == "region").unwrap();
    assert_eq!(region["choices"], serde_json::json!(["ANZ", "EMEA", "Unknown"]));
    assert_eq!(get(addr, "/nowhere").0, 404);
}

#[test]
fn the_static_export_embeds_every_page_unfiltered() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse(dir.path());
    let dashboard = Dashboard::open(&report(), &warehouse, None).unwrap();
    let index = export(&dashboard, &dir.path().join("site")).unwrap();
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(html.contains("window.MEDALLION_STATIC = "));
    for page in ["Executive", "Customer", "Product", "Operations", "Data Quality"] {
        assert!(html.contains(&format!("\"page\":\"{page}\"")), "{page}");
    }
    // The embedded figures are the unfiltered ones.
    let total = dashboard.figures("Executive", &medallion_analytics::Slicers::none()).unwrap().visuals[0].rows[0].1[0].clone().unwrap();
    assert!(html.contains(&format!("\"rows\":[[null,[\"{total}\"]]]")));
    assert!(!html.contains("src=\"/assets/"), "a static page must not ask a server for its chart library");
}

#[test]
fn every_page_over_http_carries_the_figures_the_analytics_tests_prove() {
    // crates/analytics/tests/measures.rs proves every figure of every page equals independent
    // SQL under these combinations; here the JSON served is exactly those figures.
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse(dir.path());
    let addr = start(&warehouse);
    let mut report = medallion_analytics::Report::load(&report()).unwrap();
    let conn = medallion_analytics::open_warehouse(&warehouse).unwrap();
    report.materialize(&conn).unwrap();
    let combinations: [(&str, medallion_analytics::Slicers); 4] = [
        ("", medallion_analytics::Slicers::none()),
        ("&from=2024-01-01&to=2024-03-31", medallion_analytics::Slicers::none().between("2024-01-01", "2024-03-31")),
        (
            "&from=2024-02-10&to=2024-06-30&region=ANZ&channel=web",
            medallion_analytics::Slicers::none().between("2024-02-10", "2024-06-30").with("region", "ANZ").with("channel", "web"),
        ),
        ("&category=Toys&country=GB", medallion_analytics::Slicers::none().with("category", "Toys").with("country", "GB")),
    ];
    for page in &report.pages {
        for (query, slicers) in &combinations {
            let (status, body) = get(addr, &format!("/api/page?name={}{query}", page.name.replace(' ', "%20")));
            assert_eq!(status, 200, "{body}");
            let served: serde_json::Value = serde_json::from_str(&body).unwrap();
            let visuals = serde_json::to_value(report.evaluate_page(&conn, &page.name, slicers).unwrap()).unwrap();
            // Data Freshness moves with the clock between the two computations.
            let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
                v.as_array().unwrap().iter().filter(|x| x["title"] != "Data Freshness").cloned().collect()
            };
            assert_eq!(strip(&served["visuals"]), strip(&visuals), "page {} with `{query}`", page.name);
        }
    }
}

#[test]
fn an_unfinished_transform_is_said_above_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = warehouse(dir.path());
    let layout = |addr| serde_json::from_str::<serde_json::Value>(&get(addr, "/api/layout").1).unwrap();
    // No recorded run (a warehouse dbt built): nothing to say.
    assert_eq!(layout(start(&warehouse))["warning"], serde_json::Value::Null);
    duckdb::Connection::open(&warehouse)
        .unwrap()
        .execute_batch(
            "create table transform_runs as select 1 as id, 'embedded' as engine, timestamp '2024-07-01 02:00' as started_at,
                 timestamp '2024-07-01 02:01' as finished_at, 'success' as status;
             insert into transform_runs values (2, 'embedded', timestamp '2024-07-02 02:00', null, 'running');",
        )
        .unwrap();
    let warning = layout(start(&warehouse))["warning"].as_str().unwrap().to_string();
    assert!(warning.contains("run 2, started 2024-07-02 02:00 UTC) has not finished"), "{warning}");
}
