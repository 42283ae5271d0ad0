//! The Switch stage: each row goes to the output link its selector value
//! names (a C `switch`).
//!
//! Semantics from IBM's Switch stage documentation: a Selector column; a
//! Selector Mode (User-defined Mapping, the default; Auto; Hash); repeated
//! Case entries `value=link number`; a Discard Value (a link number whose
//! rows are dropped); If Not Found = Fail, Drop or Output (to the reject
//! link). The DSX property names are the OSH `switch` option names as far
//! as known and are NOT verified against an export (none here has a
//! Switch): `key` (also `selector`, `selectorColumn`), `selection` (also
//! `selectorMode`), `case`, `discard`, `ifNotFound` (also `if_not_found`),
//! `ci\cs`. An unknown spelling falls back to the documented default.

use super::stages::{
    conform_row, equal, finish, placeholder, select_list, single_input, source_of,
};
use super::values::{Cell, conform, spark_type};
use super::{Coverage, Gen, StageCode, Table};
use crate::escape::py_comment;
use crate::expr::eval::Value;
use crate::expr::translate::pyspark::py_str;
use crate::generate::plan::PlanStage;
use crate::ir::{Link, LinkKind, Property};

use super::props;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    UserDefined,
    Auto,
    Hash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotFound {
    Fail,
    Drop,
    Output,
}

struct Spec {
    selector: String,
    mode: Mode,
    /// (selector value as written, output link number).
    cases: Vec<(String, usize)>,
    discard: Option<usize>,
    not_found: NotFound,
    caseless: bool,
}

fn first_text<'a>(p: &'a [Property], names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| props::text(p, n))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
        .unwrap_or(s)
}

/// A case entry `value = link number`; the value may be quoted and may
/// itself hold `=`, so the link number is what follows the last one.
fn parse_case(text: &str) -> Option<(String, usize)> {
    let (value, link) = text.rsplit_once('=')?;
    Some((unquote(value).to_string(), link.trim().parse().ok()?))
}

fn spec(ps: &PlanStage) -> Result<Spec, String> {
    let p = &ps.stage.properties;
    let selector = first_text(p, &["key", "selector", "selectorColumn"])
        .ok_or("no selector column (property `key`)")?
        .to_string();
    let mode = match first_text(p, &["selection", "selectorMode"])
        .unwrap_or("userDefinedMapping")
        .to_ascii_lowercase()
    {
        m if m.starts_with("auto") => Mode::Auto,
        m if m.starts_with("hash") => Mode::Hash,
        _ => Mode::UserDefined,
    };
    let mut texts = props::tree_values(p, "case");
    if texts.is_empty()
        && let Some(t) = first_text(p, &["case"])
    {
        texts.push(t.to_string());
    }
    let mut cases = Vec::new();
    for t in &texts {
        cases.push(parse_case(t).ok_or_else(|| format!("case {t:?} is not `value=link`"))?);
    }
    let discard = match first_text(p, &["discard"]) {
        Some(d) => Some(
            d.parse()
                .map_err(|_| format!("discard value {d:?} is not a link number"))?,
        ),
        None => None,
    };
    // Without the property: Output when the stage has a reject link (the
    // designer drew it for that), else Fail. The default itself is not
    // documented in the material at hand.
    let has_reject = ps.outputs.iter().any(|l| l.kind == LinkKind::Reject);
    let not_found =
        match first_text(p, &["ifNotFound", "if_not_found"]).map(str::to_ascii_lowercase) {
            Some(v) if v.starts_with("drop") || v.starts_with("ignore") => NotFound::Drop,
            Some(v) if v.starts_with("output") || v.starts_with("reject") => NotFound::Output,
            Some(v) if v.starts_with("fail") => NotFound::Fail,
            _ if has_reject => NotFound::Output,
            _ => NotFound::Fail,
        };
    let caseless = first_text(p, &["ci\\cs"]).is_some_and(|v| v.eq_ignore_ascii_case("ci"));
    Ok(Spec {
        selector,
        mode,
        cases,
        discard,
        not_found,
        caseless,
    })
}

/// A case value as a literal of the selector's type (compared the way
/// the simulation does: the text cast to that type).
fn case_literal(value: &str, ty: &str) -> String {
    let int_like = matches!(ty, "int" | "bigint" | "smallint" | "tinyint");
    match value.trim().parse::<i64>() {
        Ok(n) if int_like => format!("F.lit({n})"),
        _ if ty == "string" => format!("F.lit({})", py_str(value)),
        _ => format!("F.lit({}).cast({})", py_str(value), py_str(ty)),
    }
}

/// Data outputs (not the reject link) in link order: link number → link.
fn data_outputs<'a>(ps: &PlanStage<'a>) -> Vec<&'a Link> {
    ps.outputs
        .iter()
        .filter(|l| l.kind != LinkKind::Reject)
        .copied()
        .collect()
}

fn no_match_message(ps: &PlanStage, input: &Link, selector: &str) -> String {
    format!(
        "Switch {}: a row of {} has a {selector} value no case names",
        ps.stage.name, input.name
    )
}

pub fn emit(g: &mut Gen, ps: &PlanStage) -> StageCode {
    let Some(input) = ps.inputs.first() else {
        return placeholder(g, ps, "Switch without input");
    };
    let s = match spec(ps) {
        Ok(s) => s,
        Err(why) => return placeholder(g, ps, &why),
    };
    if s.mode == Mode::Auto {
        return placeholder(
            g,
            ps,
            "Auto selector mode: how DataStage assigns selector values to links is not documented here",
        );
    }
    let Some(sel_col) = input
        .columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(&s.selector))
    else {
        return placeholder(
            g,
            ps,
            &format!("selector {} is not a column of {}", s.selector, input.name),
        );
    };
    let outs_by_number = data_outputs(ps);
    let ty = spark_type(sel_col);
    let mut coverage = Coverage::Exact;
    let mut lines = vec![
        format!("    df = {}", g.ident(input)),
        format!("    sel = F.col({})", py_str(&sel_col.name)),
    ];
    // Per case: its condition variable.
    let mut conds: Vec<String> = Vec::new();
    match s.mode {
        Mode::Hash => {
            coverage = Coverage::Approximate;
            g.warnings.push(format!(
                "{}: hash selector mode: rows spread over the links by Spark's hash, not DataStage's",
                ps.stage.name
            ));
            lines.push(format!(
                "    # Hash mode: the selector's hash modulo the number of output links\n    df = df.withColumn(\"_dsmig_link\", F.pmod(F.hash(sel), F.lit({})))",
                outs_by_number.len().max(1)
            ));
        }
        _ => {
            for (i, (value, link)) in s.cases.iter().enumerate() {
                let lit = case_literal(value, &ty);
                let test = if s.caseless {
                    format!("F.upper(sel) == F.upper({lit})")
                } else {
                    format!("sel == {lit}")
                };
                lines.push(format!(
                    "    m{i} = F.coalesce({test}, F.lit(False))  # case {value}={link}"
                ));
                conds.push(format!("m{i}"));
                if *link >= outs_by_number.len() && Some(*link) != s.discard {
                    g.warnings.push(format!(
                        "{}: case {value}={link} names no output link; its rows are dropped",
                        ps.stage.name
                    ));
                }
            }
        }
    }
    let matched = if s.mode == Mode::Hash {
        "F.lit(True)".to_string()
    } else if conds.is_empty() {
        "F.lit(False)".to_string()
    } else {
        conds.join(" | ")
    };
    if s.mode != Mode::Hash {
        lines.push(format!("    matched = {matched}"));
        if let Some(d) = s.discard {
            lines.push(format!(
                "    # Discard value {d}: rows of the cases that name link {d} go nowhere"
            ));
        }
        if s.not_found == NotFound::Fail {
            lines.push(format!(
                "    if df.filter(~matched).limit(1).count() > 0:\n        raise RuntimeError({})",
                py_str(&no_match_message(ps, input, &s.selector))
            ));
        }
    }
    let mut outs: Vec<(&Link, String)> = Vec::new();
    for (oi, l) in ps.outputs.iter().enumerate() {
        let var = format!("out{oi}");
        let filter = if l.kind == LinkKind::Reject {
            if s.not_found == NotFound::Output && s.mode != Mode::Hash {
                lines.push(format!(
                    "    # Reject link {}: rows no case names",
                    py_comment(&l.name)
                ));
                "df.filter(~matched)".to_string()
            } else {
                lines.push(format!(
                    "    # Reject link {}: not used (if not found: {:?})",
                    py_comment(&l.name),
                    s.not_found
                ));
                "df.limit(0)".to_string()
            }
        } else {
            let number = outs_by_number
                .iter()
                .position(|x| x.id == l.id)
                .unwrap_or(usize::MAX);
            let mine: Vec<&String> = if s.mode == Mode::Hash {
                Vec::new()
            } else {
                s.cases
                    .iter()
                    .zip(&conds)
                    .filter(|((_, link), _)| *link == number && Some(*link) != s.discard)
                    .map(|(_, c)| c)
                    .collect()
            };
            lines.push(format!(
                "    # Output link {} (link number {number})",
                py_comment(&l.name)
            ));
            if s.mode == Mode::Hash {
                format!("df.filter(F.col(\"_dsmig_link\") == {number})")
            } else if mine.is_empty() {
                "df.limit(0)".to_string()
            } else {
                format!(
                    "df.filter({})",
                    mine.iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            }
        };
        let cols = select_list(g, ps, l, |_| false);
        lines.push(format!("    {var} = {filter}.select(\n{cols}\n    )"));
        outs.push((l, var));
    }
    let summary = format!(
        "rows routed by the selector {} ({} mode{}).",
        s.selector,
        match s.mode {
            Mode::Hash => "hash",
            _ => "user-defined mapping",
        },
        match (s.mode, s.not_found) {
            (Mode::Hash, _) => String::new(),
            (_, NotFound::Fail) => "; a value no case names stops the job".into(),
            (_, NotFound::Drop) => "; values no case names are dropped".into(),
            (_, NotFound::Output) => "; values no case names go to the reject link".into(),
        }
    );
    finish(g, ps, &summary, &lines, &outs, coverage)
}

/// Whether `v` (a selector value) equals the case value `text` once
/// converted to the selector's type, as the generated `cast` does.
fn case_matches(v: &Value, text: &str, ty: &str, caseless: bool) -> Option<bool> {
    if v.is_null() {
        return Some(false);
    }
    let lit = conform(&Value::Str(text.to_string()), ty)?;
    if lit.is_null() {
        return Some(false);
    }
    if caseless && let (Value::Str(a), Value::Str(b)) = (v, &lit) {
        return Some(a.to_uppercase() == b.to_uppercase());
    }
    equal(v, &lit)
}

/// Expected rows; `Err(message)` when `transform` must raise (a value no
/// case names, If Not Found = Fail).
pub fn simulate(ps: &PlanStage, inputs: &[&Table]) -> Result<Vec<Table>, String> {
    let n = ps.outputs.len();
    let (input, rows) = match single_input(ps, inputs) {
        Ok(x) => x,
        Err(t) => return Ok(t),
    };
    let Ok(s) = spec(ps) else {
        return Ok(vec![Table::unknown("Switch not translated"); n]);
    };
    if s.mode != Mode::UserDefined {
        return Ok(vec![
            Table::unknown(
                "which link a row takes depends on Spark's hash"
            );
            n
        ]);
    }
    let Some(si) = input
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(&s.selector))
    else {
        return Ok(vec![Table::unknown("no selector column"); n]);
    };
    let ty = spark_type(&input.columns[si]);
    let by_number = data_outputs(ps);
    let mut out: Vec<Vec<Vec<Cell>>> = vec![Vec::new(); n];
    for r in rows {
        let Some(v) = &r[si] else {
            return Ok(vec![Table::unknown("unknown selector value"); n]);
        };
        let mut links = Vec::new();
        for (value, link) in &s.cases {
            match case_matches(v, value, &ty, s.caseless) {
                Some(true) => links.push(*link),
                Some(false) => {}
                None => return Ok(vec![Table::unknown("case value comparison"); n]),
            }
        }
        let mut targets: Vec<&Link> = Vec::new();
        if links.is_empty() {
            match s.not_found {
                NotFound::Fail => return Err(no_match_message(ps, input, &s.selector)),
                NotFound::Drop => {}
                NotFound::Output => {
                    targets.extend(ps.outputs.iter().filter(|l| l.kind == LinkKind::Reject))
                }
            }
        } else {
            for (k, l) in by_number.iter().enumerate() {
                if links.contains(&k) && Some(k) != s.discard {
                    targets.push(l);
                }
            }
        }
        for l in targets {
            let Some(oi) = ps.outputs.iter().position(|x| x.id == l.id) else {
                continue;
            };
            let cells = l
                .columns
                .iter()
                .map(|c| match source_of(ps, c) {
                    Some((0, j)) => r[j].clone(),
                    _ => Some(Value::Null),
                })
                .collect();
            out[oi].push(conform_row(l, cells));
        }
    }
    Ok(out.into_iter().map(Table::known).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_entries_take_the_last_equals_sign() {
        assert_eq!(parse_case("10=1"), Some(("10".into(), 1)));
        assert_eq!(parse_case("'a=b' = 2"), Some(("a=b".into(), 2)));
        assert_eq!(parse_case("x"), None);
        assert_eq!(parse_case("x=y"), None);
    }

    #[test]
    fn case_values_compare_in_the_selector_type() {
        assert_eq!(
            case_matches(&Value::Int(10), "10", "int", false),
            Some(true)
        );
        assert_eq!(
            case_matches(&Value::Int(10), "12", "int", false),
            Some(false)
        );
        assert_eq!(case_matches(&Value::Null, "10", "int", false), Some(false));
        assert_eq!(
            case_matches(&Value::Str("ab".into()), "AB", "string", true),
            Some(true)
        );
        assert_eq!(
            case_matches(&Value::Str("ab".into()), "AB", "string", false),
            Some(false)
        );
    }
}
