//! File output: every file is written to a temporary name and renamed into place when complete,
//! so a killed run never leaves a half-written file that looks finished.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use medallion_schema::Table;

use crate::GenError;

/// Creates the parent folders of `path`.
pub fn ensure_parent(path: &Path) -> Result<(), GenError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| GenError::io(dir, e))?;
    }
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// A line-oriented text file (CSV or JSONL) written through a buffer.
pub struct TextSink {
    path: PathBuf,
    /// Path relative to the output root, as recorded in the ground truth.
    pub rel: String,
    tmp: PathBuf,
    out: BufWriter<File>,
    /// The current line, built in place and reused.
    pub line: Vec<u8>,
    /// Lines written so far, including a header.
    pub lines: u64,
    pub bytes: u64,
    header_lines: u64,
}

impl TextSink {
    pub fn create(root: &Path, rel: String) -> Result<Self, GenError> {
        let path = root.join(&rel);
        ensure_parent(&path)?;
        let tmp = tmp_path(&path);
        let file = File::create(&tmp).map_err(|e| GenError::io(&tmp, e))?;
        Ok(TextSink {
            path,
            rel,
            tmp,
            out: BufWriter::with_capacity(1 << 20, file),
            line: Vec::with_capacity(512),
            lines: 0,
            bytes: 0,
            header_lines: 0,
        })
    }

    /// A CSV file whose first line is the table's canonical column names.
    pub fn csv(root: &Path, rel: String, table: Table) -> Result<Self, GenError> {
        let mut sink = Self::create(root, rel)?;
        let names = table.raw().column_names().join(",");
        sink.line.extend_from_slice(names.as_bytes());
        sink.end_line()?;
        sink.header_lines = 1;
        Ok(sink)
    }

    /// Data rows written so far (lines without the header).
    pub fn rows(&self) -> u64 {
        self.lines - self.header_lines
    }

    /// The 1-based line number the next `end_line` will write.
    pub fn next_line_no(&self) -> u64 {
        self.lines + 1
    }

    pub fn end_line(&mut self) -> Result<(), GenError> {
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(|e| GenError::io(&self.tmp, e))?;
        self.bytes += self.line.len() as u64;
        self.lines += 1;
        self.line.clear();
        Ok(())
    }

    pub fn finish(mut self) -> Result<u64, GenError> {
        self.out.flush().map_err(|e| GenError::io(&self.tmp, e))?;
        drop(self.out);
        fs::rename(&self.tmp, &self.path).map_err(|e| GenError::io(&self.path, e))?;
        Ok(self.bytes)
    }
}

/// Writes a whole file atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GenError> {
    ensure_parent(path)?;
    let tmp = tmp_path(path);
    fs::write(&tmp, bytes).map_err(|e| GenError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| GenError::io(path, e))
}
