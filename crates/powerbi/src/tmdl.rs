//! The semantic model in TMDL (`<name>.SemanticModel/`): database, model, the `GoldFolder`
//! parameter, one file per Gold table (typed columns, a Power Query partition reading the
//! table's Parquet export), the measures table and the star relationships.

use std::fmt::Write as _;

use crate::{GoldColumn, ModelColumns, PowerBiError, Project, guid, json, pbir};

/// Where the Parquet export is until the user points `GoldFolder` at theirs (README).
pub const DEFAULT_GOLD_FOLDER: &str = r"C:\medallion\lake\gold\";

/// A TMDL object name: bare when it is a plain identifier, else in single quotes.
pub fn name(text: &str) -> String {
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { text.to_string() } else { format!("'{}'", text.replace('\'', "''")) }
}

/// A Power BI format string without double quotes: each quoted literal becomes backslash
/// escapes (`"A$"#,0.00` → `\A\$#,0.00`, the same format), so the TMDL value needs no quoting.
pub fn format_string(format: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in format.chars() {
        match (c, quoted) {
            ('"', _) => quoted = !quoted,
            (c, true) => {
                out.push('\\');
                out.push(c);
            }
            (c, false) => out.push(c),
        }
    }
    out
}

/// How a DuckDB type is held in the model: TMDL data type, format string, and whether Power
/// Query must turn it from a zoned date-time into UTC.
struct ModelType {
    data_type: &'static str,
    format: Option<&'static str>,
    date_only: bool,
    zoned: bool,
}

fn model_type(table: &str, column: &GoldColumn) -> Result<ModelType, PowerBiError> {
    let t = column.duckdb_type.as_str();
    let plain = |data_type| Ok(ModelType { data_type, format: None, date_only: false, zoned: false });
    match t {
        "BIGINT" | "INTEGER" | "SMALLINT" | "TINYINT" | "UINTEGER" | "USMALLINT" | "UTINYINT" => plain("int64"),
        "DOUBLE" | "FLOAT" => plain("double"),
        "VARCHAR" => plain("string"),
        "BOOLEAN" => plain("boolean"),
        "DATE" => Ok(ModelType { data_type: "dateTime", format: Some("yyyy-mm-dd"), date_only: true, zoned: false }),
        "TIMESTAMP" => Ok(ModelType { data_type: "dateTime", format: Some("yyyy-mm-dd hh:nn:ss"), date_only: false, zoned: false }),
        "TIMESTAMP WITH TIME ZONE" => {
            Ok(ModelType { data_type: "dateTime", format: Some("yyyy-mm-dd hh:nn:ss"), date_only: false, zoned: true })
        }
        // Power BI's fixed decimal keeps four decimals; a finer scale (exchange rates) is a double.
        _ if t.starts_with("DECIMAL(") => {
            let scale: u32 = t.trim_end_matches(')').rsplit(',').next().and_then(|s| s.trim().parse().ok()).unwrap_or(u32::MAX);
            plain(if scale <= 4 { "decimal" } else { "double" })
        }
        _ => Err(PowerBiError::Model(format!(
            "gold.{table}.{}: type {t} has no Power BI model type here; cast it in the Gold model",
            column.name
        ))),
    }
}

/// The M type of an added column's TMDL data type.
fn m_type(data_type: &str) -> Result<&'static str, PowerBiError> {
    Ok(match data_type {
        "string" => "type text",
        "int64" => "Int64.Type",
        "double" => "type number",
        "boolean" => "type logical",
        "dateTime" => "type datetime",
        other => {
            return Err(PowerBiError::Model(format!("added column type `{other}`: expected string, int64, double, boolean or dateTime")));
        }
    })
}

/// An M string literal.
fn m_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `/// ` description lines (TMDL's descriptions), at `indent` tabs.
fn description(out: &mut String, indent: usize, text: &str) {
    for line in text.split_whitespace().collect::<Vec<_>>().join(" ").lines() {
        let _ = writeln!(out, "{}/// {line}", "\t".repeat(indent));
    }
}

/// An expression property (`= …`): on the same line when it is one line, else on the
/// following lines one tab deeper than the object's properties.
fn expression(out: &mut String, indent: usize, text: &str) {
    let lines: Vec<&str> = text.trim().lines().collect();
    if let [one] = lines.as_slice() {
        let _ = writeln!(out, " {}", one.trim());
    } else {
        out.push('\n');
        for line in lines {
            let _ = writeln!(out, "{}{}", "\t".repeat(indent + 2), line.trim_end());
        }
    }
}

/// Every file of `<name>.SemanticModel/`.
pub(crate) fn semantic_model(columns: &ModelColumns) -> Result<Project, PowerBiError> {
    let report = columns.report;
    let model = &report.model;
    let folder = format!("{}.SemanticModel", model.name);
    let mut files = Project::new();
    let date = columns.resolve("model.date_table", &model.date_table)?;

    files.insert(
        format!("{folder}/.platform"),
        json(&serde_json::json!({
            "$schema": pbir::schema("gitIntegration/platformProperties/2.0.0"),
            "metadata": {"type": "SemanticModel", "displayName": model.name},
            "config": {"version": "2.0", "logicalId": guid(&format!("semantic model {}", model.name))}
        })),
    );
    files.insert(
        format!("{folder}/definition.pbism"),
        json(&serde_json::json!({
            "$schema": pbir::schema("item/semanticModel/definitionProperties/1.0.0"),
            "version": "4.2",
            "settings": {}
        })),
    );
    files.insert(format!("{folder}/definition/database.tmdl"), format!("database {}\n\tcompatibilityLevel: 1567\n\n", name(&model.name)));

    let mut tables: Vec<&str> = model.tables.keys().map(String::as_str).collect();
    tables.push(&model.measures_table);
    let mut text = String::from(
        "model Model\n\tculture: en-US\n\tdefaultPowerBIDataSourceVersion: powerBI_V3\n\tsourceQueryCulture: en-US\n\
         \tdataAccessOptions\n\t\tlegacyRedirects\n\t\treturnErrorValuesAsNull\n\n",
    );
    let order: Vec<String> = std::iter::once("GoldFolder").chain(tables.iter().copied()).map(|t| format!("\"{t}\"")).collect();
    let _ = writeln!(text, "annotation PBI_QueryOrder = [{}]\n", order.join(","));
    // The model's own date table replaces Power BI's automatic one per date column.
    text.push_str("annotation __PBI_TimeIntelligenceEnabled = 0\n\n");
    for t in &tables {
        let _ = writeln!(text, "ref table {}", name(t));
    }
    files.insert(format!("{folder}/definition/model.tmdl"), text);

    let mut text = String::new();
    description(&mut text, 0, "The folder holding Gold's Parquet export (lake/gold/ of `cargo xtask pipeline`), ending with a backslash.");
    let _ = writeln!(
        text,
        "expression GoldFolder = {} meta [IsParameterQuery = true, Type = \"Text\", IsParameterQueryRequired = true]",
        m_string(DEFAULT_GOLD_FOLDER)
    );
    let _ = writeln!(text, "\tlineageTag: {}\n\n\tannotation PBI_ResultType = Text\n", guid("expression GoldFolder"));
    files.insert(format!("{folder}/definition/expressions.tmdl"), text);

    for (table, how) in &model.tables {
        let gold = &columns.gold[table];
        let mut text = format!("table {}\n\tlineageTag: {}\n", name(table), guid(&format!("table {table}")));
        if *table == date.table {
            text.push_str("\tdataCategory: Time\n");
        }
        text.push('\n');
        let mut zoned = Vec::new();
        for column in gold {
            let ty = model_type(table, column)?;
            if ty.zoned {
                zoned.push(column.name.as_str());
            }
            let _ = writeln!(text, "\tcolumn {}\n\t\tdataType: {}", name(&column.name), ty.data_type);
            if *table == date.table && column.name == date.column {
                text.push_str("\t\tisKey\n");
            }
            if let Some(format) = ty.format {
                let _ = writeln!(text, "\t\tformatString: {format}");
            }
            // Surrogate keys only join; users never pick them.
            if column.name.ends_with("_key") {
                text.push_str("\t\tisHidden\n");
            }
            let _ = writeln!(
                text,
                "\t\tlineageTag: {}\n\t\tsummarizeBy: none\n\t\tsourceColumn: {}\n",
                guid(&format!("column {table}.{}", column.name)),
                column.name
            );
            text.push_str("\t\tannotation SummarizationSetBy = Automatic\n");
            if ty.date_only {
                text.push_str("\n\t\tannotation UnderlyingDateTimeDataType = Date\n");
            }
            text.push('\n');
        }
        for added in &how.add {
            let _ = writeln!(
                text,
                "\tcolumn {}\n\t\tdataType: {}\n\t\tlineageTag: {}\n\t\tsummarizeBy: none\n\t\tsourceColumn: {}\n\n\t\tannotation SummarizationSetBy = Automatic\n",
                name(&added.name),
                added.data_type,
                guid(&format!("column {table}.{}", added.name)),
                added.name
            );
        }
        // The partition: the Parquet export, the kept rows, zoned times in UTC, added columns.
        let mut steps = vec![format!("Source = Parquet.Document(File.Contents(GoldFolder & {}))", m_string(&format!("{table}.parquet")))];
        let mut last = "Source".to_string();
        if let Some(keep) = &how.keep {
            steps.push(format!("Kept = Table.SelectRows({last}, {keep})"));
            last = "Kept".into();
        }
        if !zoned.is_empty() {
            let each: Vec<String> = zoned
                .iter()
                .map(|c| format!("{{{}, each DateTimeZone.RemoveZone(DateTimeZone.ToUtc(_)), type datetime}}", m_string(c)))
                .collect();
            steps.push(format!("InUtc = Table.TransformColumns({last}, {{{}}})", each.join(", ")));
            last = "InUtc".into();
        }
        for (i, added) in how.add.iter().enumerate() {
            let step = format!("Added{}", i + 1);
            steps.push(format!("{step} = Table.AddColumn({last}, {}, {}, {})", m_string(&added.name), added.m, m_type(&added.data_type)?));
            last = step;
        }
        let _ = writeln!(text, "\tpartition {} = m\n\t\tmode: import\n\t\tsource =", name(table));
        let _ = writeln!(text, "\t\t\t\tlet\n\t\t\t\t    {}\n\t\t\t\tin\n\t\t\t\t    {last}\n", steps.join(",\n\t\t\t\t    "));
        text.push_str("\tannotation PBI_ResultType = Table\n\n");
        files.insert(format!("{folder}/definition/tables/{table}.tmdl"), text);
    }

    files.insert(format!("{folder}/definition/tables/{}.tmdl", model.measures_table), measures_table(columns));

    let mut text = String::new();
    for r in &model.relationships {
        let from = columns.resolve("relationship", &r.from)?;
        let to = columns.resolve("relationship", &r.to)?;
        let _ = writeln!(
            text,
            "relationship {}\n\tfromCardinality: many\n\ttoCardinality: one\n\tcrossFilteringBehavior: oneDirection\n\
             \tfromColumn: {}.{}\n\ttoColumn: {}.{}\n",
            guid(&format!("relationship {from} {to}")),
            name(&from.table),
            name(&from.column),
            name(&to.table),
            name(&to.column)
        );
    }
    files.insert(format!("{folder}/definition/relationships.tmdl"), text);
    Ok(files)
}

/// The measures table: every measure with its DAX, format, folder and definition, and one
/// hidden column (a table needs one) from an empty Power Query table.
fn measures_table(columns: &ModelColumns) -> String {
    let model = &columns.report.model;
    let table = &model.measures_table;
    let mut text = String::new();
    description(&mut text, 0, "Every measure of the report (analytics/report.yml); amounts in AUD.");
    let _ = writeln!(text, "table {}\n\tlineageTag: {}\n", name(table), guid(&format!("table {table}")));
    // A measure without DAX reads facts outside the model (the dashboard's only).
    for (m, dax) in columns.report.measures.iter().filter_map(|m| Some((m, m.dax.as_deref()?))) {
        description(&mut text, 1, &m.definition);
        let _ = write!(text, "\tmeasure {} =", name(&m.name));
        expression(&mut text, 1, dax);
        let _ = writeln!(
            text,
            "\t\tformatString: {}\n\t\tdisplayFolder: {}\n\t\tlineageTag: {}\n",
            format_string(&m.format),
            m.folder,
            guid(&format!("measure {}", m.name))
        );
    }
    let _ = writeln!(
        text,
        "\tcolumn Measure\n\t\tdataType: string\n\t\tisHidden\n\t\tlineageTag: {}\n\t\tsummarizeBy: none\n\t\tsourceColumn: Measure\n\n\
         \t\tannotation SummarizationSetBy = Automatic\n",
        guid(&format!("column {table}.Measure"))
    );
    let _ = writeln!(
        text,
        "\tpartition {} = m\n\t\tmode: import\n\t\tsource = #table(type table [Measure = text], {{}})\n\n\tannotation PBI_ResultType = Table\n",
        name(table)
    );
    text
}

#[cfg(test)]
mod tests {
    use super::{format_string, model_type, name};
    use crate::GoldColumn;

    fn typed(duckdb_type: &str) -> Result<(&'static str, bool), String> {
        let column = GoldColumn { name: "c".into(), duckdb_type: duckdb_type.into() };
        model_type("t", &column).map(|t| (t.data_type, t.zoned)).map_err(|e| e.to_string())
    }

    #[test]
    fn duckdb_types_map_to_model_types() {
        assert_eq!(typed("DECIMAL(18,4)"), Ok(("decimal", false)));
        // Finer than Power BI's four fixed decimals: a double keeps the exchange rate.
        assert_eq!(typed("DECIMAL(18,8)"), Ok(("double", false)));
        assert_eq!(typed("TIMESTAMP WITH TIME ZONE"), Ok(("dateTime", true)));
        assert_eq!(typed("DATE"), Ok(("dateTime", false)));
        assert_eq!(typed("INTEGER"), Ok(("int64", false)));
        let err = typed("HUGEINT").unwrap_err();
        assert!(err.contains("gold.t.c") && err.contains("HUGEINT"), "{err}");
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(name("fct_sales"), "fct_sales");
        assert_eq!(name("Report Measures"), "'Report Measures'");
        assert_eq!(name("YoY %"), "'YoY %'");
        assert_eq!(name("Customer's"), "'Customer''s'");
        assert_eq!(name("2024"), "'2024'");
    }

    #[test]
    fn quoted_literals_become_escapes() {
        assert_eq!(format_string("\"A$\"#,0.00"), "\\A\\$#,0.00");
        assert_eq!(format_string("0.0 \"h\""), "0.0 \\h");
        assert_eq!(format_string("0.0%"), "0.0%");
    }
}
