//! Vertex AI Gemini: `POST https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
//! (location `global`: `https://aiplatform.googleapis.com`) with a Bearer
//! access token; usage in `usageMetadata.promptTokenCount` /
//! `candidatesTokenCount` (+ `thoughtsTokenCount`, billed as output).

use serde_json::{Value, json};

use super::LlmError;
use super::keys::{self, Env};
use super::provider::{
    ChatRequest, ChatResponse, HttpRequest, Provider, join, json_body, str_at, u64_at, uri_encode,
};

pub const DEFAULT_LOCATION: &str = "us-central1";

pub struct Vertex {
    model: String,
    url: String,
    token: String,
}

impl Vertex {
    pub fn new(
        model: String,
        project: &str,
        location: &str,
        base: Option<String>,
        token: String,
    ) -> Vertex {
        let base = base.unwrap_or_else(|| {
            if location == "global" {
                "https://aiplatform.googleapis.com".into()
            } else {
                format!("https://{location}-aiplatform.googleapis.com")
            }
        });
        let url = join(
            &base,
            &format!(
                "/v1/projects/{}/locations/{}/publishers/google/models/{}:generateContent",
                uri_encode(project, false),
                uri_encode(location, false),
                uri_encode(&model, false)
            ),
        );
        Vertex { model, url, token }
    }

    pub fn from_env(model: String, base: Option<String>, env: &dyn Env) -> Result<Self, LlmError> {
        let project = keys::required(
            env,
            "GOOGLE_CLOUD_PROJECT",
            "llm.provider = \"vertex\" needs the Google Cloud project id",
        )?;
        let location = env
            .var("GOOGLE_CLOUD_LOCATION")
            .unwrap_or_else(|| DEFAULT_LOCATION.into());
        let token = keys::vertex_token(env)?;
        Ok(Vertex::new(model, &project, &location, base, token))
    }
}

impl Provider for Vertex {
    fn name(&self) -> &str {
        "vertex"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn build_request(&self, req: &ChatRequest) -> Result<HttpRequest, LlmError> {
        let mut body = json!({
            "contents": [{"role": "user", "parts": [{"text": req.prompt}]}],
            "generationConfig": {
                "temperature": req.temperature,
                "maxOutputTokens": req.max_tokens,
            },
        });
        if !req.system.is_empty() {
            body["systemInstruction"] = json!({"parts": [{"text": req.system}]});
        }
        let mut r = HttpRequest::post_json(self.url.clone(), &body);
        r.headers
            .push(("authorization".into(), format!("Bearer {}", self.token)));
        Ok(r)
    }

    fn parse_response(
        &self,
        status: u16,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<ChatResponse, LlmError> {
        let v = json_body(status, body)?;
        let Some(cand) = v.pointer("/candidates/0") else {
            let why = str_at(&v, "/promptFeedback/blockReason");
            return Err(LlmError::Malformed(if why.is_empty() {
                "no candidates in the answer".into()
            } else {
                format!("the prompt was blocked ({why})")
            }));
        };
        let text = cand
            .pointer("/content/parts")
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    // Thought summaries are not the answer.
                    .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default();
        Ok(ChatResponse {
            text,
            usage: super::Usage {
                input_tokens: u64_at(&v, "/usageMetadata/promptTokenCount"),
                output_tokens: u64_at(&v, "/usageMetadata/candidatesTokenCount")
                    + u64_at(&v, "/usageMetadata/thoughtsTokenCount"),
            },
            model: match str_at(&v, "/modelVersion") {
                m if m.is_empty() => self.model.clone(),
                m => m,
            },
            stop_reason: str_at(cand, "/finishReason"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::keys::MapEnv;

    #[test]
    fn url_body_and_token() {
        let env = MapEnv::new(&[
            ("GOOGLE_CLOUD_PROJECT", "proj-1"),
            ("GOOGLE_CLOUD_LOCATION", "europe-west4"),
            ("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.t"),
        ]);
        let p = Vertex::from_env("gemini-2.5-pro".into(), None, &env).unwrap();
        let r = p.build_request(&ChatRequest::new("sys", "hi")).unwrap();
        assert_eq!(
            r.url,
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent"
        );
        assert_eq!(r.header("authorization"), Some("Bearer ya29.t"));
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(b["systemInstruction"]["parts"][0]["text"], "sys");
        assert_eq!(b["generationConfig"]["maxOutputTokens"], 4096);
        // No token and no gcloud: the error names the variable.
        let env = MapEnv::new(&[("GOOGLE_CLOUD_PROJECT", "p")]);
        let e = Vertex::from_env("m".into(), None, &env).err().unwrap();
        assert!(
            e.to_string()
                .starts_with("GOOGLE_OAUTH_ACCESS_TOKEN is not set"),
            "{e}"
        );
    }

    #[test]
    fn blocked_prompt_is_an_error() {
        let p = Vertex::new("m".into(), "p", "global", None, "t".into());
        let e = p
            .parse_response(200, &[], br#"{"promptFeedback":{"blockReason":"SAFETY"}}"#)
            .unwrap_err();
        assert!(e.to_string().contains("SAFETY"));
    }
}
