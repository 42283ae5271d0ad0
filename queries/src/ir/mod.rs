//! The canonical intermediate representation of DataStage entities.
//!
//! Everything that later phases key on lives here. The hashed part of an
//! entity never holds where it came from (path, line, export date): that is
//! kept beside it in [`Located`], so the same job hashes the same alone in a
//! file or among 500 others, in DSX or in LF/CRLF.

pub mod diff;
mod hash;
mod types;

pub use hash::{EntityHash, IR_VERSION, canonical_bytes, entity_hash};
pub use types::*;
