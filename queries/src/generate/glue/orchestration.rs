//! A sequence as an AWS Step Functions state machine: `sfn/{stem}.asl.json`
//! (Amazon States Language) and `terraform/{stem}.tf` (the
//! `aws_sfn_state_machine` that loads it with `templatefile`).
//!
//! Why Step Functions and not a Glue workflow: a Glue trigger can neither
//! start another workflow (nested sequences), nor pass a sequence's
//! parameters as job arguments, nor branch on a failure condition other
//! than "this job FAILED", nor stop the whole run (Terminator); a state
//! machine can do all of it, and its definition runs in the tests (moto's
//! ASL interpreter, `tests/it/sequences.rs`), so the order and arguments are
//! checked, not assumed.
//!
//! The translation schedules the activities in one topological order of
//! the trigger graph (stage id order among independent ones): DataStage
//! may run independent branches at the same time, the state machine runs
//! them one after the other; what runs and with which arguments is the
//! same. Each activity's state is guarded by a Choice over the triggers
//! into it (a Sequencer All: every one; Any, or a single trigger: one), on
//! the recorded outcomes of their sources (`$.st`). A job that fails with
//! no trigger taking its failure ends the run through the exception
//! handler's activities, if any ("Automatically handle activities that
//! fail"). What [`crate::stages::sequence`] says cannot be expressed
//! becomes a `Fail` state naming the activity and the reason, reached
//! exactly where the activity would have run.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::py_ident;
use super::terraform::{JobRef, glue_job_name, hcl_str, stem_resource};
use crate::generate::templates::Templates;
use crate::ir::{Job, Stage};
use crate::stages::sequence::{self as seq, Kind, Outcome};

/// The Glue argument a job reads a parameter from (as `script_params`).
pub fn param_arg(name: &str) -> String {
    let arg = py_ident(&name.replace('.', "_"));
    if arg == "JOB_NAME" {
        "DS_JOB_NAME".into()
    } else {
        arg
    }
}

/// The name a state machine has in AWS (`[A-Za-z0-9_-]`, at most 80).
pub fn state_machine_name(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect()
}

/// `${` and `%{` are template syntax in a file `templatefile` reads.
fn template_escape(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// Every string and key of `v`, template-escaped; values under a
/// `StateMachineArn` key are dsmig's own `${var}` references and stay.
fn escape_tree(v: &mut Value) {
    match v {
        Value::String(s) => *s = template_escape(s),
        Value::Array(a) => a.iter_mut().for_each(escape_tree),
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut val) in old {
                if k != "StateMachineArn" {
                    escape_tree(&mut val);
                }
                m.insert(template_escape(&k), val);
            }
        }
        _ => {}
    }
}

/// How one activity runs.
enum Run {
    Glue { job: String, resource: String },
    Child { var: String, resource: String },
    Blocked(String),
}

struct Ctx<'a> {
    job: &'a Job,
    jobs: &'a [JobRef],
    /// Stage id → key in `$.st`.
    keys: BTreeMap<String, String>,
    states: Map<String, Value>,
    todos: Vec<String>,
    glue_deps: BTreeSet<String>,
    children: BTreeMap<String, String>,
}

impl Ctx<'_> {
    fn run_of(&mut self, s: &Stage) -> Run {
        let Some(a) = &s.activity else {
            return Run::Blocked("not an activity".into());
        };
        let mut found: Vec<&JobRef> = self.jobs.iter().filter(|j| j.name == a.job_name).collect();
        found.sort_by(|x, y| (x.sequence, &x.stem).cmp(&(y.sequence, &y.stem)));
        match found.first() {
            Some(j) if !j.sequence => {
                let n = found.iter().filter(|o| !o.sequence).count();
                if n > 1 {
                    self.todos.push(format!(
                        "{}: job {} is exported {n} times: activity {} starts {} (file {}); check it is the one meant",
                        self.job.name,
                        a.job_name,
                        s.name,
                        glue_job_name(&j.name, &j.stem),
                        j.stem
                    ));
                }
                Run::Glue {
                    job: glue_job_name(&j.name, &j.stem),
                    resource: stem_resource(&j.stem),
                }
            }
            Some(j) => {
                let resource = stem_resource(&j.stem);
                Run::Child {
                    var: format!("sm_{resource}"),
                    resource,
                }
            }
            None => Run::Blocked(format!(
                "job {} is not in this build (another export?): dsmig cannot name its Glue job or state machine",
                a.job_name
            )),
        }
    }

    fn key(&self, id: &str) -> String {
        self.keys.get(id).cloned().unwrap_or_default()
    }

    /// The Choice rule: trigger `t` of `source` fired.
    fn fired(&self, source: &Stage, outcomes: &[Outcome]) -> Value {
        let var = format!("$.st.{}", self.key(&source.id));
        let rules: Vec<Value> = outcomes
            .iter()
            .map(|o| json!({"Variable": var, "StringEquals": o.word()}))
            .collect();
        match rules.len() {
            // A condition no Glue outcome satisfies never fires.
            0 => json!({"Variable": var, "StringEquals": "NEVER"}),
            1 => rules.into_iter().next().unwrap_or(Value::Null),
            _ => json!({"Or": rules}),
        }
    }

    /// The guard of `s`: `None` when nothing leads into it (it starts).
    fn guard(&self, s: &Stage, all: bool) -> Option<Value> {
        let ins = seq::incoming(self.job, s);
        if ins.is_empty() {
            return None;
        }
        let rules: Vec<Value> = ins
            .iter()
            .map(|(src, t)| match seq::fires_on(src, t) {
                Ok(o) => self.fired(src, &o),
                // Blocked: the source's own Fail state stops the run first.
                Err(_) => self.fired(src, &[]),
            })
            .collect();
        Some(if rules.len() == 1 {
            rules.into_iter().next().unwrap_or(Value::Null)
        } else if all {
            json!({ "And": rules })
        } else {
            json!({ "Or": rules })
        })
    }

    /// Does a trigger of `s` take its failure?
    fn handles_failure(&self, s: &Stage) -> bool {
        s.activity.iter().flat_map(|a| &a.triggers).any(|t| {
            t.to_stage.is_some() && seq::fires_on(s, t).is_ok_and(|o| o.contains(&Outcome::Failed))
        })
    }

    fn name(kind: &str, s: &Stage) -> String {
        let n: String = format!("{kind} {} {}", s.id, s.name)
            .chars()
            .take(80)
            .collect();
        n
    }

    /// The states of `s`, continuing at `next`; `on_unhandled`: where an
    /// unhandled failure goes. Returns the entry state's name.
    fn activity(&mut self, s: &Stage, next: &str, on_unhandled: &str) -> String {
        let key = self.key(&s.id);
        let kind = seq::kind(s);
        let blockers = seq::blockers(self.job, s);
        let entry_body = Self::name("run", s);
        let all = matches!(kind, Ok(Kind::Sequencer(true)));
        let record = |states: &mut Map<String, Value>, word: &str, then: &str| -> String {
            let n = Self::name(if word == "OK" { "ok" } else { "failed" }, s);
            states.insert(
                n.clone(),
                json!({"Type": "Pass", "Result": word, "ResultPath": format!("$.st.{key}"), "Next": then}),
            );
            n
        };
        if let Some((property, what)) = blockers.first() {
            let g = crate::stages::Guess::new(s, property.clone(), what.clone());
            self.states.insert(
                entry_body.clone(),
                json!({"Type": "Fail", "Error": "dsmig.Untranslated", "Cause": g.message()}),
            );
        } else {
            match kind {
                Ok(Kind::Job) => {
                    let run = self.run_of(s);
                    let ok = record(&mut self.states, "OK", next);
                    let failed_next = if self.handles_failure(s) {
                        next
                    } else {
                        on_unhandled
                    };
                    let failed = record(&mut self.states, "FAILED", failed_next);
                    let catch = json!([{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": failed}]);
                    let a = s.activity.as_ref();
                    let values = a.map(|a| a.parameter_values.clone()).unwrap_or_default();
                    let state = match run {
                        Run::Glue { job, resource } => {
                            self.glue_deps.insert(resource);
                            let mut args = Map::new();
                            for (name, expr) in &values {
                                if name.starts_with('$') {
                                    continue;
                                }
                                let arg = format!("--{}", param_arg(name));
                                match seq::value(self.job, expr) {
                                    Ok(seq::Value::Literal(v)) => {
                                        args.insert(arg, Value::String(v));
                                    }
                                    Ok(seq::Value::Param(p)) => {
                                        args.insert(
                                            format!("{arg}.$"),
                                            json!(format!("$.params.{p}")),
                                        );
                                    }
                                    _ => {}
                                }
                            }
                            let mut params = Map::new();
                            params.insert("JobName".into(), Value::String(job));
                            if !args.is_empty() {
                                params.insert("Arguments".into(), Value::Object(args));
                            }
                            json!({"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                                   "Parameters": params, "ResultPath": null, "Next": ok, "Catch": catch})
                        }
                        Run::Child { var, resource } => {
                            self.children.insert(var.clone(), resource);
                            let mut input = Map::new();
                            for (name, expr) in &values {
                                match seq::value(self.job, expr) {
                                    Ok(seq::Value::Literal(v)) => {
                                        input.insert(name.clone(), Value::String(v));
                                    }
                                    Ok(seq::Value::Param(p)) => {
                                        input.insert(
                                            format!("{name}.$"),
                                            json!(format!("$.params.{p}")),
                                        );
                                    }
                                    _ => {}
                                }
                            }
                            json!({"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                                   "Parameters": {"StateMachineArn": format!("${{{var}}}"), "Input": {"params": input}},
                                   "ResultPath": null, "Next": ok, "Catch": catch})
                        }
                        Run::Blocked(why) => {
                            self.todos
                                .push(format!("{}: activity {}: {why}", self.job.name, s.name));
                            let g = crate::stages::Guess::new(s, "Jobname", why);
                            json!({"Type": "Fail", "Error": "dsmig.Untranslated", "Cause": g.message()})
                        }
                    };
                    self.states.insert(entry_body.clone(), state);
                }
                Ok(Kind::Terminator) => {
                    self.states.insert(
                        entry_body.clone(),
                        json!({"Type": "Fail", "Error": "DataStage.Terminated",
                               "Cause": format!("terminator activity {} stopped the sequence", s.name)}),
                    );
                }
                // Sequencers and the exception handler only pass control on.
                _ => {
                    let ok = record(&mut self.states, "OK", next);
                    self.states
                        .insert(entry_body.clone(), json!({"Type": "Pass", "Next": ok}));
                }
            }
        }
        match self.guard(s, all) {
            None => entry_body,
            Some(rule) => {
                let g = Self::name("if", s);
                let mut choice = rule;
                if let Value::Object(m) = &mut choice {
                    m.insert("Next".into(), Value::String(entry_body));
                }
                self.states.insert(
                    g.clone(),
                    json!({"Type": "Choice", "Choices": [choice], "Default": next}),
                );
                g
            }
        }
    }

    /// The states of `order`, chained, ending at `end`; returns the first.
    fn chain(&mut self, order: &[&Stage], end: &str, on_unhandled: &str) -> String {
        let mut next = end.to_string();
        for s in order.iter().rev() {
            next = self.activity(s, &next, on_unhandled);
        }
        next
    }
}

/// Activities in a topological order of the triggers (stage id order
/// among the ready ones); those on a cycle are left out (returned second).
fn topo<'a>(job: &'a Job, among: &BTreeSet<&'a str>) -> (Vec<&'a Stage>, Vec<&'a Stage>) {
    let acts: Vec<&Stage> = job
        .stages
        .iter()
        .filter(|s| s.activity.is_some() && among.contains(s.id.as_str()))
        .collect();
    let mut indeg: BTreeMap<&str, usize> = acts.iter().map(|s| (s.id.as_str(), 0)).collect();
    for s in &acts {
        for t in s.activity.iter().flat_map(|a| &a.triggers) {
            if let Some(d) = t.to_stage.as_deref().and_then(|d| indeg.get_mut(d)) {
                *d += 1;
            }
        }
    }
    let mut done = Vec::new();
    let mut ready: BTreeSet<&str> = indeg
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    while let Some(id) = ready.pop_first() {
        let Some(s) = job.stage(id) else { continue };
        done.push(s);
        for t in s.activity.iter().flat_map(|a| &a.triggers) {
            if let Some(to) = t.to_stage.as_deref()
                && let Some(d) = indeg.get_mut(to)
            {
                *d -= 1;
                if *d == 0 {
                    ready.insert(job.stage(to).map_or("", |x| x.id.as_str()));
                }
            }
        }
    }
    let placed: BTreeSet<&str> = done.iter().map(|s| s.id.as_str()).collect();
    let rest = acts
        .into_iter()
        .filter(|s| !placed.contains(s.id.as_str()))
        .collect();
    (done, rest)
}

/// Stages reachable from `from` through triggers.
fn reachable<'a>(job: &'a Job, from: &[&'a Stage]) -> BTreeSet<&'a str> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&Stage> = from.to_vec();
    while let Some(s) = todo.pop() {
        if !seen.insert(s.id.as_str()) {
            continue;
        }
        for t in s.activity.iter().flat_map(|a| &a.triggers) {
            if let Some(d) = t.to_stage.as_deref().and_then(|d| job.stage(d)) {
                todo.push(d);
            }
        }
    }
    seen
}

/// The ASL definition of a sequence (templatefile-escaped JSON, with
/// `${sm_X}` references to child state machines), the child references
/// (variable → resource), the Glue job resources it starts, and TODOs.
pub struct Orchestration {
    pub asl: String,
    pub children: BTreeMap<String, String>,
    pub glue_jobs: BTreeSet<String>,
    pub todos: Vec<String>,
}

pub fn state_machine(job: &Job, jobs: &[JobRef]) -> Orchestration {
    let keys: BTreeMap<String, String> = job
        .stages
        .iter()
        .filter(|s| s.activity.is_some())
        .enumerate()
        .map(|(i, s)| (s.id.clone(), format!("a{i}")))
        .collect();
    let mut cx = Ctx {
        job,
        jobs,
        keys,
        states: Map::new(),
        todos: Vec::new(),
        glue_deps: BTreeSet::new(),
        children: BTreeMap::new(),
    };
    let handlers: Vec<&Stage> = job
        .stages
        .iter()
        .filter(|s| s.stage_type == "ExceptionHandler")
        .collect();
    let handled = reachable(job, &handlers);
    let main_ids: BTreeSet<&str> = job
        .stages
        .iter()
        .filter(|s| s.activity.is_some() && !handled.contains(s.id.as_str()))
        .map(|s| s.id.as_str())
        .collect();
    let (main, cyc) = topo(job, &main_ids);
    let (handler_chain, cyc2) = topo(job, &handled);
    for s in cyc.iter().chain(&cyc2) {
        cx.todos.push(format!(
            "{}: activity {} is on a trigger cycle: not scheduled",
            job.name, s.name
        ));
    }
    const DONE: &str = "sequence finished";
    const ABORT: &str = "sequence aborted";
    cx.states.insert(DONE.into(), json!({"Type": "Succeed"}));
    cx.states.insert(
        ABORT.into(),
        json!({"Type": "Fail", "Error": "DataStage.SequenceAborted",
               "Cause": "an activity failed and no trigger handles its failure"}),
    );
    let on_unhandled = if handler_chain.is_empty() {
        ABORT.to_string()
    } else {
        // Failures inside the handler itself abort.
        cx.chain(&handler_chain, ABORT, ABORT)
    };
    let first = cx.chain(&main, DONE, &on_unhandled);
    // Inputs: `{"params": {...}}`; the sequence's defaults fill the rest.
    let mut defaults = Map::new();
    for p in &job.parameters {
        if p.is_env || p.name.starts_with('$') {
            continue;
        }
        let v = if p.default == crate::ir::REDACTED || p.default.contains("$PROJDEF") {
            String::new()
        } else {
            p.default.clone()
        };
        defaults.insert(p.name.clone(), Value::String(v));
    }
    let st: Map<String, Value> = cx
        .keys
        .values()
        .map(|k| (k.clone(), Value::String("NOT_RUN".into())))
        .collect();
    cx.states.insert(
        "defaults".into(),
        json!({"Type": "Pass", "Result": defaults, "ResultPath": "$.defaults", "Next": "parameters"}),
    );
    cx.states.insert(
        "parameters".into(),
        json!({"Type": "Pass",
               "Parameters": {"params.$": "States.JsonMerge($.defaults, $.params, false)", "st": st},
               "Next": first}),
    );
    let mut asl = json!({
        "Comment": format!("DataStage sequence {} ({}), generated by dsmig. Start with {{\"params\": {{...}}}}.", job.name, job.folder),
        "StartAt": "defaults",
        "States": Value::Object(cx.states),
    });
    escape_tree(&mut asl);
    let mut text = serde_json::to_string_pretty(&asl).unwrap_or_default();
    text.push('\n');
    Orchestration {
        asl: text,
        children: cx.children,
        glue_jobs: cx.glue_deps,
        todos: cx.todos,
    }
}

/// `terraform/{stem}.tf` and `sfn/{stem}.asl.json` of a sequence.
pub fn files(
    job: &Job,
    stem: &str,
    jobs: &[JobRef],
    templates: &Templates,
) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let o = state_machine(job, jobs);
    let width = o.children.keys().map(String::len).max().unwrap_or(0);
    let vars: Vec<String> = o
        .children
        .iter()
        .map(|(var, res)| format!("    {var:<width$} = aws_sfn_state_machine.{res}.arn"))
        .collect();
    let vars = if vars.is_empty() {
        "{}".to_string()
    } else {
        format!("{{\n{}\n  }}", vars.join("\n"))
    };
    let path = hcl_str(&format!("{stem}.asl.json"));
    let path = format!("\"${{path.module}}/../sfn/{}", &path[1..]);
    let depends = if o.glue_jobs.is_empty() {
        String::new()
    } else {
        format!(
            "\n  depends_on = [{}]\n",
            o.glue_jobs
                .iter()
                .map(|r| format!("aws_glue_job.{r}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let data = json!({
        "job_name": job.name,
        "resource": stem_resource(stem),
        "glue_name": hcl_str(&state_machine_name(stem)),
        "definition": format!("templatefile({path}, {vars})"),
        "depends_on": depends,
    });
    let tf = templates.render("workflow.tf", &data);
    (
        vec![
            ("terraform/{stem}.tf".into(), tf.into_bytes()),
            ("sfn/{stem}.asl.json".into(), o.asl.into_bytes()),
        ],
        o.todos,
    )
}
