//! AST → PySpark Column code (`F` = `pyspark.sql.functions`). See the
//! module docs of `translate` for the naming conventions.

use super::super::ast::{BinOp, Expr, ExprKind, SubstringForm, UnaryOp};
use super::super::datefmt;
use super::super::functions::{self, Status, Target};
use super::super::resolve::{ColumnRef, NameRef, Scope};
use super::super::types::Type;
use super::{Issue, IssueKind, Issues, Translation, constant_int, constant_text, regex_escape};

/// Translated code; `pred` = a boolean Column (comparison, AND...), which
/// DataStage sees as 1/0.
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

pub use crate::escape::py_str;

fn lit_str(s: &str) -> String {
    format!("F.lit({})", py_str(s))
}

/// Python identifier-safe stub name for a function or routine.
fn stub_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("dsmig_stub_{safe}")
}

/// Definition of the UDF stub that an unsupported call refers to; it fails
/// loudly at run time so a SEMI-AUTO job cannot pass silently.
pub fn stub_definition(name: &str) -> String {
    format!(
        "@F.udf(\"string\")\ndef {}(*args):\n    raise NotImplementedError({})\n",
        stub_name(name),
        py_str(&format!("DataStage {name}: translate by hand (dsmig)"))
    )
}

/// The window of the Transformer's input order: `_dsmig_seq` is
/// `monotonically_increasing_id()` taken on the input DataFrame before the
/// reference joins (the order rows arrive in: an upstream Sort's, else
/// the read order). No partitioning: one sequence like a sequential run.
pub const ROW_ORDER: &str = "Window.orderBy(F.col(\"_dsmig_seq\"))";

/// Names of `params` entries that the translations of macros and clock
/// variables read, with the Python expression that gives each its value
/// when the run did not pass it: the job's start, captured once per run
/// (the first stage that needs it sets it; `params` is the run's dict).
pub const RUN_CONTEXT: &[(&str, &str)] = &[
    (
        "DSJobStartTimestamp",
        "__import__(\"datetime\").datetime.now().strftime(\"%Y-%m-%d %H:%M:%S\")",
    ),
    ("DSJobStartDate", "params[\"DSJobStartTimestamp\"][:10]"),
    ("DSJobStartTime", "params[\"DSJobStartTimestamp\"][11:19]"),
    ("DSHostName", "__import__(\"socket\").gethostname()"),
];

/// Lines (four-space indented) that fill the run-context entries `code`
/// reads, in dependency order; empty when it reads none.
pub fn run_context_lines(code: &str) -> Vec<String> {
    let reads = |k: &str| code.contains(&format!("params[{}]", py_str(k)));
    let needs_start = ["DSJobStartTimestamp", "DSJobStartDate", "DSJobStartTime"]
        .iter()
        .any(|k| reads(k));
    let mut out = Vec::new();
    for (k, default) in RUN_CONTEXT {
        let wanted = if k.starts_with("DSJobStart") {
            needs_start
        } else {
            reads(k)
        };
        if wanted {
            out.push(format!("    params.setdefault({}, {default})", py_str(k)));
        }
    }
    if !out.is_empty() {
        out.insert(
            0,
            "    # DataStage macros and clock variables: a run argument of the same name, else the run's context".into(),
        );
    }
    out
}

/// The condition under which output link `link` takes a row, for
/// `link.REJECTED`: `None` = it takes every row (no constraint). A reject
/// or otherwise link, or a constraint that reads link variables itself,
/// is not translated.
pub(crate) fn rejected_condition(scope: &Scope, link: &str) -> Result<Option<Expr>, &'static str> {
    let Some((_, constraint, special)) = scope
        .output_links
        .iter()
        .find(|(l, _, _)| l.eq_ignore_ascii_case(link))
    else {
        return Err("REJECTED of a link that is not an output of this Transformer");
    };
    if *special {
        return Err("REJECTED of a reject or otherwise link");
    }
    if constraint.trim().is_empty() {
        return Ok(None);
    }
    let Ok(c) = super::super::parse(constraint) else {
        return Err("the link's constraint does not parse");
    };
    let mut nested = false;
    c.walk(&mut |n| {
        if let ExprKind::Column { link, column } = &n.kind
            && matches!(scope.column_ref(link, column), ColumnRef::LinkVar { .. })
        {
            nested = true;
        }
    });
    if nested {
        return Err("the link's constraint reads link variables itself");
    }
    Ok(Some(c))
}

pub fn to_pyspark(e: &Expr, scope: &Scope) -> Translation {
    let mut t = Tr {
        scope,
        issues: Issues::default(),
    };
    let code = t.val(e);
    Translation {
        code,
        issues: t.issues.0,
    }
}

/// A constraint: a boolean Column for `df.filter`.
pub fn to_pyspark_condition(e: &Expr, scope: &Scope) -> Translation {
    let mut t = Tr {
        scope,
        issues: Issues::default(),
    };
    let code = t.cond(e);
    Translation {
        code,
        issues: t.issues.0,
    }
}

struct Tr<'a> {
    scope: &'a Scope,
    issues: Issues,
}

impl Tr<'_> {
    fn ty(&self, e: &Expr) -> Type {
        self.scope.type_of(e).ty
    }

    fn val(&mut self, e: &Expr) -> String {
        let c = self.expr(e);
        if c.pred {
            format!("{}.cast(\"int\")", c.text)
        } else {
            c.text
        }
    }

    fn cond(&mut self, e: &Expr) -> String {
        let c = self.expr(e);
        if c.pred {
            c.text
        } else {
            format!("({} != 0)", c.text)
        }
    }

    /// Value as a string Column (DataStage converts implicitly).
    fn text(&mut self, e: &Expr) -> String {
        let t = self.ty(e);
        let c = self.val(e);
        if t.is_string() {
            c
        } else {
            format!("{c}.cast(\"string\")")
        }
    }

    fn num(&mut self, e: &Expr) -> String {
        // A constant text converts at generation time, as the engine does
        // ("" is 0 in BASIC; Spark would cast it to NULL).
        if let ExprKind::Str(s) = &e.kind {
            if s.trim().is_empty() {
                return "F.lit(0)".into();
            }
            if let Ok(i) = s.trim().parse::<i64>() {
                return format!("F.lit({i})");
            }
        }
        let t = self.ty(e);
        let c = self.val(e);
        if t.is_numeric() {
            c
        } else {
            format!("{c}.cast(\"double\")")
        }
    }

    fn int(&mut self, e: &Expr) -> String {
        if let Some(i) = constant_int(e) {
            return format!("F.lit({i})");
        }
        let t = self.ty(e);
        let c = self.val(e);
        // Positions and counts are int32 in DataStage (and in date_add).
        match t {
            Type::Integer => format!("{c}.cast(\"int\")"),
            _ => format!("{c}.cast(\"double\").cast(\"int\")"),
        }
    }

    fn date(&mut self, e: &Expr) -> String {
        let t = self.ty(e);
        let c = self.val(e);
        if t == Type::Date {
            c
        } else {
            format!("F.to_date({c})")
        }
    }

    fn timestamp(&mut self, e: &Expr) -> String {
        let t = self.ty(e);
        let c = self.val(e);
        if t == Type::Timestamp {
            c
        } else {
            format!("F.to_timestamp({c})")
        }
    }

    fn placeholder(&mut self, name: &str, args: &[Expr], reason: &str, e: &Expr) -> Code {
        self.issues
            .push(IssueKind::Unsupported, name, reason, e.pos);
        let args: Vec<String> = args.iter().map(|a| self.val(a)).collect();
        v(format!("{}({})", stub_name(name), args.join(", ")))
    }

    fn expr(&mut self, e: &Expr) -> Code {
        match &e.kind {
            ExprKind::Str(s) => v(lit_str(s)),
            ExprKind::Num(n) => match self.ty(e) {
                Type::Decimal { p, s } => v(format!(
                    "F.lit({}).cast(\"decimal({},{})\")",
                    py_str(n.trim_start_matches('+')),
                    p.max(s + 1),
                    s
                )),
                _ => v(format!("F.lit({n})")),
            },
            ExprKind::Column { link, column } => match self.scope.column_ref(link, column) {
                ColumnRef::LinkVar { var, link } => self.link_var(var, &link, e),
                ColumnRef::SetParam {
                    name,
                    resolved: Some(_),
                } => v(format!("F.lit(params[{}])", py_str(&name))),
                ColumnRef::SetParam {
                    name,
                    resolved: None,
                } => self.placeholder(
                    &name,
                    &[],
                    "parameter of a parameter set the job does not define: resolve it against the set's definition or a value file",
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
                    if self.scope.is_primary(link) || self.scope.primary_link.is_none() {
                        v(format!("F.col({})", py_str(column)))
                    } else {
                        v(format!("F.col({})", py_str(&format!("{link}.{column}"))))
                    }
                }
            },
            ExprKind::Name(n) => match self.scope.name(n) {
                NameRef::StageVar(_) => match self.scope.inline.get(n) {
                    Some(code) => v(code.clone()),
                    None => v(format!("F.col({})", py_str(n))),
                },
                NameRef::Macro(_) => self.run_value(n, e),
                NameRef::Param(_) => v(format!("F.lit(params[{}])", py_str(n))),
                NameRef::Unknown => {
                    self.issues.push(
                        IssueKind::Approximate,
                        n,
                        "unresolved name: assumed to be a column of the same name",
                        e.pos,
                    );
                    v(format!("F.col({})", py_str(n)))
                }
            },
            ExprKind::Param(n) if n.contains('.') && !self.scope.params.contains_key(n) => self
                .placeholder(
                    n,
                    &[],
                    "parameter of a parameter set the job does not define: resolve it against the set's definition or a value file",
                    e,
                ),
            ExprKind::Param(n) => v(format!("F.lit(params[{}])", py_str(n))),
            ExprKind::SysVar(name) => self.sysvar(name, e),
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => p(format!("(~{})", self.cond(operand))),
                UnaryOp::Neg => v(format!("(-{})", self.num(operand))),
                UnaryOp::Plus => v(self.num(operand)),
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e),
            ExprKind::If { .. } => {
                // Flatten Else-If chains into one when(...).when(...).
                let mut text = String::from("F");
                let mut cur = e;
                while let ExprKind::If { cond, then, els } = &cur.kind {
                    let c = self.cond(cond);
                    let t = self.val(then);
                    text.push_str(&format!(".when({c}, {t})"));
                    cur = els;
                }
                let o = self.val(cur);
                v(format!("{text}.otherwise({o})"))
            }
            ExprKind::Substring { subject, form } => match form {
                SubstringForm::Range { start, len } => {
                    let s = self.text(subject);
                    let a = self.int(start);
                    let l = self.int(len);
                    v(format!(
                        "F.call_function(\"substring\", {s}, F.greatest({a}, F.lit(1)), {l})"
                    ))
                }
                SubstringForm::Last { count } => {
                    let s = self.text(subject);
                    let n = self.int(count);
                    v(format!("F.call_function(\"right\", {s}, {n})"))
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
            ExprKind::Routine { name, args } => self.placeholder(
                name,
                args,
                "user routine: no translation, a UDF stub is referenced",
                e,
            ),
        }
    }

    /// A macro or clock value of the run (see [`RUN_CONTEXT`]).
    fn run_value(&mut self, name: &str, e: &Expr) -> Code {
        let Some(def) = functions::variable(functions::VarKind::Macro, name) else {
            return self.placeholder(name, &[], "unknown macro", e);
        };
        if let Status::Unsupported(why) = def.pyspark {
            return self.placeholder(def.name, &[], why, e);
        }
        match def.name {
            "DSJobName" => v(lit_str(&self.scope.job_name)),
            "DSStageName" => v(lit_str(&self.scope.stage_name)),
            "DSJobInvocationId" if self.scope.multi_instance => self.placeholder(
                def.name,
                &[],
                "a multi-instance job's invocation id is not passed to the Glue run",
                e,
            ),
            "DSJobInvocationId" => v(lit_str("")),
            "DSJobStartDate" => v(format!("F.to_date(F.lit(params[{}]))", py_str(def.name))),
            "DSJobStartTimestamp" => v(format!(
                "F.to_timestamp(F.lit(params[{}]))",
                py_str(def.name)
            )),
            other => v(format!("F.lit(params[{}])", py_str(other))),
        }
    }

    /// `link.NOTFOUND`, `link.REJECTED`... (registry: `functions::VARIABLES`).
    fn link_var(&mut self, def: &functions::VariableDef, link: &str, e: &Expr) -> Code {
        if let Status::Unsupported(why) = def.pyspark {
            return self.placeholder(&format!("{link}.{}", &def.name[5..]), &[], why, e);
        }
        match &def.name[5..] {
            "NOTFOUND" => {
                if let Some(r) = self
                    .scope
                    .reference_links
                    .iter()
                    .find(|r| r.eq_ignore_ascii_case(link))
                {
                    // The reference row is packed in a struct column named
                    // after the link, NULL exactly when the left join found
                    // no row (a found row is a non-NULL struct).
                    p(format!("F.col({}).isNull()", py_str(r)))
                } else {
                    self.placeholder(
                        &format!("{link}.NOTFOUND"),
                        &[],
                        "NOTFOUND of a link that is not a reference input of this Transformer",
                        e,
                    )
                }
            }
            "REJECTED" => match rejected_condition(self.scope, link) {
                Ok(None) => v("F.lit(0)".into()),
                Ok(Some(c)) => {
                    let code = self.cond(&c);
                    p(format!("(~F.coalesce({code}, F.lit(False)))"))
                }
                Err(why) => self.placeholder(&format!("{link}.REJECTED"), &[], why, e),
            },
            _ => self.placeholder(
                &format!("{link}.{}", &def.name[5..]),
                &[],
                "link variable without a translation",
                e,
            ),
        }
    }

    fn sysvar(&mut self, name: &str, e: &Expr) -> Code {
        let Some(def) = functions::variable(functions::VarKind::System, name) else {
            return self.placeholder(
                &format!("@{name}"),
                &[],
                "system variable without a PySpark equivalent",
                e,
            );
        };
        match def.pyspark {
            Status::Unsupported(why) => return self.placeholder(def.name, &[], why, e),
            Status::Approximate(caveat) => {
                self.issues
                    .push(IssueKind::Approximate, def.name, caveat, e.pos)
            }
            Status::Exact => {}
        }
        let start_date = format!("F.to_date(F.lit(params[{}]))", py_str("DSJobStartDate"));
        match name {
            "NULL" => v("F.lit(None)".into()),
            "TRUE" => v("F.lit(1)".into()),
            "FALSE" => v("F.lit(0)".into()),
            "FM" => v(lit_str("\u{FE}")),
            "VM" => v(lit_str("\u{FD}")),
            "SM" => v(lit_str("\u{FC}")),
            "TM" => v(lit_str("\u{FB}")),
            "NULL.STR" => v(lit_str("\u{80}")),
            // The job's start (IBM: "the internal date when the program
            // started"): one value per run, see RUN_CONTEXT.
            "DATE" => v(start_date),
            "TIME" => v(format!("F.lit(params[{}])", py_str("DSJobStartTime"))),
            "TIMESTAMP" => v(format!(
                "F.to_timestamp(F.lit(params[{}]))",
                py_str("DSJobStartTimestamp")
            )),
            "DAY" => v(format!("F.dayofmonth({start_date})")),
            "MONTH" => v(format!("F.month({start_date})")),
            "YEAR" => v(format!("F.year({start_date})")),
            // Numbered in the order rows entered the Transformer (the
            // emitter adds `_dsmig_seq` before anything reorders them).
            "INROWNUM" | "OUTROWNUM" => v(format!("F.row_number().over({ROW_ORDER})")),
            _ => self.placeholder(
                def.name,
                &[],
                "system variable without a PySpark equivalent",
                e,
            ),
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, e: &Expr) -> Code {
        match op {
            BinOp::Concat => {
                let mut parts = Vec::new();
                flatten_concat(e, &mut parts);
                let args: Vec<String> = parts.iter().map(|x| self.text(x)).collect();
                v(format!("F.concat({})", args.join(", ")))
            }
            BinOp::And | BinOp::Or => {
                let (a, b) = (self.cond(lhs), self.cond(rhs));
                let o = if op == BinOp::And { "&" } else { "|" };
                p(format!("({a} {o} {b})"))
            }
            BinOp::Pow => {
                let (a, b) = (self.num(lhs), self.num(rhs));
                v(format!("F.pow({a}, {b})"))
            }
            op if op.is_comparison() => {
                let (a, b) = self.comparable(lhs, rhs);
                let o = match op {
                    BinOp::Eq => "==",
                    BinOp::Ne => "!=",
                    BinOp::Lt => "<",
                    BinOp::Gt => ">",
                    BinOp::Le => "<=",
                    _ => ">=",
                };
                p(format!("({a} {o} {b})"))
            }
            _ => {
                let (a, b) = (self.num(lhs), self.num(rhs));
                let o = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    _ => "/",
                };
                v(format!("({a} {o} {b})"))
            }
        }
    }

    /// Both sides of a comparison converted as DataStage does.
    fn comparable(&mut self, lhs: &Expr, rhs: &Expr) -> (String, String) {
        match super::comparison(&self.ty(lhs), &self.ty(rhs)) {
            super::Comparison::Date => (self.date(lhs), self.date(rhs)),
            super::Comparison::Timestamp => (self.timestamp(lhs), self.timestamp(rhs)),
            super::Comparison::Number => (self.num(lhs), self.num(rhs)),
            super::Comparison::Value => (self.val(lhs), self.val(rhs)),
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], e: &Expr) -> Code {
        let Some(def) = functions::lookup(name) else {
            return self.placeholder(name, args, "unknown function", e);
        };
        if args.len() < def.min_args || args.len() > def.max_args {
            return self.placeholder(def.name, args, "wrong number of arguments", e);
        }
        match def.status(Target::PySpark) {
            Status::Unsupported(why) => return self.placeholder(def.name, args, why, e),
            Status::Approximate(why) => {
                self.issues
                    .push(IssueKind::Approximate, def.name, why, e.pos)
            }
            Status::Exact => {}
        }
        match self.function(def.name, args) {
            Ok(c) => c,
            Err(why) => {
                // Drop a possible Approximate note for the same call: the
                // placeholder supersedes it.
                self.issues.0.retain(|i: &Issue| {
                    !(i.function == def.name && i.line == e.pos.line && i.column == e.pos.column)
                });
                self.placeholder(def.name, args, &why, e)
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

    /// One arm per function: the PySpark translation of each.
    fn function(&mut self, name: &str, a: &[Expr]) -> Result<Code, String> {
        const BLANKS: &str = "[ \\t]+";
        let re = |s: &str| py_str(s);
        Ok(match name {
            "Trim" if a.len() == 1 => {
                let s = self.text(&a[0]);
                v(format!(
                    "F.trim(F.regexp_replace({s}, {}, \" \"))",
                    re(BLANKS)
                ))
            }
            "Trim" => {
                let c = self.literal_arg(a, 1, "the Trim character")?;
                let c = c.chars().next().map(String::from).unwrap_or(" ".into());
                let opt = match a.get(2) {
                    Some(_) => self.literal_arg(a, 2, "the Trim option")?,
                    None => "R".into(),
                };
                let ec = format!("(?:{})", regex_escape(&c));
                let rep = c.replace('\\', "\\\\").replace('$', "\\$");
                let s = self.text(&a[0]);
                let rr = |s: &str, pat: &str, to: &str| {
                    format!("F.regexp_replace({s}, {}, {})", re(pat), re(to))
                };
                v(match opt.to_ascii_uppercase().as_str() {
                    "A" => rr(&s, &format!("{ec}+"), ""),
                    "B" => rr(&s, &format!("^{ec}+|{ec}+$"), ""),
                    "L" => rr(&s, &format!("^{ec}+"), ""),
                    "T" => rr(&s, &format!("{ec}+$"), ""),
                    "R" => rr(
                        &rr(&s, &format!("{ec}+"), &rep),
                        &format!("^{ec}+|{ec}+$"),
                        "",
                    ),
                    "D" => format!("F.trim({})", rr(&s, BLANKS, " ")),
                    "F" => rr(&s, "^[ \\t]+", ""),
                    "E" => rr(&s, "[ \\t]+$", ""),
                    other => return Err(format!("unknown Trim option {other:?}")),
                })
            }
            "TrimF" => v(format!(
                "F.regexp_replace({}, {}, \"\")",
                self.text(&a[0]),
                re("^[ \\t]+")
            )),
            "TrimB" => v(format!(
                "F.regexp_replace({}, {}, \"\")",
                self.text(&a[0]),
                re("[ \\t]+$")
            )),
            "TrimLeadingTrailing" => v(format!(
                "F.regexp_replace({}, {}, \"\")",
                self.text(&a[0]),
                re("^[ \\t]+|[ \\t]+$")
            )),
            "Len" => v(format!("F.length({})", self.text(&a[0]))),
            "Left" => v(format!(
                "F.call_function(\"left\", {}, {})",
                self.text(&a[0]),
                self.int(&a[1])
            )),
            "Right" => v(format!(
                "F.call_function(\"right\", {}, {})",
                self.text(&a[0]),
                self.int(&a[1])
            )),
            "Substrings" => v(format!(
                "F.call_function(\"substring\", {}, F.greatest({}, F.lit(1)), {})",
                self.text(&a[0]),
                self.int(&a[1]),
                self.int(&a[2])
            )),
            "UpCase" => v(format!("F.upper({})", self.text(&a[0]))),
            "DownCase" => v(format!("F.lower({})", self.text(&a[0]))),
            "Index" => {
                let k = constant_int(&a[2]).ok_or("the occurrence must be a constant")?;
                let s = self.text(&a[0]);
                if k <= 1 {
                    let sub = self.text(&a[1]);
                    v(format!(
                        "F.when(F.length({sub}) == 0, F.lit(0)).otherwise(F.call_function(\"instr\", {s}, {sub}))"
                    ))
                } else {
                    let sub = self.literal_arg(a, 1, "the substring")?;
                    if sub.is_empty() {
                        return Ok(v("F.lit(0)".into()));
                    }
                    let parts = format!("F.split({s}, {}, -1)", re(&regex_escape(&sub)));
                    v(format!(
                        "F.when({s}.isNull(), F.lit(None)).when(F.size({parts}) > {k}, F.length(F.array_join(F.slice({parts}, 1, {k}), {})) + 1).otherwise(F.lit(0))",
                        re(&sub)
                    ))
                }
            }
            "Count" | "DCount" => {
                let s = self.text(&a[0]);
                let sub = self.text(&a[1]);
                let count = format!(
                    "F.when(F.length({sub}) == 0, F.lit(0)).otherwise(((F.length({s}) - F.length(F.call_function(\"replace\", {s}, {sub}, F.lit(\"\")))) / F.length({sub})).cast(\"int\"))"
                );
                if name == "Count" {
                    v(count)
                } else {
                    v(format!(
                        "F.when({s} == \"\", F.lit(0)).otherwise({count} + 1)"
                    ))
                }
            }
            "Field" => {
                let d = self.literal_arg(a, 1, "the delimiter")?;
                if d.is_empty() {
                    return Err("an empty delimiter".into());
                }
                let s = self.text(&a[0]);
                let k = self.int(&a[2]);
                let m = match a.get(3) {
                    Some(m) => format!("F.greatest({}, F.lit(0))", self.int(m)),
                    None => "F.lit(1)".into(),
                };
                v(format!(
                    "F.array_join(F.slice(F.split({s}, {}, -1), F.greatest({k}, F.lit(1)), {m}), {})",
                    re(&regex_escape(&d)),
                    re(&d)
                ))
            }
            "Convert" => v(format!(
                "F.call_function(\"translate\", {}, {}, {})",
                self.text(&a[2]),
                self.text(&a[0]),
                self.text(&a[1])
            )),
            "Ereplace" | "Change" => {
                let s = self.text(&a[0]);
                let (old, new) = (self.text(&a[1]), self.text(&a[2]));
                v(format!(
                    "F.when(F.length({old}) == 0, {s}).otherwise(F.call_function(\"replace\", {s}, {old}, {new}))"
                ))
            }
            "Str" => v(format!(
                "F.call_function(\"repeat\", {}, {})",
                self.text(&a[0]),
                self.int(&a[1])
            )),
            "Space" => v(format!(
                "F.call_function(\"repeat\", F.lit(\" \"), {})",
                self.int(&a[0])
            )),
            "Char" => v(format!("F.call_function(\"chr\", {})", self.int(&a[0]))),
            "Seq" => v(format!("F.ascii({})", self.text(&a[0]))),
            "PadString" => {
                let (s, c, n) = (self.text(&a[0]), self.text(&a[1]), self.int(&a[2]));
                v(format!(
                    "F.concat({s}, F.call_function(\"repeat\", F.substring({c}, 1, 1), {n}))"
                ))
            }
            "Num" => v(format!(
                "{}.rlike({}).cast(\"int\")",
                self.text(&a[0]),
                re("^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)$|^$")
            )),
            "Alpha" => v(format!(
                "{}.rlike({}).cast(\"int\")",
                self.text(&a[0]),
                re("^[A-Za-z]+$")
            )),
            "Compare" => {
                let (x, y) = (self.text(&a[0]), self.text(&a[1]));
                v(format!(
                    "F.when({x} < {y}, F.lit(-1)).when({x} > {y}, F.lit(1)).when({x} == {y}, F.lit(0))"
                ))
            }
            "CompactWhiteSpace" => v(format!(
                "F.regexp_replace({}, {}, \" \")",
                self.text(&a[0]),
                re(BLANKS)
            )),
            "StripWhiteSpace" => v(format!(
                "F.regexp_replace({}, {}, \"\")",
                self.text(&a[0]),
                re(BLANKS)
            )),
            "Squote" => v(format!(
                "F.concat(F.lit(\"'\"), {}, F.lit(\"'\"))",
                self.text(&a[0])
            )),
            "Dquote" => v(format!(
                "F.concat(F.lit('\"'), {}, F.lit('\"'))",
                self.text(&a[0])
            )),
            "IsNull" => p(format!("{}.isNull()", self.val(&a[0]))),
            "IsNotNull" => p(format!("{}.isNotNull()", self.val(&a[0]))),
            "NullToValue" => v(format!(
                "F.coalesce({}, {})",
                self.val(&a[0]),
                self.val(&a[1])
            )),
            "NullToEmpty" => v(format!("F.coalesce({}, F.lit(\"\"))", self.text(&a[0]))),
            "NullToZero" => v(format!("F.coalesce({}, F.lit(0))", self.num(&a[0]))),
            "SetNull" => v("F.lit(None)".into()),
            "StringToDate" | "StringToTimestamp" => {
                let default = if name == "StringToDate" {
                    datefmt::DEFAULT_DATE
                } else {
                    datefmt::DEFAULT_TIMESTAMP
                };
                let parts = self.format_arg(a, 1, default)?;
                if datefmt::has_weekday(&parts) {
                    return Err("Spark cannot parse weekday names (%eee)".into());
                }
                let f = if name == "StringToDate" {
                    "F.to_date"
                } else {
                    "F.to_timestamp"
                };
                v(format!(
                    "{f}({}, {})",
                    self.text(&a[0]),
                    re(&datefmt::to_spark(&parts))
                ))
            }
            "DateToString" | "TimestampToString" => {
                let (default, x) = if name == "DateToString" {
                    (datefmt::DEFAULT_DATE, self.date(&a[0]))
                } else {
                    (datefmt::DEFAULT_TIMESTAMP, self.timestamp(&a[0]))
                };
                let parts = self.format_arg(a, 1, default)?;
                v(format!(
                    "F.date_format({x}, {})",
                    re(&datefmt::to_spark(&parts))
                ))
            }
            "CurrentDate" => v("F.current_date()".into()),
            "CurrentTimestamp" => v("F.current_timestamp()".into()),
            "DaysSinceFromDate" => v(format!(
                "F.datediff({}, {})",
                self.date(&a[0]),
                self.date(&a[1])
            )),
            "DateFromDaysSince" => {
                let base = match a.get(1) {
                    Some(b) => self.date(b),
                    None => "F.to_date(F.lit(\"1967-12-31\"))".into(),
                };
                v(format!("F.date_add({base}, {})", self.int(&a[0])))
            }
            "DateOffsetByDays" => v(format!(
                "F.date_add({}, {})",
                self.date(&a[0]),
                self.int(&a[1])
            )),
            "YearFromDate" => v(format!("F.year({})", self.date(&a[0]))),
            "MonthFromDate" => v(format!("F.month({})", self.date(&a[0]))),
            "MonthDayFromDate" => v(format!("F.dayofmonth({})", self.date(&a[0]))),
            "YeardayFromDate" => v(format!("F.dayofyear({})", self.date(&a[0]))),
            "WeekdayFromDate" => v(format!("(F.dayofweek({}) - 1)", self.date(&a[0]))),
            "JulianDayFromDate" => v(format!(
                "(F.datediff({}, F.to_date(F.lit(\"1970-01-01\"))) + 2440588)",
                self.date(&a[0])
            )),
            "HoursFromTime" | "MinutesFromTime" | "SecondsFromTime" => {
                if self.ty(&a[0]) == Type::Time {
                    return Err("Spark has no TIME type".into());
                }
                let t = self.timestamp(&a[0]);
                v(match name {
                    "HoursFromTime" => format!("F.hour({t})"),
                    "MinutesFromTime" => format!("F.minute({t})"),
                    _ => format!("F.date_format({t}, \"ss.SSSSSS\").cast(\"double\")"),
                })
            }
            "TimestampToDate" => v(format!("F.to_date({})", self.timestamp(&a[0]))),
            "DateFromComponents" => v(format!(
                "F.make_date({}, {}, {})",
                self.int(&a[0]),
                self.int(&a[1]),
                self.int(&a[2])
            )),
            "SecondsSinceFromTimestamp" => v(format!(
                "({}.cast(\"double\") - {}.cast(\"double\"))",
                self.timestamp(&a[0]),
                self.timestamp(&a[1])
            )),
            "Abs" => v(format!("F.abs({})", self.num(&a[0]))),
            "Neg" => v(format!("(-{})", self.num(&a[0]))),
            "Mod" => v(format!("({} % {})", self.num(&a[0]), self.num(&a[1]))),
            "Int" | "AsInteger" => {
                let t = self.ty(&a[0]);
                let x = self.val(&a[0]);
                v(if t.is_numeric() {
                    format!("{x}.cast(\"long\")")
                } else {
                    format!("{x}.cast(\"decimal(38,10)\").cast(\"long\")")
                })
            }
            "Sqrt" => {
                let x = self.num(&a[0]);
                v(format!("F.when({x} >= 0, F.sqrt({x}))"))
            }
            "Pwr" => v(format!("F.pow({}, {})", self.num(&a[0]), self.num(&a[1]))),
            "Exp" => v(format!("F.exp({})", self.num(&a[0]))),
            "Ln" => v(format!("F.log({})", self.num(&a[0]))),
            "Ceil" => v(format!("F.ceil({})", self.num(&a[0]))),
            "Floor" => v(format!("F.floor({})", self.num(&a[0]))),
            "AsFloat" | "AsDouble" | "DecimalToDFloat" | "StringToNumber" => {
                v(format!("{}.cast(\"double\")", self.val(&a[0])))
            }
            "AsString" | "DecimalToString" => v(self.text(&a[0])),
            "StringToDecimal" | "DecimalToDecimal" | "DFloatToDecimal" => {
                v(format!("{}.cast(\"decimal(38,10)\")", self.val(&a[0])))
            }
            "IsValid" => {
                let ty = self
                    .literal_arg(a, 0, "the type name")?
                    .to_ascii_lowercase();
                let s = self.text(&a[1]);
                let check = match ty.as_str() {
                    "int8" | "int16" | "int32" | "int64" | "integer" => format!(
                        "(F.trim({s}).rlike({}) & F.trim({s}).cast(\"long\").isNotNull())",
                        re("^[+-]?[0-9]+$")
                    ),
                    "dfloat" | "sfloat" | "decimal" => {
                        format!("F.trim({s}).rlike({})", re(NUMBER_RE))
                    }
                    "date" => format!("F.to_date({s}, \"yyyy-MM-dd\").isNotNull()"),
                    "timestamp" => {
                        format!("F.to_timestamp({s}, \"yyyy-MM-dd HH:mm:ss\").isNotNull()")
                    }
                    "string" | "ustring" => format!("{s}.isNotNull() | {s}.isNull()"),
                    other => return Err(format!("IsValid type {other:?}")),
                };
                v(format!("F.coalesce(({check}).cast(\"int\"), F.lit(0))"))
            }
            "IsValidDate" => v(format!(
                "F.coalesce(F.to_date({}, \"yyyy-MM-dd\").isNotNull().cast(\"int\"), F.lit(0))",
                self.text(&a[0])
            )),
            "IsValidTimestamp" => v(format!(
                "F.coalesce(F.to_timestamp({}, \"yyyy-MM-dd HH:mm:ss\").isNotNull().cast(\"int\"), F.lit(0))",
                self.text(&a[0])
            )),
            "IsValidDecimal" => v(format!(
                "F.coalesce(F.trim({}).rlike({}).cast(\"int\"), F.lit(0))",
                self.text(&a[0]),
                re("^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)$")
            )),
            other => return Err(format!("no PySpark translation for {other}")),
        })
    }
}

const NUMBER_RE: &str = "^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$";

/// The operands of a `:` chain, left to right (an explicit stack: a chain
/// is as deep as it is long).
pub(crate) fn flatten_concat<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            ExprKind::Binary {
                op: BinOp::Concat,
                lhs,
                rhs,
            } => {
                todo.push(rhs);
                todo.push(lhs);
            }
            _ => out.push(e),
        }
    }
}
