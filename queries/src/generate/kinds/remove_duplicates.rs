//! Remove Duplicates (`PxRemDup`): one row per key. IBM: "Remove
//! Duplicates Stage" (https://www.ibm.com/docs/en/SSZJPZ_9.1.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/c_deeref_Remove_Duplicates_Stage.html):
//! rows are duplicates when adjacent in the sorted input with identical
//! key values; the stage keeps the first (default) or the last of each
//! group. Both targets keep the first / last per key in the incoming order
//! (approximate: DataStage's order is the partition's).

use std::collections::BTreeMap;

use super::{Kind, Rule, Sim};
use crate::expr::eval::Value;
use crate::expr::translate::pyspark::py_str;
use crate::expr::translate::sql::quote_ident;
use crate::generate::glue::stages::{finish, key_values, keys_of, simulate_rows_with};
use crate::generate::glue::values::Cell;
use crate::generate::glue::{Coverage, Gen, StageCode, Table, props};
use crate::generate::plan::PlanStage;
use crate::generate::sql::SqlGen;
use crate::generate::sql::stages::{alias, by_name, from_link, push, select, upstream_order};
use crate::ir::Link;

pub const KIND: Kind = Kind {
    types: &["RemoveDuplicates"],
    file: "generate/kinds/remove_duplicates.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Emit(sql),
    simulate: Sim::Rows(simulate),
};

/// `keep = last` (the default keeps the first row of each group).
fn keep_last(ps: &PlanStage) -> bool {
    props::text(&ps.stage.properties, "keep").is_some_and(|v| v.trim().eq_ignore_ascii_case("last"))
}

fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::glue::stages::placeholder(
            g,
            ps,
            "Remove Duplicates without input",
        );
    };
    let keys = keys_of(ps, "key");
    let last = keep_last(ps);
    let lines = [
        "    # First / last in the incoming order: the row number of each row".to_string(),
        format!(
            "    df = {}.withColumn(\"_dsmig_seq\", F.monotonically_increasing_id())",
            g.ident(input)
        ),
        format!(
            "    w = Window.partitionBy({}).orderBy(F.col(\"_dsmig_seq\").{})",
            keys.iter().map(|k| py_str(k)).collect::<Vec<_>>().join(", "),
            if last { "desc()" } else { "asc()" }
        ),
        "    df = df.withColumn(\"_dsmig_rank\", F.row_number().over(w)).filter(F.col(\"_dsmig_rank\") == 1)"
            .to_string(),
    ];
    let mut outs = Vec::new();
    let mut lines: Vec<String> = lines.to_vec();
    for (oi, l) in ps.outputs.iter().enumerate() {
        lines.push(format!("    out{oi} = df"));
        outs.push((*l, format!("out{oi}")));
    }
    g.warnings.push(format!(
        "{}: keep {} follows the DataFrame's current order; sort upstream if DataStage relied on a partition order",
        ps.stage.name,
        if last { "last" } else { "first" }
    ));
    finish(
        g,
        ps,
        &format!(
            "keep the {} row per {}.",
            if last { "last" } else { "first" },
            keys.join(", ")
        ),
        &lines,
        &outs,
        Coverage::Approximate,
    )
}

/// Remove Duplicates / Sort unique: the first (or last) row per key in
/// the incoming order; rows of a group that differ make the group's
/// cells unknown (the order is not guaranteed after a shuffle).
pub(crate) fn dedup(
    input: &Link,
    rows: &[Vec<Cell>],
    keys: &[String],
    last: bool,
) -> Option<Vec<Vec<Cell>>> {
    let mut groups: Vec<(Vec<Value>, Vec<&Vec<Cell>>)> = Vec::new();
    for r in rows {
        let k = key_values(input, r, keys)?;
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(r),
            None => groups.push((k, vec![r])),
        }
    }
    Some(
        groups
            .into_iter()
            .map(|(_, members)| {
                let pick = if last {
                    members[members.len() - 1]
                } else {
                    members[0]
                };
                pick.iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if members.iter().all(|m| m[i] == *c) {
                            c.clone()
                        } else {
                            None
                        }
                    })
                    .collect()
            })
            .collect(),
    )
}

fn sql(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::sql::stages::placeholder(g, ps, "Remove Duplicates without input");
    };
    let keys = keys_of(ps, "key");
    let last = keep_last(ps);
    let order = upstream_order(g, input);
    if order.is_empty() {
        g.warnings.push(format!(
            "{}: keep {} has no defined order in SQL (no Sort upstream); the key columns order the rows",
            ps.stage.name,
            if last { "last" } else { "first" }
        ));
    }
    for l in &ps.outputs {
        let cols = by_name(g, ps, l, true);
        let body = if keys.is_empty() {
            select(&cols, &from_link(g, input))
        } else {
            first_per_key(g, input, &cols, &keys, &order, last)
        };
        push(g, l, body);
    }
    Coverage::Approximate
}

/// The first (or last) row per key: ROW_NUMBER in a derived table (or
/// Teradata's QUALIFY). `order`: the upstream order, if known.
pub(crate) fn first_per_key(
    g: &SqlGen,
    input: &Link,
    cols: &[String],
    keys: &[String],
    order: &[(String, bool)],
    last: bool,
) -> String {
    let part = keys
        .iter()
        .map(|k| format!("x.{}", quote_ident(k)))
        .collect::<Vec<_>>()
        .join(", ");
    let ord = if order.is_empty() {
        part.clone()
    } else {
        order
            .iter()
            .map(|(k, desc)| {
                format!(
                    "x.{} {}",
                    quote_ident(k),
                    if *desc != last { "DESC" } else { "ASC" }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rn = format!("ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY {ord})");
    let outer: Vec<String> = cols.to_vec();
    if g.rules.qualify() {
        return format!(
            "{}\n    FROM (SELECT x.* FROM {} x QUALIFY {rn} = 1) {}",
            select(&outer, "").trim_end_matches("\n    FROM "),
            g.rel(input),
            alias(input)
        );
    }
    format!(
        "{}\n    WHERE {}.\"dsmig_rn\" = 1",
        select(
            &outer,
            &format!(
                "(SELECT x.*, {rn} AS \"dsmig_rn\" FROM {} x) {}",
                g.rel(input),
                alias(input)
            )
        ),
        alias(input)
    )
}

fn simulate(
    _g: &Gen,
    ps: &PlanStage,
    inputs: &[&Table],
    _params: &BTreeMap<String, Value>,
) -> Result<Vec<Table>, String> {
    Ok(simulate_rows_with(ps, inputs, |input, rows| {
        Ok(dedup(input, rows[0], &keys_of(ps, "key"), keep_last(ps)))
    }))
}
