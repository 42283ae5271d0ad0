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
    pub simulate: Sim,
}

/// What the reference evaluator predicts of a kind's output rows.
#[derive(Clone, Copy)]
pub enum Sim {
    /// The rows (`Err(message)` when the stage's function raises).
    Rows(SimFn),
    /// Not predicted: the generated test checks the schema only.
    Unpredicted,
    /// No simulation: the stage's function raises (a scaffold).
    None,
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
        simulate: Sim::Rows(glue_stages::simulate_transformer),
    },
    Kind {
        types: &["Lookup"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::lookup),
        sql: Rule::Emit(sql_stages::lookup),
        simulate: Sim::Rows(glue_stages::simulate_lookup),
    },
    Kind {
        types: &["Merge"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::merge),
        sql: Rule::Emit(|g, ps| join::sql(g, ps, true)),
        simulate: Sim::Unpredicted,
    },
    Kind {
        types: &["Aggregator"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::aggregator),
        sql: Rule::Emit(sql_stages::aggregator),
        simulate: Sim::Rows(|_, ps, inputs, _| Ok(glue_stages::simulate_aggregator(ps, inputs))),
    },
    Kind {
        types: &["Copy", "Peek", "Modify"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::projection),
        sql: Rule::Emit(sql_stages::projection),
        simulate: Sim::Rows(|_, ps, inputs, _| Ok(glue_stages::simulate_rows_stage(ps, inputs))),
    },
    Kind {
        types: &["ColumnGenerator"],
        file: "generate/glue/stages.rs",
        glue: Rule::Emit(glue_stages::column_generator),
        sql: Rule::Missing,
        simulate: Sim::Unpredicted,
    },
    Kind {
        types: &["RowGenerator"],
        file: "generate/glue/stages.rs",
        glue: Rule::Emit(glue_stages::row_generator),
        sql: Rule::Missing,
        simulate: Sim::Unpredicted,
    },
    Kind {
        types: &["SurrogateKeyGenerator"],
        file: "generate/glue/stages.rs, generate/sql/stages.rs",
        glue: Rule::Emit(glue_stages::surrogate_key),
        sql: Rule::Emit(sql_stages::surrogate_key),
        simulate: Sim::Rows(|_, ps, inputs, _| Ok(glue_stages::simulate_surrogate_key(ps, inputs))),
    },
    Kind {
        types: &["ChangeCapture"],
        file: "generate/glue/stages.rs",
        glue: Rule::Scaffold(glue_stages::change_capture),
        sql: Rule::Placeholder(CDC_SQL),
        simulate: Sim::Unpredicted,
    },
    Kind {
        types: &["ChangeApply", "SlowlyChangingDimension"],
        file: "generate/glue/stages.rs",
        glue: Rule::Scaffold(glue_stages::scaffold),
        sql: Rule::Placeholder(CDC_SQL),
        simulate: Sim::None,
    },
    Kind {
        types: &["Pivot"],
        file: "generate/glue/pivot.rs",
        glue: Rule::Emit(pivot::emit),
        sql: Rule::Missing,
        simulate: Sim::Rows(|_, ps, inputs, _| Ok(pivot::simulate(ps, inputs))),
    },
    Kind {
        types: &["Switch"],
        file: "generate/glue/switch.rs",
        glue: Rule::Emit(switch::emit),
        sql: Rule::Missing,
        simulate: Sim::Rows(|_, ps, inputs, _| switch::simulate(ps, inputs)),
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
    match kind(&ps.stage.stage_type).map(|k| k.simulate) {
        Some(Sim::Rows(f)) => f(g, ps, inputs, params),
        // Output not predicted: the generated test checks the schema only.
        Some(Sim::Unpredicted) => Ok(vec![
            Table::unknown(format!(
                "{} output not predicted",
                ps.stage.stage_type
            ));
            ps.outputs.len()
        ]),
        Some(Sim::None) | None => Err(format!("{} stage {}", ps.stage.stage_type, ps.stage.name)),
    }
}

/// How a target handles a stage type, derived from the registry (the
/// emitters a kind has) and, for what is not a row operator, from the
/// generators' own dispatch: sources / targets (`glue::is_io`, read and
/// written by `glue/io.rs`, `sql/mod.rs` + `sql/ddl.rs`), sequence
/// activities (`glue/orchestration.rs`, `sql/sequence.rs`), containers
/// (inlined by the plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Rules,
    Scaffold,
    Placeholder,
    SourceTarget,
    Orchestration,
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
    if super::glue::is_io(stage_type) {
        return Support::SourceTarget;
    }
    match catalogue::lookup(stage_type).class {
        StageClass::Sequence => Support::Orchestration,
        StageClass::Container => Support::Inlined,
        _ => Support::Placeholder,
    }
}

/// docs/stage-coverage.md: one row per catalogue entry, what each target
/// does with it derived from the registry (`tests/it/stage_coverage.rs`
/// fails when the file differs).
pub fn coverage_markdown() -> String {
    let mut out = String::from("# Stage coverage\n\n");
    out.push_str(
        "Generated by `queries::generate::kinds::coverage_markdown()` from the stage catalogue \
         (`queries/src/stages/catalogue.rs`: difficulty, class, note) and the stage registry \
         (`queries/src/generate/kinds/`: which emitters each kind implements); \
         `tests/it/stage_coverage.rs` fails when this file differs. Regenerate with \
         `DSMIG_UPDATE_DOCS=1 cargo test --test it stage_coverage::`.\n\n",
    );
    out.push_str(
        "Per target: **rules** = an emitter translates it (exact or approximate per stage, \
         reported per job); **scaffold** = a sketch that raises / stops until completed; \
         **placeholder** = no emitter: the stage raises (Glue) or stops the script (SQL), \
         naming itself; **source / target** = read or written by the job's I/O code; \
         **orchestration** = a sequence activity (Step Functions / run script); **inlined** = \
         replaced by its contents. *Expected rows*: what the generated tests check (rows \
         predicted by the reference evaluator, or the schema only).\n\n",
    );
    let mut counts = [(0usize, 0usize); 2];
    for e in catalogue::CATALOGUE {
        for (i, t) in [Target::Glue, Target::Sql].into_iter().enumerate() {
            match support(e.stage_type, t) {
                Support::Rules
                | Support::SourceTarget
                | Support::Orchestration
                | Support::Inlined => counts[i].0 += 1,
                Support::Scaffold | Support::Placeholder => counts[i].1 += 1,
            }
        }
    }
    out.push_str(&format!(
        "{} stage types, {} kinds in the registry.\n\n| target | handled | scaffold or placeholder |\n|---|---|---|\n| Glue | {} | {} |\n| SQL | {} | {} |\n\n",
        catalogue::CATALOGUE.len(),
        REGISTRY.len(),
        counts[0].0,
        counts[0].1,
        counts[1].0,
        counts[1].1
    ));
    out.push_str(
        "| stage type | class | difficulty | Glue | SQL | expected rows | file | note |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut rows: Vec<&catalogue::StageInfo> = catalogue::CATALOGUE.iter().collect();
    rows.sort_by_key(|e| e.stage_type);
    for e in rows {
        let k = kind(e.stage_type);
        let sim = match k.map(|k| k.simulate) {
            Some(Sim::Rows(_)) => "predicted",
            Some(Sim::Unpredicted) => "schema only",
            Some(Sim::None) | None => "-",
        };
        out.push_str(&format!(
            "| {} | {:?} | {} | {} | {} | {} | {} | {} |\n",
            e.stage_type,
            e.class,
            e.difficulty,
            support(e.stage_type, Target::Glue).as_str(),
            support(e.stage_type, Target::Sql).as_str(),
            sim,
            k.map_or("-".to_string(), |k| format!("`{}`", k.file)),
            e.note.replace('|', "/"),
        ));
    }
    out
}
