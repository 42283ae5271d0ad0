//! Oracle (12c and later): VARCHAR2 / NUMBER types, `FROM DUAL`, no `AS`
//! before table aliases, SQL*Loader control files for file sources.

use super::Dialect;
use super::expr::{ExprRules, ScalarType, any_null, base_type_name, repeat_by_rpad};
use super::{FileStep, Kind, Rules, decimal_ps, kind_of, one_line_keep_tab, render_path, varchar};
use crate::ir::Column;

pub struct Oracle;

impl Rules for Oracle {
    fn except_without_all(&self) -> Option<&'static str> {
        Some("MINUS")
    }

    fn dialect(&self) -> Dialect {
        Dialect::Oracle
    }

    fn sqlglot(&self) -> Option<&'static str> {
        Some("oracle")
    }

    fn row_checksum(&self, cols: &[String]) -> String {
        format!("SUM(ORA_HASH({}))", cols.join(" || '|' || "))
    }

    fn run_client(&self) -> &'static str {
        "run_sql() { printf 'WHENEVER SQLERROR EXIT FAILURE\\nSET DEFINE OFF\\n@%s\\n@%s\\nEXIT\\n' \"${SQLPLUS_CONNECT:?set SQLPLUS_CONNECT}\" \"$1\" | sqlplus -s /nolog; }\nrun_text() { printf 'WHENEVER SQLERROR EXIT FAILURE\\nSET DEFINE OFF\\n@%s\\n%s\\nEXIT\\n' \"${SQLPLUS_CONNECT:?set SQLPLUS_CONNECT}\" \"$1\" | sqlplus -s /nolog; }"
    }

    fn column_type(&self, c: &Column) -> String {
        match kind_of(c) {
            Kind::Char | Kind::VarChar if super::unicode(c) => {
                varchar(c, 2000, "NCLOB", "NVARCHAR2")
            }
            Kind::Char | Kind::VarChar => varchar(c, 4000, "CLOB", "VARCHAR2"),
            Kind::LongText if super::unicode(c) => "NCLOB".into(),
            Kind::LongText => "CLOB".into(),
            Kind::Decimal => {
                let (p, s) = decimal_ps(c);
                format!("NUMBER({p},{s})")
            }
            Kind::TinyInt | Kind::SmallInt => "NUMBER(5)".into(),
            Kind::Int => "NUMBER(10)".into(),
            Kind::BigInt => "NUMBER(19)".into(),
            Kind::Real => "BINARY_FLOAT".into(),
            Kind::Double => "BINARY_DOUBLE".into(),
            Kind::Date => "DATE".into(),
            // Oracle has no time-of-day type: kept as 'HH24:MI:SS' text.
            Kind::Time => "VARCHAR2(15)".into(),
            Kind::Timestamp => "TIMESTAMP(6)".into(),
            Kind::Binary => varchar(c, 2000, "BLOB", "RAW"),
        }
    }

    fn stop(&self, message: &str) -> String {
        format!(
            "SELECT CAST({} AS INTEGER) AS dsmig_stop FROM DUAL;",
            self.literal(message)
        )
    }

    fn dual(&self) -> &'static str {
        " FROM DUAL"
    }

    fn load_script(&self, job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = String::from(
            "# Credentials: sqlldr / sqlplus read them from the wallet or a parameter file\n# (userid=... in a file outside the repository); never on the command line here.\n",
        );
        // The here-documents are unquoted so that the paths' `${NAME}`
        // expand; every export value in them is one line with `\ $ ``
        // escaped (`sh_heredoc_inner`), and the delimiters are hashes.
        let h = crate::escape::sh_heredoc_inner;
        let job = crate::escape::file_stem(job);
        for (i, s) in steps.iter().enumerate() {
            if s.load {
                let ctl = format!(
                    "OPTIONS (SKIP={})\nLOAD DATA\nINFILE '{}'\nTRUNCATE INTO TABLE {}\nFIELDS TERMINATED BY {}{}\nTRAILING NULLCOLS\n({})",
                    u8::from(s.header),
                    render_path(&s.path, |t| h(&t.replace('\'', "''"))),
                    h(&s.table),
                    h(&ctl_char(&s.sep)),
                    if s.quote.is_empty() {
                        String::new()
                    } else {
                        format!(" OPTIONALLY ENCLOSED BY {}", h(&ctl_char(&s.quote)))
                    },
                    h(&s.columns
                        .iter()
                        .map(|c| match &s.null_value {
                            Some(n) if !n.is_empty() => format!("{c} NULLIF {c} = {}", ctl_char(n)),
                            _ => c.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "))
                );
                let delim = crate::escape::heredoc_delimiter("CTL", &ctl);
                out.push_str(&format!(
                    "cat > \"${{TMPDIR:-/tmp}}/{job}_{i}.ctl\" <<{delim}\n{ctl}\n{delim}\nsqlldr parfile=\"${{SQLLDR_PARFILE:?set SQLLDR_PARFILE to a file with userid=...}}\" control=\"${{TMPDIR:-/tmp}}/{job}_{i}.ctl\" || exit 1\n"
                ));
            } else {
                let body = format!(
                    "@${{SQLPLUS_CONNECT:?set SQLPLUS_CONNECT to a script holding CONNECT}}\nWHENEVER SQLERROR EXIT FAILURE\nSET DEFINE OFF\nSET MARKUP CSV ON DELIMITER {} QUOTE {}\nSET HEADING {} FEEDBACK OFF PAGESIZE 0\nSPOOL {}\nSELECT {} FROM {}{};\nSPOOL OFF\n",
                    h(&one_line_keep_tab(&s.sep)),
                    if s.quote.is_empty() { "OFF" } else { "ON" },
                    if s.header { "ON" } else { "OFF" },
                    render_path(&s.path, h),
                    h(&s.columns.join(", ")),
                    h(&s.table),
                    h(&s.order_by(self))
                );
                let delim = crate::escape::heredoc_delimiter("SQL", &body);
                out.push_str(&format!(
                    "sqlplus -s /nolog <<{delim} || exit 1\n{body}{delim}\n"
                ));
            }
        }
        Some((".sh".into(), out))
    }
}

impl ExprRules for Oracle {
    fn type_name(&self, t: ScalarType) -> String {
        match t {
            ScalarType::String => "VARCHAR2(4000)".into(),
            ScalarType::Integer => "NUMBER(19)".into(),
            ScalarType::Decimal { p, s } => format!("NUMBER({p},{s})"),
            t => base_type_name(t),
        }
    }

    fn empty_string_caveat(&self) -> Option<&'static str> {
        Some("Oracle treats '' as NULL")
    }

    /// Oracle's `||` ignores NULL: an explicit NULL test.
    fn concat_all(&self, parts: &[String]) -> String {
        format!(
            "(CASE WHEN {} THEN NULL ELSE {} END)",
            any_null(parts),
            parts.join(" || ")
        )
    }

    fn length(&self, s: &str) -> String {
        format!("LENGTH({s})")
    }

    fn repeat(&self, s: &str, n: &str) -> String {
        repeat_by_rpad(s, n, &self.length(s))
    }

    fn index(
        &self,
        s: &str,
        sub: &str,
        k: i64,
        _lit_re: Result<String, String>,
    ) -> Result<String, String> {
        Ok(format!("INSTR({s}, {sub}, 1, {k})"))
    }

    fn current_timestamp(&self) -> &'static str {
        "LOCALTIMESTAMP"
    }

    fn day_of_year(&self, x: &str) -> String {
        format!("({x} - TRUNC({x}, 'YYYY') + 1)")
    }

    fn day_of_week(&self, x: &str) -> String {
        format!("MOD(MOD({x} - DATE '1970-01-04', 7) + 7, 7)")
    }

    fn days_between(&self, a: &str, b: &str) -> String {
        format!("CAST({a} - {b} AS NUMBER(19))")
    }

    fn seconds_between(&self, x: &str, y: &str) -> String {
        format!("((CAST({x} AS DATE) - CAST({y} AS DATE)) * 86400)")
    }

    fn trunc_int(&self, x: &str) -> String {
        format!("TRUNC({x})")
    }

    fn row_number(&self) -> &'static str {
        "ROW_NUMBER() OVER (ORDER BY NULL)"
    }
}

/// A character of a control file: tab as `X'09'`, otherwise a quoted
/// string on one line.
fn ctl_char(s: &str) -> String {
    if s == "\t" {
        "X'09'".into()
    } else {
        format!("'{}'", one_line_keep_tab(s).replace('\'', "''"))
    }
}
