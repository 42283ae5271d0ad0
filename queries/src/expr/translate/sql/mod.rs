//! AST → SQL expression: one base emitter; whatever differs between the
//! dialects is asked of the dialect's rules (`crate::dialects`, the
//! `ExprRules` half: types, literals, function spellings). See `translate`
//! for naming conventions.

use super::super::ast::{BinOp, Expr, ExprKind, SubstringForm, UnaryOp};
use super::super::datefmt;
use super::super::functions::{self, Returns, Status, Target};
use super::super::resolve::{ColumnRef, NameRef, Scope};
use super::super::types::Type;
use super::pyspark::flatten_concat;
use super::{Dialect, IssueKind, Issues, Translation, constant_int, constant_text, regex_escape};
pub use crate::dialects::quote_ident;
use crate::dialects::{
    BLANKS, DateFormatStyle, FieldSplit, NUMBER_RE, Rules, ScalarType, Side, at_least,
};

/// The dialects' type of a value of expression type `t`.
pub fn scalar_type(t: Type) -> ScalarType {
    match t {
        Type::String { .. } | Type::Unknown => ScalarType::String,
        Type::Integer => ScalarType::Integer,
        Type::Decimal { p, s } => ScalarType::Decimal { p, s },
        Type::Float => ScalarType::Float,
        Type::Date => ScalarType::Date,
        Type::Time => ScalarType::Time,
        Type::Timestamp => ScalarType::Timestamp,
    }
}

/// SQL type name of expression type `t` in a dialect.
pub fn type_name(r: &dyn Rules, t: Type) -> String {
    r.type_name(scalar_type(t))
}

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
    r: &'static dyn Rules,
    issues: Issues,
    names: &'a Names,
}

impl<'a> Tr<'a> {
    fn new(scope: &'a Scope, d: Dialect, names: &'a Names) -> Tr<'a> {
        Tr {
            scope,
            d,
            r: d.rules(),
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
        // A dialect that stores '' as NULL (Oracle): any empty-string
        // literal changes meaning.
        if let Some(caveat) = self.r.empty_string_caveat() {
            let mut empty = false;
            e.walk(&mut |n| empty |= matches!(&n.kind, ExprKind::Str(s) if s.is_empty()));
            if empty {
                self.issues
                    .push(IssueKind::Approximate, "\"\"", caveat, e.pos);
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
        self.r.cast(x, scalar_type(t))
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
            let dec = type_name(self.r, Type::Decimal { p: 38, s: 10 });
            let trimmed = format!("TRIM({c})");
            match self.r.regexp_match(&trimmed, NUMBER_RE) {
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
        self.r.trunc_int(&x)
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
            type_name(self.r, ty)
        ))
    }

    fn expr(&mut self, e: &Expr) -> Code {
        let r = self.r;
        match &e.kind {
            ExprKind::Str(s) => v(self.r.literal(s)),
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
                    v(r.substr(&s,
                        &at_least(&a, 1),
                        &at_least(&l, 0),
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
        let r = self.r;
        let start = at_least(&format!("{} - {n} + 1", r.length(s)), 1);
        r.substr(s, &start, &at_least(n, 0))
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
            "DSJobName" => v(self.r.literal(&self.scope.job_name)),
            "DSStageName" => v(self.r.literal(&self.scope.stage_name)),
            "DSJobInvocationId" if self.scope.multi_instance => self.placeholder(
                def.name,
                "a multi-instance job's invocation id is not passed to the SQL run",
                Type::STRING,
                e,
            ),
            "DSJobInvocationId" => v(self.r.literal("")),
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
        let r = self.r;
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
            "FM" => v(r.chr("254")),
            "VM" => v(r.chr("253")),
            "SM" => v(r.chr("252")),
            "TM" => v(r.chr("251")),
            "NULL.STR" => v(r.chr("128")),
            // The job's start: the same relation column as DSJobStartDate.
            "DATE" => v(start_date),
            "TIME" => v(self.param("DSJobStartTime")),
            "TIMESTAMP" => v(self.param("DSJobStartTimestamp")),
            "DAY" => v(r.extract("DAY", &start_date)),
            "MONTH" => v(r.extract("MONTH", &start_date)),
            "YEAR" => v(r.extract("YEAR", &start_date)),
            "INROWNUM" | "OUTROWNUM" => v(r.row_number().into()),
            _ => self.placeholder(
                def.name,
                "system variable without a SQL equivalent",
                Type::Integer,
                e,
            ),
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, e: &Expr) -> Code {
        let r = self.r;
        match op {
            BinOp::Concat => {
                let mut parts = Vec::new();
                flatten_concat(e, &mut parts);
                let texts: Vec<String> = parts.iter().map(|x| self.text(x)).collect();
                v(r.concat(&texts))
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
        self.r.replace_re(s, pat, rep)
    }

    fn count(&self, s: &str, sub: &str) -> String {
        let r = self.r;
        let len_sub = r.length(sub);
        format!(
            "(CASE WHEN {len_sub} = 0 THEN 0 ELSE ({} - {}) / {len_sub} END)",
            r.length(s),
            r.length(&r.replace(s, sub, "''"))
        )
    }

    /// One arm per function: the SQL translation of each, using the
    /// dialect primitives; `Err` = not translatable here (placeholder).
    fn function(&mut self, name: &str, a: &[Expr]) -> Result<Code, String> {
        let r = self.r;
        Ok(match name {
            "Trim" if a.len() == 1 => {
                let s = self.text(&a[0]);
                v(r.trim_collapse(&s)?)
            }
            "Trim" => {
                let c = self.literal_arg(a, 1, "the Trim character")?;
                let c = c.chars().next().map(String::from).unwrap_or(" ".into());
                let opt = match a.get(2) {
                    Some(_) => self.literal_arg(a, 2, "the Trim option")?,
                    None => "R".into(),
                };
                let s = self.text(&a[0]);
                let cl = self.r.literal(&c);
                let ec = format!("({})", regex_escape(&c));
                v(match opt.to_ascii_uppercase().as_str() {
                    "A" => r.replace(&s, &cl, "''"),
                    "B" => r.trim_char(&s, &cl, Side::Both),
                    "L" => r.trim_char(&s, &cl, Side::Leading),
                    "T" => r.trim_char(&s, &cl, Side::Trailing),
                    "R" => format!(
                        "TRIM(BOTH {cl} FROM {})",
                        self.regexp_replace(&s, &format!("{ec}+"), &c)?
                    ),
                    "D" => format!("TRIM({})", self.regexp_replace(&s, BLANKS, " ")?),
                    "F" => format!("LTRIM({s}, {})", r.blank_set()),
                    "E" => format!("RTRIM({s}, {})", r.blank_set()),
                    other => return Err(format!("unknown Trim option {other:?}")),
                })
            }
            "TrimF" | "TrimB" | "TrimLeadingTrailing" => {
                let s = self.text(&a[0]);
                let side = match name {
                    "TrimF" => Side::Leading,
                    "TrimB" => Side::Trailing,
                    _ => Side::Both,
                };
                v(r.trim_blanks(&s, side))
            }
            "Len" => v(r.length(&self.text(&a[0]))),
            "Left" => {
                let (s, n) = (self.text(&a[0]), self.int(&a[1]));
                v(r.substr(&s, "1", &at_least(&n, 0)))
            }
            "Right" => {
                let (s, n) = (self.text(&a[0]), self.int(&a[1]));
                v(self.right(&s, &n))
            }
            "Substrings" => {
                let s = self.text(&a[0]);
                let (st, l) = (self.int(&a[1]), self.int(&a[2]));
                v(r.substr(&s, &at_least(&st, 1), &at_least(&l, 0)))
            }
            "UpCase" => v(format!("UPPER({})", self.text(&a[0]))),
            "DownCase" => v(format!("LOWER({})", self.text(&a[0]))),
            "Index" => {
                let k = constant_int(&a[2])
                    .ok_or("the occurrence must be a constant")?
                    .max(1);
                let (s, sub) = (self.text(&a[0]), self.text(&a[1]));
                // The substring as a regular expression, where the dialect
                // finds a later occurrence by one (only when asked: it must
                // be a constant).
                let lit_re = if k > 1 {
                    self.literal_arg(a, 1, "the substring")
                        .map(|lit| regex_escape(&lit))
                } else {
                    Err(String::new())
                };
                let pos = r.index(&s, &sub, k, lit_re)?;
                v(format!(
                    "(CASE WHEN {} = 0 THEN 0 ELSE {pos} END)",
                    r.length(&sub)
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
                v(r.translate_chars(&s, &from, &to))
            }
            "Ereplace" | "Change" => {
                let (s, old, new) = (self.text(&a[0]), self.text(&a[1]), self.text(&a[2]));
                v(format!(
                    "(CASE WHEN {} = 0 THEN {s} ELSE {} END)",
                    r.length(&old),
                    r.replace(&s, &old, &new)
                ))
            }
            "Str" => {
                let (s, n) = (self.text(&a[0]), self.int(&a[1]));
                v(r.repeat(&s, &n))
            }
            "Space" => {
                let n = self.int(&a[0]);
                v(r.repeat("' '", &n))
            }
            "Char" => v(r.chr(&self.int(&a[0]))),
            "Seq" => v(format!("ASCII({})", self.text(&a[0]))),
            "PadString" => {
                let (s, c, n) = (self.text(&a[0]), self.text(&a[1]), self.int(&a[2]));
                let first = r.substr(&c, "1", "1");
                v(r.concat(&[s, r.repeat(&first, &n)]))
            }
            "Num" => {
                let s = self.text(&a[0]);
                v(r.is_num(&s)?)
            }
            "Alpha" => {
                let s = self.text(&a[0]);
                v(r.is_alpha(&s)?)
            }
            "Compare" => {
                let (x, y) = (self.text(&a[0]), self.text(&a[1]));
                let (x, y) = (r.binary_collation(&x), r.binary_collation(&y));
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
                v(r.strip_blanks(&s)?)
            }
            "Squote" => {
                let s = self.text(&a[0]);
                v(r.concat(&["''''".into(), s, "''''".into()]))
            }
            "Dquote" => {
                let s = self.text(&a[0]);
                v(r.concat(&["'\"'".into(), s, "'\"'".into()]))
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
                let f = self.r.literal(&datefmt::to_oracle_style(&parts));
                v(r.parse_temporal(&s, scalar_type(ty), datefmt::is_iso(&parts), &f, style)?)
            }
            "DateToString" | "TimestampToString" | "TimeToString" => {
                let (default, x) = match name {
                    "DateToString" => (datefmt::DEFAULT_DATE, self.date(&a[0])),
                    "TimestampToString" => (datefmt::DEFAULT_TIMESTAMP, self.timestamp(&a[0])),
                    _ => (datefmt::DEFAULT_TIME, self.val(&a[0])),
                };
                let parts = self.format_arg(a, 1, default)?;
                let f = match r.date_format_style() {
                    DateFormatStyle::DotNet => datefmt::to_dotnet(&parts)?,
                    DateFormatStyle::Oracle => datefmt::to_oracle_style(&parts),
                };
                v(r.format_temporal(&x, &r.literal(&f)))
            }
            "CurrentDate" => v(r.current_date().into()),
            "CurrentTimestamp" => v(r.current_timestamp().into()),
            "CurrentTime" => v(r.current_time().into()),
            "DaysSinceFromDate" => {
                let (x, y) = (self.date(&a[0]), self.date(&a[1]));
                v(r.days_between(&x, &y))
            }
            "DateFromDaysSince" => {
                let n = self.int(&a[0]);
                let base = match a.get(1) {
                    Some(b) => self.date(b),
                    None => r.date_lit("1967-12-31"),
                };
                v(r.add_days(&base, &n))
            }
            "DateOffsetByDays" => {
                let (x, n) = (self.date(&a[0]), self.int(&a[1]));
                v(r.add_days(&x, &n))
            }
            "YearFromDate" => v(r.extract("YEAR", &self.date(&a[0]))),
            "MonthFromDate" => v(r.extract("MONTH", &self.date(&a[0]))),
            "MonthDayFromDate" => v(r.extract("DAY", &self.date(&a[0]))),
            "YeardayFromDate" => v(r.day_of_year(&self.date(&a[0]))),
            "WeekdayFromDate" => v(r.day_of_week(&self.date(&a[0]))),
            "JulianDayFromDate" => {
                let x = self.date(&a[0]);
                let days = r.days_between(&x, &r.date_lit("1970-01-01"));
                v(format!("({days} + 2440588)"))
            }
            "HoursFromTime" | "MinutesFromTime" | "SecondsFromTime" => {
                let x = self.val(&a[0]);
                let part = match name {
                    "HoursFromTime" => "HOUR",
                    "MinutesFromTime" => "MINUTE",
                    _ => "SECOND",
                };
                v(if part == "SECOND" {
                    r.seconds(&x)
                } else {
                    r.extract(part, &x)
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
                v(r.make_date(&y, &m, &dd))
            }
            "TimestampFromDateTime" => {
                let (x, t) = (self.date(&a[0]), self.val(&a[1]));
                v(format!("({x} + {t})"))
            }
            "SecondsSinceFromTimestamp" => {
                let (x, y) = (self.timestamp(&a[0]), self.timestamp(&a[1]));
                v(r.seconds_between(&x, &y))
            }
            "Abs" => v(format!("ABS({})", self.num(&a[0]))),
            "Neg" => v(format!("(-{})", self.num(&a[0]))),
            "Mod" => {
                let (x, y) = (self.num(&a[0]), self.num(&a[1]));
                let m = r.modulo(&x, &y);
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
                v(format!("(CASE WHEN {x} > 0 THEN {} END)", r.ln(&x)))
            }
            "Pwr" => {
                let x = self.num(&a[0]);
                let x = self.cast(&x, Type::Float);
                v(format!("POWER({x}, {})", self.num(&a[1])))
            }
            "Exp" => v(format!("EXP({})", self.num(&a[0]))),
            "Ceil" => {
                let x = r.ceil(&self.num(&a[0]));
                v(self.cast(&x, Type::Integer))
            }
            "Floor" => {
                let x = format!("FLOOR({})", self.num(&a[0]));
                v(self.cast(&x, Type::Integer))
            }
            "AsFloat" | "AsDouble" | "DecimalToDFloat" | "StringToNumber" => {
                let x = self.val(&a[0]);
                if name == "StringToNumber" {
                    v(r.string_to_number(&x))
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
                // The text form of each type as a pattern, and the type a
                // dialect may try a conversion to instead.
                let (re, target) = match ty.as_str() {
                    "int8" | "int16" | "int32" | "int64" | "integer" => {
                        ("^[+-]?[0-9]+$", ScalarType::Integer)
                    }
                    "dfloat" | "sfloat" | "decimal" => {
                        (NUMBER_RE, ScalarType::Decimal { p: 38, s: 10 })
                    }
                    "date" => (
                        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
                        ScalarType::Date,
                    ),
                    "timestamp" => (
                        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
                        ScalarType::Timestamp,
                    ),
                    "time" => (
                        "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
                        ScalarType::Time,
                    ),
                    "string" | "ustring" => return Ok(v("1".into())),
                    other => return Err(format!("IsValid type {other:?}")),
                };
                v(r.is_valid(&trimmed, re, target)?)
            }
            other => return Err(format!("no SQL translation for {other}")),
        })
    }

    /// Field(s, d, k[, m]): PostgreSQL SPLIT_PART / arrays; Teradata and
    /// Oracle by INSTR positions (never STRTOK, which skips empty fields).
    fn field(&mut self, a: &[Expr]) -> Result<Code, String> {
        let r = self.r;
        let delim = self.literal_arg(a, 1, "the delimiter")?;
        if delim.is_empty() {
            return Err("an empty delimiter".into());
        }
        let s = self.text(&a[0]);
        let dq = self.r.literal(&delim);
        let m = match a.get(3) {
            Some(m) => constant_int(m).ok_or("the field count must be a constant")?,
            None => 1,
        };
        if m < 1 {
            return Ok(v(format!("(CASE WHEN {s} IS NULL THEN NULL ELSE '' END)")));
        }
        let arrays = match r.field_split() {
            FieldSplit::SplitPart { arrays } => Some(arrays),
            FieldSplit::Instr => None,
            FieldSplit::None => return Err("no split function with an ordinal".into()),
        };
        if let Some(arrays) = arrays {
            let k = self.int(&a[2]);
            let k = at_least(&k, 1);
            if m == 1 {
                return Ok(v(format!("SPLIT_PART({s}, {dq}, {k})")));
            }
            if arrays {
                return Ok(v(format!(
                    "ARRAY_TO_STRING((STRING_TO_ARRAY({s}, {dq}))[{k}:{k} + {}], {dq})",
                    m - 1
                )));
            }
            return Err("several fields at once".into());
        }
        let k = constant_int(&a[2])
            .ok_or("the occurrence must be a constant")?
            .max(1);
        let len = |x: &str| r.length(x);
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
            r.substr(&s, "1", &format!("{end} - 1"))
        } else {
            let start = format!("({} + {})", instr(k - 1), len(&dq));
            format!(
                "(CASE WHEN {} = 0 THEN '' ELSE {} END)",
                instr(k - 1),
                r.substr(&s, &start, &format!("{end} - {start}"))
            )
        };
        Ok(v(code))
    }
}
