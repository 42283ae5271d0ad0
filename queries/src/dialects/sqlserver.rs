//! SQL Server: CTEs go before INSERT / MERGE, `OFFSET ... FETCH` needs an
//! ORDER BY, BULK INSERT and bcp for files.

use super::Dialect;
use super::expr::{
    DateFormatStyle, ExprRules, FIRST_ONLY, FieldSplit, ScalarType, Side, any_null, at_least,
    base_type_name, string_lit,
};
use super::{
    FileStep, Kind, Merge, Rules, decimal_ps, kind_of, merge_statement, one_line_keep_tab,
    render_path, sh_path_word, varchar,
};
use crate::escape::{sh_double_inner, sh_single};
use crate::ir::Column;

pub struct SqlServer;

impl Rules for SqlServer {
    fn except_without_all(&self) -> Option<&'static str> {
        Some("EXCEPT")
    }

    fn dialect(&self) -> Dialect {
        Dialect::SqlServer
    }

    fn sqlglot(&self) -> Option<&'static str> {
        Some("tsql")
    }

    fn row_checksum(&self, cols: &[String]) -> String {
        format!("CHECKSUM_AGG(BINARY_CHECKSUM({}))", cols.join(", "))
    }

    /// ROUND with a non-zero third argument truncates.
    fn trunc(&self, code: &str) -> String {
        format!("ROUND({code}, 0, 1)")
    }

    fn stddev_samp(&self, col: &str) -> String {
        format!("STDEV({col})")
    }

    fn var_samp(&self, col: &str) -> String {
        format!("VAR({col})")
    }

    fn run_client(&self) -> &'static str {
        "run_sql() { sqlcmd -b -I -x -i \"$1\"; }\nrun_text() { sqlcmd -b -I -x -Q \"$1\"; }"
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

impl ExprRules for SqlServer {
    fn type_name(&self, t: ScalarType) -> String {
        match t {
            ScalarType::String => "VARCHAR(MAX)".into(),
            ScalarType::Timestamp => "DATETIME2".into(),
            t => base_type_name(t),
        }
    }

    fn literal(&self, s: &str) -> String {
        string_lit(s, "CHAR", " + ")
    }

    fn date_lit(&self, iso: &str) -> String {
        format!("CAST('{iso}' AS DATE)")
    }

    /// `+` depends on CONCAT_NULL_YIELDS_NULL: an explicit NULL test.
    fn concat_all(&self, parts: &[String]) -> String {
        format!(
            "(CASE WHEN {} THEN NULL ELSE CONCAT({}) END)",
            any_null(parts),
            parts.join(", ")
        )
    }

    fn substr(&self, s: &str, start: &str, len: &str) -> String {
        format!("SUBSTRING({s}, {start}, {len})")
    }

    /// LEN ignores trailing blanks: measure with a sentinel.
    fn length(&self, s: &str) -> String {
        format!("(LEN({s} + 'x') - 1)")
    }

    fn regexp_replace(&self, _s: &str, _pat: &str, _rep: &str) -> Option<String> {
        None
    }

    fn regexp_match(&self, _s: &str, _pat: &str) -> Option<String> {
        None
    }

    fn chr(&self, n: &str) -> String {
        format!("CHAR({n})")
    }

    fn blank_set(&self) -> String {
        "' ' + CHAR(9)".into()
    }

    fn repeat(&self, s: &str, n: &str) -> String {
        format!("REPLICATE({s}, {})", at_least(n, 0))
    }

    fn trim_collapse(&self, s: &str) -> Result<String, String> {
        Ok(format!("LTRIM(RTRIM({s}))"))
    }

    fn trim_char(&self, s: &str, cl: &str, side: Side) -> String {
        match side {
            Side::Both => format!("LTRIM(RTRIM({s}, {cl}), {cl})"),
            Side::Leading => format!("LTRIM({s}, {cl})"),
            Side::Trailing => format!("RTRIM({s}, {cl})"),
        }
    }

    fn index(
        &self,
        s: &str,
        sub: &str,
        k: i64,
        _lit_re: Result<String, String>,
    ) -> Result<String, String> {
        if k == 1 {
            Ok(format!("CHARINDEX({sub}, {s})"))
        } else {
            Err(FIRST_ONLY.into())
        }
    }

    fn is_num(&self, s: &str) -> Result<String, String> {
        Ok(format!(
            "(CASE WHEN {s} IS NULL THEN NULL WHEN {s} = '' OR ISNUMERIC({s}) = 1 THEN 1 ELSE 0 END)"
        ))
    }

    fn is_alpha(&self, s: &str) -> Result<String, String> {
        Ok(format!(
            "(CASE WHEN {s} IS NULL THEN NULL WHEN {s} = '' OR {s} LIKE '%[^A-Za-z]%' THEN 0 ELSE 1 END)"
        ))
    }

    fn strip_blanks(&self, s: &str) -> Result<String, String> {
        Ok(format!("REPLACE(REPLACE({s}, ' ', ''), CHAR(9), '')"))
    }

    fn field_split(&self) -> FieldSplit {
        FieldSplit::None
    }

    fn parse_temporal(
        &self,
        s: &str,
        ty: ScalarType,
        iso: bool,
        _f: &str,
        style: u32,
    ) -> Result<String, String> {
        if iso {
            Ok(format!("CONVERT({}, {s}, {style})", self.type_name(ty)))
        } else {
            Err("SQL Server cannot parse this format".into())
        }
    }

    fn date_format_style(&self) -> DateFormatStyle {
        DateFormatStyle::DotNet
    }

    fn format_temporal(&self, x: &str, f: &str) -> String {
        format!("FORMAT({x}, {f})")
    }

    fn current_timestamp(&self) -> &'static str {
        "SYSDATETIME()"
    }

    fn current_date(&self) -> &'static str {
        "CAST(GETDATE() AS DATE)"
    }

    fn current_time(&self) -> &'static str {
        "CAST(GETDATE() AS TIME)"
    }

    fn extract(&self, part: &str, x: &str) -> String {
        format!("DATEPART({}, {x})", part.to_ascii_lowercase())
    }

    fn seconds(&self, x: &str) -> String {
        format!("(DATEPART(second, {x}) + DATEPART(microsecond, {x}) / 1000000.0)")
    }

    fn day_of_year(&self, x: &str) -> String {
        format!("DATEPART(dayofyear, {x})")
    }

    fn day_of_week(&self, x: &str) -> String {
        format!("(DATEPART(weekday, {x}) - 1)")
    }

    fn add_days(&self, date: &str, n: &str) -> String {
        format!("DATEADD(day, {n}, {date})")
    }

    fn days_between(&self, a: &str, b: &str) -> String {
        format!("DATEDIFF(day, {b}, {a})")
    }

    fn make_date(&self, y: &str, m: &str, d: &str) -> String {
        format!("DATEFROMPARTS({y}, {m}, {d})")
    }

    fn seconds_between(&self, x: &str, y: &str) -> String {
        format!("(DATEDIFF_BIG(microsecond, {y}, {x}) / 1000000.0)")
    }

    /// SQL Server's CAST truncates.
    fn trunc_int(&self, x: &str) -> String {
        format!("CAST({x} AS BIGINT)")
    }

    fn modulo(&self, x: &str, y: &str) -> String {
        format!("({x} % {y})")
    }

    fn ln(&self, x: &str) -> String {
        format!("LOG({x})")
    }

    fn ceil(&self, x: &str) -> String {
        format!("CEILING({x})")
    }

    fn string_to_number(&self, x: &str) -> String {
        format!("TRY_CAST({x} AS FLOAT)")
    }

    fn is_valid(&self, trimmed: &str, _re: &str, ty: ScalarType) -> Result<String, String> {
        Ok(format!(
            "(CASE WHEN TRY_CAST({trimmed} AS {}) IS NULL THEN 0 ELSE 1 END)",
            self.type_name(ty)
        ))
    }

    fn row_number(&self) -> &'static str {
        "ROW_NUMBER() OVER (ORDER BY (SELECT NULL))"
    }
}
