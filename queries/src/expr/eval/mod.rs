//! Reference evaluator: DataStage semantics over typed values, used as the
//! oracle of the differential tests.
//!
//! Assumptions (where the documentation is silent or the engines differ):
//! - Comparisons and logical operators yield 1/0, or NULL when an operand
//!   is NULL (SQL three-valued logic); a NULL condition takes the Else
//!   branch, like SQL `CASE` and Spark `when`.
//! - `/` always yields a double (`7 / 2` = 3.5); division by zero is an
//!   evaluation error (the row would go to the reject link).
//! - Two strings compare as strings (parallel engine), a string against a
//!   number is converted to a number, a string against a date to a date.
//! - Numbers convert to text plainly: integers without padding, decimals
//!   with their scale (`3.50`), doubles shortest round-trip (`3.5`). The
//!   parallel engine's zero-padded decimal text is not modelled.
//! - The empty string converts to the number 0 (BASIC); other non-numeric
//!   text in arithmetic is an evaluation error.
//! - Dates are days since 1970-01-01, times microseconds since midnight,
//!   timestamps microseconds since 1970-01-01 00:00:00 (no time zone).

mod builtins;
pub mod decimal;

use std::cmp::Ordering;
use std::collections::BTreeMap;

pub use decimal::Decimal;

use super::ast::{BinOp, Expr, ExprKind, SubstringForm, UnaryOp};
use super::datefmt::{self, DateTime};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Int(i64),
    Dec(Decimal),
    Float(f64),
    /// Days since 1970-01-01.
    Date(i64),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
}

pub const MICROS_PER_DAY: i64 = 86_400_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Everything an expression can read for one row.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// (link, column) → value.
    pub columns: BTreeMap<(String, String), Value>,
    /// Stage variables, job parameters and macros by name.
    pub vars: BTreeMap<String, Value>,
    /// Link variables: (link in lower case, variable in upper case) →
    /// value (`lnkRef.NOTFOUND`, `lnkOut.REJECTED`).
    pub link_vars: BTreeMap<(String, String), Value>,
    pub inrownum: i64,
    pub outrownum: i64,
    pub iteration: i64,
    /// Clock for CurrentDate()/@DATE...: fixed so results are reproducible.
    pub now: DateTime,
}

impl Env {
    pub fn new() -> Env {
        Env {
            inrownum: 1,
            outrownum: 1,
            iteration: 1,
            now: DateTime {
                year: 2024,
                month: 1,
                day: 1,
                ..DateTime::default()
            },
            ..Env::default()
        }
    }

    pub fn with_column(mut self, link: &str, column: &str, v: Value) -> Env {
        self.columns
            .insert((link.to_string(), column.to_string()), v);
        self
    }

    fn column(&self, link: &str, column: &str) -> Option<&Value> {
        self.columns
            .get(&(link.to_string(), column.to_string()))
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|((l, c), _)| {
                        l.eq_ignore_ascii_case(link) && c.eq_ignore_ascii_case(column)
                    })
                    .map(|(_, v)| v)
            })
    }

    /// Set a link variable (`link.NOTFOUND`...).
    pub fn set_link_var(&mut self, link: &str, var: &str, v: Value) {
        self.link_vars
            .insert((link.to_ascii_lowercase(), var.to_ascii_uppercase()), v);
    }

    fn now_timestamp(&self) -> i64 {
        self.now.days() * MICROS_PER_DAY + self.now.seconds_of_day() * 1_000_000
    }
}

/// Numeric view of a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Dec(Decimal),
    Float(f64),
}

impl Num {
    fn to_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Dec(d) => d.to_f64(),
            Num::Float(f) => f,
        }
    }
    fn to_dec(self) -> Option<Decimal> {
        match self {
            Num::Int(i) => Some(Decimal::from_int(i)),
            Num::Dec(d) => Some(d),
            Num::Float(_) => None,
        }
    }
    fn into_value(self) -> Value {
        match self {
            Num::Int(i) => Value::Int(i),
            Num::Dec(d) => Value::Dec(d),
            Num::Float(f) => Value::Float(f),
        }
    }
}

pub(crate) fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn format_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let base = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:06}")
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Text of a value (`None` for NULL), as DataStage converts implicitly.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Value::Null => return None,
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Dec(d) => d.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Date(d) => {
                let (y, m, dd) = datefmt::civil_from_days(*d);
                format!("{y:04}-{m:02}-{dd:02}")
            }
            Value::Time(t) => format_time(*t),
            Value::Timestamp(ts) => {
                let days = ts.div_euclid(MICROS_PER_DAY);
                let (y, m, dd) = datefmt::civil_from_days(days);
                format!(
                    "{y:04}-{m:02}-{dd:02} {}",
                    format_time(ts.rem_euclid(MICROS_PER_DAY))
                )
            }
        })
    }

    pub(crate) fn to_num(&self) -> Result<Option<Num>, String> {
        Ok(Some(match self {
            Value::Null => return Ok(None),
            Value::Int(i) => Num::Int(*i),
            Value::Dec(d) => Num::Dec(*d),
            Value::Float(f) => Num::Float(*f),
            Value::Str(s) => return parse_number(s).map(Some),
            other => return Err(format!("{other:?} is not a number")),
        }))
    }

    /// Days since epoch of a date, timestamp, or `%yyyy-%mm-%dd` text.
    pub(crate) fn to_days(&self) -> Result<Option<i64>, String> {
        Ok(Some(match self {
            Value::Null => return Ok(None),
            Value::Date(d) => *d,
            Value::Timestamp(t) => t.div_euclid(MICROS_PER_DAY),
            Value::Str(s) => {
                let parts = datefmt::parse_format(datefmt::DEFAULT_DATE)?;
                let Some(dt) = datefmt::parse(&parts, s.trim()) else {
                    return Err(format!("{s:?} is not a date"));
                };
                dt.days()
            }
            other => return Err(format!("{other:?} is not a date")),
        }))
    }

    pub(crate) fn to_timestamp(&self) -> Result<Option<i64>, String> {
        Ok(Some(match self {
            Value::Null => return Ok(None),
            Value::Timestamp(t) => *t,
            Value::Date(d) => d * MICROS_PER_DAY,
            Value::Str(s) => {
                let parts = datefmt::parse_format(datefmt::DEFAULT_TIMESTAMP)?;
                let Some(dt) = datefmt::parse(&parts, s.trim()) else {
                    return Err(format!("{s:?} is not a timestamp"));
                };
                dt.days() * MICROS_PER_DAY + dt.seconds_of_day() * 1_000_000
            }
            other => return Err(format!("{other:?} is not a timestamp")),
        }))
    }
}

/// Number from text: integer, decimal or float; "" is 0 (BASIC).
pub(crate) fn parse_number(s: &str) -> Result<Num, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(Num::Int(0));
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Num::Int(i));
    }
    if let Some(d) = Decimal::parse(t) {
        return Ok(Num::Dec(d));
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && !t.chars().any(|c| c.is_alphabetic() && c != 'e' && c != 'E') => {
            Ok(Num::Float(f))
        }
        _ => Err(format!("{s:?} is not a number")),
    }
}

fn bool_value(b: Option<bool>) -> Value {
    match b {
        None => Value::Null,
        Some(true) => Value::Int(1),
        Some(false) => Value::Int(0),
    }
}

/// Truth of a value used as a condition: non-zero number; NULL → None.
fn truth(v: &Value) -> Result<Option<bool>, String> {
    Ok(v.to_num()?.map(|n| n.to_f64() != 0.0))
}

fn arith(op: BinOp, a: Num, b: Num) -> Result<Num, String> {
    use Num::*;
    if op == BinOp::Div {
        let d = b.to_f64();
        if d == 0.0 {
            return Err("division by zero".into());
        }
        return Ok(Float(a.to_f64() / d));
    }
    if op == BinOp::Pow {
        return Ok(Float(a.to_f64().powf(b.to_f64())));
    }
    if let (Int(x), Int(y)) = (a, b) {
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            _ => x.checked_mul(y),
        };
        if let Some(r) = r {
            return Ok(Int(r));
        }
    }
    if let (Some(x), Some(y)) = (a.to_dec(), b.to_dec()) {
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            _ => x.checked_mul(y),
        };
        if let Some(r) = r {
            return Ok(Dec(r));
        }
    }
    let (x, y) = (a.to_f64(), b.to_f64());
    Ok(Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        _ => x * y,
    }))
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        _ => match (a.to_dec(), b.to_dec()) {
            (Some(x), Some(y)) => x.compare(y),
            _ => a.to_f64().partial_cmp(&b.to_f64()),
        },
    }
}

/// Compare following DataStage's implicit conversions; `None` when either
/// side is NULL.
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>, String> {
    use Value::*;
    Ok(match (a, b) {
        (Null, _) | (_, Null) => None,
        (Str(x), Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Date(_), _) | (_, Date(_)) => match (a.to_days()?, b.to_days()?) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => None,
        },
        (Timestamp(_), _) | (_, Timestamp(_)) => match (a.to_timestamp()?, b.to_timestamp()?) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => None,
        },
        (Time(x), Time(y)) => Some(x.cmp(y)),
        _ => match (a.to_num()?, b.to_num()?) {
            (Some(x), Some(y)) => num_cmp(x, y),
            _ => None,
        },
    })
}

pub fn eval(e: &Expr, env: &Env) -> Result<Value, EvalError> {
    eval_inner(e, env).map_err(|message| EvalError {
        message,
        line: e.pos.line,
        column: e.pos.column,
    })
}

fn eval_inner(e: &Expr, env: &Env) -> Result<Value, String> {
    let ev = |x: &Expr| eval(x, env).map_err(|err| err.message);
    Ok(match &e.kind {
        ExprKind::Str(s) => Value::Str(s.clone()),
        ExprKind::Num(n) => parse_number(n)?.into_value(),
        ExprKind::Column { link, column } => env
            .column(link, column)
            .or_else(|| {
                env.link_vars
                    .get(&(link.to_ascii_lowercase(), column.to_ascii_uppercase()))
            })
            // `PS.P`: a parameter of a parameter set, by its full name.
            .or_else(|| env.vars.get(&format!("{link}.{column}")))
            .cloned()
            .ok_or_else(|| format!("no value for column {link}.{column}"))?,
        ExprKind::Name(n) | ExprKind::Param(n) => env
            .vars
            .get(n)
            .cloned()
            .ok_or_else(|| format!("no value for {n}"))?,
        ExprKind::SysVar(v) => sysvar(v, env)?,
        ExprKind::Unary { op, operand } => {
            let v = ev(operand)?;
            match op {
                UnaryOp::Not => bool_value(truth(&v)?.map(|b| !b)),
                UnaryOp::Plus => v.to_num()?.map_or(Value::Null, Num::into_value),
                UnaryOp::Neg => match v.to_num()? {
                    None => Value::Null,
                    Some(n) => arith(BinOp::Sub, Num::Int(0), n)?.into_value(),
                },
            }
        }
        ExprKind::Binary { op, lhs, rhs } => binary(*op, ev(lhs)?, ev(rhs)?)?,
        ExprKind::If { cond, then, els } => {
            if truth(&ev(cond)?)? == Some(true) {
                ev(then)?
            } else {
                ev(els)?
            }
        }
        ExprKind::Substring { subject, form } => {
            let s = ev(subject)?;
            match form {
                SubstringForm::Range { start, len } => {
                    builtins::call("Substrings", vec![s, ev(start)?, ev(len)?], env)?
                }
                SubstringForm::Last { count } => builtins::call("Right", vec![s, ev(count)?], env)?,
                SubstringForm::Field {
                    delim,
                    occurrence,
                    count,
                } => builtins::call(
                    "Field",
                    vec![s, ev(delim)?, ev(occurrence)?, ev(count)?],
                    env,
                )?,
            }
        }
        ExprKind::Call { name, args } => {
            let values = args.iter().map(ev).collect::<Result<Vec<_>, _>>()?;
            builtins::call(name, values, env)?
        }
        ExprKind::Routine { name, .. } => {
            return Err(format!("routine {name} is not available to the evaluator"));
        }
    })
}

fn binary(op: BinOp, a: Value, b: Value) -> Result<Value, String> {
    Ok(match op {
        BinOp::Concat => match (a.to_text(), b.to_text()) {
            (Some(x), Some(y)) => Value::Str(x + &y),
            _ => Value::Null,
        },
        BinOp::And | BinOp::Or => {
            let (x, y) = (truth(&a)?, truth(&b)?);
            bool_value(match (op, x, y) {
                (BinOp::And, Some(false), _) | (BinOp::And, _, Some(false)) => Some(false),
                (BinOp::And, Some(true), Some(true)) => Some(true),
                (BinOp::Or, Some(true), _) | (BinOp::Or, _, Some(true)) => Some(true),
                (BinOp::Or, Some(false), Some(false)) => Some(false),
                _ => None,
            })
        }
        op if op.is_comparison() => bool_value(compare(&a, &b)?.map(|o| match op {
            BinOp::Eq => o == Ordering::Equal,
            BinOp::Ne => o != Ordering::Equal,
            BinOp::Lt => o == Ordering::Less,
            BinOp::Gt => o == Ordering::Greater,
            BinOp::Le => o != Ordering::Greater,
            _ => o != Ordering::Less,
        })),
        _ => match (a.to_num()?, b.to_num()?) {
            (Some(x), Some(y)) => arith(op, x, y)?.into_value(),
            _ => Value::Null,
        },
    })
}

fn sysvar(name: &str, env: &Env) -> Result<Value, String> {
    Ok(match name {
        "NULL" => Value::Null,
        "TRUE" => Value::Int(1),
        "FALSE" => Value::Int(0),
        "INROWNUM" => Value::Int(env.inrownum),
        "OUTROWNUM" => Value::Int(env.outrownum),
        "ITERATION" => Value::Int(env.iteration),
        "PARTITIONNUM" => Value::Int(0),
        "NUMPARTITIONS" => Value::Int(1),
        "DATE" => Value::Date(env.now.days()),
        "DAY" => Value::Int(i64::from(env.now.day)),
        "MONTH" => Value::Int(i64::from(env.now.month)),
        "YEAR" => Value::Int(env.now.year),
        "TIME" => Value::Time(env.now.seconds_of_day() * 1_000_000),
        "TIMESTAMP" => Value::Timestamp(env.now_timestamp()),
        "FM" => Value::Str("\u{FE}".into()),
        "VM" => Value::Str("\u{FD}".into()),
        "SM" => Value::Str("\u{FC}".into()),
        "TM" => Value::Str("\u{FB}".into()),
        "NULL.STR" => Value::Str("\u{80}".into()),
        other => return Err(format!("unknown system variable @{other}")),
    })
}
