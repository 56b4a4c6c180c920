//! Civil dates as day numbers (days since 1970-01-01, Arrow's `date32`), proleptic Gregorian.
//! The one calendar of the project: the generator lays out its days with it and Bronze parses raw
//! dates with it, so both agree on every date by construction.

/// Days since 1970-01-01.
pub type Day = i32;

/// (year, month, day) → days since the Unix epoch.
///
/// ```
/// use medallion_schema::calendar::{civil_from_days, days_from_civil};
/// assert_eq!(days_from_civil(1970, 1, 1), 0);
/// assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
/// ```
pub const fn days_from_civil(y: i32, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// Days since the Unix epoch → (year, month, day).
pub const fn civil_from_days(z: Day) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Monday = 0 … Sunday = 6.
pub const fn weekday(day: Day) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

/// Days in month `m` of year `y`.
pub const fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Exactly `N` ASCII digits as a number (the building block of date and time parsers).
pub fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    if b.len() != N || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + (d - b'0') as u32))
}

/// Parses `YYYY-MM-DD`, a real calendar date (no sign, no spaces, no 30 February).
///
/// ```
/// use medallion_schema::calendar::{days_from_civil, parse_date};
/// assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
/// assert_eq!(parse_date("2023-02-29"), None);
/// assert_eq!(parse_date("2024-1-01"), None);
/// ```
pub fn parse_date(t: &str) -> Option<Day> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits::<4>(&b[..4])? as i32, digits::<2>(&b[5..7])?, digits::<2>(&b[8..])?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        for day in days_from_civil(1900, 1, 1)..days_from_civil(2300, 1, 1) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert_eq!(parse_date(&format!("{y:04}-{m:02}-{d:02}")), Some(day));
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in ["1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "+024-01-01", "2024-01-1 ", "20240101"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert!(parse_date("2000-02-29").is_some());
    }
}
