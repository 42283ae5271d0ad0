use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Entity;

/// blake3 of an entity's canonical serialisation. Hex in JSON, 32 raw
/// bytes in postcard.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EntityHash(pub [u8; 32]);

impl Serialize for EntityHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.hex())
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for EntityHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            EntityHash::from_hex(&s)
                .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
        } else {
            Ok(EntityHash(<[u8; 32]>::deserialize(d)?))
        }
    }
}

impl EntityHash {
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    pub fn from_hex(s: &str) -> Option<EntityHash> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(EntityHash(out))
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
pub const IR_VERSION: u32 = 5;

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
