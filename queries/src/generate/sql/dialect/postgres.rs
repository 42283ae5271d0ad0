//! PostgreSQL (15 and later: MERGE). Loads with psql's client-side `\copy`.

use super::{
    FileStep, Kind, Merge, Rules, decimal_ps, kind_of, merge_statement, render_path, varchar,
};
use crate::escape::sh_double_inner;
use crate::expr::translate::Dialect;
use crate::ir::Column;

pub struct Postgres;

impl Rules for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
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
            let mut opts = vec![
                "FORMAT csv".to_string(),
                format!("DELIMITER {}", pg_lit(&s.sep)),
                format!("HEADER {}", s.header),
            ];
            if !s.quote.is_empty() {
                opts.push(format!("QUOTE {}", pg_lit(&s.quote)));
            }
            if let Some(n) = &s.null_value {
                opts.push(format!("NULL {}", pg_lit(n)));
            }
            let cols = s.columns.join(", ");
            // One double-quoted shell word: the path's parameters expand
            // (inside the SQL literal of \copy, `'` doubled), nothing else.
            let path = format!(
                "'{}'",
                render_path(&s.path, |t| sh_double_inner(&t.replace('\'', "''")))
            );
            let with = sh_double_inner(&format!(" WITH ({})", opts.join(", ")));
            let copy = if s.load {
                format!(
                    "{}{path}{with}",
                    sh_double_inner(&format!("\\copy {} ({cols}) FROM ", s.table))
                )
            } else {
                format!(
                    "{}{path}{with}",
                    sh_double_inner(&format!("\\copy (SELECT {cols} FROM {}) TO ", s.table))
                )
            };
            out.push_str(&format!("psql -v ON_ERROR_STOP=1 -c \"{copy}\"\n"));
        }
        Some((".sh".into(), out))
    }
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
