//! Bronze ingestion: read every raw source, cast each row to its canonical schema, and split good
//! rows from rejects that keep their reason, file, line and original text.
//!
//! Status (issue 3, in progress): readers for CSV, JSONL, XLSX and Parquet sources with
//! row-level casting and rejects. Next: the returns Delta source (version replay), the
//! Parquet/Delta writers with audit columns, the manifest and commit protocol, the lock, and
//! `medallion bronze`.

pub mod cast;
pub mod csv;
pub mod read;
