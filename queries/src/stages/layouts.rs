//! Checks for facts that some export layouts leave implicit (issue 17.3).
//!
//! The readers (`parse::build`, `parse::xml`, `parse::isx`) read every
//! layout they know into one IR; what a layout does not say at all is a
//! guess here, never a default:
//! - a stage option that sends rows to a reject link (`LookupFail
//!   "reject"`, a Sequential File's reject mode Save / Output) while no
//!   output link is marked as the reject link (no link type 3 on either
//!   pin or in the container view): which output takes the rejected rows
//!   would be guessed;
//! - a database read whose read mode dsmig does not know, or whose mode
//!   says query while no user SQL is found (`query`, `SelectStatement`,
//!   `UserSQL`...): reading a table instead would be a guess.

use crate::ir::{Job, LinkKind, Stage};
use crate::stages::Guess;
use crate::stages::guess::{inputs, outputs};
use crate::stages::props::{self, ReadMode};

/// A stage whose options route rows to a reject link, with several output
/// links and none marked as the reject link. IBM docs: Lookup stage, "Lookup Failure: Reject — the
/// row is sent to the reject link"; Sequential File stage, "Reject mode:
/// Save (Output) sends rejected rows down a reject link".
pub fn unmarked_reject(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
    let outs = outputs(job, stage);
    if outs.iter().any(|l| l.kind == LinkKind::Reject) {
        return;
    }
    match stage.stage_type.as_str() {
        // With one output there is no unmarked link to mistake for the
        // reject link (what DataStage does with rejected rows and no reject
        // link is a separate question, not a layout one).
        "Lookup" if outs.len() > 1 => {
            for l in inputs(job, stage) {
                for name in ["LookupFail", "ConditionNotMet"] {
                    if props::text(&l.target_properties, name)
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("reject"))
                    {
                        out.push(Guess::new(
                            stage,
                            format!("{name} of link {}", l.name),
                            "the failure action is Reject but no output link is marked as the reject link (link type 3): which output takes the rejected rows would be a guess",
                        ));
                    }
                }
            }
        }
        "SequentialFile" | "FileSet" if outs.len() > 1 => {
            for l in &outs {
                if let Some(v) = props::text(&l.source_properties, "rejects")
                    && matches!(v.trim().to_ascii_lowercase().as_str(), "save" | "output")
                {
                    out.push(Guess::new(
                        stage,
                        format!("rejects of link {}", l.name),
                        "the reject mode sends unreadable rows to a reject link, but no output link is marked as the reject link (link type 3): which output takes them would be a guess",
                    ));
                }
            }
        }
        _ => {}
    }
}

/// A database read whose mode is not known, or says query without SQL.
pub fn read_mode(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
    if !crate::stages::guess::options::is_database(stage) {
        return;
    }
    for l in outputs(job, stage) {
        match props::db_read_mode(stage, l) {
            ReadMode::Unknown(v) => out.push(Guess::new(
                stage,
                format!("read mode of link {}", l.name),
                format!("read mode {v:?} is not one dsmig knows (table, query, auto-generated or user-defined SQL)"),
            )),
            ReadMode::Query if props::db_table(stage, l, true).1.is_none() => {
                out.push(Guess::new(
                    stage,
                    format!("read mode of link {}", l.name),
                    "the read mode is query but no user SQL is in the export (query, SelectStatement, UserSQL); reading the table instead would be a guess",
                ))
            }
            _ => {}
        }
    }
}
