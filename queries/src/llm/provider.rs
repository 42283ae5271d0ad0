//! The provider trait and the shapes shared by every wire format.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LlmError;

/// One chat completion: a system prompt and one user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub system: String,
    pub prompt: String,
    /// Largest completion asked for.
    pub max_tokens: u64,
    pub temperature: f64,
}

impl ChatRequest {
    pub fn new(system: impl Into<String>, prompt: impl Into<String>) -> ChatRequest {
        ChatRequest {
            system: system.into(),
            prompt: prompt.into(),
            max_tokens: 4096,
            temperature: 0.0,
        }
    }
}

/// What goes on the wire; built without I/O so tests can read it.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn post_json(url: String, body: &Value) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// Tokens a response reports (input includes cached / cache-written input;
/// output includes reasoning tokens where the provider reports them apart).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub text: String,
    pub usage: Usage,
    /// The model that answered, as the server names it.
    pub model: String,
    /// Why generation stopped, as the server says it (`end_turn`, `stop`,
    /// `max_tokens`, `length`, `STOP`, ...); empty if not given.
    pub stop_reason: String,
}

impl ChatResponse {
    /// The completion hit the token limit: its code is likely cut short.
    pub fn truncated(&self) -> bool {
        matches!(
            self.stop_reason.as_str(),
            "max_tokens" | "length" | "MAX_TOKENS"
        )
    }
}

/// A wire format plus its endpoint and credentials.
pub trait Provider: Send + Sync {
    /// `anthropic`, `azure_openai`, ... (part of the stored-response key).
    fn name(&self) -> &str;
    fn model(&self) -> &str;
    /// The HTTP request for `req`. Called again for every attempt (SigV4
    /// signatures carry a time).
    fn build_request(&self, req: &ChatRequest) -> Result<HttpRequest, LlmError>;
    /// Read an answer. A non-2xx status is an [`LlmError::Status`].
    fn parse_response(
        &self,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<ChatResponse, LlmError>;
}

/// Case-insensitive header lookup.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Parse a 2xx JSON body, or turn an error status into [`LlmError::Status`]
/// with the server's message.
pub fn json_body(status: u16, body: &[u8]) -> Result<Value, LlmError> {
    if !(200..300).contains(&status) {
        return Err(LlmError::Status {
            status,
            message: error_message(body),
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        LlmError::Malformed(format!(
            "body is not JSON ({e}); it starts with {:?}",
            snippet(body, 80)
        ))
    })
}

/// The message of an error body: `error.message` (Anthropic, OpenAI,
/// Azure, Vertex), `message` / `Message` (Bedrock), else the body's start.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let candidates = [
            v.pointer("/error/message"),
            v.get("message"),
            v.get("Message"),
            v.get("error").filter(|e| e.is_string()),
        ];
        for c in candidates.into_iter().flatten() {
            if let Some(s) = c.as_str() {
                return one_line(s, 300);
            }
        }
    }
    if body.is_empty() {
        "(empty body)".into()
    } else {
        one_line(&snippet(body, 300), 300)
    }
}

fn snippet(body: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(max)]);
    s.into_owned()
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    flat.trim().to_string()
}

pub fn u64_at(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

pub fn str_at(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// `base` without its trailing slashes, then `path`.
pub fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters
/// (and `/` when `keep_slash`): what SigV4 and URL path segments need.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body of an OpenAI-style chat completion (OpenAI, Azure OpenAI,
/// Azure AI Foundry, OpenRouter, vLLM, Ollama, llama.cpp ...).
pub fn openai_chat_body(model: Option<&str>, req: &ChatRequest) -> Value {
    let mut messages = Vec::new();
    if !req.system.is_empty() {
        messages.push(serde_json::json!({"role": "system", "content": req.system}));
    }
    messages.push(serde_json::json!({"role": "user", "content": req.prompt}));
    let mut body = serde_json::json!({
        "messages": messages,
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
    });
    if let Some(m) = model {
        body["model"] = Value::String(m.to_string());
    }
    body
}

/// Read an OpenAI-style chat completion.
pub fn parse_openai_chat(
    status: u16,
    body: &[u8],
    fallback_model: &str,
) -> Result<ChatResponse, LlmError> {
    let v = json_body(status, body)?;
    let choice = v
        .pointer("/choices/0")
        .ok_or_else(|| LlmError::Malformed("no choices[0] in the completion".into()))?;
    let text = match choice.pointer("/message/content") {
        Some(Value::String(s)) => s.clone(),
        // Some servers send content as parts.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => {
            return Err(LlmError::Malformed(format!(
                "choices[0].message.content missing (finish_reason {:?})",
                str_at(choice, "/finish_reason")
            )));
        }
    };
    let model = match str_at(&v, "/model") {
        m if m.is_empty() => fallback_model.to_string(),
        m => m,
    };
    Ok(ChatResponse {
        text,
        usage: Usage {
            input_tokens: u64_at(&v, "/usage/prompt_tokens"),
            output_tokens: u64_at(&v, "/usage/completion_tokens"),
        },
        model,
        stop_reason: str_at(choice, "/finish_reason"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_found() {
        assert_eq!(
            error_message(
                br#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#
            ),
            "slow down"
        );
        assert_eq!(
            error_message(
                br#"{"message":"The security token included in the request is invalid."}"#
            ),
            "The security token included in the request is invalid."
        );
        assert_eq!(
            error_message(b"<html>\nBad gateway</html>"),
            "<html> Bad gateway</html>"
        );
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn uri_encoding() {
        assert_eq!(
            uri_encode("anthropic.claude-3-5-sonnet-20240620-v1:0", false),
            "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
        );
        assert_eq!(uri_encode("/a b/ሴ", true), "/a%20b/%E1%88%B4");
    }

    #[test]
    fn malformed_json_is_an_error() {
        let e = json_body(200, b"{\"choices\": [").unwrap_err();
        assert!(matches!(e, LlmError::Malformed(_)), "{e}");
    }
}
