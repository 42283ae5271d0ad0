//! Values in generated tests: Spark types of DataStage columns, sample
//! input values, conversion of reference-evaluator values to a column's
//! Spark type (as `Column.cast` does), and Python literals.

use crate::expr::datefmt;
use crate::expr::eval::{Decimal, MICROS_PER_DAY, Value};
use crate::expr::translate::pyspark::py_str;
use crate::ir::Column;

/// A cell of an expected row: `None` = not predictable at generation time
/// (the test accepts any value there).
pub type Cell = Option<Value>;

/// Spark SQL type (simpleString form) of a DataStage column.
pub fn spark_type(c: &Column) -> String {
    match c.sql_type {
        1 | 12 | -1 | -8 | -9 | -10 => "string".into(),
        2 | 3 => {
            let p = if c.length == 0 { 38 } else { c.length.min(38) };
            let s = c.scale.min(p);
            format!("decimal({p},{s})")
        }
        4 | -7 => "int".into(),
        5 => "smallint".into(),
        -6 => "tinyint".into(),
        -5 => "bigint".into(),
        6..=8 => "double".into(),
        9 => "date".into(),
        10 => "string".into(),
        11 => "timestamp".into(),
        -4..=-2 => "binary".into(),
        _ => "string".into(),
    }
}

fn decimal_ps(ty: &str) -> Option<(u32, u32)> {
    let inner = ty.strip_prefix("decimal(")?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

fn int_range(ty: &str) -> Option<(i64, i64)> {
    Some(match ty {
        "tinyint" => (i8::MIN as i64, i8::MAX as i64),
        "smallint" => (i16::MIN as i64, i16::MAX as i64),
        "int" => (i32::MIN as i64, i32::MAX as i64),
        "bigint" => (i64::MIN, i64::MAX),
        _ => return None,
    })
}

/// Round half away from zero to `scale` (Spark's decimal cast).
fn round_decimal(d: Decimal, scale: u32) -> Option<Decimal> {
    if scale >= d.scale {
        return d.rescale(scale);
    }
    let div = 10i128.checked_pow(d.scale - scale)?;
    let q = d.units / div;
    let r = d.units % div;
    let q = if r.abs() * 2 >= div {
        q + d.units.signum()
    } else {
        q
    };
    Some(Decimal { units: q, scale })
}

fn fits(d: Decimal, p: u32) -> bool {
    10i128.checked_pow(p).is_some_and(|lim| d.units.abs() < lim)
}

fn to_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from_int(*i)),
        Value::Dec(d) => Some(*d),
        Value::Float(f) => Decimal::parse(&format!("{f:.12}")),
        Value::Str(s) => Decimal::parse(s.trim()),
        _ => None,
    }
}

/// `value` converted to Spark type `ty` the way `cast` does, or `None`
/// when the result is not certain (then the test does not check it).
/// The text DataStage writes for a value of Spark type `ty` in a
/// sequential file (the script's `datastage_text`): a decimal with a
/// leading space or `-`, its digits zero-filled to the precision and
/// scale (IBM, Sequential File stage, Format tab, Type defaults >
/// Decimal: "a leading space or '-' followed by decimal digits with an
/// embedded decimal point if the scale is not zero"); anything else its
/// plain text. `None` for NULL or a value that does not fit.
pub fn datastage_text(v: &Value, ty: &str) -> Option<String> {
    if v.is_null() {
        return None;
    }
    if ty.starts_with("decimal(") {
        let (p, s) = decimal_ps(ty)?;
        let Some(Value::Dec(d)) = conform(v, ty) else {
            return None;
        };
        let d = d.rescale(s)?;
        let digits = format!("{:0>width$}", d.units.unsigned_abs(), width = p as usize);
        if digits.len() > p as usize {
            return None;
        }
        let sign = if d.units < 0 { '-' } else { ' ' };
        let whole = (p - s) as usize;
        return Some(if s == 0 {
            format!("{sign}{digits}")
        } else {
            format!("{sign}{}.{}", &digits[..whole], &digits[whole..])
        });
    }
    v.to_text()
}

pub fn conform(v: &Value, ty: &str) -> Cell {
    if v.is_null() {
        return Some(Value::Null);
    }
    match ty {
        "string" => match v {
            Value::Str(_) => Some(v.clone()),
            // Spark renders doubles as `3.0` / `1.0E10`: not checked.
            Value::Float(_) => None,
            Value::Time(_)
            | Value::Int(_)
            | Value::Dec(_)
            | Value::Date(_)
            | Value::Timestamp(_) => v.to_text().map(Value::Str),
            Value::Null => Some(Value::Null),
        },
        "double" => match v {
            Value::Int(i) => Some(Value::Float(*i as f64)),
            Value::Dec(d) => Some(Value::Float(d.to_f64())),
            Value::Float(_) => Some(v.clone()),
            Value::Str(s) => Some(s.trim().parse::<f64>().map_or(Value::Null, Value::Float)),
            _ => None,
        },
        "date" => match v {
            Value::Date(_) => Some(v.clone()),
            Value::Timestamp(t) => Some(Value::Date(t.div_euclid(MICROS_PER_DAY))),
            Value::Str(s) => parse_date(s).map(Value::Date),
            _ => None,
        },
        "timestamp" => match v {
            Value::Timestamp(_) => Some(v.clone()),
            Value::Date(d) => Some(Value::Timestamp(d * MICROS_PER_DAY)),
            Value::Str(s) => parse_timestamp(s).map(Value::Timestamp),
            _ => None,
        },
        "binary" => None,
        t if t.starts_with("decimal(") => {
            let (p, s) = decimal_ps(t)?;
            if let Value::Str(s) = v
                && Decimal::parse(s.trim()).is_none()
            {
                return None;
            }
            let d = to_decimal(v)?;
            let r = round_decimal(d, s)?;
            Some(if fits(r, p) {
                Value::Dec(r)
            } else {
                Value::Null
            })
        }
        t => {
            let (lo, hi) = int_range(t)?;
            let i: i64 = match v {
                Value::Int(i) => *i,
                Value::Dec(d) => i64::try_from(d.trunc()).ok()?,
                Value::Float(f) if f.is_finite() => f.trunc() as i64,
                Value::Str(s) => {
                    let s = s.trim();
                    match s.parse::<i64>() {
                        Ok(i) => i,
                        Err(_) => match Decimal::parse(s) {
                            Some(d) => i64::try_from(d.trunc()).ok()?,
                            None if s.is_empty() => return Some(Value::Null),
                            None => return None,
                        },
                    }
                }
                _ => return None,
            };
            // Out of range wraps in Spark (non-ANSI): not predicted.
            if i < lo || i > hi {
                return None;
            }
            Some(Value::Int(i))
        }
    }
}

fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let parts = datefmt::parse_format(datefmt::DEFAULT_DATE).ok()?;
    if s.len() == 10 {
        return datefmt::parse(&parts, s).map(|d| d.days());
    }
    None
}

fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return parse_date(s).map(|d| d * MICROS_PER_DAY);
    }
    if s.len() == 19 {
        let parts = datefmt::parse_format(datefmt::DEFAULT_TIMESTAMP).ok()?;
        let dt = datefmt::parse(&parts, s)?;
        return Some(dt.days() * MICROS_PER_DAY + dt.seconds_of_day() * 1_000_000);
    }
    None
}

/// Python literal of a cell (`ANY` for an unpredictable one).
pub fn py_literal(c: &Cell) -> String {
    match c {
        None => "ANY".into(),
        Some(v) => py_value(v),
    }
}

pub fn py_value(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Str(s) => py_str(s),
        Value::Int(i) => i.to_string(),
        Value::Dec(d) => format!("Decimal({})", py_str(&d.to_string())),
        Value::Float(f) => {
            if f.is_nan() {
                "float(\"nan\")".into()
            } else if f.is_infinite() {
                if *f > 0.0 {
                    "float(\"inf\")".into()
                } else {
                    "float(\"-inf\")".into()
                }
            } else {
                format!("{f:?}")
            }
        }
        Value::Date(d) => {
            let (y, m, dd) = datefmt::civil_from_days(*d);
            format!("date({y}, {m}, {dd})")
        }
        Value::Timestamp(t) => {
            let days = t.div_euclid(MICROS_PER_DAY);
            let rem = t.rem_euclid(MICROS_PER_DAY);
            let (y, m, dd) = datefmt::civil_from_days(days);
            let secs = rem / 1_000_000;
            let micros = rem % 1_000_000;
            let (h, mi, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
            if micros == 0 {
                format!("datetime({y}, {m}, {dd}, {h}, {mi}, {s})")
            } else {
                format!("datetime({y}, {m}, {dd}, {h}, {mi}, {s}, {micros})")
            }
        }
        Value::Time(_) => py_str(&v.to_text().unwrap_or_default()),
    }
}

/// Number of sample rows of the first source and of the others.
pub const SAMPLE_ROWS_MAIN: &[usize] = &[0, 1, 2, 0, 3];
pub const SAMPLE_ROWS_OTHER: &[usize] = &[0, 2, 3, 4];

fn upper_suffix(name: &str) -> String {
    name.rsplit('_').next().unwrap_or(name).to_ascii_uppercase()
}

fn date_like(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    let s = upper_suffix(name);
    matches!(s.as_str(), "DT" | "DATE" | "DTS" | "DAY") || u.ends_with("DATE")
}

fn number_like(name: &str) -> bool {
    let s = upper_suffix(name);
    matches!(
        s.as_str(),
        "ID" | "KEY" | "NBR" | "NO" | "NUM" | "CNT" | "QTY" | "AMT" | "SK" | "CODE"
    ) || name.to_ascii_uppercase().ends_with("ID")
}

fn fit_str(s: &str, len: u32) -> String {
    if len == 0 {
        s.to_string()
    } else {
        s.chars().take(len as usize).collect()
    }
}

fn fit_decimal(text: &str, p: u32, s: u32) -> Value {
    let d = Decimal::parse(text).unwrap_or(Decimal::from_int(0));
    let r = round_decimal(d, s).unwrap_or(Decimal { units: 0, scale: s });
    if fits(r, p) {
        Value::Dec(r)
    } else {
        // Too wide for the precision: the largest small value that fits.
        let units = if p > s { 1 } else { 0 };
        Value::Dec(Decimal {
            units: units * 10i128.pow(s),
            scale: s,
        })
    }
}

/// Sample value `r` (0..=4) of a column: row 0 typical, row 1 edge values
/// (empty string, zero, epoch), row 2 NULL where nullable, rows 3-4 other
/// typical values. Equal names give equal values, so join keys match.
pub fn sample(c: &Column, r: usize) -> Value {
    let ty = spark_type(c);
    if r == 2 && c.nullable && c.key_position == 0 {
        return Value::Null;
    }
    let r = if r == 2 { 4 } else { r };
    match ty.as_str() {
        "string" => {
            if c.sql_type == 10 {
                let t = ["12:30:00", "00:00:00", "", "23:59:59", "06:05:04"][r];
                return Value::Str(t.into());
            }
            let v = if date_like(&c.name) {
                ["2024-03-15", "1970-01-01", "", "1999-12-31", "2000-02-29"][r]
            } else if number_like(&c.name) {
                ["1001", "0", "", "42", "7"][r]
            } else {
                ["Alpha", "", "", "  beta  ", "x|y|z"][r]
            };
            Value::Str(fit_str(v, c.length))
        }
        "int" | "smallint" | "tinyint" | "bigint" => Value::Int([1, 0, 0, 42, 7][r]),
        "double" => Value::Float([1.5, 0.0, 0.0, -2.25, 1000.125][r]),
        "date" => {
            let (y, m, d) = [
                (2024, 3, 15),
                (1970, 1, 1),
                (0, 0, 0),
                (1999, 12, 31),
                (2000, 2, 29),
            ][r];
            Value::Date(datefmt::days_from_civil(y, m, d))
        }
        "timestamp" => {
            let (y, m, d, h) = [
                (2024, 3, 15, 10),
                (1970, 1, 1, 0),
                (0, 0, 0, 0),
                (1999, 12, 31, 23),
                (2000, 2, 29, 12),
            ][r];
            Value::Timestamp(datefmt::days_from_civil(y, m, d) * MICROS_PER_DAY + h * 3_600_000_000)
        }
        "binary" => Value::Null,
        t => {
            let (p, s) = decimal_ps(t).unwrap_or((18, 2));
            fit_decimal(["12.5", "0", "0", "-3.25", "99.99"][r], p, s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conform_follows_spark_casts() {
        assert_eq!(
            conform(&Value::Str(" 12 ".into()), "int"),
            Some(Value::Int(12))
        );
        assert_eq!(
            conform(&Value::Str("1.255".into()), "decimal(5,2)"),
            Some(Value::Dec(Decimal {
                units: 126,
                scale: 2
            }))
        );
        assert_eq!(
            conform(&Value::Int(123456), "decimal(5,2)"),
            Some(Value::Null)
        );
        assert_eq!(conform(&Value::Float(1.5), "string"), None);
        assert_eq!(
            py_value(&Value::Date(datefmt::days_from_civil(2024, 3, 15))),
            "date(2024, 3, 15)"
        );
    }
}
