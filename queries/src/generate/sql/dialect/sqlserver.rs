//! SQL Server: CTEs go before INSERT / MERGE, `OFFSET ... FETCH` needs an
//! ORDER BY, BULK INSERT and bcp for files.

use super::{
    FileStep, Kind, Merge, Rules, decimal_ps, kind_of, merge_statement, one_line_keep_tab,
    render_path, sh_path_word, varchar,
};
use crate::escape::{sh_double_inner, sh_single};
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

    /// SQL Server sorts NULLs lowest (no NULLS FIRST / LAST): first ascending, last descending.
    fn order_key(&self, expr: &str, desc: bool) -> String {
        format!("{expr} {}", if desc { "DESC" } else { "ASC" })
    }

    fn limit(&self, select: &str, n: u64) -> String {
        format!("{select}\n    ORDER BY (SELECT NULL) OFFSET 0 ROWS FETCH NEXT {n} ROWS ONLY")
    }

    fn load_script(&self, _job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = String::from(
            "# Connection: sqlcmd / bcp with -E (integrated security) or SQLCMDUSER /\n# SQLCMDPASSWORD from the environment; never a password here.\n",
        );
        for s in steps {
            if s.load {
                let mut with = vec![
                    "FORMAT = 'CSV'".to_string(),
                    format!("FIELDTERMINATOR = '{}'", tsql_char(&s.sep)),
                    format!("FIRSTROW = {}", if s.header { 2 } else { 1 }),
                ];
                if !s.quote.is_empty() {
                    with.push(format!("FIELDQUOTE = '{}'", tsql_char(&s.quote)));
                }
                // One double-quoted shell word: the path's parameters expand
                // (inside the SQL literal, `'` doubled), nothing else.
                let stmt = format!(
                    "{}'{}'{}",
                    sh_double_inner(&format!(
                        "TRUNCATE TABLE {0}; BULK INSERT {0} FROM ",
                        s.table
                    )),
                    render_path(&s.path, |t| sh_double_inner(&t.replace('\'', "''"))),
                    sh_double_inner(&format!(" WITH ({})", with.join(", ")))
                );
                out.push_str(&format!("sqlcmd -b -I -x -Q \"{stmt}\" || exit 1\n"));
            } else {
                out.push_str(&format!(
                    "bcp {} queryout {} -c -q -t {} || exit 1\n",
                    sh_single(&format!(
                        "SELECT {} FROM {}{}",
                        s.columns.join(", "),
                        s.table,
                        s.order_by(self)
                    )),
                    sh_path_word(&s.path),
                    sh_single(&one_line_keep_tab(&s.sep))
                ));
            }
        }
        Some((".sh".into(), out))
    }
}

/// A delimiter as the text of a T-SQL literal: tab as `\t` (BULK INSERT's
/// spelling), `'` doubled, no line break.
fn tsql_char(s: &str) -> String {
    if s == "\t" {
        "\\t".into()
    } else {
        one_line_keep_tab(s).replace('\'', "''")
    }
}
