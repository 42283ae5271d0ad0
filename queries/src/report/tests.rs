use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::analysis::complexity::FactorKind;
use crate::ir::Location;
use crate::parse::diag::Severity;

/// A deterministic pseudo-random sequence (no dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const REASONS: &[&str] = &[
    "Transformer stage: translated by rules, derivations checked one by one",
    "Lookup stage: a join with a broadcast hint; range lookups need review",
    "JavaStage stage: no translation rules (user Java class)",
    "call to a function that is not a known DataStage built-in (user routine or typo)",
    "stage variable read before it is assigned in the row (previous-row value)",
    "expression longer than 300 characters or nested deeper than 4 calls",
    "reject link: runtime failures are approximated by checks",
    "23 stages: 1 point per 5 stages above 10",
    "ChangeCapture stage: change capture / apply needs a merge strategy",
    "Aggregator stage: group by with the same null handling",
];

/// A report of `n` jobs shaped like a large estate: groups of a few jobs,
/// 4 to 12 complexity factors per job, parameters, lineage and waves.
fn synthetic(n: usize, seed: u64) -> ReportData {
    let mut r = Lcg(seed);
    let cats = ["AUTO", "AUTO", "AUTO", "SEMI-AUTO", "MANUAL"];
    let mut jobs = Vec::new();
    let mut details = BTreeMap::new();
    let mut groups = Vec::new();
    for i in 0..n {
        let hash = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            i,
            r.next(),
            r.next(),
            r.next()
        );
        let category = cats[r.below(5) as usize].to_string();
        let dup = (i % 7 == 0).then(|| format!("DUP_{:010x}", i / 7));
        let sim = (i % 3 == 0).then(|| format!("SIM_{:010x}", i / 9));
        let fam = (i % 2 == 0).then(|| format!("FAM_{:010x}", i / 20));
        let mut stage_types = BTreeMap::new();
        for t in [
            "Transformer",
            "OracleConnector",
            "Lookup",
            "SequentialFile",
            "Join",
        ]
        .iter()
        .take(2 + r.below(4) as usize)
        {
            stage_types.insert(t.to_string(), 1 + r.below(4) as usize);
        }
        let score = r.below(90) as u32;
        let factors: Vec<Factor> = (0..4 + r.below(9))
            .map(|k| Factor {
                kind: FactorKind::Stage,
                name: format!(
                    "stage:{}",
                    ["Transformer", "Lookup", "JavaStage", "Join"][k as usize % 4]
                ),
                points: r.below(8) as u32,
                reason: REASONS[r.below(REASONS.len() as u64) as usize].to_string(),
                location: Some(format!("Xfm_Stage_{}", r.below(30))),
            })
            .collect();
        let blocking = if category == "AUTO" {
            Vec::new()
        } else {
            factors
                .iter()
                .take(1 + r.below(3) as usize)
                .map(|f| BlockingItem {
                    what: f.name.clone(),
                    location: f.location.clone(),
                    reason: f.reason.clone(),
                })
                .collect()
        };
        let mut memberships = Vec::new();
        for (kind, id) in [("duplicate", &dup), ("cluster", &sim), ("family", &fam)] {
            if let Some(id) = id {
                memberships.push(Membership {
                    kind: kind.into(),
                    id: id.clone(),
                    size: 3,
                    template: format!("JOB_{:05}_LOAD_CUSTOMER_ACCOUNTS", i - i % 7),
                    is_template: i % 7 == 0,
                    similarity: Some(0.91),
                    differing_slots: 14,
                    slot_paths: (0..LIST_CAP)
                        .map(|k| format!("stage[{k}].prop[3:XMLProperties].Usage/TableName"))
                        .collect(),
                });
            }
        }
        details.insert(
            hash.clone(),
            JobDetail {
                stage_types: stage_types.clone(),
                parameters: (0..5 + r.below(10))
                    .map(|k| format!("P_PARAM_{k}"))
                    .collect(),
                score,
                factors,
                rule: format!("S2: score {score} > auto_max_score 20"),
                blocking,
                groups: memberships,
                reads: vec![format!("table STG.CUSTOMER_ACCOUNTS_{}", r.below(2000))],
                writes: vec![format!("table DWH.FACT_ACCOUNTS_{}", r.below(2000))],
                runs: Vec::new(),
                upstream: vec![format!(
                    "JOB_{:05}_LOAD_CUSTOMER_ACCOUNTS",
                    r.below(n as u64)
                )],
                upstream_total: 1,
                downstream: vec![format!(
                    "JOB_{:05}_LOAD_CUSTOMER_ACCOUNTS",
                    r.below(n as u64)
                )],
                downstream_total: 1,
                strategy: "rule-based".into(),
                strategy_reason: "every stage and expression has a translation rule".into(),
            },
        );
        if i % 7 == 0 {
            groups.push(GroupView {
                kind: "duplicate".into(),
                id: dup.clone().unwrap_or_default(),
                jobs: 2,
                designs: 2,
                template: format!("JOB_{i:05}_LOAD_CUSTOMER_ACCOUNTS"),
                template_category: category.clone(),
                effort_hours: 3.0,
                savings_hours: 1.5,
            });
        }
        jobs.push(JobRow {
            name: format!("JOB_{i:05}_LOAD_CUSTOMER_ACCOUNTS"),
            file: format!("exports/project_{:03}/batch_{:04}.dsx", i % 40, i / 3),
            line: Some(1 + r.below(200_000)),
            member: None,
            format: "dsx".into(),
            kind: "parallel".into(),
            folder: format!("\\Jobs\\Area{}", i % 25),
            stages: stage_types.values().sum(),
            links: 6,
            columns: 120,
            parameters: 8,
            stage_types,
            hash,
            category,
            confidence: 0.85,
            effort_hours: 2.75,
            score,
            dup,
            sim,
            fam,
            wave: Some(r.below(6) as usize),
        });
    }
    let mut summary = Summary {
        jobs: n,
        files: n / 3,
        effort_hours: 2.75 * n as f64,
        ..Summary::default()
    };
    for j in &jobs {
        *summary.categories.entry(j.category.clone()).or_insert(0) += 1;
    }
    ReportData {
        format_version: FORMAT_VERSION,
        summary,
        settings: ReportOptions::default().settings,
        jobs,
        details,
        groups,
        waves: (0..6)
            .map(|index| WaveView {
                index,
                jobs: n / 6,
                categories: BTreeMap::new(),
                effort_hours: 10.0,
            })
            .collect(),
        cycles: Vec::new(),
        diagnostics: (0..30)
            .map(|k| Diagnostic {
                severity: if k % 3 == 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                location: Location {
                    file: format!("exports/bad_{k}.dsx"),
                    line: Some(k * 10),
                    member: None,
                },
                job: Some(format!("Job{k}")),
                expected: "END DSJOB".into(),
                found: "end of file".into(),
            })
            .collect(),
        llm: None,
        generation: None,
        reconciled: BTreeMap::new(),
    }
}

#[test]
fn rendering_is_deterministic_and_independent_of_input_order() {
    let data = synthetic(300, 1);
    let a = render(&data, "T");
    assert_eq!(a, render(&data, "T"), "two renders differ");
    let mut shuffled = data.clone();
    shuffled.jobs.reverse();
    let mid = shuffled.jobs.len() / 2;
    shuffled.jobs.rotate_left(mid);
    shuffled.groups.reverse();
    shuffled.waves.reverse();
    shuffled.diagnostics.reverse();
    assert_eq!(a, render(&shuffled, "T"), "input order changed the bytes");
}

#[test]
fn untrusted_text_is_escaped() {
    let evil = "</script><img src=x onerror=alert(1)>&\"'<!--";
    let mut data = synthetic(20, 2);
    data.jobs[3].name = evil.into();
    data.jobs[4].folder = evil.into();
    data.groups[0].template = evil.into();
    data.diagnostics[0].found = evil.into();
    data.diagnostics[0].job = Some(evil.into());
    let html = render(&data, evil);
    assert!(!html.contains("<img"), "raw markup from a job name");
    assert!(!html.contains("<!--"), "comment opener from a job name");
    // Exactly the page's own three scripts are closed.
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(html.contains("&lt;/script&gt;&lt;img src=x"));
    assert!(html.contains(r"\u003c/script\u003e\u003cimg src=x"));
}

#[test]
fn inline_assets_cannot_end_their_element_and_load_nothing() {
    for (name, text) in [
        ("app.js", html::APP_JS),
        ("hooks.js", html::HOOKS_JS),
        ("report.css", html::CSS),
    ] {
        assert!(!text.contains("</"), "{name} contains `</`");
        assert!(!text.contains("url("), "{name} loads a URL");
        assert!(!text.contains("@import"), "{name} imports");
        assert!(!text.contains("fetch("), "{name} fetches");
        assert!(!text.contains("XMLHttpRequest"), "{name} requests");
    }
    let html = render(&synthetic(50, 3), "T");
    // The only URL is the SVG namespace, which is a name, not a request.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(
        urls,
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(!html.contains(" src="), "an element loads something");
}

#[test]
fn a_report_of_9000_jobs_stays_under_10_mb() {
    let html = render(&synthetic(9000, 4), "Estate");
    let mb = html.len() as f64 / 1e6;
    eprintln!("9000-job report: {mb:.2} MB");
    assert!(mb < 10.0, "9000-job report is {mb:.2} MB");
}

#[test]
fn report_of_the_examples_matches_the_inventory() {
    use crate::config::PredictionConfig;
    use crate::inventory::{build_items_with_estate, item};
    use crate::parse::input::read_paths_map;
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/exports"));
    let read = read_paths_map(&[dir], &Default::default(), &|_| {}, &item);
    let (inv, estate) = build_items_with_estate(&read, &PredictionConfig::default());
    assert!(inv.summary.jobs > 0);
    let data = ReportData::from_items(&inv, &estate, &read.entities, &ReportOptions::default());
    assert_eq!(data.summary, inv.summary);
    assert_eq!(data.jobs.len(), inv.jobs.len());
    assert_eq!(data.details.len(), inv.summary.distinct_jobs);
    assert_eq!(
        data.groups.len(),
        inv.summary.duplicate_groups + inv.summary.similarity_clusters + inv.summary.families
    );
    let in_waves: usize = data.waves.iter().map(|w| w.jobs).sum();
    assert_eq!(
        in_waves,
        inv.jobs.iter().filter(|j| j.wave.is_some()).count()
    );
    // Every job's detail carries its complexity factors: points add up.
    for j in &data.jobs {
        let d = &data.details[&j.hash];
        assert_eq!(
            d.factors.iter().map(|f| f.points).sum::<u32>(),
            j.score,
            "{}",
            j.name
        );
    }
    // Group savings are what the members' reduced effort saves.
    assert!(data.groups.iter().all(|g| g.savings_hours >= 0.0));
    let html = render(&data, "Examples");
    for j in &data.jobs {
        assert!(
            html.contains(
                &serde_json::to_string(&j.name)
                    .unwrap()
                    .replace('<', "\\u003c")
            )
        );
    }
    assert!(!recommendations(&data).is_empty());
}
