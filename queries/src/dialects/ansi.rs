//! Generic ANSI SQL: the base spellings, except SUBSTRING ... FROM ... FOR,
//! TRIM of spaces only and plain casts of ISO dates; no load tool is
//! standard.

use super::Dialect;
use super::expr::{
    ExprRules, FieldSplit, ScalarType, Side, base_type_name, parse_with_to_timestamp,
};
use super::{FileStep, Kind, Rules, decimal_ps, kind_of, render_path, varchar};
use crate::ir::Column;

pub struct Ansi;

impl Rules for Ansi {
    fn dialect(&self) -> Dialect {
        Dialect::Ansi
    }

    fn sqlglot(&self) -> Option<&'static str> {
        None
    }

    fn run_client(&self) -> &'static str {
        "run_sql() { \"${DSMIG_SQL_CLIENT:?set DSMIG_SQL_CLIENT to a command that runs a SQL file}\" \"$1\"; }\nrun_text() { printf '%s\\n' \"$1\" > \"${TMPDIR:-/tmp}/dsmig_stmt.sql\" && run_sql \"${TMPDIR:-/tmp}/dsmig_stmt.sql\"; }"
    }

    fn column_type(&self, c: &Column) -> String {
        // NATIONAL types are SQL-92 but rarely parsed by tools: Unicode is
        // the database's character set in practice.
        let n = "";
        match kind_of(c) {
            Kind::Char | Kind::VarChar => {
                varchar(c, 32_000, &format!("{n}CLOB"), &format!("{n}VARCHAR"))
            }
            Kind::LongText => format!("{n}CLOB"),
            Kind::Decimal => {
                let (p, s) = decimal_ps(c);
                format!("DECIMAL({p},{s})")
            }
            Kind::TinyInt | Kind::SmallInt => "SMALLINT".into(),
            Kind::Int => "INTEGER".into(),
            Kind::BigInt => "BIGINT".into(),
            Kind::Real => "REAL".into(),
            Kind::Double => "DOUBLE PRECISION".into(),
            Kind::Date => "DATE".into(),
            Kind::Time => "TIME".into(),
            Kind::Timestamp => "TIMESTAMP".into(),
            Kind::Binary => "BLOB".into(),
        }
    }

    fn load_script(&self, _job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = String::from(
            "# ANSI SQL has no standard bulk load: use your database's loader for each\n# file below, then remove the exit line.\n",
        );
        for s in steps {
            out.push_str(&format!(
                "# {}\n",
                crate::escape::line_comment(&format!(
                    "{} {} {} {}: delimiter '{}', quote '{}', header {}, columns {}",
                    if s.load { "load" } else { "unload" },
                    render_path(&s.path, |t| t.to_string()),
                    if s.load { "into" } else { "from" },
                    s.table,
                    s.sep_name(),
                    s.quote,
                    s.header,
                    s.columns.join(", ")
                ))
            ));
        }
        out.push_str("echo 'dsmig: the file steps of this job need a loader (see the comments)' >&2\nexit 1\n");
        Some((".sh".into(), out))
    }
}

impl ExprRules for Ansi {
    fn type_name(&self, t: ScalarType) -> String {
        match t {
            ScalarType::Float => "DOUBLE PRECISION".into(),
            t => base_type_name(t),
        }
    }

    fn substr(&self, s: &str, start: &str, len: &str) -> String {
        format!("SUBSTRING({s} FROM {start} FOR {len})")
    }

    /// ANSI TRIM removes one character: spaces only, not tabs.
    fn trim_blanks(&self, s: &str, side: Side) -> String {
        let side = match side {
            Side::Both => "BOTH",
            Side::Leading => "LEADING",
            Side::Trailing => "TRAILING",
        };
        format!("TRIM({side} ' ' FROM {s})")
    }

    fn field_split(&self) -> FieldSplit {
        FieldSplit::SplitPart { arrays: false }
    }

    fn parse_temporal(
        &self,
        s: &str,
        ty: ScalarType,
        iso: bool,
        f: &str,
        _style: u32,
    ) -> Result<String, String> {
        if iso {
            Ok(self.cast(s, ty))
        } else {
            parse_with_to_timestamp(self, s, ty, f, false)
        }
    }
}
