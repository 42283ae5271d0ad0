//! The dsmig engine: IR, readers, and the memoised phases built on them.
//! See ARCHITECTURE.md at the repository root for the map.

pub mod analysis;
pub mod basic;
pub mod config;
pub mod dialects;
pub mod engine;
pub mod escape;
pub mod expr;
pub mod generate;
pub mod inventory;
pub mod ir;
pub mod llm;
pub mod parse;
pub mod reconcile;
pub mod report;
pub mod stages;
pub mod store;
pub mod sync;
