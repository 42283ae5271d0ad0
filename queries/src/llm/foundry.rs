//! Azure AI Foundry model inference (the Azure AI Model Inference API):
//! `POST {endpoint}/models/chat/completions?api-version=2024-05-01-preview`
//! with `api-key`; the deployment name goes in the body's `model`, which the
//! service uses to route. The body and the answer are OpenAI's chat shape.

use super::LlmError;
use super::keys::{self, Env};
use super::provider::{
    ChatRequest, ChatResponse, HttpRequest, Provider, join, openai_chat_body, parse_openai_chat,
    uri_encode,
};

pub const API_VERSION: &str = "2024-05-01-preview";

pub struct Foundry {
    model: String,
    url: String,
    key: String,
}

impl Foundry {
    /// `endpoint` as the portal shows it: `https://NAME.services.ai.azure.com`
    /// or with `/models` already on it.
    pub fn new(model: String, endpoint: &str, api_version: &str, key: String) -> Foundry {
        let base = endpoint.trim_end_matches('/');
        let base = base.strip_suffix("/models").unwrap_or(base);
        Foundry {
            url: join(
                base,
                &format!(
                    "/models/chat/completions?api-version={}",
                    uri_encode(api_version, false)
                ),
            ),
            model,
            key,
        }
    }

    pub fn from_env(model: String, base: Option<String>, env: &dyn Env) -> Result<Self, LlmError> {
        let key = keys::required(
            env,
            "AZURE_AI_FOUNDRY_API_KEY",
            "llm.provider = \"azure_foundry\" needs the Foundry resource's API key",
        )?;
        let endpoint = match base {
            Some(b) => b,
            None => keys::required(
                env,
                "AZURE_AI_FOUNDRY_ENDPOINT",
                "llm.provider = \"azure_foundry\" needs the endpoint, e.g. https://NAME.services.ai.azure.com/models",
            )?,
        };
        let version = env
            .var("AZURE_AI_FOUNDRY_API_VERSION")
            .unwrap_or_else(|| API_VERSION.into());
        Ok(Foundry::new(model, &endpoint, &version, key))
    }
}

impl Provider for Foundry {
    fn name(&self) -> &str {
        "azure_foundry"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn build_request(&self, req: &ChatRequest) -> Result<HttpRequest, LlmError> {
        let mut r =
            HttpRequest::post_json(self.url.clone(), &openai_chat_body(Some(&self.model), req));
        r.headers.push(("api-key".into(), self.key.clone()));
        Ok(r)
    }

    fn parse_response(
        &self,
        status: u16,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<ChatResponse, LlmError> {
        parse_openai_chat(status, body, &self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_or_without_models() {
        for e in [
            "https://r.services.ai.azure.com",
            "https://r.services.ai.azure.com/models/",
        ] {
            let p = Foundry::new("Mistral-large".into(), e, API_VERSION, "k".into());
            let r = p.build_request(&ChatRequest::new("", "x")).unwrap();
            assert_eq!(
                r.url,
                "https://r.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview"
            );
            assert_eq!(r.header("api-key"), Some("k"));
        }
    }
}
