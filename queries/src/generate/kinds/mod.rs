//! The stage registry (issue 16 item 2): one [`Kind`] per stage kind, one
//! line per kind in [`REGISTRY`]. A kind's file (`kinds/<kind>.rs`) holds
//! what both targets and the reference evaluator do with it: the typed
//! reading of its properties they share, its Glue (PySpark) emitter, its
//! SQL emitter and its simulation (the expected rows of the generated
//! tests). Dispatch of both targets and of the simulation goes through this
//! table, and what a target supports is derived from which emitters a kind
//! has ([`support`]): there are no hand-kept flags.
//!
//! Layering: the kinds sit inside `generate`, above the emitter contexts
//! (`glue::Gen`, `sql::SqlGen`, `plan::PlanStage`, the io helpers) and
//! below the job-level generators that call them; `stages` (property
//! readers, guesses, the catalogue's difficulty / class / note) stays below
//! `generate` and never imports it. See ARCHITECTURE.md.
//!
//! Kinds not yet moved into their own file point at their functions in
//! `glue/stages.rs` and `sql/stages.rs` (`pending` entries below).

pub mod filter;
pub mod funnel;
pub mod head_tail;
pub mod join;
pub mod remove_duplicates;
pub mod sort;

use std::collections::BTreeMap;

use super::glue::stages as glue_stages;
use super::glue::{Coverage, Gen, StageCode, Table, pivot, switch};
use super::plan::PlanStage;
use super::sql::SqlGen;
use super::sql::stages as sql_stages;
use crate::expr::eval::Value;
use crate::stages::catalogue::{self, StageClass};

/// The PySpark function of one stage.
pub type GlueFn = fn(&mut Gen, &PlanStage) -> StageCode;
/// The relations (CTEs) of one stage; returns its coverage.
pub type SqlFn = fn(&mut SqlGen, &PlanStage) -> Coverage;
/// The expected output rows of one stage from its input rows:
/// `Err(message)` when the stage's function raises.
pub type SimFn =
    fn(&Gen, &PlanStage, &[&Table], &BTreeMap<String, Value>) -> Result<Vec<Table>, String>;

/// What a kind's file implements for one target.
#[derive(Clone, Copy)]
pub enum Rule<F> {
    /// Translation rules (exact or approximate, per stage).
    Emit(F),
    /// A sketch that raises / stops: the user completes it.
    Scaffold(F),
    /// No emitter: the stage becomes a placeholder naming why.
    Placeholder(&'static str),
    /// No emitter and no kind-specific reason.
    Missing,
}

/// One stage kind.
pub struct Kind {
    /// The normalised stage types (`parse::stage_types`) it handles.
    pub types: &'static [&'static str],
    /// The file that holds it (for the coverage doc).
    pub file: &'static str,
    pub glue: Rule<GlueFn>,
    pub sql: Rule<SqlFn>,
    pub simulate: Option<SimFn>,
}

/// Simulation of a stage whose output the evaluator does not predict (the
/// generated test checks the schema only).
pub fn unpredicted(
    _g: &Gen,
    ps: &PlanStage,
    _inputs: &[&Table],
    _params: &BTreeMap<String, Value>,
) -> Result<Vec<Table>, String> {
    Ok(vec![
        Table::unknown(format!(
            "{} output not predicted",
            ps.stage.stage_type
        ));
        ps.outputs.len()
    ])
}

const CDC_SQL: &str = "change capture / apply and SCD need a design decision (history table, keys); see the Glue scaffold";

/// The registry: one line per kind.
pub const REGISTRY: &[Kind] = &[
    funnel::KIND,
    head_tail::KIND,
    head_tail::SAMPLE,
    filter::KIND,
    sort::KIND,
    join::KIND,
    remove_duplicates::KIND,
    // pending: still in glue/stages.rs and sql/stages.rs
    Kind {
        types: &["Transformer"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::transformer),
        sql: Rule::Emit(sql_stages::transformer),
        simulate: Some(glue_stages::simulate_transformer),
    },
    Kind {
        types: &["Lookup"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::lookup),
        sql: Rule::Emit(sql_stages::lookup),
        simulate: Some(glue_stages::simulate_lookup),
    },
    Kind {
        types: &["Merge"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::merge),
        sql: Rule::Emit(|g, ps| join::sql(g, ps, true)),
        simulate: Some(unpredicted),
    },
    Kind {
        types: &["Aggregator"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::aggregator),
        sql: Rule::Emit(sql_stages::aggregator),
        simulate: Some(|_, ps, inputs, _| Ok(glue_stages::simulate_aggregator(ps, inputs))),
    },
    Kind {
        types: &["Copy", "Peek", "Modify"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::projection),
        sql: Rule::Emit(sql_stages::projection),
        simulate: Some(|_, ps, inputs, _| Ok(glue_stages::simulate_rows_stage(ps, inputs))),
    },
    Kind {
        types: &["ColumnGenerator"],
        file: "generate/glue/stages.rs",
        glue: Rule::Emit(glue_stages::column_generator),
        sql: Rule::Missing,
        simulate: Some(unpredicted),
    },
    Kind {
        types: &["RowGenerator"],
        file: "generate/glue/stages.rs",
        glue: Rule::Emit(glue_stages::row_generator),
        sql: Rule::Missing,
        simulate: Some(unpredicted),
    },
    Kind {
        types: &["SurrogateKeyGenerator"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::surrogate_key),
        sql: Rule::Emit(sql_stages::surrogate_key),
        simulate: Some(|_, ps, inputs, _| Ok(glue_stages::simulate_surrogate_key(ps, inputs))),
    },
    Kind {
        types: &["ChangeCapture"],
        file: "generate/glue/stages.rs",
        glue: Rule::Scaffold(glue_stages::change_capture),
        sql: Rule::Placeholder(CDC_SQL),
        simulate: Some(unpredicted),
    },
    Kind {
        types: &["ChangeApply", "SlowlyChangingDimension"],
        file: "generate/glue/stages.rs",
        glue: Rule::Scaffold(glue_stages::scaffold),
        sql: Rule::Placeholder(CDC_SQL),
        simulate: None,
    },
    Kind {
        types: &["Pivot"],
        file: "generate/glue/pivot.rs",
        glue: Rule::Emit(pivot::emit),
        sql: Rule::Missing,
        simulate: Some(|_, ps, inputs, _| Ok(pivot::simulate(ps, inputs))),
    },
    Kind {
        types: &["Switch"],
        file: "generate/glue/switch.rs",
        glue: Rule::Emit(switch::emit),
        sql: Rule::Missing,
        simulate: Some(|_, ps, inputs, _| switch::simulate(ps, inputs)),
    },
];

/// The registry entry of a normalised stage type.
pub fn kind(stage_type: &str) -> Option<&'static Kind> {
    REGISTRY.iter().find(|k| k.types.contains(&stage_type))
}

/// The PySpark function of one (non-file) stage: its kind's emitter, or a
/// placeholder that raises.
pub fn glue(g: &mut Gen, ps: &PlanStage) -> StageCode {
    match kind(&ps.stage.stage_type).map(|k| k.glue) {
        Some(Rule::Emit(f) | Rule::Scaffold(f)) => f(g, ps),
        Some(Rule::Placeholder(why)) => glue_stages::placeholder(g, ps, why),
        Some(Rule::Missing) | None => {
            glue_stages::placeholder(g, ps, "no translation rule for this stage type")
        }
    }
}

/// The relations of one (non-file) stage on the SQL target: its kind's
/// emitter, or a placeholder that stops the script.
pub fn sql(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    match kind(&ps.stage.stage_type).map(|k| k.sql) {
        Some(Rule::Emit(f) | Rule::Scaffold(f)) => f(g, ps),
        Some(Rule::Placeholder(why)) => sql_stages::placeholder(g, ps, why),
        Some(Rule::Missing) | None => {
            sql_stages::placeholder(g, ps, "no SQL translation rule for this stage type")
        }
    }
}

/// Simulate one stage: `Err(message)` when its function raises.
pub fn simulate(
    g: &Gen,
    ps: &PlanStage,
    inputs: &[&Table],
    params: &BTreeMap<String, Value>,
) -> Result<Vec<Table>, String> {
    if let Some(msg) = g.raising.get(&ps.stage.id) {
        return Err(msg.clone());
    }
    match kind(&ps.stage.stage_type).and_then(|k| k.simulate) {
        Some(f) => f(g, ps, inputs, params),
        None => Err(format!("{} stage {}", ps.stage.stage_type, ps.stage.name)),
    }
}

/// How a target handles a stage type, derived from the registry (kinds
/// with emitters) and, for the stages that are not row operators, from
/// the catalogue's class (sources / targets, sequences, containers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Rules,
    Scaffold,
    Placeholder,
    /// A source or target: `glue/io.rs` / `sql/mod.rs` + `sql/ddl.rs`.
    SourceTarget,
    /// A sequence activity: Step Functions (`glue/orchestration.rs`).
    Orchestration,
    /// Inlined by the plan.
    Inlined,
}

impl Support {
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Rules => "rules",
            Support::Scaffold => "scaffold",
            Support::Placeholder => "placeholder",
            Support::SourceTarget => "source / target",
            Support::Orchestration => "orchestration",
            Support::Inlined => "inlined",
        }
    }

    /// Whether the target has rules of its own for the stage (not a
    /// placeholder or a scaffold the user completes).
    pub fn has_rules(self) -> bool {
        !matches!(self, Support::Scaffold | Support::Placeholder)
    }
}

fn of<F>(r: &Rule<F>) -> Support {
    match r {
        Rule::Emit(_) => Support::Rules,
        Rule::Scaffold(_) => Support::Scaffold,
        Rule::Placeholder(_) | Rule::Missing => Support::Placeholder,
    }
}

/// The target of a support question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Glue,
    Sql,
}

/// How `target` handles `stage_type`.
pub fn support(stage_type: &str, target: Target) -> Support {
    if let Some(k) = kind(stage_type) {
        return match target {
            Target::Glue => of(&k.glue),
            Target::Sql => of(&k.sql),
        };
    }
    let info = catalogue::lookup(stage_type);
    match info.class {
        StageClass::Io if info.difficulty < 4 => Support::SourceTarget,
        StageClass::Sequence if target == Target::Glue => Support::Orchestration,
        StageClass::Container => Support::Inlined,
        _ => Support::Placeholder,
    }
}
