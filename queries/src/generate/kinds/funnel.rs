//! Funnel: the union of the inputs (`PxFunnel`). IBM: "Funnel stage in
//! DataStage" (https://www.ibm.com/docs/en/cloud-paks/cp-data/5.4.x?topic=stages-funnel):
//! Continuous (the default) combines records in no guaranteed order,
//! Sequence takes the inputs one after another, Sort Funnel merges by keys;
//! the inputs' metadata must be identical. Both targets union by column
//! name; a funnel type other than continuous is approximate (the order).

use std::collections::BTreeMap;

use super::{Kind, Rule, Sim};
use crate::expr::eval::Value;
use crate::expr::translate::sql::quote_ident;
use crate::generate::glue::stages::{col_idx, finish, simulate_rows_with};
use crate::generate::glue::values::Cell;
use crate::generate::glue::{Coverage, Gen, StageCode, Table, props};
use crate::generate::plan::PlanStage;
use crate::generate::sql::SqlGen;
use crate::generate::sql::stages::{alias, from_link, push, select};

pub const KIND: Kind = Kind {
    types: &["Funnel"],
    file: "generate/kinds/funnel.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Emit(sql),
    simulate: Sim::Rows(simulate),
};

fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    if ps.inputs.is_empty() {
        return crate::generate::glue::stages::placeholder(g, ps, "Funnel without input");
    }
    let op = props::text(&ps.stage.properties, "operator")
        .or(props::text(&ps.stage.properties, "funnel_type"))
        .unwrap_or("continuous")
        .trim()
        .to_string();
    let first = g.ident(ps.inputs[0]).to_string();
    let mut lines = vec![format!("    columns = {first}.columns")];
    let mut expr = format!("{first}.select(columns)");
    for l in &ps.inputs[1..] {
        expr = format!("{expr}.unionByName({}.select(columns))", g.ident(l));
    }
    lines.push(format!("    df = {expr}"));
    let mut outs = Vec::new();
    for (oi, l) in ps.outputs.iter().enumerate() {
        lines.push(format!("    out{oi} = df"));
        outs.push((*l, format!("out{oi}")));
    }
    let coverage = if op == "continuous" {
        Coverage::Exact
    } else {
        Coverage::Approximate
    };
    finish(
        g,
        ps,
        &format!("union of the inputs by column name ({op} funnel)."),
        &lines,
        &outs,
        coverage,
    )
}

fn sql(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    if ps.inputs.is_empty() {
        return crate::generate::sql::stages::placeholder(g, ps, "Funnel without input");
    }
    for l in &ps.outputs {
        let mut parts = Vec::new();
        for input in &ps.inputs {
            let cols: Vec<String> = l
                .columns
                .iter()
                .map(|c| {
                    let code = match col_idx(input, &c.name) {
                        Some(j) => {
                            format!("{}.{}", alias(input), quote_ident(&input.columns[j].name))
                        }
                        None => "NULL".into(),
                    };
                    g.cast_as(&code, c)
                })
                .collect();
            parts.push(select(&cols, &from_link(g, input)));
        }
        push(g, l, parts.join("\n    UNION ALL\n    "));
    }
    let op = props::text(&ps.stage.properties, "operator")
        .or(props::text(&ps.stage.properties, "funnel_type"))
        .unwrap_or("continuous")
        .trim()
        .to_string();
    if op == "continuous" {
        Coverage::Exact
    } else {
        Coverage::Approximate
    }
}

fn simulate(
    _g: &Gen,
    ps: &PlanStage,
    inputs: &[&Table],
    _params: &BTreeMap<String, Value>,
) -> Result<Vec<Table>, String> {
    Ok(simulate_rows_with(ps, inputs, |input, rows| {
        // Union by name: per input, its rows mapped to the first's columns.
        let mut all = Vec::new();
        for (i, l) in ps.inputs.iter().enumerate() {
            for r in rows[i] {
                let cells: Vec<Cell> = input
                    .columns
                    .iter()
                    .map(|c| col_idx(l, &c.name).map_or(Some(Value::Null), |j| r[j].clone()))
                    .collect();
                all.push(cells);
            }
        }
        Ok(Some(all))
    }))
}
