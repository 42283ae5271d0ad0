//! The incremental engine: the query graph of ARCHITECTURE.md as salsa
//! tracked functions (memoised within a process), each consulting the
//! store (memoised across processes) before computing.
//!
//! Phases: `split` (file → slices), `job_ir` (slice → entities), the
//! analyses (`analysis`), `artifacts` (job → files: the rule-based draft),
//! `prompt` and `llm` (`llm`: an LLM completes what rules left open), then
//! `materialize` (write what changed).
//! Every phase counts what it computed and what it reused; `dsmig build`
//! prints the counts and tests assert on them.

pub mod analysis;
pub mod artifacts;
pub mod code_digest;
mod counters;
pub mod db;
pub mod explain;
pub mod job_ir;
pub mod llm;
pub mod materialize;
pub mod query;
pub mod run;
pub mod source;
pub mod split;
pub mod summary;

pub use counters::{Counters, Phase, PhaseCount};
pub use db::{Ctx, Database, Db};
