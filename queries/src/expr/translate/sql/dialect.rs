//! The per-dialect overrides of the base SQL emitter: spellings of the
//! primitives the function translations are built from. Everything else is
//! shared (see `sql/mod.rs`).

use super::super::super::types::Type;
use super::super::Dialect;

/// SQL type name for a cast or a typed NULL.
pub fn type_name(d: Dialect, t: Type) -> String {
    use Dialect::*;
    match (t, d) {
        (Type::String { .. } | Type::Unknown, Postgres) => "TEXT".into(),
        (Type::String { .. } | Type::Unknown, Oracle) => "VARCHAR2(4000)".into(),
        (Type::String { .. } | Type::Unknown, SqlServer) => "VARCHAR(MAX)".into(),
        (Type::String { .. } | Type::Unknown, _) => "VARCHAR(4000)".into(),
        (Type::Integer, Oracle) => "NUMBER(19)".into(),
        (Type::Integer, _) => "BIGINT".into(),
        (Type::Decimal { p, s }, Oracle) => format!("NUMBER({p},{s})"),
        (Type::Decimal { p, s }, _) => format!("DECIMAL({p},{s})"),
        (Type::Float, Postgres | Ansi) => "DOUBLE PRECISION".into(),
        (Type::Float, _) => "FLOAT".into(),
        (Type::Date, _) => "DATE".into(),
        (Type::Time, _) => "TIME".into(),
        (Type::Timestamp, SqlServer) => "DATETIME2".into(),
        (Type::Timestamp, _) => "TIMESTAMP".into(),
    }
}

/// A string literal holding any text, on one line: `'...'` with `'`
/// doubled (backslashes are plain characters in the five dialects:
/// PostgreSQL's `standard_conforming_strings` is on), and each line break
/// or control character written as its character code (`CHR(10)`, SQL
/// Server `CHAR(10)`) concatenated, so that no literal can span lines: a
/// line of BTEQ, sqlcmd or SQL*Plus that starts inside a literal would be
/// read as a command (`.OS`, `:!!`, `/`).
pub fn string_lit(d: Dialect, s: &str) -> String {
    // Tab stays: it ends no line.
    let special = |c: char| ((c as u32) < 0x20 && c != '\t') || c as u32 == 0x7f;
    if !s.chars().any(special) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let (chr, op) = match d {
        Dialect::SqlServer => ("CHAR", " + "),
        _ => ("CHR", " || "),
    };
    let mut parts: Vec<String> = Vec::new();
    let mut text = String::new();
    for c in s.chars() {
        if special(c) {
            if !text.is_empty() {
                parts.push(format!(
                    "'{}'",
                    std::mem::take(&mut text).replace('\'', "''")
                ));
            }
            parts.push(format!("{chr}({})", c as u32));
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        parts.push(format!("'{}'", text.replace('\'', "''")));
    }
    format!("({})", parts.join(op))
}

/// `a || b || ...` with NULL propagation in every dialect: Oracle's `||`
/// ignores NULL and SQL Server's `+` depends on CONCAT_NULL_YIELDS_NULL,
/// so both get an explicit NULL test.
pub fn concat(d: Dialect, parts: &[String]) -> String {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let any_null = || {
        parts
            .iter()
            .map(|p| format!("{p} IS NULL"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    match d {
        Dialect::Oracle => format!(
            "(CASE WHEN {} THEN NULL ELSE {} END)",
            any_null(),
            parts.join(" || ")
        ),
        Dialect::SqlServer => format!(
            "(CASE WHEN {} THEN NULL ELSE CONCAT({}) END)",
            any_null(),
            parts.join(", ")
        ),
        _ => format!("({})", parts.join(" || ")),
    }
}

/// Larger of x and a constant lower bound, NULL when x is NULL. Not
/// GREATEST: PostgreSQL's ignores NULL arguments (GREATEST(NULL, 0) = 0)
/// and SQL Server has it only since 2022.
pub fn at_least(_d: Dialect, x: &str, min: i64) -> String {
    format!("(CASE WHEN {x} < {min} THEN {min} ELSE {x} END)")
}

pub fn substr(d: Dialect, s: &str, start: &str, len: &str) -> String {
    match d {
        Dialect::SqlServer => format!("SUBSTRING({s}, {start}, {len})"),
        Dialect::Ansi => format!("SUBSTRING({s} FROM {start} FOR {len})"),
        _ => format!("SUBSTR({s}, {start}, {len})"),
    }
}

pub fn length(d: Dialect, s: &str) -> String {
    match d {
        Dialect::Postgres | Dialect::Ansi => format!("CHAR_LENGTH({s})"),
        Dialect::Teradata => format!("CHARACTER_LENGTH({s})"),
        Dialect::Oracle => format!("LENGTH({s})"),
        // LEN ignores trailing blanks: measure with a sentinel.
        Dialect::SqlServer => format!("(LEN({s} + 'x') - 1)"),
    }
}

pub fn replace(d: Dialect, s: &str, old: &str, new: &str) -> String {
    match d {
        Dialect::Teradata => format!("OREPLACE({s}, {old}, {new})"),
        _ => format!("REPLACE({s}, {old}, {new})"),
    }
}

/// Global regular-expression replace; `None` where the dialect has none.
pub fn regexp_replace(d: Dialect, s: &str, pat: &str, rep: &str) -> Option<String> {
    let (pat, rep) = (string_lit(d, pat), string_lit(d, rep));
    match d {
        Dialect::Postgres => Some(format!("REGEXP_REPLACE({s}, {pat}, {rep}, 'g')")),
        Dialect::Teradata => Some(format!("REGEXP_REPLACE({s}, {pat}, {rep}, 1, 0, 'c')")),
        Dialect::Oracle | Dialect::Ansi => Some(format!("REGEXP_REPLACE({s}, {pat}, {rep})")),
        Dialect::SqlServer => None,
    }
}

/// Predicate: s matches a POSIX regular expression.
pub fn regexp_match(d: Dialect, s: &str, pat: &str) -> Option<String> {
    let pat = string_lit(d, pat);
    match d {
        Dialect::Postgres => Some(format!("{s} ~ {pat}")),
        Dialect::Teradata => Some(format!("REGEXP_SIMILAR({s}, {pat}, 'c') = 1")),
        Dialect::Oracle | Dialect::Ansi => Some(format!("REGEXP_LIKE({s}, {pat})")),
        Dialect::SqlServer => None,
    }
}

pub fn chr(d: Dialect, n: &str) -> String {
    match d {
        Dialect::SqlServer => format!("CHAR({n})"),
        _ => format!("CHR({n})"),
    }
}

/// Blanks (space and tab) as a character set for LTRIM/RTRIM.
pub fn blank_set(d: Dialect) -> String {
    match d {
        Dialect::SqlServer => "' ' + CHAR(9)".into(),
        _ => "' ' || CHR(9)".into(),
    }
}

/// `s` repeated `n` times (`n <= 0` gives '').
pub fn repeat(d: Dialect, s: &str, n: &str) -> String {
    match d {
        Dialect::Postgres | Dialect::Ansi => format!("REPEAT({s}, {})", at_least(d, n, 0)),
        Dialect::SqlServer => format!("REPLICATE({s}, {})", at_least(d, n, 0)),
        Dialect::Teradata | Dialect::Oracle => format!(
            "(CASE WHEN {n} <= 0 THEN '' ELSE RPAD({s}, {n} * {}, {s}) END)",
            length(d, s)
        ),
    }
}

pub fn current_timestamp(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres | Dialect::Oracle => "LOCALTIMESTAMP",
        Dialect::Teradata => "CURRENT_TIMESTAMP(0)",
        Dialect::SqlServer => "SYSDATETIME()",
        Dialect::Ansi => "CURRENT_TIMESTAMP",
    }
}

pub fn current_date(d: Dialect) -> &'static str {
    match d {
        Dialect::SqlServer => "CAST(GETDATE() AS DATE)",
        _ => "CURRENT_DATE",
    }
}

pub fn date_lit(d: Dialect, iso: &str) -> String {
    match d {
        Dialect::SqlServer => format!("CAST('{iso}' AS DATE)"),
        _ => format!("DATE '{iso}'"),
    }
}

/// A date part as an integer.
pub fn extract(d: Dialect, part: &str, x: &str) -> String {
    match d {
        Dialect::SqlServer => format!("DATEPART({}, {x})", part.to_ascii_lowercase()),
        Dialect::Postgres => format!("CAST(EXTRACT({part} FROM {x}) AS INTEGER)"),
        _ => format!("EXTRACT({part} FROM {x})"),
    }
}

pub fn add_days(d: Dialect, date: &str, n: &str) -> String {
    match d {
        Dialect::SqlServer => format!("DATEADD(day, {n}, {date})"),
        _ => format!("({date} + {n})"),
    }
}

pub fn days_between(d: Dialect, a: &str, b: &str) -> String {
    match d {
        Dialect::SqlServer => format!("DATEDIFF(day, {b}, {a})"),
        Dialect::Oracle => format!("CAST({a} - {b} AS NUMBER(19))"),
        _ => format!("({a} - {b})"),
    }
}

pub fn row_number(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres | Dialect::Ansi => "ROW_NUMBER() OVER ()",
        Dialect::Oracle => "ROW_NUMBER() OVER (ORDER BY NULL)",
        Dialect::SqlServer => "ROW_NUMBER() OVER (ORDER BY (SELECT NULL))",
        Dialect::Teradata => "ROW_NUMBER() OVER (ORDER BY 1)",
    }
}
