//! Snapshots of the generated Glue files for one small job per stage kind
//! (built as IR values: a sequential file → the stage → a sequential
//! file), plus determinism: the same job gives the same bytes, and
//! editing one job changes only that job's files.

use crate::glue;

use queries::generate::{GlueContext, glue_job_files, glue_shared_files, sequence_files};
use queries::ir::*;

fn col(name: &str, sql_type: i32, len: u32, scale: u32, key: u32) -> Column {
    Column {
        name: name.into(),
        sql_type,
        length: len,
        scale,
        nullable: key == 0,
        key_position: key,
        derivation: String::new(),
        key_expression: String::new(),
        description: String::new(),
        extended: false,
        format: String::new(),
    }
}

fn derived(mut c: Column, d: &str) -> Column {
    c.derivation = d.into();
    c
}

fn text(name: &str, v: &str) -> Property {
    Property {
        name: name.into(),
        value: PropValue::Text(v.into()),
    }
}

/// A tree entry: (name, value, children as (name, value)).
type Entry<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn tree(name: &str, entries: &[Entry]) -> Property {
    Property {
        name: name.into(),
        value: PropValue::Tree(
            entries
                .iter()
                .map(|(n, v, ch)| PropNode {
                    name: (*n).into(),
                    value: (*v).into(),
                    children: ch
                        .iter()
                        .map(|(cn, cv)| PropNode {
                            name: (*cn).into(),
                            value: (*cv).into(),
                            children: vec![],
                        })
                        .collect(),
                })
                .collect(),
        ),
    }
}

fn stage(id: &str, name: &str, ty: &str, props: Vec<Property>) -> Stage {
    Stage {
        id: id.into(),
        name: name.into(),
        stage_type: ty.into(),
        raw_type: format!("Px{ty}"),
        properties: props,
        transformer: if ty == "Transformer" {
            Some(TransformerDetail::default())
        } else {
            None
        },
        activity: None,
        container: None,
        input_pins: vec![],
        output_pins: vec![],
    }
}

#[allow(clippy::too_many_arguments)]
fn link(
    id: &str,
    name: &str,
    from: &str,
    to: &str,
    from_i: u32,
    to_i: u32,
    kind: LinkKind,
    cols: Vec<Column>,
) -> Link {
    Link {
        id: id.into(),
        name: name.into(),
        from_stage: from.into(),
        to_stage: Some(to.into()),
        from_index: from_i,
        to_index: to_i,
        kind,
        columns: cols,
        constraint: String::new(),
        source_properties: vec![
            tree("file", &[("file", "#SRC_DIR#/in.csv", &[])]),
            text("firstLineColumnNames", "firstLineColumnNames"),
            text(
                "MetaBag.SchemaFormat",
                "final_delim=end, delim='|', null_field=\"\", quote=double",
            ),
        ],
        target_properties: vec![tree("file", &[("file", "/data/out.csv", &[])])],
    }
}

fn base_cols() -> Vec<Column> {
    vec![
        col("CUST_ID", 4, 0, 0, 1),
        col("CUST_NM", 12, 50, 0, 0),
        col("BAL_AMT", 3, 18, 2, 0),
        col("OPEN_DT", 9, 0, 0, 0),
    ]
}

fn job(name: &str, stages: Vec<Stage>, links: Vec<Link>) -> Job {
    Job {
        name: name.into(),
        folder: "\\Jobs\\SNAP".into(),
        kind: JobKind::Parallel,
        description: format!("Snapshot job for {name}"),
        parameters: vec![Parameter {
            name: "SRC_DIR".into(),
            prompt: "Source folder".into(),
            param_type: ParamType::Pathname,
            default: "/data/in".into(),
            help: String::new(),
            parameter_set: None,
            is_env: false,
        }],
        stages,
        links,
        annotations: vec![],
        properties: vec![],
        shared_containers: vec![],
    }
}

/// src → stage(kind) → tgt, one input and one output with `out_cols`.
fn simple(kind: &str, props: Vec<Property>, out_cols: Vec<Column>) -> Job {
    job(
        &format!("J_{kind}"),
        vec![
            stage("V0S1", "SRC", "SequentialFile", vec![]),
            stage("V0S2", &format!("STG_{kind}"), kind, props),
            stage("V0S3", "TGT", "SequentialFile", vec![]),
        ],
        vec![
            link(
                "V0S1P1",
                "lnk_in",
                "V0S1",
                "V0S2",
                0,
                0,
                LinkKind::Stream,
                base_cols(),
            ),
            link(
                "V0S2P1",
                "lnk_out",
                "V0S2",
                "V0S3",
                0,
                0,
                LinkKind::Stream,
                out_cols,
            ),
        ],
    )
}

/// A reference link `lnk_ref` from a file stage REF into stage V0S2.
fn add_reference(j: &mut Job, cols: Vec<Column>, lookup_fail: &str) {
    j.stages
        .push(stage("V0S4", "REF", "SequentialFile", vec![]));
    let mut refl = link(
        "V0S4P1",
        "lnk_ref",
        "V0S4",
        "V0S2",
        0,
        1,
        LinkKind::Reference,
        cols,
    );
    refl.target_properties = vec![text("LookupFail", lookup_fail)];
    j.links.push(refl);
}

fn jobs() -> Vec<Job> {
    let mut v = Vec::new();
    // Transformer: derivations, a constraint, a stage variable, otherwise.
    let mut t = simple(
        "Transformer",
        vec![],
        vec![
            col("CUST_ID", 4, 0, 0, 1),
            derived(col("CUST_NM", 12, 50, 0, 0), "Upcase(Trim(lnk_in.CUST_NM))"),
            derived(
                col("BAL_AMT", 3, 18, 2, 0),
                "NullToZero(lnk_in.BAL_AMT) * 2",
            ),
            derived(col("FLAG", 1, 1, 0, 0), "svFlag"),
        ],
    );
    t.stages[1].transformer = Some(TransformerDetail {
        stage_vars: vec![StageVar {
            name: "svFlag".into(),
            expression: "If IsNull(lnk_in.OPEN_DT) Then \"N\" Else \"Y\"".into(),
            initial_value: "\"\"".into(),
            sql_type: 1,
            length: 1,
            scale: 0,
        }],
        ..Default::default()
    });
    t.links[1].constraint = "lnk_in.CUST_ID > 0".into();
    let mut other = link(
        "V0S2P2",
        "lnk_other",
        "V0S2",
        "V0S3",
        1,
        1,
        LinkKind::Otherwise,
        base_cols(),
    );
    other.target_properties = vec![tree("file", &[("file", "/data/other.csv", &[])])];
    t.links.push(other);
    v.push(t);
    // Lookup with a reject link.
    let mut l = simple("Lookup", vec![text("MetaBag.LookupOperator", "lookup")], {
        let mut c = base_cols();
        c.push(col("SEG_CD", 1, 3, 0, 0));
        c
    });
    add_reference(
        &mut l,
        vec![
            Column {
                key_expression: "lnk_in.CUST_ID".into(),
                ..col("CUST_ID", 4, 0, 0, 1)
            },
            col("SEG_CD", 1, 3, 0, 0),
        ],
        "reject",
    );
    l.links.push(link(
        "V0S2P2",
        "lnk_rej",
        "V0S2",
        "V0S3",
        1,
        1,
        LinkKind::Reject,
        base_cols(),
    ));
    v.push(l);
    // Join.
    let mut j = simple(
        "Join",
        vec![
            text("operator", "leftouterjoin"),
            tree("key", &[("key", "CUST_ID", &[])]),
        ],
        {
            let mut c = base_cols();
            c.push(col("SEG_CD", 1, 3, 0, 0));
            c
        },
    );
    j.stages
        .push(stage("V0S4", "RIGHT", "SequentialFile", vec![]));
    j.links.push(link(
        "V0S4P1",
        "lnk_right",
        "V0S4",
        "V0S2",
        0,
        1,
        LinkKind::Stream,
        vec![col("CUST_ID", 4, 0, 0, 1), col("SEG_CD", 1, 3, 0, 0)],
    ));
    v.push(j);
    v.push(simple(
        "Aggregator",
        vec![
            tree("key", &[("key", "CUST_NM", &[])]),
            text("selection", "reduce"),
            tree(
                "reduce",
                &[(
                    "reduce",
                    "BAL_AMT",
                    &[("sum", "SUM_BAL_AMT"), ("preserveType", "preserveType")],
                )],
            ),
        ],
        vec![
            col("CUST_NM", 12, 50, 0, 0),
            col("SUM_BAL_AMT", 3, 18, 2, 0),
        ],
    ));
    v.push(simple(
        "Filter",
        vec![
            tree("where", &[("where", "BAL_AMT > 10", &[("target", "0")])]),
            text("reject", "reject"),
        ],
        base_cols(),
    ));
    v.push(simple(
        "Sort",
        vec![
            tree("key", &[("key", "CUST_NM", &[("asc\\desc", "desc")])]),
            text("stable", "stable"),
            text("unique", " "),
        ],
        base_cols(),
    ));
    v.push(simple(
        "RemoveDuplicates",
        vec![
            text("keep", "last"),
            tree("key", &[("key", "CUST_ID", &[])]),
        ],
        base_cols(),
    ));
    let mut f = simple("Funnel", vec![text("operator", "continuous")], base_cols());
    f.stages
        .push(stage("V0S4", "SRC2", "SequentialFile", vec![]));
    f.links.push(link(
        "V0S4P1",
        "lnk_in2",
        "V0S4",
        "V0S2",
        0,
        1,
        LinkKind::Stream,
        base_cols(),
    ));
    v.push(f);
    v.push(simple("Copy", vec![], base_cols()[..2].to_vec()));
    v.push(simple(
        "Modify",
        vec![tree(
            "modifyspec",
            &[
                ("modifyspec", "DROP OPEN_DT", &[]),
                ("modifyspec", "CUSTOMER_NAME=CUST_NM", &[]),
            ],
        )],
        vec![
            col("CUST_ID", 4, 0, 0, 1),
            col("CUSTOMER_NAME", 12, 50, 0, 0),
            col("BAL_AMT", 3, 18, 2, 0),
        ],
    ));
    v.push(simple("Head", vec![text("nrecs", "10")], base_cols()));
    v.push(simple("Peek", vec![text("nrecs", "10")], base_cols()));
    v.push(simple(
        "SurrogateKeyGenerator",
        vec![tree("key", &[("key", "CUST_SK", &[("initial", "1")])])],
        {
            let mut c = vec![col("CUST_SK", -5, 0, 0, 0)];
            c.extend(base_cols());
            c
        },
    ));
    let mut cc = simple(
        "ChangeCapture",
        vec![
            tree("key", &[("key", "CUST_ID", &[])]),
            text("keepCopy\\dropCopy", "dropCopy"),
        ],
        {
            let mut c = base_cols();
            c.push(col("change_code", 5, 0, 0, 0));
            c
        },
    );
    cc.stages
        .push(stage("V0S4", "AFTER", "SequentialFile", vec![]));
    cc.links.push(link(
        "V0S4P1",
        "lnk_after",
        "V0S4",
        "V0S2",
        0,
        1,
        LinkKind::Stream,
        base_cols(),
    ));
    v.push(cc);
    v.push(simple("SlowlyChangingDimension", vec![], base_cols()));
    v.push(simple("Custom:MyBuildOp", vec![], base_cols()));
    v.extend(more_jobs());
    v
}

/// Kinds added after the first sixteen: Pivot, Switch, Sort with
/// key-change columns, a range lookup.
fn more_jobs() -> Vec<Job> {
    let mut v = Vec::new();
    // Horizontal pivot: three amounts into SALES_AMT, two into PAY_AMT
    // (NULL on the third row), CUST_ID repeated.
    let mut p = simple(
        "Pivot",
        vec![],
        vec![
            derived(col("CUST_ID", 4, 0, 0, 1), "CUST_ID"),
            derived(col("SALES_AMT", 3, 18, 2, 0), "JAN_AMT, FEB_AMT, MAR_AMT"),
            derived(col("PAY_AMT", 3, 18, 2, 0), "lnk_in.JUN_AMT,lnk_in.DEC_AMT"),
        ],
    );
    // Different types give different sample values, so a column taken
    // from the wrong place shows.
    p.links[0].columns = vec![
        col("CUST_ID", 4, 0, 0, 1),
        col("JAN_AMT", 3, 18, 2, 0),
        col("FEB_AMT", 4, 0, 0, 0),
        col("MAR_AMT", 8, 0, 0, 0),
        col("JUN_AMT", 3, 10, 1, 0),
        col("DEC_AMT", 5, 0, 0, 0),
    ];
    v.push(p);
    // Switch on CUST_ID (sample values 1, 0, 7, 1, 42): 1 → link 0,
    // 42 → link 1, 7 → the discard value, 0 → no case: the reject link.
    let mut sw = simple(
        "Switch",
        vec![
            text("key", "CUST_ID"),
            text("selection", "userDefinedMapping"),
            tree(
                "case",
                &[
                    ("case", "1=0", &[]),
                    ("case", "42=1", &[]),
                    ("case", "7=5", &[]),
                ],
            ),
            text("discard", "5"),
            text("ifNotFound", "output"),
        ],
        base_cols(),
    );
    let mut second = link(
        "V0S2P2",
        "lnk_big",
        "V0S2",
        "V0S3",
        1,
        1,
        LinkKind::Stream,
        base_cols()[..2].to_vec(),
    );
    second.target_properties = vec![tree("file", &[("file", "/data/big.csv", &[])])];
    sw.links.push(second);
    let mut rej = link(
        "V0S2P3",
        "lnk_nocase",
        "V0S2",
        "V0S3",
        2,
        2,
        LinkKind::Reject,
        base_cols(),
    );
    rej.target_properties = vec![tree("file", &[("file", "/data/nocase.csv", &[])])];
    sw.links.push(rej);
    v.push(sw);
    // Sort with key-change columns: CUST_ID previously sorted (cluster
    // key), CUST_NM sorted here.
    let mut s = simple(
        "Sort",
        vec![
            text("operator", "tsort"),
            tree(
                "key",
                &[
                    (
                        "key",
                        "CUST_ID",
                        &[("asc\\desc", "asc"), ("sorted\\clustered", "sorted")],
                    ),
                    (
                        "key",
                        "CUST_NM",
                        &[("asc\\desc", "desc"), ("sorted\\clustered", " ")],
                    ),
                ],
            ),
            text("stable", "stable"),
            text("unique", " "),
            text("flagKey", "flagKey"),
            text("flagCluster", "flagCluster"),
        ],
        {
            let mut c = base_cols();
            c.push(col("keyChange", -6, 0, 0, 0));
            c.push(col("clusterKeyChange", -6, 0, 0, 0));
            c
        },
    );
    s.name = "J_Sort_keychange".into();
    v.push(s);
    // Range lookup: OPEN_DT between the reference's SEG_FROM and SEG_TO.
    let mut l = simple("Lookup", vec![text("MetaBag.LookupOperator", "lookup")], {
        let mut c = base_cols();
        c.push(col("SEG_CD", 1, 3, 0, 0));
        c
    });
    l.name = "J_Lookup_range".into();
    add_reference(
        &mut l,
        vec![
            Column {
                key_expression:
                    "lnk_in.OPEN_DT >= lnk_ref.SEG_FROM And lnk_in.OPEN_DT <= lnk_ref.SEG_TO".into(),
                ..col("SEG_FROM", 9, 0, 0, 1)
            },
            col("SEG_TO", 9, 0, 0, 0),
            col("SEG_CD", 1, 3, 0, 0),
        ],
        "continue",
    );
    v.push(l);
    // Files Spark's CSV reader cannot cut: a fixed-width source (widths
    // from `width=` or the column length; a CHAR column keeps its padding)
    // and a target whose first field has a delimiter of its own.
    let with_format = |c: Column, f: &str| Column {
        format: f.into(),
        ..c
    };
    let mut fx = simple("Copy", vec![], {
        let mut c = base_cols();
        c[0] = with_format(c[0].clone(), "delim='|'");
        c
    });
    fx.name = "J_SequentialFile_fixed".into();
    fx.links[0].columns = vec![
        with_format(col("CUST_ID", 4, 0, 0, 1), "width=6"),
        col("CUST_NM", 12, 12, 0, 0),
        with_format(col("BAL_AMT", 3, 18, 2, 0), "width=10"),
        with_format(col("OPEN_DT", 9, 0, 0, 0), "width=10"),
        col("SEG_CD", 1, 3, 0, 0),
    ];
    fx.links[0].source_properties = vec![
        tree("file", &[("file", "#SRC_DIR#/fixed.txt", &[])]),
        text(
            "MetaBag.SchemaFormat",
            "final_delim=none, delim=none, quote=none, padchar=' '",
        ),
    ];
    fx.links[1].target_properties = vec![
        tree("file", &[("file", "/data/out.txt", &[])]),
        text("firstLineColumnNames", "firstLineColumnNames"),
        text(
            "MetaBag.SchemaFormat",
            "final_delim=end, delim=',', quote=double, null_field='NULL'",
        ),
    ];
    v.push(fx);
    v
}

fn ctx() -> GlueContext {
    GlueContext {
        category: "AUTO".into(),
        strategy: "rule-based".into(),
        ..Default::default()
    }
}

#[test]
fn snapshots_one_job_per_stage_kind() {
    for j in jobs() {
        let g = glue_job_files(&j, &ctx());
        let mut text = String::new();
        for (path, bytes) in &g.files {
            text.push_str(&format!("==> {path}\n{}\n", String::from_utf8_lossy(bytes)));
        }
        text.push_str(&format!(
            "==> todos\n{:#?}\n==> warnings\n{:#?}\n",
            g.todos, g.warnings
        ));
        // J_<kind>[_<variant>]: one snapshot per job.
        let kind = j.name.trim_start_matches("J_").replace(':', "_");
        insta::assert_snapshot!(format!("glue_{kind}"), text);
    }
}

#[test]
fn sequence_becomes_a_state_machine() {
    let mut a = stage("V0S1", "Run_Load", "JobActivity", vec![]);
    a.activity = Some(Activity {
        job_name: "J_Copy".into(),
        triggers: vec![
            Trigger {
                name: "ok".into(),
                to_stage: Some("V0S2".into()),
                condition_type: "2".into(),
                expression: String::new(),
            },
            Trigger {
                name: "failed".into(),
                to_stage: Some("V0S3".into()),
                condition_type: "3".into(),
                expression: String::new(),
            },
        ],
        ..Default::default()
    });
    let mut b = stage("V0S2", "Run_Agg", "JobActivity", vec![]);
    b.activity = Some(Activity {
        job_name: "J_Aggregator".into(),
        ..Default::default()
    });
    let mut c = stage("V0S3", "Run_Cleanup", "JobActivity", vec![]);
    c.activity = Some(Activity {
        job_name: "J_Sort".into(),
        ..Default::default()
    });
    let mut seq = job("SEQ_Nightly", vec![a, b, c], vec![]);
    seq.kind = JobKind::Sequence;
    let stems: Vec<(String, String)> = ["J_Copy", "J_Aggregator", "J_Sort"]
        .iter()
        .map(|n| (n.to_string(), n.to_string()))
        .collect();
    let g = sequence_files(&seq, &stems);
    insta::assert_snapshot!(
        "glue_sequence_workflow",
        String::from_utf8_lossy(&g.files[0].1)
    );
    insta::assert_snapshot!(
        "glue_sequence_state_machine",
        String::from_utf8_lossy(&g.files[1].1)
    );
}

#[test]
fn generation_is_deterministic_and_per_job() {
    let all = jobs();
    let first: Vec<_> = all
        .iter()
        .map(|j| glue_job_files(j, &ctx()).files)
        .collect();
    let second: Vec<_> = all
        .iter()
        .map(|j| glue_job_files(j, &ctx()).files)
        .collect();
    assert_eq!(first, second, "same job, same bytes");
    assert_eq!(
        glue_shared_files(&Default::default()),
        glue_shared_files(&Default::default())
    );
    // Editing one job changes that job's files only (every file is a
    // function of its own job).
    let mut edited = all.clone();
    edited[0].links[1].columns[1].derivation = "Downcase(lnk_in.CUST_NM)".into();
    let after: Vec<_> = edited
        .iter()
        .map(|j| glue_job_files(j, &ctx()).files)
        .collect();
    for (i, (a, b)) in first.iter().zip(&after).enumerate() {
        if i == 0 {
            assert_ne!(a, b);
        } else {
            assert_eq!(a, b);
        }
    }
}

#[test]
fn no_secret_reaches_generated_code() {
    let mut j = jobs().remove(0);
    j.parameters.push(Parameter {
        name: "DB_PWD".into(),
        prompt: String::new(),
        param_type: ParamType::Encrypted,
        default: REDACTED.into(),
        help: String::new(),
        parameter_set: None,
        is_env: false,
    });
    j.stages[2].stage_type = "OracleConnector".into();
    j.stages[2].properties = vec![
        text("Password", REDACTED),
        Property {
            name: "XMLProperties".into(),
            value: PropValue::Connector(vec![
                ("Connection/Server".into(), "PRODDB".into()),
                ("Connection/Password".into(), REDACTED.into()),
                ("Usage/WriteMode".into(), "9".into()),
                ("Usage/TableName".into(), "DW.CUSTOMER".into()),
            ]),
        },
    ];
    let mut c = ctx();
    c.config
        .connections
        .insert("PRODDB".into(), "glue-prod-oracle".into());
    let g = glue_job_files(&j, &c);
    for (path, bytes) in &g.files {
        let s = String::from_utf8_lossy(bytes);
        assert!(
            !s.contains(REDACTED),
            "{path} contains the redaction marker"
        );
        if path.ends_with(".py") && path.starts_with("glue_jobs") {
            assert!(
                s.contains("\"glue-prod-oracle\""),
                "{path}: connection from [glue.connections]"
            );
            assert!(
                s.contains("upsert_jdbc("),
                "{path}: WriteMode 9 is an upsert"
            );
        }
    }
}

#[test]
fn generated_tests_of_every_stage_kind_pass() {
    let all: Vec<(Job, String, String)> = jobs()
        .into_iter()
        .enumerate()
        .map(|(i, j)| (j, "AUTO".to_string(), format!("{i:064x}")))
        .collect();
    let dir = glue::out_dir("stage kinds");
    let generated = glue::generate(&all, dir.path());
    glue::py_compile_all(dir.path());
    glue::hcl_parse_all(dir.path());
    let (per, text) = glue::pytest(dir.path());
    let mut failing = Vec::new();
    for stem in generated.jobs.keys() {
        let (p, f) = per.get(stem).copied().unwrap_or((0, 0));
        if p == 0 || f > 0 {
            failing.push(stem.clone());
        }
    }
    assert!(
        failing.is_empty(),
        "generated tests failing for {failing:?}\n{text}"
    );
}

fn stage_var(name: &str, expression: &str, initial: &str, sql_type: i32) -> StageVar {
    StageVar {
        name: name.into(),
        expression: expression.into(),
        initial_value: initial.into(),
        sql_type,
        length: 0,
        scale: 0,
    }
}

/// A Transformer with stage variables that carry values between rows
/// (previous-key detection, a counter reset on a key change, a running
/// total, a conditional counter, a carried value, a constant), a lookup
/// miss test (`lnk_ref.NOTFOUND`), `link.REJECTED` and macros.
fn stateful_transformer() -> Job {
    let mut t = simple(
        "Transformer",
        vec![],
        vec![
            col("CUST_ID", 4, 0, 0, 1),
            derived(col("IS_NEW", 4, 0, 0, 0), "svNew"),
            derived(col("N_IN_KEY", 4, 0, 0, 0), "svCount"),
            derived(col("RUNNING", 4, 0, 0, 0), "svTotal"),
            derived(col("N_POS", 4, 0, 0, 0), "svPos"),
            derived(col("LAST_NM", 12, 50, 0, 0), "svLastName"),
            derived(col("CONST", 4, 0, 0, 0), "svConst"),
            derived(
                col("FOUND", 4, 0, 0, 0),
                "If lnk_ref.NOTFOUND Then 0 Else 1",
            ),
            derived(col("JOB", 12, 50, 0, 0), "DSJobName : \"/\" : DSStageName"),
        ],
    );
    t.name = "J_Stateful".into();
    t.stages[1].transformer = Some(TransformerDetail {
        stage_vars: vec![
            stage_var("svNew", "If lnk_in.CUST_ID <> svPrev Then 1 Else 0", "0", 4),
            stage_var("svCount", "If svNew = 1 Then 1 Else svCount + 1", "0", 4),
            stage_var("svTotal", "svTotal + lnk_in.CUST_ID", "100", 4),
            stage_var(
                "svPos",
                "If lnk_in.CUST_ID > 2 Then svPos + 1 Else svPos",
                "0",
                4,
            ),
            stage_var(
                "svLastName",
                "If IsNotNull(lnk_in.CUST_NM) Then lnk_in.CUST_NM Else svLastName",
                "\"none\"",
                12,
            ),
            stage_var("svConst", "", "7", 4),
            stage_var("svPrev", "lnk_in.CUST_ID", "-1", 4),
        ],
        ..Default::default()
    });
    let mut rej = link(
        "V0S2P2",
        "lnk_rest",
        "V0S2",
        "V0S3",
        1,
        1,
        LinkKind::Stream,
        vec![col("CUST_ID", 4, 0, 0, 1)],
    );
    t.links[1].constraint = "lnk_in.CUST_ID > 1".into();
    rej.constraint = "lnk_out.REJECTED".into();
    rej.target_properties = vec![tree("file", &[("file", "/data/rest.csv", &[])])];
    t.links.push(rej);
    let mut key = col("CUST_ID", 4, 0, 0, 1);
    key.key_expression = "lnk_in.CUST_ID".into();
    add_reference(&mut t, vec![key, col("REF_NM", 12, 20, 0, 0)], "continue");
    t
}

#[test]
fn stateful_transformer_is_translated_and_its_generated_test_passes() {
    let j = stateful_transformer();
    let g = glue_job_files(&j, &ctx());
    let code: String = g
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("glue_jobs") && p.ends_with(".py"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(!code.contains("dsmig_stub_"), "no placeholder:\n{code}");
    assert!(code.contains("F.lag("), "{code}");
    assert!(code.contains("_dsmig_segment_svCount"), "{code}");
    assert!(code.contains("F.col(\"lnk_ref\").isNull()"), "{code}");
    let dir = glue::out_dir("stateful transformer");
    let generated = glue::generate(&[(j, "AUTO".into(), format!("{:064x}", 7))], dir.path());
    glue::py_compile_all(dir.path());
    let (per, text) = glue::pytest(dir.path());
    for stem in generated.jobs.keys() {
        let (p, f) = per.get(stem).copied().unwrap_or((0, 0));
        assert!(p > 0 && f == 0, "generated test of {stem} fails:\n{text}");
    }
}

/// src → Sort(CUST_ID) → Transformer with a previous-key read and a
/// running total → tgt: after a Sort both targets translate them (SQL
/// orders its windows by the Sort's keys).
fn sorted_stateful_transformer() -> Job {
    let mut j = job(
        "J_SortedState",
        vec![
            stage("V0S1", "SRC", "SequentialFile", vec![]),
            stage(
                "V0S5",
                "SRT",
                "Sort",
                vec![tree("key", &[("key", "CUST_ID", &[("asc\\desc", "asc")])])],
            ),
            stage("V0S2", "XF", "Transformer", vec![]),
            stage("V0S3", "TGT", "SequentialFile", vec![]),
        ],
        vec![
            link(
                "V0S1P1",
                "lnk_src",
                "V0S1",
                "V0S5",
                0,
                0,
                LinkKind::Stream,
                base_cols(),
            ),
            link(
                "V0S5P1",
                "lnk_in",
                "V0S5",
                "V0S2",
                0,
                0,
                LinkKind::Stream,
                base_cols(),
            ),
            link(
                "V0S2P1",
                "lnk_out",
                "V0S2",
                "V0S3",
                0,
                0,
                LinkKind::Stream,
                vec![
                    col("CUST_ID", 4, 0, 0, 1),
                    derived(col("IS_NEW", 4, 0, 0, 0), "svNew"),
                    derived(col("RUNNING", 4, 0, 0, 0), "svTotal"),
                ],
            ),
        ],
    );
    j.stages[2].transformer = Some(TransformerDetail {
        stage_vars: vec![
            stage_var("svNew", "If lnk_in.CUST_ID <> svPrev Then 1 Else 0", "0", 4),
            stage_var("svTotal", "svTotal + lnk_in.CUST_ID", "0", 4),
            stage_var("svPrev", "lnk_in.CUST_ID", "-1", 4),
        ],
        ..Default::default()
    });
    j
}

#[test]
fn stateful_variables_after_a_sort_are_windows_on_both_targets() {
    let j = sorted_stateful_transformer();
    let sql = queries::generate::sql::sql_job_files(
        &j,
        &queries::generate::sql::SqlContext::new(queries::expr::translate::Dialect::Postgres),
    );
    let text: String = sql
        .files
        .iter()
        .filter(|(p, _)| p.ends_with(".sql"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(text.contains("LAG("), "{text}");
    assert!(text.contains("SUM("), "{text}");
    assert!(!text.contains("not generated"), "{text}");
    let dir = glue::out_dir("sorted stateful transformer");
    let generated = glue::generate(&[(j, "AUTO".into(), format!("{:064x}", 8))], dir.path());
    let (per, out) = glue::pytest(dir.path());
    for stem in generated.jobs.keys() {
        let (p, f) = per.get(stem).copied().unwrap_or((0, 0));
        assert!(p > 0 && f == 0, "generated test of {stem} fails:\n{out}");
    }
}
