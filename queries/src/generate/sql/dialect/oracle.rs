//! Oracle (12c and later): VARCHAR2 / NUMBER types, `FROM DUAL`, no `AS`
//! before table aliases, SQL*Loader control files for file sources.

use super::{FileStep, Kind, Rules, decimal_ps, kind_of, varchar};
use crate::expr::translate::Dialect;
use crate::expr::translate::sql::dialect::string_lit;
use crate::ir::Column;

pub struct Oracle;

impl Rules for Oracle {
    fn dialect(&self) -> Dialect {
        Dialect::Oracle
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
            string_lit(message)
        )
    }

    fn dual(&self) -> &'static str {
        " FROM DUAL"
    }

    fn load_script(&self, job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = String::from(
            "# Credentials: sqlldr / sqlplus read them from the wallet or a parameter file\n# (userid=... in a file outside the repository); never on the command line here.\n",
        );
        for (i, s) in steps.iter().enumerate() {
            if s.load {
                let ctl = format!(
                    "OPTIONS (SKIP={})\nLOAD DATA\nINFILE '{}'\nTRUNCATE INTO TABLE {}\nFIELDS TERMINATED BY {}{}\nTRAILING NULLCOLS\n({})",
                    u8::from(s.header),
                    s.path,
                    s.table,
                    ctl_char(&s.sep),
                    if s.quote.is_empty() {
                        String::new()
                    } else {
                        format!(" OPTIONALLY ENCLOSED BY {}", ctl_char(&s.quote))
                    },
                    s.columns
                        .iter()
                        .map(|c| match &s.null_value {
                            Some(n) if !n.is_empty() => format!("{c} NULLIF {c} = {}", ctl_char(n)),
                            _ => c.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                out.push_str(&format!(
                    "cat > \"${{TMPDIR:-/tmp}}/{job}_{i}.ctl\" <<'CTL'\n{ctl}\nCTL\nsqlldr parfile=\"${{SQLLDR_PARFILE:?set SQLLDR_PARFILE to a file with userid=...}}\" control=\"${{TMPDIR:-/tmp}}/{job}_{i}.ctl\" || exit 1\n"
                ));
            } else {
                out.push_str(&format!(
                    "sqlplus -s /nolog <<SQL || exit 1\n@${{SQLPLUS_CONNECT:?set SQLPLUS_CONNECT to a script holding CONNECT}}\nWHENEVER SQLERROR EXIT FAILURE\nSET MARKUP CSV ON DELIMITER {} QUOTE {}\nSET HEADING {} FEEDBACK OFF PAGESIZE 0\nSPOOL {}\nSELECT {} FROM {};\nSPOOL OFF\nSQL\n",
                    s.sep,
                    if s.quote.is_empty() { "OFF" } else { "ON" },
                    if s.header { "ON" } else { "OFF" },
                    s.path,
                    s.columns.join(", "),
                    s.table
                ));
            }
        }
        Some((".sh".into(), out))
    }
}

fn ctl_char(s: &str) -> String {
    if s == "\t" {
        "X'09'".into()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}
