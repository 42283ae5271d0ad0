//! The generated pytest file of a job: sample input rows from the source
//! columns (types, nullability, keys; NULLs, empty strings, edge values),
//! expected output rows computed here by simulating the job (the
//! reference evaluator for derivations and constraints, the stage
//! semantics for joins, lookups, aggregates, sorts, dedups).

use crate::escape::py_comment;
use std::collections::BTreeMap;

use super::io::{FieldLayout, field_layouts};
use super::stages::{self, DAYS};
use super::values::{
    Cell, SAMPLE_ROWS_MAIN, SAMPLE_ROWS_OTHER, py_literal, py_value, sample, spark_type,
};
use super::{Expected, Gen, Table, is_io, script_params, test_param_value};
use crate::expr::eval::Value;
use crate::expr::translate::pyspark::py_str;
use crate::generate::templates::Templates;
use crate::ir::Link;

/// A sample input: (link key, columns (name, Spark type), rows).
pub type SampleInput = (String, Vec<(String, String)>, Vec<Vec<Value>>);

pub struct Fixture {
    pub inputs: Vec<SampleInput>,
    /// DataStage parameter name → test value.
    pub params: BTreeMap<String, Value>,
    pub expected: Expected,
}

fn columns(l: &Link) -> Vec<(String, String)> {
    l.columns
        .iter()
        .map(|c| (c.name.clone(), spark_type(c)))
        .collect()
}

pub fn build(g: &Gen) -> Fixture {
    let mut params = BTreeMap::new();
    for (ds, _, ty, default) in script_params(g.job) {
        params.insert(ds.clone(), test_param_value(ty, &default, &ds));
    }
    // Parameters the script does not resolve ($ENV, sets) still have a
    // value in tests: a string.
    for p in &g.job.parameters {
        params
            .entry(p.name.clone())
            .or_insert_with(|| Value::Str(format!("test_{}", p.name.to_ascii_lowercase())));
    }
    let mut frames: BTreeMap<String, Table> = BTreeMap::new();
    let mut inputs = Vec::new();
    for (i, l) in g.source_links().iter().enumerate() {
        let pick = if i == 0 {
            SAMPLE_ROWS_MAIN
        } else {
            SAMPLE_ROWS_OTHER
        };
        let rows: Vec<Vec<Value>> = pick
            .iter()
            .map(|r| l.columns.iter().map(|c| sample(c, *r)).collect())
            .collect();
        frames.insert(
            l.id.clone(),
            Table::known(
                rows.iter()
                    .map(|r| r.iter().cloned().map(Some).collect())
                    .collect(),
            ),
        );
        inputs.push((g.key(l).to_string(), columns(l), rows));
    }
    let mut raised = None;
    for ps in &g.plan.stages {
        let ins: Vec<Table> = ps
            .inputs
            .iter()
            .map(|l| {
                frames
                    .get(&l.id)
                    .cloned()
                    .unwrap_or_else(|| Table::unknown(format!("link {} not computed", l.name)))
            })
            .collect();
        let refs: Vec<&Table> = ins.iter().collect();
        if is_io(&ps.stage.stage_type) {
            if let Some(first) = ps.inputs.first() {
                for o in &ps.outputs {
                    // A hashed file keeps the last row of each key.
                    let keyed: Vec<usize> = first
                        .columns
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.key_position > 0)
                        .map(|(i, _)| i)
                        .collect();
                    let kept: Option<Vec<Vec<super::values::Cell>>> =
                        refs[0].rows.as_ref().map(|rows| {
                            if ps.stage.stage_type != "HashedFile" || keyed.is_empty() {
                                return rows.clone();
                            }
                            let mut order: Vec<Vec<super::values::Cell>> = Vec::new();
                            for r in rows {
                                let key: Vec<String> =
                                    keyed.iter().map(|&i| format!("{:?}", r.get(i))).collect();
                                match order.iter().position(|x| {
                                    keyed
                                        .iter()
                                        .map(|&i| format!("{:?}", x.get(i)))
                                        .collect::<Vec<_>>()
                                        == key
                                }) {
                                    Some(p) => order[p] = r.clone(),
                                    None => order.push(r.clone()),
                                }
                            }
                            order
                        });
                    let t = match &kept {
                        Some(rows) => Table::known(
                            rows.iter()
                                .map(|r| {
                                    o.columns
                                        .iter()
                                        .map(|c| {
                                            first
                                                .columns
                                                .iter()
                                                .position(|x| x.name.eq_ignore_ascii_case(&c.name))
                                                .map_or(Some(Value::Null), |i| r[i].clone())
                                                .and_then(|v| {
                                                    super::values::conform(&v, &spark_type(c))
                                                })
                                        })
                                        .collect()
                                })
                                .collect(),
                        ),
                        None => refs[0].clone(),
                    };
                    frames.insert(o.id.clone(), t);
                }
            }
            continue;
        }
        match stages::simulate(g, ps, &refs, &params) {
            Ok(outs) => {
                for (l, t) in ps.outputs.iter().zip(outs) {
                    frames.insert(l.id.clone(), t);
                }
            }
            Err(msg) => {
                raised = Some(msg);
                break;
            }
        }
    }
    let expected = match raised {
        Some(msg) => Expected::Raises(msg),
        None => Expected::Outputs(
            g.target_links()
                .iter()
                .map(|l| {
                    (
                        g.key(l).to_string(),
                        frames
                            .get(&l.id)
                            .cloned()
                            .unwrap_or_else(|| Table::unknown("not computed")),
                    )
                })
                .collect(),
        ),
    };
    let _ = DAYS;
    Fixture {
        inputs,
        params,
        expected,
    }
}

fn ddl(cols: &[(String, String)]) -> String {
    cols.iter()
        .map(|(n, t)| format!("`{}` {t}", n.replace('`', "``")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_literal(cells: &[Cell]) -> String {
    let v: Vec<String> = cells.iter().map(py_literal).collect();
    if v.len() == 1 {
        format!("({},)", v[0])
    } else {
        format!("({})", v.join(", "))
    }
}

fn schema_literal(cols: &[(String, String)]) -> String {
    let v: Vec<String> = cols
        .iter()
        .map(|(n, t)| format!("({}, {})", py_str(n), py_str(t)))
        .collect();
    format!("[{}]", v.join(", "))
}

/// Render the test file.
pub fn render(g: &Gen, f: &Fixture, templates: &Templates) -> String {
    let mut input_lines = Vec::new();
    for (key, cols, rows) in &f.inputs {
        if cols.is_empty() {
            input_lines.push(format!(
                "        {}: spark.range({}).drop(\"id\"),",
                py_str(key),
                rows.len()
            ));
            continue;
        }
        let rows: Vec<String> = rows
            .iter()
            .map(|r| {
                let cells: Vec<Cell> = r.iter().cloned().map(Some).collect();
                format!("                {},", row_literal(&cells))
            })
            .collect();
        input_lines.push(format!(
            "        {}: spark.createDataFrame(\n            [\n{}\n            ],\n            {},\n        ),",
            py_str(key),
            rows.join("\n"),
            py_str(&ddl(cols))
        ));
    }
    let params: Vec<String> = f
        .params
        .iter()
        .map(|(k, v)| format!("    {}: {},", py_str(k), py_value(v)))
        .collect();
    let args: Vec<String> = script_params(g.job)
        .iter()
        .filter_map(|(ds, arg, _, _)| {
            let v = f.params.get(ds)?;
            Some(format!(
                "\"--{arg}\", {}",
                py_str(&v.to_text().unwrap_or_default())
            ))
        })
        .collect();
    let mut checks = Vec::new();
    let mut target_keys = Vec::new();
    let (raises, unknown) = match &f.expected {
        Expected::Raises(msg) => (Some(msg.clone()), 0),
        Expected::Outputs(tables) => {
            let mut unknown = 0;
            for l in g.target_links() {
                let key = g.key(l).to_string();
                target_keys.push(py_str(&key));
                let t = tables.get(&key);
                let schema = schema_literal(&columns(l));
                match t.and_then(|t| t.rows.as_ref()) {
                    Some(rows) => {
                        let rows: Vec<String> = rows
                            .iter()
                            .map(|r| format!("            {},", row_literal(r)))
                            .collect();
                        checks.push(format!(
                            "    assert_frame(\n        outputs[{}],\n        {schema},\n        [\n{}\n        ],\n    )",
                            py_str(&key),
                            rows.join("\n")
                        ));
                    }
                    None => {
                        unknown += 1;
                        let why = t
                            .and_then(|t| t.unknown_because.clone())
                            .unwrap_or_else(|| "not computed".into());
                        checks.push(format!(
                            "    # Rows not predicted at generation time ({}): schema only.\n    assert_frame(outputs[{}], {schema}, None)",
                            py_comment(&why),
                            py_str(&key)
                        ));
                    }
                }
            }
            (None, unknown)
        }
    };
    target_keys.sort();
    let roundtrips = roundtrip_checks(g, f);
    let data = serde_json::json!({
        "job_name": g.job.name,
        "inputs": input_lines.join("\n"),
        "params": params.join("\n"),
        "args": args.join(", "),
        "raises": raises.as_deref().map(py_str),
        "checks": checks.join("\n"),
        "targets": target_keys.join(", "),
        "unknown": unknown,
        "roundtrips": roundtrips.0.join("\n"),
        "roundtrip_outputs": roundtrips.1,
    });
    templates.render("test_job.py", &data)
}

/// Checks of the files read or written as text lines (fixed widths,
/// per-field delimiters): each link's rows are written to a local file by
/// the script's `write_fields` and read back by its `read_fields`; the
/// expected rows
/// are what that round trip gives (padding stripped, NULL markers, the
/// link's types). Returns the checks and whether they need the outputs of
/// `transform`.
fn roundtrip_checks(g: &Gen, f: &Fixture) -> (Vec<String>, bool) {
    let mut checks = Vec::new();
    let mut needs_outputs = false;
    for (l, reading, layout) in field_layouts(g) {
        let key = g.key(l).to_string();
        let rows: Option<Vec<Vec<Cell>>> = if reading {
            f.inputs
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, rows)| {
                    rows.iter()
                        .map(|r| r.iter().cloned().map(Some).collect())
                        .collect()
                })
        } else {
            match &f.expected {
                // transform raises: its outputs cannot be formatted.
                Expected::Raises(_) => continue,
                Expected::Outputs(t) => {
                    needs_outputs = true;
                    t.get(&key).and_then(|t| t.rows.clone())
                }
            }
        };
        let schema = schema_literal(&columns(l));
        let expected = match rows {
            Some(rows) => {
                let rows: Vec<String> = rows
                    .iter()
                    .map(|r| format!("            {},", row_literal(&round_trip(&layout, l, r))))
                    .collect();
                format!("[\n{}\n        ]", rows.join("\n"))
            }
            None => "None".into(),
        };
        checks.push(format!(
            "    path = str(tmp_path / {k})\n    job.write_fields(frames[{k}], path, {k}, \"overwrite\")\n    assert_frame(\n        job.read_fields(glue_context, path, {k}),\n        {schema},\n        {expected},\n    )",
            k = py_str(&key)
        ));
    }
    (checks, needs_outputs)
}

/// A row after `format_fields` then `parse_fields`; a row whose fields
/// could not be cut back apart (an unquoted value holding its delimiter, a
/// value whose text Spark renders its own way) is all unknown.
fn round_trip(layout: &FieldLayout, l: &Link, row: &[Cell]) -> Vec<Cell> {
    let unknown = vec![None; row.len()];
    let mut out = Vec::new();
    for ((spec, c), cell) in layout.fields.iter().zip(&l.columns).zip(row) {
        let Some(v) = cell else {
            return unknown;
        };
        let text = match v {
            Value::Null => None,
            Value::Float(_) => return unknown,
            v => match super::values::datastage_text(v, &spark_type(c)) {
                Some(t) => Some(t),
                None => return unknown,
            },
        };
        let quoted = !spec.quote.is_empty() && text.is_some();
        let mut read = match text {
            None => spec.null_value.clone().unwrap_or_default(),
            Some(t) => t,
        };
        if !quoted
            && spec.width.is_none()
            && let Some(d) = &spec.delim
            && read.contains(d.as_str())
        {
            return unknown;
        }
        if let Some(w) = spec.width {
            let pad = layout.pad.chars().next().unwrap_or(' ');
            let mut fitted: String = read.chars().take(w).collect();
            while fitted.chars().count() < w {
                fitted.push(pad);
            }
            read = if spec.keep_pad {
                fitted
            } else {
                fitted.trim_end_matches(pad).to_string()
            };
        }
        let value = if spec.null_value.as_deref() == Some(read.as_str()) {
            Value::Null
        } else {
            Value::Str(read)
        };
        out.push(super::values::conform(&value, &spark_type(c)));
    }
    out
}
