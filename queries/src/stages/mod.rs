//! What dsmig reads from each stage kind, shared by the analysis, both
//! generators and the reference evaluator (the start of the stage
//! registry of issue 16: today the property readers and the checks for
//! what a translation would otherwise have to guess).
//!
//! Layering: `stages` depends on `ir` (and `expr` for key expressions)
//! only, so `analysis` (classification) and `generate` (both targets)
//! read a stage the same way.

pub mod audit;
pub mod catalogue;
pub mod guess;
pub mod layouts;
pub mod modify;
pub mod props;
pub mod sequence;
pub mod sort;

pub use guess::{Guess, guesses, stage_guesses};
