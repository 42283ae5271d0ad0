//! Reading DataStage exports: format detection, the DSX, XML and ISX
//! readers, and the raw-record → IR builder.

pub mod build;
pub mod diag;
pub mod dsx;
pub mod input;
pub mod isx;
pub mod props;
pub mod raw;
pub mod secrets;
pub mod stage_types;
pub mod xml;

pub use diag::{Diagnostic, Severity};

/// Limits that protect a run from hostile or broken input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file (and largest decompressed gzip / zip content) read, in
    /// bytes: `parser.max_file_size_mb`.
    pub max_file_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 1024 * 1024 * 1024,
        }
    }
}
