//! Head, Tail and Sample: the first / last N rows of the input, or a
//! random sample. IBM: "Head stage in DataStage"
//! (https://www.ibm.com/docs/en/cloud-paks/cp-data/5.4.x?topic=stages-head):
//! the first N rows of each partition, N defaulting to ten (the Tail stage
//! the same from the end; the Sample stage selects rows by a random
//! number generator). Both targets count over the whole data set, so the
//! translation is approximate; the simulation predicts rows only when the
//! input has no more than N.

use std::collections::BTreeMap;

use super::{Kind, Rule, Sim};
use crate::expr::eval::Value;
use crate::expr::translate::sql::quote_ident;
use crate::generate::glue::stages::{finish, simulate_rows_with};
use crate::generate::glue::{Coverage, Gen, StageCode, Table, props};
use crate::generate::plan::PlanStage;
use crate::generate::sql::SqlGen;
use crate::generate::sql::stages::{alias, by_name, from_link, push, select};

pub const KIND: Kind = Kind {
    types: &["Head", "Tail"],
    file: "generate/kinds/head_tail.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Emit(sql),
    simulate: Sim::Rows(simulate),
};

/// Sample has no SQL rule: a random sample is not the rows DataStage wrote.
pub const SAMPLE: Kind = Kind {
    types: &["Sample"],
    file: "generate/kinds/head_tail.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Missing,
    simulate: Sim::Rows(simulate),
};

/// The number of rows (`nrecs`, default 10).
fn nrecs(ps: &PlanStage) -> usize {
    props::text(&ps.stage.properties, "nrecs")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(10)
}

fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let t = ps.stage.stage_type.as_str();
    let Some(input) = ps.inputs.first() else {
        return crate::generate::glue::stages::placeholder(g, ps, "no input");
    };
    let nrecs = nrecs(ps);
    let code = match t {
        "Head" => format!("{}.limit({nrecs})", g.ident(input)),
        // The last rows, given back in their order (a Sort upstream: its
        // order, which monotonically_increasing_id follows).
        "Tail" => format!(
            "{}.withColumn(\"_dsmig_seq\", F.monotonically_increasing_id()).orderBy(F.col(\"_dsmig_seq\").desc()).limit({nrecs}).orderBy(\"_dsmig_seq\").drop(\"_dsmig_seq\")",
            g.ident(input)
        ),
        _ => {
            let pct: f64 = props::text(&ps.stage.properties, "percent")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(10.0);
            format!("{}.sample(fraction={})", g.ident(input), pct / 100.0)
        }
    };
    let mut lines = vec![format!("    df = {code}")];
    let mut outs = Vec::new();
    for (oi, l) in ps.outputs.iter().enumerate() {
        lines.push(format!("    out{oi} = df"));
        outs.push((*l, format!("out{oi}")));
    }
    finish(
        g,
        ps,
        &format!(
            "{t} of the rows (DataStage counts per partition; here over the whole DataFrame)."
        ),
        &lines,
        &outs,
        Coverage::Approximate,
    )
}

/// Head / Tail: the first / last `nrecs` rows. Where the input's order is
/// defined (a Sort upstream, see `io::defined_order`) the rows are
/// numbered in that order (reversed for Tail) and the first `n` kept, in
/// every dialect (no `TOP` / `FETCH FIRST` without `ORDER BY`). Without a
/// defined order a table has no first or last rows: Head keeps any `n`
/// (as DataStage's unsorted Head does), Tail stops the script.
fn sql(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::sql::stages::placeholder(g, ps, "no input");
    };
    let tail = ps.stage.stage_type == "Tail";
    let n = nrecs(ps) as u64;
    let order = crate::generate::glue::io::defined_order(&g.plan, input);
    if order.is_empty() && tail {
        return crate::generate::sql::stages::placeholder(
            g,
            ps,
            "Tail of rows in no defined order (no Sort upstream): a table has no last rows",
        );
    }
    g.warnings.push(format!(
        "{}: {} {n} rows {} (DataStage counts per partition)",
        ps.stage.name,
        ps.stage.stage_type,
        if order.is_empty() {
            "of an unordered table"
        } else {
            "in the order of the upstream Sort"
        }
    ));
    for l in &ps.outputs {
        let cols = by_name(g, ps, l, true);
        let body = if order.is_empty() {
            g.rules.limit(&select(&cols, &from_link(g, input)), n)
        } else {
            let keys: Vec<String> = order
                .iter()
                .map(|(k, desc)| {
                    g.rules
                        .order_key(&format!("x.{}", quote_ident(k)), *desc != tail)
                })
                .collect();
            format!(
                "{}\n    WHERE {}.\"dsmig_rn\" <= {n}",
                select(
                    &cols,
                    &format!(
                        "(SELECT x.*, ROW_NUMBER() OVER (ORDER BY {}) AS \"dsmig_rn\" FROM {} x) {}",
                        keys.join(", "),
                        g.rel(input),
                        alias(input)
                    )
                ),
                alias(input)
            )
        };
        push(g, l, body);
    }
    Coverage::Approximate
}

fn simulate(
    _g: &Gen,
    ps: &PlanStage,
    inputs: &[&Table],
    _params: &BTreeMap<String, Value>,
) -> Result<Vec<Table>, String> {
    let sample = ps.stage.stage_type == "Sample";
    Ok(simulate_rows_with(ps, inputs, |_, rows| {
        if sample {
            return Err(Table::unknown("sampling is random"));
        }
        if rows[0].len() <= nrecs(ps) {
            Ok(Some(rows[0].clone()))
        } else {
            Err(Table::unknown(
                "which rows Head/Tail keeps depends on the order",
            ))
        }
    }))
}
