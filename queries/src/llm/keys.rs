//! Where keys and endpoints come from: the environment (and, for AWS, the
//! shared credentials file; for Vertex, `gcloud`). Never from `dsmig.toml`.
//!
//! | provider | variables |
//! |---|---|
//! | `anthropic` | `ANTHROPIC_API_KEY` |
//! | `azure_openai` | `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_VERSION` (optional) |
//! | `azure_foundry` | `AZURE_AI_FOUNDRY_API_KEY`, `AZURE_AI_FOUNDRY_ENDPOINT`, `AZURE_AI_FOUNDRY_API_VERSION` (optional) |
//! | `bedrock` | `AWS_REGION` / `AWS_DEFAULT_REGION`; `AWS_BEARER_TOKEN_BEDROCK`, or `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), or profile `AWS_PROFILE` in `AWS_SHARED_CREDENTIALS_FILE` / `~/.aws/credentials` |
//! | `vertex` | `GOOGLE_CLOUD_PROJECT`, `GOOGLE_CLOUD_LOCATION` (default `us-central1`), `GOOGLE_OAUTH_ACCESS_TOKEN` or `gcloud auth print-access-token` |
//! | `openrouter` | `OPENROUTER_API_KEY` |
//! | `openai_compatible` | `OPENAI_API_KEY` (optional) |
//!
//! The [`Env`] trait lets tests supply a map instead of the process
//! environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::LlmError;

pub trait Env: Send + Sync {
    /// The variable's value; `None` when unset or empty.
    fn var(&self, name: &str) -> Option<String>;
    fn read_file(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
    /// `gcloud auth print-access-token`, trimmed.
    fn gcloud_access_token(&self) -> Result<String, String>;
}

/// The process environment.
pub struct SystemEnv;

impl Env for SystemEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    fn gcloud_access_token(&self) -> Result<String, String> {
        let out = std::process::Command::new("gcloud")
            .args(["auth", "print-access-token"])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot run gcloud: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err.lines().next().unwrap_or("").trim().to_string();
            return Err(format!(
                "gcloud auth print-access-token failed ({}): {first}",
                out.status
            ));
        }
        let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if token.is_empty() {
            return Err("gcloud auth print-access-token printed nothing".into());
        }
        Ok(token)
    }
}

/// A fixed environment, for tests.
#[derive(Default, Clone)]
pub struct MapEnv {
    pub vars: BTreeMap<String, String>,
    pub files: BTreeMap<PathBuf, String>,
}

impl MapEnv {
    pub fn new(vars: &[(&str, &str)]) -> MapEnv {
        MapEnv {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: BTreeMap::new(),
        }
    }

    pub fn with_file(mut self, path: impl Into<PathBuf>, text: &str) -> MapEnv {
        self.files.insert(path.into(), text.to_string());
        self
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    fn read_file(&self, path: &Path) -> Option<String> {
        self.files.get(path).cloned()
    }

    fn gcloud_access_token(&self) -> Result<String, String> {
        Err("gcloud is not available in this environment".into())
    }
}

/// A variable that must be set: the one-line error names it.
pub fn required(env: &dyn Env, var: &str, why: &str) -> Result<String, LlmError> {
    env.var(var).ok_or_else(|| LlmError::MissingEnv {
        var: var.to_string(),
        why: why.to_string(),
    })
}

/// AWS credentials for SigV4.
#[derive(Clone, PartialEq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// How Bedrock requests are authorised.
#[derive(Clone, PartialEq, Debug)]
pub enum BedrockAuth {
    /// `AWS_BEARER_TOKEN_BEDROCK` (a Bedrock API key).
    Bearer(String),
    SigV4(AwsCredentials),
}

/// The standard chain, in AWS's order for what dsmig supports: a Bedrock
/// API key, then the `AWS_*` variables, then the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) at profile
/// `AWS_PROFILE` (default `default`).
pub fn bedrock_auth(env: &dyn Env) -> Result<BedrockAuth, LlmError> {
    if let Some(t) = env.var("AWS_BEARER_TOKEN_BEDROCK") {
        return Ok(BedrockAuth::Bearer(t));
    }
    if let Some(id) = env.var("AWS_ACCESS_KEY_ID") {
        let secret = required(
            env,
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID is set, so Bedrock requests are signed with SigV4 and need the secret key too",
        )?;
        return Ok(BedrockAuth::SigV4(AwsCredentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: env.var("AWS_SESSION_TOKEN"),
        }));
    }
    let file = env
        .var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| {
            env.var("HOME")
                .map(|h| Path::new(&h).join(".aws/credentials"))
        });
    let profile = env.var("AWS_PROFILE").unwrap_or_else(|| "default".into());
    if let Some(text) = file.as_deref().and_then(|f| env.read_file(f))
        && let Some(c) = credentials_from_ini(&text, &profile)
    {
        return Ok(BedrockAuth::SigV4(c));
    }
    Err(LlmError::MissingEnv {
        var: "AWS_ACCESS_KEY_ID".into(),
        why: format!(
            "Bedrock needs AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
             or profile \"{profile}\" with aws_access_key_id in {}",
            file.map(|f| f.display().to_string())
                .unwrap_or_else(|| "~/.aws/credentials".into())
        ),
    })
}

/// `[profile]` section of an AWS credentials file.
pub fn credentials_from_ini(text: &str, profile: &str) -> Option<AwsCredentials> {
    let mut in_section = false;
    let mut id = None;
    let mut secret = None;
    let mut token = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            in_section = name == profile || name.strip_prefix("profile ") == Some(profile);
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" => id = Some(v),
                "aws_secret_access_key" => secret = Some(v),
                "aws_session_token" => token = Some(v),
                _ => {}
            }
        }
    }
    Some(AwsCredentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub fn aws_region(env: &dyn Env) -> Result<String, LlmError> {
    env.var("AWS_REGION")
        .or_else(|| env.var("AWS_DEFAULT_REGION"))
        .ok_or_else(|| LlmError::MissingEnv {
            var: "AWS_REGION".into(),
            why: "Bedrock needs the AWS region (AWS_REGION or AWS_DEFAULT_REGION)".into(),
        })
}

/// A Vertex access token: `GOOGLE_OAUTH_ACCESS_TOKEN`, else `gcloud`.
pub fn vertex_token(env: &dyn Env) -> Result<String, LlmError> {
    if let Some(t) = env.var("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok(t);
    }
    env.gcloud_access_token().map_err(|e| LlmError::MissingEnv {
        var: "GOOGLE_OAUTH_ACCESS_TOKEN".into(),
        why: format!("Vertex AI needs an access token here or from gcloud ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_names_the_variable_on_one_line() {
        let e = required(&MapEnv::default(), "ANTHROPIC_API_KEY", "needed").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("ANTHROPIC_API_KEY is not set"), "{s}");
        assert!(!s.contains('\n'));
    }

    #[test]
    fn aws_chain_order() {
        let env = MapEnv::new(&[
            ("AWS_BEARER_TOKEN_BEDROCK", "tok"),
            ("AWS_ACCESS_KEY_ID", "A"),
        ]);
        assert_eq!(
            bedrock_auth(&env).unwrap(),
            BedrockAuth::Bearer("tok".into())
        );
        let env = MapEnv::new(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
            ("AWS_SESSION_TOKEN", "T"),
        ]);
        let BedrockAuth::SigV4(c) = bedrock_auth(&env).unwrap() else {
            panic!()
        };
        assert_eq!(c.session_token.as_deref(), Some("T"));
        let e = bedrock_auth(&MapEnv::new(&[("AWS_ACCESS_KEY_ID", "AKID")])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("AWS_SECRET_ACCESS_KEY is not set")
        );

        let ini = "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[work]\naws_access_key_id=W\naws_secret_access_key=WS\naws_session_token=WT\n";
        let env = MapEnv::new(&[("HOME", "/home/u"), ("AWS_PROFILE", "work")])
            .with_file("/home/u/.aws/credentials", ini);
        let BedrockAuth::SigV4(c) = bedrock_auth(&env).unwrap() else {
            panic!()
        };
        assert_eq!(c.access_key_id, "W");
        assert_eq!(c.session_token.as_deref(), Some("WT"));
        let env = MapEnv::new(&[("HOME", "/home/u")]).with_file("/home/u/.aws/credentials", ini);
        let BedrockAuth::SigV4(c) = bedrock_auth(&env).unwrap() else {
            panic!()
        };
        assert_eq!(c.access_key_id, "D");
        assert!(!format!("{c:?}").contains("DS"));
        let e = bedrock_auth(&MapEnv::new(&[("HOME", "/nowhere")])).unwrap_err();
        assert!(
            e.to_string().starts_with("AWS_ACCESS_KEY_ID is not set"),
            "{e}"
        );
    }
}
