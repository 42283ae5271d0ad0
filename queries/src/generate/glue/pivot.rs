//! The Pivot stage, horizontal: several input columns become one output
//! column over several output rows.
//!
//! Verified (IBM docs, "Pivot stage output link columns", 11.5; "Pivot
//! stages"): the stage has no stage or link properties; an output column's
//! Derivation lists the input columns it takes, comma-separated
//! (`JAN_Sales, FEB_Sales, MARCH_Sales`); a column derived from one input
//! column is a key repeated on every output row; an input row gives as
//! many output rows as the longest list; a shorter list gives NULL on the
//! rows it lacks.
//!
//! Assumed, not seen in any export here: that the DSX keeps that list in
//! the output column's `Derivation` (what the IR's `derivation` holds),
//! possibly with `link.` prefixes; that the Pivot Enterprise stage
//! (`PivotPX`) maps a horizontal pivot the same way; and that its pivot
//! type is a property `pivotType` / `PivotType` whose vertical value
//! contains "vert" or is "1". A vertical pivot (rows into columns, with an
//! array size and aggregation) stays a named failing placeholder: neither
//! its property names nor its output column naming are documented in the
//! material at hand.

use super::stages::{col_idx, conform_row, finish, map_column, placeholder, single_input};
use super::values::{Cell, spark_type};
use super::{Coverage, Gen, StageCode, Table};
use crate::escape::py_comment;
use crate::expr::eval::Value;
use crate::expr::translate::pyspark::py_str;
use crate::generate::plan::PlanStage;
use crate::ir::Link;

use super::props;

/// Where an output column's value comes from on output row `i` of an
/// input row.
enum Source {
    /// One input column: the same value on every output row.
    Key(usize),
    /// Input columns, one per output row; NULL past the end.
    Pivoted(Vec<usize>),
    /// No derivation and no input column of that name.
    Null,
}

fn is_vertical(ps: &PlanStage) -> bool {
    ["pivotType", "PivotType", "pivot_type"]
        .iter()
        .filter_map(|n| props::text(&ps.stage.properties, n))
        .any(|v| {
            let v = v.trim().to_ascii_lowercase();
            v.contains("vert") || v == "1"
        })
}

/// Per output column of `l`, its source; `Err` names a derivation item
/// that is no input column.
fn sources(input: &Link, l: &Link) -> Result<Vec<Source>, String> {
    l.columns
        .iter()
        .map(|c| {
            let d = c.derivation.trim();
            if d.is_empty() {
                return Ok(col_idx(input, &c.name).map_or(Source::Null, Source::Key));
            }
            let mut idx = Vec::new();
            for item in d.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let name = match item.split_once('.') {
                    Some((link, col)) if link.eq_ignore_ascii_case(&input.name) => col,
                    _ => item,
                };
                idx.push(col_idx(input, name).ok_or_else(|| {
                    format!(
                        "derivation {d:?} of {}.{}: {item} is not a column of {}",
                        l.name, c.name, input.name
                    )
                })?);
            }
            Ok(match idx.as_slice() {
                [] => Source::Null,
                [one] => Source::Key(*one),
                _ => Source::Pivoted(idx),
            })
        })
        .collect()
}

/// Output rows per input row: the longest list (at least one).
fn width(srcs: &[Source]) -> usize {
    srcs.iter()
        .map(|s| match s {
            Source::Pivoted(v) => v.len(),
            _ => 1,
        })
        .max()
        .unwrap_or(1)
}

pub fn emit(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let Some(input) = ps.inputs.first() else {
        return placeholder(g, ps, "Pivot without input");
    };
    if is_vertical(ps) {
        return placeholder(
            g,
            ps,
            "vertical pivot (rows into columns): its DataStage property names and output columns are not documented here",
        );
    }
    let mut lines = Vec::new();
    let mut outs: Vec<(&Link, String)> = Vec::new();
    let mut coverage = if ps.stage.raw_type.eq_ignore_ascii_case("PivotPX") {
        Coverage::Approximate
    } else {
        Coverage::Exact
    };
    for (oi, l) in ps.outputs.iter().enumerate() {
        let srcs = match sources(input, l) {
            Ok(s) => s,
            Err(why) => return placeholder(g, ps, &why),
        };
        let n = width(&srcs);
        for (c, s) in l.columns.iter().zip(&srcs) {
            let code = match s {
                Source::Key(i) => format!("F.col({})", py_str(&input.columns[*i].name)),
                Source::Pivoted(v) => v
                    .iter()
                    .map(|i| format!("F.col({})", py_str(&input.columns[*i].name)))
                    .collect::<Vec<_>>()
                    .join(" / "),
                Source::Null => {
                    g.warnings.push(format!(
                        "{} / {}.{}: no derivation and no input column of that name; NULL",
                        ps.stage.name, l.name, c.name
                    ));
                    coverage = coverage.max(Coverage::Approximate);
                    "F.lit(None)".into()
                }
            };
            map_column(g, ps, l, c, &code);
        }
        // One struct per output row, every field cast to the output type,
        // so the array's elements have one type and `inline` keeps the
        // rows of an input row together, in order.
        let mut structs = Vec::new();
        for i in 0..n {
            let fields: Vec<String> = l
                .columns
                .iter()
                .zip(&srcs)
                .map(|(c, s)| {
                    let value = match s {
                        Source::Key(k) => format!("F.col({})", py_str(&input.columns[*k].name)),
                        Source::Pivoted(v) => match v.get(i) {
                            Some(k) => format!("F.col({})", py_str(&input.columns[*k].name)),
                            None => "F.lit(None)".into(),
                        },
                        Source::Null => "F.lit(None)".into(),
                    };
                    format!(
                        "{value}.cast({}).alias({})",
                        py_str(&spark_type(c)),
                        py_str(&c.name)
                    )
                })
                .collect();
            structs.push(format!(
                "        F.struct(\n            {},\n        ),",
                fields.join(",\n            ")
            ));
        }
        lines.push(format!(
            "    # Output link {}: {n} row(s) per input row\n    rows{oi} = F.array(\n{}\n    )\n    out{oi} = {}.select(F.inline(rows{oi}))",
            py_comment(&l.name),
            structs.join("\n"),
            g.ident(input)
        ));
        outs.push((l, format!("out{oi}")));
    }
    finish(
        g,
        ps,
        "horizontal pivot: the input columns listed in an output column's derivation become that column on successive rows.",
        &lines,
        &outs,
        coverage,
    )
}

pub fn simulate(ps: &PlanStage, inputs: &[&Table]) -> Vec<Table> {
    let (input, rows) = match single_input(ps, inputs) {
        Ok(x) => x,
        Err(t) => return t,
    };
    ps.outputs
        .iter()
        .map(|l| {
            let Ok(srcs) = sources(input, l) else {
                return Table::unknown("derivation not understood");
            };
            let n = width(&srcs);
            let mut out = Vec::new();
            for r in rows {
                for i in 0..n {
                    let cells: Vec<Cell> = srcs
                        .iter()
                        .map(|s| match s {
                            Source::Key(k) => r[*k].clone(),
                            Source::Pivoted(v) => {
                                v.get(i).map_or(Some(Value::Null), |k| r[*k].clone())
                            }
                            Source::Null => Some(Value::Null),
                        })
                        .collect();
                    out.push(conform_row(l, cells));
                }
            }
            Table::known(out)
        })
        .collect()
}
