//! The LLM phase of `dsmig build` against a mock OpenAI-compatible server
//! on 127.0.0.1 (no key, no internet): stored answers are never asked for
//! twice, a killed build resumes with exactly the calls it lacks, a planted
//! password leaves no trace, `dsmig plan` predicts the calls a build makes
//! and batching per cluster saves most of them, failing answers get one
//! repair call, and a tiny budget stops the calls cleanly.
//!
//! The mock answers like a model would: for each job in the prompt it
//! takes the functions of the draft that raise `NotImplementedError` and
//! returns them filled in (`return None`), so answers carry the template's
//! names and duplicates' substitution is exercised for real.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use corpus_gen::{GenOptions, generate};
use queries::llm::pycode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// ------------------------------------------------------------------ mock

/// How the mock answers.
#[derive(Clone, Default)]
struct Behaviour {
    /// Jobs whose first answer does not compile (the repair is good).
    bad_first: Vec<String>,
    /// Jobs whose answers never compile.
    always_bad: Vec<String>,
    delay: Option<Duration>,
}

struct Chat(Behaviour);

const REPAIR_MARK: &str = "\n\nYour previous answer:";

/// The draft's placeholder functions, filled in.
fn fill(code: &str) -> String {
    let mut out = Vec::new();
    for b in pycode::blocks(code) {
        if b.kind != pycode::Kind::Def || !b.text.contains("raise NotImplementedError(") {
            continue;
        }
        let lines: Vec<String> = b
            .text
            .lines()
            .map(|l| match l.find("raise NotImplementedError(") {
                Some(at) => format!("{}return None  # filled by the mock", &l[..at]),
                None => l.to_string(),
            })
            .collect();
        out.push(lines.join("\n"));
    }
    if out.is_empty() {
        out.push("def dsmig_mock_note():\n    return None".into());
    }
    out.join("\n\n\n") + "\n"
}

fn last_python_block(text: &str) -> &str {
    text.rsplit("```python\n")
        .next()
        .and_then(|b| b.split("```").next())
        .unwrap_or("")
}

/// An SQL answer: the draft without its STOP statement, whole (SQL
/// answers are whole files), in one fenced block per job.
fn sql_answer(prompt: &str) -> String {
    let mut text = String::new();
    for block in prompt.split("```sql\n").skip(1) {
        let draft = block.split("```").next().unwrap_or("");
        let kept: Vec<&str> = draft
            .lines()
            .filter(|l| !l.contains("AS INTEGER) AS dsmig_stop"))
            .collect();
        text = format!(
            "Here is the completed script.\n\n```sql\n{}\n```\n",
            kept.join("\n")
        );
    }
    text
}

fn answer(prompt: &str, b: &Behaviour) -> String {
    let (original, repair) = match prompt.split_once(REPAIR_MARK) {
        Some((o, _)) => (o, true),
        None => (prompt, false),
    };
    if original.contains("```sql\n") {
        return sql_answer(original);
    }
    let bad = |job: &str| {
        b.always_bad.iter().any(|j| j == job) || (!repair && b.bad_first.iter().any(|j| j == job))
    };
    let code_for = |job: &str, section: &str| {
        if bad(job) {
            "def broken(:\n    pass\n".to_string()
        } else {
            fill(last_python_block(section))
        }
    };
    // Light calls: one `### JOB` section per job.
    let heads: Vec<(usize, &str)> = original
        .match_indices("\n### ")
        .filter_map(|(at, _)| {
            let line = original[at + 5..].lines().next()?;
            (!line.contains(' ')).then_some((at, line))
        })
        .collect();
    if heads.len() > 1 || (heads.len() == 1 && !original.starts_with("Job ")) {
        let mut text = String::from("Here are the jobs.\n");
        for (k, (at, job)) in heads.iter().enumerate() {
            let end = heads.get(k + 1).map_or(original.len(), |h| h.0);
            text.push_str(&format!(
                "### {job}\n```python\n{}```\n",
                code_for(job, &original[*at..end])
            ));
        }
        return text;
    }
    let job = original
        .strip_prefix("Job ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("");
    let job = job.trim_end_matches([',', ':']);
    if !heads.is_empty() {
        // A light call for one job (or its repair).
        return format!("### {job}\n```python\n{}```\n", code_for(job, original));
    }
    format!(
        "Here is the completed code.\n\n```python\n{}```\n",
        code_for(job, original)
    )
}

impl Respond for Chat {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let prompt = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .unwrap_or("");
        let text = answer(prompt, &self.0);
        let r = ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1741570283,
            "model": "mock-coder",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": prompt.len() / 4, "completion_tokens": text.len() / 4,
                      "total_tokens": (prompt.len() + text.len()) / 4}
        }));
        match self.0.delay {
            Some(d) => r.set_delay(d),
            None => r,
        }
    }
}

struct Server {
    rt: tokio::runtime::Runtime,
    server: MockServer,
}

impl Server {
    fn start(b: Behaviour) -> Server {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let server = rt.block_on(MockServer::start());
        rt.block_on(
            Mock::given(method("POST"))
                .and(path("/v1/chat/completions"))
                .respond_with(Chat(b))
                .mount(&server),
        );
        Server { rt, server }
    }

    fn requests(&self) -> Vec<Request> {
        self.rt
            .block_on(self.server.received_requests())
            .expect("recording on")
    }

    fn count(&self) -> usize {
        self.requests().len()
    }
}

// --------------------------------------------------------------- project

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

use crate::common::examples;

impl Project {
    /// A folder with `dsmig.toml` pointing at the mock.
    fn new(server: &Server, extra_toml: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        std::fs::write(
            root.join("dsmig.toml"),
            format!(
                "[llm]\nprovider = \"openai_compatible\"\nmodel = \"mock-coder\"\nbase_url = \"{}/v1\"\nmax_concurrency = 2\n{extra_toml}",
                server.server.uri()
            ),
        )
        .expect("dsmig.toml");
        Project { _dir: dir, root }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dsmig"));
        c.current_dir(&self.root)
            .args(args)
            .env_remove("OPENAI_API_KEY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("dsmig runs")
    }

    /// `dsmig build INPUT` (its summary JSON, its console output).
    fn build(&self, input: &Path, extra: &[&str]) -> (Value, String) {
        let input = input.display().to_string();
        let mut args = vec!["build", &input, "--summary-json", "summary.json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{text}");
        let s = std::fs::read_to_string(self.root.join("summary.json")).expect("summary");
        (serde_json::from_str(&s).expect("json"), text)
    }

    fn plan(&self, input: &Path) -> Value {
        let input = input.display().to_string();
        let out = self.run(&["plan", &input, "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("plan json")
    }

    /// Every generated file and its bytes.
    fn outputs(&self) -> BTreeMap<String, Vec<u8>> {
        let base = self.root.join("generated");
        walk(&base)
            .into_iter()
            .map(|p| {
                let rel = p.strip_prefix(&base).unwrap_or(&p).display().to_string();
                let bytes = std::fs::read(&p).expect("read output");
                (rel, bytes)
            })
            .collect()
    }
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

fn u(v: &Value, ptr: &str) -> u64 {
    v.pointer(ptr)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{ptr} in {v}"))
}

// ----------------------------------------------------------------- tests

#[test]
fn a_second_build_sends_nothing_and_writes_the_same_bytes() {
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    let (first, text) = p.build(&examples(), &[]);
    let made = u(&first, "/llm/calls_made");
    assert!(made > 0, "{text}");
    assert_eq!(s.count() as u64, made, "one request per call");
    assert_eq!(u(&first, "/llm/filled"), u(&first, "/llm/jobs"), "{text}");
    assert!(text.contains("answered and stored"), "{text}");
    let files = p.outputs();
    let llm_files: Vec<&String> = files
        .iter()
        .filter(|(_, b)| b.starts_with(b"# dsmig: completed by an LLM"))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(llm_files.len() as u64, u(&first, "/llm/filled"));
    // The report lists them for review, and the tests that still expect a
    // placeholder's error.
    let report = String::from_utf8_lossy(&files["generation_report.json"]).to_string();
    assert!(report.contains("review it before use"));
    assert!(report.contains("still expects the error of a placeholder"));

    let (second, text) = p.build(&examples(), &[]);
    assert_eq!(
        s.count() as u64,
        made,
        "the second build sent requests: {text}"
    );
    assert_eq!(u(&second, "/llm/calls_made"), 0);
    assert_eq!(u(&second, "/llm/served_from_store"), made);
    assert_eq!(u(&second, "/phases/llm/computed"), 0);
    assert_eq!(u(&second, "/files/written"), 0);
    assert_eq!(p.outputs(), files, "the same bytes");
    // And a plan finds nothing to do.
    let input = examples().display().to_string();
    let out = p.run(&["plan", &input, "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("({made} stored, 0 to make)")));
}

#[test]
fn a_build_killed_after_k_answers_resumes_with_exactly_the_missing_calls() {
    let s = Server::start(Behaviour {
        delay: Some(Duration::from_millis(400)),
        ..Behaviour::default()
    });
    let p = Project::new(&s, "");
    std::fs::write(
        p.root.join("dsmig.toml"),
        std::fs::read_to_string(p.root.join("dsmig.toml"))
            .unwrap()
            .replace("max_concurrency = 2", "max_concurrency = 1"),
    )
    .unwrap();
    let input = examples().display().to_string();
    let n = u(&p.plan(&examples()), "/llm/estimate/calls");
    assert!(n >= 6, "{n}");
    const K: u64 = 3;
    let mut child = p
        .cmd(&["build", &input])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut stored = 0;
    while stored < K {
        let line = lines.next().expect("child output").expect("line");
        if line.contains("answered and stored") {
            stored += 1;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    // Lines the child printed before the signal landed.
    for line in lines.map_while(Result::ok) {
        if line.contains("answered and stored") {
            stored += 1;
        }
    }
    assert!(stored < n, "the child finished before it was killed");
    let sent_by_child = s.count() as u64;

    let (summary, text) = p.build(&examples(), &[]);
    let sent_now = s.count() as u64 - sent_by_child;
    println!("n = {n} calls; killed after k = {stored} answers; the next build sent {sent_now}");
    assert_eq!(sent_now, n - stored, "{text}");
    assert_eq!(u(&summary, "/llm/calls_made"), n - stored);
    assert_eq!(u(&summary, "/llm/served_from_store"), stored);
    assert_eq!(u(&summary, "/llm/kept_draft"), 0, "{text}");
}

const PLANTED: &str = "Pl4nted-S3cret-7731";

#[test]
fn a_planted_password_is_in_no_request_store_file_log_or_report() {
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    let input = p.root.join("exports");
    let mut planted = 0;
    for f in walk(&examples()) {
        let rel = f.strip_prefix(examples()).unwrap();
        let to = input.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let marker = "<![CDATA[#DB_PASSWORD#]]></Password>";
        if f.extension().is_some_and(|e| e == "dsx") && text.contains(marker) {
            planted += text.matches(marker).count();
            let t = text.replace(marker, &format!("<![CDATA[{PLANTED}]]></Password>"));
            std::fs::write(&to, t).unwrap();
        } else {
            std::fs::write(&to, bytes).unwrap();
        }
    }
    assert!(planted > 10, "{planted}");
    let (summary, text) = p.build(&input, &["--report", "report.html"]);
    assert!(u(&summary, "/llm/calls_made") > 0, "{text}");
    let has = |bytes: &[u8]| {
        bytes
            .windows(PLANTED.len())
            .any(|w| w == PLANTED.as_bytes())
    };
    let reqs = s.requests();
    let mut redacted = 0;
    for r in &reqs {
        assert!(!has(&r.body), "a request body holds the password");
        for (_, v) in r.headers.iter() {
            assert!(!has(v.as_bytes()));
        }
        if has_str(&r.body, "<redacted>") {
            redacted += 1;
        }
    }
    assert!(
        redacted > 0,
        "no prompt carried a (redacted) password property"
    );
    assert!(!text.contains(PLANTED), "log lines");
    for f in walk(&p.root.join("generated")) {
        assert!(!has(&std::fs::read(&f).unwrap()), "{}", f.display());
    }
    assert!(!has(&std::fs::read(p.root.join("report.html")).unwrap()));
    assert!(!has(&std::fs::read(p.root.join("summary.json")).unwrap()));
    // The store: stored prompts (memo) and answers (llm table) are not
    // compressed, so the bytes would show.
    for f in walk(&p.root.join(".dsmig-store")) {
        assert!(!has(&std::fs::read(&f).unwrap()), "{}", f.display());
    }
}

fn has_str(bytes: &[u8], s: &str) -> bool {
    bytes.windows(s.len()).any(|w| w == s.as_bytes())
}

/// The generated corpus, written without its ground truth file.
fn corpus(opts: &GenOptions, dir: &Path) -> PathBuf {
    let input = dir.join("in");
    generate(opts, &input).expect("generate");
    let _ = std::fs::remove_file(input.join("ground_truth.json"));
    input
}

#[test]
fn plan_predicts_the_build_and_batching_saves_most_calls() {
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    // An estate built from templates (exact and near copies in groups of 6
    // to 30), as teams that generated their jobs from patterns have.
    let input = corpus(&GenOptions::clustered(300, 5), &p.root);
    let plan = p.plan(&input);
    let e = &plan["llm"]["estimate"];
    let (jobs, calls) = (u(e, "/jobs"), u(e, "/calls"));
    let saving = e["savings_pct"].as_f64().unwrap();
    assert_eq!(u(e, "/stored"), 0);
    assert_eq!(u(e, "/one_per_job"), jobs);
    assert!(!e["groups"].as_array().unwrap().is_empty(), "{e}");

    let (summary, text) = p.build(&input, &[]);
    let made = s.count() as u64;
    println!(
        "clustered corpus (300 jobs): {jobs} jobs need the LLM; plan {calls} calls, the build made {made}; \
         batching saves {saving:.1}% of the calls ({} by slot substitution, 0 calls) vs one call per job",
        u(&summary, "/llm/substituted")
    );
    assert_eq!(made, calls, "plan and build disagree: {text}");
    // The HTML report's estimate is the same function's.
    let out = p.run(&["report", &input.display().to_string(), "-o", "report.html"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(p.root.join("report.html")).expect("report");
    let shown: u64 = html
        .split(r#"data-k="llm_calls" data-v=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|v| v.parse().ok())
        .expect("the report's LLM calls card");
    assert_eq!(shown, calls, "report and plan disagree");
    assert_eq!(u(&summary, "/llm/calls_made"), calls);
    assert!(saving >= 70.0, "{saving}");
    assert_eq!(u(&summary, "/llm/filled"), jobs, "{text}");
    assert!(u(&summary, "/llm/substituted") > 0);

    // The same figure on the default mix (25 % exact, 20 % near copies).
    let q = Project::new(&s, "");
    let input = corpus(&GenOptions::small(300, 5), &q.root);
    let e = q.plan(&input)["llm"]["estimate"].clone();
    println!(
        "default corpus mix (300 jobs): {} jobs need the LLM, {} calls with batching: saves {:.1}%",
        u(&e, "/jobs"),
        u(&e, "/calls"),
        e["savings_pct"].as_f64().unwrap()
    );
}

#[test]
fn a_failing_answer_gets_one_repair_call_and_then_the_draft_is_kept() {
    // Two SEMI-AUTO example jobs: one answered badly once, one always.
    let s = Server::start(Behaviour {
        bad_first: vec!["SJ_SalesInit".into()],
        always_bad: vec!["jsDWH_Store_Agg".into()],
        delay: None,
    });
    let p = Project::new(&s, "");
    let (summary, text) = p.build(&examples(), &[]);
    let jobs = u(&summary, "/llm/jobs");
    assert_eq!(u(&summary, "/llm/repairs"), 2, "{text}");
    assert_eq!(s.count() as u64, jobs + 2, "{text}");
    assert_eq!(u(&summary, "/llm/kept_draft"), 1, "{text}");
    assert!(
        text.contains(
            "jsDWH_Store_Agg: rule-based draft kept: the LLM's answer failed its check twice"
        ),
        "{text}"
    );
    let out = p.outputs();
    let repaired = String::from_utf8_lossy(&out["glue_jobs/SJ_SalesInit.py"]).to_string();
    assert!(
        repaired.starts_with("# dsmig: completed by an LLM"),
        "{repaired}"
    );
    let kept = String::from_utf8_lossy(&out["glue_jobs/jsDWH_Store_Agg.py"]).to_string();
    assert!(kept.starts_with("\"\"\"AWS Glue job"), "the draft is kept");
    assert!(kept.contains("raise NotImplementedError("));
    // Stored and settled: the next build asks nothing.
    let before = s.count();
    let (again, _) = p.build(&examples(), &[]);
    assert_eq!(s.count(), before);
    assert_eq!(u(&again, "/llm/kept_draft"), 1);
}

const PRICED: &str = "[llm.pricing.\"mock-coder\"]\ninput_per_mtok = 3.0\noutput_per_mtok = 15.0\n";

#[test]
fn a_tiny_budget_stops_the_calls_and_names_the_skipped_jobs() {
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, PRICED);
    // Room for a call or two of the 11.
    let (summary, text) = p.build(&examples(), &["--budget", "0.2"]);
    let skipped = u(&summary, "/llm/skipped_for_budget");
    let made = u(&summary, "/llm/calls_made");
    println!("budget $0.20: {made} calls made, {skipped} skipped");
    assert!(skipped > 0, "{text}");
    assert_eq!(s.count() as u64, made, "no half-finished call");
    assert!(
        text.contains("LLM budget reached ($0.2 for this run): calls stopped;"),
        "{text}"
    );
    assert!(text.contains("skipped (LLM budget)"), "{text}");
    assert!(u(&summary, "/llm/kept_draft") >= skipped);
    // With no budget left at all, nothing is sent.
    let before = s.count();
    let q = Project::new(&s, PRICED);
    let (summary, text) = q.build(&examples(), &["--budget", "0.000001"]);
    assert_eq!(s.count(), before, "{text}");
    assert_eq!(u(&summary, "/llm/calls_made"), 0);
    assert!(u(&summary, "/llm/skipped_for_budget") > 0);
}

#[test]
fn no_llm_and_a_missing_key_are_clear() {
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    let (summary, _) = p.build(&examples(), &["--no-llm"]);
    assert_eq!(u(&summary, "/llm/jobs"), 0);
    assert_eq!(s.count(), 0);
    let input = examples().display().to_string();
    let out = p.run(&["plan", &input, "--no-llm", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "nothing to do after the build");
    assert!(String::from_utf8_lossy(&out.stdout).contains("LLM: off (--no-llm)"));
    // Without a provider the plan still says what an LLM would need, and
    // that is no pending change.
    let out = p.run(&[
        "plan",
        &input,
        "--llm-provider",
        "none",
        "--detailed-exitcode",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("LLM (none configured;"), "{text}");
    let without_key = |command: &str| {
        p.cmd(&[command, &input, "--llm-provider", "anthropic"])
            .env_remove("ANTHROPIC_API_KEY")
            .output()
            .expect("runs")
    };
    let out = without_key("build");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ANTHROPIC_API_KEY is not set"), "{err}");
    // The plan needs no key.
    let out = without_key("plan");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("LLM (anthropic"));
}

#[test]
fn the_sql_target_gets_whole_checked_scripts_and_a_second_build_sends_nothing() {
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    let args = ["--target", "sql", "--dialect", "postgres"];
    let (first, text) = p.build(&examples(), &args);
    let made = u(&first, "/llm/calls_made");
    assert!(made > 0, "{text}");
    assert_eq!(s.count() as u64, made, "one request per call");
    let files = p.outputs();
    let completed: Vec<&String> = files
        .iter()
        .filter(|(k, b)| k.starts_with("sql/") && b.starts_with(b"-- dsmig: completed by an LLM"))
        .map(|(k, _)| k)
        .collect();
    assert!(!completed.is_empty(), "no SQL script completed: {text}");
    for k in &completed {
        let body = String::from_utf8_lossy(&files[*k]);
        assert!(!body.contains("dsmig_stop"), "{k} still stops");
    }
    let (second, text2) = p.build(&examples(), &args);
    assert_eq!(u(&second, "/llm/calls_made"), 0, "{text2}");
    assert_eq!(s.count() as u64, made, "nothing sent the second time");
    assert_eq!(p.outputs(), files, "same bytes");
}

/// The DSX export header and the `DSJOB` block of job `name` in `file`.
fn job_block(file: &Path, name: &str) -> (String, String) {
    let text = std::fs::read_to_string(file).expect("example export");
    let text = text.replace("\r\n", "\n");
    let header_end = text.find("END HEADER\n").expect("a header") + "END HEADER\n".len();
    let start = text
        .find(&format!("BEGIN DSJOB\n   Identifier \"{name}\"\n"))
        .expect("the job");
    let end = start + text[start..].find("END DSJOB\n").expect("its end") + "END DSJOB\n".len();
    (text[..header_end].to_string(), text[start..end].to_string())
}

/// Issue 18.5: copies of a job that differ from it by bookkeeping only
/// (another job name, export dates, `NLSLocale ",,,,"`, compiled
/// transformer code) form one duplicate group with it and need no LLM
/// call beyond the template's: the build sends exactly the calls the
/// template alone needs, the copies' code comes by substitution, and
/// `dsmig plan` predicts it.
#[test]
fn copies_that_differ_by_bookkeeping_only_need_no_call_beyond_their_template() {
    let (header, job) = job_block(
        &examples().join("SRC_QA/STG_Contact_export_0003.dsx"),
        "SJ_SalesInit",
    );
    // The template alone.
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    let one = p.root.join("one");
    std::fs::create_dir_all(&one).expect("mkdir");
    std::fs::write(one.join("SJ_SalesInit.dsx"), format!("{header}{job}")).expect("write");
    let (alone, text) = p.build(&one, &[]);
    let template_calls = s.count() as u64;
    assert!(template_calls >= 1, "the template needs the LLM: {text}");
    assert_eq!(u(&alone, "/llm/calls_made"), template_calls);

    // The template and three bookkeeping copies, in a fresh project.
    let s = Server::start(Behaviour::default());
    let p = Project::new(&s, "");
    let many = p.root.join("many");
    std::fs::create_dir_all(&many).expect("mkdir");
    std::fs::write(many.join("SJ_SalesInit.dsx"), format!("{header}{job}")).expect("write");
    let copies = ["SJ_SalesInit_EU", "SJ_SalesInit_US", "SJ_SalesInit_APAC"];
    for (i, name) in copies.iter().enumerate() {
        let mut copy = job.replace("\"SJ_SalesInit\"", &format!("\"{name}\""));
        match i {
            0 => copy = copy.replace("DateModified \"", "DateModified \"1999"),
            1 => {
                copy = copy.replace(
                    "      Identifier \"ROOT\"\n",
                    "      Identifier \"ROOT\"\n      NLSLocale \",,,,\"\n",
                )
            }
            _ => {
                copy = copy.replace(
                    "      StageType \"CTransformerStage\"\n",
                    "      StageType \"CTransformerStage\"\n      TrxGenCode \"// compiled 2031-01-01\"\n",
                )
            }
        }
        assert_ne!(copy, job);
        std::fs::write(many.join(format!("{name}.dsx")), format!("{header}{copy}")).expect("write");
    }
    let e = p.plan(&many)["llm"]["estimate"].clone();
    assert_eq!(u(&e, "/calls"), template_calls, "plan: {e}");
    let (summary, text) = p.build(&many, &[]);
    println!(
        "bookkeeping copies: template alone {template_calls} call(s); template + {} copies {} call(s), {} substituted",
        copies.len(),
        s.count(),
        u(&summary, "/llm/substituted")
    );
    assert_eq!(s.count() as u64, template_calls, "{text}");
    assert_eq!(u(&summary, "/llm/calls_made"), template_calls, "{text}");
    assert_eq!(
        u(&summary, "/llm/substituted"),
        copies.len() as u64,
        "{text}"
    );
    // Every member got completed code: one from the answer, the others
    // by substitution from it.
    let out = p.outputs();
    for name in copies.iter().copied().chain(["SJ_SalesInit"]) {
        let code = out
            .iter()
            .find(|(k, _)| **k == format!("glue_jobs/{name}.py"))
            .map(|(_, v)| String::from_utf8_lossy(v).to_string())
            .unwrap_or_else(|| panic!("no code for {name}: {:?}", out.keys()));
        assert!(
            code.starts_with("# dsmig: completed by an LLM")
                || code.starts_with("# dsmig: completed by slot substitution"),
            "{name}: {code}"
        );
        assert!(!code.contains("raise NotImplementedError("), "{name}");
    }
}
