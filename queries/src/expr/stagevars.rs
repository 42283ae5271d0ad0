//! Stage-variable semantics (reference §4.2 items 1-2): variables are
//! evaluated top to bottom for each row and keep their value between rows.
//! Reading a variable before it is assigned in the current row (itself, or
//! one defined further down) yields the PREVIOUS row's value. Such reads
//! are found here; when the variable read does not itself depend on a
//! previous row, its previous value is `LAG(<its value>)` over a known
//! order, otherwise the read is flagged for manual work (a running
//! accumulator needs `mapPartitions` or a recursive query).

use std::collections::BTreeSet;

use super::ast::{BinOp, Expr, ExprKind};
use super::parser::{ParseError, parse};
use super::translate::pyspark::py_str;
use super::translate::sql::quote_ident;
use crate::ir::TransformerDetail;

#[derive(Debug, Clone, PartialEq)]
pub struct PreviousRowRead {
    /// The variable whose previous value is read.
    pub var: String,
    pub line: u32,
    pub column: u32,
    pub self_reference: bool,
    /// `LAG` of the variable's value works (it does not depend on a
    /// previous row itself); false = needs a row loop, flag it.
    pub lag_translatable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarInfo {
    pub name: String,
    /// Position in evaluation order.
    pub index: usize,
    pub initial_value: String,
    /// Stage variables read with their current-row value.
    pub reads: Vec<String>,
    pub previous_row_reads: Vec<PreviousRowRead>,
    pub parse_error: Option<ParseError>,
    /// How the variable's value is computed across rows.
    pub state: State,
}

/// How a stage variable's value depends on earlier rows.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// No derivation: the initial value on every row (a constant).
    Constant,
    /// A function of the current row (and of variables computed before it).
    Row,
    /// Reads previous-row values of other variables that are each a
    /// function of their row: `LAG` of their value.
    Lag,
    /// Reads its own previous value as a segmented scan.
    Scan(Box<Scan>),
    /// Anything else: a row loop by hand.
    Irregular(String),
}

/// `sv = If reset Then start Else sv + step` (or `sv` kept), each part
/// free of `sv`: over the rows in order, a reset row starts a new segment
/// with `start`, every other row adds `step` (`None` = keeps the value,
/// any type). Without `reset`, one segment from the initial value.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Condition starting a new segment; `negate` = the segment starts
    /// when the condition is false (`If C Then sv + 1 Else 0`).
    pub reset: Option<(Expr, bool)>,
    pub start: Option<Expr>,
    /// Per-row increment: `None` = the value is carried unchanged.
    /// `Some((step, cond))`: added when `cond` holds (`None` = always).
    pub step: Option<(Expr, Option<(Expr, bool)>)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageVarReport {
    pub vars: Vec<VarInfo>,
}

impl StageVarReport {
    /// True when some variable reads a previous row: the translation needs
    /// an order (and DataStage's own result depends on partitioning).
    pub fn needs_row_order(&self) -> bool {
        self.vars.iter().any(|v| !v.previous_row_reads.is_empty())
    }

    /// Variables whose state no window translates: the job needs manual
    /// work (variable, why).
    pub fn flagged(&self) -> Vec<(&str, &str)> {
        self.vars
            .iter()
            .filter_map(|v| match &v.state {
                State::Irregular(why) => Some((v.name.as_str(), why.as_str())),
                _ => None,
            })
            .collect()
    }
}

pub fn analyse(detail: &TransformerDetail) -> StageVarReport {
    let names: Vec<&str> = detail.stage_vars.iter().map(|v| v.name.as_str()).collect();
    let mut vars: Vec<VarInfo> = Vec::new();
    for (index, sv) in detail.stage_vars.iter().enumerate() {
        let mut info = VarInfo {
            name: sv.name.clone(),
            index,
            initial_value: sv.initial_value.clone(),
            reads: Vec::new(),
            previous_row_reads: Vec::new(),
            parse_error: None,
            state: State::Row,
        };
        if !sv.expression.trim().is_empty() {
            match parse(&sv.expression) {
                Ok(e) => e.walk(&mut |n| {
                    if let ExprKind::Name(name) = &n.kind
                        && let Some(j) = names.iter().position(|x| x == name)
                    {
                        if j < index {
                            if !info.reads.contains(name) {
                                info.reads.push(name.clone());
                            }
                        } else {
                            info.previous_row_reads.push(PreviousRowRead {
                                var: name.clone(),
                                line: n.pos.line,
                                column: n.pos.column,
                                self_reference: j == index,
                                lag_translatable: false,
                            });
                        }
                    }
                }),
                Err(err) => info.parse_error = Some(err),
            }
        }
        vars.push(info);
    }
    // Transitive current-row dependencies, then the LAG rule.
    let deps: Vec<BTreeSet<usize>> = (0..vars.len())
        .map(|i| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![i];
            while let Some(k) = todo.pop() {
                for r in &vars[k].reads {
                    if let Some(j) = names.iter().position(|x| x == r)
                        && seen.insert(j)
                    {
                        todo.push(j);
                    }
                }
            }
            seen
        })
        .collect();
    let has_prev: Vec<bool> = vars
        .iter()
        .map(|v| !v.previous_row_reads.is_empty())
        .collect();
    for v in &mut vars {
        for r in &mut v.previous_row_reads {
            if let Some(j) = names.iter().position(|x| *x == r.var) {
                r.lag_translatable = !has_prev[j] && deps[j].iter().all(|k| !has_prev[*k]);
            }
        }
    }
    for (i, sv) in detail.stage_vars.iter().enumerate() {
        let v = &vars[i];
        let state = if sv.expression.trim().is_empty() {
            State::Constant
        } else if v.parse_error.is_some() {
            State::Irregular("the derivation does not parse".into())
        } else if v.previous_row_reads.is_empty() {
            State::Row
        } else if let Some(r) = v
            .previous_row_reads
            .iter()
            .find(|r| !r.self_reference && !r.lag_translatable)
        {
            State::Irregular(format!(
                "reads the previous value of {}, itself computed from a previous row",
                r.var
            ))
        } else if !v.previous_row_reads.iter().any(|r| r.self_reference) {
            State::Lag
        } else {
            match parse(&sv.expression).ok().and_then(|e| scan(&e, &sv.name)) {
                Some(s) => State::Scan(Box::new(s)),
                None => State::Irregular(
                    "reads its own previous value in a form other than a counter, running total or carried value"
                        .into(),
                ),
            }
        };
        vars[i].state = state;
    }
    StageVarReport { vars }
}

impl StageVarReport {
    /// Variables that hold a job out of AUTO, with why: the irregular ones
    /// (no window form), and those whose window form one target lacks —
    /// SQL has a row order only after an upstream Sort
    /// (`input_sorted`), and no segmented scan (a reset needs a window
    /// over a window: one more step, not generated).
    pub fn blocking(&self, input_sorted: bool) -> Vec<(&str, String)> {
        self.vars
            .iter()
            .filter_map(|v| {
                let why = match &v.state {
                    State::Irregular(why) => why.clone(),
                    State::Scan(s) if s.reset.is_some() => {
                        "is a running value reset on a condition: a window per segment in PySpark, not generated for SQL".into()
                    }
                    State::Lag | State::Scan(_) if !input_sorted => {
                        "reads a previous row: PySpark follows the input order, SQL has one only after an upstream Sort".into()
                    }
                    _ => return None,
                };
                Some((v.name.as_str(), why))
            })
            .collect()
    }
}

/// True when `e` reads stage variable `name`.
pub fn reads_var(e: &Expr, name: &str) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(&n.kind, ExprKind::Name(x) if x == name));
    found
}

fn is_var(e: &Expr, name: &str) -> bool {
    matches!(&e.kind, ExprKind::Name(x) if x == name)
}

/// `sv + B` / `B + sv` → B (free of `sv`).
fn increment(e: &Expr, name: &str) -> Option<Expr> {
    if let ExprKind::Binary {
        op: BinOp::Add,
        lhs,
        rhs,
    } = &e.kind
    {
        if is_var(lhs, name) && !reads_var(rhs, name) {
            return Some((**rhs).clone());
        }
        if is_var(rhs, name) && !reads_var(lhs, name) {
            return Some((**lhs).clone());
        }
    }
    None
}

/// One branch of the scan: keep (`sv`), add (`sv + B`) or reset (`A`).
enum Branch {
    Keep,
    Add(Expr),
    Reset(Expr),
}

fn branch(e: &Expr, name: &str) -> Option<Branch> {
    if is_var(e, name) {
        Some(Branch::Keep)
    } else if let Some(b) = increment(e, name) {
        Some(Branch::Add(b))
    } else if !reads_var(e, name) {
        Some(Branch::Reset(e.clone()))
    } else {
        None
    }
}

/// The scan form of `e` (the derivation of `name`), if it has one.
fn scan(e: &Expr, name: &str) -> Option<Scan> {
    if let Some(b) = increment(e, name) {
        return Some(Scan {
            reset: None,
            start: None,
            step: Some((b, None)),
        });
    }
    let ExprKind::If { cond, then, els } = &e.kind else {
        return None;
    };
    if reads_var(cond, name) {
        return None;
    }
    let c = (**cond).clone();
    match (branch(then, name)?, branch(els, name)?) {
        (Branch::Reset(_), Branch::Reset(_)) | (Branch::Keep, Branch::Keep) => None,
        (Branch::Reset(a), other) | (other, Branch::Reset(a)) => {
            // The reset branch is `then` when `then` holds no `sv`.
            let negate = reads_var(then, name);
            let step = match other {
                Branch::Keep => None,
                Branch::Add(b) => Some((b, None)),
                Branch::Reset(_) => return None,
            };
            Some(Scan {
                reset: Some((c, negate)),
                start: Some(a),
                step,
            })
        }
        (Branch::Add(b), Branch::Keep) => Some(Scan {
            reset: None,
            start: None,
            step: Some((b, Some((c, false)))),
        }),
        (Branch::Keep, Branch::Add(b)) => Some(Scan {
            reset: None,
            start: None,
            step: Some((b, Some((c, true)))),
        }),
        (Branch::Add(_), Branch::Add(_)) => None,
    }
}

/// The initial value of a stage variable as an expression: its
/// `InitialValue` text parsed (a literal as a rule); text that does not
/// parse is a string; none is the type's zero (0 or the empty string, as
/// DataStage initialises a variable with no initial value).
pub fn initial_expr(sv: &crate::ir::StageVar) -> Expr {
    use super::ast::Pos;
    use super::types::Type;
    let text = sv.initial_value.trim();
    let kind = if text.is_empty() {
        if Type::from_odbc(sv.sql_type, sv.length, sv.scale).is_numeric() {
            ExprKind::Num("0".into())
        } else {
            ExprKind::Str(String::new())
        }
    } else {
        match parse(text) {
            Ok(e) if super::translate::constant(&e).is_some() => return e,
            _ => ExprKind::Str(sv.initial_value.clone()),
        }
    };
    Expr {
        kind,
        pos: Pos::default(),
    }
}

/// PySpark code for the previous row's value of stage variable `var`
/// (already a column): `F.lag` over `order_by`, the initial value on the
/// first row. `None` without an order: the read must be flagged.
pub fn previous_value_pyspark(var: &str, initial: &str, order_by: &[&str]) -> Option<String> {
    if order_by.is_empty() {
        return None;
    }
    let order: Vec<String> = order_by
        .iter()
        .map(|c| format!("F.col({})", py_str(c)))
        .collect();
    Some(format!(
        "F.lag(F.col({}), 1, {}).over(Window.orderBy({}))",
        py_str(var),
        py_str(initial),
        order.join(", ")
    ))
}

/// SQL for the previous row's value of `var`: `LAG(var, 1, initial)`.
pub fn previous_value_sql(var: &str, initial: &str, order_by: &[&str]) -> Option<String> {
    if order_by.is_empty() {
        return None;
    }
    let order: Vec<String> = order_by.iter().map(|c| quote_ident(c)).collect();
    Some(format!(
        "LAG({}, 1, '{}') OVER (ORDER BY {})",
        quote_ident(var),
        initial.replace('\'', "''"),
        order.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::StageVar;

    fn sv(name: &str, expr: &str) -> StageVar {
        StageVar {
            name: name.into(),
            expression: expr.into(),
            initial_value: "0".into(),
            sql_type: 12,
            length: 0,
            scale: 0,
        }
    }

    #[test]
    fn detects_previous_row_reads() {
        let detail = TransformerDetail {
            stage_vars: vec![
                sv("IsNew", "If in.KEY <> PrevKey Then 1 Else 0"),
                sv("PrevKey", "in.KEY"),
                sv("Total", "If IsNew Then in.AMT Else Total + in.AMT"),
            ],
            ..TransformerDetail::default()
        };
        let r = analyse(&detail);
        assert_eq!(r.vars[0].previous_row_reads.len(), 1);
        let prev = &r.vars[0].previous_row_reads[0];
        assert_eq!(prev.var, "PrevKey");
        assert!(!prev.self_reference);
        assert!(prev.lag_translatable, "PrevKey = in.KEY is a plain LAG");
        let total = &r.vars[2].previous_row_reads[0];
        assert!(total.self_reference);
        assert!(!total.lag_translatable, "a running total is recursive");
        assert_eq!(r.vars[2].reads, vec!["IsNew".to_string()]);
        // `If IsNew Then in.AMT Else Total + in.AMT`: a running total
        // reset on a key change, translated per segment.
        assert!(
            matches!(&r.vars[2].state, State::Scan(s) if s.reset.is_some() && s.step.is_some())
        );
        assert_eq!(r.vars[0].state, State::Lag);
        assert_eq!(r.vars[1].state, State::Row);
        assert!(r.flagged().is_empty());
        assert!(r.needs_row_order());
        assert_eq!(
            previous_value_pyspark("PrevKey", "0", &["KEY"]).unwrap(),
            "F.lag(F.col(\"PrevKey\"), 1, \"0\").over(Window.orderBy(F.col(\"KEY\")))"
        );
        assert!(previous_value_sql("PrevKey", "0", &[]).is_none());
    }

    fn state(expr: &str) -> State {
        let detail = TransformerDetail {
            stage_vars: vec![sv("A", "in.X"), sv("S", expr), sv("P", "in.K")],
            ..TransformerDetail::default()
        };
        analyse(&detail).vars[1].state.clone()
    }

    #[test]
    fn classifies_the_common_stateful_patterns() {
        // Counter and running totals, either operand order.
        for e in ["S + 1", "1 + S", "S + in.AMT", "S + A"] {
            let State::Scan(s) = state(e) else {
                panic!("{e}: {:?}", state(e))
            };
            assert!(s.reset.is_none() && s.step.is_some(), "{e}");
        }
        // Reset on a key change; either branch may hold the reset.
        let State::Scan(s) = state("If in.K <> P Then 1 Else S + 1") else {
            panic!()
        };
        assert_eq!(s.reset.as_ref().map(|r| r.1), Some(false));
        let State::Scan(s) = state("If in.K = P Then S + 1 Else 1") else {
            panic!()
        };
        assert_eq!(s.reset.as_ref().map(|r| r.1), Some(true));
        // Carried value and conditional counter.
        let State::Scan(s) = state("If in.FLAG = 1 Then in.X Else S") else {
            panic!()
        };
        assert!(s.step.is_none() && s.start.is_some());
        let State::Scan(s) = state("If in.FLAG = 1 Then S + 1 Else S") else {
            panic!()
        };
        assert!(s.reset.is_none() && matches!(s.step, Some((_, Some(_)))));
        // Irregular: the variable in the condition, twice in a branch, a product.
        for e in [
            "If S > 3 Then 1 Else S + 1",
            "S * 2",
            "S + S",
            "If in.F Then S + 1 Else S + 2",
        ] {
            assert!(matches!(state(e), State::Irregular(_)), "{e}");
        }
        assert_eq!(state("in.X * 2"), State::Row);
        assert_eq!(state(""), State::Constant);
    }

    #[test]
    fn initial_values() {
        let mut v = sv("S", "");
        v.initial_value = "\"abc\"".into();
        assert_eq!(initial_expr(&v).kind, ExprKind::Str("abc".into()));
        v.initial_value = String::new();
        v.sql_type = 4;
        assert_eq!(initial_expr(&v).kind, ExprKind::Num("0".into()));
        v.sql_type = 12;
        assert_eq!(initial_expr(&v).kind, ExprKind::Str(String::new()));
        v.initial_value = "in.X".into();
        assert_eq!(initial_expr(&v).kind, ExprKind::Str("in.X".into()));
    }
}
