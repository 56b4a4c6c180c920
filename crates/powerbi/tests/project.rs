//! The Power BI project generated from `analytics/report.yml` on a small Gold with known
//! columns: what a BI developer opens must hold every measure, page and visual of the
//! definition, bound to model columns typed from Gold, with the date table marked. (The full
//! project's schema validation, DAX/M parsing and reference checks run in `cargo xtask powerbi`.)

use std::path::{Path, PathBuf};

use medallion_analytics::{Relationship, Report, open_warehouse};
use medallion_powerbi::{GoldTables, generate, read_gold, write};

fn report() -> Report {
    Report::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../analytics/report.yml")).unwrap()
}

/// The small Gold of the analytics tests, in a warehouse file under `dir`.
fn warehouse(dir: &Path) -> PathBuf {
    let path = dir.join("warehouse.duckdb");
    let gold = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../analytics/tests/fixtures/small_gold.sql")).unwrap();
    duckdb::Connection::open(&path).unwrap().execute_batch(&gold).unwrap();
    path
}

fn gold(report: &Report) -> GoldTables {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_warehouse(&warehouse(dir.path())).unwrap();
    read_gold(&conn, report).unwrap()
}

#[test]
fn every_measure_page_and_visual_of_the_definition_is_in_the_project() {
    let report = report();
    let project = generate(&report, &gold(&report)).unwrap();
    let measures = &project["Medallion.SemanticModel/definition/tables/Report Measures.tmdl"];
    assert!(!measures.contains("Detection Recall"), "a measure without DAX is not in the model");
    for m in report.measures.iter().filter(|m| m.dax.is_some()) {
        let quoted = if m.name.chars().all(|c| c.is_ascii_alphanumeric()) { m.name.clone() } else { format!("'{}'", m.name) };
        let at = measures.find(&format!("\tmeasure {quoted} =")).unwrap_or_else(|| panic!("no measure {}", m.name));
        let properties = &measures[at..measures[at..].find("lineageTag").map(|i| at + i).unwrap()];
        assert!(properties.contains(&format!("displayFolder: {}\n", m.folder)), "{}: {properties}", m.name);
        assert!(properties.contains(m.dax.as_deref().unwrap().lines().next().unwrap().trim()), "{}: DAX missing", m.name);
        assert!(!properties.contains("formatString: \""), "{}: format strings carry no quotes", m.name);
    }
    for page in &report.pages {
        let folder = page.name.to_ascii_lowercase().replace(' ', "_");
        let prefix = format!("Medallion.Report/definition/pages/{folder}/visuals/");
        let visuals: Vec<&String> = project.keys().filter(|p| p.starts_with(&prefix)).collect();
        // Visuals of measures outside the model (the saved scorecard) are the dashboard's only.
        let in_model: Vec<_> =
            page.visuals.iter().filter(|v| v.measures.iter().all(|m| report.measure(m).unwrap().dax.is_some())).collect();
        assert_eq!(visuals.len(), in_model.len() + report.slicers.len(), "page {}: {visuals:?}", page.name);
        for v in in_model {
            for m in &v.measures {
                let bound = visuals.iter().any(|p| project[*p].contains(&format!("\"queryRef\": \"Report Measures.{m}\"")));
                assert!(bound, "page {}: no visual binds measure {m}", page.name);
            }
        }
    }
    let relationships = &project["Medallion.SemanticModel/definition/relationships.tmdl"];
    assert_eq!(relationships.matches("relationship ").count(), report.model.relationships.len());
    assert!(relationships.contains("fromColumn: fct_shipments.ship_date_key\n\ttoColumn: dim_date.date_key"));
}

#[test]
fn the_date_table_is_marked_and_every_table_reads_its_parquet_export() {
    let report = report();
    let project = generate(&report, &gold(&report)).unwrap();
    let tables = "Medallion.SemanticModel/definition/tables";
    let date = &project[&format!("{tables}/dim_date.tmdl")];
    assert!(date.contains("\tdataCategory: Time\n"));
    assert!(date.contains("\tcolumn date_day\n\t\tdataType: dateTime\n\t\tisKey\n"), "{date}");
    // Only the rows with a date (decision 68), and the month label the month axis shows.
    assert!(date.contains("Kept = Table.SelectRows(Source, each [date_day] <> null)"));
    assert!(date.contains("Table.AddColumn(Kept, \"year_month\""));
    for table in report.model.tables.keys() {
        let text = &project[&format!("{tables}/{table}.tmdl")];
        assert!(text.contains(&format!("Parquet.Document(File.Contents(GoldFolder & \"{table}.parquet\"))")), "{table}");
    }
    // Typed from Gold: the fixture's amounts are DECIMAL(18,4), its keys BIGINT/INTEGER.
    let sales = &project[&format!("{tables}/fct_sales.tmdl")];
    assert!(sales.contains("\tcolumn net_amount_aud\n\t\tdataType: decimal\n"));
    assert!(sales.contains("\tcolumn customer_key\n\t\tdataType: int64\n\t\tisHidden\n"));
    assert!(sales.contains("\tcolumn has_missing_rate\n\t\tdataType: boolean\n"));
    let expressions = &project["Medallion.SemanticModel/definition/expressions.tmdl"];
    assert!(expressions.contains("expression GoldFolder = \"C:\\medallion\\lake\\gold\\\" meta [IsParameterQuery = true"));
}

#[test]
fn a_definition_naming_what_gold_lacks_is_a_clear_error() {
    let mut report = report();
    let gold = gold(&report);
    report.model.relationships.push(Relationship { from: "fct_sales[promo_key]".into(), to: "dim_store[store_key]".into() });
    let err = generate(&report, &gold).unwrap_err().to_string();
    assert!(err.contains("fct_sales[promo_key]") && err.contains("not in Gold"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = warehouse(dir.path());
    duckdb::Connection::open(&path).unwrap().execute_batch("drop table gold.fct_rejects").unwrap();
    let err = read_gold(&open_warehouse(&path).unwrap(), &self::report()).unwrap_err().to_string();
    assert!(err.contains("gold.fct_rejects"), "{err}");
}

#[test]
fn the_same_gold_gives_the_same_bytes_and_writing_drops_stale_files() {
    let report = report();
    let gold = gold(&report);
    let project = generate(&report, &gold).unwrap();
    assert_eq!(project, generate(&report, &gold).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("Medallion.Report/definition/pages/old_page/page.json");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, "{}").unwrap();
    write(&project, &report, dir.path()).unwrap();
    assert!(!stale.exists(), "a page no longer defined stays behind");
    for (relative, text) in &project {
        assert_eq!(&std::fs::read_to_string(dir.path().join(relative)).unwrap(), text, "{relative}");
    }
}

#[test]
fn the_dbt_exposures_name_the_tables_the_report_reads() {
    let report = report();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt/models/_exposures.yml");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let exposures = yaml["exposures"].as_sequence().unwrap();
    let names: Vec<&str> = exposures.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["medallion_dashboard", "medallion_powerbi"]);
    let tables: std::collections::BTreeSet<String> = report.model.tables.keys().map(|t| format!("ref('{t}')")).collect();
    for e in exposures {
        let depends_on: std::collections::BTreeSet<String> =
            e["depends_on"].as_sequence().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
        assert_eq!(depends_on, tables, "exposure {}", e["name"].as_str().unwrap());
    }
}
