//! Everything that differs between the SQL dialects, one file each
//! (sqlglot's model: a small override of one base). The base SQL generator
//! (`generate/sql`) and the base expression translator
//! (`expr/translate/sql`) ask a dialect's [`Rules`] for every type, function
//! spelling, statement form, load / unload tool and checksum that is not
//! the same everywhere; a default method is the base spelling (the one most
//! dialects share), a dialect file overrides only where it differs.
//!
//! This module sits below both: it knows columns (`ir`), settings and the
//! escapers, never the translator or the generator. Nothing outside it
//! matches on [`Dialect`] (the test
//! `tests::no_dialect_match_outside_the_dialect_files`): a caller asks
//! `d.rules()`. Adding a dialect = a variant, its names in [`Dialect::parse`]
//! / [`Dialect::as_str`], one file implementing `Rules` and `ExprRules`, one
//! arm in [`Dialect::rules`], and the functions it translates only
//! approximately (or not) in the registry's status table
//! (`expr/functions.rs`).

mod ansi;
mod expr;
mod files;
mod oracle;
mod postgres;
mod sqlserver;
mod teradata;

pub use expr::{
    BLANKS, DateFormatStyle, FieldSplit, NUMBER_RE, ScalarType, Side, at_least, quote_ident,
};
pub use files::{
    FileField, FileStep, PathPart, is_shell_name, one_line_keep_tab, render_path, sh_path_word,
    shell_path,
};

use crate::config::SqlConfig;
use crate::ir::Column;
use serde::Serialize;

/// A SQL dialect dsmig generates for. Only an identifier: what it means is
/// its [`Rules`] ([`Dialect::rules`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub enum Dialect {
    Teradata,
    /// The default of `[sql] dialect` when the name is not known.
    #[default]
    Postgres,
    Oracle,
    SqlServer,
    Ansi,
}

impl Dialect {
    /// Every dialect, in the order of the docs and the output snapshot.
    pub const ALL: [Dialect; 5] = [
        Dialect::Teradata,
        Dialect::Postgres,
        Dialect::Oracle,
        Dialect::SqlServer,
        Dialect::Ansi,
    ];

    /// The dialect's rules: everything dialect-specific.
    pub fn rules(self) -> &'static dyn Rules {
        match self {
            Dialect::Teradata => &teradata::Teradata,
            Dialect::Postgres => &postgres::Postgres,
            Dialect::Oracle => &oracle::Oracle,
            Dialect::SqlServer => &sqlserver::SqlServer,
            Dialect::Ansi => &ansi::Ansi,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Teradata => "teradata",
            Dialect::Postgres => "postgres",
            Dialect::Oracle => "oracle",
            Dialect::SqlServer => "sqlserver",
            Dialect::Ansi => "ansi",
        }
    }

    /// A dialect name as `--dialect` and `[sql] dialect` spell it.
    pub fn parse(s: &str) -> Option<Dialect> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "teradata" | "td" | "bteq" => Dialect::Teradata,
            "postgres" | "postgresql" | "pg" => Dialect::Postgres,
            "oracle" | "ora" => Dialect::Oracle,
            "sqlserver" | "mssql" | "tsql" | "sql-server" => Dialect::SqlServer,
            "ansi" | "generic" => Dialect::Ansi,
            _ => return None,
        })
    }

    /// Name of the dialect in sqlglot (`None` = its generic dialect).
    pub fn sqlglot(self) -> Option<&'static str> {
        self.rules().sqlglot()
    }
}

/// A column's SQL type in a dialect, from its DataStage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Char,
    VarChar,
    LongText,
    Decimal,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Real,
    Double,
    Date,
    Time,
    Timestamp,
    Binary,
}

pub fn kind_of(c: &Column) -> Kind {
    match c.sql_type {
        1 | -8 => Kind::Char,
        12 | -9 => Kind::VarChar,
        -1 | -10 => Kind::LongText,
        2 | 3 => Kind::Decimal,
        -6 => Kind::TinyInt,
        5 => Kind::SmallInt,
        4 | -7 => Kind::Int,
        -5 => Kind::BigInt,
        7 => Kind::Real,
        6 | 8 => Kind::Double,
        9 => Kind::Date,
        10 => Kind::Time,
        11 => Kind::Timestamp,
        -4..=-2 => Kind::Binary,
        _ => Kind::VarChar,
    }
}

/// Whether the column holds Unicode text (NChar / NVarChar, or Extended).
pub fn unicode(c: &Column) -> bool {
    matches!(c.sql_type, -10..=-8) || (c.extended && c.sql_type != 10 && c.sql_type != 11)
}

/// Precision and scale of a decimal column (DataStage 0 = unbounded).
pub fn decimal_ps(c: &Column) -> (u32, u32) {
    let p = if c.length == 0 { 38 } else { c.length.min(38) };
    (p, c.scale.min(p))
}

/// Per-dialect syntax of the generated scripts. Every method has the base
/// spelling as its default; the expression spellings are the supertrait
/// [`expr::ExprRules`].
pub trait Rules: expr::ExprRules + Sync {
    fn dialect(&self) -> Dialect;

    /// Name of the dialect in sqlglot (`None` = its generic dialect).
    fn sqlglot(&self) -> Option<&'static str>;

    /// Type of a column in DDL.
    fn column_type(&self, c: &Column) -> String;

    /// Type of a column in a CAST (Teradata: without CHARACTER SET).
    fn cast_type(&self, c: &Column) -> String {
        self.column_type(c)
    }

    /// `CREATE TABLE` of a table the job writes or stages into. `keys`
    /// are unique when `unique` (a primary key); Teradata also indexes
    /// non-unique keys.
    fn create_table(
        &self,
        name: &str,
        columns: &[String],
        keys: &[String],
        unique: bool,
        _cfg: &SqlConfig,
    ) -> String {
        let mut body = columns.join(",\n    ");
        if unique && !keys.is_empty() {
            body.push_str(&format!(",\n    PRIMARY KEY ({})", keys.join(", ")));
        }
        format!("CREATE TABLE {name} (\n    {body}\n);")
    }

    /// Empty a table before a full reload.
    fn truncate(&self, table: &str) -> String {
        format!("TRUNCATE TABLE {table};")
    }

    /// `INSERT ... SELECT` with the CTE chain `with` (may be empty).
    fn insert_select(&self, table: &str, columns: &str, with: &str, select: &str) -> String {
        format!("INSERT INTO {table} ({columns})\n{with}{select};")
    }

    /// Upsert (insert, or update the matching row) from `source` (a
    /// parenthesised query or a relation name) on the key columns.
    fn merge(&self, m: &Merge) -> String {
        merge_statement(m, &format!("(\n{}{}\n)", m.with, m.select), "")
    }

    /// Delete the rows of `table` matching `on` (`s` is the link's rows).
    fn delete_matching(&self, table: &str, with: &str, select: &str, on: &str) -> String {
        format!(
            "DELETE FROM {table}\nWHERE EXISTS (SELECT 1 FROM (\n{with}{select}\n) s WHERE {on});"
        )
    }

    /// A query that fails at run time with `message` in the error. Used
    /// to stop a script where the job cannot run as generated.
    fn stop(&self, message: &str) -> String {
        format!(
            "SELECT CAST({} AS INTEGER) AS dsmig_stop;",
            self.literal(message)
        )
    }

    /// `FROM` clause of a one-row query (Oracle: `FROM DUAL`).
    fn dual(&self) -> &'static str {
        ""
    }

    /// Teradata materialises each link in a volatile table instead of a CTE.
    fn volatile_links(&self) -> bool {
        false
    }

    /// The first `n` rows of a query (Head stage).
    fn limit(&self, select: &str, n: u64) -> String {
        format!("{select}\n    FETCH FIRST {n} ROWS ONLY")
    }

    /// One `ORDER BY` key in DataStage's order: ascending puts NULLs
    /// first, descending last (as the Sort stage's translation does).
    /// PostgreSQL and Oracle sort NULLs high, so they are placed explicitly.
    fn order_key(&self, expr: &str, desc: bool) -> String {
        if desc {
            format!("{expr} DESC NULLS LAST")
        } else {
            format!("{expr} ASC NULLS FIRST")
        }
    }

    /// The script around the job's statements: logon, error handling.
    fn script(&self, s: &Script) -> String {
        default_script(s)
    }

    /// Comment lines above every statement: one `-- ` line per line of
    /// `text`, each escaped (no CR, NUL or other line break inside).
    fn comment(&self, text: &str) -> String {
        comment_lines(text)
    }

    /// Load (files → staging table) and unload (table → file) steps, as
    /// the dialect's own tool script: (file name suffix, text).
    fn load_script(&self, job: &str, steps: &[FileStep]) -> Option<(String, String)>;

    /// GRANT SELECT on a created table.
    fn grant(&self, table: &str, role: &str) -> String {
        format!("GRANT SELECT ON {table} TO {role};")
    }

    /// Order-independent checksum of a table's rows from its columns as
    /// text (`cols`, NULL already replaced), for reconciliation.
    fn row_checksum(&self, cols: &[String]) -> String {
        // No hash function is standard: total text length per column.
        format!(
            "SUM({})",
            cols.iter()
                .map(|c| format!("CHARACTER_LENGTH({c})"))
                .collect::<Vec<_>>()
                .join(" + ")
        )
    }

    /// A number truncated toward zero, keeping its type.
    fn trunc(&self, code: &str) -> String {
        format!("TRUNC({code})")
    }

    /// Sample standard deviation (Aggregator).
    fn stddev_samp(&self, col: &str) -> String {
        format!("STDDEV_SAMP({col})")
    }

    /// Sample variance (Aggregator).
    fn var_samp(&self, col: &str) -> String {
        format!("VAR_SAMP({col})")
    }

    /// The set operator for "rows of a that b lacks" when the dialect has
    /// no `EXCEPT ALL` (Oracle `MINUS`, SQL Server `EXCEPT`): the
    /// reconciliation numbers each row's copies so the plain operator keeps
    /// multiset semantics. `None` = `EXCEPT ALL` exists.
    fn except_without_all(&self) -> Option<&'static str> {
        None
    }

    /// Whether a window result can filter rows directly (`QUALIFY`).
    fn qualify(&self) -> bool {
        false
    }

    /// Whether surrogate keys come from a database sequence that keeps
    /// counting across runs (as DataStage's key state does).
    fn key_sequences(&self) -> bool {
        false
    }

    /// The next value of sequence `seq` (where [`Rules::key_sequences`]).
    fn next_value(&self, seq: &str) -> String {
        format!("NEXT VALUE FOR {seq}")
    }

    /// The shell functions `run_sql FILE` and `run_text STATEMENT` of a
    /// sequence's run script: the dialect's command-line client.
    fn run_client(&self) -> &'static str;
}

/// An upsert: rows of `with` + `select` merged into `table` on `keys`.
#[derive(Clone, Copy)]
pub struct Merge<'a> {
    pub table: &'a str,
    /// The CTE chain (`WITH ... ` or empty) and the query of the rows.
    pub with: &'a str,
    pub select: &'a str,
    pub columns: &'a [String],
    pub keys: &'a [String],
    /// Insert rows without a match too (upsert) or only update.
    pub insert: bool,
    /// PostgreSQL: `INSERT ... ON CONFLICT` instead of MERGE (`[sql]
    /// postgres_upsert = "on_conflict"`; needs a unique key on `keys`).
    pub on_conflict: bool,
}

pub fn merge_statement(m: &Merge, source: &str, prefix: &str) -> String {
    let on = m
        .keys
        .iter()
        .map(|k| format!("t.{k} = s.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let sets: Vec<String> = m
        .columns
        .iter()
        .filter(|c| !m.keys.contains(c))
        .map(|c| format!("{c} = s.{c}"))
        .collect();
    let mut text = format!(
        "{prefix}MERGE INTO {} t\nUSING {source} s\nON ({on})",
        m.table
    );
    if !sets.is_empty() {
        text.push_str(&format!(
            "\nWHEN MATCHED THEN UPDATE SET {}",
            sets.join(", ")
        ));
    }
    if m.insert {
        text.push_str(&format!(
            "\nWHEN NOT MATCHED THEN INSERT ({}) VALUES ({})",
            m.columns.join(", "),
            m.columns
                .iter()
                .map(|c| format!("s.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text.push(';');
    text
}

/// One step of a job script: a statement and what it does.
pub struct Step {
    pub title: String,
    pub sql: String,
}

pub struct Script<'a> {
    pub job: &'a str,
    pub header: &'a str,
    pub steps: &'a [Step],
}

fn default_script(s: &Script) -> String {
    let mut out = String::new();
    out.push_str(s.header);
    for st in s.steps {
        out.push('\n');
        if !st.title.is_empty() {
            out.push_str(&comment_lines(&st.title));
            out.push('\n');
        }
        out.push_str(&st.sql);
        out.push('\n');
    }
    out
}

/// `-- ` comment lines of any text: one per line of it, each on one line
/// (`escape::line_comment`).
pub fn comment_lines(text: &str) -> String {
    text.lines()
        .map(|l| format!("-- {}", crate::escape::line_comment(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `VARCHAR(n)` with the dialect's longest bounded length and its
/// unbounded type.
pub fn varchar(c: &Column, max: u32, unbounded: &str, name: &str) -> String {
    if c.length == 0 || c.length > max {
        unbounded.to_string()
    } else {
        format!("{name}({})", c.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_hold_one_line_each() {
        let c = comment_lines("a\rDROP TABLE t;\nb\u{2028}c");
        assert_eq!(c, "-- a DROP TABLE t;\n-- b c");
    }

    #[test]
    fn literals_stay_on_one_line() {
        let r = Dialect::Postgres.rules();
        assert_eq!(r.literal("it's"), "'it''s'");
        assert_eq!(r.literal("a\\b"), "'a\\b'");
        assert_eq!(r.literal("a\tb"), "'a\tb'");
        assert_eq!(r.literal("a\n.OS x"), "('a' || CHR(10) || '.OS x')");
        assert_eq!(
            Dialect::SqlServer.rules().literal("\r\n"),
            "(CHAR(13) + CHAR(10))"
        );
    }

    /// Files outside `src/dialects/` that may name a dialect variant, and
    /// why. Test modules (from `#[cfg(test)] mod` to the end of a file) are
    /// not scanned: a test picks the dialect it checks.
    const NAMED_ELSEWHERE: &[(&str, &str)] = &[(
        "queries/src/expr/functions.rs",
        "the function registry's status table is keyed by dialect (data, not a match)",
    )];

    /// No code outside the dialect files matches on a dialect: every
    /// difference is a method of its `Rules`. A source scan of both crates
    /// for `Dialect::<variant>` and for imports of the variants (which
    /// would let a match name them bare).
    #[test]
    fn no_dialect_match_outside_the_dialect_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        let variants: Vec<String> = Dialect::ALL.iter().map(|d| format!("{d:?}")).collect();
        let mut found = Vec::new();
        for dir in ["queries/src", "src"] {
            for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
                let entry = entry.expect("walk the sources");
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let rel = path
                    .strip_prefix(&root)
                    .expect("under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel.starts_with("queries/src/dialects/")
                    || NAMED_ELSEWHERE.iter().any(|(f, _)| *f == rel)
                {
                    continue;
                }
                let text = std::fs::read_to_string(path).expect("read a source file");
                let lines: Vec<&str> = text.lines().collect();
                for (i, line) in lines.iter().enumerate() {
                    let test_module = line.trim_start().starts_with("#[cfg(test)]")
                        && lines
                            .get(i + 1)
                            .is_some_and(|next| next.trim_start().starts_with("mod "));
                    if test_module {
                        break;
                    }
                    let code = line.split("//").next().unwrap_or_default();
                    let names_variant = code.match_indices("Dialect::").any(|(at, m)| {
                        let rest = &code[at + m.len()..];
                        let ident: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        variants.contains(&ident) || rest.starts_with('{') || rest.starts_with('*')
                    });
                    if names_variant {
                        found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            found.is_empty(),
            "dialect variants named outside src/dialects/ (ask the dialect's Rules instead):\n{}",
            found.join("\n")
        );
    }
}
