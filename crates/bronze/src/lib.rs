//! Bronze ingestion: read every raw source, cast each row to its canonical schema, and split good
//! rows from rejects that keep their reason, file, line and original text.
//!
//! Status (issue 3, in progress): readers for CSV, JSONL and XLSX with row-level casting and
//! rejects. Next: Parquet and Delta sources, the Parquet/Delta writers with audit columns, the
//! manifest and commit protocol, the lock, and the CLI.

pub mod cast;
pub mod csv;
pub mod read;
