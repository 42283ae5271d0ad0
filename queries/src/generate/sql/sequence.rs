//! A sequence as a shell script (`run/<sequence>.sh`): its job activities
//! in trigger order, each job's files run with the dialect's client; the
//! script stops at the first error.

use std::collections::{BTreeMap, BTreeSet};

use crate::dialects::is_shell_name;
use crate::escape::{line_comment, sh_double_inner, sh_single};
use crate::expr::translate::Dialect;
use crate::generate::{GeneratedJob, Todo};
use crate::ir::Job;

/// A value as a SQL string literal at run time: on one line, `'` doubled
/// (a parameter's value can come from the export's default).
const SQL_STR: &str = "sql_str() { printf \"'%s'\" \"$(printf '%s' \"$1\" | tr '\\r\\n' '  ' | sed \"s/'/''/g\")\"; }";

fn client(d: Dialect) -> &'static str {
    d.rules().run_client()
}

/// `run/{stem}.sh` of a sequence. `all_job_stems`: (job name, stem) of
/// every job generated in the same run.
pub fn files(job: &Job, all_job_stems: &[(String, String)], d: Dialect) -> GeneratedJob {
    let mut todos = Vec::new();
    let stems: BTreeMap<&str, &str> = all_job_stems
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    // Trigger graph between activities; OK / unconditional edges order the
    // run, failure edges are left to the operator (the script stops).
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut incoming: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &job.stages {
        incoming.entry(s.id.as_str()).or_insert(0);
    }
    for s in &job.stages {
        let Some(a) = &s.activity else { continue };
        for t in &a.triggers {
            let Some(to) = t.to_stage.as_deref() else {
                continue;
            };
            match t.condition_type.trim() {
                "4" | "3" => todos.push(Todo {
                    location: format!("{} / {}", job.name, s.name),
                    what: format!(
                        "failure trigger {} -> {}: the script stops on error instead; run the recovery by hand",
                        t.name,
                        job.stage(to).map_or(to, |x| x.name.as_str())
                    ),
                }),
                "0" | "" | "2" => {
                    next.entry(s.id.as_str()).or_default().push(to);
                    *incoming.entry(to).or_insert(0) += 1;
                }
                other => {
                    todos.push(Todo {
                        location: format!("{} / {}", job.name, s.name),
                        what: format!(
                            "trigger {} has condition type {other} ({}): run as if OK",
                            t.name,
                            t.expression.replace('\n', " ")
                        ),
                    });
                    next.entry(s.id.as_str()).or_default().push(to);
                    *incoming.entry(to).or_insert(0) += 1;
                }
            }
        }
    }
    let mut ready: BTreeSet<&str> = incoming
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(s, _)| *s)
        .collect();
    let mut order = Vec::new();
    while let Some(s) = ready.iter().next().copied() {
        ready.remove(s);
        order.push(s);
        for t in next.get(s).into_iter().flatten() {
            if let Some(n) = incoming.get_mut(t) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    ready.insert(t);
                }
            }
        }
    }
    if order.len() < job.stages.len() {
        todos.push(Todo {
            location: job.name.clone(),
            what: "the activities' triggers form a loop: the stages on it are not run".into(),
        });
    }
    let mut body = String::new();
    for id in order {
        let Some(s) = job.stage(id) else { continue };
        let Some(a) = &s.activity else { continue };
        if a.job_name.is_empty() {
            if s.stage_type != "Sequencer" {
                todos.push(Todo {
                    location: format!("{} / {}", job.name, s.name),
                    what: format!(
                        "activity {} ({}) has no SQL equivalent: not run",
                        s.name, s.stage_type
                    ),
                });
                body.push_str(&format!(
                    "# {}\n",
                    line_comment(&format!(
                        "{} ({}): not a job; not run (see docs)",
                        s.name, s.stage_type
                    ))
                ));
            }
            continue;
        }
        let Some(stem) = stems.get(a.job_name.as_str()) else {
            todos.push(Todo {
                location: format!("{} / {}", job.name, s.name),
                what: format!(
                    "job {} is not in the exports: its run is a failing step",
                    a.job_name
                ),
            });
            body.push_str(&format!(
                "echo {} >&2; exit 1\n",
                sh_single(&format!(
                    "dsmig: job {} was not generated (not in the exports)",
                    a.job_name
                ))
            ));
            continue;
        };
        body.push_str(&format!(
            "\n# {}\n",
            line_comment(&format!("Activity {} -> job {}", s.name, a.job_name))
        ));
        // Each statement is one double-quoted shell word: export text
        // escaped (`sh_double_inner`), a parameter read at run time through
        // `sql_str`, which makes its value a SQL literal.
        let rules = d.rules();
        let mut sets = Vec::new();
        for (p, value) in &a.parameter_values {
            let v = value.trim();
            let var = v.trim_matches('#').replace('.', "_");
            let lit = if v.len() >= 2
                && (v.starts_with('"') && v.ends_with('"')
                    || v.starts_with('\'') && v.ends_with('\''))
            {
                Some(sh_double_inner(&rules.literal(&v[1..v.len() - 1])))
            } else if is_shell_name(&var)
                && job.parameters.iter().any(|x| x.name == v.trim_matches('#'))
            {
                Some(format!("$(sql_str \"${{{var}}}\")"))
            } else {
                None
            };
            match lit {
                Some(l) => sets.push(format!(
                    "{}{l}{}",
                    sh_double_inner(&format!(
                        "DELETE FROM dsmig_job_params WHERE job_name = {j} AND param_name = {p}; INSERT INTO dsmig_job_params (job_name, param_name, param_value) VALUES ({j}, {p}, ",
                        j = rules.literal(&a.job_name),
                        p = rules.literal(p),
                    )),
                    ");"
                )),
                None if !v.is_empty() => todos.push(Todo {
                    location: format!("{} / {}", job.name, s.name),
                    what: format!("parameter {p} = {v}: an expression; set it in dsmig_job_params before the run"),
                }),
                None => {}
            }
        }
        if !sets.is_empty() {
            body.push_str(&format!("run_text \"{}\"\n", sets.join(" ")));
        }
        body.push_str(&format!(
            "[ ! -f load/{stem}.sh ] || sh load/{stem}.sh load\n[ ! -f extract/{stem}.sql ] || run_sql extract/{stem}.sql\nrun_sql sql/{stem}.sql\n[ ! -f load/{stem}.sh ] || sh load/{stem}.sh unload\n"
        ));
    }
    let mut names = Vec::new();
    let mut params = Vec::new();
    for p in job
        .parameters
        .iter()
        .filter(|p| !p.is_env && p.param_type != crate::ir::ParamType::Encrypted)
    {
        let n = p.name.replace('.', "_");
        if !is_shell_name(&n) {
            todos.push(Todo {
                location: job.name.clone(),
                what: format!(
                    "parameter {:?} is not a shell variable name: not set by the run script",
                    p.name
                ),
            });
            continue;
        }
        let default = if p.default == crate::ir::REDACTED || p.default.contains("$PROJDEF") {
            String::new()
        } else {
            p.default.clone()
        };
        params.push(format!(
            "[ -n \"${{{n}:-}}\" ] || {n}={}",
            sh_single(&default)
        ));
        names.push(n);
    }
    if !names.is_empty() {
        // The load scripts run in a child shell: they read the parameters
        // from the environment.
        params.push(format!("export {}", names.join(" ")));
    }
    let script = format!(
        "#!/bin/sh\n# Sequence {} ({}) migrated by dsmig ({}): its jobs in trigger order.\n# Run from the generated folder; stops at the first failing step.\nset -eu\n{}\n{}\n# Sequence parameters (override from the environment).\n{}\n{body}",
        line_comment(&job.name),
        line_comment(&job.folder),
        d.as_str(),
        client(d),
        // The helper only where a statement uses it.
        if body.contains("$(sql_str ") {
            format!("{SQL_STR}\n")
        } else {
            String::new()
        },
        params.join("\n")
    );
    GeneratedJob {
        files: vec![("run/{stem}.sh".into(), script.into_bytes())],
        todos,
        warnings: Vec::new(),
        coverage: Vec::new(),
    }
}
