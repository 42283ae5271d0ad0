//! Stage-variable semantics (reference §4.2 items 1-2): variables are
//! evaluated top to bottom for each row and keep their value between rows.
//! Reading a variable before it is assigned in the current row (itself, or
//! one defined further down) yields the PREVIOUS row's value. Such reads
//! are found here; when the variable read does not itself depend on a
//! previous row, its previous value is `LAG(<its value>)` over a known
//! order, otherwise the read is flagged for manual work (a running
//! accumulator needs `mapPartitions` or a recursive query).

use std::collections::BTreeSet;

use super::ast::ExprKind;
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

    /// Reads that cannot be expressed with `LAG`: the job needs manual work.
    pub fn flagged(&self) -> Vec<(&str, &PreviousRowRead)> {
        self.vars
            .iter()
            .flat_map(|v| {
                v.previous_row_reads
                    .iter()
                    .map(move |r| (v.name.as_str(), r))
            })
            .filter(|(_, r)| !r.lag_translatable)
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
    StageVarReport { vars }
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
        assert_eq!(r.flagged().len(), 1);
        assert!(r.needs_row_order());
        assert_eq!(
            previous_value_pyspark("PrevKey", "0", &["KEY"]).unwrap(),
            "F.lag(F.col(\"PrevKey\"), 1, \"0\").over(Window.orderBy(F.col(\"KEY\")))"
        );
        assert!(previous_value_sql("PrevKey", "0", &[]).is_none());
    }
}
