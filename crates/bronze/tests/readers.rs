//! The readers on generated data, scored against the generator's ground truth, and on every
//! kind of bad input the issue lists.

use std::collections::BTreeSet;
use std::path::Path;

use arrow::array::RecordBatch;
use medallion_bronze::read::{FileRead, read_file};
use medallion_gen::truth::read_truth;
use medallion_gen::{GenConfig, NoProgress};
use medallion_schema::{RawFormat, Table, match_path};

fn read(path: &Path, table: Table) -> (FileRead, Vec<RecordBatch>) {
    let mut batches = Vec::new();
    let r = read_file::<()>(path, table, &mut |b, hashes| {
        assert_eq!(hashes.len(), b.num_rows(), "one row hash per row");
        batches.push(b);
        Ok(())
    })
    .unwrap();
    (r, batches)
}

/// Generated data: accounting per file, and rejects = exactly the logged hard failures.
#[test]
fn generated_files_reject_exactly_the_hard_failures() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GenConfig::new(dir.path());
    cfg.scale = 0.01;
    cfg.days = 200;
    medallion_gen::generate(&cfg, &NoProgress).unwrap();
    let root = dir.path();

    // Anomaly kinds Bronze treats as hard failures, with the reject code it must give them
    // (docs/decisions.md, "Bronze hard failures").
    let hard = [
        ("missing_sensor_ts", "null_required"),
        ("malformed_json", "malformed_json"),
        ("missing_envelope_field", "missing_envelope_field"),
    ];
    let expected: BTreeSet<(String, u64, String)> = read_truth(root)
        .unwrap()
        .into_iter()
        .filter_map(|r| hard.iter().find(|(k, _)| *k == r.kind).map(|(_, code)| (r.file, r.line, code.to_string())))
        .collect();
    assert!(expected.len() > 15, "the sample should contain hard failures, has {}", expected.len());

    let mut rejected = BTreeSet::new();
    let mut files = 0;
    for entry in walk(root) {
        let rel = entry.strip_prefix(root).unwrap().to_string_lossy().to_string();
        let Some(table) = Table::ALL.into_iter().find(|t| {
            let raw = t.raw();
            matches!(raw.format, RawFormat::Csv | RawFormat::Jsonl | RawFormat::Xlsx | RawFormat::Parquet)
                && (match_path(&raw.path, &rel).is_some() || raw.increment_path.as_deref().is_some_and(|p| match_path(p, &rel).is_some()))
        }) else {
            continue;
        };
        files += 1;
        let (r, batches) = read(&entry, table);
        assert!(r.file_error.is_none(), "{rel}: {:?}", r.file_error);
        // rows read = loaded + rejected, and matches an independent count of the file's lines.
        let loaded: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(r.rows_loaded as usize, loaded);
        assert_eq!(r.rows_read, r.rows_loaded + r.rejects.len() as u64, "{rel}");
        if table.raw().format == RawFormat::Parquet {
            let meta = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&entry).unwrap()).unwrap();
            assert_eq!(r.rows_read as i64, parquet::file::reader::FileReader::metadata(&meta).file_metadata().num_rows(), "{rel}");
        } else if table.raw().format != RawFormat::Xlsx {
            let text = std::fs::read(&entry).unwrap();
            let lines = text.iter().filter(|&&c| c == b'\n').count() as u64;
            let header = u64::from(table.raw().format == RawFormat::Csv);
            assert_eq!(r.rows_read, lines - header, "{rel}: rows read differs from the file's line count");
        }
        for b in &batches {
            assert_eq!(b.schema().fields(), table.schema().fields(), "{rel}: batch schema is not canonical");
        }
        for rej in r.rejects {
            assert!(
                rej.reason.contains(&rel) && rej.reason.contains(&format!(":{}:", rej.line)),
                "reason names file and line: {}",
                rej.reason
            );
            rejected.insert((rel.clone(), rej.line, rej.code));
        }
    }
    assert!(files > 400);
    assert_eq!(rejected, expected, "rejects differ from the ground truth's hard failures");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const HEADER: &str = "supplier_id,supplier_code,name,country_code,lead_time_days,preferred";

#[test]
fn bad_csv_input_is_rejected_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = Table::Suppliers;

    let (r, _) = read(&write(d, "empty.csv", b""), t);
    assert_eq!(r.file_error.as_ref().unwrap().0, "empty_file");
    assert!(r.file_error.unwrap().1.contains("empty.csv"));

    let (r, b) = read(&write(d, "header.csv", format!("{HEADER}\n").as_bytes()), t);
    assert!(r.file_error.is_none() && r.rows_read == 0 && b.is_empty());

    // Another delimiter: the header does not match, every row kept as a reject.
    let (r, b) = read(&write(d, "semi.csv", format!("{}\n1;SUP-1;Acme;AU;3;true\n", HEADER.replace(',', ";")).as_bytes()), t);
    assert!(b.is_empty());
    assert_eq!((r.rows_read, r.rejects[0].code.as_str(), r.rejects[0].line), (1, "schema_mismatch", 2));
    assert!(r.rejects[0].raw.contains("Acme"));

    let (r, _) = read(&write(d, "missing.csv", b"supplier_id,name\n1,Acme\n"), t);
    assert!(r.rejects[0].reason.contains("missing") && r.rejects[0].reason.contains("supplier_code"));
    let (r, _) = read(&write(d, "extra.csv", format!("{HEADER},colour\n1,SUP-1,Acme,AU,3,true,red\n").as_bytes()), t);
    assert!(r.rejects[0].reason.contains("colour"));

    // BOM, CRLF, columns in another order: all fine.
    let text = "\u{feff}supplier_code,supplier_id,name,country_code,lead_time_days,preferred\r\nSUP-1,1,Acme,AU,3,true\r\n";
    let (r, b) = read(&write(d, "bom.csv", text.as_bytes()), t);
    assert_eq!((r.rows_loaded, r.rejects.len()), (1, 0), "{:?}", r.rejects);
    assert_eq!(b[0].num_rows(), 1);

    // Invalid UTF-8 on one line, a truncated last line, a bad value: only those rows go.
    let mut bytes = format!("{HEADER}\n1,SUP-1,Acme,AU,3,true\n").into_bytes();
    bytes.extend_from_slice(b"2,SUP-2,\xff\xfe,AU,3,true\n3,SUP-3,Beta,AU,x,true\n4,SUP-4,Gam");
    let (r, b) = read(&write(d, "mixed.csv", &bytes), t);
    let codes: Vec<(u64, &str)> = r.rejects.iter().map(|r| (r.line, r.code.as_str())).collect();
    assert_eq!(codes, vec![(3, "invalid_utf8"), (4, "invalid_integer"), (5, "wrong_field_count")]);
    assert!(r.rejects[1].reason.contains("lead_time_days") && r.rejects[1].reason.contains("`x`"));
    assert_eq!(b.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
    assert_eq!(r.rows_read, 4);

    // Binary garbage named .csv: nothing loads, nothing panics, the lines are kept.
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let (r, b) = read(&write(d, "garbage.csv", &garbage), t);
    assert!(b.is_empty());
    assert!(r.file_error.is_some() || r.rejects.iter().all(|x| x.code == "schema_mismatch"));

    // Unreadable: a directory where a file should be.
    std::fs::create_dir(d.join("dir.csv")).unwrap();
    let (r, _) = read(&d.join("dir.csv"), t);
    assert_eq!(r.file_error.unwrap().0, "unreadable_file");
    let (r, _) = read(&d.join("absent.csv"), t);
    assert!(r.file_error.unwrap().1.contains("absent.csv"));
}

#[test]
fn bad_jsonl_and_xlsx_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = r#"{"event_id":"e1","event_ts":"2024-01-01T00:00:00Z","event_type":"search","user_id":1,"session_id":"s","payload":{}}"#;
    let huge = format!(r#"{{"event_id":"e2","blob":"{}"}}"#, "x".repeat(10 << 20));
    let text = format!("{ok}\n{huge}\n{{\"event_id\":\"e3\"}}\n{{broken\n\n{ok}");
    let (r, b) = read(&write(d, "events.jsonl", text.as_bytes()), Table::Events);
    let codes: Vec<(u64, &str)> = r.rejects.iter().map(|r| (r.line, r.code.as_str())).collect();
    assert_eq!(codes, vec![(2, "line_too_long"), (3, "missing_envelope_field"), (4, "malformed_json")]);
    assert_eq!(b.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
    assert_eq!(r.rejects[0].raw.len(), huge.len(), "the long line is kept whole");

    let (r, _) = read(&write(d, "rates.xlsx", b"PK\x03\x04 not really a zip"), Table::ExchangeRates);
    let (code, message) = r.file_error.unwrap();
    assert_eq!(code, "unreadable_file");
    assert!(message.contains("rates.xlsx"));
}

#[test]
fn parquet_sources_cast_by_name_and_reject_bad_rows() {
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A foreign file: columns in another order, ids as strings, one null key, one bad id.
    let schema = Arc::new(Schema::new(vec![
        Field::new("carrier", DataType::Utf8, true),
        Field::new("shipment_id", DataType::Utf8, true),
        Field::new("order_id", DataType::Int64, true),
        Field::new("shipped_at", DataType::Utf8, true),
        Field::new("delivered_at", DataType::Utf8, true),
        Field::new("ship_cost", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["UPS", "DHL", "FedEx"])),
            Arc::new(StringArray::from(vec![Some("10"), None, Some("x")])),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
            Arc::new(StringArray::from(vec!["2024-01-01T00:00:00", "2024-01-01T00:00:00", "2024-01-01T00:00:00"])),
            Arc::new(StringArray::from(vec![None::<&str>, None, None])),
            Arc::new(StringArray::from(vec!["1.50", "2.00", "3.00"])),
        ],
    )
    .unwrap();
    let path = d.join("ship.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let (r, b) = read(&path, Table::Shipments);
    assert_eq!((r.rows_read, r.rows_loaded), (3, 1), "{:?}", r.rejects);
    let codes: Vec<(u64, &str)> = r.rejects.iter().map(|x| (x.line, x.code.as_str())).collect();
    assert_eq!(codes, vec![(1, "null_required"), (2, "invalid_value")]);
    assert!(r.rejects[1].raw.contains("shipment_id=x"));
    assert_eq!(b[0].schema().fields(), Table::Shipments.schema().fields());

    // A truncated Parquet file is reported for the file, by name.
    let bytes = std::fs::read(&path).unwrap();
    let cut = write(d, "cut.parquet", &bytes[..bytes.len() / 2]);
    let (r, _) = read(&cut, Table::Shipments);
    let (code, message) = r.file_error.unwrap();
    assert_eq!(code, "unreadable_file");
    assert!(message.contains("cut.parquet"));
}
