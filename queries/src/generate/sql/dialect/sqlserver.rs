//! SQL Server: CTEs go before INSERT / MERGE, `OFFSET ... FETCH` needs an
//! ORDER BY, BULK INSERT and bcp for files.

use super::{FileStep, Kind, Merge, Rules, decimal_ps, kind_of, merge_statement, varchar};
use crate::expr::translate::Dialect;
use crate::ir::Column;

pub struct SqlServer;

impl Rules for SqlServer {
    fn dialect(&self) -> Dialect {
        Dialect::SqlServer
    }

    fn column_type(&self, c: &Column) -> String {
        match kind_of(c) {
            Kind::Char | Kind::VarChar if super::unicode(c) => {
                varchar(c, 4000, "NVARCHAR(MAX)", "NVARCHAR")
            }
            Kind::Char | Kind::VarChar => varchar(c, 8000, "VARCHAR(MAX)", "VARCHAR"),
            Kind::LongText if super::unicode(c) => "NVARCHAR(MAX)".into(),
            Kind::LongText => "VARCHAR(MAX)".into(),
            Kind::Decimal => {
                let (p, s) = decimal_ps(c);
                format!("DECIMAL({p},{s})")
            }
            // TINYINT is unsigned in SQL Server; DataStage's is signed.
            Kind::TinyInt | Kind::SmallInt => "SMALLINT".into(),
            Kind::Int => "INT".into(),
            Kind::BigInt => "BIGINT".into(),
            Kind::Real => "REAL".into(),
            Kind::Double => "FLOAT".into(),
            Kind::Date => "DATE".into(),
            Kind::Time => "TIME(0)".into(),
            Kind::Timestamp => "DATETIME2".into(),
            Kind::Binary => varchar(c, 8000, "VARBINARY(MAX)", "VARBINARY"),
        }
    }

    fn insert_select(&self, table: &str, columns: &str, with: &str, select: &str) -> String {
        format!("{with}INSERT INTO {table} ({columns})\n{select};")
    }

    fn merge(&self, m: &Merge) -> String {
        merge_statement(m, &format!("(\n{}\n)", m.select), m.with)
    }

    fn delete_matching(&self, table: &str, with: &str, select: &str, on: &str) -> String {
        format!(
            "{with}DELETE FROM {table}\nWHERE EXISTS (SELECT 1 FROM (\n{select}\n) s WHERE {on});"
        )
    }

    fn limit(&self, select: &str, n: u64) -> String {
        format!("{select}\n    ORDER BY (SELECT NULL) OFFSET 0 ROWS FETCH NEXT {n} ROWS ONLY")
    }

    fn load_script(&self, _job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = String::from(
            "# Connection: sqlcmd / bcp with -E (integrated security) or SQLCMDUSER /\n# SQLCMDPASSWORD from the environment; never a password here.\n",
        );
        for s in &steps.iter().collect::<Vec<_>>() {
            if s.load {
                let mut with = vec![
                    "FORMAT = 'CSV'".to_string(),
                    format!("FIELDTERMINATOR = '{}'", tsql_char(&s.sep)),
                    format!("FIRSTROW = {}", if s.header { 2 } else { 1 }),
                ];
                if !s.quote.is_empty() {
                    with.push(format!("FIELDQUOTE = '{}'", s.quote.replace('\'', "''")));
                }
                let stmt = format!(
                    "TRUNCATE TABLE {0}; BULK INSERT {0} FROM '{1}' WITH ({2})",
                    s.table,
                    s.path,
                    with.join(", ")
                );
                out.push_str(&format!(
                    "sqlcmd -b -Q {} || exit 1\n",
                    super::super::shell_quote(&stmt)
                ));
            } else {
                out.push_str(&format!(
                    "bcp {} queryout \"{}\" -c -t {} || exit 1\n",
                    super::super::shell_quote(&format!(
                        "SELECT {} FROM {}",
                        s.columns.join(", "),
                        s.table
                    )),
                    s.path,
                    super::super::shell_quote(&s.sep)
                ));
            }
        }
        Some((".sh".into(), out))
    }
}

fn tsql_char(s: &str) -> String {
    if s == "\t" {
        "\\t".into()
    } else {
        s.replace('\'', "''")
    }
}
