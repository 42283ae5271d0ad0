//! Join (`PxJoin`): inner / left / right / full outer join on key columns.
//! IBM: "Join stage in DataStage"
//! (https://www.ibm.com/docs/en/cloud-paks/cp-data/5.4.x?topic=stages-join):
//! Inner keeps the rows whose keys are equal; Left / Right outer keep every
//! row of that side (the other's columns only where keys match); Full
//! outer keeps both. The SQL emitter also serves Merge (`merge = true`).

use super::{Kind, Rule, Sim};
use crate::expr::eval::Value;
use crate::expr::translate::pyspark::py_str;
use crate::expr::translate::sql::quote_ident;
use crate::generate::glue::stages::{
    col_idx, conform_row, equal, finish, key_values, keys_of, known_rows, list, map_column,
    source_of,
};
use crate::generate::glue::values::Cell;
use crate::generate::glue::{Coverage, Gen, StageCode, Table, props};
use crate::generate::plan::PlanStage;
use crate::generate::sql::SqlGen;
use crate::generate::sql::stages::{
    alias, empty_relation, from_link, map, push, select, source_column,
};
use crate::ir::LinkKind;

pub const KIND: Kind = Kind {
    types: &["Join"],
    file: "generate/kinds/join.rs",
    glue: Rule::Emit(glue),
    sql: Rule::Emit(|g, ps| sql(g, ps, false)),
    simulate: Sim::Rows(|_, ps, inputs, _| Ok(simulate(ps, inputs))),
};

pub(crate) fn join_how(op: &str) -> &'static str {
    match op.trim().to_ascii_lowercase().as_str() {
        "leftouterjoin" | "leftouter" | "left" => "left",
        "rightouterjoin" | "rightouter" | "right" => "right",
        "fullouterjoin" | "fullouter" | "full" => "full",
        _ => "inner",
    }
}

fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let op = props::text(&ps.stage.properties, "operator").unwrap_or("innerjoin");
    let how = join_how(op);
    let keys = keys_of(ps, "key");
    let mut lines = Vec::new();
    if ps.inputs.len() < 2 {
        return crate::generate::glue::stages::placeholder(
            g,
            ps,
            "Join with fewer than two inputs",
        );
    }
    lines.push(format!("    keys = {}", list(&keys)));
    lines.push(format!(
        "    df = {}.alias({})",
        g.ident(ps.inputs[0]),
        py_str(&ps.inputs[0].name)
    ));
    for l in &ps.inputs[1..] {
        lines.push(format!(
            "    df = df.join({}.alias({}), on=keys, how={})",
            g.ident(l),
            py_str(&l.name),
            py_str(how)
        ));
    }
    let mut outs = Vec::new();
    for (oi, l) in ps.outputs.iter().enumerate() {
        let var = format!("out{oi}");
        let mut cols = Vec::new();
        for c in &l.columns {
            let code = if keys.iter().any(|k| k.eq_ignore_ascii_case(&c.name)) {
                format!("F.col({})", py_str(&c.name))
            } else {
                match source_of(ps, c) {
                    Some((i, j)) => format!(
                        "F.col({})",
                        py_str(&format!(
                            "{}.{}",
                            ps.inputs[i].name, ps.inputs[i].columns[j].name
                        ))
                    ),
                    None => {
                        g.warnings.push(format!(
                            "{} / {}.{}: no input column of that name; NULL",
                            ps.stage.name, l.name, c.name
                        ));
                        "F.lit(None)".into()
                    }
                }
            };
            map_column(g, ps, l, c, &code);
            cols.push(format!("        {code}.alias({}),", py_str(&c.name)));
        }
        lines.push(format!(
            "    {var} = df.select(\n{}\n    )",
            cols.join("\n")
        ));
        outs.push((*l, var));
    }
    finish(
        g,
        ps,
        &format!("{how} join on {}.", keys.join(", ")),
        &lines,
        &outs,
        Coverage::Exact,
    )
}

pub(crate) fn keys_match(a: &[Value], b: &[Value]) -> Option<bool> {
    for (x, y) in a.iter().zip(b) {
        if x.is_null() || y.is_null() {
            return Some(false);
        }
        if !equal(x, y)? {
            return Some(false);
        }
    }
    Some(true)
}

fn simulate(ps: &PlanStage, inputs: &[&Table]) -> Vec<Table> {
    let n = ps.outputs.len();
    let rows = match known_rows(inputs) {
        Ok(r) => r,
        Err(t) => return vec![t; n],
    };
    if ps.inputs.len() < 2 {
        return vec![Table::unknown("join inputs"); n];
    }
    let how = join_how(props::text(&ps.stage.properties, "operator").unwrap_or("innerjoin"));
    let keys = keys_of(ps, "key");
    // A joined row: per input, its row (None = no partner).
    let mut acc: Vec<Vec<Option<&Vec<Cell>>>> = rows[0].iter().map(|r| vec![Some(r)]).collect();
    // Keys of an accumulated row: Spark USING semantics (coalesce for full).
    let key_of = |row: &Vec<Option<&Vec<Cell>>>| -> Option<Vec<Value>> {
        let mut out = Vec::new();
        for k in &keys {
            let mut v = Value::Null;
            for (i, r) in row.iter().enumerate() {
                if let Some(r) = r {
                    let c = col_idx(ps.inputs[i], k)?;
                    let x = r[c].clone()?;
                    if !x.is_null() {
                        v = x;
                        break;
                    }
                }
            }
            out.push(v);
        }
        Some(out)
    };
    for (li, rrows) in rows.iter().enumerate().skip(1) {
        let rl = ps.inputs[li];
        let mut next: Vec<Vec<Option<&Vec<Cell>>>> = Vec::new();
        let mut right_used = vec![false; rrows.len()];
        for a in &acc {
            let Some(ka) = key_of(a) else {
                return vec![Table::unknown("unknown join key"); n];
            };
            let mut any = false;
            for (ri, r) in rrows.iter().enumerate() {
                let Some(kb) = key_values(rl, r, &keys) else {
                    return vec![Table::unknown("unknown join key"); n];
                };
                match keys_match(&ka, &kb) {
                    Some(true) => {
                        any = true;
                        right_used[ri] = true;
                        let mut row = a.clone();
                        row.push(Some(r));
                        next.push(row);
                    }
                    Some(false) => {}
                    None => return vec![Table::unknown("join key comparison"); n],
                }
            }
            if !any && (how == "left" || how == "full") {
                let mut row = a.clone();
                row.push(None);
                next.push(row);
            }
        }
        if how == "right" || how == "full" {
            for (ri, r) in rrows.iter().enumerate() {
                if !right_used[ri] {
                    let mut row: Vec<Option<&Vec<Cell>>> = vec![None; li];
                    row.push(Some(r));
                    next.push(row);
                }
            }
        }
        acc = next;
    }
    let mut out = Vec::new();
    for l in &ps.outputs {
        let mut rows_out = Vec::new();
        for a in &acc {
            let ka = key_of(a).unwrap_or_default();
            let cells: Vec<Cell> = l
                .columns
                .iter()
                .map(|c| {
                    if let Some(k) = keys.iter().position(|k| k.eq_ignore_ascii_case(&c.name)) {
                        return ka.get(k).cloned();
                    }
                    match source_of(ps, c) {
                        Some((i, j)) => match a.get(i).copied().flatten() {
                            Some(r) => r[j].clone(),
                            None => Some(Value::Null),
                        },
                        None => Some(Value::Null),
                    }
                })
                .collect();
            rows_out.push(conform_row(l, cells));
        }
        out.push(Table::known(rows_out));
    }
    out
}

pub(crate) fn sql(g: &mut SqlGen, ps: &PlanStage, merge: bool) -> Coverage {
    if ps.inputs.len() < 2 {
        return crate::generate::sql::stages::placeholder(
            g,
            ps,
            "Join / Merge with fewer than two inputs",
        );
    }
    let keys = keys_of(ps, "key");
    let (how, coverage) = if merge {
        let keep = !props::text(&ps.stage.properties, "dropBadMasters")
            .is_some_and(|v| v.contains("drop"));
        (if keep { "left" } else { "inner" }, Coverage::Approximate)
    } else {
        let op = props::text(&ps.stage.properties, "operator").unwrap_or("innerjoin");
        (join_how(op), Coverage::Exact)
    };
    let kw = match how {
        "left" => "LEFT JOIN",
        "right" => "RIGHT JOIN",
        "full" => "FULL JOIN",
        _ => "INNER JOIN",
    };
    let key_ref = |k: &str, upto: usize| -> String {
        let refs: Vec<String> = ps.inputs[..upto]
            .iter()
            .filter(|l| col_idx(l, k).is_some())
            .map(|l| format!("{}.{}", alias(l), quote_ident(k)))
            .collect();
        match (how, refs.len()) {
            (_, 0) => "NULL".to_string(),
            ("full", n) if n > 1 => format!("COALESCE({})", refs.join(", ")),
            ("right", _) => refs[refs.len() - 1].clone(),
            _ => refs[0].clone(),
        }
    };
    let mut from = from_link(g, ps.inputs[0]);
    for (i, l) in ps.inputs.iter().enumerate().skip(1) {
        let on: Vec<String> = keys
            .iter()
            .map(|k| format!("{} = {}.{}", key_ref(k, i), alias(l), quote_ident(k)))
            .collect();
        from.push_str(&format!(
            "\n    {kw} {}\n        ON {}",
            from_link(g, l),
            if on.is_empty() {
                "1 = 1".to_string()
            } else {
                on.join(" AND ")
            }
        ));
    }
    if keys.is_empty() {
        g.todo(
            ps.stage.name.clone(),
            "join without key columns: joined on nothing (cross join)".into(),
        );
    }
    for l in &ps.outputs {
        if l.kind == LinkKind::Reject {
            let body = empty_relation(g, l);
            push(g, l, body);
            continue;
        }
        let mut cols = Vec::new();
        for c in &l.columns {
            let code = if keys.iter().any(|k| k.eq_ignore_ascii_case(&c.name)) {
                let k = keys
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(&c.name))
                    .cloned()
                    .unwrap_or_default();
                key_ref(&k, ps.inputs.len())
            } else {
                source_column(g, ps, l, c, true)
            };
            map(g, ps, l, c, &code);
            cols.push(g.cast_as(&code, c));
        }
        let body = select(&cols, &from);
        push(g, l, body);
    }
    coverage
}
