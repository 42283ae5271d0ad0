//! Sort (`PxSort`): the rows in key order, optionally one per key
//! (`unique`) and with key-change columns. IBM: "Sort stage in DataStage"
//! (https://www.ibm.com/docs/en/watsonx/wdi/saas?topic=stages-sort): the
//! first key is the primary one, later keys order rows with equal earlier
//! keys. On SQL a table has no order: the keys matter to the order-sensitive
//! stages downstream (`upstream_order`, `io::defined_order`).

use std::collections::BTreeMap;

use super::remove_duplicates::{dedup, first_per_key};
use super::{Kind, Rule, Sim};
use crate::escape::py_comment;
use crate::expr::eval::Value;
use crate::expr::translate::pyspark::py_str;
use crate::generate::glue::stages::{
    col_idx, conform_row, finish, key_values, list, simulate_rows_with, single_input,
};
use crate::generate::glue::values::Cell;
use crate::generate::glue::{Coverage, Gen, StageCode, Table, props};
use crate::generate::plan::PlanStage;
use crate::generate::sql::SqlGen;
use crate::generate::sql::stages::{by_name, from_link, push, select};

pub const KIND: Kind = Kind {
    types: &["Sort"],
    file: "generate/kinds/sort.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Emit(sql),
    simulate: Sim::Rows(simulate),
};

/// One `key` entry of a Sort stage.
pub(crate) struct SortKey {
    pub(crate) name: String,
    pub(crate) desc: bool,
    /// `sorted\clustered` set to `sorted` or `clustered`: the key's mode is
    /// Don't Sort (Previously Sorted / Grouped). The sub-option name is
    /// seen in real exports (always blank there); its two values are
    /// assumed from the OSH tsort options.
    presorted: bool,
}

pub(crate) fn sort_keys(ps: &PlanStage) -> Vec<SortKey> {
    // One reader of every direction spelling (`stages::sort`); a direction
    // it does not know is a guess there, and the stage a placeholder.
    crate::stages::sort::keys(&ps.stage.properties)
        .into_iter()
        .map(|k| SortKey {
            name: k.name,
            desc: k.desc,
            presorted: k.presorted,
        })
        .collect()
}

/// Key-change columns a Sort stage adds: (column name, its group keys).
/// `flagKey` / `flagCluster` are the property names of real exports (off in
/// all of them); `createKeyChangeColumn` / `createClusterKeyChangeColumn`
/// (the Designer's labels) are accepted too, unverified. IBM
/// documents the columns: `keyChange` is 1 on the first row of each group
/// of equal sort keys, `clusterKeyChange` 1 on the first row of each group
/// of the keys in a Don't Sort (previously sorted / grouped) mode, 0 on
/// the other rows. The output link's spelling of the name wins.
pub(crate) fn key_change_columns(ps: &PlanStage) -> Vec<(String, Vec<String>)> {
    let keys = sort_keys(ps);
    let named = |default: &str| {
        ps.outputs
            .iter()
            .flat_map(|l| l.columns.iter())
            .find(|c| c.name.eq_ignore_ascii_case(default))
            .map_or(default.to_string(), |c| c.name.clone())
    };
    let mut v = Vec::new();
    let on = |names: &[&str]| names.iter().any(|n| props::flag(&ps.stage.properties, n));
    if on(&["flagKey", "createKeyChangeColumn"]) {
        v.push((
            named("keyChange"),
            keys.iter().map(|k| k.name.clone()).collect(),
        ));
    }
    if on(&["flagCluster", "createClusterKeyChangeColumn"]) {
        v.push((
            named("clusterKeyChange"),
            keys.iter()
                .filter(|k| k.presorted)
                .map(|k| k.name.clone())
                .collect(),
        ));
    }
    v
}

fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::glue::stages::placeholder(g, ps, "Sort without input");
    };
    let keys = sort_keys(ps);
    let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    let mut order: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "F.col({}).{}",
                py_str(&k.name),
                if k.desc {
                    "desc_nulls_last()"
                } else {
                    "asc_nulls_first()"
                }
            )
        })
        .collect();
    let unique = props::flag(&ps.stage.properties, "unique");
    let mut coverage = Coverage::Exact;
    let mut lines = Vec::new();
    if unique {
        lines.push(format!(
            "    # unique: keep the first row of each key\n    df = {}.dropDuplicates({})",
            g.ident(input),
            list(&names)
        ));
    } else {
        lines.push(format!("    df = {}", g.ident(input)));
    }
    let flags = key_change_columns(ps);
    if !flags.is_empty() {
        // The first row of a group is the first in the stable sort order,
        // that is the first of the group in the incoming order.
        lines
            .push("    df = df.withColumn(\"_dsmig_seq\", F.monotonically_increasing_id())".into());
        for (column, group) in &flags {
            if group.is_empty() {
                g.warnings.push(format!(
                    "{}: {column} without keys to group on: 1 on every row",
                    ps.stage.name
                ));
                lines.push(format!(
                    "    df = df.withColumn({}, F.lit(1))",
                    py_str(column)
                ));
                continue;
            }
            if column.eq_ignore_ascii_case("clusterKeyChange") {
                // Groups of previously sorted keys are assumed contiguous,
                // as DataStage requires of its input.
                coverage = Coverage::Approximate;
            }
            lines.push(format!(
                "    # {}: 1 on the first row of each group of {}, else 0\n    w = Window.partitionBy({}).orderBy(\"_dsmig_seq\")\n    df = df.withColumn({}, F.when(F.row_number().over(w) == 1, F.lit(1)).otherwise(F.lit(0)))",
                py_comment(column),
                py_comment(&group.join(", ")),
                group.iter().map(|k| py_str(k)).collect::<Vec<_>>().join(", "),
                py_str(column)
            ));
        }
        order.push("F.col(\"_dsmig_seq\")".into());
    }
    if order.is_empty() {
        g.warnings.push(format!(
            "{}: Sort without key columns; rows left in their order",
            ps.stage.name
        ));
    } else {
        lines.push(format!("    df = df.orderBy({})", order.join(", ")));
    }
    if !flags.is_empty() {
        lines.push("    df = df.drop(\"_dsmig_seq\")".into());
    }
    let mut outs = Vec::new();
    for (oi, l) in ps.outputs.iter().enumerate() {
        lines.push(format!("    out{oi} = df"));
        outs.push((*l, format!("out{oi}")));
    }
    finish(
        g,
        ps,
        &format!(
            "order by the keys (the order only matters to order-sensitive stages downstream){}.",
            if flags.is_empty() {
                String::new()
            } else {
                format!(
                    "; key-change columns {}",
                    flags
                        .iter()
                        .map(|(c, _)| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
        &lines,
        &outs,
        coverage,
    )
}

/// A Sort with key-change columns: the rows of the plain sort, each with
/// its flags. Which row of a group comes first depends on the incoming
/// order, which is not predicted: a group whose rows differ gets unknown
/// flags (the row count is still checked).
pub(crate) fn simulate_sort(ps: &PlanStage, inputs: &[&Table]) -> Vec<Table> {
    let n = ps.outputs.len();
    let (input, rows) = match single_input(ps, inputs) {
        Ok(x) => x,
        Err(t) => return t,
    };
    let names: Vec<String> = sort_keys(ps).into_iter().map(|k| k.name).collect();
    let base = if props::flag(&ps.stage.properties, "unique") {
        crate::generate::kinds::remove_duplicates::dedup(input, rows, &names, false)
    } else {
        Some(rows.clone())
    };
    let Some(base) = base else {
        return vec![Table::unknown("unknown keys"); n];
    };
    let flags = key_change_columns(ps);
    // Per flag, per row: 1 / 0, or None when order-dependent.
    let mut values: Vec<Vec<Cell>> = Vec::new();
    for (_, group) in &flags {
        let mut groups: Vec<(Vec<Value>, Vec<usize>)> = Vec::new();
        for (i, r) in base.iter().enumerate() {
            let Some(k) = key_values(input, r, group) else {
                return vec![Table::unknown("unknown sort key"); n];
            };
            match groups.iter_mut().find(|(g, _)| *g == k) {
                Some((_, v)) => v.push(i),
                None => groups.push((k, vec![i])),
            }
        }
        let mut col = vec![None; base.len()];
        for (_, members) in &groups {
            let same = members.iter().all(|i| base[*i] == base[members[0]]);
            for (pos, i) in members.iter().enumerate() {
                col[*i] = same.then(|| Value::Int(i64::from(pos == 0)));
            }
        }
        values.push(col);
    }
    ps.outputs
        .iter()
        .map(|l| {
            Table::known(
                base.iter()
                    .enumerate()
                    .map(|(ri, r)| {
                        let cells = l
                            .columns
                            .iter()
                            .map(|c| {
                                if let Some(fi) = flags
                                    .iter()
                                    .position(|(name, _)| name.eq_ignore_ascii_case(&c.name))
                                {
                                    return values[fi][ri].clone();
                                }
                                col_idx(input, &c.name).map_or(Some(Value::Null), |i| r[i].clone())
                            })
                            .collect();
                        conform_row(l, cells)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Sort keys of a stage: (column, descending), every direction spelling
/// read by `stages::sort` (an unknown one is a guess there).
pub(crate) fn order_keys(ps: &PlanStage) -> Vec<(String, bool)> {
    crate::stages::sort::keys(&ps.stage.properties)
        .into_iter()
        .map(|k| (k.name, k.desc))
        .collect()
}

fn sql(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return crate::generate::sql::stages::placeholder(g, ps, "Sort without input");
    };
    let keys = order_keys(ps);
    let unique = props::flag(&ps.stage.properties, "unique");
    let mut coverage = Coverage::Exact;
    if props::flag(&ps.stage.properties, "flagKey")
        || props::flag(&ps.stage.properties, "flagCluster")
    {
        g.todo(
            ps.stage.name.clone(),
            "key-change column (flagKey / flagCluster) not generated".into(),
        );
        coverage = Coverage::Approximate;
    }
    for l in &ps.outputs {
        let cols = by_name(g, ps, l, true);
        let body = if unique && !keys.is_empty() {
            let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
            first_per_key(g, input, &cols, &names, &keys, false)
        } else {
            // Rows of a table have no order: the sort matters only to the
            // order-sensitive stages downstream, which take its keys.
            select(&cols, &from_link(g, input))
        };
        push(g, l, body);
    }
    coverage
}

fn simulate(
    _g: &Gen,
    ps: &PlanStage,
    inputs: &[&Table],
    _params: &BTreeMap<String, Value>,
) -> Result<Vec<Table>, String> {
    if !key_change_columns(ps).is_empty() {
        return Ok(simulate_sort(ps, inputs));
    }
    Ok(simulate_rows_with(ps, inputs, |input, rows| {
        Ok(if props::flag(&ps.stage.properties, "unique") {
            let mut names = Vec::new();
            for n in props::tree(&ps.stage.properties, "key") {
                names.push(n.value.trim().to_string());
            }
            dedup(input, rows[0], &names, false)
        } else {
            Some(rows[0].clone())
        })
    }))
}
