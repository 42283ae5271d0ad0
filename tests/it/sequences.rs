//! Sequences run as DataStage ran them: the Step Functions state machines
//! dsmig generates are executed by moto's ASL interpreter
//! (`tests/harness/run_sfn.py`), every Glue job replaced by a runner that
//! records which job ran, in which order, with which arguments; and the
//! job activities' parameter values are read from every export layout.
//!
//! Needs `DSMIG_PYTHON` with moto (scripts/requirements-test.txt).

use std::path::Path;
use std::process::Command;

use queries::generate::glue::terraform::JobRef;
use queries::generate::sequence_files_with;
use queries::ir::{Activity, Job, JobKind, ParamType, Parameter, Stage, Trigger};
use queries::parse::Limits;
use queries::parse::input::read_paths;

use crate::common::{manifest, python};

fn param(name: &str, default: &str) -> Parameter {
    Parameter {
        name: name.into(),
        prompt: String::new(),
        param_type: ParamType::String,
        default: default.into(),
        help: String::new(),
        parameter_set: None,
        is_env: false,
    }
}

fn trig(to: &str, ct: &str, expr: &str) -> Trigger {
    Trigger {
        name: format!("to_{to}"),
        to_stage: Some(to.into()),
        condition_type: ct.into(),
        expression: expr.into(),
    }
}

fn act(id: &str, name: &str, ty: &str, job: &str, mode: &str, triggers: Vec<Trigger>) -> Stage {
    Stage {
        id: id.into(),
        name: name.into(),
        stage_type: ty.into(),
        raw_type: format!("CJS{ty}"),
        properties: Vec::new(),
        transformer: None,
        activity: Some(Activity {
            job_name: job.into(),
            parameter_values: Vec::new(),
            triggers,
            mode: mode.into(),
        }),
        container: None,
        input_pins: Vec::new(),
        output_pins: Vec::new(),
    }
}

fn with_params(mut s: Stage, values: &[(&str, &str)]) -> Stage {
    if let Some(a) = &mut s.activity {
        a.parameter_values = values
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
    }
    s
}

fn sequence(name: &str, parameters: Vec<Parameter>, stages: Vec<Stage>) -> Job {
    Job {
        name: name.into(),
        folder: "\\Sequences".into(),
        kind: JobKind::Sequence,
        description: String::new(),
        parameters,
        stages,
        links: Vec::new(),
        annotations: Vec::new(),
        properties: Vec::new(),
        shared_containers: Vec::new(),
    }
}

fn write(out: &Path, stem: &str, job: &Job, refs: &[JobRef]) -> Vec<String> {
    let g = sequence_files_with(job, stem, refs);
    for (path, bytes) in &g.files {
        let p = out.join(path.replace("{stem}", stem));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    g.todos.into_iter().map(|t| t.what).collect()
}

fn run(out: &Path, entry: &str, input: &str, failing: &[&str]) -> serde_json::Value {
    let o = Command::new(python())
        .arg(manifest().join("tests/harness/run_sfn.py"))
        .arg(out)
        .arg(entry)
        .arg(input)
        .arg(serde_json::to_string(failing).unwrap())
        .output()
        .expect("runs python");
    assert!(
        o.status.success(),
        "run_sfn.py failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).expect("JSON report")
}

fn runs(r: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    r["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x[0].as_str().unwrap().to_string(), x[1].clone()))
        .collect()
}

/// The parent: A and B start; a Sequencer All waits for both OKs; D runs;
/// `D.$JobStatus <> 1` (D failed) runs the error job E, D's OK trigger
/// would run F; a Sequencer Any after E or F runs the nested sequence
/// CHILD with a parameter. The child runs C with the value it was given.
fn project(out: &Path) {
    let child = sequence(
        "CHILD",
        vec![param("P", "child-default")],
        vec![with_params(
            act("V0S1", "Run_C", "JobActivity", "C", "", vec![]),
            &[("P", "P")],
        )],
    );
    let parent = sequence(
        "PARENT",
        vec![param("RUN_DATE", "2024-01-01")],
        vec![
            with_params(
                act(
                    "V0S1",
                    "Run_A",
                    "JobActivity",
                    "A",
                    "",
                    vec![trig("V0S3", "2", "")],
                ),
                &[
                    ("RUN_DATE", "RUN_DATE"),
                    ("MODE", "\"full\""),
                    ("$APT_CONFIG_FILE", "$PROJDEF"),
                ],
            ),
            act(
                "V0S2",
                "Run_B",
                "JobActivity",
                "B",
                "",
                vec![trig("V0S3", "2", "")],
            ),
            act(
                "V0S3",
                "All_Done",
                "Sequencer",
                "",
                "0",
                vec![trig("V0S4", "0", "")],
            ),
            act(
                "V0S4",
                "Run_D",
                "JobActivity",
                "D",
                "",
                vec![
                    trig("V0S5", "6", "Run_D.$JobStatus<>1"),
                    trig("V0S6", "2", ""),
                ],
            ),
            act(
                "V0S5",
                "Log_Error",
                "JobActivity",
                "E",
                "",
                vec![trig("V0S7", "2", "")],
            ),
            act(
                "V0S6",
                "Run_F",
                "JobActivity",
                "F",
                "",
                vec![trig("V0S7", "2", "")],
            ),
            act(
                "V0S7",
                "Any_Done",
                "Sequencer",
                "",
                "1",
                vec![trig("V0S8", "0", "")],
            ),
            with_params(
                act("V0S8", "Run_Child", "JobActivity", "CHILD", "", vec![]),
                &[("P", "'from-parent'")],
            ),
        ],
    );
    // An exception handler: X fails and no trigger takes it; the handler's
    // chain runs LOG, then the sequence ends aborted.
    let handled = sequence(
        "HANDLED",
        vec![],
        vec![
            act("V0S1", "Run_X", "JobActivity", "X", "", vec![]),
            act(
                "V0S2",
                "On_Error",
                "ExceptionHandler",
                "",
                "",
                vec![trig("V0S3", "0", "")],
            ),
            act("V0S3", "Run_Log", "JobActivity", "LOG", "", vec![]),
        ],
    );
    let refs: Vec<JobRef> = ["A", "B", "C", "D", "E", "F", "X", "LOG"]
        .iter()
        .map(|n| JobRef {
            name: n.to_string(),
            stem: n.to_string(),
            sequence: false,
        })
        .chain(["CHILD", "PARENT"].iter().map(|n| JobRef {
            name: n.to_string(),
            stem: n.to_string(),
            sequence: true,
        }))
        .collect();
    assert!(write(out, "CHILD", &child, &refs).is_empty());
    assert!(write(out, "PARENT", &parent, &refs).is_empty());
    assert!(write(out, "HANDLED", &handled, &refs).is_empty());
    for j in [&child, &parent, &handled] {
        assert!(
            queries::stages::guesses(j).is_empty(),
            "{}: {:?}",
            j.name,
            queries::stages::guesses(j)
        );
    }
}

#[test]
fn sequence_runs_jobs_in_datastage_order_with_datastage_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path());
    // D fails: the custom trigger `<> 1` runs E, D's OK trigger does not
    // run F, the Any sequencer runs the child once.
    let r = run(
        tmp.path(),
        "PARENT",
        r#"{"params": {"RUN_DATE": "2026-12-07"}}"#,
        &["D"],
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    let got = runs(&r);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["A", "B", "D", "E", "C"], "{r}");
    assert_eq!(
        got[0].1,
        serde_json::json!({"--RUN_DATE": "2026-12-07", "--MODE": "full"}),
        "{r}"
    );
    assert_eq!(got[4].1, serde_json::json!({"--P": "from-parent"}), "{r}");

    // Every job succeeds: F instead of E; the defaults fill a missing
    // parameter.
    let r = run(tmp.path(), "PARENT", r#"{"params": {}}"#, &[]);
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    let got = runs(&r);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["A", "B", "D", "F", "C"], "{r}");
    assert_eq!(got[0].1["--RUN_DATE"], "2024-01-01", "{r}");

    // B fails and nothing takes its failure: the All sequencer never
    // fires and the sequence aborts, as DataStage's automatic failure
    // handling does.
    let r = run(tmp.path(), "PARENT", r#"{"params": {}}"#, &["B"]);
    assert_eq!(r["status"], "FAILED", "{r}");
    let names: Vec<String> = runs(&r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["A", "B"], "{r}");

    let r = run(tmp.path(), "HANDLED", r#"{"params": {}}"#, &["X"]);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "DataStage.SequenceAborted", "{r}");
    let names: Vec<String> = runs(&r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["X", "LOG"], "{r}");
}

/// What cannot be expressed is a blocking item and a Fail state naming
/// it, never a dropped activity.
#[test]
fn untranslatable_activities_are_blocking_items() {
    let seq = sequence(
        "S",
        vec![],
        vec![
            act(
                "V0S1",
                "Run_A",
                "JobActivity",
                "A",
                "",
                vec![
                    trig("V0S2", "4", ""),
                    trig("V0S3", "6", "Run_A.$UserStatus = 2"),
                ],
            ),
            act("V0S2", "Loop", "StartLoopActivity", "", "", vec![]),
            act("V0S3", "Mail", "MailActivity", "", "", vec![]),
        ],
    );
    let g = queries::stages::guesses(&seq);
    let props: Vec<&str> = g.iter().map(|g| g.property.as_str()).collect();
    assert!(props.contains(&"StartLoopActivity"), "{g:?}");
    assert!(props.contains(&"MailActivity"), "{g:?}");
    assert!(props.contains(&"trigger to_V0S2"), "{g:?}");
    assert!(props.contains(&"trigger to_V0S3"), "{g:?}");
    let refs = [JobRef {
        name: "A".into(),
        stem: "A".into(),
        sequence: false,
    }];
    let files = sequence_files_with(&seq, "S", &refs).files;
    let asl = String::from_utf8(files[1].1.clone()).unwrap();
    assert!(asl.contains("dsmig.Untranslated"), "{asl}");
    assert!(asl.contains("stage Loop (StartLoopActivity)"), "{asl}");
}

/// Job activities' parameter values (`ValueExpression`) in DSX and XML
/// exports, as in ISX (`valueExpression`).
#[test]
fn activity_parameter_values_are_read_from_every_layout() {
    for file in [
        "examples/exports/LND_PRD/RAW_Inventory_export_0005.dsx",
        "examples/exports/LND_PRD/Seq_carrier_snapshot_534.xml.gz",
    ] {
        let read = read_paths(&[manifest().join(file)], &Limits::default());
        let values: Vec<(String, String)> = read
            .entities
            .iter()
            .filter_map(|e| e.entity.as_job())
            .filter(|j| j.kind == JobKind::Sequence)
            .flat_map(|j| j.stages.iter())
            .filter_map(|s| s.activity.as_ref())
            .flat_map(|a| a.parameter_values.clone())
            .collect();
        assert!(
            values.contains(&("RUN_DATE".to_string(), "RUN_DATE".to_string())),
            "{file}: {values:?}"
        );
        assert!(
            values.contains(&("$APT_CONFIG_FILE".to_string(), "$PROJDEF".to_string())),
            "{file}: {values:?}"
        );
    }
}
