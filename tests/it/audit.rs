//! The property audit (`queries::stages::audit`) against what the
//! generators really read: on the real corpus, the bundled examples and a
//! generated corpus, every property the audit calls interpreted on a stage
//! is read by a generator (Glue or SQL) when that stage's job is
//! generated — the audit never claims to interpret what no code reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use queries::generate::sql::{SqlContext, sql_job_files};
use queries::generate::{GlueContext, glue_job_files};
use queries::ir::{Entity, Job, JobKind, PropValue};
use queries::stages::props::recording;

fn jobs(paths: &[PathBuf]) -> Vec<Job> {
    let read = queries::parse::input::read_paths(paths, &queries::parse::Limits::default());
    read.entities
        .into_iter()
        .filter_map(|l| match l.entity {
            Entity::Job(j) if j.kind != JobKind::Sequence => Some(j),
            _ => None,
        })
        .collect()
}

/// Property names of a stage and of its links' pins, as the audit sees them.
fn names(job: &Job, stage: &queries::ir::Stage) -> BTreeSet<String> {
    values(job, stage).into_keys().collect()
}

/// Property names with a short rendering of their value.
fn values(job: &Job, stage: &queries::ir::Stage) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut add = |props: &[queries::ir::Property]| {
        for p in props {
            match &p.value {
                PropValue::Connector(pairs) => {
                    for (k, v) in pairs {
                        out.insert(k.to_ascii_lowercase(), v.chars().take(40).collect());
                    }
                }
                PropValue::Text(v) => {
                    out.insert(
                        p.name.trim().to_ascii_lowercase(),
                        v.chars().take(40).collect(),
                    );
                }
                PropValue::Tree(nodes) => {
                    let v: Vec<String> = nodes
                        .iter()
                        .map(|n| format!("{}={}", n.name, n.value))
                        .collect();
                    out.insert(
                        p.name.trim().to_ascii_lowercase(),
                        v.join(";").chars().take(60).collect(),
                    );
                }
            }
        }
    };
    add(&stage.properties);
    for l in &job.links {
        if l.from_stage == stage.id {
            add(&l.source_properties);
        }
        if l.to_stage.as_deref() == Some(stage.id.as_str()) {
            add(&l.target_properties);
        }
    }
    out
}

#[test]
#[ignore = "exploration: prints properties present vs read per stage type"]
fn print_properties_read_per_stage_type() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let all = jobs(&[
        root.join("../shared/corpus/real"),
        root.join("examples/exports"),
    ]);
    // stage type -> property -> (present, read)
    let mut table: BTreeMap<String, BTreeMap<String, (usize, usize)>> = BTreeMap::new();
    let mut vals: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
    for job in &all {
        let (_, read) = recording(|| {
            let _ = glue_job_files(job, &GlueContext::default());
            let _ = sql_job_files(
                job,
                &SqlContext::new(queries::expr::translate::Dialect::Postgres),
            );
        });
        for s in &job.stages {
            for (n, v) in values(job, s) {
                *vals
                    .entry((s.stage_type.clone(), n))
                    .or_default()
                    .entry(v)
                    .or_default() += 1;
            }
            for n in names(job, s) {
                let hit = read
                    .iter()
                    .any(|r| n == *r || n.ends_with(&format!("/{r}")));
                let e = table
                    .entry(s.stage_type.clone())
                    .or_default()
                    .entry(n)
                    .or_default();
                e.0 += 1;
                e.1 += usize::from(hit);
            }
        }
    }
    for (t, props) in &table {
        println!("== {t}");
        for (n, (present, read)) in props {
            let v = vals
                .get(&(t.clone(), n.clone()))
                .map(|m| format!("{m:?}"))
                .unwrap_or_default();
            let v: String = v.chars().take(200).collect();
            println!("  {n:50} present {present:4} read {read:4} {v}");
        }
    }
}

fn check_claims(label: &str, all: &[Job]) -> usize {
    let mut false_claims: BTreeSet<String> = BTreeSet::new();
    let mut checked = 0;
    for job in all {
        let (_, read) = recording(|| {
            let _ = glue_job_files(job, &GlueContext::default());
            for d in queries::expr::translate::Dialect::ALL {
                let _ = sql_job_files(job, &SqlContext::new(d));
            }
        });
        for s in &job.stages {
            // A stage that guesses is a placeholder: nothing of it is read.
            if !queries::stages::stage_guesses(job, s).is_empty() {
                continue;
            }
            // A stage no link touches is not generated (nothing flows).
            if !job
                .links
                .iter()
                .any(|l| l.from_stage == s.id || l.to_stage.as_deref() == Some(s.id.as_str()))
            {
                continue;
            }
            for n in names(job, s) {
                if !queries::stages::audit::interpreted(&s.stage_type, &n) {
                    continue;
                }
                checked += 1;
                let hit = read
                    .iter()
                    .any(|r| n == *r || n.ends_with(&format!("/{r}")));
                if !hit {
                    false_claims.insert(format!("{}.{n} (job {})", s.stage_type, job.name));
                }
            }
        }
    }
    assert!(
        false_claims.is_empty(),
        "{label}: the audit calls these properties interpreted but no generator read them:\n{}",
        false_claims.into_iter().collect::<Vec<_>>().join("\n")
    );
    checked
}

#[test]
fn interpreted_properties_are_read_by_the_generators() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let real = jobs(&[root.join("../shared/corpus/real")]);
    let examples = jobs(&[root.join("examples/exports")]);
    let dir = tempfile::tempdir().expect("tempdir");
    corpus_gen::generate(&corpus_gen::GenOptions::small(80, 23), dir.path())
        .expect("generate corpus");
    let generated = jobs(&[dir.path().to_path_buf()]);
    let n = check_claims("real corpus", &real)
        + check_claims("examples", &examples)
        + check_claims("generated corpus", &generated);
    assert!(n > 100, "only {n} interpreted properties checked");
}

#[test]
fn the_audit_lists_what_no_generator_reads() {
    // A Lookup condition (`condition`) changes rows and no translation
    // reads it: blocking on a Lookup, and named.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let real = jobs(&[root.join("../shared/corpus/real")]);
    let items: Vec<_> = real
        .iter()
        .flat_map(queries::stages::audit::audit)
        .collect();
    assert!(
        items
            .iter()
            .any(|n| n.stage_type == "Lookup" && n.property == "condition" && n.transforms_rows),
        "{items:#?}"
    );
    // Nothing the generators read is reported.
    assert!(
        !items
            .iter()
            .any(|n| n.property == "key" || n.property == "reduce")
    );
}
