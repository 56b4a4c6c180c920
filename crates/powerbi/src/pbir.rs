//! The report in PBIR (`<name>.Report/`): one folder per page and per visual, the report's
//! slicers on every page (synchronised), cards, line and bar charts and tables bound to the
//! model's measures and columns.
//!
//! The JSON schema versions are pinned (`vendor/microsoft-json-schemas/`, which the test
//! validates every file against): the set Power BI Desktop has written since November 2025.

use medallion_analytics::{ColumnRef, SlicerKind, Visual, VisualKind};
use serde_json::{Value, json};

use crate::{ModelColumns, PowerBiError, Project, guid};

/// Canvas size of every page (16:9, Power BI's default).
pub const PAGE_WIDTH: u32 = 1280;
/// See [`PAGE_WIDTH`].
pub const PAGE_HEIGHT: u32 = 720;
const GAP: u32 = 8;
// Microsoft's PBIR validator: a dropdown slicer needs 76 px (header, selector, padding).
const SLICER_HEIGHT: u32 = 80;
const CARD_HEIGHT: u32 = 96;

/// The URL of a Microsoft schema (`<path>` below `fabric/`, version included).
pub fn schema(path: &str) -> String {
    format!("https://developer.microsoft.com/json-schemas/fabric/{path}/schema.json")
}

/// The pinned versions.
const REPORT_DEFINITION: &str = "item/report/definitionProperties/2.0.0";
const VERSION: &str = "item/report/definition/versionMetadata/1.0.0";
const REPORT: &str = "item/report/definition/report/3.0.0";
const PAGES: &str = "item/report/definition/pagesMetadata/1.0.0";
const PAGE: &str = "item/report/definition/page/2.0.0";
const VISUAL: &str = "item/report/definition/visualContainer/2.4.0";

/// A PBIR object name (`[A-Za-z0-9_-]`, at most 50 characters) from a display name.
pub fn object_name(display: &str) -> String {
    let mut out: String = display.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    out.trim_matches('_').chars().take(50).collect()
}

/// `{"expr": {"Literal": {"Value": ...}}}`, a formatting property's value.
fn literal(value: &str) -> Value {
    json!({"expr": {"Literal": {"Value": value}}})
}

/// A text literal (single-quoted inside the JSON string).
fn text_literal(text: &str) -> Value {
    literal(&format!("'{}'", text.replace('\'', "''")))
}

fn measure_projection(table: &str, measure: &str) -> Value {
    json!({
        "field": {"Measure": {"Expression": {"SourceRef": {"Entity": table}}, "Property": measure}},
        "queryRef": format!("{table}.{measure}"),
        "nativeQueryRef": measure
    })
}

fn column_field(c: &ColumnRef) -> Value {
    json!({"Column": {"Expression": {"SourceRef": {"Entity": c.table}}, "Property": c.column}})
}

fn column_projection(c: &ColumnRef) -> Value {
    json!({
        "field": column_field(c),
        "queryRef": format!("{}.{}", c.table, c.column),
        "nativeQueryRef": c.column,
        "active": true
    })
}

fn title(text: &str) -> Value {
    json!({"title": [{"properties": {"show": literal("true"), "text": text_literal(text)}}]})
}

struct Position {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

/// `n` boxes side by side across the page at height `y`.
fn row(n: u32, y: u32, height: u32) -> Vec<Position> {
    let width = (PAGE_WIDTH - GAP * (n + 1)) / n;
    (0..n).map(|i| Position { x: GAP + i * (width + GAP), y, width, height }).collect()
}

fn container(name: &str, at: &Position, z: u32, visual: Value) -> Value {
    json!({
        "$schema": schema(VISUAL),
        "name": name,
        "position": {"x": at.x, "y": at.y, "z": z, "width": at.width, "height": at.height, "tabOrder": z},
        "visual": visual
    })
}

fn put(files: &mut Project, path: String, value: Value) {
    files.insert(path, crate::json(&value));
}

/// Every file of `<name>.Report/`.
pub(crate) fn report(columns: &ModelColumns) -> Result<Project, PowerBiError> {
    let report = columns.report;
    let model = &report.model;
    let folder = format!("{}.Report", model.name);
    let measures = &model.measures_table;
    let mut files = Project::new();
    put(
        &mut files,
        format!("{folder}/.platform"),
        json!({
            "$schema": schema("gitIntegration/platformProperties/2.0.0"),
            "metadata": {"type": "Report", "displayName": model.name},
            "config": {"version": "2.0", "logicalId": guid(&format!("report {}", model.name))}
        }),
    );
    put(
        &mut files,
        format!("{folder}/definition.pbir"),
        json!({
            "$schema": schema(REPORT_DEFINITION),
            "version": "4.0",
            "datasetReference": {"byPath": {"path": format!("../{}.SemanticModel", model.name)}}
        }),
    );
    put(&mut files, format!("{folder}/definition/version.json"), json!({"$schema": schema(VERSION), "version": "2.0.0"}));
    // No base theme: Power BI applies its default, and the project needs no theme file.
    put(&mut files, format!("{folder}/definition/report.json"), json!({"$schema": schema(REPORT), "themeCollection": {}}));

    let page_names: Vec<String> = report.pages.iter().map(|p| object_name(&p.name)).collect();
    put(
        &mut files,
        format!("{folder}/definition/pages/pages.json"),
        json!({"$schema": schema(PAGES), "pageOrder": page_names, "activePageName": page_names[0]}),
    );

    let slicers = report
        .slicers
        .iter()
        .map(|s| Ok((s, columns.resolve(&format!("slicer `{}`", s.name), &s.powerbi)?)))
        .collect::<Result<Vec<_>, PowerBiError>>()?;
    for (page, page_name) in report.pages.iter().zip(&page_names) {
        let at = format!("{folder}/definition/pages/{page_name}");
        put(
            &mut files,
            format!("{at}/page.json"),
            json!({
                "$schema": schema(PAGE),
                "name": page_name,
                "displayName": page.name,
                "displayOption": "FitToPage",
                "height": PAGE_HEIGHT,
                "width": PAGE_WIDTH
            }),
        );
        let mut z = 0;
        let mut add = |visual_name: String, position: &Position, visual: Value| -> Result<(), PowerBiError> {
            let name = format!("{page_name}_{visual_name}").chars().take(50).collect::<String>();
            let path = format!("{at}/visuals/{name}/visual.json");
            if files.contains_key(&path) {
                return Err(PowerBiError::Model(format!("page `{}`: two visuals are both named {name}; give one a title", page.name)));
            }
            files.insert(path, crate::json(&container(&name, position, z, visual)));
            z += 1;
            Ok(())
        };
        // The slicers, in a row at the top, each synchronised across pages.
        for ((slicer, column), position) in slicers.iter().zip(row(slicers.len() as u32, GAP, SLICER_HEIGHT)) {
            let mode = if slicer.kind == SlicerKind::Range { "Between" } else { "Dropdown" };
            add(
                format!("slicer_{}", slicer.name),
                &position,
                json!({
                    "visualType": "slicer",
                    "query": {"queryState": {"Values": {"projections": [column_projection(column)]}}},
                    "objects": {"data": [{"properties": {"mode": text_literal(mode)}}]},
                    "visualContainerObjects": title(&slicer.label),
                    "syncGroup": {"groupName": slicer.name, "fieldChanges": true, "filterChanges": true},
                    "drillFilterOtherVisuals": true
                }),
            )?;
        }
        // Visuals of measures outside the model (no DAX) are the dashboard's only.
        let in_model = |v: &&Visual| v.measures.iter().all(|m| report.measures.iter().any(|x| &x.name == m && x.dax.is_some()));
        let cards: Vec<&Visual> = page.visuals.iter().filter(in_model).filter(|v| v.kind == VisualKind::Card).collect();
        let charts: Vec<&Visual> = page.visuals.iter().filter(in_model).filter(|v| v.kind != VisualKind::Card).collect();
        let cards_y = GAP * 2 + SLICER_HEIGHT;
        for (visual, position) in cards.iter().zip(row(cards.len().max(1) as u32, cards_y, CARD_HEIGHT)) {
            add(
                format!("card_{}", object_name(visual.title())),
                &position,
                json!({
                    "visualType": "card",
                    "query": {"queryState": {"Values": {"projections": [measure_projection(measures, &visual.measures[0])]}}},
                    "visualContainerObjects": title(visual.title()),
                    "drillFilterOtherVisuals": true
                }),
            )?;
        }
        // The charts and tables, two per row below the cards (an odd last one spans the page).
        let charts_y = cards_y + CARD_HEIGHT + GAP;
        let rows = charts.len().div_ceil(2).max(1) as u32;
        let height = (PAGE_HEIGHT - charts_y - GAP * rows) / rows;
        for (i, visual) in charts.iter().enumerate() {
            let spans_page = charts.len() % 2 == 1 && i == charts.len() - 1;
            let slots = row(if spans_page { 1 } else { 2 }, charts_y + (i as u32 / 2) * (height + GAP), height);
            let position = &slots[if spans_page { 0 } else { i % 2 }];
            let by = visual.by.as_deref().unwrap_or_default();
            let field = &report.fields[by];
            let powerbi = field.powerbi.as_deref().ok_or_else(|| PowerBiError::Model(format!("field `{by}` has no `powerbi` column")))?;
            let axis = columns.resolve(&format!("field `{by}`"), powerbi)?;
            let values: Vec<Value> = visual.measures.iter().map(|m| measure_projection(measures, m)).collect();
            let first = json!({"Measure": {"Expression": {"SourceRef": {"Entity": measures}}, "Property": visual.measures[0]}});
            let (visual_type, query_state, sort) = match visual.kind {
                VisualKind::Line => {
                    ("lineChart", json!({"Category": {"projections": [column_projection(&axis)]}, "Y": {"projections": values}}), {
                        json!({"field": column_field(&axis), "direction": "Ascending"})
                    })
                }
                VisualKind::Bar => (
                    "clusteredBarChart",
                    json!({"Category": {"projections": [column_projection(&axis)]}, "Y": {"projections": values}}),
                    json!({"field": first, "direction": "Descending"}),
                ),
                _ => {
                    let mut all = vec![column_projection(&axis)];
                    all.extend(values);
                    ("tableEx", json!({"Values": {"projections": all}}), json!({"field": first, "direction": "Descending"}))
                }
            };
            add(
                format!("{}_{}", format!("{:?}", visual.kind).to_ascii_lowercase(), object_name(visual.title())),
                position,
                json!({
                    "visualType": visual_type,
                    "query": {"queryState": query_state, "sortDefinition": {"sort": [sort], "isDefaultSort": true}},
                    "visualContainerObjects": title(visual.title()),
                    "drillFilterOtherVisuals": true
                }),
            )?;
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::object_name;

    #[test]
    fn object_names_are_word_characters() {
        assert_eq!(object_name("Data Quality"), "data_quality");
        assert_eq!(object_name("On-time rate by carrier"), "on_time_rate_by_carrier");
        assert_eq!(object_name("YoY %"), "yoy");
        assert!(object_name(&"x".repeat(80)).len() <= 50);
    }
}
