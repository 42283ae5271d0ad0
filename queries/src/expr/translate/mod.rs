//! Translators from the AST to PySpark Column code and to SQL.
//!
//! Conventions (what the generated code assumes about its surroundings):
//! - PySpark: `F` is `pyspark.sql.functions`, `Window` is
//!   `pyspark.sql.window.Window`. A column of the Transformer's primary
//!   (stream) input link is `F.col("COL")`; a column of another input link
//!   (a lookup, already joined) is `F.col("link.COL")`, i.e. the joined
//!   DataFrame is aliased by link name. A stage variable is a column of the
//!   same name, added by `withColumn` in evaluation order; a job parameter is
//!   `F.lit(params["NAME"])` with `params` a dict in the script.
//! - SQL: a column is `"link"."COL"` (the input is aliased by link name); a
//!   stage variable is `"NAME"` (computed by an earlier step, e.g. a CTE); a
//!   job parameter is the bind placeholder `:NAME`.
//! - Anything not translatable becomes a named placeholder, never the
//!   DataStage text: `dsmig_stub_<Name>(...)` in PySpark (a UDF stub, see
//!   `pyspark::stub_definition`), `/* DSMIG UNSUPPORTED ... */ CAST(NULL AS
//!   type)` in SQL, each with an [`Issue`] carrying the source position.

pub mod pyspark;
pub mod sql;

use serde::Serialize;

use super::ast::Pos;

/// The SQL dialects live below the translator (`crate::dialects`).
pub use crate::dialects::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IssueKind {
    /// A named placeholder was emitted instead of a translation.
    Unsupported,
    /// Translated, but the result differs from DataStage in a stated case.
    Approximate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub kind: IssueKind,
    /// Function, operator or variable concerned (`Field`, `@INROWNUM`, a
    /// routine name).
    pub function: String,
    pub caveat: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Translation {
    pub code: String,
    pub issues: Vec<Issue>,
}

impl Translation {
    pub fn is_exact(&self) -> bool {
        self.issues.is_empty()
    }
    pub fn has_unsupported(&self) -> bool {
        self.issues.iter().any(|i| i.kind == IssueKind::Unsupported)
    }
}

/// Issue collector shared by the translators; deduplicates identical
/// reports for the same position.
#[derive(Debug, Default)]
pub(crate) struct Issues(pub Vec<Issue>);

impl Issues {
    pub fn push(&mut self, kind: IssueKind, function: &str, caveat: &str, pos: Pos) {
        let issue = Issue {
            kind,
            function: function.to_string(),
            caveat: caveat.to_string(),
            line: pos.line,
            column: pos.column,
        };
        if !self.0.contains(&issue) {
            self.0.push(issue);
        }
    }
}

/// Escape a literal for a Java (Spark) or POSIX (PostgreSQL, Oracle,
/// Teradata) regular expression.
/// How both sides of a comparison are converted before comparing, as
/// DataStage does: the one rule both translators follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Date,
    Timestamp,
    Number,
    Value,
}

pub(crate) fn comparison(a: &super::types::Type, b: &super::types::Type) -> Comparison {
    use super::types::Type;
    if *a == Type::Date || *b == Type::Date {
        Comparison::Date
    } else if *a == Type::Timestamp || *b == Type::Timestamp {
        Comparison::Timestamp
    } else if a.is_numeric() != b.is_numeric() && (a.is_numeric() || b.is_numeric()) {
        Comparison::Number
    } else {
        Comparison::Value
    }
}

pub(crate) fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Value of a sub-expression that reads nothing (no column, variable,
/// parameter, system variable, clock or routine), computed by the
/// reference evaluator: delimiters like `Char(9)`, date formats, options.
pub(crate) fn constant(e: &super::Expr) -> Option<super::eval::Value> {
    use super::ast::ExprKind;
    let mut pure = true;
    e.walk(&mut |n| match &n.kind {
        ExprKind::Column { .. }
        | ExprKind::Name(_)
        | ExprKind::Param(_)
        | ExprKind::SysVar(_)
        | ExprKind::Routine { .. } => pure = false,
        ExprKind::Call { name, .. } if name.starts_with("Current") => pure = false,
        _ => {}
    });
    if !pure {
        return None;
    }
    super::eval::eval(e, &super::eval::Env::new()).ok()
}

pub(crate) fn constant_text(e: &super::Expr) -> Option<String> {
    constant(e).and_then(|v| v.to_text())
}

pub(crate) fn constant_int(e: &super::Expr) -> Option<i64> {
    match constant(e)? {
        super::eval::Value::Int(i) => Some(i),
        _ => None,
    }
}
