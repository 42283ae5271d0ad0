//! The Modify / Copy / Peek projection: which input column each output
//! column comes from (renames of the Modify specification, same names,
//! or a `link.COL` derivation), shared by both generators, the
//! evaluator and the check that an output column has a source.

use super::guess::{Guess, inputs, outputs};
use super::props;
use crate::ir::{Column, Job, Link, Stage};

/// Modify specifications: (renames new ← old, dropped, kept).
pub struct ModifySpec {
    pub renames: Vec<(String, String)>,
    pub conversions: Vec<String>,
}

impl ModifySpec {
    /// Where output column `c` comes from on `input`: the modify rename or
    /// the same name, else a derivation `link.COL` naming an input column
    /// (the Copy stage's Mapping tab, e.g. `KEY` ← `lnk_in.ID`).
    pub fn source_index(&self, input: &Link, c: &Column) -> Option<usize> {
        let by_name = |name: &str| {
            input
                .columns
                .iter()
                .position(|x| x.name == name)
                .or_else(|| {
                    input
                        .columns
                        .iter()
                        .position(|x| x.name.eq_ignore_ascii_case(name))
                })
        };
        if let Some(i) = by_name(self.source_name(&c.name)) {
            return Some(i);
        }
        let (link, col) = c.derivation.trim().split_once('.')?;
        if link.trim().eq_ignore_ascii_case(&input.name) {
            by_name(col.trim())
        } else {
            None
        }
    }

    /// The input column an output column comes from (renamed or not).
    pub fn source_name<'a>(&'a self, out: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(out))
            .map_or(out, |(_, o)| o.as_str())
    }
}

pub fn spec(stage: &Stage) -> ModifySpec {
    let mut m = ModifySpec {
        renames: Vec::new(),
        conversions: Vec::new(),
    };
    for spec in props::tree_values(&stage.properties, "modifyspec") {
        let s = spec.trim().trim_end_matches(';');
        let upper = s.to_ascii_uppercase();
        if upper.starts_with("KEEP ") || upper.starts_with("DROP ") {
            continue;
        }
        if let Some((lhs, rhs)) = s.split_once('=') {
            let new = lhs.split(':').next().unwrap_or(lhs).trim().to_string();
            let rhs = rhs.trim();
            if rhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                if new != rhs {
                    m.renames.push((new, rhs.to_string()));
                }
            } else {
                m.conversions.push(s.to_string());
                if let Some(arg) = rhs
                    .split_once('(')
                    .and_then(|(_, a)| a.strip_suffix(')'))
                    .map(|a| a.trim().to_string())
                    && arg != new
                    && arg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    m.renames.push((new, arg));
                }
            }
        }
    }
    m
}

/// An output column of a Copy / Modify / Peek with no input column behind
/// it would be written as NULL: a guess.
pub fn unsourced_columns(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
    if !matches!(stage.stage_type.as_str(), "Copy" | "Modify" | "Peek") {
        return;
    }
    let ins = inputs(job, stage);
    let Some(input) = ins.first() else {
        return;
    };
    let sp = spec(stage);
    for l in outputs(job, stage) {
        for c in &l.columns {
            if sp.source_index(input, c).is_none() {
                out.push(Guess::new(
                    stage,
                    format!("column {}.{}", l.name, c.name),
                    "no input column or derivation gives this output column",
                ));
            }
        }
    }
}
