use serde::{Deserialize, Serialize};

use super::Entity;

/// blake3 of an entity's canonical serialisation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct EntityHash(pub [u8; 32]);

impl EntityHash {
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// First 12 hex digits: enough to tell jobs apart in a table.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

impl std::fmt::Debug for EntityHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntityHash({})", self.short())
    }
}

impl std::fmt::Display for EntityHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

/// Version of the canonical form. Bump it when the IR's shape or the
/// canonicalisation changes: every key derived from an IR hash moves with it.
pub const IR_VERSION: u32 = 1;

/// The canonical serialisation: postcard of the entity, prefixed by the IR
/// version. Builders already produce canonical order (stages and links by
/// id, properties by name), so this is a plain encoding.
pub fn canonical_bytes(entity: &Entity) -> Vec<u8> {
    let out = IR_VERSION.to_le_bytes().to_vec();
    // Serialising owned, in-memory data with derived impls cannot fail.
    match postcard::to_extend(entity, out) {
        Ok(v) => v,
        Err(_) => IR_VERSION.to_le_bytes().to_vec(),
    }
}

pub fn entity_hash(entity: &Entity) -> EntityHash {
    EntityHash(*blake3::hash(&canonical_bytes(entity)).as_bytes())
}
