//! The AWS Glue (PySpark) target: one script, one Terraform file, one
//! pytest file and one Markdown page per job.
//!
//! - `stages`: per stage kind, the PySpark function and the simulation that
//!   computes the expected output rows of the generated test (the Rust
//!   reference evaluator for expressions, the stage semantics otherwise);
//! - `io`: sources and targets (S3 files, Parquet data sets, JDBC through
//!   Glue connections) in the `main()` wrapper;
//! - `pivot`, `switch`: the Pivot and Switch stages (emitter and
//!   simulation each), with what of their DataStage properties is verified;
//! - `fixture`: sample input rows and the test file;
//! - `terraform`, `docs`: the other files.

pub mod docs;
pub mod fixture;
pub mod io;
pub mod orchestration;
pub mod pivot;
pub mod reconcile;
pub use crate::stages::props;
pub mod stages;
pub mod switch;
pub mod terraform;
pub mod values;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use serde::Serialize;

use super::plan::{Plan, PlanStage};
use super::templates::Templates;
use super::{GlueContext, Todo};
use crate::expr::translate::pyspark::py_str;
use crate::expr::{Expr, ParseError};
use crate::ir::{Job, Link, ParamType};
use values::Cell;

/// How faithfully a stage is translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Coverage {
    Exact,
    Approximate,
    Scaffold,
    Placeholder,
}

impl Coverage {
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Exact => "exact",
            Coverage::Approximate => "approximate",
            Coverage::Scaffold => "scaffold",
            Coverage::Placeholder => "placeholder",
        }
    }
}

/// Rows of a link computed at generation time. `rows: None` = unknown
/// (the test then checks the schema only).
#[derive(Debug, Clone)]
pub struct Table {
    pub rows: Option<Vec<Vec<Cell>>>,
    /// Why the rows are not known.
    pub unknown_because: Option<String>,
}

impl Table {
    pub fn known(rows: Vec<Vec<Cell>>) -> Table {
        Table {
            rows: Some(rows),
            unknown_because: None,
        }
    }
    pub fn unknown(why: impl Into<String>) -> Table {
        Table {
            rows: None,
            unknown_because: Some(why.into()),
        }
    }
}

/// What the simulation of the whole job predicts.
#[derive(Debug, Clone)]
pub enum Expected {
    Outputs(BTreeMap<String, Table>),
    /// `transform` must raise an exception whose message contains this.
    Raises(String),
}

/// One row of the column-mapping table of the docs.
#[derive(Debug, Clone, Serialize)]
pub struct Mapping {
    pub stage: String,
    pub link: String,
    pub column: String,
    pub derivation: String,
    pub code: String,
}

/// The PySpark of one stage.
#[derive(Debug, Clone)]
pub struct StageCode {
    /// Full `def ...` text.
    pub function: String,
    pub coverage: Coverage,
}

/// Generation state of one job.
pub struct Gen<'a> {
    pub job: &'a Job,
    pub plan: Plan<'a>,
    pub ctx: &'a GlueContext,
    /// Link id → key in the frames dict (the link name, made unique).
    pub keys: BTreeMap<String, String>,
    /// Link id → Python identifier for function parameters.
    pub idents: BTreeMap<String, String>,
    pub todos: Vec<Todo>,
    pub warnings: Vec<String>,
    /// DataStage names of functions needing a failing UDF stub.
    pub stubs: BTreeSet<String>,
    pub mappings: Vec<Mapping>,
    pub coverage: Vec<(String, String, Coverage)>,
    /// Stage id → message of the NotImplementedError its function raises.
    pub raising: BTreeMap<String, String>,
    /// Expressions parsed once per job: the script and the simulation of
    /// its expected rows read the same derivations.
    parsed: RefCell<HashMap<String, Result<Rc<Expr>, ParseError>>>,
}

const RESERVED: &[&str] = &[
    "F",
    "T",
    "Window",
    "DataFrame",
    "params",
    "spark",
    "df",
    "out",
    "taken",
    "ref",
    "inputs",
    "outputs",
    "frames",
    "conform",
    "transform",
    "main",
    "sys",
    "matched",
    "unmatched",
    "result",
    "keys",
    "w",
];

const PY_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// A Python identifier from a DataStage name.
pub fn py_ident(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if PY_KEYWORDS.contains(&s.as_str()) || RESERVED.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

pub use crate::escape::one_line;
use crate::escape::py_comment;

/// File and database stage types: read in `main()` / written there.
pub fn is_io(stage_type: &str) -> bool {
    matches!(
        stage_type,
        "SequentialFile" | "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" | "ODBC"
    ) || stage_type.ends_with("Connector")
        || stage_type.ends_with("Legacy")
}

impl<'a> Gen<'a> {
    pub fn new(job: &'a Job, ctx: &'a GlueContext) -> Gen<'a> {
        let plan = Plan::of(job);
        let mut keys = BTreeMap::new();
        let mut idents = BTreeMap::new();
        let mut used_keys = BTreeSet::new();
        let mut used_idents = BTreeSet::new();
        for l in &job.links {
            let mut k = if l.name.is_empty() {
                l.id.clone()
            } else {
                l.name.clone()
            };
            if !used_keys.insert(k.clone()) {
                k = format!("{k}_{}", l.id);
                used_keys.insert(k.clone());
            }
            keys.insert(l.id.clone(), k.clone());
            let mut i = py_ident(&k);
            while !used_idents.insert(i.clone()) {
                i.push('_');
            }
            idents.insert(l.id.clone(), i);
        }
        let mut g = Gen {
            job,
            plan,
            ctx,
            keys,
            idents,
            todos: Vec::new(),
            warnings: Vec::new(),
            stubs: BTreeSet::new(),
            mappings: Vec::new(),
            coverage: Vec::new(),
            raising: BTreeMap::new(),
            parsed: RefCell::new(HashMap::new()),
        };
        for p in g.plan.problems.clone() {
            g.warnings.push(format!("plan: {p}"));
        }
        g
    }

    /// [`crate::expr::parse`], remembered for this job.
    pub fn parse(&self, text: &str) -> Result<Rc<Expr>, ParseError> {
        if let Some(r) = self.parsed.borrow().get(text) {
            return r.clone();
        }
        let r = crate::expr::parse(text).map(Rc::new);
        self.parsed.borrow_mut().insert(text.to_string(), r.clone());
        r
    }

    pub fn key<'s>(&'s self, l: &'s Link) -> &'s str {
        self.keys.get(&l.id).map_or(l.name.as_str(), |s| s.as_str())
    }

    pub fn ident<'s>(&'s self, l: &'s Link) -> &'s str {
        self.idents
            .get(&l.id)
            .map_or(l.name.as_str(), |s| s.as_str())
    }

    pub fn todo(&mut self, location: String, what: String) {
        self.todos.push(Todo { location, what });
    }

    /// Links read from storage by `main()`: outputs of file/database
    /// stages without inputs, and of stages `transform` cannot produce.
    pub fn source_links(&self) -> Vec<&'a Link> {
        self.plan
            .stages
            .iter()
            .filter(|ps| is_io(&ps.stage.stage_type) && ps.inputs.is_empty())
            .flat_map(|ps| ps.outputs.iter().copied())
            .collect()
    }

    /// Links `transform` returns: inputs of file/database stages, and
    /// output links that go nowhere.
    pub fn target_links(&self) -> Vec<&'a Link> {
        let mut v: Vec<&'a Link> = self
            .plan
            .stages
            .iter()
            .filter(|ps| is_io(&ps.stage.stage_type))
            .flat_map(|ps| ps.inputs.iter().copied())
            .collect();
        for ps in &self.plan.stages {
            for l in &ps.outputs {
                if l.to_stage.is_none() && !is_io(&ps.stage.stage_type) {
                    v.push(l);
                }
            }
        }
        v
    }

    pub fn stage_fn_name(&self, ps: &PlanStage) -> String {
        format!("stage_{}", py_ident(&ps.stage.name).to_ascii_lowercase())
    }
}

/// Parameters as the script sees them: (DataStage name, Glue argument
/// name, Python type, default text).
pub fn script_params(job: &Job) -> Vec<(String, String, &'static str, String)> {
    let mut used = BTreeSet::new();
    job.parameters
        .iter()
        .filter(|p| {
            !p.is_env && !p.name.starts_with('$') && p.param_type != ParamType::ParameterSet
        })
        .filter_map(|p| {
            let mut arg = py_ident(&p.name.replace('.', "_"));
            if arg == "JOB_NAME" {
                arg = "DS_JOB_NAME".into();
            }
            if !used.insert(arg.clone()) {
                return None;
            }
            let ty = match p.param_type {
                ParamType::Integer => "int",
                ParamType::Float => "float",
                _ => "str",
            };
            let default = if p.default == crate::ir::REDACTED
                || p.param_type == ParamType::Encrypted
                || p.default.contains("$PROJDEF")
            {
                String::new()
            } else {
                p.default.clone()
            };
            Some((p.name.clone(), arg, ty, default))
        })
        .collect()
}

/// A test value for a parameter: its default when it has a usable one.
pub fn test_param_value(ty: &str, default: &str, name: &str) -> crate::expr::eval::Value {
    use crate::expr::eval::Value;
    match ty {
        "int" => Value::Int(default.trim().parse().unwrap_or(1)),
        "float" => Value::Float(default.trim().parse().unwrap_or(1.5)),
        _ => {
            if default.is_empty() || default.contains('#') {
                Value::Str(format!("test_{}", name.to_ascii_lowercase()))
            } else {
                Value::Str(default.to_string())
            }
        }
    }
}

/// Render the PySpark script of a job.
pub fn script(g: &mut Gen, templates: &Templates) -> (String, Vec<String>) {
    let job = g.job;
    // Stage functions and transform body.
    let mut functions: Vec<String> = Vec::new();
    let mut body: Vec<String> = Vec::new();
    let stages: Vec<PlanStage> = g.plan.stages.clone();
    for ps in &stages {
        if is_io(&ps.stage.stage_type) {
            // Pass-through file stages in the middle of a flow (server
            // jobs): downstream reads what upstream wrote.
            if let Some(input) = ps.inputs.first() {
                // A hashed file keeps one record per key: the last row of
                // each key in the link's order (IBM, Hashed File stage).
                let keys = io::key_columns(input);
                let source = if ps.stage.stage_type == "HashedFile" && !keys.is_empty() {
                    format!(
                        "frames[{}].withColumn(\"_dsmig_seq\", F.monotonically_increasing_id()).withColumn(\"_dsmig_rn\", F.row_number().over(Window.partitionBy({}).orderBy(F.col(\"_dsmig_seq\").desc()))).filter(\"_dsmig_rn = 1\").drop(\"_dsmig_seq\", \"_dsmig_rn\")",
                        py_str(g.key(input)),
                        keys.join(", ")
                    )
                } else {
                    format!("frames[{}]", py_str(g.key(input)))
                };
                for o in &ps.outputs {
                    body.push(format!(
                        "    # {} {}: written by {}, read back by {}",
                        py_comment(&ps.stage.stage_type),
                        py_comment(&ps.stage.name),
                        py_comment(g.key(input)),
                        py_comment(g.key(o))
                    ));
                    body.push(format!(
                        "    frames[{}] = conform({source}, {})",
                        py_str(g.key(o)),
                        py_str(g.key(o))
                    ));
                }
            }
            continue;
        }
        let code = stages::emit(g, ps);
        g.coverage.push((
            ps.stage.name.clone(),
            ps.stage.stage_type.clone(),
            code.coverage,
        ));
        functions.push(code.function);
        let name = g.stage_fn_name(ps);
        let args: Vec<String> = ps
            .inputs
            .iter()
            .map(|l| format!("frames[{}]", py_str(g.key(l))))
            .chain(std::iter::once("params".to_string()))
            .collect();
        let call = format!("    frames.update({name}({}))", args.join(", "));
        if call.len() > 96 {
            body.push(format!(
                "    frames.update(\n        {name}(\n            {},\n        )\n    )",
                args.join(",\n            ")
            ));
        } else {
            body.push(call);
        }
        if ps.stage.stage_type == "RowGenerator" {
            // RowGenerator needs the session.
            if let Some(last) = body.last_mut() {
                *last = last.replace(&format!("{name}("), &format!("{name}(spark, "));
            }
        }
    }
    let targets: Vec<String> = g
        .target_links()
        .iter()
        .map(|l| {
            format!(
                "        {}: frames[{}],",
                py_str(g.key(l)),
                py_str(g.key(l))
            )
        })
        .collect();
    let schemas: Vec<String> = job
        .links
        .iter()
        .filter(|l| !l.columns.is_empty() || l.to_stage.is_some())
        .map(|l| {
            let cols: Vec<String> = l
                .columns
                .iter()
                .map(|c| format!("({}, {})", py_str(&c.name), py_str(&values::spark_type(c))))
                .collect();
            format!("    {}: [{}],", py_str(g.key(l)), cols.join(", "))
        })
        .collect();
    let params: Vec<String> = script_params(job)
        .iter()
        .map(|(ds, arg, ty, default)| {
            format!(
                "    {}: ({}, {}, {}),",
                py_str(ds),
                py_str(arg),
                ty,
                py_str(default)
            )
        })
        .collect();
    let stubs: Vec<String> = g.stubs.iter().map(|s| stub_definition(s)).collect();
    let (readers, writers) = io::main_io(g);
    let layouts: Vec<String> = io::field_layouts(g)
        .iter()
        .map(|(l, _, f)| io::layout_literal(g.key(l), f))
        .collect();
    let sources: Vec<String> = g
        .source_links()
        .iter()
        .map(|l| format!("{} ({})", g.key(l), l.columns.len()))
        .collect();
    let data = serde_json::json!({
        "job_name": job.name,
        "job_name_literal": py_str(&job.name),
        "folder": job.folder,
        "description": one_line(&job.description, 200),
        "category": g.ctx.category,
        "strategy": g.ctx.strategy,
        "sources": sources.join(", "),
        "schemas": schemas.join("\n"),
        "params": params.join("\n"),
        "stubs": stubs.iter().map(|s| s.trim_end()).collect::<Vec<_>>().join("\n\n\n"),
        "functions": functions.iter().map(|s| s.trim_end()).collect::<Vec<_>>().join("\n\n\n"),
        "body": body.join("\n"),
        "targets": targets.join("\n"),
        "readers": readers,
        "writers": writers,
        "layouts": layouts.join("\n"),
        "hashed": writers.contains("write_hashed("),
    });
    let text = templates.render("job.py", &data);
    (text, Vec::new())
}

/// A placeholder for an untranslated function: builds a UDF that fails
/// when a row reaches it (created lazily: no SparkContext at import).
pub fn stub_definition(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!(
        "def dsmig_stub_{safe}(*columns):\n    \"\"\"Placeholder for DataStage {}: fails when a row reaches it.\"\"\"\n\n    def fail(*values):\n        raise NotImplementedError({})\n\n    return F.udf(fail, \"string\")(*columns)\n",
        crate::escape::py_doc(&name.replace('"', "'")),
        py_str(&format!("DataStage {name}: translate by hand (dsmig)"))
    )
}
