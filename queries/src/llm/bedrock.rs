//! AWS Bedrock Runtime Converse: `POST https://bedrock-runtime.{region}.amazonaws.com/model/{modelId}/converse`,
//! signed with SigV4 (service `bedrock`), or with a Bedrock API key as
//! Bearer (`AWS_BEARER_TOKEN_BEDROCK`). Usage in `usage.inputTokens` /
//! `outputTokens`.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::keys::{self, BedrockAuth, Env};
use super::provider::{
    ChatRequest, ChatResponse, HttpRequest, Provider, join, json_body, str_at, u64_at, uri_encode,
};
use super::{LlmError, sigv4};

pub const SERVICE: &str = "bedrock";

pub struct Bedrock {
    model: String,
    region: String,
    url: String,
    auth: BedrockAuth,
    /// Fixed signing time (tests); `None`: now.
    clock: Option<SystemTime>,
}

impl Bedrock {
    pub fn new(model: String, region: String, base: Option<String>, auth: BedrockAuth) -> Bedrock {
        let base =
            base.unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));
        let url = join(
            &base,
            &format!("/model/{}/converse", uri_encode(&model, false)),
        );
        Bedrock {
            model,
            region,
            url,
            auth,
            clock: None,
        }
    }

    pub fn from_env(model: String, base: Option<String>, env: &dyn Env) -> Result<Self, LlmError> {
        let region = keys::aws_region(env)?;
        let auth = keys::bedrock_auth(env)?;
        Ok(Bedrock::new(model, region, base, auth))
    }

    /// Sign as if it were `t` (for reproducible tests).
    pub fn with_clock(mut self, t: SystemTime) -> Bedrock {
        self.clock = Some(t);
        self
    }
}

impl Provider for Bedrock {
    fn name(&self) -> &str {
        "bedrock"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn build_request(&self, req: &ChatRequest) -> Result<HttpRequest, LlmError> {
        let mut body = json!({
            "messages": [{"role": "user", "content": [{"text": req.prompt}]}],
            "inferenceConfig": {
                "maxTokens": req.max_tokens,
                "temperature": req.temperature,
            },
        });
        if !req.system.is_empty() {
            body["system"] = json!([{"text": req.system}]);
        }
        let mut r = HttpRequest::post_json(self.url.clone(), &body);
        r.headers.push(("accept".into(), "application/json".into()));
        match &self.auth {
            BedrockAuth::Bearer(t) => {
                r.headers
                    .push(("authorization".into(), format!("Bearer {t}")));
            }
            BedrockAuth::SigV4(creds) => {
                let url = reqwest::Url::parse(&self.url)
                    .map_err(|e| LlmError::Config(format!("bad Bedrock URL {}: {e}", self.url)))?;
                let host = match (url.host_str(), url.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_string(),
                    _ => return Err(LlmError::Config(format!("no host in {}", self.url))),
                };
                r.headers.push(("host".into(), host));
                let path = url.path().to_string();
                let query = url.query().unwrap_or("").to_string();
                sigv4::sign(
                    "POST",
                    &path,
                    &query,
                    &mut r.headers,
                    &r.body,
                    creds,
                    &self.region,
                    SERVICE,
                    self.clock.unwrap_or_else(SystemTime::now),
                );
            }
        }
        Ok(r)
    }

    fn parse_response(
        &self,
        status: u16,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<ChatResponse, LlmError> {
        let v = json_body(status, body)?;
        let content = v
            .pointer("/output/message/content")
            .and_then(Value::as_array)
            .ok_or_else(|| LlmError::Malformed("no output.message.content in the answer".into()))?;
        let text = content
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("");
        Ok(ChatResponse {
            text,
            usage: super::Usage {
                input_tokens: u64_at(&v, "/usage/inputTokens")
                    + u64_at(&v, "/usage/cacheReadInputTokens")
                    + u64_at(&v, "/usage/cacheWriteInputTokens"),
                output_tokens: u64_at(&v, "/usage/outputTokens"),
            },
            model: self.model.clone(),
            stop_reason: str_at(&v, "/stopReason"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::keys::AwsCredentials;

    #[test]
    fn signed_request_shape() {
        let creds = AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("tok".into()),
        };
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        let p = Bedrock::new(
            "anthropic.claude-3-5-sonnet-20240620-v1:0".into(),
            "us-east-1".into(),
            None,
            BedrockAuth::SigV4(creds),
        )
        .with_clock(t);
        let r = p.build_request(&ChatRequest::new("s", "hi")).unwrap();
        assert_eq!(
            r.url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
        );
        assert_eq!(r.header("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(r.header("x-amz-security-token"), Some("tok"));
        assert_eq!(
            r.header("x-amz-content-sha256"),
            Some(sigv4::sha256_hex(&r.body).as_str())
        );
        let auth = r.header("authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, \
                 SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="
            ),
            "{auth}"
        );
        // Same inputs, same signature.
        let again = p.build_request(&ChatRequest::new("s", "hi")).unwrap();
        assert_eq!(again.header("authorization"), Some(auth));
    }

    #[test]
    fn response_usage() {
        let p = Bedrock::new(
            "m".into(),
            "us-east-1".into(),
            None,
            BedrockAuth::Bearer("b".into()),
        );
        let body = br#"{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},
            "stopReason":"end_turn","usage":{"inputTokens":30,"outputTokens":7,"totalTokens":37},
            "metrics":{"latencyMs":412}}"#;
        let r = p.parse_response(200, &[], body).unwrap();
        assert_eq!(r.text, "ok");
        assert_eq!(r.usage.input_tokens, 30);
        assert_eq!(r.usage.output_tokens, 7);
        let e = p
            .parse_response(
                403,
                &[],
                br#"{"message":"The security token included in the request is invalid."}"#,
            )
            .unwrap_err();
        assert_eq!(
            e,
            LlmError::Status {
                status: 403,
                message: "The security token included in the request is invalid.".into()
            }
        );
    }
}
