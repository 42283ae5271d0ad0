use serde::{Deserialize, Serialize};

/// Kind of a DataStage job, from `JobType` on the ROOT record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum JobKind {
    Server,
    Mainframe,
    Sequence,
    Parallel,
    Unknown,
}

impl JobKind {
    pub fn from_job_type(code: &str) -> JobKind {
        match code.trim() {
            "0" => JobKind::Server,
            "1" => JobKind::Mainframe,
            "2" => JobKind::Sequence,
            "3" => JobKind::Parallel,
            other => match other.to_ascii_lowercase().as_str() {
                "server" => JobKind::Server,
                "parallel" => JobKind::Parallel,
                "sequence" => JobKind::Sequence,
                "mainframe" => JobKind::Mainframe,
                _ => JobKind::Unknown,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Server => "server",
            JobKind::Mainframe => "mainframe",
            JobKind::Sequence => "sequence",
            JobKind::Parallel => "parallel",
            JobKind::Unknown => "unknown",
        }
    }
}

/// Type of a job parameter (`ParamType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamType {
    String,
    Encrypted,
    Integer,
    Float,
    Pathname,
    List,
    Date,
    Time,
    ParameterSet,
    Other(i32),
}

impl ParamType {
    pub fn from_code(code: &str) -> ParamType {
        match code.trim() {
            "" | "0" => ParamType::String,
            "1" => ParamType::Encrypted,
            "2" => ParamType::Integer,
            "3" => ParamType::Float,
            "4" => ParamType::Pathname,
            "5" => ParamType::List,
            "6" => ParamType::Date,
            "7" => ParamType::Time,
            "13" => ParamType::ParameterSet,
            other => ParamType::Other(other.parse().unwrap_or(-1)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub prompt: String,
    pub param_type: ParamType,
    /// Default value. Encrypted defaults are replaced by [`REDACTED`] at parse
    /// time: nothing downstream ever sees them.
    pub default: String,
    pub help: String,
    /// Parameter set this parameter comes from (`ParamType 13` rows, or the
    /// `SET` of `#SET.NAME#`).
    pub parameter_set: Option<String>,
    /// `$NAME` parameters read from the environment (default `$PROJDEF`).
    pub is_env: bool,
}

/// What replaces a password-like value anywhere in the IR.
pub const REDACTED: &str = "<redacted>";

/// A stage or pin property. Plain strings stay strings; property trees
/// (`\(1)\(2)\(3)` encoding) and connector `XMLProperties` are decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Property {
    pub name: String,
    pub value: PropValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PropValue {
    Text(String),
    /// Repeatable / nested OSH options: `key=A {asc\desc=asc}`, `reduce=...`.
    Tree(Vec<PropNode>),
    /// Connector XMLProperties flattened to `(path, value)` pairs in document
    /// order, e.g. `("Usage/TableName", "T")`.
    Connector(Vec<(String, String)>),
}

impl PropValue {
    /// The value as one display string (first tree value, or the text).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            PropValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PropNode {
    pub name: String,
    pub value: String,
    pub children: Vec<PropNode>,
}

/// Role of a link, from the input pin's `LinkType` (1 stream, 2 reference,
/// 3 reject) and the Transformer output's `Reject` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LinkKind {
    Stream,
    Reference,
    Reject,
    /// Transformer *otherwise* link: rows no earlier link took.
    Otherwise,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Stream => "stream",
            LinkKind::Reference => "reference",
            LinkKind::Reject => "reject",
            LinkKind::Otherwise => "otherwise",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Column {
    pub name: String,
    /// ODBC SQL type code (`SqlType`): 1 Char, 3 Decimal, 4 Integer, 9 Date,
    /// 12 VarChar... Externalised names (`char`) are mapped to codes.
    pub sql_type: i32,
    /// Length for strings (0 = unbounded), digits for decimals.
    pub length: u32,
    pub scale: u32,
    pub nullable: bool,
    /// 0 = not a key, n = n-th key.
    pub key_position: u32,
    /// Transformer derivation (user text), or empty.
    pub derivation: String,
    /// Lookup key expression on reference links, or empty.
    pub key_expression: String,
    pub description: String,
    /// `ExtendedPrecision`: microseconds on time types, Unicode on strings.
    pub extended: bool,
    /// Field-level import/export format of a file column (`APTFieldProp`:
    /// `quote=none`, `delim='|'`, `width=10`, `null_field=''`), or empty.
    pub format: String,
}

/// A link: an edge from an output pin to its partner input pin. Columns
/// live on the output (source) pin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    /// Identifier of the output pin (`V0S11P2`).
    pub id: String,
    pub name: String,
    pub from_stage: String,
    /// Target stage id; `None` for a dangling pin (unfinished design).
    pub to_stage: Option<String>,
    /// Position among the source stage's output pins (0-based).
    pub from_index: u32,
    /// Position among the target stage's input pins (0-based).
    pub to_index: u32,
    pub kind: LinkKind,
    pub columns: Vec<Column>,
    /// Transformer output constraint, or empty.
    pub constraint: String,
    /// Options on the output pin (sequential file read options...).
    pub source_properties: Vec<Property>,
    /// Options on the input pin (sequential file write options, lookup
    /// failure actions...).
    pub target_properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StageVar {
    pub name: String,
    pub expression: String,
    pub initial_value: String,
    pub sql_type: i32,
    pub length: u32,
    pub scale: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct TransformerDetail {
    /// In evaluation order.
    pub stage_vars: Vec<StageVar>,
    pub loop_condition: String,
    pub loop_vars: Vec<StageVar>,
}

/// A sequence activity trigger (an output pin of an activity stage).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub to_stage: Option<String>,
    /// `ConditionType`: 0 unconditional, 2 OK, 6 custom... kept as code.
    pub condition_type: String,
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Activity {
    /// Job run by a job activity (`Jobname`).
    pub job_name: String,
    /// Parameter values passed to the job (name, expression).
    pub parameter_values: Vec<(String, String)>,
    pub triggers: Vec<Trigger>,
    /// Sequencer mode (`SequencerType`), command of an ExecCommand...
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stage {
    /// Export identifier (`V0S11`).
    pub id: String,
    pub name: String,
    /// Normalised type: `Transformer`, `SequentialFile`, `Join`,
    /// `OracleConnector`, `JobActivity`... (see `parse::stage_types`).
    pub stage_type: String,
    /// The type as written in the export (`StageType`, else `OLEType`
    /// without a leading `C`).
    pub raw_type: String,
    pub properties: Vec<Property>,
    pub transformer: Option<TransformerDetail>,
    pub activity: Option<Activity>,
    /// Shared container instantiated by a container stage.
    pub container: Option<String>,
    /// Input pin ids in their meaningful order.
    pub input_pins: Vec<String>,
    pub output_pins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Job {
    pub name: String,
    /// `Category`, e.g. `\Jobs\WAREHOUSE`.
    pub folder: String,
    pub kind: JobKind,
    pub description: String,
    pub parameters: Vec<Parameter>,
    /// Stages ordered by id.
    pub stages: Vec<Stage>,
    /// Links ordered by id.
    pub links: Vec<Link>,
    pub annotations: Vec<String>,
    /// Selected job properties: `BeforeSubr`, `AfterSubr`, `JobControlCode`,
    /// `RuntimeColumnPropagation`... (never volatile ones).
    pub properties: Vec<Property>,
    /// Shared containers used by the job.
    pub shared_containers: Vec<String>,
}

impl Job {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn column_count(&self) -> usize {
        self.links.iter().map(|l| l.columns.len()).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Routine {
    pub name: String,
    pub folder: String,
    /// Server (BASIC), parallel (external C), before/after...
    pub routine_type: String,
    pub arguments: Vec<String>,
    /// BASIC source code, when exported.
    pub source: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParameterSet {
    pub name: String,
    pub folder: String,
    pub parameters: Vec<Parameter>,
    /// Named value files: (value set, [(parameter, value)]).
    pub value_sets: Vec<(String, Vec<(String, String)>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    pub folder: String,
    pub columns: Vec<Column>,
}

/// Anything else kept as its own entity (stage types, data connections,
/// data types...): name and flat properties.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OtherEntity {
    pub block: String,
    pub name: String,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Entity {
    Job(Job),
    SharedContainer(Job),
    Routine(Routine),
    ParameterSet(ParameterSet),
    TableDef(TableDef),
    Other(OtherEntity),
}

impl Entity {
    pub fn name(&self) -> &str {
        match self {
            Entity::Job(j) | Entity::SharedContainer(j) => &j.name,
            Entity::Routine(r) => &r.name,
            Entity::ParameterSet(p) => &p.name,
            Entity::TableDef(t) => &t.name,
            Entity::Other(o) => &o.name,
        }
    }

    pub fn kind_str(&self) -> &'static str {
        match self {
            Entity::Job(_) => "job",
            Entity::SharedContainer(_) => "shared_container",
            Entity::Routine(_) => "routine",
            Entity::ParameterSet(_) => "parameter_set",
            Entity::TableDef(_) => "table_def",
            Entity::Other(_) => "other",
        }
    }

    pub fn as_job(&self) -> Option<&Job> {
        match self {
            Entity::Job(j) => Some(j),
            _ => None,
        }
    }
}

/// Export format an entity was read from. Named `dsx`, `xml` and `isx`
/// everywhere it is shown or serialised (JSON of analyze, dump-ir, the
/// report): the same as [`SourceFormat::as_str`]. Postcard (the store)
/// encodes the variant's index, so the names are not part of any hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Dsx,
    Xml,
    Isx,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Dsx => "dsx",
            SourceFormat::Xml => "xml",
            SourceFormat::Isx => "isx",
        }
    }
}

/// Where an entity or an error comes from. Never part of a hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, Default)]
pub struct Location {
    pub file: String,
    /// 1-based line of the entity's first line (DSX, XML).
    pub line: Option<u64>,
    /// Archive member (ISX).
    pub member: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(m) = &self.member {
            write!(f, "!{m}")?;
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        Ok(())
    }
}

/// An entity with its location, its format and its canonical hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Located {
    pub location: Location,
    pub format: SourceFormat,
    pub hash: crate::ir::EntityHash,
    pub entity: Entity,
}
