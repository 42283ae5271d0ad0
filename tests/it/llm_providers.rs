//! The LLM provider layer against a mock HTTP server on 127.0.0.1 per wire
//! format: exact request shapes (method, path, query, auth headers, JSON
//! body, SigV4 signature recomputed here), realistic answers with each
//! provider's usage fields, retries (429 + Retry-After, 500), malformed
//! JSON, timeouts, stored responses, the budget, secret scrubbing, and a
//! run killed with SIGKILL. No key and no internet needed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use queries::config::{LlmConfig, ModelPrice};
use queries::llm::{
    Budget, ChatRequest, ClientOptions, Llm, LlmCall, LlmError, MapEnv, Outcome, Provider,
    provider_from_config,
};
use queries::store::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

// ---------------------------------------------------------------- helpers

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A mock server on 127.0.0.1 (it runs on its own thread).
fn server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(MockServer::start())
}

fn mount(rt: &tokio::runtime::Runtime, server: &MockServer, mock: Mock) {
    rt.block_on(mock.mount(server));
}

fn received(rt: &tokio::runtime::Runtime, server: &MockServer) -> Vec<Request> {
    rt.block_on(server.received_requests())
        .expect("recording on")
}

fn cfg(provider: &str, model: &str, base_url: &str) -> LlmConfig {
    LlmConfig {
        provider: provider.into(),
        model: model.into(),
        base_url: base_url.into(),
        ..LlmConfig::default()
    }
}

fn fast(mut o: ClientOptions) -> ClientOptions {
    o.backoff_base = Duration::from_millis(20);
    o.timeout = Duration::from_secs(10);
    o
}

fn client(cfg: &LlmConfig, env: &MapEnv) -> Llm {
    let p = provider_from_config(cfg, env)
        .expect("provider")
        .expect("not none");
    Llm::new(
        p,
        fast(ClientOptions::from_config(cfg)),
        Budget::new(cfg, None).expect("budget"),
    )
}

fn call(job: &str, prompt: &str) -> LlmCall {
    LlmCall {
        job: job.into(),
        request: ChatRequest {
            system: "You translate DataStage jobs to AWS Glue PySpark.".into(),
            prompt: prompt.into(),
            max_tokens: 1024,
            temperature: 0.0,
        },
    }
}

fn body_json(r: &Request) -> Value {
    serde_json::from_slice(&r.body).expect("request body is JSON")
}

fn hdr<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

fn anthropic_ok(text: &str) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 2095, "output_tokens": 503,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    })
}

fn openai_ok(text: &str) -> Value {
    json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-2024-08-06",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163},
        "system_fingerprint": "fp_fc9f1d7035"
    })
}

fn text_of(o: &Outcome) -> &str {
    &o.response()
        .unwrap_or_else(|| panic!("no response: {o:?}"))
        .text
}

const CODE: &str = "Here is the job:\n```python\nimport sys\nprint(sys.argv)\n```\n";

// ---------------------------------------------------------- wire formats

#[test]
fn anthropic_messages_request_shape_and_usage() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_ok(CODE))),
    );
    let c = cfg("anthropic", "claude-sonnet-4-5", &s.uri());
    let llm = client(&c, &MapEnv::new(&[("ANTHROPIC_API_KEY", "sk-ant-test")]));
    let out = llm.call_many(None, vec![call("J1", "translate J1")]);
    assert_eq!(text_of(&out[0]), CODE);
    let r = out[0].response().unwrap();
    assert_eq!(r.usage.input_tokens, 2095);
    assert_eq!(r.usage.output_tokens, 503);
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");

    let reqs = received(&rt, &s);
    assert_eq!(reqs.len(), 1);
    let q = &reqs[0];
    assert_eq!(q.method.as_str(), "POST");
    assert_eq!(q.url.path(), "/v1/messages");
    assert_eq!(hdr(q, "x-api-key"), Some("sk-ant-test"));
    assert_eq!(hdr(q, "anthropic-version"), Some("2023-06-01"));
    assert_eq!(hdr(q, "content-type"), Some("application/json"));
    assert_eq!(hdr(q, "authorization"), None);
    assert_eq!(
        body_json(q),
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "temperature": 0.0,
            "system": "You translate DataStage jobs to AWS Glue PySpark.",
            "messages": [{"role": "user", "content": "translate J1"}]
        })
    );
    let rep = llm.report();
    assert_eq!(
        (rep.calls_made, rep.attempts, rep.served_from_store),
        (1, 1, 0)
    );
}

#[test]
fn openai_family_request_shapes() {
    // (provider, model, env, path, query, auth header, model in body)
    let rt = rt();
    for (provider, model, env, want_path, want_query, auth, model_in_body) in [
        (
            "azure_openai",
            "gpt-4o-prod",
            vec![("AZURE_OPENAI_API_KEY", "azkey")],
            "/openai/deployments/gpt-4o-prod/chat/completions",
            Some("api-version=2024-10-21"),
            ("api-key", "azkey"),
            false,
        ),
        (
            "openrouter",
            "anthropic/claude-sonnet-4.5",
            vec![("OPENROUTER_API_KEY", "sk-or-v1-x")],
            "/api/v1/chat/completions",
            None,
            ("authorization", "Bearer sk-or-v1-x"),
            true,
        ),
        (
            "openai_compatible",
            "qwen2.5-coder:32b",
            vec![("OPENAI_API_KEY", "local")],
            "/v1/chat/completions",
            None,
            ("authorization", "Bearer local"),
            true,
        ),
    ] {
        let s = server(&rt);
        mount(
            &rt,
            &s,
            Mock::given(method("POST"))
                .and(path(want_path))
                .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok(CODE))),
        );
        let base = match provider {
            "openrouter" => format!("{}/api/v1", s.uri()),
            "openai_compatible" => format!("{}/v1", s.uri()),
            _ => s.uri(),
        };
        let llm = client(&cfg(provider, model, &base), &MapEnv::new(&env));
        let out = llm.call_many(None, vec![call("J", "p")]);
        assert_eq!(text_of(&out[0]), CODE, "{provider}");
        let u = out[0].response().unwrap().usage;
        assert_eq!((u.input_tokens, u.output_tokens), (1117, 46), "{provider}");
        let reqs = received(&rt, &s);
        assert_eq!(reqs.len(), 1, "{provider}");
        let q = &reqs[0];
        assert_eq!(q.url.path(), want_path, "{provider}");
        assert_eq!(q.url.query(), want_query, "{provider}");
        assert_eq!(hdr(q, auth.0), Some(auth.1), "{provider}");
        let mut want = json!({
            "messages": [
                {"role": "system", "content": "You translate DataStage jobs to AWS Glue PySpark."},
                {"role": "user", "content": "p"}
            ],
            "max_tokens": 1024,
            "temperature": 0.0
        });
        if model_in_body {
            want["model"] = json!(model);
        }
        assert_eq!(body_json(q), want, "{provider}");
    }
}

#[test]
fn local_server_needs_no_key() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("ok"))),
    );
    let llm = client(
        &cfg("openai_compatible", "llama3", &format!("{}/v1", s.uri())),
        &MapEnv::default(),
    );
    let out = llm.call_many(None, vec![call("J", "p")]);
    assert_eq!(text_of(&out[0]), "ok");
    assert_eq!(hdr(&received(&rt, &s)[0], "authorization"), None);
}

#[test]
fn azure_foundry_request_shape() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path("/models/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok(CODE))),
    );
    let llm = client(
        &cfg(
            "azure_foundry",
            "Mistral-Large-2411",
            &format!("{}/models", s.uri()),
        ),
        &MapEnv::new(&[("AZURE_AI_FOUNDRY_API_KEY", "fkey")]),
    );
    let out = llm.call_many(None, vec![call("J", "p")]);
    assert_eq!(out[0].response().unwrap().usage.input_tokens, 1117);
    let q = &received(&rt, &s)[0];
    assert_eq!(q.url.query(), Some("api-version=2024-05-01-preview"));
    assert_eq!(hdr(q, "api-key"), Some("fkey"));
    let b = body_json(q);
    assert_eq!(b["model"], "Mistral-Large-2411");
    assert_eq!(b["max_tokens"], 1024);
    assert_eq!(b["temperature"], 0.0);
    assert_eq!(b["messages"][1], json!({"role": "user", "content": "p"}));
}

#[test]
fn vertex_generate_content_request_shape() {
    let rt = rt();
    let s = server(&rt);
    let want_path = "/v1/projects/dw-migration/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent";
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path(want_path))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "candidates": [{
                    "content": {"role": "model", "parts": [{"text": CODE}]},
                    "finishReason": "STOP",
                    "avgLogprobs": -0.05
                }],
                "usageMetadata": {"promptTokenCount": 812, "candidatesTokenCount": 97,
                                  "totalTokenCount": 909},
                "modelVersion": "gemini-2.5-pro",
                "responseId": "abc"
            }))),
    );
    let env = MapEnv::new(&[
        ("GOOGLE_CLOUD_PROJECT", "dw-migration"),
        ("GOOGLE_CLOUD_LOCATION", "europe-west4"),
        ("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.test-token"),
    ]);
    let llm = client(&cfg("vertex", "gemini-2.5-pro", &s.uri()), &env);
    let out = llm.call_many(None, vec![call("J", "p")]);
    assert_eq!(text_of(&out[0]), CODE);
    let u = out[0].response().unwrap().usage;
    assert_eq!((u.input_tokens, u.output_tokens), (812, 97));
    let q = &received(&rt, &s)[0];
    assert_eq!(hdr(q, "authorization"), Some("Bearer ya29.test-token"));
    assert_eq!(
        body_json(q),
        json!({
            "contents": [{"role": "user", "parts": [{"text": "p"}]}],
            "systemInstruction": {"parts": [{"text": "You translate DataStage jobs to AWS Glue PySpark."}]},
            "generationConfig": {"temperature": 0.0, "maxOutputTokens": 1024}
        })
    );
}

// SigV4, recomputed here from what the server received (independently of
// queries::llm::sigv4).
mod sigv4_check {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    fn hmac(k: &[u8], d: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(k).unwrap();
        m.update(d);
        m.finalize().into_bytes().to_vec()
    }

    pub fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    pub fn sha(b: &[u8]) -> String {
        hex(&Sha256::digest(b))
    }

    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    /// The signature a server holding `secret` expects for this request.
    pub fn expected(req: &wiremock::Request, secret: &str) -> (String, String) {
        let auth = req.headers["authorization"].to_str().unwrap().to_string();
        let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").expect("SigV4");
        let mut cred = "";
        let mut signed = "";
        let mut sig = "";
        for part in rest.split(", ") {
            if let Some(v) = part.strip_prefix("Credential=") {
                cred = v;
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = v;
            } else if let Some(v) = part.strip_prefix("Signature=") {
                sig = v;
            }
        }
        let scope: Vec<&str> = cred.split_once('/').unwrap().1.split('/').collect();
        let (date, region, service) = (scope[0], scope[1], scope[2]);
        let amz_date = req.headers["x-amz-date"].to_str().unwrap();
        let mut canon_headers = String::new();
        for h in signed.split(';') {
            let v = req.headers[h].to_str().unwrap().trim();
            canon_headers.push_str(&format!("{h}:{v}\n"));
        }
        // Not S3: the path as received, encoded once more.
        let creq = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method.as_str(),
            encode(req.url.path()),
            req.url.query().unwrap_or(""),
            canon_headers,
            signed,
            sha(&req.body)
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
            sha(creq.as_bytes())
        );
        let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        let k = hmac(&k, region.as_bytes());
        let k = hmac(&k, service.as_bytes());
        let k = hmac(&k, b"aws4_request");
        (sig.to_string(), hex(&hmac(&k, sts.as_bytes())))
    }
}

fn bedrock_ok() -> Value {
    json!({
        "output": {"message": {"role": "assistant", "content": [{"text": CODE}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1530, "outputTokens": 212, "totalTokens": 1742},
        "metrics": {"latencyMs": 3180}
    })
}

#[test]
fn bedrock_converse_signed_with_sigv4() {
    let rt = rt();
    let s = server(&rt);
    let want_path = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path(want_path))
            .respond_with(ResponseTemplate::new(200).set_body_json(bedrock_ok())),
    );
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let env = MapEnv::new(&[
        ("AWS_REGION", "eu-central-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLE"),
    ]);
    let llm = client(
        &cfg(
            "bedrock",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            &s.uri(),
        ),
        &env,
    );
    let out = llm.call_many(None, vec![call("J", "p")]);
    assert_eq!(text_of(&out[0]), CODE);
    let u = out[0].response().unwrap().usage;
    assert_eq!((u.input_tokens, u.output_tokens), (1530, 212));

    let q = &received(&rt, &s)[0];
    assert_eq!(q.url.path(), want_path);
    let auth = hdr(q, "authorization").unwrap();
    let date = hdr(q, "x-amz-date").unwrap();
    assert_eq!(date.len(), 16, "{date}");
    assert!(
        auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-central-1/bedrock/aws4_request, SignedHeaders=",
            &date[..8]
        )),
        "{auth}"
    );
    for h in [
        "host",
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
    ] {
        assert!(auth.contains(h), "{h} not signed: {auth}");
    }
    assert_eq!(hdr(q, "x-amz-security-token"), Some("FwoGZXIvYXdzEXAMPLE"));
    assert_eq!(
        hdr(q, "x-amz-content-sha256").unwrap(),
        sigv4_check::sha(&q.body)
    );
    let (given, want) = sigv4_check::expected(q, secret);
    assert_eq!(given, want, "signature does not verify");
    let (_, wrong) = sigv4_check::expected(q, "another-secret");
    assert_ne!(given, wrong);
    assert_eq!(
        body_json(q),
        json!({
            "messages": [{"role": "user", "content": [{"text": "p"}]}],
            "system": [{"text": "You translate DataStage jobs to AWS Glue PySpark."}],
            "inferenceConfig": {"maxTokens": 1024, "temperature": 0.0}
        })
    );
}

#[test]
fn bedrock_api_key_as_bearer_and_credentials_file() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bedrock_ok())),
    );
    let c = cfg("bedrock", "amazon.nova-pro-v1:0", &s.uri());
    let llm = client(
        &c,
        &MapEnv::new(&[
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_BEARER_TOKEN_BEDROCK", "ABSKbedrockkey"),
        ]),
    );
    llm.call_many(None, vec![call("J", "p")]);
    let q = &received(&rt, &s)[0];
    assert_eq!(hdr(q, "authorization"), Some("Bearer ABSKbedrockkey"));
    assert_eq!(hdr(q, "x-amz-date"), None);

    // Profile from the shared credentials file.
    let env = MapEnv::new(&[
        ("AWS_REGION", "us-west-2"),
        ("HOME", "/home/etl"),
        ("AWS_PROFILE", "migration"),
    ])
    .with_file(
        "/home/etl/.aws/credentials",
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n\
         [migration]\naws_access_key_id = AKIAMIGRATION\naws_secret_access_key = msecret\n",
    );
    let llm = client(&c, &env);
    llm.call_many(None, vec![call("J", "p2")]);
    let q = &received(&rt, &s)[1];
    assert!(
        hdr(q, "authorization")
            .unwrap()
            .contains("Credential=AKIAMIGRATION/")
    );
    let (given, want) = sigv4_check::expected(q, "msecret");
    assert_eq!(given, want);
}

#[test]
fn missing_keys_give_one_line_naming_the_variable() {
    for (provider, env, var) in [
        ("anthropic", vec![], "ANTHROPIC_API_KEY"),
        ("azure_openai", vec![], "AZURE_OPENAI_API_KEY"),
        (
            "azure_openai",
            vec![("AZURE_OPENAI_API_KEY", "k")],
            "AZURE_OPENAI_ENDPOINT",
        ),
        ("azure_foundry", vec![], "AZURE_AI_FOUNDRY_API_KEY"),
        (
            "azure_foundry",
            vec![("AZURE_AI_FOUNDRY_API_KEY", "k")],
            "AZURE_AI_FOUNDRY_ENDPOINT",
        ),
        ("openrouter", vec![], "OPENROUTER_API_KEY"),
        ("bedrock", vec![], "AWS_REGION"),
        (
            "bedrock",
            vec![("AWS_REGION", "us-east-1")],
            "AWS_ACCESS_KEY_ID",
        ),
        ("vertex", vec![], "GOOGLE_CLOUD_PROJECT"),
        (
            "vertex",
            vec![("GOOGLE_CLOUD_PROJECT", "p")],
            "GOOGLE_OAUTH_ACCESS_TOKEN",
        ),
    ] {
        let e = provider_from_config(&cfg(provider, "m", ""), &MapEnv::new(&env))
            .err()
            .unwrap_or_else(|| panic!("{provider} without {var} must fail"));
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{var} is not set")),
            "{provider}: {msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }
    let e = provider_from_config(&cfg("openai_compatible", "m", ""), &MapEnv::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("llm.base_url"), "{e}");
    let e = provider_from_config(&cfg("anthropic", "", ""), &MapEnv::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("llm.model"), "{e}");
    assert!(
        provider_from_config(&cfg("none", "", ""), &MapEnv::default())
            .unwrap()
            .is_none()
    );
}

// ------------------------------------------------------ failure handling

#[test]
fn rate_limit_429_with_retry_after_then_200() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_json(json!({"type": "error", "error": {
                        "type": "rate_limit_error",
                        "message": "Number of request tokens has exceeded your per-minute rate limit"}})),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_ok("ok"))),
    );
    let llm = client(
        &cfg("anthropic", "m", &s.uri()),
        &MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]),
    );
    let t = Instant::now();
    let out = llm.call_many(None, vec![call("J", "p")]);
    let waited = t.elapsed();
    assert!(
        matches!(&out[0], Outcome::Called { attempts: 2, .. }),
        "{out:?}"
    );
    assert_eq!(received(&rt, &s).len(), 2);
    // The backoff alone would be 20 ms: Retry-After: 1 was honoured.
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    assert_eq!(llm.report().attempts, 2);
}

#[test]
fn server_error_500_then_200() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error"}})))
            .up_to_n_times(1)
            .with_priority(1),
    );
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("fine"))),
    );
    let llm = client(&cfg("openai_compatible", "m", &s.uri()), &MapEnv::default());
    let out = llm.call_many(None, vec![call("J", "p")]);
    assert_eq!(text_of(&out[0]), "fine");
    assert_eq!(received(&rt, &s).len(), 2);
}

#[test]
fn persistent_errors_give_up_after_max_attempts_and_400_is_not_retried() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path("/busy/chat/completions"))
            .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable")),
    );
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .and(path("/bad/chat/completions"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": "max_tokens is too large: 100000", "type": "invalid_request_error"}}))),
    );
    let mut c = cfg("openai_compatible", "m", &format!("{}/busy", s.uri()));
    c.max_attempts = 3;
    let llm = client(&c, &MapEnv::default());
    let out = llm.call_many(None, vec![call("J", "p")]);
    let Outcome::Failed { error, attempts } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(*attempts, 3);
    assert_eq!(
        error.to_string(),
        "LLM server answered HTTP 503: upstream unavailable"
    );
    let c = cfg("openai_compatible", "m", &format!("{}/bad", s.uri()));
    let out = client(&c, &MapEnv::default()).call_many(None, vec![call("J", "p")]);
    let Outcome::Failed { error, attempts } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(*attempts, 1);
    assert!(
        error.to_string().contains("max_tokens is too large"),
        "{error}"
    );
    assert_eq!(received(&rt, &s).len(), 4);
}

#[test]
fn malformed_json_is_a_clear_error_not_a_panic() {
    let rt = rt();
    let s = server(&rt);
    for (p, body) in [
        (
            "/trunc",
            r#"{"id":"msg_1","content":[{"type":"text","text":"imp"#,
        ),
        ("/html", "<html><body>Gateway</body></html>"),
        ("/shape", r#"{"id":"msg_1","type":"message"}"#),
    ] {
        mount(
            &rt,
            &s,
            Mock::given(method("POST"))
                .and(path(format!("{p}/v1/messages")))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_raw(body.as_bytes().to_vec(), "application/json"),
                ),
        );
        let llm = client(
            &cfg("anthropic", "m", &format!("{}{p}", s.uri())),
            &MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]),
        );
        let out = llm.call_many(None, vec![call("J", "p")]);
        let Outcome::Failed { error, attempts } = &out[0] else {
            panic!("{out:?}")
        };
        assert!(matches!(error, LlmError::Malformed(_)), "{error:?}");
        assert!(
            error.to_string().starts_with("LLM response not understood"),
            "{error}"
        );
        // A 200 was billed: not sent again.
        assert_eq!(*attempts, 1);
    }
    assert_eq!(received(&rt, &s).len(), 3);
}

#[test]
fn timeout_fails_after_the_configured_time() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST")).respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_ok("late"))
                .set_delay(Duration::from_secs(5)),
        ),
    );
    let c = cfg("anthropic", "m", &s.uri());
    let p = provider_from_config(&c, &MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]))
        .unwrap()
        .unwrap();
    let mut o = fast(ClientOptions::from_config(&c));
    o.timeout = Duration::from_millis(400);
    o.max_attempts = 2;
    let llm = Llm::new(p, o, Budget::unlimited());
    let t = Instant::now();
    let out = llm.call_many(None, vec![call("J", "p")]);
    let took = t.elapsed();
    let Outcome::Failed { error, attempts } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(matches!(error, LlmError::Timeout { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "LLM request timed out after 0.4 s (llm.timeout_seconds)"
    );
    assert_eq!(*attempts, 2);
    // Two attempts of 0.4 s and one short backoff; far below the 5 s delay.
    assert!(took >= Duration::from_millis(800), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

// ------------------------------------------------- store and determinism

#[test]
fn identical_call_is_served_from_the_store() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_ok(CODE))),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = cfg("anthropic", "m", &s.uri());
    let env = MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]);
    let first = {
        let store = Store::open(dir.path(), false).unwrap();
        let llm = client(&c, &env);
        // Two jobs with the same prompt in one batch: sent once.
        let out = llm.call_many(
            Some(&store),
            vec![call("A", "same"), call("B", "same"), call("C", "other")],
        );
        assert!(matches!(out[0], Outcome::Called { .. }));
        assert!(matches!(out[1], Outcome::Stored(_)));
        assert_eq!(received(&rt, &s).len(), 2);
        out
    };
    // A new process (store reopened): nothing is sent.
    let store = Store::open(dir.path(), false).unwrap();
    let llm = client(&c, &env);
    let again = llm.call_many(
        Some(&store),
        vec![call("A", "same"), call("B", "same"), call("C", "other")],
    );
    assert_eq!(received(&rt, &s).len(), 2, "the mock got more requests");
    for (a, b) in first.iter().zip(&again) {
        assert!(matches!(b, Outcome::Stored(_)), "{b:?}");
        assert_eq!(a.response(), b.response());
    }
    let rep = llm.report();
    assert_eq!((rep.calls_made, rep.served_from_store), (0, 3));
    // Another temperature is another question.
    let mut other = call("A", "same");
    other.request.temperature = 0.7;
    llm.call_many(Some(&store), vec![other]);
    assert_eq!(received(&rt, &s).len(), 3);
}

// ---------------------------------------------------------------- budget

#[test]
fn budget_stop_skips_the_remaining_jobs_and_says_which() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_ok(CODE))),
    );
    let mut c = cfg("anthropic", "claude-sonnet-4-5", &s.uri());
    c.max_concurrency = 1;
    c.pricing.insert(
        "claude-sonnet-4-5".into(),
        ModelPrice {
            input_per_mtok: 3.0,
            output_per_mtok: 15.0,
        },
    );
    let env = MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]);
    let p = provider_from_config(&c, &env).unwrap().unwrap();
    // Each call: ~30 tokens in, up to 1024 out: bounded by ~$0.0155.
    // Each answer reports 2095 in + 503 out = $0.013830.
    // $0.035 admits two calls and stops before the third.
    let budget = Budget::new(&c, Some(0.035)).unwrap();
    let llm = Llm::new(p, fast(ClientOptions::from_config(&c)), budget);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), false).unwrap();
    let calls: Vec<_> = (1..=5)
        .map(|i| call(&format!("JOB_{i}"), &format!("translate job {i}")))
        .collect();
    let out = llm.call_many(Some(&store), calls);
    assert_eq!(received(&rt, &s).len(), 2, "{out:?}");
    assert!(matches!(out[0], Outcome::Called { .. }));
    assert!(matches!(out[1], Outcome::Called { .. }));
    for o in &out[2..] {
        assert!(matches!(o, Outcome::Skipped(_)), "{o:?}");
    }
    let rep = llm.report();
    assert_eq!(rep.skipped_for_budget, 3);
    let lines = rep.lines();
    assert!(lines[0].contains("3 skipped (budget)"), "{lines:?}");
    assert!(
        lines[1].starts_with("job JOB_3: skipped (LLM budget)"),
        "{lines:?}"
    );
    assert!(lines[1].contains("of the run's $0.035"), "{lines:?}");
    assert!(
        lines[2].starts_with("job JOB_4: skipped (LLM budget)"),
        "{lines:?}"
    );
    assert!(lines[3].starts_with("job JOB_5"), "{lines:?}");
    assert!(
        (rep.cost_usd - 2.0 * 0.01383).abs() < 1e-9,
        "{}",
        rep.cost_usd
    );
    assert!(rep.cost_usd <= 0.035);

    // A job whose prompt cannot fit in max_tokens_per_job is skipped alone.
    let mut c2 = cfg("anthropic", "m", &s.uri());
    c2.budget.max_tokens_per_job = 500;
    let llm = client(&c2, &env);
    let out = llm.call_many(
        None,
        vec![call("BIG", &"x".repeat(4000)), call("SMALL", "small")],
    );
    assert!(
        matches!(&out[0], Outcome::Skipped(r) if r.job() == "BIG"),
        "{out:?}"
    );
    assert!(matches!(out[1], Outcome::Called { .. }));
    // max_tokens was fitted to the job's allowance.
    let last = received(&rt, &s).pop().unwrap();
    assert!(body_json(&last)["max_tokens"].as_u64().unwrap() <= 500);
}

// ------------------------------------------------------------- redaction

const PLANTED: &str = "Pl4nted-S3cret!";

/// An export whose Oracle connector holds a real password, read through
/// the parser, rendered into a prompt with extra raw leaks of the same
/// password in other forms.
fn leaky_prompt() -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/exports/SRC_QA/EDW_Sales_export_0002.dsx");
    let text = std::fs::read_to_string(&src).expect("example export");
    let planted = text.replace(
        "<![CDATA[#DB_PASSWORD#]]></Password>",
        &format!("<![CDATA[{PLANTED}]]></Password>"),
    );
    assert_ne!(planted, text, "the example has a connector password");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("leaky.dsx");
    std::fs::write(&f, &planted).unwrap();
    let (_, entities, _) = queries::parse::input::read_file(&f, &queries::parse::Limits::default());
    let ir =
        serde_json::to_string(&entities.iter().map(|e| &e.entity).collect::<Vec<_>>()).unwrap();
    assert!(!ir.contains(PLANTED), "the IR itself leaks");
    // The second line of defence: the raw forms, as if a later prompt
    // builder quoted the export.
    let xml_line = planted
        .lines()
        .find(|l| l.contains(PLANTED))
        .unwrap()
        .to_string();
    format!(
        "Translate this job.\nIR: {ir}\nConnector XML: {xml_line}\n\
         Connection: Data Source=ORCL;User Id=etl;Password={PLANTED};\n\
         Options: -user etl -password {PLANTED}\nURL: oracle://etl:{PLANTED}@db:1521/ORCL\n\
         Name \"Password\"\n   Value \"{PLANTED}\"\nEncrypted: {{iisenc}}{PLANTED}\n"
    )
}

#[test]
fn planted_password_never_leaves_the_machine() {
    let prompt = leaky_prompt();
    assert!(prompt.contains(PLANTED));
    let rt = rt();
    for (provider, env, body) in [
        (
            "anthropic",
            vec![("ANTHROPIC_API_KEY", "k")],
            anthropic_ok(CODE),
        ),
        ("openai_compatible", vec![], openai_ok(CODE)),
        (
            "bedrock",
            vec![
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
            ],
            bedrock_ok(),
        ),
    ] {
        let s = server(&rt);
        mount(
            &rt,
            &s,
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200).set_body_json(body)),
        );
        let dir = tempfile::tempdir().unwrap();
        let report_lines = {
            let store = Store::open(dir.path(), false).unwrap();
            let mut conf = cfg(provider, "m", &s.uri());
            conf.budget.max_tokens_per_job = 0;
            let llm = client(&conf, &MapEnv::new(&env));
            let mut c = call("LEAKY", &prompt);
            c.request.system = format!("Never print passwords like Password={PLANTED}.");
            let out = llm.call_many(Some(&store), vec![c]);
            assert!(out[0].response().is_some(), "{out:?}");
            llm.report().lines().join("\n")
        };
        let reqs = received(&rt, &s);
        assert_eq!(reqs.len(), 1);
        for r in &reqs {
            let body = String::from_utf8_lossy(&r.body);
            assert!(!body.contains(PLANTED), "{provider}: request body leaks");
            assert!(body.contains("<redacted>"), "{provider}");
            for (_, v) in r.headers.iter() {
                assert!(!v.to_str().unwrap_or("").contains(PLANTED));
            }
            // The rest of the prompt made it through.
            assert!(body.contains("Data Source=ORCL"), "{provider}");
        }
        assert!(!report_lines.contains(PLANTED));
        // Nothing in the store's files either (the stored prompt is scrubbed).
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes
                    .windows(PLANTED.len())
                    .any(|w| w == PLANTED.as_bytes()),
                "{provider}: the store holds the password"
            );
        }
    }
}

// ------------------------------------------------------- SIGKILL resume

const CHILD_ENV: &str = "DSMIG_LLM_KILL_CHILD";
const N: usize = 6;
const K: usize = 3;

fn kill_test_calls() -> Vec<LlmCall> {
    (0..N)
        .map(|i| call(&format!("JOB_{i}"), &format!("translate job {i}")))
        .collect()
}

/// The child half of `sigkill_after_k_of_n_then_the_next_run_sends_the_rest`:
/// a no-op unless started by it.
#[test]
fn kill_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (uri, store_dir) = spec.split_once('|').unwrap();
    let mut c = cfg("anthropic", "m", uri);
    c.max_concurrency = 1;
    let llm = client(&c, &MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]));
    let store = Store::open(Path::new(store_dir), false).unwrap();
    llm.call_many_with(Some(&store), kill_test_calls(), &mut |i, o| {
        // Printed after the answer is committed.
        // libtest may print "test ... " on the same line: match anywhere.
        if o.response().is_some() {
            println!("STORED {i}");
        }
    });
}

#[test]
fn sigkill_after_k_of_n_then_the_next_run_sends_the_rest() {
    let rt = rt();
    let s = server(&rt);
    mount(
        &rt,
        &s,
        Mock::given(method("POST")).respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_ok(CODE))
                .set_delay(Duration::from_millis(300)),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "llm_providers::kill_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{}|{}", s.uri(), dir.path().display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stored = 0;
    while stored < K {
        let line = lines.next().expect("child output").unwrap();
        if line.contains("STORED ") {
            stored += 1;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Anything the child managed to store before the signal landed.
    for line in lines.map_while(Result::ok) {
        if line.contains("STORED ") {
            stored += 1;
        }
    }
    assert!(stored < N, "the child finished before it was killed");
    // A request the child wrote just before the signal may still sit in
    // the mock server's socket: count once the count stops moving.
    let mut sent_by_child = received(&rt, &s).len();
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = received(&rt, &s).len();
        if now == sent_by_child {
            break;
        }
        sent_by_child = now;
    }
    assert!(sent_by_child >= stored);

    // The next run, on the same store.
    let store = Store::open(dir.path(), false).unwrap();
    let mut c = cfg("anthropic", "m", &s.uri());
    c.max_concurrency = 1;
    let llm = client(&c, &MapEnv::new(&[("ANTHROPIC_API_KEY", "k")]));
    let out = llm.call_many(Some(&store), kill_test_calls());
    let sent_now = received(&rt, &s).len() - sent_by_child;
    assert_eq!(
        sent_now,
        N - stored,
        "k = {stored}, the child sent {sent_by_child}"
    );
    assert_eq!(llm.report().served_from_store as usize, stored);
    assert!(out.iter().all(|o| o.response().is_some()));
}

#[test]
fn the_provider_trait_builds_requests_without_io() {
    // Every provider can be asked for its request shape offline.
    let env = MapEnv::new(&[
        ("ANTHROPIC_API_KEY", "k"),
        ("AZURE_OPENAI_API_KEY", "k"),
        ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
        ("AZURE_AI_FOUNDRY_API_KEY", "k"),
        (
            "AZURE_AI_FOUNDRY_ENDPOINT",
            "https://r.services.ai.azure.com/models",
        ),
        ("AWS_REGION", "us-east-1"),
        ("AWS_BEARER_TOKEN_BEDROCK", "b"),
        ("GOOGLE_CLOUD_PROJECT", "p"),
        ("GOOGLE_OAUTH_ACCESS_TOKEN", "t"),
        ("OPENROUTER_API_KEY", "k"),
    ]);
    for (provider, url) in [
        ("anthropic", "https://api.anthropic.com/v1/messages"),
        (
            "azure_openai",
            "https://r.openai.azure.com/openai/deployments/m/chat/completions?api-version=2024-10-21",
        ),
        (
            "azure_foundry",
            "https://r.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview",
        ),
        (
            "bedrock",
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse",
        ),
        (
            "vertex",
            "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/m:generateContent",
        ),
        (
            "openrouter",
            "https://openrouter.ai/api/v1/chat/completions",
        ),
    ] {
        let p: Box<dyn Provider> = provider_from_config(&cfg(provider, "m", ""), &env)
            .unwrap()
            .unwrap();
        assert_eq!(p.name(), provider);
        let r = p.build_request(&ChatRequest::new("s", "u")).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, url);
    }
}
