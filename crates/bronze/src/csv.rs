//! A streaming RFC 4180 record reader that never gives up on a file because of one bad line:
//! each record comes back with its line number and original bytes, or as a line-level error
//! (invalid UTF-8, an unterminated quote at end of file) that becomes a reject.

use std::io::BufRead;

/// One record: its first physical line (1-based), the raw bytes as read (without the line
/// terminator), and the fields once split.
#[derive(Debug, Default)]
pub struct Record {
    /// 1-based line where the record starts.
    pub line: u64,
    /// The record's bytes as read (for the rejects' raw text and the row hash).
    pub raw: Vec<u8>,
    /// Byte ranges of the unquoted field values in `text`.
    spans: Vec<(usize, usize)>,
    /// Field values with quotes removed and `""` unescaped.
    text: String,
}

impl Record {
    /// Fields in the record.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `i`, unquoted.
    pub fn field(&self, i: usize) -> &str {
        let (a, b) = self.spans[i];
        &self.text[a..b]
    }

    /// Every field, unquoted.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|&(a, b)| &self.text[a..b])
    }

    /// The record as text (lossy for invalid UTF-8).
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

/// What can go wrong with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A quote opened and never closed.
    UnterminatedQuote,
}

impl RecordError {
    /// The reject reason code.
    pub fn code(self) -> &'static str {
        match self {
            RecordError::InvalidUtf8 => "invalid_utf8",
            RecordError::UnterminatedQuote => "unterminated_quote",
        }
    }
}

/// A CSV tokenizer (RFC 4180 quoting) that keeps each record's raw bytes and line.
pub struct CsvReader<R> {
    input: R,
    delimiter: u8,
    next_line: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> CsvReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        CsvReader { input, delimiter: b',', next_line: 1, buf: Vec::new() }
    }

    /// Reads the next record into `rec`. `Ok(None)` at end of input; `Ok(Some(Err(_)))` for a
    /// record that cannot be split (its line and raw bytes are still filled in).
    pub fn read(&mut self, rec: &mut Record) -> std::io::Result<Option<Result<(), RecordError>>> {
        rec.raw.clear();
        rec.spans.clear();
        rec.text.clear();
        rec.line = self.next_line;
        // Read physical lines until the quotes balance: a quoted field may span lines.
        let mut quotes = 0usize;
        loop {
            self.buf.clear();
            let n = self.input.read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                if rec.raw.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(Err(RecordError::UnterminatedQuote)));
            }
            self.next_line += 1;
            if rec.line == 1 && rec.raw.is_empty() && self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.buf.drain(..3);
            }
            quotes += self.buf.iter().filter(|&&c| c == b'"').count();
            rec.raw.extend_from_slice(&self.buf);
            if quotes.is_multiple_of(2) {
                break;
            }
        }
        while matches!(rec.raw.last(), Some(b'\n' | b'\r')) {
            rec.raw.pop();
        }
        let Ok(text) = std::str::from_utf8(&rec.raw) else { return Ok(Some(Err(RecordError::InvalidUtf8))) };
        split(text, self.delimiter, &mut rec.text, &mut rec.spans);
        Ok(Some(Ok(())))
    }
}

/// Splits one record's text into unquoted field values.
fn split(line: &str, delimiter: u8, text: &mut String, spans: &mut Vec<(usize, usize)>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        let start = text.len();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            let mut seg = i;
            while i < bytes.len() {
                if bytes[i] == b'"' {
                    text.push_str(&line[seg..i]);
                    if bytes.get(i + 1) == Some(&b'"') {
                        text.push('"');
                        i += 2;
                        seg = i;
                        continue;
                    }
                    i += 1;
                    seg = i;
                    break;
                }
                i += 1;
            }
            // Anything between the closing quote and the delimiter is kept, not dropped.
            let end = line[i..].bytes().position(|c| c == delimiter).map_or(bytes.len(), |p| p + i);
            text.push_str(&line[seg.min(end)..end]);
            i = end;
        } else {
            let end = line[i..].bytes().position(|c| c == delimiter).map_or(bytes.len(), |p| p + i);
            text.push_str(&line[i..end]);
            i = end;
        }
        spans.push((start, text.len()));
        if i >= bytes.len() {
            break;
        }
        i += 1; // the delimiter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &[u8]) -> Vec<(u64, Result<Vec<String>, RecordError>)> {
        let mut r = CsvReader::new(input);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while let Some(res) = r.read(&mut rec).unwrap() {
            out.push((rec.line, res.map(|_| rec.fields().map(str::to_string).collect())));
        }
        out
    }

    #[test]
    fn quoting_bom_crlf_and_multiline_fields() {
        let got = records(b"\xEF\xBB\xBFa,b,c\r\n1,\"x, \"\"y\"\"\",\r\n2,\"multi\nline\",z\n3,,");
        assert_eq!(got[0], (1, Ok(vec!["a".into(), "b".into(), "c".into()])));
        assert_eq!(got[1], (2, Ok(vec!["1".into(), "x, \"y\"".into(), "".into()])));
        assert_eq!(got[2], (3, Ok(vec!["2".into(), "multi\nline".into(), "z".into()])));
        assert_eq!(got[3], (5, Ok(vec!["3".into(), "".into(), "".into()])), "last line without newline");
    }

    #[test]
    fn bad_lines_are_reported_not_fatal() {
        let got = records(b"a,b\n\xff\xfe,1\n2,3\n4,\"open");
        assert_eq!(got[1], (2, Err(RecordError::InvalidUtf8)));
        assert_eq!(got[2], (3, Ok(vec!["2".into(), "3".into()])));
        assert_eq!(got[3], (4, Err(RecordError::UnterminatedQuote)));
        assert_eq!(got.len(), 4);
    }
}
