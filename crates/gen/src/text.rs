//! Allocation-free text formatting for the hot loops: integers, fixed-point decimals, ISO dates
//! and offset timestamps are written straight into a byte buffer, never through floats or
//! `format!`.

pub use medallion_schema::calendar::{Day, civil_from_days, days_from_civil, parse_date, weekday};

/// Microseconds in a second.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

#[inline]
fn push_2(buf: &mut Vec<u8>, v: u32) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// A non-negative integer zero-padded to at least `width` digits (as `{v:0width$}` would).
#[inline]
pub fn push_padded(buf: &mut Vec<u8>, v: u64, width: usize) {
    let mut itoa = itoa::Buffer::new();
    let digits = itoa.format(v).as_bytes();
    buf.extend(std::iter::repeat_n(b'0', width.saturating_sub(digits.len())));
    buf.extend_from_slice(digits);
}

/// An integer in decimal.
#[inline]
pub fn push_int(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A fixed-point decimal: `value / 10^scale`, e.g. (-12345, 2) → `-123.45`.
#[inline]
pub fn push_decimal(buf: &mut Vec<u8>, value: i64, scale: u32) {
    if value < 0 {
        buf.push(b'-');
    }
    let v = value.unsigned_abs();
    let p = 10u64.pow(scale);
    buf.extend_from_slice(itoa::Buffer::new().format(v / p).as_bytes());
    if scale > 0 {
        buf.push(b'.');
        let mut frac = v % p;
        let mut digits = [b'0'; 20];
        for i in (0..scale as usize).rev() {
            digits[i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        buf.extend_from_slice(&digits[..scale as usize]);
    }
}

/// `YYYY-MM-DD`.
#[inline]
pub fn push_date(buf: &mut Vec<u8>, day: Day) {
    let (y, m, d) = civil_from_days(day);
    buf.extend_from_slice(itoa::Buffer::new().format(y).as_bytes());
    buf.push(b'-');
    push_2(buf, m);
    buf.push(b'-');
    push_2(buf, d);
}

/// `YYYY-MM-DD`.
pub fn date_string(day: Day) -> String {
    let mut b = Vec::with_capacity(10);
    push_date(&mut b, day);
    String::from_utf8(b).expect("ascii")
}

/// `YYYY-MM`.
pub fn month_string(day: Day) -> String {
    let (y, m, _) = civil_from_days(day);
    format!("{y:04}-{m:02}")
}

/// ISO 8601 local time with its UTC offset, e.g. `2024-03-05T09:15:00+11:00`.
#[inline]
pub fn push_ts(buf: &mut Vec<u8>, utc_us: i64, offset_min: i32) {
    let local_s = utc_us.div_euclid(MICROS_PER_SECOND) + offset_min as i64 * 60;
    let day = local_s.div_euclid(86_400) as Day;
    let secs = local_s.rem_euclid(86_400) as u32;
    push_date(buf, day);
    buf.push(b'T');
    push_2(buf, secs / 3600);
    buf.push(b':');
    push_2(buf, secs / 60 % 60);
    buf.push(b':');
    push_2(buf, secs % 60);
    buf.push(if offset_min < 0 { b'-' } else { b'+' });
    let off = offset_min.unsigned_abs();
    push_2(buf, off / 60);
    buf.push(b':');
    push_2(buf, off % 60);
}

/// A CSV field, quoted only when it must be (RFC 4180).
#[inline]
pub fn push_csv_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                buf.push(b'"');
            }
            buf.push(c);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

/// A float rounded to `scale` decimals, written without float formatting.
#[inline]
pub fn push_fixed(buf: &mut Vec<u8>, v: f64, scale: u32) {
    push_decimal(buf, (v * 10f64.powi(scale as i32)).round() as i64, scale);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut b = Vec::new();
        f(&mut b);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn dates_round_trip() {
        for day in -1000..30_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(weekday(days_from_civil(2024, 3, 4)), 0); // a Monday
    }

    #[test]
    fn formats() {
        assert_eq!(s(|b| push_decimal(b, -12345, 2)), "-123.45");
        assert_eq!(s(|b| push_decimal(b, 5, 4)), "0.0005");
        assert_eq!(s(|b| push_decimal(b, 7, 0)), "7");
        assert_eq!(s(|b| push_fixed(b, -33.868_82, 6)), "-33.868820");
        assert_eq!(s(|b| push_date(b, 0)), "1970-01-01");
        // 2024-01-01T00:30:00Z in Adelaide (+10:30) and New York (-05:00).
        let utc = days_from_civil(2024, 1, 1) as i64 * MICROS_PER_DAY + 30 * 60 * MICROS_PER_SECOND;
        assert_eq!(s(|b| push_ts(b, utc, 630)), "2024-01-01T11:00:00+10:30");
        assert_eq!(s(|b| push_ts(b, utc, -300)), "2023-12-31T19:30:00-05:00");
        assert_eq!(s(|b| push_csv_str(b, "a \"b\", c")), "\"a \"\"b\"\", c\"");
        assert_eq!(s(|b| push_csv_str(b, "plain")), "plain");
    }
}
