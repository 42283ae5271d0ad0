//! Blocking items for what a translation would have to guess.
//!
//! AUTO is a promise that the generated job writes the rows DataStage
//! wrote. Wherever the export does not say enough to translate a stage
//! exactly — a Lookup or Join without keys, an option value dsmig does not
//! recognise, a source with neither a table nor a query — dsmig must not
//! pick a plausible default. Each such place is a check here that returns
//! a [`Guess`]: the analysis turns it into a blocking item (the job is
//! never AUTO), and both generators turn the stage into a placeholder
//! that raises (Glue) or stops the script (SQL) with [`Guess::message`],
//! so the code never runs with the guess. One list of checks
//! ([`CHECKS`]) feeds all three, so they cannot disagree.

use serde::{Deserialize, Serialize};

use crate::ir::{Job, Link, Stage};

/// One thing a translation of a stage would have to guess.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Guess {
    /// The stage, as named in the export.
    pub stage: String,
    /// The property, link or column that is missing or not understood
    /// (`LookupFail`, `link lkpCust`, `key`...).
    pub property: String,
    /// What is missing and what dsmig would otherwise have guessed.
    pub what: String,
}

impl Guess {
    pub fn new(stage: &Stage, property: impl Into<String>, what: impl Into<String>) -> Guess {
        Guess {
            stage: stage.name.clone(),
            property: property.into(),
            what: what.into(),
        }
    }

    /// The blocking item's short name (`guess:LookupFail`).
    pub fn name(&self) -> String {
        format!("guess:{}", self.property)
    }

    /// The error the generated code raises where the guess would be.
    pub fn message(&self) -> String {
        format!(
            "stage {} ({}): {}; dsmig does not guess, translate by hand",
            self.stage, self.property, self.what
        )
    }

    /// The reason a stage placeholder gives (the placeholder names the
    /// stage itself).
    pub fn reason(&self) -> String {
        format!("{}: {} (dsmig does not guess)", self.property, self.what)
    }
}

/// A check over one stage of a job.
pub type Check = fn(&Job, &Stage, &mut Vec<Guess>);

/// Every check, in one list. A new check is one function and one line here.
pub const CHECKS: &[Check] = &[
    keys::reference_keys,
    keys::join_keys,
    options::join_operator,
    options::lookup_failure,
    options::database_source,
    options::aggregation_type,
    options::surrogate_key_source,
    options::database_target,
    options::needs_input,
    crate::stages::sort::directions,
    crate::stages::modify::unsourced_columns,
    crate::stages::layouts::unmarked_reject,
    crate::stages::layouts::read_mode,
    crate::stages::sequence::untranslated_activity,
];

/// Version of the checks' semantics; part of the complexity memo key
/// through the code digest (the checks live under `src/stages`).
pub const GUESS_VERSION: u32 = 1;

/// What translating `stage` of `job` would guess, sorted.
pub fn stage_guesses(job: &Job, stage: &Stage) -> Vec<Guess> {
    let mut out = Vec::new();
    for check in CHECKS {
        check(job, stage, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// Every guess of every stage of `job`, in stage order.
pub fn guesses(job: &Job) -> Vec<Guess> {
    job.stages
        .iter()
        .flat_map(|s| stage_guesses(job, s))
        .collect()
}

/// Links entering `stage`, by input pin position.
pub fn inputs<'a>(job: &'a Job, stage: &Stage) -> Vec<&'a Link> {
    let mut v: Vec<&Link> = job
        .links
        .iter()
        .filter(|l| l.to_stage.as_deref() == Some(stage.id.as_str()))
        .collect();
    v.sort_by_key(|l| l.to_index);
    v
}

/// Links leaving `stage`, by output pin position.
pub fn outputs<'a>(job: &'a Job, stage: &Stage) -> Vec<&'a Link> {
    let mut v: Vec<&Link> = job
        .links
        .iter()
        .filter(|l| l.from_stage == stage.id)
        .collect();
    v.sort_by_key(|l| l.from_index);
    v
}

mod keys {
    //! Keys a Lookup or Join matches on.
    use super::{Guess, inputs};
    use crate::ir::{Job, LinkKind, Stage};
    use crate::stages::props;

    /// A reference link (Lookup stage, or a server Transformer's hashed
    /// file lookup) with no key column and no range condition would be a
    /// cross join: every primary row matched with every reference row.
    pub fn reference_keys(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if stage.stage_type != "Lookup" && stage.stage_type != "Transformer" {
            return;
        }
        let ins = inputs(job, stage);
        if stage.stage_type == "Lookup" && ins.len() < 2 {
            return;
        }
        let primary = ins
            .iter()
            .find(|l| l.kind == LinkKind::Stream)
            .or_else(|| ins.first())
            .map(|l| l.id.clone());
        for l in &ins {
            if Some(&l.id) == primary.as_ref() {
                continue;
            }
            if stage.stage_type == "Transformer" && l.kind != LinkKind::Reference {
                continue;
            }
            let keyed = l
                .columns
                .iter()
                .any(|c| !c.key_expression.trim().is_empty());
            if !keyed {
                out.push(Guess::new(
                    stage,
                    format!("link {}", l.name),
                    "the reference link names no key column (no Key Expression); a lookup without keys would match every row (a cross join)",
                ));
            }
        }
    }

    /// Join and Merge match on the `key` options; without any, Spark or
    /// SQL would need a guessed condition.
    pub fn join_keys(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if stage.stage_type != "Join" && stage.stage_type != "Merge" {
            return;
        }
        if inputs(job, stage).len() < 2 {
            return;
        }
        if props::tree_values(&stage.properties, "key").is_empty() {
            out.push(Guess::new(
                stage,
                "key",
                format!(
                    "the {} stage names no key column; joining without keys would be a cross join",
                    stage.stage_type
                ),
            ));
        }
    }
}

pub(crate) mod options {
    //! Option values the translations must recognise.
    use super::{Guess, outputs};
    use crate::ir::{Job, Stage};
    use crate::stages::props;

    /// Join operators both targets translate (`operator`, OSH spellings).
    pub const JOIN_OPERATORS: &[&str] = &[
        "innerjoin",
        "inner",
        "leftouterjoin",
        "leftouter",
        "left",
        "rightouterjoin",
        "rightouter",
        "right",
        "fullouterjoin",
        "fullouter",
        "full",
    ];

    pub fn join_operator(_job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if stage.stage_type != "Join" {
            return;
        }
        // Absent: DataStage's default join type is inner (IBM docs, Join
        // stage, "Join Type": default Inner).
        if let Some(op) = props::text(&stage.properties, "operator")
            && !JOIN_OPERATORS.contains(&op.trim().to_ascii_lowercase().as_str())
        {
            out.push(Guess::new(
                stage,
                "operator",
                format!("join type {:?} is not one dsmig knows", op.trim()),
            ));
        }
    }

    /// Lookup failure actions (IBM docs, Lookup stage: Continue, Drop,
    /// Fail, Reject; absent means Fail).
    pub const LOOKUP_FAILURES: &[&str] = &["continue", "drop", "fail", "reject"];

    pub fn lookup_failure(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if stage.stage_type != "Lookup" {
            return;
        }
        for l in super::inputs(job, stage) {
            for name in ["LookupFail", "LookupConditionFail"] {
                if let Some(v) = props::text(&l.target_properties, name)
                    && !LOOKUP_FAILURES.contains(&v.trim().to_ascii_lowercase().as_str())
                {
                    out.push(Guess::new(
                        stage,
                        format!("{name} of link {}", l.name),
                        format!(
                            "lookup failure action {:?} is not one dsmig knows",
                            v.trim()
                        ),
                    ));
                }
            }
        }
    }

    /// Aggregation types both targets translate: count rows (`countField`)
    /// and calculation (`reduce`). Recalculation (`rereduce`) is not.
    pub fn aggregation_type(_job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if stage.stage_type != "Aggregator" {
            return;
        }
        if let Some(v) = props::text(&stage.properties, "selection") {
            let v = v.trim().to_ascii_lowercase();
            if !v.is_empty() && v != "count" && v != "reduce" {
                out.push(Guess::new(
                    stage,
                    "selection",
                    format!("aggregation type {v:?} is not one dsmig translates"),
                ));
            }
        }
    }

    /// A Surrogate Key Generator with a key source (a state file or a
    /// database sequence: IBM docs, "Surrogate Key Generator stage")
    /// continues from the last key issued, which a run of the translation
    /// cannot know: numbering from the start value would be a guess.
    /// Without a key source the stage numbers from its start value (the
    /// DataStage 7.5 Surrogate Key stage), which both targets do.
    pub fn surrogate_key_source(_job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if stage.stage_type != "SurrogateKeyGenerator" {
            return;
        }
        for name in ["keySource", "keySourceType"] {
            if let Some(v) = props::text(&stage.properties, name)
                && !v.trim().is_empty()
            {
                out.push(Guess::new(
                    stage,
                    name,
                    format!(
                        "keys continue from the key source ({}); pass the last issued key (e.g. the target's maximum) as the start",
                        v.trim()
                    ),
                ));
                return;
            }
        }
    }

    /// Write modes both targets translate (connector `WriteMode` codes):
    /// 0 insert, 6 bulk load / append; 1, 3, 4, 9 the update / upsert
    /// family (MERGE on the link's key columns).
    const WRITE_MODES: &[&str] = &["0", "6"];
    const UPSERT_MODES: &[&str] = &["1", "3", "4", "9"];

    /// A database write must name its table, use a write mode dsmig maps,
    /// and an upsert needs key columns on the link.
    pub fn database_target(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if !is_database(stage) {
            return;
        }
        for l in super::inputs(job, stage) {
            if props::db_table(stage, l, false).0.is_none() {
                out.push(Guess::new(
                    stage,
                    format!("link {}", l.name),
                    "the database write names no table",
                ));
            }
            // GenerateSQL = No: DataStage runs the user's INSERT / UPDATE
            // statement, which the translations do not.
            if props::connector(stage, "Usage/GenerateSQL").is_some_and(|v| v.trim() == "0") {
                out.push(Guess::new(
                    stage,
                    "GenerateSQL",
                    "the write runs user-defined SQL (GenerateSQL = No), which dsmig does not translate",
                ));
            }
            let w = props::DbWrite::of(stage);
            let mode = w.write_mode.as_str();
            if UPSERT_MODES.contains(&mode) {
                if !l.columns.iter().any(|c| c.key_position > 0) {
                    out.push(Guess::new(
                        stage,
                        "WriteMode",
                        format!(
                            "write mode {mode} updates or upserts by key, but link {} marks no key column",
                            l.name
                        ),
                    ));
                }
            } else if !WRITE_MODES.contains(&mode) {
                out.push(Guess::new(
                    stage,
                    "WriteMode",
                    format!("write mode code {mode} is not one dsmig maps"),
                ));
            }
        }
    }

    /// A row-processing stage with no input link has no rows to process
    /// (an unfinished design); generators (Row Generator) excepted.
    pub fn needs_input(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        use crate::stages::catalogue::{StageClass, lookup};
        let class = lookup(&stage.stage_type).class;
        if !matches!(class, StageClass::Processing | StageClass::Debug)
            || stage.stage_type == "RowGenerator"
            || stage.stage_type.starts_with("Container")
        {
            return;
        }
        if super::inputs(job, stage).is_empty() {
            out.push(Guess::new(stage, "input", "the stage has no input link"));
        }
    }

    pub(crate) fn is_database(stage: &Stage) -> bool {
        crate::stages::audit::is_database(&stage.stage_type)
    }

    /// A database read with neither a table nor a query: nothing to read.
    pub fn database_source(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
        if !is_database(stage) {
            return;
        }
        for l in outputs(job, stage) {
            let (table, sql) = props::db_table(stage, l, true);
            if table.is_none() && sql.is_none() {
                out.push(Guess::new(
                    stage,
                    format!("link {}", l.name),
                    "the database read names neither a table nor a query",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Column, JobKind, LinkKind, PropValue, Property};

    fn stage(id: &str, name: &str, ty: &str, props: Vec<Property>) -> Stage {
        Stage {
            id: id.into(),
            name: name.into(),
            stage_type: ty.into(),
            raw_type: ty.into(),
            properties: props,
            transformer: None,
            activity: None,
            container: None,
            input_pins: Vec::new(),
            output_pins: Vec::new(),
        }
    }

    fn link(id: &str, from: &str, to: &str, idx: u32, kind: LinkKind, key: &str) -> Link {
        Link {
            id: id.into(),
            name: format!("L{id}"),
            from_stage: from.into(),
            to_stage: Some(to.into()),
            from_index: 0,
            to_index: idx,
            kind,
            columns: vec![Column {
                name: "K".into(),
                key_expression: key.into(),
                ..Default::default()
            }],
            constraint: String::new(),
            source_properties: Vec::new(),
            target_properties: Vec::new(),
        }
    }

    fn job(stages: Vec<Stage>, links: Vec<Link>) -> Job {
        Job {
            name: "J".into(),
            folder: String::new(),
            kind: JobKind::Parallel,
            description: String::new(),
            parameters: Vec::new(),
            stages,
            links,
            annotations: Vec::new(),
            properties: Vec::new(),
            shared_containers: Vec::new(),
        }
    }

    #[test]
    fn a_lookup_without_keys_is_a_guess_and_with_keys_is_not() {
        let s = vec![
            stage("A", "src", "SequentialFile", vec![]),
            stage("B", "ref", "SequentialFile", vec![]),
            stage("C", "lkp", "Lookup", vec![]),
        ];
        let keyless = job(
            s.clone(),
            vec![
                link("1", "A", "C", 0, LinkKind::Stream, ""),
                link("2", "B", "C", 1, LinkKind::Reference, ""),
            ],
        );
        let g = guesses(&keyless);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(g[0].stage, "lkp");
        assert!(g[0].message().contains("cross join"));
        let keyed = job(
            s,
            vec![
                link("1", "A", "C", 0, LinkKind::Stream, ""),
                link("2", "B", "C", 1, LinkKind::Reference, "L1.K"),
            ],
        );
        assert!(guesses(&keyed).is_empty());
    }

    #[test]
    fn an_unknown_join_type_is_a_guess() {
        let tree = |v: &str| Property {
            name: "key".into(),
            value: PropValue::Tree(vec![crate::ir::PropNode {
                name: "key".into(),
                value: v.into(),
                children: Vec::new(),
            }]),
        };
        let op = |v: &str| Property {
            name: "operator".into(),
            value: PropValue::Text(v.into()),
        };
        let mk = |props| {
            job(
                vec![
                    stage("A", "a", "SequentialFile", vec![]),
                    stage("B", "b", "SequentialFile", vec![]),
                    stage("C", "j", "Join", props),
                ],
                vec![
                    link("1", "A", "C", 0, LinkKind::Stream, ""),
                    link("2", "B", "C", 1, LinkKind::Stream, ""),
                ],
            )
        };
        assert!(guesses(&mk(vec![tree("K"), op("leftouterjoin")])).is_empty());
        let g = guesses(&mk(vec![tree("K"), op("semijoin")]));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].property, "operator");
        let g = guesses(&mk(vec![op("innerjoin")]));
        assert_eq!(g[0].property, "key");
    }
}
