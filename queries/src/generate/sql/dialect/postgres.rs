//! PostgreSQL (15 and later: MERGE). Loads with psql's client-side `\copy`.

use super::{FileStep, Kind, Merge, Rules, decimal_ps, kind_of, merge_statement, varchar};
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
            let copy = if s.load {
                format!(
                    "\\copy {} ({cols}) FROM '{}' WITH ({})",
                    s.table,
                    s.path,
                    opts.join(", ")
                )
            } else {
                format!(
                    "\\copy (SELECT {cols} FROM {}) TO '{}' WITH ({})",
                    s.table,
                    s.path,
                    opts.join(", ")
                )
            };
            out.push_str(&format!(
                "psql -v ON_ERROR_STOP=1 -c {}\n",
                super::super::shell_quote(&copy)
            ));
        }
        Some((".sh".into(), out))
    }
}

fn pg_lit(s: &str) -> String {
    if s == "\t" {
        "E'\\t'".into()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}
