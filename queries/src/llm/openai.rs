//! OpenAI chat completions, in three dialects that differ only in URL and
//! authentication:
//! - Azure OpenAI: `POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=V`
//!   with `api-key` (the deployment is `llm.model`; no `model` in the body);
//! - OpenRouter: `POST https://openrouter.ai/api/v1/chat/completions`, Bearer;
//! - OpenAI-compatible servers (vLLM, Ollama, llama.cpp, LM Studio):
//!   `POST {base_url}/chat/completions`, Bearer when `OPENAI_API_KEY` is set.
//!
//! Usage in `usage.prompt_tokens` / `completion_tokens`.

use super::LlmError;
use super::keys::{self, Env};
use super::provider::{
    ChatRequest, ChatResponse, HttpRequest, Provider, join, openai_chat_body, parse_openai_chat,
    uri_encode,
};

pub const OPENROUTER_BASE: &str = "https://openrouter.ai/api/v1";
pub const AZURE_API_VERSION: &str = "2024-10-21";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    AzureOpenAi,
    OpenRouter,
    Compatible,
}

pub struct OpenAi {
    dialect: Dialect,
    model: String,
    url: String,
    /// (header name, value)
    auth: Option<(String, String)>,
}

impl OpenAi {
    pub fn azure(model: String, endpoint: &str, api_version: &str, key: String) -> OpenAi {
        let url = join(
            endpoint,
            &format!(
                "/openai/deployments/{}/chat/completions?api-version={}",
                uri_encode(&model, false),
                uri_encode(api_version, false)
            ),
        );
        OpenAi {
            dialect: Dialect::AzureOpenAi,
            model,
            url,
            auth: Some(("api-key".into(), key)),
        }
    }

    pub fn azure_from_env(
        model: String,
        base: Option<String>,
        env: &dyn Env,
    ) -> Result<OpenAi, LlmError> {
        let key = keys::required(
            env,
            "AZURE_OPENAI_API_KEY",
            "llm.provider = \"azure_openai\" needs the resource's API key",
        )?;
        let endpoint = match base {
            Some(b) => b,
            None => keys::required(
                env,
                "AZURE_OPENAI_ENDPOINT",
                "llm.provider = \"azure_openai\" needs the resource endpoint, e.g. https://NAME.openai.azure.com",
            )?,
        };
        let version = env
            .var("AZURE_OPENAI_API_VERSION")
            .unwrap_or_else(|| AZURE_API_VERSION.into());
        Ok(OpenAi::azure(model, &endpoint, &version, key))
    }

    pub fn openrouter(model: String, base: Option<String>, key: String) -> OpenAi {
        let base = base.unwrap_or_else(|| OPENROUTER_BASE.into());
        OpenAi {
            dialect: Dialect::OpenRouter,
            model,
            url: join(&base, "/chat/completions"),
            auth: Some(("authorization".into(), format!("Bearer {key}"))),
        }
    }

    pub fn openrouter_from_env(
        model: String,
        base: Option<String>,
        env: &dyn Env,
    ) -> Result<OpenAi, LlmError> {
        let key = keys::required(
            env,
            "OPENROUTER_API_KEY",
            "llm.provider = \"openrouter\" needs an OpenRouter API key",
        )?;
        Ok(OpenAi::openrouter(model, base, key))
    }

    pub fn compatible(model: String, base: &str, key: Option<String>) -> OpenAi {
        OpenAi {
            dialect: Dialect::Compatible,
            model,
            url: join(base, "/chat/completions"),
            auth: key.map(|k| ("authorization".into(), format!("Bearer {k}"))),
        }
    }

    pub fn compatible_from_env(
        model: String,
        base: Option<String>,
        env: &dyn Env,
    ) -> Result<OpenAi, LlmError> {
        let base = base.ok_or_else(|| {
            LlmError::Config(
                "llm.provider = \"openai_compatible\" needs llm.base_url, e.g. http://127.0.0.1:11434/v1"
                    .into(),
            )
        })?;
        Ok(OpenAi::compatible(model, &base, env.var("OPENAI_API_KEY")))
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

impl Provider for OpenAi {
    fn name(&self) -> &str {
        match self.dialect {
            Dialect::AzureOpenAi => "azure_openai",
            Dialect::OpenRouter => "openrouter",
            Dialect::Compatible => "openai_compatible",
        }
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn build_request(&self, req: &ChatRequest) -> Result<HttpRequest, LlmError> {
        // Azure routes by the deployment in the URL.
        let model = (self.dialect != Dialect::AzureOpenAi).then_some(self.model.as_str());
        let mut r = HttpRequest::post_json(self.url.clone(), &openai_chat_body(model, req));
        if let Some((k, v)) = &self.auth {
            r.headers.push((k.clone(), v.clone()));
        }
        if self.dialect == Dialect::OpenRouter {
            r.headers.push(("x-title".into(), "dsmig".into()));
        }
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
    use crate::llm::keys::MapEnv;
    use serde_json::{Value, json};

    #[test]
    fn azure_url_and_auth() {
        let env = MapEnv::new(&[
            ("AZURE_OPENAI_API_KEY", "k"),
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/"),
        ]);
        let p = OpenAi::azure_from_env("gpt-4o-prod".into(), None, &env).unwrap();
        let r = p.build_request(&ChatRequest::new("", "hi")).unwrap();
        assert_eq!(
            r.url,
            "https://res.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(r.header("api-key"), Some("k"));
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            b,
            json!({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4096, "temperature": 0.0})
        );
        let e = OpenAi::azure_from_env(
            "d".into(),
            None,
            &MapEnv::new(&[("AZURE_OPENAI_API_KEY", "k")]),
        )
        .err()
        .unwrap();
        assert!(
            e.to_string()
                .starts_with("AZURE_OPENAI_ENDPOINT is not set")
        );
    }

    #[test]
    fn openrouter_and_local() {
        let p = OpenAi::openrouter("anthropic/claude-sonnet-4.5".into(), None, "or".into());
        let r = p.build_request(&ChatRequest::new("s", "hi")).unwrap();
        assert_eq!(r.url, "https://openrouter.ai/api/v1/chat/completions");
        assert_eq!(r.header("authorization"), Some("Bearer or"));
        let p = OpenAi::compatible_from_env(
            "qwen2.5-coder".into(),
            Some("http://127.0.0.1:11434/v1".into()),
            &MapEnv::default(),
        )
        .unwrap();
        let r = p.build_request(&ChatRequest::new("s", "hi")).unwrap();
        assert_eq!(r.url, "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!(r.header("authorization"), None);
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(b["model"], "qwen2.5-coder");
        assert_eq!(b["messages"][0], json!({"role": "system", "content": "s"}));
    }
}
