//! Format readers. Each reads one raw file, casts every row to the table's canonical schema and
//! hands good rows to a sink in batches, keeping every row that does not fit as a [`Reject`]:
//! rows read = rows loaded + rows rejected, for every file. Problems with the data never become
//! errors; only a failing sink does.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use arrow::array::{ArrayRef, BinaryBuilder, RecordBatch, StringBuilder};
use medallion_schema::{RawFormat, Table};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cast::RowCaster;
use crate::csv::{CsvReader, Record};

/// Rows per batch handed to the sink: memory is bounded by this, not by file size.
pub const BATCH_ROWS: usize = 65_536;
/// A JSON line longer than this is rejected rather than loaded.
pub const MAX_JSON_LINE: usize = 1 << 20;

/// A row that did not make it into Bronze, with everything needed to find and fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// 1-based line for text files (the header is line 1), worksheet row for XLSX.
    pub line: u64,
    /// The reason code (`invalid_date`, `wrong_field_count`, …).
    pub code: String,
    /// A sentence naming the field and the value at fault.
    pub reason: String,
    /// The original text of the row.
    pub raw: String,
}

/// The outcome of reading one file.
#[derive(Debug, Default)]
pub struct FileRead {
    /// Rows read.
    pub rows_read: u64,
    /// Rows handed to the sink.
    pub rows_loaded: u64,
    /// Rows rejected, each with its reason.
    pub rejects: Vec<Reject>,
    /// Set when the file as a whole could not be read (then it has no rows).
    pub file_error: Option<(String, String)>,
}

impl FileRead {
    fn reject(&mut self, line: u64, code: &str, reason: String, raw: String) {
        self.rows_read += 1;
        self.rejects.push(Reject { line, code: code.to_string(), reason, raw });
    }

    fn failed(code: &str, message: String) -> Self {
        FileRead { file_error: Some((code.to_string(), message)), ..Default::default() }
    }
}

/// Receives batches of good rows in the canonical schema, with each row's `src_row_hash`
/// (see [`row_hash`]); its error aborts the read.
pub type Sink<'a, E> = dyn FnMut(RecordBatch, ArrayRef) -> Result<(), E> + 'a;

/// Builds the `src_row_hash` column: the 128-bit XXH3 hash of the row as read, as 16 bytes
/// (big-endian, so `hex()` in SQL prints the conventional form). A non-cryptographic hash is
/// enough to identify a row and several times cheaper than BLAKE3 on short rows.
#[derive(Default)]
pub struct RowHashes(BinaryBuilder);

impl RowHashes {
    /// Adds the hash of one raw row.
    pub fn push(&mut self, raw: &[u8]) {
        self.0.append_value(row_hash(raw));
    }

    /// The column, and a fresh builder.
    pub fn finish(&mut self) -> ArrayRef {
        std::sync::Arc::new(self.0.finish())
    }
}

/// The `src_row_hash` of a raw row.
pub fn row_hash(raw: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(raw).to_be_bytes()
}

/// Reads `path` as a raw file of `table`, in the table's format.
pub fn read_file<E>(path: &Path, table: Table, sink: &mut Sink<'_, E>) -> Result<FileRead, E> {
    match table.raw().format {
        RawFormat::Csv => read_csv(path, table, sink),
        RawFormat::Jsonl => read_jsonl(path, table, sink),
        RawFormat::Xlsx => read_xlsx(path, table, sink),
        RawFormat::Parquet => read_parquet(path, table, sink),
        RawFormat::Delta => {
            Ok(FileRead::failed("unsupported_format", format!("{}: {:?} sources are not read yet", path.display(), table.raw().format)))
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, FileRead> {
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 20, f))
        .map_err(|e| FileRead::failed("unreadable_file", format!("{}: {e}", path.display())))
}

fn flush<E>(caster: &mut RowCaster, hashes: &mut RowHashes, out: &mut FileRead, sink: &mut Sink<'_, E>) -> Result<(), E> {
    if caster.rows() > 0 {
        out.rows_loaded += caster.rows() as u64;
        sink(caster.finish(), hashes.finish())?;
    }
    Ok(())
}

/// CSV with a header naming exactly the canonical columns (in any order). A file whose header
/// differs — missing or extra columns, another delimiter — loads nothing: every line is
/// rejected with the header problem, so nothing is lost and nothing is guessed.
pub fn read_csv<E>(path: &Path, table: Table, sink: &mut Sink<'_, E>) -> Result<FileRead, E> {
    let input = match open(path) {
        Ok(i) => i,
        Err(failed) => return Ok(failed),
    };
    let mut reader = CsvReader::new(input);
    let mut rec = Record::default();
    let mut out = FileRead::default();
    let name = path.display();
    let header = match reader.read(&mut rec) {
        Err(e) => return Ok(FileRead::failed("unreadable_file", format!("{name}: {e}"))),
        Ok(None) => return Ok(FileRead::failed("empty_file", format!("{name}: the file is empty (not even a header)"))),
        Ok(Some(Err(e))) => return Ok(FileRead::failed(e.code(), format!("{name}:1: the header cannot be read ({})", e.code()))),
        Ok(Some(Ok(()))) => rec.fields().map(|f| f.trim().to_string()).collect::<Vec<_>>(),
    };
    let canonical = table.raw().column_names();
    // Position in the file of each canonical column.
    let order: Option<Vec<usize>> = canonical.iter().map(|c| header.iter().position(|h| h == c)).collect();
    let header_problem = match &order {
        _ if header.len() != canonical.len() || order.is_none() => {
            let missing: Vec<&str> = canonical.iter().filter(|c| !header.iter().any(|h| h == *c)).copied().collect();
            let extra: Vec<&str> = header.iter().filter(|h| !canonical.contains(&h.as_str())).map(String::as_str).collect();
            Some(format!("the header does not match {table}'s columns (missing: {missing:?}, unexpected: {extra:?})"))
        }
        _ => None,
    };
    let mut caster = RowCaster::new(table.schema());
    let mut hashes = RowHashes::default();
    loop {
        let res = match reader.read(&mut rec) {
            Ok(None) => break,
            Ok(Some(r)) => r,
            Err(e) => {
                out.file_error = Some(("unreadable_file".into(), format!("{name}:{}: {e}", rec.line)));
                break;
            }
        };
        let line = rec.line;
        if rec.raw.is_empty() {
            continue; // blank line: nothing to load, nothing lost
        }
        if let Some(problem) = &header_problem {
            out.reject(line, "schema_mismatch", format!("{name}:{line}: {problem}"), rec.raw_text());
            continue;
        }
        if let Err(e) = res {
            out.reject(line, e.code(), format!("{name}:{line}: the line cannot be split ({})", e.code()), rec.raw_text());
            continue;
        }
        if rec.len() != canonical.len() {
            let reason = format!("{name}:{line}: {} fields where {table} has {} columns", rec.len(), canonical.len());
            out.reject(line, "wrong_field_count", reason, rec.raw_text());
            continue;
        }
        let order = order.as_deref().unwrap_or_default();
        match caster.push_by(|i| rec.field(order[i])) {
            Ok(()) => {
                out.rows_read += 1;
                hashes.push(&rec.raw);
            }
            Err(e) => {
                let reason = format!("{name}:{line}: {e}");
                out.reject(line, e.code, reason, rec.raw_text());
            }
        }
        if caster.rows() >= BATCH_ROWS {
            flush(&mut caster, &mut hashes, &mut out, sink)?;
        }
    }
    flush(&mut caster, &mut hashes, &mut out, sink)?;
    Ok(out)
}

/// The envelope of an event; fields are only checked for presence and JSON validity here.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event_id: Option<&'a RawValue>,
    #[serde(borrow)]
    event_ts: Option<&'a RawValue>,
    #[serde(borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(borrow)]
    session_id: Option<&'a RawValue>,
}

impl Envelope<'_> {
    fn missing(&self) -> Option<&'static str> {
        [
            ("event_id", self.event_id),
            ("event_ts", self.event_ts),
            ("event_type", self.event_type),
            ("user_id", self.user_id),
            ("session_id", self.session_id),
        ]
        .into_iter()
        .find(|(_, v)| v.is_none_or(|v| v.get() == "null"))
        .map(|(name, _)| name)
    }
}

/// JSON Lines: each line must be one valid JSON object carrying the envelope fields that
/// schemas.py requires; the line itself is the Bronze row (`json`).
pub fn read_jsonl<E>(path: &Path, table: Table, sink: &mut Sink<'_, E>) -> Result<FileRead, E> {
    let mut input = match open(path) {
        Ok(i) => i,
        Err(failed) => return Ok(failed),
    };
    debug_assert_eq!(table.raw().required_json_fields, ["event_id", "event_ts", "event_type", "user_id", "session_id"]);
    let name = path.display();
    let mut out = FileRead::default();
    let mut json = StringBuilder::new();
    let mut hashes = RowHashes::default();
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut batch_rows = 0usize;
    let schema = table.schema();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                out.file_error = Some(("unreadable_file".into(), format!("{name}:{}: {e}", line + 1)));
                break;
            }
        }
        line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.is_empty() {
            continue;
        }
        let raw_lossy = || String::from_utf8_lossy(&buf).into_owned();
        if buf.len() > MAX_JSON_LINE {
            out.reject(
                line,
                "line_too_long",
                format!("{name}:{line}: {} bytes, more than the {MAX_JSON_LINE}-byte limit", buf.len()),
                raw_lossy(),
            );
            continue;
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            out.reject(line, "invalid_utf8", format!("{name}:{line}: not valid UTF-8"), raw_lossy());
            continue;
        };
        match serde_json::from_str::<Envelope<'_>>(text) {
            Err(e) => out.reject(line, "malformed_json", format!("{name}:{line}: not a JSON object ({e})"), text.to_string()),
            Ok(env) => match env.missing() {
                Some(field) => {
                    out.reject(line, "missing_envelope_field", format!("{name}:{line}: field `{field}` is missing"), text.to_string())
                }
                None => {
                    json.append_value(text);
                    hashes.push(text.as_bytes());
                    out.rows_read += 1;
                    batch_rows += 1;
                }
            },
        }
        if batch_rows >= BATCH_ROWS {
            out.rows_loaded += batch_rows as u64;
            batch_rows = 0;
            sink(
                RecordBatch::try_new(schema.clone(), vec![std::sync::Arc::new(json.finish())]).expect("one utf8 column"),
                hashes.finish(),
            )?;
        }
    }
    if batch_rows > 0 {
        out.rows_loaded += batch_rows as u64;
        sink(RecordBatch::try_new(schema, vec![std::sync::Arc::new(json.finish())]).expect("one utf8 column"), hashes.finish())?;
    }
    Ok(out)
}

/// XLSX: the first worksheet, a header row naming the canonical columns, one row per record.
/// Cells are turned into text (dates as YYYY-MM-DD, numbers in their shortest exact form) and
/// cast like CSV cells, so both formats follow one set of rules.
pub fn read_xlsx<E>(path: &Path, table: Table, sink: &mut Sink<'_, E>) -> Result<FileRead, E> {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let name = path.display();
    let mut wb: Xlsx<_> = match open_workbook(path) {
        Ok(wb) => wb,
        Err(e) => return Ok(FileRead::failed("unreadable_file", format!("{name}: not a readable XLSX workbook ({e})"))),
    };
    let Some(Ok(range)) = wb.worksheet_range_at(0) else {
        return Ok(FileRead::failed("unreadable_file", format!("{name}: the workbook has no readable worksheet")));
    };
    let text = |c: &Data| -> String {
        match c {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(d) => {
                let (y, m, day, hh, mm, ss, _) = d.to_ymd_hms_milli();
                if (hh, mm, ss) == (0, 0, 0) {
                    format!("{y:04}-{m:02}-{day:02}")
                } else {
                    format!("{y:04}-{m:02}-{day:02}T{hh:02}:{mm:02}:{ss:02}Z")
                }
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Ok(FileRead::failed("empty_file", format!("{name}: the worksheet is empty")));
    };
    let header: Vec<String> = header.iter().map(|c| text(c).trim().to_string()).collect();
    let canonical = table.raw().column_names();
    let order: Option<Vec<usize>> = canonical.iter().map(|c| header.iter().position(|h| h == c)).collect();
    let mut out = FileRead::default();
    let mut caster = RowCaster::new(table.schema());
    let mut hashes = RowHashes::default();
    for (i, row) in rows.enumerate() {
        let line = i as u64 + 2;
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let Some(order) = &order else {
            let raw = row.iter().map(text).collect::<Vec<_>>().join(",");
            out.reject(
                line,
                "schema_mismatch",
                format!("{name}:{line}: the header {header:?} does not name {table}'s columns {canonical:?}"),
                raw,
            );
            continue;
        };
        let cells: Vec<String> = order.iter().map(|&c| row.get(c).map(text).unwrap_or_default()).collect();
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        match caster.push(&refs) {
            Ok(()) => {
                out.rows_read += 1;
                hashes.push(refs.join(",").as_bytes());
            }
            Err(e) => out.reject(line, e.code, format!("{name}:{line}: {e}"), refs.join(",")),
        }
        if caster.rows() >= BATCH_ROWS {
            flush(&mut caster, &mut hashes, &mut out, sink)?;
        }
    }
    flush(&mut caster, &mut hashes, &mut out, sink)?;
    Ok(out)
}

/// Renders row `i` of a batch as `name=value, …` for a reject's original text.
fn render_row(batch: &RecordBatch, i: usize) -> String {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let opts = FormatOptions::default().with_null("");
    batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| {
            let v = ArrayFormatter::try_new(c.as_ref(), &opts).map(|fmt| fmt.value(i).to_string()).unwrap_or_default();
            format!("{}={v}", f.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parquet: columns are matched by name and cast to the canonical types; a value that does not
/// cast, or a null in a required column, rejects its row. The row number is 0-based.
pub fn read_parquet<E>(path: &Path, table: Table, sink: &mut Sink<'_, E>) -> Result<FileRead, E> {
    use arrow::array::{Array, BooleanArray};
    use arrow::compute::{CastOptions, cast_with_options};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let name = path.display();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Ok(FileRead::failed("unreadable_file", format!("{name}: {e}"))),
    };
    let reader = match ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.with_batch_size(BATCH_ROWS).build()) {
        Ok(r) => r,
        Err(e) => return Ok(FileRead::failed("unreadable_file", format!("{name}: not a readable Parquet file ({e})"))),
    };
    let schema = table.schema();
    let mut out = FileRead::default();
    let mut row = 0u64;
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                out.file_error = Some(("unreadable_file".into(), format!("{name}: row {row}: {e}")));
                break;
            }
        };
        let file_cols: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        let mismatch = file_cols.len() != schema.fields().len() || schema.fields().iter().any(|f| !file_cols.contains(&f.name().as_str()));
        if mismatch {
            for i in 0..batch.num_rows() {
                let reason = format!("{name}: row {}: the columns {file_cols:?} do not match {table}'s", row + i as u64);
                out.reject(row + i as u64, "schema_mismatch", reason, render_row(&batch, i));
            }
            row += batch.num_rows() as u64;
            continue;
        }
        let mut keep = vec![true; batch.num_rows()];
        let mut columns = Vec::with_capacity(schema.fields().len());
        let mut reasons: Vec<Option<(String, String)>> = vec![None; batch.num_rows()];
        for field in schema.fields() {
            let source = batch.column_by_name(field.name()).expect("checked above");
            let cast = match cast_with_options(source, field.data_type(), &CastOptions { safe: true, ..Default::default() }) {
                Ok(c) => c,
                Err(e) => {
                    // The whole column cannot be cast: every row of the batch is rejected.
                    let cast_null = arrow::array::new_null_array(field.data_type(), batch.num_rows());
                    for (i, r) in reasons.iter_mut().enumerate() {
                        keep[i] = false;
                        r.get_or_insert(("invalid_type".to_string(), format!("column `{}`: {e}", field.name())));
                    }
                    columns.push(cast_null);
                    continue;
                }
            };
            for i in 0..batch.num_rows() {
                let failed_cast = cast.is_null(i) && !source.is_null(i);
                if failed_cast || (cast.is_null(i) && !field.is_nullable()) {
                    keep[i] = false;
                    let (code, why) = if failed_cast {
                        ("invalid_value", format!("column `{}` cannot hold the value", field.name()))
                    } else {
                        ("null_required", format!("column `{}` is required but null", field.name()))
                    };
                    reasons[i].get_or_insert((code.to_string(), why));
                }
            }
            columns.push(cast);
        }
        for (i, reason) in reasons.into_iter().enumerate() {
            if let Some((code, why)) = reason {
                out.reject(row + i as u64, &code, format!("{name}: row {}: {why}", row + i as u64), render_row(&batch, i));
            }
        }
        let good = batch.num_rows() - keep.iter().filter(|k| !**k).count();
        if good > 0 {
            // Filter before assembling: the dropped rows may hold nulls a required column forbids.
            let mask = BooleanArray::from(keep);
            let typed = columns
                .iter()
                .map(|c| arrow::compute::filter(c.as_ref(), &mask))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|cols| RecordBatch::try_new(schema.clone(), cols));
            match typed.and_then(|b| row_hashes(&b).map(|h| (b, h))) {
                Ok((b, h)) => {
                    out.rows_read += good as u64;
                    out.rows_loaded += good as u64;
                    sink(b, h)?;
                }
                Err(e) => {
                    out.file_error = Some(("unreadable_file".into(), format!("{name}: row {row}: {e}")));
                    break;
                }
            }
        }
        row += batch.num_rows() as u64;
    }
    Ok(out)
}

/// Hashes each row of a typed batch through Arrow's row format (a stable byte encoding).
pub(crate) fn row_hashes(batch: &RecordBatch) -> Result<ArrayRef, arrow::error::ArrowError> {
    use arrow::row::{RowConverter, SortField};
    let converter = RowConverter::new(batch.schema().fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
    let rows = converter.convert_columns(batch.columns())?;
    let mut hashes = RowHashes::default();
    for row in rows.iter() {
        hashes.push(row.as_ref());
    }
    Ok(hashes.finish())
}
