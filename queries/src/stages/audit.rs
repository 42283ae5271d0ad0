//! Property audit: every property of a stage (and of the pins of its
//! links) is interpreted by the translations, known not to change the
//! rows, at the value that means "absent", or reported as not
//! interpreted. A not-interpreted property on a stage that transforms rows
//! keeps the job out of AUTO (`analysis::complexity`, factor
//! `NotInterpreted`); on other stages it is listed (`dsmig explain`, the
//! report's "not interpreted" table) without blocking.
//!
//! The interpreted lists are what the generators read (through
//! `stages::props`); `tests/it/audit.rs` records the reads while generating
//! the real corpus, the examples and a generated corpus and fails if a
//! property listed here as interpreted is present on a stage and never
//! read — the audit cannot claim more than the code does.

use serde::{Deserialize, Serialize};

use super::catalogue::{StageClass, lookup};
use crate::ir::{Job, PropValue, Property, Stage};

/// One property no translation reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotInterpreted {
    pub stage: String,
    pub stage_type: String,
    /// Lower-case property name (connector properties: their path).
    pub property: String,
    /// The value, shortened to one line.
    pub value: String,
    /// The stage transforms rows: the property may change them.
    pub transforms_rows: bool,
}

/// Properties the translations read, per normalised stage type. Names are
/// lower case; a connector path matches as a suffix.
const INTERPRETED: &[(&str, &[&str])] = &[
    // `selection` (count / reduce) is checked by `guess::options`.
    ("Aggregator", &["key", "reduce", "countfield", "selection"]),
    (
        "ChangeCapture",
        &[
            "codefield",
            "dropcopy",
            "keepcopy\\dropcopy",
            "keepdelete\\dropdelete",
            "keepedit\\dropedit",
            "keepinsert\\dropinsert",
            "key",
            "keyvalue",
            "value",
        ],
    ),
    ("Filter", &["first", "where"]),
    ("Funnel", &["funnel_type", "operator"]),
    ("Head", &["nrecs"]),
    ("Tail", &["nrecs"]),
    ("Sample", &["percent"]),
    ("Join", &["key", "operator"]),
    ("Merge", &["key", "dropbadmasters"]),
    ("Lookup", &["allow_dups", "lookupfail"]),
    ("Modify", &["modifyspec"]),
    ("RemoveDuplicates", &["keep", "key"]),
    ("RowGenerator", &["records"]),
    ("Sort", &["flagcluster", "flagkey", "key", "unique"]),
    ("SurrogateKeyGenerator", &["key"]),
    ("Pivot", &["pivotcustomosh"]),
    ("Switch", &["selector", "case", "ifnotfound"]),
    (
        "SequentialFile",
        &[
            "append",
            "append\\overwrite",
            "coldelim",
            "colheaders",
            "delimiter",
            "file",
            "filename",
            "firstlinecolumnnames",
            "fixedwidth",
            "metabag.schemaformat",
            "quotechar",
        ],
    ),
    ("DataSet", &["dataset"]),
    ("HashedFile", &["filename"]),
    ("ODBC", &["dsn", "quotechar"]),
];

/// Properties every database stage's translation reads (`props::db_table`,
/// `props::DbWrite`, the Glue connection): connector paths and the legacy
/// stages' names.
const DATABASE: &[&str] = &[
    "connection/server",
    "connection/datasource",
    "connection/database",
    "connection/url",
    "dsn",
    "server",
    "usage/tablename",
    "tablename",
    "table",
    "usage/generatesql",
    "usage/sql/selectstatement",
    "selectstatement",
    "sqlprimary",
    "sql",
    "usage/writemode",
    "writemode",
    "usage/tableaction",
    "usage/beforeafter/beforesql",
    "beforesql",
    "usage/beforeafter/aftersql",
    "aftersql",
];

/// Properties that do not change which rows a stage writes, with why.
/// A name ending in `/` is a prefix.
const NO_ROW_EFFECT: &[&str] = &[
    // Designer and compiler bookkeeping: canvas state, compiled schema
    // (the link columns are read instead), transaction grouping of server
    // jobs, statistics and progress reporting.
    "linkminimised",
    "stagevarsminimised",
    "loopvarsmaximised",
    "metabag.schema",
    "metabag.lookupoperator",
    "enabletxgroup",
    "transactionsize",
    "txnbehaviour",
    "stats",
    "dostats",
    "reportprogress",
    "compileopt",
    "linkopt",
    "diskpool",
    "save",
    "force",
    "blocksize",
    "errorpin",
    "rowlimit",
    "multirow",
    "maxloopiterations",
    // Connector framework bookkeeping and credentials (credentials never
    // enter the IR in clear; Glue takes them from its connection).
    "common/",
    "connectorname",
    "context",
    "engine",
    "orientation",
    "variantlibrary",
    "variantname",
    "variantversion",
    "supportedvariants",
    "supportedvariantslibraries",
    "supportedvariantsversions",
    "supportedtransactionmodel",
    "connectionstring",
    "connection/",
    "password",
    "username",
    "oslevelauthentication",
    "xaodbname",
    "racname",
    "dataconnection",
    "usage/java/",
    "usage/session/arraysize",
    "usage/session/fetchsize",
    "usage/session/prefetchmemorysize",
    "usage/session/prefetchrowcount",
    "usage/session/keepconductorconnectionalive",
    "usage/session/treatwarningsaserrors",
    "usage/session/reportschemamismatch",
    "usage/logging/",
    "usage/applicationfailovercontrol",
    "usage/disconnect",
    "usage/reconnect",
    "usage/enablequotedids",
    "usage/transaction/isolationlevel",
    "usage/transaction/recordcount",
    "usage/transaction/autocommitmode",
    "usage/beforeafter",
    "usage/tableaction/failonerror",
    "usage/tableaction/generatecreatestatement",
    "usage/sql/selectstatement/readfromfileselect",
    "usage/beforeafter/beforesql/failonerror",
    "usage/beforeafter/aftersql/failonerror",
    "usage/beforeafter/beforesql/readfromfilebeforesql",
    "usage/beforeafter/aftersql/readfromfileaftersql",
    // Partitioning and parallel execution: dsmig's translations compute
    // whole-relation results (keyed stages group by their keys whatever
    // the partitioning), so these change where rows are processed, not
    // which rows are written.
    "usage/enablepartitionedreads",
    "usage/sql/enablepartitionedreads",
    "keeppartitions",
    "nocleanup",
    "missingfile",
    "backup",
    "flushrow",
    "readtimeout",
    "waitforreader",
    "waitforwriter",
    "writetime",
    "suppresstruncwarn",
    "enforcemetadata",
    "pipestage",
];

/// Per stage type, properties that do not change its rows.
const NO_ROW_EFFECT_OF: &[(&str, &[&str])] = &[
    // The OSH operator implementing the sort (tsort / psort): how, not what.
    ("Sort", &["operator"]),
    // The key source of the Transformer's NextSurrogateKey(): whether a
    // derivation calls it is judged with the expression's functions (an
    // unknown or unsupported function keeps the job out of AUTO).
    (
        "Transformer",
        &["skkeysourcetype", "initialvalue", "skkeysource"],
    ),
];

/// Values that mean the same as an absent property (DataStage defaults),
/// per property name: empty or blank, and these.
const DEFAULTS: &[(&str, &[&str])] = &[
    // Input pins of every stage carry the lookup actions at their default.
    ("conditionnotmet", &["fail"]),
    ("lookupfail", &["fail"]),
    ("method", &["hash"]),
    ("stable", &["stable"]),
    ("rejects", &["continue"]),
    ("selection", &["file"]),
    ("writemethod", &["writemethod="]),
    ("reject", &["0"]),
    ("initialvalue", &[]),
    ("rejectfromlink", &["-1"]),
    ("rejectnumber", &["0"]),
    ("rejectthreshold", &["0"]),
    ("rejectusespercentage", &["false"]),
    ("lookup\\type", &[]),
    ("colspace", &["0"]),
    ("omitnewline", &["0"]),
    ("withfilter", &["0"]),
    ("unicodebom", &["0"]),
    ("account", &["0"]),
    ("selectiontype", &["0"]),
    ("usage/limitrows", &["0"]),
    ("usage/tablename/tablescope", &["0"]),
];

/// Peek passes its input through; what it logs does not change rows.
const PASS_THROUGH: &[&str] = &["Peek"];

fn matches(list: &[&str], name: &str) -> bool {
    list.iter().any(|p| {
        if let Some(prefix) = p.strip_suffix('/') {
            name.starts_with(&format!("{prefix}/")) || name == prefix
        } else {
            name == *p || name.ends_with(&format!("/{p}"))
        }
    })
}

fn at_default(name: &str, value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    DEFAULTS
        .iter()
        .find(|(n, _)| *n == name)
        .is_some_and(|(_, vals)| vals.iter().any(|d| d.eq_ignore_ascii_case(v)))
}

/// Whether a stage of this type changes rows (not only reads or writes).
pub fn transforms_rows(stage_type: &str) -> bool {
    let info = lookup(stage_type);
    matches!(info.class, StageClass::Processing | StageClass::CdcScd)
        && !PASS_THROUGH.contains(&stage_type)
}

/// Is `name` of a `stage_type` stage read by the translations?
pub fn interpreted(stage_type: &str, name: &str) -> bool {
    match INTERPRETED.iter().find(|(t, _)| *t == stage_type) {
        Some((_, names)) => matches(names, name),
        None => is_database(stage_type) && matches(DATABASE, name),
    }
}

/// Database stages: I/O stages other than files and datasets.
pub fn is_database(stage_type: &str) -> bool {
    lookup(stage_type).class == StageClass::Io
        && !matches!(
            stage_type,
            "SequentialFile"
                | "DataSet"
                | "FileSet"
                | "LookupFileSet"
                | "HashedFile"
                | "ExternalSource"
                | "ExternalTarget"
                | "ComplexFlatFile"
        )
}

fn flatten(props: &[Property], out: &mut Vec<(String, String)>) {
    for p in props {
        match &p.value {
            PropValue::Connector(pairs) => {
                for (k, v) in pairs {
                    out.push((k.trim().to_ascii_lowercase(), v.clone()));
                }
            }
            PropValue::Text(v) => out.push((p.name.trim().to_ascii_lowercase(), v.clone())),
            PropValue::Tree(nodes) => {
                // A tree whose entries are all blank is as good as absent.
                let v: Vec<String> = nodes
                    .iter()
                    .filter(|n| !n.value.trim().is_empty() || !n.children.is_empty())
                    .map(|n| format!("{}={}", n.name.trim(), n.value.trim()))
                    .collect();
                out.push((p.name.trim().to_ascii_lowercase(), v.join("; ")));
            }
        }
    }
}

/// The not-interpreted properties of one stage (its own and its links'
/// pin options), sorted.
pub fn stage_audit(job: &Job, stage: &Stage) -> Vec<NotInterpreted> {
    if PASS_THROUGH.contains(&stage.stage_type.as_str())
        || lookup(&stage.stage_type).class == StageClass::Sequence
        || lookup(&stage.stage_type).class == StageClass::Custom
    {
        // Custom stages are MANUAL already; sequences have their own checks.
        return Vec::new();
    }
    let mut props = Vec::new();
    flatten(&stage.properties, &mut props);
    for l in &job.links {
        if l.from_stage == stage.id {
            flatten(&l.source_properties, &mut props);
        }
        if l.to_stage.as_deref() == Some(stage.id.as_str()) {
            flatten(&l.target_properties, &mut props);
        }
    }
    // The action on an unmet lookup condition means nothing without a
    // condition.
    if !props
        .iter()
        .any(|(n, v)| n == "condition" && !v.trim().is_empty())
    {
        props.retain(|(n, _)| n != "conditionnotmet");
    }
    let rows = transforms_rows(&stage.stage_type);
    let mut out: Vec<NotInterpreted> = props
        .into_iter()
        .filter(|(n, v)| {
            !n.is_empty()
                && !interpreted(&stage.stage_type, n)
                && !matches(NO_ROW_EFFECT, n)
                && !NO_ROW_EFFECT_OF
                    .iter()
                    .any(|(t, names)| *t == stage.stage_type && matches(names, n))
                && !at_default(n, v)
        })
        .map(|(n, v)| NotInterpreted {
            stage: stage.name.clone(),
            stage_type: stage.stage_type.clone(),
            property: n,
            value: short(&v),
            transforms_rows: rows,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A value on one line, at most 60 characters.
fn short(v: &str) -> String {
    let flat: String = v
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(60)
        .collect();
    flat.trim().to_string()
}

/// Every not-interpreted property of a job, in stage order.
pub fn audit(job: &Job) -> Vec<NotInterpreted> {
    job.stages
        .iter()
        .flat_map(|s| stage_audit(job, s))
        .collect()
}
