//! The evaluator's implementation of each registered function. Null
//! handling follows the registry's `Nulls` (checked before the match), so
//! each arm sees non-NULL values where the function propagates NULL.

use super::super::datefmt::{self, DateTime};
use super::super::functions::{self, Nulls};
use super::{Decimal, Env, MICROS_PER_DAY, Num, Value, format_float, parse_number};

type R = Result<Value, String>;

fn text(v: &Value) -> String {
    v.to_text().unwrap_or_default()
}

fn int(v: &Value) -> Result<i64, String> {
    match v.to_num()? {
        Some(Num::Int(i)) => Ok(i),
        Some(Num::Dec(d)) => i64::try_from(d.trunc()).map_err(|_| "integer overflow".to_string()),
        Some(Num::Float(f)) => Ok(f.trunc() as i64),
        None => Err("NULL where an integer is needed".into()),
    }
}

fn float(v: &Value) -> Result<f64, String> {
    v.to_num()?
        .map(|n| n.to_f64())
        .ok_or_else(|| "NULL where a number is needed".to_string())
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn yes(b: bool) -> Value {
    Value::Int(b as i64)
}

/// 1-based substring with DataStage clamping.
pub(super) fn substring(s: &str, start: i64, len: i64) -> String {
    let start = start.max(1) as usize;
    if len <= 0 {
        return String::new();
    }
    s.chars().skip(start - 1).take(len as usize).collect()
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Collapse runs of `c` (or of blanks when `c` is a blank) to one.
fn collapse(s: &str, is: impl Fn(char) -> bool, to: char) -> String {
    let mut out = String::new();
    let mut prev = false;
    for ch in s.chars() {
        let hit = is(ch);
        if hit {
            if !prev {
                out.push(to);
            }
        } else {
            out.push(ch);
        }
        prev = hit;
    }
    out
}

fn trim_opt(s: &str, c: char, opt: &str) -> Result<String, String> {
    Ok(match opt.to_ascii_uppercase().as_str() {
        "A" => s.chars().filter(|x| *x != c).collect(),
        "B" => s.trim_matches(c).to_string(),
        "L" => s.trim_start_matches(c).to_string(),
        "T" => s.trim_end_matches(c).to_string(),
        "R" => collapse(s, |x| x == c, c).trim_matches(c).to_string(),
        "D" => collapse(s, is_blank, ' ')
            .trim_matches(is_blank)
            .to_string(),
        "F" => s.trim_start_matches(is_blank).to_string(),
        "E" => s.trim_end_matches(is_blank).to_string(),
        other => return Err(format!("unknown Trim option {other:?}")),
    })
}

/// Byte-position free occurrence search: 1-based char index of the k-th
/// non-overlapping occurrence, 0 if absent.
fn index_of(s: &str, sub: &str, k: i64) -> i64 {
    if sub.is_empty() {
        return 0;
    }
    let k = k.max(1);
    let mut from = 0;
    let mut found = 0;
    while let Some(p) = s[from..].find(sub) {
        found += 1;
        if found == k {
            return s[..from + p].chars().count() as i64 + 1;
        }
        from += p + sub.len();
    }
    0
}

fn count(s: &str, sub: &str) -> i64 {
    if sub.is_empty() {
        0
    } else {
        s.matches(sub).count() as i64
    }
}

fn field(s: &str, d: &str, k: i64, m: i64) -> String {
    if d.is_empty() {
        return if k <= 1 { s.to_string() } else { String::new() };
    }
    let parts: Vec<&str> = s.split(d).collect();
    let k = k.max(1) as usize;
    if m < 1 || k > parts.len() {
        return String::new();
    }
    let end = (k - 1 + m as usize).min(parts.len());
    parts[k - 1..end].join(d)
}

fn convert(from: &str, to: &str, s: &str) -> String {
    let (from, to) = (chars(from), chars(to));
    s.chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

fn is_num_text(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    (s.is_empty() || !(int.is_empty() && frac.is_empty()))
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit())
        && (s.is_empty() || !t.is_empty())
}

fn date_of(v: &Value) -> Result<DateTime, String> {
    match v {
        Value::Time(t) => {
            let secs = t.div_euclid(1_000_000);
            Ok(DateTime {
                hour: (secs / 3600) as u32,
                minute: ((secs / 60) % 60) as u32,
                second: (secs % 60) as u32,
                micros: t.rem_euclid(1_000_000) as u32,
                ..DateTime::default()
            })
        }
        Value::Timestamp(ts) => {
            let mut dt = DateTime::from_days(ts.div_euclid(MICROS_PER_DAY));
            let rest = ts.rem_euclid(MICROS_PER_DAY);
            let secs = rest / 1_000_000;
            dt.hour = (secs / 3600) as u32;
            dt.minute = ((secs / 60) % 60) as u32;
            dt.second = (secs % 60) as u32;
            dt.micros = (rest % 1_000_000) as u32;
            Ok(dt)
        }
        other => Ok(DateTime::from_days(other.to_days()?.ok_or("NULL date")?)),
    }
}

fn ts_of(dt: &DateTime) -> i64 {
    dt.days() * MICROS_PER_DAY + dt.seconds_of_day() * 1_000_000 + dt.micros as i64
}

fn fmt_arg(args: &[Value], i: usize, default: &str) -> Result<Vec<datefmt::Part>, String> {
    let f = args.get(i).map_or(default.to_string(), text);
    datefmt::parse_format(&f)
}

fn decimal_of(v: &Value) -> Result<Value, String> {
    // Scale 10 unless the target column says otherwise (see registry).
    let n = match v {
        Value::Str(s) => parse_number(s)?,
        other => other.to_num()?.ok_or("NULL")?,
    };
    let d = match n {
        Num::Int(i) => Decimal::from_int(i),
        Num::Dec(d) => d,
        Num::Float(f) => Decimal::parse(&format!("{f:.12}")).ok_or("not a decimal")?,
    };
    Ok(Value::Dec(d.rescale(10).ok_or("decimal overflow")?))
}

pub(super) fn call(name: &str, args: Vec<Value>, env: &Env) -> R {
    let def = functions::lookup(name).ok_or_else(|| format!("unknown function {name}"))?;
    if args.len() < def.min_args || args.len() > def.max_args {
        return Err(format!(
            "{} takes {}..{} arguments, got {}",
            def.name,
            def.min_args,
            def.max_args,
            args.len()
        ));
    }
    let nulls = match def.nulls {
        Nulls::Propagate => args.iter().any(Value::is_null),
        Nulls::First => args.first().is_some_and(Value::is_null),
        Nulls::Never | Nulls::Always => false,
    };
    if nulls {
        return Ok(Value::Null);
    }
    let a = &args;
    let s = |i: usize| a.get(i).map(text).unwrap_or_default();
    let n = |i: usize| a.get(i).map_or(Ok(0), int);
    let f = |i: usize| a.get(i).map_or(Ok(0.0), float);
    Ok(match def.name {
        "Trim" => {
            if a.len() == 1 {
                Value::Str(
                    collapse(&s(0), is_blank, ' ')
                        .trim_matches(is_blank)
                        .to_string(),
                )
            } else {
                let c = s(1).chars().next().unwrap_or(' ');
                let opt = if a.len() > 2 { s(2) } else { "R".to_string() };
                Value::Str(trim_opt(&s(0), c, &opt)?)
            }
        }
        "TrimF" => Value::Str(s(0).trim_start_matches(is_blank).to_string()),
        "TrimB" => Value::Str(s(0).trim_end_matches(is_blank).to_string()),
        "TrimLeadingTrailing" => Value::Str(s(0).trim_matches(is_blank).to_string()),
        "Len" => Value::Int(s(0).chars().count() as i64),
        "Left" => Value::Str(substring(&s(0), 1, n(1)?)),
        "Right" => {
            let c = chars(&s(0));
            let k = n(1)?.clamp(0, c.len() as i64) as usize;
            Value::Str(c[c.len() - k..].iter().collect())
        }
        "Substrings" => Value::Str(substring(&s(0), n(1)?, n(2)?)),
        "UpCase" => Value::Str(s(0).to_uppercase()),
        "DownCase" => Value::Str(s(0).to_lowercase()),
        "Index" => Value::Int(index_of(&s(0), &s(1), n(2)?)),
        "Count" => Value::Int(count(&s(0), &s(1))),
        "DCount" => Value::Int(if s(0).is_empty() {
            0
        } else {
            count(&s(0), &s(1)) + 1
        }),
        "Field" => Value::Str(field(
            &s(0),
            &s(1),
            n(2)?,
            if a.len() > 3 { n(3)? } else { 1 },
        )),
        "Convert" => Value::Str(convert(&s(0), &s(1), &s(2))),
        "Ereplace" | "Change" => {
            let old = s(1);
            if old.is_empty() {
                Value::Str(s(0))
            } else {
                Value::Str(s(0).replace(&old, &s(2)))
            }
        }
        "Str" => Value::Str(s(0).repeat(n(1)?.max(0) as usize)),
        "Space" => Value::Str(" ".repeat(n(0)?.max(0) as usize)),
        "Char" => Value::Str(
            char::from_u32(n(0)?.clamp(0, 0x10FFFF) as u32)
                .map(String::from)
                .unwrap_or_default(),
        ),
        "Seq" => Value::Int(s(0).chars().next().map_or(0, |c| c as i64)),
        "PadString" => {
            let c = s(1).chars().next().map(String::from).unwrap_or_default();
            Value::Str(s(0) + &c.repeat(n(2)?.max(0) as usize))
        }
        "Num" => yes(is_num_text(&s(0))),
        "Alpha" => yes(!s(0).is_empty() && s(0).chars().all(|c| c.is_ascii_alphabetic())),
        "Compare" => Value::Int(match s(0).cmp(&s(1)) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }),
        "CompactWhiteSpace" => Value::Str(collapse(&s(0), is_blank, ' ')),
        "StripWhiteSpace" => Value::Str(s(0).chars().filter(|c| !is_blank(*c)).collect()),
        "Squote" => Value::Str(format!("'{}'", s(0))),
        "Dquote" => Value::Str(format!("\"{}\"", s(0))),
        "IsNull" => yes(a[0].is_null()),
        "IsNotNull" => yes(!a[0].is_null()),
        "NullToValue" => {
            if a[0].is_null() {
                a[1].clone()
            } else {
                a[0].clone()
            }
        }
        "NullToEmpty" => {
            if a[0].is_null() {
                Value::Str(String::new())
            } else {
                Value::Str(s(0))
            }
        }
        "NullToZero" => {
            if a[0].is_null() {
                Value::Int(0)
            } else {
                a[0].clone()
            }
        }
        "SetNull" => Value::Null,
        "StringToDate" => {
            let parts = fmt_arg(a, 1, datefmt::DEFAULT_DATE)?;
            datefmt::parse(&parts, &s(0)).map_or(Value::Null, |t| Value::Date(t.days()))
        }
        "StringToTimestamp" => {
            let parts = fmt_arg(a, 1, datefmt::DEFAULT_TIMESTAMP)?;
            datefmt::parse(&parts, &s(0)).map_or(Value::Null, |t| Value::Timestamp(ts_of(&t)))
        }
        "StringToTime" => {
            let parts = fmt_arg(a, 1, datefmt::DEFAULT_TIME)?;
            datefmt::parse(&parts, &s(0)).map_or(Value::Null, |t| {
                Value::Time(t.seconds_of_day() * 1_000_000 + t.micros as i64)
            })
        }
        "DateToString" => Value::Str(datefmt::format(
            &fmt_arg(a, 1, datefmt::DEFAULT_DATE)?,
            &date_of(&a[0])?,
        )),
        "TimestampToString" => {
            let v = match &a[0] {
                Value::Str(_) => Value::Timestamp(a[0].to_timestamp()?.ok_or("NULL")?),
                other => other.clone(),
            };
            Value::Str(datefmt::format(
                &fmt_arg(a, 1, datefmt::DEFAULT_TIMESTAMP)?,
                &date_of(&v)?,
            ))
        }
        "TimeToString" => Value::Str(datefmt::format(
            &fmt_arg(a, 1, datefmt::DEFAULT_TIME)?,
            &date_of(&a[0])?,
        )),
        "CurrentDate" => Value::Date(env.now.days()),
        "CurrentTime" => Value::Time(env.now.seconds_of_day() * 1_000_000),
        "CurrentTimestamp" => Value::Timestamp(env.now_timestamp()),
        "DaysSinceFromDate" => Value::Int(date_of(&a[0])?.days() - date_of(&a[1])?.days()),
        "DateFromDaysSince" => {
            let base = match a.get(1) {
                Some(b) => date_of(b)?.days(),
                None => datefmt::days_from_civil(1967, 12, 31),
            };
            Value::Date(base + n(0)?)
        }
        "DateOffsetByDays" => Value::Date(date_of(&a[0])?.days() + n(1)?),
        "YearFromDate" => Value::Int(date_of(&a[0])?.year),
        "MonthFromDate" => Value::Int(date_of(&a[0])?.month as i64),
        "MonthDayFromDate" => Value::Int(date_of(&a[0])?.day as i64),
        "YeardayFromDate" => {
            let d = date_of(&a[0])?;
            Value::Int(d.days() - datefmt::days_from_civil(d.year, 1, 1) + 1)
        }
        "WeekdayFromDate" => Value::Int(datefmt::weekday(date_of(&a[0])?.days()) as i64),
        "JulianDayFromDate" => Value::Int(date_of(&a[0])?.days() + 2_440_588),
        "HoursFromTime" => Value::Int(date_of(&a[0])?.hour as i64),
        "MinutesFromTime" => Value::Int(date_of(&a[0])?.minute as i64),
        "SecondsFromTime" => {
            let t = date_of(&a[0])?;
            Value::Float(t.second as f64 + t.micros as f64 / 1e6)
        }
        "TimestampToDate" => Value::Date(
            a[0].to_timestamp()?
                .ok_or("NULL")?
                .div_euclid(MICROS_PER_DAY),
        ),
        "TimestampToTime" => Value::Time(
            a[0].to_timestamp()?
                .ok_or("NULL")?
                .rem_euclid(MICROS_PER_DAY),
        ),
        "DateFromComponents" => {
            let (y, m, d) = (n(0)?, n(1)?, n(2)?);
            if (1..=12).contains(&m) && d >= 1 && d <= datefmt::days_in_month(y, m as u32) as i64 {
                Value::Date(datefmt::days_from_civil(y, m as u32, d as u32))
            } else {
                Value::Null
            }
        }
        "TimestampFromDateTime" => {
            let d = date_of(&a[0])?.days();
            let t = match &a[1] {
                Value::Time(t) => *t,
                other => return Err(format!("{other:?} is not a time")),
            };
            Value::Timestamp(d * MICROS_PER_DAY + t)
        }
        "SecondsSinceFromTimestamp" => {
            let (x, y) = (
                a[0].to_timestamp()?.ok_or("NULL")?,
                a[1].to_timestamp()?.ok_or("NULL")?,
            );
            Value::Float((x - y) as f64 / 1e6)
        }
        "Abs" => match a[0].to_num()?.ok_or("NULL")? {
            Num::Int(i) => Value::Int(i.abs()),
            Num::Dec(d) => Value::Dec(Decimal {
                units: d.units.abs(),
                scale: d.scale,
            }),
            Num::Float(x) => Value::Float(x.abs()),
        },
        "Neg" => match a[0].to_num()?.ok_or("NULL")? {
            Num::Int(i) => Value::Int(-i),
            Num::Dec(d) => Value::Dec(Decimal {
                units: -d.units,
                scale: d.scale,
            }),
            Num::Float(x) => Value::Float(-x),
        },
        "Mod" => match (a[0].to_num()?.ok_or("NULL")?, a[1].to_num()?.ok_or("NULL")?) {
            (_, Num::Int(0)) => Value::Null,
            (Num::Int(x), Num::Int(y)) => Value::Int(x % y),
            (x, y) => {
                let (x, y) = (x.to_f64(), y.to_f64());
                if y == 0.0 {
                    Value::Null
                } else {
                    Value::Float(x % y)
                }
            }
        },
        "Int" => Value::Int(n(0)?),
        "Sqrt" => {
            let x = f(0)?;
            if x < 0.0 {
                Value::Null
            } else {
                Value::Float(x.sqrt())
            }
        }
        "Pwr" => Value::Float(f(0)?.powf(f(1)?)),
        "Exp" => Value::Float(f(0)?.exp()),
        "Ln" => {
            let x = f(0)?;
            if x <= 0.0 {
                Value::Null
            } else {
                Value::Float(x.ln())
            }
        }
        "Ceil" => Value::Int(f(0)?.ceil() as i64),
        "Floor" => Value::Int(f(0)?.floor() as i64),
        "AsInteger" => Value::Int(n(0)?),
        "StringToNumber" => parse_number(&s(0)).map_or(Value::Null, |n| Value::Float(n.to_f64())),
        "AsFloat" | "AsDouble" | "DecimalToDFloat" => Value::Float(f(0)?),
        "AsString" | "DecimalToString" => Value::Str(match &a[0] {
            Value::Float(x) => format_float(*x),
            other => text(other),
        }),
        "StringToDecimal" | "DecimalToDecimal" | "DFloatToDecimal" => decimal_of(&a[0])?,
        "IsValid" => {
            let v = s(1);
            yes(match s(0).to_ascii_lowercase().as_str() {
                "int8" | "int16" | "int32" | "int64" | "integer" => {
                    let t = v.trim();
                    !t.is_empty() && t.parse::<i64>().is_ok()
                }
                "dfloat" | "sfloat" | "decimal" => !v.trim().is_empty() && parse_number(&v).is_ok(),
                "date" => valid_with(&v, datefmt::DEFAULT_DATE),
                "timestamp" => valid_with(&v, datefmt::DEFAULT_TIMESTAMP),
                "time" => valid_with(&v, datefmt::DEFAULT_TIME),
                "string" | "ustring" => true,
                other => return Err(format!("IsValid: unknown type {other:?}")),
            })
        }
        "IsValidDate" => yes(!a[0].is_null() && valid_with(&s(0), datefmt::DEFAULT_DATE)),
        "IsValidTimestamp" => yes(!a[0].is_null() && valid_with(&s(0), datefmt::DEFAULT_TIMESTAMP)),
        "IsValidDecimal" => yes(!a[0].is_null() && Decimal::parse(&s(0)).is_some()),
        other => return Err(format!("{other} is not available to the evaluator")),
    })
}

fn valid_with(s: &str, fmt: &str) -> bool {
    datefmt::parse_format(fmt).is_ok_and(|p| datefmt::parse(&p, s).is_some())
}
