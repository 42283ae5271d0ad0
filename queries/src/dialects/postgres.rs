//! PostgreSQL (15 and later: MERGE). Loads with psql's client-side `\copy`.

use super::Dialect;
use super::expr::{ExprRules, FieldSplit, ScalarType, base_type_name, parse_with_to_timestamp};
use super::{
    FileStep, Kind, Merge, Rules, decimal_ps, kind_of, merge_statement, render_path, sh_path_word,
    varchar,
};
use crate::escape::sh_double_inner;
use crate::ir::Column;

pub struct Postgres;

impl Rules for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn sqlglot(&self) -> Option<&'static str> {
        Some("postgres")
    }

    fn row_checksum(&self, cols: &[String]) -> String {
        format!(
            "SUM(CAST(hashtext(CONCAT_WS('|', {})) AS BIGINT))",
            cols.join(", ")
        )
    }

    fn key_sequences(&self) -> bool {
        true
    }

    fn next_value(&self, seq: &str) -> String {
        format!("nextval('{}')", seq.to_ascii_lowercase())
    }

    fn run_client(&self) -> &'static str {
        "run_sql() { psql -v ON_ERROR_STOP=1 -q -f \"$1\"; }\nrun_text() { psql -v ON_ERROR_STOP=1 -q -c \"$1\"; }"
    }

    fn column_type(&self, c: &Column) -> String {
        match kind_of(c) {
            Kind::Char | Kind::VarChar => varchar(c, 10_485_760, "TEXT", "VARCHAR"),
            Kind::LongText => "TEXT".into(),
            Kind::Decimal => {
                let (p, s) = decimal_ps(c);
                format!("NUMERIC({p},{s})")
            }
            Kind::TinyInt | Kind::SmallInt => "SMALLINT".into(),
            Kind::Int => "INTEGER".into(),
            Kind::BigInt => "BIGINT".into(),
            Kind::Real => "REAL".into(),
            Kind::Double => "DOUBLE PRECISION".into(),
            Kind::Date => "DATE".into(),
            Kind::Time => "TIME".into(),
            Kind::Timestamp => "TIMESTAMP".into(),
            Kind::Binary => "BYTEA".into(),
        }
    }

    fn merge(&self, m: &Merge) -> String {
        if !m.on_conflict || m.keys.is_empty() {
            return merge_statement(m, &format!("(\n{}{}\n)", m.with, m.select), "");
        }
        let sets: Vec<String> = m
            .columns
            .iter()
            .filter(|c| !m.keys.contains(c))
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect();
        let action = if sets.is_empty() {
            "DO NOTHING".to_string()
        } else {
            format!("DO UPDATE SET {}", sets.join(", "))
        };
        format!(
            "INSERT INTO {} ({})\n{}{}\nON CONFLICT ({}) {action};",
            m.table,
            m.columns.join(", "),
            m.with,
            m.select,
            m.keys.join(", ")
        )
    }

    fn load_script(&self, _job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = String::from(
            "# Connection from the standard PG* variables or ~/.pgpass (never a password here).\n",
        );
        for s in steps {
            let step = if s.load { load(s) } else { unload(self, s) };
            out.push_str(&step);
        }
        Some((".sh".into(), out))
    }
}

/// A step that cannot run as translated: says why and stops the script.
fn stop(s: &FileStep, why: &str) -> String {
    format!(
        "echo {} >&2\nexit 1\n",
        crate::escape::sh_single(&format!(
            "dsmig: {} {}: {why}; write this step by hand",
            if s.load { "load of" } else { "unload of" },
            render_path(&s.path, |t| t.to_string())
        ))
    )
}

/// The path as a double-quoted shell word inside an SQL literal of `\copy`.
fn copy_path(s: &FileStep) -> String {
    format!(
        "'{}'",
        render_path(&s.path, |t| sh_double_inner(&t.replace('\'', "''")))
    )
}

/// A delimited file into its staging table with psql's `\copy ... FROM`.
/// DataStage reads an empty field as an empty string unless the column
/// declares a null field value (IBM, Sequential File stage, Nullable:
/// "Null field value ... On reading, specifies the value given to a field
/// containing a null"): string columns without one are `FORCE_NOT_NULL`
/// (PostgreSQL's CSV format would read the empty field as NULL), the
/// declared value is the `NULL` string. Fixed-width fields, or several
/// different null values in one file, are beyond `\copy`: the step stops.
fn load(s: &FileStep) -> String {
    let Some(fields) = &s.fields else {
        return stop(s, "file layout not translated");
    };
    if fields.iter().any(|f| {
        f.width.is_some() || f.quote.len() > 1 || f.quote != s.quote && !f.quote.is_empty()
    }) {
        return stop(s, "fixed-width or per-field quoted fields");
    }
    let nulls: std::collections::BTreeSet<&str> = fields
        .iter()
        .filter_map(|f| f.null_value.as_deref())
        .collect();
    if nulls.len() > 1 {
        return stop(s, "columns with different null field values");
    }
    let mut opts = vec![
        "FORMAT csv".to_string(),
        format!("DELIMITER {}", pg_lit(&s.sep)),
        format!("HEADER {}", s.header),
        // No quote character: one that does not occur in text.
        format!(
            "QUOTE {}",
            pg_lit(if s.quote.is_empty() {
                "\u{1}"
            } else {
                &s.quote
            })
        ),
    ];
    if let Some(n) = nulls.first() {
        opts.push(format!("NULL {}", pg_lit(n)));
    }
    let keep_empty: Vec<&str> = fields
        .iter()
        .filter(|f| {
            f.null_value.is_none()
                && matches!(
                    kind_of(&f.column),
                    Kind::Char | Kind::VarChar | Kind::LongText
                )
        })
        .map(|f| f.name.as_str())
        .collect();
    if !keep_empty.is_empty() {
        opts.push(format!("FORCE_NOT_NULL ({})", keep_empty.join(", ")));
    }
    let cols = s.columns.join(", ");
    let with = sh_double_inner(&format!(" WITH ({})", opts.join(", ")));
    let copy = format!(
        "{}{}{with}",
        sh_double_inner(&format!("\\copy {} ({cols}) FROM ", s.table)),
        copy_path(s)
    );
    format!("psql -v ON_ERROR_STOP=1 -c \"{copy}\"\n")
}

/// A staging table out to a file laid out as DataStage writes it: each
/// line built in SQL (quotes doubled inside quoted fields, the null field
/// value or nothing for NULL, decimals as `to_char` with zeros, which
/// gives DataStage's leading space or `-` and fixed scale), in the order
/// DataStage writes the rows where it is defined (`ORDER BY`), the header
/// line first. `\copy ... TO STDOUT` with a delimiter and quote that do not
/// occur in text writes each line as it is.
fn unload(rules: &Postgres, s: &FileStep) -> String {
    let Some(fields) = &s.fields else {
        return stop(s, "file layout not translated");
    };
    let mut parts = Vec::new();
    let mut header = String::new();
    for f in fields {
        let c = &f.name;
        let mut text = match kind_of(&f.column) {
            Kind::Decimal => {
                let (p, sc) = decimal_ps(&f.column);
                let mut fmt = "0".repeat((p - sc) as usize);
                if sc > 0 {
                    fmt.push('.');
                    fmt.push_str(&"0".repeat(sc as usize));
                }
                format!("to_char({c}, '{fmt}')")
            }
            _ => format!("CAST({c} AS TEXT)"),
        };
        if !f.quote.is_empty() {
            let q = pg_lit(&f.quote);
            let qq = pg_lit(&f.quote.repeat(2));
            text = format!("{q} || replace({text}, {q}, {qq}) || {q}");
        }
        text = format!(
            "COALESCE({text}, {})",
            pg_lit(f.null_value.as_deref().unwrap_or(""))
        );
        let mut name = f.column.name.clone();
        if let Some(w) = f.width {
            text = format!("rpad({text}, {w}, {})", pg_lit(&s.pad));
            let pad = s.pad.chars().next().unwrap_or(' ');
            name = name.chars().chain(std::iter::repeat(pad)).take(w).collect();
        }
        parts.push(text);
        header.push_str(&name);
        if let Some(d) = &f.delim {
            parts.push(pg_lit(d));
            header.push_str(d);
        }
    }
    if parts.is_empty() {
        parts.push("''".into());
    }
    let order = s.order_by(rules);
    let copy = sh_double_inner(&format!(
        "\\copy (SELECT {} FROM {}{order}) TO STDOUT WITH (FORMAT csv, DELIMITER {}, QUOTE {}, NULL {})",
        parts.join(" || "),
        s.table,
        pg_lit("\u{1}"),
        pg_lit("\u{2}"),
        pg_lit("\u{3}"),
    ));
    let path = sh_path_word(&s.path);
    let mut out = String::new();
    let redirect = if s.header {
        out.push_str(&format!(
            "printf '%s\\n' {} > {path}\n",
            crate::escape::sh_single(&header)
        ));
        ">>"
    } else {
        ">"
    };
    out.push_str(&format!(
        "psql -v ON_ERROR_STOP=1 -c \"{copy}\" {redirect} {path}\n"
    ));
    out
}

/// A literal of psql's `\copy` options, on one line: `E'...'` with
/// escapes where the text holds a control character (a tab delimiter).
fn pg_lit(s: &str) -> String {
    if !s.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::from("E'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl ExprRules for Postgres {
    fn type_name(&self, t: ScalarType) -> String {
        match t {
            ScalarType::String => "TEXT".into(),
            ScalarType::Float => "DOUBLE PRECISION".into(),
            t => base_type_name(t),
        }
    }

    fn regexp_replace(&self, s: &str, pat: &str, rep: &str) -> Option<String> {
        let (pat, rep) = (self.literal(pat), self.literal(rep));
        Some(format!("REGEXP_REPLACE({s}, {pat}, {rep}, 'g')"))
    }

    fn regexp_match(&self, s: &str, pat: &str) -> Option<String> {
        Some(format!("{s} ~ {}", self.literal(pat)))
    }

    fn index(
        &self,
        s: &str,
        sub: &str,
        k: i64,
        lit_re: Result<String, String>,
    ) -> Result<String, String> {
        if k == 1 {
            return Ok(format!("STRPOS({s}, {sub})"));
        }
        Ok(format!(
            "REGEXP_INSTR({s}, {}, 1, {k})",
            self.literal(&lit_re?)
        ))
    }

    /// DataStage compares bytes; the database's collation may not.
    fn binary_collation(&self, x: &str) -> String {
        format!("({x} COLLATE \"C\")")
    }

    fn field_split(&self) -> FieldSplit {
        FieldSplit::SplitPart { arrays: true }
    }

    fn parse_temporal(
        &self,
        s: &str,
        ty: ScalarType,
        _iso: bool,
        f: &str,
        _style: u32,
    ) -> Result<String, String> {
        parse_with_to_timestamp(self, s, ty, f, true)
    }

    fn current_timestamp(&self) -> &'static str {
        "LOCALTIMESTAMP"
    }

    fn current_time(&self) -> &'static str {
        "LOCALTIME"
    }

    fn extract(&self, part: &str, x: &str) -> String {
        format!("CAST(EXTRACT({part} FROM {x}) AS INTEGER)")
    }

    fn seconds(&self, x: &str) -> String {
        format!("CAST(EXTRACT(SECOND FROM {x}) AS DOUBLE PRECISION)")
    }

    fn make_date(&self, y: &str, m: &str, d: &str) -> String {
        format!("MAKE_DATE({y}, {m}, {d})")
    }
}
