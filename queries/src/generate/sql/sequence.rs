//! A sequence as a shell script (`run/<sequence>.sh`): its job activities
//! in trigger order, each job's files run with the dialect's client; the
//! script stops at the first error.

use std::collections::{BTreeMap, BTreeSet};

use super::shell_quote;
use crate::expr::translate::Dialect;
use crate::generate::{GeneratedJob, Todo};
use crate::ir::Job;

fn client(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => {
            "run_sql() { psql -v ON_ERROR_STOP=1 -q -f \"$1\"; }\nrun_text() { psql -v ON_ERROR_STOP=1 -q -c \"$1\"; }"
        }
        Dialect::Teradata => {
            "run_sql() { bteq < \"$1\"; }\nrun_text() { printf '.RUN FILE = dsmig_logon.btq;\\n%s\\n.IF ERRORCODE <> 0 THEN .QUIT 1;\\n.QUIT 0;\\n' \"$1\" | bteq; }"
        }
        Dialect::Oracle => {
            "run_sql() { printf 'WHENEVER SQLERROR EXIT FAILURE\\n@%s\\n@%s\\nEXIT\\n' \"${SQLPLUS_CONNECT:?set SQLPLUS_CONNECT}\" \"$1\" | sqlplus -s /nolog; }\nrun_text() { printf 'WHENEVER SQLERROR EXIT FAILURE\\n@%s\\n%s\\nEXIT\\n' \"${SQLPLUS_CONNECT:?set SQLPLUS_CONNECT}\" \"$1\" | sqlplus -s /nolog; }"
        }
        Dialect::SqlServer => {
            "run_sql() { sqlcmd -b -i \"$1\"; }\nrun_text() { sqlcmd -b -Q \"$1\"; }"
        }
        Dialect::Ansi => {
            "run_sql() { \"${DSMIG_SQL_CLIENT:?set DSMIG_SQL_CLIENT to a command that runs a SQL file}\" \"$1\"; }\nrun_text() { printf '%s\\n' \"$1\" > \"${TMPDIR:-/tmp}/dsmig_stmt.sql\" && run_sql \"${TMPDIR:-/tmp}/dsmig_stmt.sql\"; }"
        }
    }
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
                    "# {} ({}): not a job; not run (see docs)\n",
                    s.name, s.stage_type
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
                shell_quote(&format!(
                    "dsmig: job {} was not generated (not in the exports)",
                    a.job_name
                ))
            ));
            continue;
        };
        body.push_str(&format!("\n# Activity {} -> job {}\n", s.name, a.job_name));
        let mut sets = Vec::new();
        for (p, value) in &a.parameter_values {
            let v = value.trim();
            let lit = if v.len() >= 2
                && (v.starts_with('"') && v.ends_with('"')
                    || v.starts_with('\'') && v.ends_with('\''))
            {
                Some(v[1..v.len() - 1].replace('\'', "''"))
            } else if job.parameters.iter().any(|x| x.name == v.trim_matches('#')) {
                Some(format!("${{{}}}", v.trim_matches('#').replace('.', "_")))
            } else {
                None
            };
            match lit {
                Some(l) => sets.push(format!(
                    "DELETE FROM dsmig_job_params WHERE job_name = '{j}' AND param_name = '{p}'; INSERT INTO dsmig_job_params (job_name, param_name, param_value) VALUES ('{j}', '{p}', '{l}');",
                    j = a.job_name.replace('\'', "''"),
                    p = p.replace('\'', "''"),
                )),
                None if !v.is_empty() => todos.push(Todo {
                    location: format!("{} / {}", job.name, s.name),
                    what: format!("parameter {p} = {v}: an expression; set it in dsmig_job_params before the run"),
                }),
                None => {}
            }
        }
        if !sets.is_empty() {
            body.push_str(&format!(
                "run_text \"{}\"\n",
                sets.join(" ").replace('"', "\\\"")
            ));
        }
        body.push_str(&format!(
            "[ ! -f load/{stem}.sh ] || sh load/{stem}.sh\n[ ! -f extract/{stem}.sql ] || run_sql extract/{stem}.sql\nrun_sql sql/{stem}.sql\n"
        ));
    }
    let params: Vec<String> = job
        .parameters
        .iter()
        .filter(|p| !p.is_env && p.param_type != crate::ir::ParamType::Encrypted)
        .map(|p| {
            let n = p.name.replace('.', "_");
            let default = if p.default == crate::ir::REDACTED {
                String::new()
            } else {
                p.default.clone()
            };
            format!(": \"${{{n}:={}}}\"", default.replace('"', "\\\""))
        })
        .collect();
    let script = format!(
        "#!/bin/sh\n# Sequence {} ({}) migrated by dsmig ({}): its jobs in trigger order.\n# Run from the generated folder; stops at the first failing step.\nset -eu\n{}\n\n# Sequence parameters (override from the environment).\n{}\n{body}",
        job.name,
        job.folder,
        d.as_str(),
        client(d),
        params.join("\n")
    );
    GeneratedJob {
        files: vec![("run/{stem}.sh".into(), script.into_bytes())],
        todos,
        warnings: Vec::new(),
        coverage: Vec::new(),
    }
}
