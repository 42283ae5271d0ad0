//! Stored responses: the store's `llm` table. The key is the blake3 of
//! provider ‖ model ‖ parameters ‖ system prompt ‖ prompt (each
//! length-prefixed, after scrubbing); a stored answer is never asked for
//! again. Each answer is committed the moment it arrives
//! ([`Store::put_llm`]), so a run killed after k of n answers loses none
//! of the k.

use serde::{Deserialize, Serialize};

use crate::store::{Hash, Store, decode, encode};

use super::LlmError;
use super::provider::{ChatRequest, ChatResponse};

/// Part of every key: bump when the key or the stored value changes shape.
pub const KEY_VERSION: u32 = 1;

/// What the store keeps for one call: the (scrubbed) request, for audit
/// and `explain`, and the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub provider: String,
    pub model: String,
    pub request: ChatRequest,
    pub response: ChatResponse,
}

fn field(h: &mut blake3::Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The key of a call. `req` must already be scrubbed (it is what is sent).
pub fn request_key(provider: &str, model: &str, req: &ChatRequest) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(b"dsmig-llm");
    h.update(&KEY_VERSION.to_le_bytes());
    field(&mut h, provider.as_bytes());
    field(&mut h, model.as_bytes());
    // Parameters, canonically: -0.0 and 0.0 are the same temperature.
    let t = if req.temperature == 0.0 {
        0.0f64
    } else {
        req.temperature
    };
    field(&mut h, &t.to_bits().to_le_bytes());
    field(&mut h, &req.max_tokens.to_le_bytes());
    field(&mut h, req.system.as_bytes());
    field(&mut h, req.prompt.as_bytes());
    *h.finalize().as_bytes()
}

/// A stored answer; a value that no longer decodes is a miss.
pub fn get(store: &Store, key: &Hash) -> Result<Option<StoredResponse>, LlmError> {
    let raw = store.llm(key).map_err(|e| LlmError::Store(e.to_string()))?;
    Ok(raw.and_then(|v| decode::<StoredResponse>(&v)))
}

/// Store an answer, committed before this returns.
pub fn put(store: &Store, key: &Hash, value: &StoredResponse) -> Result<(), LlmError> {
    store
        .put_llm(key, &encode(value))
        .map_err(|e| LlmError::Store(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_covers_every_input() {
        let r = ChatRequest::new("s", "p");
        let k = request_key("anthropic", "m", &r);
        assert_eq!(k, request_key("anthropic", "m", &r.clone()));
        assert_ne!(k, request_key("bedrock", "m", &r));
        assert_ne!(k, request_key("anthropic", "m2", &r));
        let mut r2 = r.clone();
        r2.temperature = 0.5;
        assert_ne!(k, request_key("anthropic", "m", &r2));
        let mut r3 = r.clone();
        r3.max_tokens = 1;
        assert_ne!(k, request_key("anthropic", "m", &r3));
        // Field boundaries are not ambiguous.
        assert_ne!(
            request_key("anthropic", "m", &ChatRequest::new("ab", "c")),
            request_key("anthropic", "m", &ChatRequest::new("a", "bc"))
        );
        let mut r4 = r.clone();
        r4.temperature = -0.0;
        assert_eq!(k, request_key("anthropic", "m", &r4));
    }
}
