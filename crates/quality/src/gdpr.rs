//! GDPR check of Gold: no string column of any Gold table or view may contain the email, phone
//! or street address (line 1) of a customer without consent (taken from Silver, which keeps
//! them), unless a consenting customer has the same value.

use std::path::Path;

use duckdb::Connection;

use crate::{QualityError, attach};

/// A personal value of a non-consenting customer found in Gold.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    /// The Gold table or view, `gold.<name>`.
    pub relation: String,
    /// The column holding the values.
    pub column: String,
    /// email, phone or address.
    pub kind: String,
    /// Rows holding such a value.
    pub rows: u64,
}

/// Scans every VARCHAR column of every table and view in schema `gold` of `warehouse` for the
/// personal values of customers without consent (exact match, case-insensitive, trimmed).
pub fn scan(warehouse: &Path) -> Result<Vec<Leak>, QualityError> {
    let conn = Connection::open_in_memory()?;
    // Views name their tables with the catalog dbt saw (the file's stem): attach under it.
    let catalog = warehouse.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "w".into());
    let w = format!("\"{}\"", catalog.replace('"', "\"\""));
    attach(&conn, warehouse, &w)?;
    conn.execute_batch(&format!(
        "create temp table values_by_consent as
             select gdpr_consent, kind, lower(trim(value)) as value from (
                 select gdpr_consent, 'email' as kind, email as value from {w}.silver.stg_customers
                 union all select gdpr_consent, 'phone', phone from {w}.silver.stg_customers
                 union all select gdpr_consent, 'address', address_line1 from {w}.silver.stg_customers
             ) where value is not null and length(trim(value)) > 3;
         -- A value a consenting customer shares (two people at one street address) may appear.
         create temp table personal as
             select distinct kind, value from values_by_consent where not gdpr_consent
             except
             select kind, value from values_by_consent where gdpr_consent"
    ))?;
    let mut stmt = conn.prepare(
        "select table_name, column_name from duckdb_columns()
         where database_name = ? and schema_name = 'gold' and data_type = 'VARCHAR' order by 1, 2",
    )?;
    let columns: Vec<(String, String)> = stmt.query_map([&catalog], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut leaks = Vec::new();
    for (table, column) in columns {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let sql = format!(
            "select p.kind, count(*) from {w}.gold.{} g join personal p on p.value = lower(trim(g.{})) group by p.kind order by 1",
            q(&table),
            q(&column)
        );
        let mut stmt = conn.prepare(&sql)?;
        for found in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (kind, rows) = found?;
            leaks.push(Leak { relation: format!("gold.{table}"), column: column.clone(), kind, rows: rows as u64 });
        }
    }
    Ok(leaks)
}
