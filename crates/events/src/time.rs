//! UTC timestamps without a date crate: RFC 3339 for JSON, and the
//! `10/Oct/2000:13:55:36 +0000` form of the combined log format.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// (year, month, day) from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parts(ms: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let secs = ms / 1000;
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    (y, mo, d, s / 3600, (s / 60) % 60, s % 60, ms % 1000)
}

pub fn rfc3339(ms: u64) -> String {
    let (y, mo, d, h, mi, s, frac) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// Days since 1970-01-01 of a civil date (the inverse of `civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix milliseconds of `2026-12-02`, `2026-12-02T13:05:00Z`,
/// `2026-12-02T13:05:00.250+09:00` (UTC when no offset is given), or of
/// a plain number of Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) { t.parse().ok() } else { None }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + sec) * 1000;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        let f3: String = frac.chars().chain("000".chars()).take(3).collect();
        ms += f3.parse::<i64>().ok()?;
    }
    match &s[i..] {
        "" | "Z" | "z" => Some(ms),
        off if off.len() == 6 && (off.starts_with('+') || off.starts_with('-')) && off.as_bytes()[3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let delta = (oh * 60 + om) * 60_000;
            Some(if off.starts_with('+') { ms - delta } else { ms + delta })
        }
        _ => None,
    }
}

pub fn rfc3339_now() -> String {
    rfc3339(unix_millis())
}

pub fn clf(ms: u64) -> String {
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, mo, d, h, mi, s, _) = parts(ms);
    format!("{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02} +0000", MON[(mo - 1) as usize])
}

pub fn clf_now() -> String {
    clf(unix_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_back() {
        for ms in [0u64, 1_764_681_300_250, 951_782_400_000, 4_102_444_800_000] {
            assert_eq!(parse_time(&rfc3339(ms)), Some(ms as i64), "{}", rfc3339(ms));
        }
        assert_eq!(parse_time("2026-12-02"), parse_time("2026-12-02T00:00:00Z"));
        assert_eq!(parse_time("2026-12-02T09:00:00+09:00"), parse_time("2026-12-02T00:00:00Z"));
        assert_eq!(parse_time("1700000000"), Some(1_700_000_000_000));
        for bad in
            ["", "2026-13-01", "2026-12-02T25:00:00Z", "2026-12-02Tx", "yesterday", "2026-12-02T00:00:00+0900", "99999999999999999999"]
        {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(clf(1_795_000_000_000), "18/Nov/2026:11:06:40 +0000");
    }
}
