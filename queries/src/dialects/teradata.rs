//! Teradata: BTEQ scripts (logon from a file, `.IF ERRORCODE` after each
//! step), MULTISET tables with a PRIMARY INDEX, each link a volatile table.

use super::Dialect;
use super::expr::{ExprRules, ScalarType, parse_with_to_timestamp, repeat_by_rpad};
use super::{
    FileStep, Kind, Rules, Script, decimal_ps, kind_of, one_line_keep_tab, render_path, varchar,
};
use crate::config::SqlConfig;
use crate::ir::Column;

pub struct Teradata;

/// The BTEQ file holding `.LOGON tdpid/user,password;` (kept out of the
/// generated folder and of version control).
pub const LOGON_FILE: &str = "dsmig_logon.btq";

impl Rules for Teradata {
    fn dialect(&self) -> Dialect {
        Dialect::Teradata
    }

    fn sqlglot(&self) -> Option<&'static str> {
        Some("teradata")
    }

    fn row_checksum(&self, cols: &[String]) -> String {
        format!(
            "SUM(CAST(HASHBUCKET(HASHROW({})) AS BIGINT))",
            cols.join(", ")
        )
    }

    fn qualify(&self) -> bool {
        true
    }

    fn run_client(&self) -> &'static str {
        "run_sql() { bteq < \"$1\"; }\nrun_text() { printf '.RUN FILE = dsmig_logon.btq;\\n%s\\n.IF ERRORCODE <> 0 THEN .QUIT 1;\\n.QUIT 0;\\n' \"$1\" | bteq; }"
    }

    fn column_type(&self, c: &Column) -> String {
        let cs = if super::unicode(c) {
            " CHARACTER SET UNICODE"
        } else {
            " CHARACTER SET LATIN"
        };
        match kind_of(c) {
            Kind::Char | Kind::VarChar => {
                format!("{}{cs}", varchar(c, 32_000, "CLOB", "VARCHAR"))
            }
            Kind::LongText => format!("CLOB{cs}"),
            Kind::Decimal => {
                let (p, s) = decimal_ps(c);
                format!("DECIMAL({p},{s})")
            }
            Kind::TinyInt => "BYTEINT".into(),
            Kind::SmallInt => "SMALLINT".into(),
            Kind::Int => "INTEGER".into(),
            Kind::BigInt => "BIGINT".into(),
            Kind::Real | Kind::Double => "FLOAT".into(),
            Kind::Date => "DATE".into(),
            Kind::Time => "TIME(0)".into(),
            Kind::Timestamp => "TIMESTAMP(6)".into(),
            Kind::Binary => varchar(c, 64_000, "BLOB", "VARBYTE"),
        }
    }

    fn cast_type(&self, c: &Column) -> String {
        let t = self.column_type(c);
        match t.find(" CHARACTER SET") {
            Some(i) => t[..i].to_string(),
            None => t,
        }
    }

    fn create_table(
        &self,
        name: &str,
        columns: &[String],
        keys: &[String],
        unique: bool,
        cfg: &SqlConfig,
    ) -> String {
        let kind = if cfg.teradata_table_kind.eq_ignore_ascii_case("SET") {
            "SET"
        } else {
            "MULTISET"
        };
        let index = if keys.is_empty() {
            "NO PRIMARY INDEX".to_string()
        } else {
            format!(
                "{}PRIMARY INDEX ({})",
                if unique { "UNIQUE " } else { "" },
                keys.join(", ")
            )
        };
        format!(
            "CREATE {kind} TABLE {name} (\n    {}\n)\n{index};",
            columns.join(",\n    ")
        )
    }

    fn truncate(&self, table: &str) -> String {
        format!("DELETE FROM {table} ALL;")
    }

    fn volatile_links(&self) -> bool {
        true
    }

    /// Teradata sorts NULLs lowest: first ascending, last descending.
    fn order_key(&self, expr: &str, desc: bool) -> String {
        format!("{expr} {}", if desc { "DESC" } else { "ASC" })
    }

    fn limit(&self, select: &str, n: u64) -> String {
        // The statement starts with `SELECT` and a space or a line break.
        match select
            .strip_prefix("SELECT")
            .filter(|rest| rest.starts_with(char::is_whitespace))
        {
            Some(rest) => format!("SELECT TOP {n}{rest}"),
            None => format!("SELECT TOP {n} * FROM (\n{select}\n) dsmig_top"),
        }
    }

    fn script(&self, s: &Script) -> String {
        let mut out = String::new();
        out.push_str(s.header);
        out.push_str(&format!(
            "\n-- Logon: {LOGON_FILE} holds `.LOGON tdpid/user,password;` (keep it out of\n-- version control, readable by the batch user only).\n.RUN FILE = {LOGON_FILE};\n.SET ERROROUT STDOUT;\n.SET WIDTH 254;\n"
        ));
        for (i, st) in s.steps.iter().enumerate() {
            out.push('\n');
            if !st.title.is_empty() {
                out.push_str(&super::comment_lines(&st.title));
                out.push('\n');
            }
            out.push_str(&st.sql);
            out.push_str(&format!(
                "\n.IF ERRORCODE <> 0 THEN .QUIT {};\n",
                (i + 1).min(255)
            ));
        }
        out.push_str("\n.LOGOFF;\n.QUIT 0;\n");
        out
    }

    fn load_script(&self, job: &str, steps: &[FileStep]) -> Option<(String, String)> {
        let mut out = format!(
            "# BTEQ skeletons (for large files prefer a TPT LOAD / EXPORT job).\n# Logon from {LOGON_FILE}, as in sql/{}.sql.\n",
            crate::escape::line_comment(job)
        );
        // The here-documents are unquoted so that the paths' `${NAME}`
        // expand; every export value in them is one line with `\ $ ``
        // escaped (`sh_heredoc_inner`): none starts a BTEQ command line.
        let h = crate::escape::sh_heredoc_inner;
        let path = |s: &FileStep| render_path(&s.path, h);
        for s in steps {
            let body = if s.load {
                let using: Vec<String> = s
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, _)| format!("f{i} VARCHAR(32000)"))
                    .collect();
                let marks: Vec<String> = (0..s.columns.len()).map(|i| format!(":f{i}")).collect();
                format!(
                    "DELETE FROM {t} ALL;\n.IF ERRORCODE <> 0 THEN .QUIT 1;\n.IMPORT VARTEXT '{sep}' FILE = {path}{skip};\n.REPEAT *\nUSING ({using})\nINSERT INTO {t} ({cols}) VALUES ({marks});\n.IF ERRORCODE <> 0 THEN .QUIT 2;",
                    t = h(&s.table),
                    sep = h(&one_line_keep_tab(&s.sep).replace('\'', "''")),
                    path = path(s),
                    skip = if s.header { ", SKIP = 1" } else { "" },
                    using = using.join(", "),
                    cols = h(&s.columns.join(", ")),
                    marks = marks.join(", ")
                )
            } else {
                format!(
                    ".EXPORT REPORT FILE = {};\nSELECT {} FROM {}{};\n.IF ERRORCODE <> 0 THEN .QUIT 3;\n.EXPORT RESET;",
                    path(s),
                    h(&s.columns.join(&format!(" || {} || ", self.literal(&s.sep)))),
                    h(&s.table),
                    h(&s.order_by(self))
                )
            };
            let body = format!(".RUN FILE = {LOGON_FILE};\n{body}\n.LOGOFF;\n.QUIT 0;\n");
            let delim = crate::escape::heredoc_delimiter("BTEQ", &body);
            out.push_str(&format!("bteq <<{delim} || exit 1\n{body}{delim}\n"));
        }
        Some((".sh".into(), out))
    }
}

impl ExprRules for Teradata {
    fn length(&self, s: &str) -> String {
        format!("CHARACTER_LENGTH({s})")
    }

    fn replace(&self, s: &str, old: &str, new: &str) -> String {
        format!("OREPLACE({s}, {old}, {new})")
    }

    fn regexp_replace(&self, s: &str, pat: &str, rep: &str) -> Option<String> {
        let (pat, rep) = (self.literal(pat), self.literal(rep));
        Some(format!("REGEXP_REPLACE({s}, {pat}, {rep}, 1, 0, 'c')"))
    }

    fn regexp_match(&self, s: &str, pat: &str) -> Option<String> {
        Some(format!(
            "REGEXP_SIMILAR({s}, {}, 'c') = 1",
            self.literal(pat)
        ))
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

    fn translate_chars(&self, s: &str, from: &str, to: &str) -> String {
        format!("OTRANSLATE({s}, {from}, {to})")
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
        "CURRENT_TIMESTAMP(0)"
    }

    fn day_of_year(&self, x: &str) -> String {
        format!("({x} - TRUNC({x}, 'YYYY') + 1)")
    }

    fn day_of_week(&self, x: &str) -> String {
        format!("(TD_DAY_OF_WEEK({x}) - 1)")
    }

    /// Teradata's CAST truncates.
    fn trunc_int(&self, x: &str) -> String {
        format!("CAST({x} AS BIGINT)")
    }

    fn modulo(&self, x: &str, y: &str) -> String {
        format!("({x} MOD {y})")
    }

    fn row_number(&self) -> &'static str {
        "ROW_NUMBER() OVER (ORDER BY 1)"
    }
}
