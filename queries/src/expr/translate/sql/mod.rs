//! AST → SQL expression: one base emitter; the dialects differ only in the
//! primitives of `dialect.rs` and in a few per-function arms below that
//! match on the dialect. See `translate` for naming conventions.

pub mod dialect;

use super::super::ast::{BinOp, Expr, ExprKind, SubstringForm, UnaryOp};
use super::super::datefmt;
use super::super::functions::{self, Returns, Status, Target};
use super::super::resolve::{ColumnRef, NameRef, Scope};
use super::super::types::Type;
use super::pyspark::flatten_concat;
use super::{Dialect, IssueKind, Issues, Translation, constant_int, constant_text, regex_escape};
use dialect as dl;

/// Translated SQL; `pred` = a boolean condition (not a value in Oracle,
/// SQL Server or Teradata select lists).
struct Code {
    text: String,
    pred: bool,
}

fn v(text: String) -> Code {
    Code { text, pred: false }
}

fn p(text: String) -> Code {
    Code { text, pred: true }
}

/// A delimited identifier, the same in the five dialects (`"..."`, a `"`
/// inside doubled; SQL Server reads it with QUOTED_IDENTIFIER ON, which
/// the generated clients set). On one line: line breaks, controls (NUL)
/// and bidi characters become spaces, so no name can end a comment, start
/// a BTEQ / sqlcmd / SQL*Plus command line or hide text. At most 128
/// characters (the limit of Oracle, SQL Server and Teradata): a longer
/// name is cut and made unique by a hash of the whole. Oracle refuses a
/// `"` in a name at run time (an error, not a way out of the quotes).
pub fn quote_ident(name: &str) -> String {
    let mut flat = crate::escape::one_line_raw(name);
    if flat.chars().count() > 128 {
        let h = blake3::hash(name.as_bytes()).to_hex();
        flat = flat.chars().take(119).collect::<String>() + "_" + &h[..8];
    }
    format!("\"{}\"", flat.replace('"', "\"\""))
}

/// How names that are not columns are spelled in the generated SQL. The
/// default (bind placeholders `:NAME`, stage variables by name) suits a
/// single expression; a generated job script reads parameters from a
/// one-row relation and inlines stage variables.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Parameters and engine macros as `"alias"."NAME"` instead of `:NAME`.
    pub params_alias: Option<String>,
    /// Stage variable → its SQL (already translated), inlined in parentheses.
    pub stage_vars: std::collections::BTreeMap<String, String>,
}

/// SQL for a value (derivation, stage variable).
pub fn to_sql(e: &Expr, scope: &Scope, dialect: Dialect) -> Translation {
    to_sql_with(e, scope, dialect, &Names::default())
}

/// SQL for a condition (constraint: a WHERE clause).
pub fn to_sql_condition(e: &Expr, scope: &Scope, dialect: Dialect) -> Translation {
    to_sql_condition_with(e, scope, dialect, &Names::default())
}

/// [`to_sql`] with the names spelled as `names` says.
pub fn to_sql_with(e: &Expr, scope: &Scope, dialect: Dialect, names: &Names) -> Translation {
    let mut t = Tr::new(scope, dialect, names);
    let code = t.val(e);
    t.finish(code, e)
}

/// [`to_sql_condition`] with the names spelled as `names` says.
pub fn to_sql_condition_with(
    e: &Expr,
    scope: &Scope,
    dialect: Dialect,
    names: &Names,
) -> Translation {
    let mut t = Tr::new(scope, dialect, names);
    let code = t.cond(e);
    t.finish(code, e)
}

struct Tr<'a> {
    scope: &'a Scope,
    d: Dialect,
    issues: Issues,
    names: &'a Names,
}

const BLANKS: &str = "[[:blank:]]+";
const NUMBER_RE: &str = "^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)$";

impl<'a> Tr<'a> {
    fn new(scope: &'a Scope, d: Dialect, names: &'a Names) -> Tr<'a> {
        Tr {
            scope,
            d,
            issues: Issues::default(),
            names,
        }
    }

    fn param(&self, name: &str) -> String {
        match &self.names.params_alias {
            Some(a) => format!("{}.{}", quote_ident(a), quote_ident(name)),
            None => format!(":{name}"),
        }
    }

    fn finish(mut self, code: String, e: &Expr) -> Translation {
        // Oracle stores '' as NULL: any empty-string literal changes meaning.
        if self.d == Dialect::Oracle {
            let mut empty = false;
            e.walk(&mut |n| empty |= matches!(&n.kind, ExprKind::Str(s) if s.is_empty()));
            if empty {
                self.issues.push(
                    IssueKind::Approximate,
                    "\"\"",
                    "Oracle treats '' as NULL",
                    e.pos,
                );
            }
        }
        Translation {
            code,
            issues: self.issues.0,
        }
    }

    fn ty(&self, e: &Expr) -> Type {
        self.scope.type_of(e).ty
    }

    fn val(&mut self, e: &Expr) -> String {
        let c = self.expr(e);
        if c.pred {
            format!("(CASE WHEN {0} THEN 1 WHEN NOT ({0}) THEN 0 END)", c.text)
        } else {
            c.text
        }
    }

    fn cond(&mut self, e: &Expr) -> String {
        let c = self.expr(e);
        if c.pred {
            c.text
        } else {
            format!("({} <> 0)", c.text)
        }
    }

    fn cast(&self, x: &str, t: Type) -> String {
        format!("CAST({x} AS {})", dl::type_name(self.d, t))
    }

    fn text(&mut self, e: &Expr) -> String {
        let t = self.ty(e);
        let c = self.val(e);
        if t.is_string() {
            c
        } else {
            self.cast(&c, Type::STRING)
        }
    }

    fn num(&mut self, e: &Expr) -> String {
        // A constant text converts at generation time, as the engine does
        // ("" is 0 in BASIC; a database cast of '' fails).
        if let ExprKind::Str(s) = &e.kind {
            if s.trim().is_empty() {
                return "0".into();
            }
            if let Ok(i) = s.trim().parse::<i64>() {
                return i.to_string();
            }
        }
        let t = self.ty(e);
        let c = self.val(e);
        if t.is_numeric() {
            c
        } else if t.is_string() {
            // Text that is not a number converts to NULL (as Spark's cast
            // does), not to a failed statement.
            let dec = dl::type_name(self.d, Type::Decimal { p: 38, s: 10 });
            let trimmed = format!("TRIM({c})");
            match dl::regexp_match(self.d, &trimmed, NUMBER_RE) {
                Some(m) => format!("(CASE WHEN {m} THEN CAST({trimmed} AS {dec}) END)"),
                None => format!("TRY_CAST({trimmed} AS {dec})"),
            }
        } else {
            self.cast(&c, Type::Decimal { p: 38, s: 10 })
        }
    }

    fn int(&mut self, e: &Expr) -> String {
        if let Some(i) = constant_int(e) {
            return i.to_string();
        }
        let t = self.ty(e);
        let c = self.val(e);
        // Positions and counts are int32 in DataStage; PostgreSQL has no
        // SUBSTR/REPEAT/CHR/date + n for BIGINT.
        let whole = if t == Type::Integer {
            c
        } else {
            self.trunc_int(&c, t)
        };
        format!("CAST({whole} AS INTEGER)")
    }

    /// Integer part toward zero: PostgreSQL's CAST rounds (2.7 → 3), so it
    /// truncates first; Teradata and SQL Server CAST truncate.
    fn trunc_int(&self, x: &str, t: Type) -> String {
        let x = if t.is_numeric() {
            x.to_string()
        } else {
            self.cast(x, Type::Decimal { p: 38, s: 10 })
        };
        match self.d {
            Dialect::Postgres | Dialect::Ansi => format!("CAST(TRUNC({x}) AS BIGINT)"),
            Dialect::Oracle => format!("TRUNC({x})"),
            Dialect::Teradata | Dialect::SqlServer => format!("CAST({x} AS BIGINT)"),
        }
    }

    fn date(&mut self, e: &Expr) -> String {
        let t = self.ty(e);
        let c = self.val(e);
        if t == Type::Date {
            c
        } else {
            self.cast(&c, Type::Date)
        }
    }

    fn timestamp(&mut self, e: &Expr) -> String {
        let t = self.ty(e);
        let c = self.val(e);
        if t == Type::Timestamp {
            c
        } else {
            self.cast(&c, Type::Timestamp)
        }
    }

    fn placeholder(&mut self, name: &str, reason: &str, ty: Type, e: &Expr) -> Code {
        self.issues
            .push(IssueKind::Unsupported, name, reason, e.pos);
        let note = crate::escape::block_comment(&format!("DSMIG UNSUPPORTED {name}: {reason}"));
        v(format!(
            "/* {note} */ CAST(NULL AS {})",
            dl::type_name(self.d, ty)
        ))
    }

    fn expr(&mut self, e: &Expr) -> Code {
        let d = self.d;
        match &e.kind {
            ExprKind::Str(s) => v(dl::string_lit(self.d, s)),
            ExprKind::Num(n) => v(n.trim_start_matches('+').to_string()),
            ExprKind::Column { link, column } => match self.scope.column_ref(link, column) {
                ColumnRef::LinkVar { var, link } => self.link_var(var, &link, e),
                ColumnRef::SetParam {
                    name,
                    resolved: Some(_),
                } => v(self.param(&name.replace('.', "_"))),
                ColumnRef::SetParam {
                    name,
                    resolved: None,
                } => self.placeholder(
                    &name,
                    "parameter of a parameter set the job does not define: resolve it against the set's definition or a value file",
                    Type::STRING,
                    e,
                ),
                r => {
                    if r == ColumnRef::Unknown {
                        self.issues.push(
                            IssueKind::Approximate,
                            &format!("{link}.{column}"),
                            "column not found on the Transformer's input links",
                            e.pos,
                        );
                    }
                    v(format!("{}.{}", quote_ident(link), quote_ident(column)))
                }
            },
            ExprKind::Name(n) => match self.scope.name(n) {
                NameRef::StageVar(_) => match self.names.stage_vars.get(n) {
                    Some(sql) => v(format!("({sql})")),
                    None => v(quote_ident(n)),
                },
                NameRef::Macro(_) => self.macro_value(n, e),
                NameRef::Param(_) => v(self.param(n)),
                NameRef::Unknown => {
                    self.issues.push(
                        IssueKind::Approximate,
                        n,
                        "unresolved name: assumed to be a column of the same name",
                        e.pos,
                    );
                    v(quote_ident(n))
                }
            },
            ExprKind::Param(n) if n.contains('.') && !self.scope.params.contains_key(n) => self
                .placeholder(
                    n,
                    "parameter of a parameter set the job does not define: resolve it against the set's definition or a value file",
                    Type::STRING,
                    e,
                ),
            ExprKind::Param(n) => v(self.param(&n.replace('.', "_"))),
            ExprKind::SysVar(name) => self.sysvar(name, e),
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => p(format!("(NOT {})", self.cond(operand))),
                UnaryOp::Neg => v(format!("(-{})", self.num(operand))),
                UnaryOp::Plus => v(self.num(operand)),
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e),
            ExprKind::If { .. } => {
                let mut text = String::from("(CASE");
                let mut cur = e;
                while let ExprKind::If { cond, then, els } = &cur.kind {
                    let c = self.cond(cond);
                    let t = self.val(then);
                    text.push_str(&format!(" WHEN {c} THEN {t}"));
                    cur = els;
                }
                let o = self.val(cur);
                v(format!("{text} ELSE {o} END)"))
            }
            ExprKind::Substring { subject, form } => match form {
                SubstringForm::Range { start, len } => {
                    let s = self.text(subject);
                    let (a, l) = (self.int(start), self.int(len));
                    v(dl::substr(
                        d,
                        &s,
                        &dl::at_least(d, &a, 1),
                        &dl::at_least(d, &l, 0),
                    ))
                }
                SubstringForm::Last { count } => {
                    let s = self.text(subject);
                    let n = self.int(count);
                    v(self.right(&s, &n))
                }
                SubstringForm::Field {
                    delim,
                    occurrence,
                    count,
                } => {
                    let args = [
                        (**subject).clone(),
                        (**delim).clone(),
                        (**occurrence).clone(),
                        (**count).clone(),
                    ];
                    self.call("Field", &args, e)
                }
            },
            ExprKind::Call { name, args } => self.call(name, args, e),
            ExprKind::Routine { name, .. } => {
                self.placeholder(name, "user routine: translate by hand", Type::Unknown, e)
            }
        }
    }

    fn right(&self, s: &str, n: &str) -> String {
        let d = self.d;
        let start = dl::at_least(d, &format!("{} - {n} + 1", dl::length(d, s)), 1);
        dl::substr(d, s, &start, &dl::at_least(d, n, 0))
    }

    /// A macro: the job's own names are literals; the others are columns
    /// of the parameter relation (the control table and the session
    /// clock, see `generate::sql`).
    fn macro_value(&mut self, name: &str, e: &Expr) -> Code {
        let Some(def) = functions::variable(functions::VarKind::Macro, name) else {
            return self.placeholder(name, "unknown macro", Type::STRING, e);
        };
        match def.sql {
            Status::Unsupported(why) => return self.placeholder(def.name, why, def.ty, e),
            Status::Approximate(caveat) => {
                self.issues
                    .push(IssueKind::Approximate, def.name, caveat, e.pos)
            }
            Status::Exact => {}
        }
        match def.name {
            "DSJobName" => v(dl::string_lit(self.d, &self.scope.job_name)),
            "DSStageName" => v(dl::string_lit(self.d, &self.scope.stage_name)),
            "DSJobInvocationId" if self.scope.multi_instance => self.placeholder(
                def.name,
                "a multi-instance job's invocation id is not passed to the SQL run",
                Type::STRING,
                e,
            ),
            "DSJobInvocationId" => v(dl::string_lit(self.d, "")),
            other => v(self.param(other)),
        }
    }

    /// `link.NOTFOUND`, `link.REJECTED`... (registry: `functions::VARIABLES`).
    fn link_var(&mut self, def: &functions::VariableDef, link: &str, e: &Expr) -> Code {
        if let Status::Unsupported(why) = def.sql {
            return self.placeholder(&format!("{link}.{}", &def.name[5..]), why, Type::Integer, e);
        }
        match &def.name[5..] {
            "NOTFOUND" => {
                if let Some(r) = self
                    .scope
                    .reference_links
                    .iter()
                    .find(|r| r.eq_ignore_ascii_case(link))
                {
                    // Every reference relation carries a non-NULL
                    // "dsmig_matched" column: NULL after the LEFT JOIN
                    // exactly when no row matched.
                    p(format!("{}.\"dsmig_matched\" IS NULL", quote_ident(r)))
                } else {
                    self.placeholder(
                        &format!("{link}.NOTFOUND"),
                        "NOTFOUND of a link that is not a reference input of this Transformer",
                        Type::Integer,
                        e,
                    )
                }
            }
            "REJECTED" => match super::pyspark::rejected_condition(self.scope, link) {
                Ok(None) => v("0".into()),
                Ok(Some(c)) => {
                    let code = self.cond(&c);
                    p(format!(
                        "NOT (COALESCE(CASE WHEN {code} THEN 1 END, 0) = 1)"
                    ))
                }
                Err(why) => self.placeholder(&format!("{link}.REJECTED"), why, Type::Integer, e),
            },
            _ => self.placeholder(
                &format!("{link}.{}", &def.name[5..]),
                "link variable without a translation",
                Type::Integer,
                e,
            ),
        }
    }

    fn sysvar(&mut self, name: &str, e: &Expr) -> Code {
        let d = self.d;
        let Some(def) = functions::variable(functions::VarKind::System, name) else {
            return self.placeholder(
                &format!("@{name}"),
                "system variable without a SQL equivalent",
                Type::Integer,
                e,
            );
        };
        match def.sql {
            Status::Unsupported(why) => return self.placeholder(def.name, why, def.ty, e),
            Status::Approximate(caveat) => {
                self.issues
                    .push(IssueKind::Approximate, def.name, caveat, e.pos)
            }
            Status::Exact => {}
        }
        let start_date = self.param("DSJobStartDate");
        match name {
            "NULL" => v("NULL".into()),
            "TRUE" => v("1".into()),
            "FALSE" => v("0".into()),
            "FM" => v(dl::chr(d, "254")),
            "VM" => v(dl::chr(d, "253")),
            "SM" => v(dl::chr(d, "252")),
            "TM" => v(dl::chr(d, "251")),
            "NULL.STR" => v(dl::chr(d, "128")),
            // The job's start: the same relation column as DSJobStartDate.
            "DATE" => v(start_date),
            "TIME" => v(self.param("DSJobStartTime")),
            "TIMESTAMP" => v(self.param("DSJobStartTimestamp")),
            "DAY" => v(dl::extract(d, "DAY", &start_date)),
            "MONTH" => v(dl::extract(d, "MONTH", &start_date)),
            "YEAR" => v(dl::extract(d, "YEAR", &start_date)),
            "INROWNUM" | "OUTROWNUM" => v(dl::row_number(d).into()),
            _ => self.placeholder(
                def.name,
                "system variable without a SQL equivalent",
                Type::Integer,
                e,
            ),
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, e: &Expr) -> Code {
        let d = self.d;
        match op {
            BinOp::Concat => {
                let mut parts = Vec::new();
                flatten_concat(e, &mut parts);
                let texts: Vec<String> = parts.iter().map(|x| self.text(x)).collect();
                v(dl::concat(d, &texts))
            }
            BinOp::And | BinOp::Or => {
                let (a, b) = (self.cond(lhs), self.cond(rhs));
                let o = if op == BinOp::And { "AND" } else { "OR" };
                p(format!("({a} {o} {b})"))
            }
            op if op.is_comparison() => {
                let (a, b) = self.comparable(lhs, rhs);
                let o = match op {
                    BinOp::Eq => "=",
                    BinOp::Ne => "<>",
                    BinOp::Lt => "<",
                    BinOp::Gt => ">",
                    BinOp::Le => "<=",
                    _ => ">=",
                };
                p(format!("({a} {o} {b})"))
            }
            BinOp::Div | BinOp::Pow => {
                // `/` is never integer division in DataStage.
                let a = self.num(lhs);
                let a = self.cast(&a, Type::Float);
                let b = self.num(rhs);
                if op == BinOp::Div {
                    v(format!("({a} / {b})"))
                } else {
                    v(format!("POWER({a}, {b})"))
                }
            }
            _ => {
                let (a, b) = (self.num(lhs), self.num(rhs));
                let o = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    _ => "*",
                };
                v(format!("({a} {o} {b})"))
            }
        }
    }

    fn comparable(&mut self, lhs: &Expr, rhs: &Expr) -> (String, String) {
        match crate::expr::translate::comparison(&self.ty(lhs), &self.ty(rhs)) {
            crate::expr::translate::Comparison::Date => (self.date(lhs), self.date(rhs)),
            crate::expr::translate::Comparison::Timestamp => {
                (self.timestamp(lhs), self.timestamp(rhs))
            }
            crate::expr::translate::Comparison::Number => (self.num(lhs), self.num(rhs)),
            crate::expr::translate::Comparison::Value => (self.val(lhs), self.val(rhs)),
        }
    }

    fn result_type(&self, e: &Expr) -> Type {
        match self.scope.type_of(e).ty {
            Type::Unknown => Type::STRING,
            t => t,
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], e: &Expr) -> Code {
        let ty = self.result_type(e);
        let Some(def) = functions::lookup(name) else {
            return self.placeholder(name, "unknown function", ty, e);
        };
        if args.len() < def.min_args || args.len() > def.max_args {
            return self.placeholder(def.name, "wrong number of arguments", ty, e);
        }
        let ty = match def.returns {
            Returns::DecimalArgs => Type::Decimal { p: 38, s: 10 },
            _ => ty,
        };
        match def.status(Target::Sql(self.d)) {
            Status::Unsupported(why) => return self.placeholder(def.name, why, ty, e),
            Status::Approximate(why) => {
                self.issues
                    .push(IssueKind::Approximate, def.name, why, e.pos)
            }
            Status::Exact => {}
        }
        match self.function(def.name, args) {
            Ok(c) => c,
            Err(why) => {
                self.issues.0.retain(|i| {
                    !(i.function == def.name && i.line == e.pos.line && i.column == e.pos.column)
                });
                self.placeholder(def.name, &why, ty, e)
            }
        }
    }

    fn literal_arg(&self, args: &[Expr], i: usize, what: &str) -> Result<String, String> {
        args.get(i)
            .and_then(constant_text)
            .ok_or_else(|| format!("{what} must be a constant to translate"))
    }

    fn format_arg(
        &self,
        args: &[Expr],
        i: usize,
        default: &str,
    ) -> Result<Vec<datefmt::Part>, String> {
        let f = match args.get(i) {
            Some(_) => self.literal_arg(args, i, "the format")?,
            None => default.to_string(),
        };
        datefmt::parse_format(&f)
    }

    fn regexp_replace(&self, s: &str, pat: &str, rep: &str) -> Result<String, String> {
        dl::regexp_replace(self.d, s, pat, rep)
            .ok_or_else(|| "no regular expressions in this dialect".to_string())
    }

    fn matches(&self, s: &str, pat: &str) -> Result<String, String> {
        let m = dl::regexp_match(self.d, s, pat)
            .ok_or_else(|| "no regular expressions in this dialect".to_string())?;
        Ok(format!(
            "(CASE WHEN {s} IS NULL THEN NULL WHEN {m} THEN 1 ELSE 0 END)"
        ))
    }

    fn count(&self, s: &str, sub: &str) -> String {
        let d = self.d;
        let len_sub = dl::length(d, sub);
        format!(
            "(CASE WHEN {len_sub} = 0 THEN 0 ELSE ({} - {}) / {len_sub} END)",
            dl::length(d, s),
            dl::length(d, &dl::replace(d, s, sub, "''"))
        )
    }

    /// One arm per function: the SQL translation of each, using the
    /// dialect primitives; `Err` = not translatable here (placeholder).
    fn function(&mut self, name: &str, a: &[Expr]) -> Result<Code, String> {
        use Dialect::*;
        let d = self.d;
        Ok(match name {
            "Trim" if a.len() == 1 => {
                let s = self.text(&a[0]);
                if d == SqlServer {
                    v(format!("LTRIM(RTRIM({s}))"))
                } else {
                    v(format!("TRIM({})", self.regexp_replace(&s, BLANKS, " ")?))
                }
            }
            "Trim" => {
                let c = self.literal_arg(a, 1, "the Trim character")?;
                let c = c.chars().next().map(String::from).unwrap_or(" ".into());
                let opt = match a.get(2) {
                    Some(_) => self.literal_arg(a, 2, "the Trim option")?,
                    None => "R".into(),
                };
                let s = self.text(&a[0]);
                let cl = dl::string_lit(self.d, &c);
                let ec = format!("({})", regex_escape(&c));
                v(match opt.to_ascii_uppercase().as_str() {
                    "A" => dl::replace(d, &s, &cl, "''"),
                    "B" if d == SqlServer => format!("LTRIM(RTRIM({s}, {cl}), {cl})"),
                    "B" => format!("TRIM(BOTH {cl} FROM {s})"),
                    "L" if d == SqlServer => format!("LTRIM({s}, {cl})"),
                    "L" => format!("TRIM(LEADING {cl} FROM {s})"),
                    "T" if d == SqlServer => format!("RTRIM({s}, {cl})"),
                    "T" => format!("TRIM(TRAILING {cl} FROM {s})"),
                    "R" => format!(
                        "TRIM(BOTH {cl} FROM {})",
                        self.regexp_replace(&s, &format!("{ec}+"), &c)?
                    ),
                    "D" => format!("TRIM({})", self.regexp_replace(&s, BLANKS, " ")?),
                    "F" => format!("LTRIM({s}, {})", dl::blank_set(d)),
                    "E" => format!("RTRIM({s}, {})", dl::blank_set(d)),
                    other => return Err(format!("unknown Trim option {other:?}")),
                })
            }
            "TrimF" | "TrimB" | "TrimLeadingTrailing" => {
                let s = self.text(&a[0]);
                let set = dl::blank_set(d);
                v(match (name, d) {
                    ("TrimF", Ansi) => format!("TRIM(LEADING ' ' FROM {s})"),
                    ("TrimB", Ansi) => format!("TRIM(TRAILING ' ' FROM {s})"),
                    (_, Ansi) => format!("TRIM(BOTH ' ' FROM {s})"),
                    ("TrimF", _) => format!("LTRIM({s}, {set})"),
                    ("TrimB", _) => format!("RTRIM({s}, {set})"),
                    _ => format!("LTRIM(RTRIM({s}, {set}), {set})"),
                })
            }
            "Len" => v(dl::length(d, &self.text(&a[0]))),
            "Left" => {
                let (s, n) = (self.text(&a[0]), self.int(&a[1]));
                v(dl::substr(d, &s, "1", &dl::at_least(d, &n, 0)))
            }
            "Right" => {
                let (s, n) = (self.text(&a[0]), self.int(&a[1]));
                v(self.right(&s, &n))
            }
            "Substrings" => {
                let s = self.text(&a[0]);
                let (st, l) = (self.int(&a[1]), self.int(&a[2]));
                v(dl::substr(
                    d,
                    &s,
                    &dl::at_least(d, &st, 1),
                    &dl::at_least(d, &l, 0),
                ))
            }
            "UpCase" => v(format!("UPPER({})", self.text(&a[0]))),
            "DownCase" => v(format!("LOWER({})", self.text(&a[0]))),
            "Index" => {
                let k = constant_int(&a[2])
                    .ok_or("the occurrence must be a constant")?
                    .max(1);
                let (s, sub) = (self.text(&a[0]), self.text(&a[1]));
                let pos = match (d, k) {
                    (Postgres, 1) => format!("STRPOS({s}, {sub})"),
                    (Postgres, _) => {
                        let lit = self.literal_arg(a, 1, "the substring")?;
                        format!(
                            "REGEXP_INSTR({s}, {}, 1, {k})",
                            dl::string_lit(self.d, &regex_escape(&lit))
                        )
                    }
                    (Teradata | Oracle, _) => format!("INSTR({s}, {sub}, 1, {k})"),
                    (SqlServer, 1) => format!("CHARINDEX({sub}, {s})"),
                    (Ansi, 1) => format!("POSITION({sub} IN {s})"),
                    _ => {
                        return Err("only the first occurrence can be found in this dialect".into());
                    }
                };
                v(format!(
                    "(CASE WHEN {} = 0 THEN 0 ELSE {pos} END)",
                    dl::length(d, &sub)
                ))
            }
            "Count" => {
                let (s, sub) = (self.text(&a[0]), self.text(&a[1]));
                v(self.count(&s, &sub))
            }
            "DCount" => {
                let (s, sub) = (self.text(&a[0]), self.text(&a[1]));
                v(format!(
                    "(CASE WHEN {s} = '' THEN 0 ELSE {} + 1 END)",
                    self.count(&s, &sub)
                ))
            }
            "Field" => self.field(a)?,
            "Convert" => {
                let (from, to, s) = (self.text(&a[0]), self.text(&a[1]), self.text(&a[2]));
                let f = if d == Teradata {
                    "OTRANSLATE"
                } else {
                    "TRANSLATE"
                };
                v(format!("{f}({s}, {from}, {to})"))
            }
            "Ereplace" | "Change" => {
                let (s, old, new) = (self.text(&a[0]), self.text(&a[1]), self.text(&a[2]));
                v(format!(
                    "(CASE WHEN {} = 0 THEN {s} ELSE {} END)",
                    dl::length(d, &old),
                    dl::replace(d, &s, &old, &new)
                ))
            }
            "Str" => {
                let (s, n) = (self.text(&a[0]), self.int(&a[1]));
                v(dl::repeat(d, &s, &n))
            }
            "Space" => {
                let n = self.int(&a[0]);
                v(dl::repeat(d, "' '", &n))
            }
            "Char" => v(dl::chr(d, &self.int(&a[0]))),
            "Seq" => v(format!("ASCII({})", self.text(&a[0]))),
            "PadString" => {
                let (s, c, n) = (self.text(&a[0]), self.text(&a[1]), self.int(&a[2]));
                let first = dl::substr(d, &c, "1", "1");
                v(dl::concat(d, &[s, dl::repeat(d, &first, &n)]))
            }
            "Num" => {
                let s = self.text(&a[0]);
                if d == SqlServer {
                    v(format!(
                        "(CASE WHEN {s} IS NULL THEN NULL WHEN {s} = '' OR ISNUMERIC({s}) = 1 THEN 1 ELSE 0 END)"
                    ))
                } else {
                    v(self.matches(&s, &format!("{NUMBER_RE}|^$"))?)
                }
            }
            "Alpha" => {
                let s = self.text(&a[0]);
                if d == SqlServer {
                    v(format!(
                        "(CASE WHEN {s} IS NULL THEN NULL WHEN {s} = '' OR {s} LIKE '%[^A-Za-z]%' THEN 0 ELSE 1 END)"
                    ))
                } else {
                    v(self.matches(&s, "^[A-Za-z]+$")?)
                }
            }
            "Compare" => {
                let (mut x, mut y) = (self.text(&a[0]), self.text(&a[1]));
                if d == Postgres {
                    x = format!("({x} COLLATE \"C\")");
                    y = format!("({y} COLLATE \"C\")");
                }
                v(format!(
                    "(CASE WHEN {x} < {y} THEN -1 WHEN {x} > {y} THEN 1 WHEN {x} = {y} THEN 0 END)"
                ))
            }
            "CompactWhiteSpace" => {
                let s = self.text(&a[0]);
                v(self.regexp_replace(&s, BLANKS, " ")?)
            }
            "StripWhiteSpace" => {
                let s = self.text(&a[0]);
                if d == SqlServer {
                    v(format!("REPLACE(REPLACE({s}, ' ', ''), CHAR(9), '')"))
                } else {
                    v(self.regexp_replace(&s, BLANKS, "")?)
                }
            }
            "Squote" => {
                let s = self.text(&a[0]);
                v(dl::concat(d, &["''''".into(), s, "''''".into()]))
            }
            "Dquote" => {
                let s = self.text(&a[0]);
                v(dl::concat(d, &["'\"'".into(), s, "'\"'".into()]))
            }
            "IsNull" => p(format!("({} IS NULL)", self.val(&a[0]))),
            "IsNotNull" => p(format!("({} IS NOT NULL)", self.val(&a[0]))),
            "NullToValue" => {
                let t = self.ty(&a[0]);
                let x = self.val(&a[0]);
                let y = if t.is_string() {
                    self.text(&a[1])
                } else {
                    self.val(&a[1])
                };
                v(format!("COALESCE({x}, {y})"))
            }
            "NullToEmpty" => v(format!("COALESCE({}, '')", self.text(&a[0]))),
            "NullToZero" => v(format!("COALESCE({}, 0)", self.num(&a[0]))),
            "SetNull" => v("NULL".into()),
            "StringToDate" | "StringToTimestamp" | "StringToTime" => {
                let (default, ty, style) = match name {
                    "StringToDate" => (datefmt::DEFAULT_DATE, Type::Date, 23),
                    "StringToTimestamp" => (datefmt::DEFAULT_TIMESTAMP, Type::Timestamp, 120),
                    _ => (datefmt::DEFAULT_TIME, Type::Time, 108),
                };
                let parts = self.format_arg(a, 1, default)?;
                let s = self.text(&a[0]);
                let f = dl::string_lit(self.d, &datefmt::to_oracle_style(&parts));
                v(match (d, ty) {
                    (SqlServer, _) if datefmt::is_iso(&parts) => {
                        format!("CONVERT({}, {s}, {style})", dl::type_name(d, ty))
                    }
                    (SqlServer, _) => return Err("SQL Server cannot parse this format".into()),
                    (Ansi, _) if datefmt::is_iso(&parts) => self.cast(&s, ty),
                    (_, Type::Date) => format!("TO_DATE({s}, {f})"),
                    (_, Type::Timestamp) => {
                        self.cast(&format!("TO_TIMESTAMP({s}, {f})"), Type::Timestamp)
                    }
                    (Postgres, _) => self.cast(&format!("TO_TIMESTAMP({s}, {f})"), Type::Time),
                    (Teradata, _) => self.cast(&format!("TO_TIMESTAMP({s}, {f})"), Type::Time),
                    _ => return Err("no TIME parsing in this dialect".into()),
                })
            }
            "DateToString" | "TimestampToString" | "TimeToString" => {
                let (default, x) = match name {
                    "DateToString" => (datefmt::DEFAULT_DATE, self.date(&a[0])),
                    "TimestampToString" => (datefmt::DEFAULT_TIMESTAMP, self.timestamp(&a[0])),
                    _ => (datefmt::DEFAULT_TIME, self.val(&a[0])),
                };
                let parts = self.format_arg(a, 1, default)?;
                if d == SqlServer {
                    let f = datefmt::to_dotnet(&parts)?;
                    v(format!("FORMAT({x}, {})", dl::string_lit(self.d, &f)))
                } else {
                    let f = datefmt::to_oracle_style(&parts);
                    v(format!("TO_CHAR({x}, {})", dl::string_lit(self.d, &f)))
                }
            }
            "CurrentDate" => v(dl::current_date(d).into()),
            "CurrentTimestamp" => v(dl::current_timestamp(d).into()),
            "CurrentTime" => v(match d {
                SqlServer => "CAST(GETDATE() AS TIME)".into(),
                Postgres => "LOCALTIME".into(),
                _ => "CURRENT_TIME".into(),
            }),
            "DaysSinceFromDate" => {
                let (x, y) = (self.date(&a[0]), self.date(&a[1]));
                v(dl::days_between(d, &x, &y))
            }
            "DateFromDaysSince" => {
                let n = self.int(&a[0]);
                let base = match a.get(1) {
                    Some(b) => self.date(b),
                    None => dl::date_lit(d, "1967-12-31"),
                };
                v(dl::add_days(d, &base, &n))
            }
            "DateOffsetByDays" => {
                let (x, n) = (self.date(&a[0]), self.int(&a[1]));
                v(dl::add_days(d, &x, &n))
            }
            "YearFromDate" => v(dl::extract(d, "YEAR", &self.date(&a[0]))),
            "MonthFromDate" => v(dl::extract(d, "MONTH", &self.date(&a[0]))),
            "MonthDayFromDate" => v(dl::extract(d, "DAY", &self.date(&a[0]))),
            "YeardayFromDate" => {
                let x = self.date(&a[0]);
                v(match d {
                    Postgres | Ansi => dl::extract(d, "DOY", &x),
                    SqlServer => format!("DATEPART(dayofyear, {x})"),
                    _ => format!("({x} - TRUNC({x}, 'YYYY') + 1)"),
                })
            }
            "WeekdayFromDate" => {
                let x = self.date(&a[0]);
                v(match d {
                    Postgres | Ansi => dl::extract(d, "DOW", &x),
                    SqlServer => format!("(DATEPART(weekday, {x}) - 1)"),
                    Teradata => format!("(TD_DAY_OF_WEEK({x}) - 1)"),
                    Oracle => format!("MOD(MOD({x} - DATE '1970-01-04', 7) + 7, 7)"),
                })
            }
            "JulianDayFromDate" => {
                let x = self.date(&a[0]);
                let days = dl::days_between(d, &x, &dl::date_lit(d, "1970-01-01"));
                v(format!("({days} + 2440588)"))
            }
            "HoursFromTime" | "MinutesFromTime" | "SecondsFromTime" => {
                let x = self.val(&a[0]);
                let part = match name {
                    "HoursFromTime" => "HOUR",
                    "MinutesFromTime" => "MINUTE",
                    _ => "SECOND",
                };
                v(match (d, part) {
                    (SqlServer, "SECOND") => {
                        format!("(DATEPART(second, {x}) + DATEPART(microsecond, {x}) / 1000000.0)")
                    }
                    (Postgres, "SECOND") => {
                        format!("CAST(EXTRACT(SECOND FROM {x}) AS DOUBLE PRECISION)")
                    }
                    _ => dl::extract(d, part, &x),
                })
            }
            "TimestampToDate" | "TimestampToTime" => {
                let x = self.timestamp(&a[0]);
                let ty = if name == "TimestampToDate" {
                    Type::Date
                } else {
                    Type::Time
                };
                v(self.cast(&x, ty))
            }
            "DateFromComponents" => {
                let (y, m, dd) = (self.int(&a[0]), self.int(&a[1]), self.int(&a[2]));
                v(match d {
                    Postgres => format!("MAKE_DATE({y}, {m}, {dd})"),
                    SqlServer => format!("DATEFROMPARTS({y}, {m}, {dd})"),
                    _ => {
                        let t = |x: &str| self.cast(x, Type::STRING);
                        let text =
                            dl::concat(d, &[t(&y), "'-'".into(), t(&m), "'-'".into(), t(&dd)]);
                        format!("TO_DATE({text}, 'YYYY-MM-DD')")
                    }
                })
            }
            "TimestampFromDateTime" => {
                let (x, t) = (self.date(&a[0]), self.val(&a[1]));
                v(format!("({x} + {t})"))
            }
            "SecondsSinceFromTimestamp" => {
                let (x, y) = (self.timestamp(&a[0]), self.timestamp(&a[1]));
                v(match d {
                    SqlServer => format!("(DATEDIFF_BIG(microsecond, {y}, {x}) / 1000000.0)"),
                    Oracle => format!("((CAST({x} AS DATE) - CAST({y} AS DATE)) * 86400)"),
                    _ => format!("EXTRACT(EPOCH FROM ({x} - {y}))"),
                })
            }
            "Abs" => v(format!("ABS({})", self.num(&a[0]))),
            "Neg" => v(format!("(-{})", self.num(&a[0]))),
            "Mod" => {
                let (x, y) = (self.num(&a[0]), self.num(&a[1]));
                let m = match d {
                    SqlServer => format!("({x} % {y})"),
                    Teradata => format!("({x} MOD {y})"),
                    _ => format!("MOD({x}, {y})"),
                };
                v(format!("(CASE WHEN {y} = 0 THEN NULL ELSE {m} END)"))
            }
            "Int" | "AsInteger" => {
                let t = self.ty(&a[0]);
                let x = self.val(&a[0]);
                v(self.trunc_int(&x, t))
            }
            "Sqrt" => {
                let x = self.num(&a[0]);
                v(format!("(CASE WHEN {x} >= 0 THEN SQRT({x}) END)"))
            }
            "Ln" => {
                let x = self.num(&a[0]);
                let ln = if d == SqlServer { "LOG" } else { "LN" };
                v(format!("(CASE WHEN {x} > 0 THEN {ln}({x}) END)"))
            }
            "Pwr" => {
                let x = self.num(&a[0]);
                let x = self.cast(&x, Type::Float);
                v(format!("POWER({x}, {})", self.num(&a[1])))
            }
            "Exp" => v(format!("EXP({})", self.num(&a[0]))),
            "Ceil" => {
                let f = if d == SqlServer { "CEILING" } else { "CEIL" };
                let x = format!("{f}({})", self.num(&a[0]));
                v(self.cast(&x, Type::Integer))
            }
            "Floor" => {
                let x = format!("FLOOR({})", self.num(&a[0]));
                v(self.cast(&x, Type::Integer))
            }
            "AsFloat" | "AsDouble" | "DecimalToDFloat" | "StringToNumber" => {
                let x = self.val(&a[0]);
                if d == SqlServer && name == "StringToNumber" {
                    v(format!("TRY_CAST({x} AS FLOAT)"))
                } else {
                    v(self.cast(&x, Type::Float))
                }
            }
            "AsString" | "DecimalToString" => v(self.text(&a[0])),
            "StringToDecimal" | "DecimalToDecimal" | "DFloatToDecimal" => {
                let x = self.val(&a[0]);
                v(self.cast(&x, Type::Decimal { p: 38, s: 10 }))
            }
            "IsValid" | "IsValidDate" | "IsValidTimestamp" | "IsValidDecimal" => {
                let (ty, s) = if name == "IsValid" {
                    (
                        self.literal_arg(a, 0, "the type name")?
                            .to_ascii_lowercase(),
                        self.text(&a[1]),
                    )
                } else {
                    (
                        name.trim_start_matches("IsValid").to_ascii_lowercase(),
                        self.text(&a[0]),
                    )
                };
                let trimmed = format!("TRIM({s})");
                let (re, mssql) = match ty.as_str() {
                    "int8" | "int16" | "int32" | "int64" | "integer" => ("^[+-]?[0-9]+$", "BIGINT"),
                    "dfloat" | "sfloat" | "decimal" => (NUMBER_RE, "DECIMAL(38,10)"),
                    "date" => (
                        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
                        "DATE",
                    ),
                    "timestamp" => (
                        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
                        "DATETIME2",
                    ),
                    "time" => ("^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$", "TIME"),
                    "string" | "ustring" => return Ok(v("1".into())),
                    other => return Err(format!("IsValid type {other:?}")),
                };
                if d == SqlServer {
                    v(format!(
                        "(CASE WHEN TRY_CAST({trimmed} AS {mssql}) IS NULL THEN 0 ELSE 1 END)"
                    ))
                } else {
                    let m = dl::regexp_match(d, &trimmed, re).ok_or("no regular expressions")?;
                    v(format!("(CASE WHEN {m} THEN 1 ELSE 0 END)"))
                }
            }
            other => return Err(format!("no SQL translation for {other}")),
        })
    }

    /// Field(s, d, k[, m]): PostgreSQL SPLIT_PART / arrays; Teradata and
    /// Oracle by INSTR positions (never STRTOK, which skips empty fields).
    fn field(&mut self, a: &[Expr]) -> Result<Code, String> {
        let d = self.d;
        let delim = self.literal_arg(a, 1, "the delimiter")?;
        if delim.is_empty() {
            return Err("an empty delimiter".into());
        }
        let s = self.text(&a[0]);
        let dq = dl::string_lit(self.d, &delim);
        let m = match a.get(3) {
            Some(m) => constant_int(m).ok_or("the field count must be a constant")?,
            None => 1,
        };
        if m < 1 {
            return Ok(v(format!("(CASE WHEN {s} IS NULL THEN NULL ELSE '' END)")));
        }
        if d == Dialect::Postgres || d == Dialect::Ansi {
            let k = self.int(&a[2]);
            let k = dl::at_least(d, &k, 1);
            if m == 1 {
                return Ok(v(format!("SPLIT_PART({s}, {dq}, {k})")));
            }
            if d == Dialect::Postgres {
                return Ok(v(format!(
                    "ARRAY_TO_STRING((STRING_TO_ARRAY({s}, {dq}))[{k}:{k} + {}], {dq})",
                    m - 1
                )));
            }
            return Err("several fields at once".into());
        }
        if d == Dialect::SqlServer {
            return Err("no split function with an ordinal".into());
        }
        let k = constant_int(&a[2])
            .ok_or("the occurrence must be a constant")?
            .max(1);
        let len = |x: &str| dl::length(d, x);
        let instr = |n: i64| format!("INSTR({s}, {dq}, 1, {n})");
        let last = k + m - 1;
        // End of the selected fields: before the delimiter after the last
        // one, or the end of the string.
        let end = format!(
            "(CASE WHEN {0} = 0 THEN {1} + 1 ELSE {0} END)",
            instr(last),
            len(&s)
        );
        let code = if k == 1 {
            dl::substr(d, &s, "1", &format!("{end} - 1"))
        } else {
            let start = format!("({} + {})", instr(k - 1), len(&dq));
            format!(
                "(CASE WHEN {} = 0 THEN '' ELSE {} END)",
                instr(k - 1),
                dl::substr(d, &s, &start, &format!("{end} - {start}"))
            )
        };
        Ok(v(code))
    }
}
