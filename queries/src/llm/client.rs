//! The blocking client: `Llm::call_many` scrubs each request, serves what
//! the store already has, and sends the rest on a private tokio runtime —
//! at most `max_concurrency` at once, each attempt bounded by the timeout,
//! 429 / 5xx / network errors retried with exponential backoff that
//! honours `Retry-After` (seconds, HTTP date, or `retry-after-ms`).
//!
//! Calls are admitted against the budget in input order by one
//! dispatcher; a call's usage is settled before its concurrency slot is
//! freed, so with `max_concurrency = 1` which jobs a budget skips depends
//! only on the inputs. Every answer is committed to the store on arrival.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::config::LlmConfig;
use crate::store::{Hash, Store};
use crate::sync::lock;

use super::budget::{Budget, Reservation, SkipReason};
use super::cache::{self, StoredResponse};
use super::keys::Env;
use super::provider::{ChatRequest, ChatResponse, HttpRequest, Provider, Usage, header};
use super::{LlmError, is_retryable_status, provider_from_config, redact};

#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// One attempt, connection to last byte.
    pub timeout: Duration,
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    pub max_concurrency: usize,
    /// First backoff; doubles each retry.
    pub backoff_base: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this fails the call instead of waiting.
    pub max_retry_after: Duration,
    pub temperature: f64,
    pub max_output_tokens: u64,
}

impl ClientOptions {
    pub fn from_config(cfg: &LlmConfig) -> ClientOptions {
        ClientOptions {
            timeout: Duration::from_secs(cfg.timeout_seconds.max(1)),
            max_attempts: cfg.max_attempts.max(1),
            max_concurrency: cfg.max_concurrency.max(1),
            backoff_base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            temperature: cfg.temperature,
            max_output_tokens: cfg.max_output_tokens.max(1),
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions::from_config(&LlmConfig::default())
    }
}

/// One call to make for a job.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmCall {
    pub job: String,
    pub request: ChatRequest,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answered from the store (or by an identical call of this batch);
    /// nothing was sent.
    Stored(ChatResponse),
    /// Sent and answered (now stored).
    Called {
        response: ChatResponse,
        attempts: u32,
    },
    /// Not sent: the budget.
    Skipped(SkipReason),
    Failed {
        error: LlmError,
        attempts: u32,
    },
}

impl Outcome {
    pub fn response(&self) -> Option<&ChatResponse> {
        match self {
            Outcome::Stored(r) | Outcome::Called { response: r, .. } => Some(r),
            _ => None,
        }
    }
}

/// What a run's calls did, for the build summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    /// Calls sent (each counted once, however many attempts).
    pub calls_made: u64,
    /// HTTP requests sent, retries included.
    pub attempts: u64,
    pub served_from_store: u64,
    pub skipped_for_budget: u64,
    pub failed: u64,
    /// Tokens reported by the answers received this run.
    pub usage: Usage,
    /// Dollars for those tokens (0 without a price).
    pub cost_usd: f64,
    /// One line per skipped job, in input order.
    pub skipped: Vec<String>,
    /// One line per failed call.
    pub failures: Vec<String>,
}

impl RunReport {
    /// The summary's lines: a total, then each skipped job and failure.
    pub fn lines(&self) -> Vec<String> {
        let mut v = vec![format!(
            "LLM calls: {} made ({} HTTP attempts), {} served from the store, {} failed, {} skipped (budget); \
             {} tokens in, {} out, ${:.4}",
            self.calls_made,
            self.attempts,
            self.served_from_store,
            self.failed,
            self.skipped_for_budget,
            self.usage.input_tokens,
            self.usage.output_tokens,
            self.cost_usd
        )];
        v.extend(self.skipped.iter().cloned());
        v.extend(self.failures.iter().cloned());
        v
    }
}

pub struct Llm {
    provider: Arc<dyn Provider>,
    opts: ClientOptions,
    budget: Arc<Mutex<Budget>>,
    report: Mutex<RunReport>,
}

struct Pending {
    index: usize,
    job: String,
    key: Hash,
    request: ChatRequest,
}

enum Message {
    Done {
        pending: Pending,
        result: Result<ChatResponse, LlmError>,
        attempts: u32,
        cost: f64,
    },
    Skipped(Pending, SkipReason),
}

impl Llm {
    pub fn new(provider: Box<dyn Provider>, opts: ClientOptions, budget: Budget) -> Llm {
        Llm {
            provider: Arc::from(provider),
            opts,
            budget: Arc::new(Mutex::new(budget)),
            report: Mutex::new(RunReport::default()),
        }
    }

    /// The configured provider, or `None` for `provider = "none"`.
    /// `cli_budget` is `--budget USD`.
    pub fn from_config(
        cfg: &LlmConfig,
        env: &dyn Env,
        cli_budget: Option<f64>,
    ) -> Result<Option<Llm>, LlmError> {
        let Some(p) = provider_from_config(cfg, env)? else {
            return Ok(None);
        };
        let budget = Budget::new(cfg, cli_budget)?;
        Ok(Some(Llm::new(p, ClientOptions::from_config(cfg), budget)))
    }

    pub fn provider(&self) -> &dyn Provider {
        self.provider.as_ref()
    }

    /// A request with the configured temperature and output limit.
    pub fn request(&self, system: &str, prompt: &str) -> ChatRequest {
        ChatRequest {
            system: system.to_string(),
            prompt: prompt.to_string(),
            max_tokens: self.opts.max_output_tokens,
            temperature: self.opts.temperature,
        }
    }

    pub fn report(&self) -> RunReport {
        lock(&self.report).clone()
    }

    pub fn budget(&self) -> Budget {
        lock(&self.budget).clone()
    }

    /// Answer every call (same order). Blocks until all are done.
    pub fn call_many(&self, store: Option<&Store>, calls: Vec<LlmCall>) -> Vec<Outcome> {
        self.call_many_with(store, calls, &mut |_, _| {})
    }

    /// [`Llm::call_many`], calling `on_done(index, outcome)` as each call
    /// finishes (after its answer is committed to the store).
    pub fn call_many_with(
        &self,
        store: Option<&Store>,
        calls: Vec<LlmCall>,
        on_done: &mut dyn FnMut(usize, &Outcome),
    ) -> Vec<Outcome> {
        let n = calls.len();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
        let mut pending: Vec<Pending> = Vec::new();
        // Identical calls in one batch: sent once.
        let mut first_with_key: HashMap<Hash, usize> = HashMap::new();
        let mut duplicates: Vec<(usize, usize, String)> = Vec::new();
        let mut report = RunReport::default();
        let mut finish =
            |i: usize, o: Outcome, report: &mut RunReport, out: &mut Vec<Option<Outcome>>| {
                match &o {
                    Outcome::Stored(_) => report.served_from_store += 1,
                    Outcome::Called { attempts, .. } => {
                        report.calls_made += 1;
                        report.attempts += u64::from(*attempts);
                    }
                    Outcome::Skipped(s) => {
                        report.skipped_for_budget += 1;
                        report.skipped.push(s.to_string());
                    }
                    Outcome::Failed { error, attempts } => {
                        report.failed += 1;
                        if *attempts > 0 {
                            report.calls_made += 1;
                            report.attempts += u64::from(*attempts);
                        }
                        report.failures.push(format!("LLM call failed: {error}"));
                    }
                }
                on_done(i, &o);
                out[i] = Some(o);
            };

        {
            let mut budget = lock(&self.budget);
            for (i, call) in calls.into_iter().enumerate() {
                let mut req = redact::scrub_request(&call.request);
                if let Err(s) = budget.fit(&call.job, &mut req) {
                    finish(i, Outcome::Skipped(s), &mut report, &mut outcomes);
                    continue;
                }
                let key = cache::request_key(self.provider.name(), self.provider.model(), &req);
                if let Some(&first) = first_with_key.get(&key) {
                    duplicates.push((i, first, call.job.clone()));
                    continue;
                }
                if let Some(store) = store {
                    match cache::get(store, &key) {
                        Ok(Some(stored)) => {
                            budget.record(&call.job, stored.response.usage);
                            finish(
                                i,
                                Outcome::Stored(stored.response),
                                &mut report,
                                &mut outcomes,
                            );
                            first_with_key.insert(key, i);
                            continue;
                        }
                        Ok(None) => {}
                        Err(error) => {
                            finish(
                                i,
                                Outcome::Failed { error, attempts: 0 },
                                &mut report,
                                &mut outcomes,
                            );
                            continue;
                        }
                    }
                }
                first_with_key.insert(key, i);
                pending.push(Pending {
                    index: i,
                    job: call.job,
                    key,
                    request: req,
                });
            }
        }

        if !pending.is_empty() {
            // A store that cannot save answers (damaged, disk full) stops
            // the sending: an answer paid for and not stored would be
            // bought again by the next run. Calls already sent still land.
            let store_failed = Arc::new(std::sync::atomic::AtomicBool::new(
                store.is_some_and(|s| s.health().is_err()),
            ));
            let rx = self.dispatch(pending, store_failed.clone());
            match rx {
                Ok((rt, rx)) => {
                    for msg in rx {
                        match msg {
                            Message::Done {
                                pending,
                                result: Ok(response),
                                attempts,
                                cost,
                            } => {
                                report.usage.input_tokens += response.usage.input_tokens;
                                report.usage.output_tokens += response.usage.output_tokens;
                                report.cost_usd += cost;
                                if let Some(store) = store {
                                    let value = StoredResponse {
                                        provider: self.provider.name().to_string(),
                                        model: self.provider.model().to_string(),
                                        request: pending.request.clone(),
                                        response: response.clone(),
                                    };
                                    if let Err(e) = cache::put(store, &pending.key, &value) {
                                        store_failed
                                            .store(true, std::sync::atomic::Ordering::SeqCst);
                                        report.failures.push(format!(
                                            "LLM answer for job {} received but not stored: {e}",
                                            pending.job
                                        ));
                                    }
                                }
                                finish(
                                    pending.index,
                                    Outcome::Called { response, attempts },
                                    &mut report,
                                    &mut outcomes,
                                );
                            }
                            Message::Done {
                                pending,
                                result: Err(error),
                                attempts,
                                ..
                            } => finish(
                                pending.index,
                                Outcome::Failed { error, attempts },
                                &mut report,
                                &mut outcomes,
                            ),
                            Message::Skipped(p, s) => {
                                finish(p.index, Outcome::Skipped(s), &mut report, &mut outcomes)
                            }
                        }
                    }
                    rt.shutdown_background();
                }
                Err(error) => {
                    // No runtime or HTTP client: nothing could be sent.
                    for (i, slot) in outcomes.iter_mut().enumerate() {
                        if slot.is_none() && !duplicates.iter().any(|(d, _, _)| *d == i) {
                            report.failed += 1;
                            report.failures.push(format!("LLM call failed: {error}"));
                            *slot = Some(Outcome::Failed {
                                error: error.clone(),
                                attempts: 0,
                            });
                        }
                    }
                }
            }
        }

        for (i, first, job) in duplicates {
            let o = match outcomes[first].clone() {
                Some(Outcome::Stored(r)) | Some(Outcome::Called { response: r, .. }) => {
                    Outcome::Stored(r)
                }
                Some(other) => other,
                None => Outcome::Failed {
                    error: LlmError::Transport("the identical call did not finish".into()),
                    attempts: 0,
                },
            };
            if let Outcome::Stored(r) = &o {
                lock(&self.budget).record(&job, r.usage);
            }
            finish(i, o, &mut report, &mut outcomes);
        }

        merge(&mut lock(&self.report), report);
        outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or(Outcome::Failed {
                    error: LlmError::Transport("no outcome".into()),
                    attempts: 0,
                })
            })
            .collect()
    }

    /// Start the runtime and the dispatcher; results arrive on the channel.
    fn dispatch(
        &self,
        pending: Vec<Pending>,
        store_failed: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<(tokio::runtime::Runtime, std::sync::mpsc::Receiver<Message>), LlmError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.opts.max_concurrency.clamp(1, 2))
            .enable_all()
            .build()
            .map_err(|e| LlmError::Transport(format!("cannot start the async runtime: {e}")))?;
        let http = {
            let _guard = rt.enter();
            reqwest::Client::builder()
                .timeout(self.opts.timeout)
                .connect_timeout(self.opts.timeout.min(Duration::from_secs(30)))
                .user_agent(concat!("dsmig/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| LlmError::Transport(format!("cannot build the HTTP client: {e}")))?
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let sem = Arc::new(tokio::sync::Semaphore::new(
            self.opts.max_concurrency.max(1),
        ));
        let provider = self.provider.clone();
        let budget = self.budget.clone();
        let opts = self.opts.clone();
        rt.spawn(async move {
            for p in pending {
                let Ok(permit) = sem.clone().acquire_owned().await else {
                    break;
                };
                if store_failed.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = tx.send(Message::Done {
                        pending: p,
                        result: Err(LlmError::Store(
                            "not sent: the store cannot save answers (see the store error)".into(),
                        )),
                        attempts: 0,
                        cost: 0.0,
                    });
                    continue;
                }
                let admitted = lock(&budget).admit(&p.job, &p.request);
                let reservation: Reservation = match admitted {
                    Ok(r) => r,
                    Err(s) => {
                        let _ = tx.send(Message::Skipped(p, s));
                        continue;
                    }
                };
                let (tx, provider, budget, http, opts) = (
                    tx.clone(),
                    provider.clone(),
                    budget.clone(),
                    http.clone(),
                    opts.clone(),
                );
                tokio::spawn(async move {
                    let (result, attempts) =
                        send_with_retries(&http, provider.as_ref(), &p.request, &opts).await;
                    let cost = {
                        let mut b = lock(&budget);
                        let before = b.spent();
                        b.settle(&p.job, reservation, result.as_ref().ok().map(|r| r.usage));
                        b.spent() - before
                    };
                    drop(permit);
                    let _ = tx.send(Message::Done {
                        pending: p,
                        result,
                        attempts,
                        cost,
                    });
                });
            }
        });
        Ok((rt, rx))
    }
}

fn merge(into: &mut RunReport, r: RunReport) {
    into.calls_made += r.calls_made;
    into.attempts += r.attempts;
    into.served_from_store += r.served_from_store;
    into.skipped_for_budget += r.skipped_for_budget;
    into.failed += r.failed;
    into.usage.input_tokens += r.usage.input_tokens;
    into.usage.output_tokens += r.usage.output_tokens;
    into.cost_usd += r.cost_usd;
    into.skipped.extend(r.skipped);
    into.failures.extend(r.failures);
}

/// How long the server asks us to wait: `retry-after-ms`, else
/// `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &[(String, String)], now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let v = header(headers, "retry-after")?.trim();
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff before attempt `attempt + 1` (attempt counts from 1).
pub fn backoff(opts: &ClientOptions, attempt: u32) -> Duration {
    let factor = 1u32 << (attempt.saturating_sub(1)).min(16);
    (opts.backoff_base * factor).min(opts.max_backoff)
}

async fn send_once(
    http: &reqwest::Client,
    r: HttpRequest,
    timeout: Duration,
) -> Result<(u16, Vec<(String, String)>, Vec<u8>), LlmError> {
    let method = reqwest::Method::from_bytes(r.method.as_bytes())
        .map_err(|e| LlmError::Config(format!("bad method {}: {e}", r.method)))?;
    let mut rb = http.request(method, &r.url);
    for (k, v) in &r.headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    let map = |e: reqwest::Error| {
        if e.is_timeout() {
            LlmError::Timeout {
                seconds: timeout.as_secs_f64(),
            }
        } else {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            LlmError::Transport(msg)
        }
    };
    let resp = rb.body(r.body).send().await.map_err(map)?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let body = resp.bytes().await.map_err(map)?.to_vec();
    Ok((status, headers, body))
}

/// (result, attempts made).
async fn send_with_retries(
    http: &reqwest::Client,
    provider: &dyn Provider,
    req: &ChatRequest,
    opts: &ClientOptions,
) -> (Result<ChatResponse, LlmError>, u32) {
    let max = opts.max_attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let http_req = match provider.build_request(req) {
            Ok(r) => r,
            Err(e) => return (Err(e), attempt - 1),
        };
        let wait = match send_once(http, http_req, opts.timeout).await {
            Ok((status, headers, body)) => {
                if !is_retryable_status(status) || attempt >= max {
                    return (provider.parse_response(status, &headers, &body), attempt);
                }
                match retry_after(&headers, SystemTime::now()) {
                    Some(w) if w > opts.max_retry_after => {
                        let mut r = provider.parse_response(status, &headers, &body);
                        if let Err(LlmError::Status { message, .. }) = &mut r {
                            message.push_str(&format!(
                                " (the server asked to retry after {} s: longer than dsmig waits)",
                                w.as_secs()
                            ));
                        }
                        return (r, attempt);
                    }
                    Some(w) => w,
                    None => backoff(opts, attempt),
                }
            }
            Err(e) if e.is_retryable() && attempt < max => backoff(opts, attempt),
            Err(e) => return (Err(e), attempt),
        };
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let h = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert_eq!(
            retry_after(&h("Retry-After", "3"), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&h("retry-after-ms", "250"), now),
            Some(Duration::from_millis(250))
        );
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
        assert_eq!(
            retry_after(&h("retry-after", "Wed, 21 Oct 2015 07:28:10 GMT"), now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after(&h("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&h("retry-after", "soon"), now), None);
        assert_eq!(retry_after(&[], now), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let o = ClientOptions::default();
        assert_eq!(backoff(&o, 1), Duration::from_millis(500));
        assert_eq!(backoff(&o, 3), Duration::from_secs(2));
        assert_eq!(backoff(&o, 30), Duration::from_secs(30));
    }
}
