//! DataStage date/time format strings (reference §4.3), tag by tag: the
//! tokenizer, the converters to Spark / PostgreSQL-Oracle-Teradata /
//! SQL Server patterns, and the formatter and parser the reference
//! evaluator uses. Never a regex over the whole string: each tag maps to
//! one target token and literal text is quoted for the target.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Year4,
    Year2,
    Month2,
    Month1,
    MonthAbbr,
    MonthFull,
    Day2,
    Day1,
    DayOfYear,
    WeekdayAbbr,
    WeekdayFull,
    Hour2,
    Hour1,
    Minute2,
    Second2,
    /// `.N` after `%ss`: N fractional digits (the dot is literal text).
    Fraction(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Tag(Tag),
    Lit(String),
}

pub const DEFAULT_DATE: &str = "%yyyy-%mm-%dd";
pub const DEFAULT_TIME: &str = "%hh:%nn:%ss";
pub const DEFAULT_TIMESTAMP: &str = "%yyyy-%mm-%dd %hh:%nn:%ss";

/// Tags, longest first so `%mmmm` wins over `%mm`.
const TAGS: &[(&str, Tag)] = &[
    ("yyyy", Tag::Year4),
    ("yy", Tag::Year2),
    ("mmmm", Tag::MonthFull),
    ("mmm", Tag::MonthAbbr),
    ("mm", Tag::Month2),
    ("m", Tag::Month1),
    ("ddd", Tag::DayOfYear),
    ("dd", Tag::Day2),
    ("d", Tag::Day1),
    ("eeee", Tag::WeekdayFull),
    ("eee", Tag::WeekdayAbbr),
    ("hh", Tag::Hour2),
    ("h", Tag::Hour1),
    ("nn", Tag::Minute2),
    ("ss", Tag::Second2),
];

pub fn parse_format(fmt: &str) -> Result<Vec<Part>, String> {
    let mut parts: Vec<Part> = Vec::new();
    let mut lit = String::new();
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        if c != '%' {
            lit.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let after = &rest[1..];
        if let Some(r) = after.strip_prefix('%') {
            lit.push('%');
            rest = r;
            continue;
        }
        let lower = after.to_ascii_lowercase();
        let Some((tag_text, tag)) = TAGS.iter().find(|(t, _)| lower.starts_with(t)) else {
            return Err(format!("unknown date format tag at {rest:?}"));
        };
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(&mut lit)));
        }
        parts.push(Part::Tag(*tag));
        rest = &after[tag_text.len()..];
        if *tag == Tag::Second2 {
            let mut chars = rest.chars();
            if let (Some('.'), Some(d)) = (chars.next(), chars.next())
                && let Some(n) = d.to_digit(10).filter(|n| (1..=6).contains(n))
            {
                parts.push(Part::Lit(".".to_string()));
                parts.push(Part::Tag(Tag::Fraction(n as u8)));
                rest = &rest[2..];
            }
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}

/// Java DateTimeFormatter pattern for Spark; letters in literals quoted.
pub fn to_spark(parts: &[Part]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Tag(t) => out.push_str(&match t {
                Tag::Year4 => "yyyy".to_string(),
                Tag::Year2 => "yy".to_string(),
                Tag::Month2 => "MM".to_string(),
                Tag::Month1 => "M".to_string(),
                Tag::MonthAbbr => "MMM".to_string(),
                Tag::MonthFull => "MMMM".to_string(),
                Tag::Day2 => "dd".to_string(),
                Tag::Day1 => "d".to_string(),
                Tag::DayOfYear => "DDD".to_string(),
                Tag::WeekdayAbbr => "EEE".to_string(),
                Tag::WeekdayFull => "EEEE".to_string(),
                Tag::Hour2 => "HH".to_string(),
                Tag::Hour1 => "H".to_string(),
                Tag::Minute2 => "mm".to_string(),
                Tag::Second2 => "ss".to_string(),
                Tag::Fraction(n) => "S".repeat(*n as usize),
            }),
            Part::Lit(s) => {
                for c in s.chars() {
                    if c.is_ascii_alphabetic() {
                        out.push('\'');
                        out.push(c);
                        out.push('\'');
                    } else if c == '\'' {
                        out.push_str("''");
                    } else {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

/// `to_char`/`to_date` pattern for PostgreSQL, Oracle and Teradata
/// (Teradata 14+ TO_CHAR follows Oracle). Letters in literals are
/// double-quoted.
pub fn to_oracle_style(parts: &[Part]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Tag(t) => out.push_str(&match t {
                Tag::Year4 => "YYYY".to_string(),
                Tag::Year2 => "YY".to_string(),
                Tag::Month2 => "MM".to_string(),
                Tag::Month1 => "FMMM".to_string(),
                Tag::MonthAbbr => "Mon".to_string(),
                Tag::MonthFull => "FMMonth".to_string(),
                Tag::Day2 => "DD".to_string(),
                Tag::Day1 => "FMDD".to_string(),
                Tag::DayOfYear => "DDD".to_string(),
                Tag::WeekdayAbbr => "Dy".to_string(),
                Tag::WeekdayFull => "FMDay".to_string(),
                Tag::Hour2 => "HH24".to_string(),
                Tag::Hour1 => "FMHH24".to_string(),
                Tag::Minute2 => "MI".to_string(),
                Tag::Second2 => "SS".to_string(),
                Tag::Fraction(n) => format!("FF{n}"),
            }),
            Part::Lit(s) => {
                for c in s.chars() {
                    if c.is_ascii_alphabetic() {
                        out.push('"');
                        out.push(c);
                        out.push('"');
                    } else {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

/// .NET custom format for SQL Server `FORMAT`. Separators are escaped: ':'
/// and '/' are culture-dependent placeholders in .NET.
pub fn to_dotnet(parts: &[Part]) -> Result<String, String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Tag(t) => out.push_str(&match t {
                Tag::Year4 => "yyyy".to_string(),
                Tag::Year2 => "yy".to_string(),
                Tag::Month2 => "MM".to_string(),
                Tag::Month1 => "%M".to_string(),
                Tag::MonthAbbr => "MMM".to_string(),
                Tag::MonthFull => "MMMM".to_string(),
                Tag::Day2 => "dd".to_string(),
                Tag::Day1 => "%d".to_string(),
                Tag::DayOfYear => return Err("day of year has no .NET format".into()),
                Tag::WeekdayAbbr => "ddd".to_string(),
                Tag::WeekdayFull => "dddd".to_string(),
                Tag::Hour2 => "HH".to_string(),
                Tag::Hour1 => "%H".to_string(),
                Tag::Minute2 => "mm".to_string(),
                Tag::Second2 => "ss".to_string(),
                Tag::Fraction(n) => "f".repeat(*n as usize),
            }),
            Part::Lit(s) => {
                for c in s.chars() {
                    if c != ' ' {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
    }
    Ok(out)
}

/// True when the format is exactly the ISO shape SQL Server's CONVERT
/// styles 23 / 120 / 108 understand.
pub fn is_iso(parts: &[Part]) -> bool {
    let iso: Vec<Vec<Part>> = [DEFAULT_DATE, DEFAULT_TIMESTAMP, DEFAULT_TIME]
        .iter()
        .filter_map(|f| parse_format(f).ok())
        .collect();
    iso.iter().any(|p| p == parts)
}

pub fn has_weekday(parts: &[Part]) -> bool {
    parts
        .iter()
        .any(|p| matches!(p, Part::Tag(Tag::WeekdayAbbr | Tag::WeekdayFull)))
}

// ---- civil calendar (days since 1970-01-01), for the evaluator -------

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
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

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Sunday = 0.
pub fn weekday(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32
}

/// Broken-down date-time; `micros` is the fraction of the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

impl DateTime {
    pub fn days(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }
    pub fn from_days(days: i64) -> DateTime {
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            ..DateTime::default()
        }
    }
    pub fn seconds_of_day(&self) -> i64 {
        (self.hour * 3600 + self.minute * 60 + self.second) as i64
    }
}

pub fn format(parts: &[Part], t: &DateTime) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            Part::Tag(tag) => {
                let month = MONTHS
                    .get(t.month.saturating_sub(1) as usize)
                    .unwrap_or(&"");
                let wd = WEEKDAYS[weekday(t.days()) as usize];
                out.push_str(&match tag {
                    Tag::Year4 => format!("{:04}", t.year),
                    Tag::Year2 => format!("{:02}", t.year.rem_euclid(100)),
                    Tag::Month2 => format!("{:02}", t.month),
                    Tag::Month1 => t.month.to_string(),
                    Tag::MonthAbbr => month.chars().take(3).collect(),
                    Tag::MonthFull => month.to_string(),
                    Tag::Day2 => format!("{:02}", t.day),
                    Tag::Day1 => t.day.to_string(),
                    Tag::DayOfYear => {
                        format!("{:03}", t.days() - days_from_civil(t.year, 1, 1) + 1)
                    }
                    Tag::WeekdayAbbr => wd.chars().take(3).collect(),
                    Tag::WeekdayFull => wd.to_string(),
                    Tag::Hour2 => format!("{:02}", t.hour),
                    Tag::Hour1 => t.hour.to_string(),
                    Tag::Minute2 => format!("{:02}", t.minute),
                    Tag::Second2 => format!("{:02}", t.second),
                    Tag::Fraction(n) => {
                        let s = format!("{:06}", t.micros);
                        s[..(*n as usize).min(6)].to_string()
                    }
                });
            }
        }
    }
    out
}

/// Parse `s` with `parts`; `None` when it does not match or the date is
/// invalid. Fixed-width tags take exactly their digits, variable ones 1-2.
/// `%yy` is read as 19yy for yy >= 30 else 20yy (a year cutoff of 1930).
pub fn parse(parts: &[Part], s: &str) -> Option<DateTime> {
    let mut t = DateTime {
        year: 1970,
        month: 1,
        day: 1,
        ..DateTime::default()
    };
    let mut rest = s;
    let mut doy: Option<i64> = None;
    let digits = |rest: &mut &str, min: usize, max: usize| -> Option<i64> {
        let n = rest
            .chars()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let v = rest[..n].parse().ok()?;
        *rest = &rest[n..];
        Some(v)
    };
    let name = |rest: &mut &str, names: &[&str], full: bool| -> Option<u32> {
        for (i, n) in names.iter().enumerate() {
            let cand: String = if full {
                n.to_string()
            } else {
                n.chars().take(3).collect()
            };
            if rest.len() >= cand.len()
                && rest.is_char_boundary(cand.len())
                && rest[..cand.len()].eq_ignore_ascii_case(&cand)
            {
                *rest = &rest[cand.len()..];
                return Some(i as u32);
            }
        }
        None
    };
    for p in parts {
        match p {
            Part::Lit(l) => rest = rest.strip_prefix(l.as_str())?,
            Part::Tag(tag) => match tag {
                Tag::Year4 => t.year = digits(&mut rest, 4, 4)?,
                Tag::Year2 => {
                    let y = digits(&mut rest, 2, 2)?;
                    t.year = if y >= 30 { 1900 + y } else { 2000 + y };
                }
                Tag::Month2 => t.month = digits(&mut rest, 2, 2)? as u32,
                Tag::Month1 => t.month = digits(&mut rest, 1, 2)? as u32,
                Tag::MonthAbbr => t.month = name(&mut rest, &MONTHS, false)? + 1,
                Tag::MonthFull => t.month = name(&mut rest, &MONTHS, true)? + 1,
                Tag::Day2 => t.day = digits(&mut rest, 2, 2)? as u32,
                Tag::Day1 => t.day = digits(&mut rest, 1, 2)? as u32,
                Tag::DayOfYear => doy = Some(digits(&mut rest, 3, 3)?),
                Tag::WeekdayAbbr => {
                    name(&mut rest, &WEEKDAYS, false)?;
                }
                Tag::WeekdayFull => {
                    name(&mut rest, &WEEKDAYS, true)?;
                }
                Tag::Hour2 => t.hour = digits(&mut rest, 2, 2)? as u32,
                Tag::Hour1 => t.hour = digits(&mut rest, 1, 2)? as u32,
                Tag::Minute2 => t.minute = digits(&mut rest, 2, 2)? as u32,
                Tag::Second2 => t.second = digits(&mut rest, 2, 2)? as u32,
                Tag::Fraction(n) => {
                    let n = *n as usize;
                    let v = digits(&mut rest, n, n)?;
                    t.micros = (v * 10i64.pow((6 - n) as u32)) as u32;
                }
            },
        }
    }
    if !rest.is_empty() {
        return None;
    }
    if let Some(d) = doy {
        let days = days_from_civil(t.year, 1, 1) + d - 1;
        let (y, m, dd) = civil_from_days(days);
        if y != t.year {
            return None;
        }
        (t.month, t.day) = (m, dd);
    }
    let valid = (1..=12).contains(&t.month)
        && t.day >= 1
        && t.day <= days_in_month(t.year, t.month)
        && t.hour < 24
        && t.minute < 60
        && t.second < 60;
    valid.then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_convert_one_by_one() {
        let p = parse_format("%eee %mmm %d %hh:%nn:%ss %yyyy").unwrap();
        assert_eq!(to_spark(&p), "EEE MMM d HH:mm:ss yyyy");
        assert_eq!(to_oracle_style(&p), "Dy Mon FMDD HH24:MI:SS YYYY");
        let p = parse_format("%yyyy-%mm-%ddT%hh:%nn:%ss.3").unwrap();
        assert_eq!(to_spark(&p), "yyyy-MM-dd'T'HH:mm:ss.SSS");
        assert_eq!(to_oracle_style(&p), "YYYY-MM-DD\"T\"HH24:MI:SS.FF3");
        assert!(parse_format("%q").is_err());
    }

    #[test]
    fn civil_round_trip() {
        for d in [-800_000i64, -1, 0, 1, 11_016, 19_782, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(days_from_civil(1967, 12, 31), -732);
        assert_eq!(weekday(0), 4); // 1970-01-01 was a Thursday
    }

    #[test]
    fn parse_and_format() {
        let p = parse_format("%eee %mmm %d %hh:%nn:%ss %yyyy").unwrap();
        let t = parse(&p, "Tue Mar 5 14:03:09 2024").unwrap();
        assert_eq!((t.year, t.month, t.day, t.hour), (2024, 3, 5, 14));
        assert_eq!(format(&p, &t), "Tue Mar 5 14:03:09 2024");
        let d = parse_format(DEFAULT_DATE).unwrap();
        assert!(parse(&d, "2024-02-30").is_none());
        assert!(parse(&d, "2024-02-29").is_some());
        assert!(parse(&d, "2024-2-29").is_none());
    }
}
