//! Anthropic Messages: `POST {base}/v1/messages` with `x-api-key` and
//! `anthropic-version`; usage in `usage.input_tokens` / `output_tokens`.

use serde_json::{Value, json};

use super::LlmError;
use super::keys::{self, Env};
use super::provider::{
    ChatRequest, ChatResponse, HttpRequest, Provider, Usage, join, json_body, str_at, u64_at,
};

pub const DEFAULT_BASE: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";

pub struct Anthropic {
    model: String,
    base: String,
    key: String,
}

impl Anthropic {
    pub fn new(model: String, base: Option<String>, key: String) -> Anthropic {
        Anthropic {
            model,
            base: base.unwrap_or_else(|| DEFAULT_BASE.into()),
            key,
        }
    }

    pub fn from_env(model: String, base: Option<String>, env: &dyn Env) -> Result<Self, LlmError> {
        let key = keys::required(
            env,
            "ANTHROPIC_API_KEY",
            "llm.provider = \"anthropic\" needs an Anthropic API key",
        )?;
        Ok(Anthropic::new(model, base, key))
    }
}

impl Provider for Anthropic {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn build_request(&self, req: &ChatRequest) -> Result<HttpRequest, LlmError> {
        let mut body = json!({
            "model": self.model,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "messages": [{"role": "user", "content": req.prompt}],
        });
        if !req.system.is_empty() {
            body["system"] = Value::String(req.system.clone());
        }
        let mut r = HttpRequest::post_json(join(&self.base, "/v1/messages"), &body);
        r.headers.push(("x-api-key".into(), self.key.clone()));
        r.headers
            .push(("anthropic-version".into(), API_VERSION.into()));
        Ok(r)
    }

    fn parse_response(
        &self,
        status: u16,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<ChatResponse, LlmError> {
        let v = json_body(status, body)?;
        let blocks = v
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| LlmError::Malformed("no content array in the message".into()))?;
        let text = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("");
        Ok(ChatResponse {
            text,
            usage: Usage {
                input_tokens: u64_at(&v, "/usage/input_tokens")
                    + u64_at(&v, "/usage/cache_creation_input_tokens")
                    + u64_at(&v, "/usage/cache_read_input_tokens"),
                output_tokens: u64_at(&v, "/usage/output_tokens"),
            },
            model: match str_at(&v, "/model") {
                m if m.is_empty() => self.model.clone(),
                m => m,
            },
            stop_reason: str_at(&v, "/stop_reason"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_shape() {
        let p = Anthropic::new("claude-sonnet-4-5".into(), None, "k".into());
        let r = p.build_request(&ChatRequest::new("sys", "hello")).unwrap();
        assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(r.header("x-api-key"), Some("k"));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            b,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 4096, "temperature": 0.0,
                   "system": "sys", "messages": [{"role": "user", "content": "hello"}]})
        );
    }

    #[test]
    fn response_usage() {
        let p = Anthropic::new("m".into(), None, "k".into());
        let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
            "content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"stop_reason":"end_turn",
            "usage":{"input_tokens":10,"output_tokens":3,"cache_read_input_tokens":2}}"#;
        let r = p.parse_response(200, &[], body).unwrap();
        assert_eq!(r.text, "ab");
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 12,
                output_tokens: 3
            }
        );
        assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    }
}
