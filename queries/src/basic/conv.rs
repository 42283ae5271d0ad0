//! `OCONV` / `ICONV` conversion codes (BASIC), the common ones:
//!
//! - `D...` dates. Internal date = days since 31 December 1967 (day 0).
//!   IBM, "Date Conversion":
//!   https://www.ibm.com/docs/SSZJPZ_11.3.0/com.ibm.swg.im.iis.ds.basic.doc/topics/r_dsbasic_date_conversion.html
//!   (two-digit years 0–29 are 2000–2029, 30–99 are 1930–1999).
//! - `MT[H][S]` times. Internal time = seconds since midnight. Examples in
//!   "OCONV function": `OCONV(10000,"MT")` = `02:46`, `"MTHS"` = `02:46:40am`.
//!   https://www.ibm.com/docs/SSZJPZ_11.7.0/com.ibm.swg.im.iis.ds.basic.doc/topics/r_dsbasic_OCONV_function.html
//! - `MD` / `ML` / `MR` n[m] masked decimals (`,` thousands, `$`, `-`
//!   trailing minus, `<` brackets, `Z` zero as empty), "Masked Decimal
//!   Conversion": `OCONV(987654,"MD2")` = `9876.54`, `"MD2,$"` =
//!   `$9,876.54`, `"MD24$"` = `$98.77`.
//! - `MCU` `MCL` `MCT` `MCN` `MC/N` `MCA` `MC/A` `MCP` masked characters
//!   ("Masked Character Conversion").
//! - `G[skip]<delim><count>` group extraction.
//!
//! Codes separated by value marks apply left to right. Anything else is an
//! error naming the code, which makes a routine that uses it untranslatable
//! (a blocking item), never a guess.
//!
//! Assumptions: the default date output (`D`, `D2`) is `DD MMM YYYY` with
//! the day zero-padded and the month upper case (UniVerse's default
//! `DATE.FORMAT`, not a locale's); numbers in `MD` output use `.` and `,`
//! (no NLS locale).

/// Days from 1967-12-31 (BASIC day 0) to 1970-01-01.
pub const BASIC_EPOCH_OFFSET: i64 = 732;

const MONTHS: [&str; 12] = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
];
const WEEKDAYS: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

/// Whether dsmig knows a literal conversion code (each value-mark part).
pub fn code_supported(code: &str) -> bool {
    code.split('\u{FD}').all(|c| {
        let u = c.trim().to_ascii_uppercase();
        parse_kind(&u).is_some()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Time,
    Decimal,
    Chars,
    Group,
}

fn parse_kind(u: &str) -> Option<Kind> {
    if u.starts_with("MT") {
        return Some(Kind::Time);
    }
    if u.starts_with("MD") || u.starts_with("ML") || u.starts_with("MR") {
        return (!u.contains('#') && !u.contains('(') && !u.contains('*')).then_some(Kind::Decimal);
    }
    if matches!(
        u,
        "MCU" | "MCL" | "MCT" | "MCN" | "MC/N" | "MCA" | "MC/A" | "MCP"
    ) {
        return Some(Kind::Chars);
    }
    if u.starts_with('G') {
        return group_code(u).map(|_| Kind::Group);
    }
    if u.starts_with('D') {
        return date_code(u).map(|_| Kind::Date);
    }
    None
}

pub fn oconv(s: &str, code: &str) -> Result<String, String> {
    let mut v = s.to_string();
    for c in code.split('\u{FD}') {
        v = oconv1(&v, c.trim())?;
    }
    Ok(v)
}

pub fn iconv(s: &str, code: &str) -> Result<String, String> {
    let mut v = s.to_string();
    for c in code.split('\u{FD}') {
        v = iconv1(&v, c.trim())?;
    }
    Ok(v)
}

fn oconv1(s: &str, code: &str) -> Result<String, String> {
    let u = code.to_ascii_uppercase();
    match parse_kind(&u) {
        Some(Kind::Date) => {
            if s.trim().is_empty() {
                return Ok(String::new());
            }
            let d = s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("OCONV {code}: {s:?} is not an internal date"))?;
            Ok(format_date(
                d.floor() as i64,
                &date_code(&u).unwrap_or_default(),
            ))
        }
        Some(Kind::Time) => {
            if s.trim().is_empty() {
                return Ok(String::new());
            }
            let t = s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("OCONV {code}: {s:?} is not an internal time"))?;
            Ok(format_time(t.floor() as i64, &u))
        }
        Some(Kind::Decimal) => oconv_md(s, &u),
        Some(Kind::Chars) => Ok(chars(s, &u)),
        Some(Kind::Group) => {
            let (skip, delim, count) = group_code(&u).unwrap_or((0, '.', 1));
            Ok(s.split(delim)
                .skip(skip)
                .take(count)
                .collect::<Vec<_>>()
                .join(&delim.to_string()))
        }
        None => Err(format!("conversion code {code:?} is not modelled")),
    }
}

fn iconv1(s: &str, code: &str) -> Result<String, String> {
    let u = code.to_ascii_uppercase();
    match parse_kind(&u) {
        Some(Kind::Date) => Ok(parse_date(s, &date_code(&u).unwrap_or_default())
            .map(|d| d.to_string())
            .unwrap_or_default()),
        Some(Kind::Time) => Ok(parse_time(s).map(|t| t.to_string()).unwrap_or_default()),
        Some(Kind::Decimal) => iconv_md(s, &u),
        Some(Kind::Chars) | Some(Kind::Group) => oconv1(s, code),
        None => Err(format!("conversion code {code:?} is not modelled")),
    }
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq)]
struct DateCode {
    year_digits: usize,
    sep: Option<char>,
    /// Field letters in order: `Y`, `M`, `D`, `MA` (month name), `W`,
    /// `WA`, `Q`, `J`.
    fields: Vec<String>,
    european: bool,
}

fn date_code(u: &str) -> Option<DateCode> {
    let mut c = DateCode {
        year_digits: 4,
        ..DateCode::default()
    };
    let chars: Vec<char> = u.chars().collect();
    let mut i = 1;
    if let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
        c.year_digits = d as usize;
        i += 1;
    }
    if let Some(&s) = chars.get(i)
        && !s.is_ascii_alphanumeric()
        && s != '['
    {
        c.sep = Some(s);
        i += 1;
    }
    while let Some(&ch) = chars.get(i) {
        match ch {
            'Y' | 'D' | 'Q' | 'J' => c.fields.push(ch.to_string()),
            'M' | 'W' => {
                if chars.get(i + 1) == Some(&'A') {
                    c.fields.push(format!("{ch}A"));
                    i += 1;
                } else {
                    c.fields.push(ch.to_string());
                }
            }
            'E' if i + 1 == chars.len() => c.european = true,
            '[' => {
                // Field widths: only the year width is honoured; others
                // must be the default 2.
                let close = chars[i..].iter().position(|&x| x == ']')? + i;
                let inner: String = chars[i + 1..close].iter().collect();
                for (k, w) in inner.split(',').enumerate() {
                    let w = w.trim();
                    if w.is_empty() {
                        continue;
                    }
                    let n: usize = w.parse().ok()?;
                    match c.fields.get(k).map(String::as_str) {
                        Some("Y") => c.year_digits = n,
                        Some("M" | "D") if n == 2 => {}
                        _ => return None,
                    }
                }
                i = close;
            }
            _ => return None,
        }
        i += 1;
    }
    if c.year_digits == 0 || c.year_digits > 4 {
        return None;
    }
    Some(c)
}

/// (year, month, day) of days since 1970-01-01 (proleptic Gregorian).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn year_text(y: i64, digits: usize) -> String {
    let full = format!("{y:04}");
    full[full.len().saturating_sub(digits)..].to_string()
}

fn format_date(internal: i64, c: &DateCode) -> String {
    let days = internal - BASIC_EPOCH_OFFSET;
    let (y, m, d) = civil(days);
    let month_abbr = &MONTHS[(m - 1) as usize][..3];
    if c.fields.is_empty() {
        return match c.sep {
            // `D` / `D2`: 31 DEC 1967.
            None => format!("{d:02} {month_abbr} {}", year_text(y, c.year_digits)),
            Some(s) if c.european => format!("{d:02}{s}{m:02}{s}{}", year_text(y, c.year_digits)),
            Some(s) => format!("{m:02}{s}{d:02}{s}{}", year_text(y, c.year_digits)),
        };
    }
    let weekday = (days + 3).rem_euclid(7) as usize; // 1970-01-01 was a Thursday.
    let parts: Vec<String> = c
        .fields
        .iter()
        .map(|f| match f.as_str() {
            "Y" => year_text(y, c.year_digits),
            "M" => format!("{m:02}"),
            "MA" => MONTHS[(m - 1) as usize].to_string(),
            "D" => format!("{d:02}"),
            "W" => (weekday + 1).to_string(),
            "WA" => WEEKDAYS[weekday].to_string(),
            "Q" => ((m - 1) / 3 + 1).to_string(),
            _ => (days - days_from_civil(y, 1, 1) + 1).to_string(),
        })
        .collect();
    parts.join(&c.sep.unwrap_or(' ').to_string())
}

fn parse_date(s: &str, c: &DateCode) -> Option<i64> {
    let tokens: Vec<String> = tokens(s);
    let order: Vec<&str> = if c
        .fields
        .iter()
        .all(|f| matches!(f.as_str(), "Y" | "M" | "MA" | "D"))
        && c.fields.len() == 3
    {
        c.fields.iter().map(|f| &f[..1]).collect()
    } else if tokens
        .iter()
        .any(|t| t.chars().all(|ch| ch.is_alphabetic()))
    {
        let name_at = tokens
            .iter()
            .position(|t| t.chars().all(|ch| ch.is_alphabetic()))?;
        if name_at == 0 {
            vec!["M", "D", "Y"]
        } else {
            vec!["D", "M", "Y"]
        }
    } else if c.european {
        vec!["D", "M", "Y"]
    } else {
        vec!["M", "D", "Y"]
    };
    // One run of 8 digits: split by the order's widths (4 for the year).
    let tokens = if tokens.len() == 1 && tokens[0].len() == 8 {
        let t = &tokens[0];
        let mut at = 0;
        order
            .iter()
            .map(|f| {
                let w = if *f == "Y" { 4 } else { 2 };
                let part = t[at..at + w].to_string();
                at += w;
                part
            })
            .collect()
    } else {
        tokens
    };
    if tokens.len() != 3 {
        return None;
    }
    let (mut y, mut m, mut d) = (None, None, None);
    for (f, t) in order.iter().zip(&tokens) {
        match *f {
            "Y" => {
                let n: i64 = t.parse().ok()?;
                y = Some(if t.len() <= 2 {
                    if n < 30 { 2000 + n } else { 1900 + n }
                } else {
                    n
                });
            }
            "M" => {
                m = Some(match t.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        let up = t.to_ascii_uppercase();
                        MONTHS
                            .iter()
                            .position(|name| name.starts_with(&up) && up.len() >= 3)?
                            as u32
                            + 1
                    }
                })
            }
            _ => d = Some(t.parse::<u32>().ok()?),
        }
    }
    let (y, m, d) = (y?, m?, d?);
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Reject 31 April etc.: the civil round trip must agree.
    (civil(days) == (y, m, d)).then_some(days + BASIC_EPOCH_OFFSET)
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut alpha = false;
    for ch in s.trim().chars() {
        if ch.is_alphanumeric() {
            if !cur.is_empty() && ch.is_alphabetic() != alpha {
                out.push(std::mem::take(&mut cur));
            }
            alpha = ch.is_alphabetic();
            cur.push(ch);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

fn format_time(secs: i64, u: &str) -> String {
    let rest = &u[2..];
    let twelve = rest.contains('H');
    let seconds = rest.contains('S');
    let sep = rest
        .chars()
        .find(|c| !c.is_ascii_alphanumeric())
        .unwrap_or(':');
    let secs = secs.rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let (h, suffix) = if twelve {
        let hh = if h % 12 == 0 { 12 } else { h % 12 };
        (hh, if h < 12 { "am" } else { "pm" })
    } else {
        (h, "")
    };
    let mut out = format!("{h:02}{sep}{m:02}");
    if seconds {
        out.push_str(&format!("{sep}{s:02}"));
    }
    out.push_str(suffix);
    out
}

fn parse_time(s: &str) -> Option<i64> {
    let low = s.trim().to_ascii_lowercase();
    let (body, pm, am) = if let Some(b) = low.strip_suffix("pm") {
        (b, true, false)
    } else if let Some(b) = low.strip_suffix("am") {
        (b, false, true)
    } else {
        (low.as_str(), false, false)
    };
    let parts: Vec<i64> = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut h = parts[0];
    let m = parts.get(1).copied().unwrap_or(0);
    let sec = parts.get(2).copied().unwrap_or(0);
    if pm && h < 12 {
        h += 12;
    }
    if am && h == 12 {
        h = 0;
    }
    (h < 24 && m < 60 && sec < 60).then_some(h * 3600 + m * 60 + sec)
}

// ---------------------------------------------------------------------------
// Masked decimals
// ---------------------------------------------------------------------------

struct Md {
    n: u32,
    m: u32,
    thousands: bool,
    dollar: bool,
    trailing_minus: bool,
    brackets: bool,
    zero_empty: bool,
}

fn md_code(u: &str) -> Md {
    let rest = &u[2..];
    let digits: Vec<u32> = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .filter_map(|c| c.to_digit(10))
        .collect();
    let n = digits.first().copied().unwrap_or(0);
    let m = digits.get(1).copied().unwrap_or(n);
    let opts = &rest[digits.len()..];
    Md {
        n,
        m,
        thousands: opts.contains(','),
        dollar: opts.contains('$'),
        trailing_minus: opts.contains('-'),
        brackets: opts.contains('<'),
        zero_empty: opts.contains('Z'),
    }
}

fn oconv_md(s: &str, u: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    let v: f64 = t
        .parse()
        .map_err(|_| format!("OCONV {u}: {s:?} is not a number"))?;
    let c = md_code(u);
    if c.zero_empty && v == 0.0 {
        return Ok(String::new());
    }
    // Move the point m places left, round to n places (half away from 0).
    let scaled = v / 10f64.powi(c.m as i32);
    let factor = 10f64.powi(c.n as i32);
    let rounded = (scaled.abs() * factor + 0.5 + 1e-9).floor() / factor;
    let text = format!("{:.*}", c.n as usize, rounded);
    let (int_part, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let int_part = if c.thousands {
        let b = int_part.as_bytes();
        let mut out = String::new();
        for (k, ch) in b.iter().enumerate() {
            if k > 0 && (b.len() - k) % 3 == 0 {
                out.push(',');
            }
            out.push(*ch as char);
        }
        out
    } else {
        int_part
    };
    let mut body = String::new();
    if c.dollar {
        body.push('$');
    }
    body.push_str(&int_part);
    if let Some(f) = frac {
        body.push('.');
        body.push_str(&f);
    }
    let negative = v < 0.0 && rounded != 0.0;
    Ok(match (negative, c.trailing_minus, c.brackets) {
        (false, _, _) => body,
        (true, true, _) => format!("{body}-"),
        (true, _, true) => format!("<{body}>"),
        (true, _, _) => format!("-{body}"),
    })
}

fn iconv_md(s: &str, u: &str) -> Result<String, String> {
    let c = md_code(u);
    let mut t: String = s
        .trim()
        .chars()
        .filter(|ch| !matches!(ch, ',' | '$' | ' '))
        .collect();
    let mut negative = false;
    if let Some(x) = t.strip_suffix('-') {
        t = x.to_string();
        negative = true;
    }
    if t.starts_with('<') && t.ends_with('>') {
        t = t[1..t.len() - 1].to_string();
        negative = true;
    }
    if t.is_empty() {
        return Ok(String::new());
    }
    let v: f64 = t
        .parse()
        .map_err(|_| format!("ICONV {u}: {s:?} is not a number"))?;
    let v = if negative { -v } else { v };
    let stored = v * 10f64.powi(c.m as i32);
    let r = (stored.abs() + 0.5 + 1e-9).floor() * stored.signum();
    Ok(format!("{}", r as i64))
}

// ---------------------------------------------------------------------------
// Characters and groups
// ---------------------------------------------------------------------------

fn chars(s: &str, u: &str) -> String {
    match u {
        "MCU" => s.to_uppercase(),
        "MCL" => s.to_lowercase(),
        "MCT" => {
            // Initial capital for each word, the rest lower case.
            let mut out = String::new();
            let mut start = true;
            for ch in s.chars() {
                if ch.is_alphanumeric() {
                    if start {
                        out.extend(ch.to_uppercase());
                    } else {
                        out.extend(ch.to_lowercase());
                    }
                    start = false;
                } else {
                    out.push(ch);
                    start = true;
                }
            }
            out
        }
        "MCN" => s.chars().filter(char::is_ascii_digit).collect(),
        "MC/N" => s.chars().filter(|c| !c.is_ascii_digit()).collect(),
        "MCA" => s.chars().filter(|c| c.is_alphabetic()).collect(),
        "MC/A" => s.chars().filter(|c| !c.is_alphabetic()).collect(),
        // MCP: unprintable characters become periods.
        _ => s
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect(),
    }
}

/// `G[skip]<delim><count>` → (skip, delimiter, count).
fn group_code(u: &str) -> Option<(usize, char, usize)> {
    let rest = &u[1..];
    let skip_len = rest.chars().take_while(char::is_ascii_digit).count();
    let skip = if skip_len == 0 {
        0
    } else {
        rest[..skip_len].parse().ok()?
    };
    let mut it = rest[skip_len..].chars();
    let delim = it.next()?;
    if delim.is_ascii_digit() {
        return None;
    }
    let count: usize = it.as_str().parse().ok()?;
    Some((skip, delim, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Examples from IBM's "OCONV function" page (URL in the module doc).
    #[test]
    fn documented_oconv_examples() {
        assert_eq!(oconv("0", "D").unwrap(), "31 DEC 1967");
        assert_eq!(oconv("9166", "D2").unwrap(), "03 FEB 93");
        assert_eq!(oconv("9166", "D/E").unwrap(), "03/02/1993");
        assert_eq!(oconv("9166", "D2-").unwrap(), "02-03-93");
        assert_eq!(oconv("10000", "MT").unwrap(), "02:46");
        assert_eq!(oconv("10000", "MTHS").unwrap(), "02:46:40am");
        assert_eq!(oconv("10000", "MTH").unwrap(), "02:46am");
        assert_eq!(oconv("10000", "MT.").unwrap(), "02.46");
        assert_eq!(oconv("10000", "MTS").unwrap(), "02:46:40");
        assert_eq!(oconv("987654", "MD2").unwrap(), "9876.54");
        assert_eq!(oconv("987654", "MD0").unwrap(), "987654");
        assert_eq!(oconv("987654", "MD2,$").unwrap(), "$9,876.54");
        assert_eq!(oconv("987654", "MD24$").unwrap(), "$98.77");
        assert_eq!(oconv("987654", "MD2-Z").unwrap(), "9876.54");
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(oconv("20454", "D-YMD[4,2,2]").unwrap(), "2023-12-31");
        assert_eq!(iconv("2023-12-31", "D-YMD[4,2,2]").unwrap(), "20454");
        assert_eq!(iconv("12/31/2023", "D").unwrap(), "20454");
        assert_eq!(iconv("31 DEC 1967", "D").unwrap(), "0");
        assert_eq!(iconv("02/30/2023", "D").unwrap(), "");
        assert_eq!(iconv("01/01/29", "D2/").unwrap(), "22282");
        assert_eq!(oconv("20454", "DYMD").unwrap(), "2023 12 31");
        assert_eq!(oconv("20454", "DMA").unwrap(), "DECEMBER");
        assert_eq!(oconv("20454", "DWA").unwrap(), "SUNDAY");
        assert_eq!(oconv("20454", "DQ").unwrap(), "4");
    }

    #[test]
    fn times_decimals_chars_groups() {
        assert_eq!(iconv("02:46:40", "MTS").unwrap(), "10000");
        assert_eq!(iconv("02:46pm", "MTH").unwrap(), "53160");
        assert_eq!(iconv("9876.54", "MD2").unwrap(), "987654");
        assert_eq!(iconv("$9,876.54", "MD2,$").unwrap(), "987654");
        assert_eq!(oconv("-1234", "MD2").unwrap(), "-12.34");
        assert_eq!(oconv("-1234", "MD2-").unwrap(), "12.34-");
        assert_eq!(oconv("john o'neil", "MCT").unwrap(), "John O'Neil");
        assert_eq!(oconv("a1b2", "MCN").unwrap(), "12");
        assert_eq!(oconv("a1b2", "MCA").unwrap(), "ab");
        assert_eq!(oconv("A.B.C", "G1.1").unwrap(), "B");
        assert_eq!(oconv("A.B.C", "G0.2").unwrap(), "A.B");
        assert_eq!(oconv("abc", "MCU\u{FD}MCL").unwrap(), "abc");
        assert!(oconv("1", "MX").is_err());
        assert!(!code_supported("MX"));
        assert!(code_supported("D-YMD[4,2,2]"));
    }
}
