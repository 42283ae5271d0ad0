//! Filter (`PxFilter`): rows routed to the outputs whose Where clause they
//! satisfy. IBM: "Filter stage: Stage tab (DataStage)"
//! (https://www.ibm.com/docs/en/watsonx/wdi/saas?topic=f-stage-tab): each
//! Where clause names its output link; "Output rows only once" sends a
//! row down the first clause it satisfies only; "Output rejects" sends the
//! rows that satisfy none to the reject link. The clauses ([`clauses`]) are
//! read once for both targets and the simulation.

use super::{Kind, Rule, Sim};
use crate::escape::py_comment;
use crate::expr::eval::{Env, eval};
use crate::expr::translate::pyspark::py_str;
use crate::expr::translate::sql::quote_ident;
use crate::expr::{Expr, parse};
use crate::generate::glue::stages::{finish, project, single_input, truthy};
use crate::generate::glue::values::Cell;
use crate::generate::glue::{Coverage, Gen, StageCode, Table, props};
use crate::generate::plan::PlanStage;
use crate::generate::sql::SqlGen;
use crate::generate::sql::stages::{by_name, from_link, holds, push, select};
use crate::ir::{Link, LinkKind};

pub const KIND: Kind = Kind {
    types: &["Filter"],
    file: "generate/kinds/filter.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Emit(sql),
    simulate: Sim::Rows(|_, ps, inputs, _| Ok(simulate(ps, inputs))),
};

pub(crate) struct Clause {
    pub(crate) text: String,
    pub(crate) target: Option<usize>,
}

pub(crate) fn clauses(ps: &PlanStage) -> Vec<Clause> {
    props::tree(&ps.stage.properties, "where")
        .into_iter()
        .filter(|n| n.name.trim().eq_ignore_ascii_case("where"))
        .map(|n| Clause {
            text: n.value.trim().to_string(),
            target: props::child(n, "target").and_then(|t| t.parse().ok()),
        })
        .collect()
}

fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::glue::stages::placeholder(g, ps, "Filter without input");
    };
    let first = props::flag(&ps.stage.properties, "first");
    let cl = clauses(ps);
    let data_outs: Vec<&Link> = ps
        .outputs
        .iter()
        .filter(|l| l.kind != LinkKind::Reject)
        .copied()
        .collect();
    let mut lines = vec![format!("    df = {}", g.ident(input))];
    let mut conds = Vec::new();
    for (i, c) in cl.iter().enumerate() {
        lines.push(format!(
            "    w{i} = F.coalesce(F.expr({}), F.lit(False))",
            py_str(&c.text)
        ));
        conds.push(format!("w{i}"));
    }
    let mut outs = Vec::new();
    for (oi, l) in ps.outputs.iter().enumerate() {
        let var = format!("out{oi}");
        if l.kind == LinkKind::Reject {
            let cond = if conds.is_empty() {
                "F.lit(False)".to_string()
            } else {
                format!("~({})", conds.join(" | "))
            };
            lines.push(format!(
                "    # Reject link {}: rows no clause took\n    {var} = df.filter({cond})",
                py_comment(&l.name)
            ));
        } else {
            let k = data_outs.iter().position(|x| x.id == l.id).unwrap_or(0);
            let mine: Vec<usize> = cl
                .iter()
                .enumerate()
                .filter(|(i, c)| c.target.unwrap_or(*i) == k)
                .map(|(i, _)| i)
                .collect();
            let cond = if mine.is_empty() {
                "F.lit(False)".to_string()
            } else {
                mine.iter()
                    .map(|i| {
                        if first && *i > 0 {
                            format!(
                                "(w{i} & ~({}))",
                                (0..*i)
                                    .map(|j| format!("w{j}"))
                                    .collect::<Vec<_>>()
                                    .join(" | ")
                            )
                        } else {
                            format!("w{i}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            lines.push(format!(
                "    # Output link {}\n    {var} = df.filter({cond})",
                py_comment(&l.name)
            ));
        }
        outs.push((*l, var));
    }
    finish(
        g,
        ps,
        "WHERE clauses routed to the outputs (Spark SQL syntax).",
        &lines,
        &outs,
        Coverage::Exact,
    )
}

fn simulate(ps: &PlanStage, inputs: &[&Table]) -> Vec<Table> {
    let n = ps.outputs.len();
    let (input, rows) = match single_input(ps, inputs) {
        Ok(x) => x,
        Err(t) => return t,
    };
    let first = props::flag(&ps.stage.properties, "first");
    let cl = clauses(ps);
    let Some(exprs): Option<Vec<Expr>> = cl.iter().map(|c| parse(&c.text).ok()).collect() else {
        return vec![Table::unknown("where clause not understood"); n];
    };
    let data_outs: Vec<&Link> = ps
        .outputs
        .iter()
        .filter(|l| l.kind != LinkKind::Reject)
        .copied()
        .collect();
    let mut out: Vec<Vec<Vec<Cell>>> = vec![Vec::new(); n];
    for r in rows {
        let mut env = Env::new();
        for (c, v) in input.columns.iter().zip(r) {
            if let Some(v) = v {
                env.vars.insert(c.name.clone(), v.clone());
            }
        }
        let mut hits = Vec::new();
        for e in &exprs {
            match eval(e, &env).ok().and_then(|v| truthy(&v)) {
                Some(b) => hits.push(b),
                None => return vec![Table::unknown("where clause not computable"); n],
            }
        }
        let mut any = false;
        for (i, h) in hits.iter().enumerate() {
            if !*h || (first && any) {
                continue;
            }
            any = true;
            let k = cl[i].target.unwrap_or(i);
            if let Some(l) = data_outs.get(k)
                && let Some(oi) = ps.outputs.iter().position(|x| x.id == l.id)
            {
                out[oi].push(project(input, r, l));
            }
        }
        if !any {
            for (oi, l) in ps.outputs.iter().enumerate() {
                if l.kind == LinkKind::Reject {
                    out[oi].push(project(input, r, l));
                }
            }
        }
    }
    out.into_iter().map(Table::known).collect()
}

fn sql(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::sql::stages::placeholder(g, ps, "Filter without input");
    };
    let first = props::flag(&ps.stage.properties, "first");
    let cl = clauses(ps);
    let conds: Vec<String> = cl
        .iter()
        .map(|c| holds(&format!("({})", quote_columns(&c.text, input))))
        .collect();
    let data_outs: Vec<&Link> = ps
        .outputs
        .iter()
        .filter(|l| l.kind != LinkKind::Reject)
        .copied()
        .collect();
    for l in &ps.outputs {
        let cond = if l.kind == LinkKind::Reject {
            if conds.is_empty() {
                "1 = 1".to_string()
            } else {
                format!(
                    "NOT ({})",
                    conds
                        .iter()
                        .map(|c| format!("({c})"))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                )
            }
        } else {
            let k = data_outs.iter().position(|x| x.id == l.id).unwrap_or(0);
            let mine: Vec<String> = cl
                .iter()
                .enumerate()
                .filter(|(i, c)| c.target.unwrap_or(*i) == k)
                .map(|(i, _)| {
                    if first && i > 0 {
                        format!(
                            "(({}) AND NOT ({}))",
                            conds[i],
                            conds[..i]
                                .iter()
                                .map(|c| format!("({c})"))
                                .collect::<Vec<_>>()
                                .join(" OR ")
                        )
                    } else {
                        format!("({})", conds[i])
                    }
                })
                .collect();
            if mine.is_empty() {
                "1 = 0".to_string()
            } else {
                mine.join(" OR ")
            }
        };
        let cols = by_name(g, ps, l, true);
        let body = format!("{}\n    WHERE {cond}", select(&cols, &from_link(g, input)));
        push(g, l, body);
    }
    Coverage::Exact
}

/// A Filter clause with the input's column names quoted as they were
/// created (the clause is SQL already; unquoted names would fold case).
pub(crate) fn quote_columns(clause: &str, input: &Link) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let mut in_str = false;
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            match input
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(word))
            {
                Some(c) => out.push_str(&quote_ident(&c.name)),
                None => out.push_str(word),
            }
            word.clear();
        }
    };
    for ch in clause.chars() {
        if in_str {
            out.push(ch);
            if ch == '\'' {
                in_str = false;
            }
            continue;
        }
        if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
            continue;
        }
        flush(&mut word, &mut out);
        if ch == '\'' {
            in_str = true;
        }
        out.push(ch);
    }
    flush(&mut word, &mut out);
    out
}
