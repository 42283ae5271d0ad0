//! Analysis of job IR: features and grouping (duplicates, similarity
//! clusters, families), complexity, prediction, and lineage. Every
//! function here is pure: it takes only its inputs and returns
//! serialisable, comparable values, so the query graph can memoise it.
//! See `README.md` in this folder for the rules.

pub use crate::stages::catalogue;
pub mod complexity;
pub mod estate;
pub mod features;
pub mod groups;
pub mod lineage;
pub mod predict;
pub mod scan;
pub mod synth;
