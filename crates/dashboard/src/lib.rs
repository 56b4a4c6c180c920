//! The report on Gold in the browser: `medallion dashboard` serves the five pages of
//! `analytics/report.yml` from the warehouse (read-only, 127.0.0.1 by default); the page sends a
//! page name and typed slicer values, never SQL, and every figure it draws is a measure computed
//! by medallion-analytics. [`export`] writes the same pages as static HTML that opens from disk.
//! Charts are drawn by ECharts, fetched from the npm registry by `cargo xtask` and served from a
//! local folder: no CDN, works offline.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use duckdb::Connection;
use medallion_analytics::{AnalyticsError, Report, Slicers, VisualValues};
use serde::Serialize;

/// The page the browser gets: the layout, the styles and the script that draws the visuals.
const PAGE_HTML: &str = include_str!("dashboard.html");

/// The chart library's file in the assets folder.
pub const ECHARTS_FILE: &str = "echarts.min.js";

/// Why the dashboard could not start or export.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The report or the warehouse.
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// A file or the listening socket.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// What the page's script needs to lay out the report: pages, visuals, slicers and their
/// choices, and each measure's format.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    /// Pages and their visuals.
    pub pages: Vec<PageLayout>,
    /// Slicers with their choices (for the date range: the first and last day with data).
    pub slicers: Vec<SlicerLayout>,
    /// Measure name → (format string, definition).
    pub measures: BTreeMap<String, (String, String)>,
    /// Shown above every page when the latest transform did not finish with success.
    pub warning: Option<String>,
}

/// A page's visuals, without figures.
#[derive(Debug, Clone, Serialize)]
pub struct PageLayout {
    /// The page's name.
    pub name: String,
    /// Its visuals' titles, kinds and measures.
    pub visuals: Vec<(String, medallion_analytics::VisualKind, Vec<String>)>,
}

/// A slicer and what it can be set to.
#[derive(Debug, Clone, Serialize)]
pub struct SlicerLayout {
    /// Its name in requests.
    pub name: String,
    /// Its label.
    pub label: String,
    /// `range` or `value`.
    pub kind: String,
    /// The values in the data (a range: its first and last day).
    pub choices: Vec<String>,
}

/// A page's figures under the slicers of a request: what `/api/page` returns.
#[derive(Debug, Clone, Serialize)]
pub struct PageFigures {
    /// The page.
    pub page: String,
    /// Every visual's figures.
    pub visuals: Vec<VisualValues>,
}

/// The report and the warehouse it is computed on.
pub struct Dashboard {
    report: Report,
    conn: Mutex<Connection>,
    layout: Layout,
    assets: Option<PathBuf>,
}

impl Dashboard {
    /// Opens the warehouse read-only, builds the report's facts once and reads the slicers'
    /// choices. `assets` is the folder holding the chart library.
    pub fn open(report: &Path, warehouse: &Path, assets: Option<PathBuf>) -> Result<Dashboard, DashboardError> {
        let mut report = Report::load(report)?;
        let conn = medallion_analytics::open_warehouse(warehouse)?;
        report.materialize(&conn)?;
        let layout = layout(&report, &conn)?;
        Ok(Dashboard { report, conn: Mutex::new(conn), layout, assets })
    }

    /// The report's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The figures of page `name` under `slicers`.
    pub fn figures(&self, name: &str, slicers: &Slicers) -> Result<PageFigures, AnalyticsError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        Ok(PageFigures { page: name.to_string(), visuals: self.report.evaluate_page(&conn, name, slicers)? })
    }

    /// The HTTP routes: `/` (the page), `/api/layout`, `/api/page?name=…&from=…&to=…&<slicer>=…`,
    /// `/assets/echarts.min.js`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/api/layout", get(api_layout))
            .route("/api/page", get(api_page))
            .route("/assets/echarts.min.js", get(echarts))
            .with_state(Arc::new(self))
    }

    /// Serves on `addr` until the process ends; `ready` is called with the bound address.
    pub fn serve(self, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<(), DashboardError> {
        let io = |what: &str| {
            let what = what.to_string();
            move |source| DashboardError::Io { what, source }
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(io("starting the server"))?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(io(&format!("listening on {addr}")))?;
            ready(listener.local_addr().map_err(io("reading the bound address"))?);
            axum::serve(listener, self.router()).await.map_err(io("serving"))
        })
    }
}

/// The slicers' choices and the pages' visuals.
fn layout(report: &Report, conn: &Connection) -> Result<Layout, AnalyticsError> {
    let mut slicers = Vec::new();
    for s in &report.slicers {
        let mut choices = std::collections::BTreeSet::new();
        for (fact, def) in &report.facts {
            let Some(column) = def.slicers.get(&s.name) else { continue };
            let source = report.source(fact, def);
            let sql = match s.kind {
                medallion_analytics::SlicerKind::Range => {
                    format!(
                        "select cast(min({column}) as varchar) from {source} union all select cast(max({column}) as varchar) from {source}"
                    )
                }
                medallion_analytics::SlicerKind::Value => {
                    format!("select distinct cast({column} as varchar) from {source} where {column} is not null")
                }
            };
            let sql_error = |source| AnalyticsError::Sql { measure: format!("the choices of slicer {}", s.name), source };
            let mut stmt = conn.prepare(&sql).map_err(sql_error)?;
            let values =
                stmt.query_map([], |r| r.get::<_, Option<String>>(0)).and_then(|r| r.collect::<Result<Vec<_>, _>>()).map_err(sql_error)?;
            choices.extend(values.into_iter().flatten());
        }
        let mut choices: Vec<String> = choices.into_iter().collect();
        if s.kind == medallion_analytics::SlicerKind::Range && choices.len() > 2 {
            // Several facts: the widest range.
            choices = vec![choices[0].clone(), choices[choices.len() - 1].clone()];
        }
        let kind = match s.kind {
            medallion_analytics::SlicerKind::Range => "range",
            medallion_analytics::SlicerKind::Value => "value",
        };
        slicers.push(SlicerLayout { name: s.name.clone(), label: s.label.clone(), kind: kind.into(), choices });
    }
    let pages = report
        .pages
        .iter()
        .map(|p| PageLayout {
            name: p.name.clone(),
            visuals: p.visuals.iter().map(|v| (v.title().to_string(), v.kind, v.measures.clone())).collect(),
        })
        .collect();
    let measures = report.measures.iter().map(|m| (m.name.clone(), (m.format.clone(), m.definition.trim().to_string()))).collect();
    let warning = medallion_analytics::transform_warning(conn)?;
    Ok(Layout { pages, slicers, measures, warning })
}

/// The request's slicers: `from` and `to` (both or neither), and one value per other slicer.
/// Anything else is a 400 naming it.
fn slicers_of(report: &Report, query: &BTreeMap<String, String>) -> Result<(String, Slicers), String> {
    let name = query.get("name").cloned().ok_or("missing parameter `name` (the page)")?;
    let mut slicers = Slicers::none();
    match (query.get("from"), query.get("to")) {
        (Some(from), Some(to)) => slicers = slicers.between(from, to),
        (None, None) => {}
        _ => return Err("`from` and `to` go together".into()),
    }
    for (key, value) in query {
        if matches!(key.as_str(), "name" | "from" | "to") || value.is_empty() {
            continue;
        }
        slicers = slicers.with(key, value);
    }
    report.check_slicers(&slicers).map_err(|e| e.to_string())?;
    Ok((name, slicers))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

async fn index() -> Html<&'static str> {
    Html(PAGE_HTML)
}

async fn api_layout(State(dashboard): State<Arc<Dashboard>>) -> Response {
    axum::Json(dashboard.layout().clone()).into_response()
}

async fn api_page(State(dashboard): State<Arc<Dashboard>>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    let (name, slicers) = match slicers_of(&dashboard.report, &query) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    // DuckDB work off the async threads.
    let worker = dashboard.clone();
    match tokio::task::spawn_blocking(move || worker.figures(&name, &slicers)).await {
        Ok(Ok(figures)) => axum::Json(figures).into_response(),
        Ok(Err(AnalyticsError::BadRequest(message))) => bad_request(message),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({ "error": e.to_string() }))).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn echarts(State(dashboard): State<Arc<Dashboard>>) -> Response {
    let Some(dir) = &dashboard.assets else {
        return (StatusCode::NOT_FOUND, "no assets folder: start with --assets (cargo xtask fetches ECharts)").into_response();
    };
    match std::fs::read(dir.join(ECHARTS_FILE)) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], bytes).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, format!("{}: {e}", dir.join(ECHARTS_FILE).display())).into_response(),
    }
}

/// Writes the five pages, unfiltered, as static HTML that opens from disk with no server:
/// `index.html` (the layout and every page's figures embedded) and the chart library beside it.
pub fn export(dashboard: &Dashboard, dir: &Path) -> Result<PathBuf, DashboardError> {
    let io = |what: String| move |source| DashboardError::Io { what, source };
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let mut pages = BTreeMap::new();
    for page in &dashboard.layout.pages {
        pages.insert(page.name.clone(), dashboard.figures(&page.name, &Slicers::none())?);
    }
    let data = serde_json::json!({ "layout": dashboard.layout, "pages": pages });
    // `</` inside a script would end it early; JSON allows `<\/`.
    let embedded = format!("<script>window.MEDALLION_STATIC = {};</script>", data.to_string().replace("</", "<\\/"));
    let html = PAGE_HTML.replacen("<!-- static data -->", &embedded, 1).replacen("/assets/echarts.min.js", ECHARTS_FILE, 1);
    let index = dir.join("index.html");
    std::fs::write(&index, html).map_err(io(format!("writing {}", index.display())))?;
    if let Some(assets) = &dashboard.assets {
        let to = dir.join(ECHARTS_FILE);
        std::fs::copy(assets.join(ECHARTS_FILE), &to).map_err(io(format!("copying {ECHARTS_FILE} to {}", to.display())))?;
    }
    Ok(index)
}
