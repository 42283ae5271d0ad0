//! Command-line interface: what each command takes and what `--help` says.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "dsmig",
    version,
    about = "Migrate IBM DataStage jobs to AWS Glue PySpark or SQL, incrementally",
    long_about = "dsmig reads DataStage exports (.dsx, .xml, istool .isx, gzipped or not; \
many jobs per file), finds duplicate and similar jobs, classifies each job \
AUTO / SEMI-AUTO / MANUAL with reasons, and generates the migrated code.\n\n\
Start with `dsmig analyze EXPORTS/` to see what your exports hold.",
    after_help = "Settings: ./dsmig.toml (or --config FILE); every setting and its default is documented in the dsmig.toml shipped with dsmig."
)]
pub struct Cli {
    /// Settings file (default: ./dsmig.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Worker threads (default: parser.threads, 0 = one per core).
    #[arg(short = 'j', long = "jobs", global = true, value_name = "N")]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read exports and list every job: kind, stages, links, columns, stage types, parameters.
    #[command(
        long_about = "Read DataStage exports and print one row per job plus a summary and the list \
of problems found. Files and folders are accepted; files are recognised by content \
(DSX text, DataStage XML, ISX archive, or a .gz of one), anything else is listed as skipped.\n\n\
A bad file or job never stops the run: it becomes an error row naming the file, the job and \
the line. The exit code is 0 unless --strict is given and errors were found; a PATH that \
does not exist is an error (exit code 1) and nothing is read.",
        after_help = "Examples:\n  dsmig analyze exports/\n  dsmig analyze big.dsx.gz -f csv -o jobs.csv\n  dsmig analyze exports/ -f json | jq '.summary'"
    )]
    Analyze(AnalyzeArgs),

    /// Write the HTML migration report: one self-contained file for the people who fund the migration.
    #[command(
        long_about = "Read the exports like `dsmig analyze` and write one self-contained HTML file: \
executive summary (jobs, categories, estimated effort, LLM calls, parse errors), category chart, \
complexity distribution, duplicate groups and similarity clusters with their templates and the \
hours they save, migration waves from the lineage graph, high-risk jobs with their blocking \
items, recommendations derived from the figures, the problems found in the input, and a table \
of every job (search, sort by any column, filter by category, kind or group) whose rows open \
the job's details (what `dsmig explain` shows).\n\n\
The file has no external script, font or image: it opens from a file share with the network \
off, and holds 9000 jobs in a few MB (the table is paginated). No store is needed. The same \
analysis always gives the same bytes; if FILE already holds them it is left untouched. \
SQL, connection strings, parameter defaults and other property values never enter the report; \
only the names of the tables and files each job reads and writes (its lineage).",
        after_help = "Examples:\n  dsmig report exports/ -o migration-report.html\n  dsmig report exports/ more/big.dsx.gz -o report.html --title 'Finance DWH migration'\n  dsmig analyze exports/ --report report.html    (the same file, plus the analyze output)\n\nSettings: [report] page_size (rows per table page), title."
    )]
    Report(ReportArgs),

    /// Print the canonical IR of entities as JSON (debugging; hashes included).
    #[command(hide = true)]
    DumpIr(DumpIrArgs),

    /// Migrate: read exports, analyse, generate code; redo only what changed.
    #[command(
        long_about = "Run the whole graph over the exports: read every job, then generate the \
migrated files under generation.output_dir (default ./generated). Every result is stored in \
the incremental store (store.path, default ./.dsmig-store), keyed by content: a second build \
on the same inputs computes nothing and rewrites no file; editing one job redoes that job.\n\n\
The summary says, per phase, what was computed and what was reused, and which files were \
written, left unchanged or deleted (files of jobs that left the inputs are removed; only \
files dsmig wrote, and not if you edited them since).\n\n\
A generated file you edited by hand (its bytes differ from what dsmig last wrote there) is \
never overwritten silently: the build leaves it as it is, writes the new version beside it as \
FILE.dsmig-new and names it in the summary; `dsmig plan` lists it as edited by hand. \
--force overwrites it (and removes the .dsmig-new). Each output folder and target keeps its \
own record of files, so `--target sql` and `--target glue` can build into one folder without \
deleting each other's files.",
        after_help = "Examples:\n  dsmig build exports/                                  (AWS Glue PySpark, Terraform, tests)\n  dsmig build exports/ --target sql --dialect teradata  (BTEQ, DDL, loads, checks)\n  dsmig build exports/ --output-dir out/ --summary-json summary.json\n  dsmig build exports/ --llm-provider anthropic --budget 5\n  dsmig build exports/ --force   (overwrite the files you edited by hand)\n  dsmig plan exports/    (what would be done, touching nothing)"
    )]
    Build(BuildArgs),

    /// Dry run: what `build` would recompute and why, touching nothing.
    #[command(
        long_about = "Compare the exports with the store and say which jobs are new, changed \
(which input changed, and what changed in the job: stages, links, columns, derivations, \
properties), unchanged or removed, which phases would run, and which files would be written \
or deleted (the new and edited jobs' files are generated in memory to know). Nothing is \
written, neither outputs nor the store; where no store exists, none is created.\n\n\
With --detailed-exitcode: 0 = nothing to do, 2 = changes pending, 1 = error (as terraform plan).",
        after_help = "Examples:\n  dsmig plan exports/\n  dsmig plan exports/ --llm-provider anthropic   (LLM calls, tokens and dollars, with and without batching)\n  dsmig plan exports/ --target sql --dialect oracle\n  dsmig plan exports/ --json > plan.json\n  dsmig plan exports/ --detailed-exitcode || echo \"changes pending\""
    )]
    Plan(PlanArgs),

    /// Why a job was grouped, classified and generated the way it was.
    #[command(
        long_about = "Explain one job: where it comes from, what it contains, its duplicate \
group, similarity cluster and pattern family (with the slots in which it differs from the \
template and the nearest jobs), each complexity factor with its points, the rule that decided \
its category, what it reads and writes and its migration wave, how it will be generated, and, \
after a build, what changed in the last build and which of its files were rewritten.\n\n\
Without PATH, the inputs of the last build are read again (every result comes from the store).",
        after_help = "Examples:\n  dsmig explain LoadCustomers\n  dsmig explain LoadCustomers exports/ --json\n  dsmig explain 'Dup#2'     (the second job of that name)"
    )]
    Explain(ExplainArgs),

    /// Compare what DataStage wrote with what the migrated jobs wrote, job by job.
    #[command(
        long_about = "Prove a migration job by job: run each job's generated comparison \
(reconcile/<job>.py or reconcile/<job>.sql, made by `dsmig build`) over DataStage's outputs \
(--legacy) and the migrated job's outputs (--migrated), and print one verdict per job: match, \
mismatch (with what differs: missing, extra or changed rows, duplicate keys, columns, types) \
or not comparable (an output missing, a table target without a database).\n\n\
Glue target (the default): the comparison runs on a local Spark session through the \
project's Python (DSMIG_PYTHON, else python3, with pyspark). --legacy and --migrated are the \
folders standing for DataStage's file paths on each side (the DSMIG_DATA_ROOT of each run); \
`{job}` in either stands for each job's file stem (a folder per job). Job parameters are \
given with --param (both sides) or --legacy-param / --migrated-param. \
Each target is read with the migrated job's own readers, compared by its key columns where \
the link has them, else as a multiset of rows (said so: no key is guessed). Row order never \
matters. Tolerances come from dsmig.toml [reconcile] (numbers, timestamps, trailing blanks, \
empty vs NULL); every relaxation is named in the result.\n\n\
SQL target (--target sql, PostgreSQL): --legacy and --migrated are schemas: the migrated \
one holds the job's tables (OUT_ tables of file targets, the target tables), the legacy one \
the LEG_<job>_<link> tables holding DataStage's output. The comparison is exact.\n\n\
Each verdict is stored with the job's IR hash and the hashes of the data compared: `dsmig \
explain JOB` and the report show \"reconciled on DATE: match (N rows)\", and \"stale\" once \
the job changed.\n\n\
With --detailed-exitcode: 0 = every job matches, 2 = a mismatch, 3 = no mismatch but a job \
not comparable, 1 = error. Without it: 0 unless an error.",
        after_help = "Examples:\n  dsmig reconcile --legacy /data/datastage-run --migrated /data/glue-run\n  dsmig reconcile LoadCustomers --legacy / --migrated / --legacy-param DIR=/ds/out --migrated-param DIR=/glue/out\n  dsmig reconcile --target sql --legacy legacy --migrated public --pg 'host=db dbname=dwh'\n  dsmig reconcile --legacy /runs/ds/{job} --migrated /runs/glue/{job} --json > verdicts.json\n  dsmig reconcile --print-settings    (the DSMIG_RECONCILE_SETTINGS argument of the Glue job)"
    )]
    Reconcile(ReconcileArgs),

    /// Inspect or clean the incremental store.
    #[command(subcommand)]
    Store(StoreCommand),

    /// Write a synthetic corpus of realistic DataStage exports (for benches and tests).
    #[command(hide = true)]
    GenCorpus(GenCorpusArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table that fits the terminal, then the summary and the problems.
    Console,
    /// One row per job; columns documented in the README.
    Csv,
    /// Summary, jobs, files and problems; `format_version` tells the schema.
    Json,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Export files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = OutputFormat::Console)]
    pub format: OutputFormat,

    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Console: list every problem (warnings too) and every stage type.
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Exit with code 1 if any file or job could not be read.
    #[arg(long)]
    pub strict: bool,

    /// Overwrite generated files you edited by hand. Without it, a file
    /// whose bytes differ from what dsmig last wrote there is left as it is
    /// and the new version is written beside it as FILE.dsmig-new (compare
    /// them, merge what you need, then delete your edit or build --force).
    #[arg(long)]
    pub force: bool,

    /// Also write the HTML migration report to FILE (as `dsmig report`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Export files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The HTML file to write.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "dsmig-report.html"
    )]
    pub output: PathBuf,

    /// Title of the report (default: report.title).
    #[arg(long)]
    pub title: Option<String>,

    /// Exit with code 1 if any file or job could not be read (the report is written anyway).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug)]
pub struct GenCorpusArgs {
    /// Number of jobs.
    #[arg(long, default_value_t = 100)]
    pub count: usize,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Small jobs (fast tests) instead of realistic sizes (~110 KB median).
    #[arg(long)]
    pub small: bool,
    /// An estate built from templates: 90% of the jobs are exact or near
    /// copies, in groups of 6 to 30 (small jobs).
    #[arg(long, conflicts_with = "small")]
    pub clustered: bool,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct DumpIrArgs {
    /// Export files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only entities with this name.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct GraphArgs {
    /// Export files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where generated files go (default: generation.output_dir).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// The store folder (default: store.path).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// If another dsmig holds the store, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,

    /// Generate only these jobs (comma-separated names); the others keep the files they have.
    #[arg(long, value_name = "JOB,...", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Generation target: `glue` (AWS Glue PySpark, Terraform, pytest) or
    /// `sql` (scripts, DDL, load steps, validation queries). Default:
    /// generation.target.
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,

    /// SQL dialect of `--target sql`: teradata (BTEQ), postgres, oracle,
    /// sqlserver or ansi. Default: sql.dialect. Changing it regenerates the
    /// SQL files only; the analysis is reused.
    #[arg(long, value_name = "DIALECT", alias = "sql-dialect")]
    pub dialect: Option<String>,

    /// Test hook: treat PHASE's logic as changed (recompute it and what depends on it).
    #[arg(long, value_name = "PHASE", hide = true)]
    pub bump_query_version: Vec<String>,

    #[command(flatten)]
    pub llm: LlmArgs,
}

/// LLM options of `build` and `plan`.
#[derive(Args, Debug, Clone)]
pub struct LlmArgs {
    /// LLM provider for this run (default: llm.provider): none, anthropic,
    /// azure_openai, azure_foundry, bedrock, vertex, openrouter, openai_compatible.
    /// Keys come from the environment only (see dsmig.toml).
    #[arg(long, value_name = "PROVIDER")]
    pub llm_provider: Option<String>,

    /// Rule-based generation only: no LLM call, no LLM estimate.
    #[arg(long, conflicts_with = "llm_provider")]
    pub no_llm: bool,

    /// Stop calling the LLM once this run would spend more than USD dollars
    /// (overrides llm.budget.max_cost_per_run; needs [llm.pricing] for the model).
    #[arg(long, value_name = "USD")]
    pub budget: Option<f64>,
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub graph: GraphArgs,

    /// Also write the run summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,

    /// Also write the HTML migration report to FILE (same as `dsmig report`;
    /// left untouched when its bytes would not change).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,

    /// Exit with code 1 if any file or job could not be read.
    #[arg(long)]
    pub strict: bool,

    /// Overwrite generated files you edited by hand. Without it, a file
    /// whose bytes differ from what dsmig last wrote there is left as it is
    /// and the new version is written beside it as FILE.dsmig-new (compare
    /// them, merge what you need, then delete your edit or build --force).
    #[arg(long)]
    pub force: bool,

    /// List every problem (warnings too).
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub graph: GraphArgs,

    /// Print the plan as JSON (format_version tells the schema).
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// Jobs to compare (default: every job of the output folder's last build).
    #[arg(value_name = "JOB")]
    pub jobs: Vec<String>,

    /// DataStage's side: a folder standing for its file paths (Glue), or a
    /// schema holding the LEG_ tables (SQL).
    #[arg(
        long,
        value_name = "LOCATION",
        required_unless_present = "print_settings"
    )]
    pub legacy: Option<String>,

    /// The migrated side: a folder standing for the migrated job's file
    /// paths (Glue), or the schema the SQL job ran in.
    #[arg(
        long,
        value_name = "LOCATION",
        required_unless_present = "print_settings"
    )]
    pub migrated: Option<String>,

    /// Where `dsmig build` wrote the generated files (default: generation.output_dir).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// `glue` or `sql` (default: generation.target).
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,

    /// A job parameter for both sides (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Vec<String>,

    /// A job parameter for DataStage's side only (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    pub legacy_param: Vec<String>,

    /// A job parameter for the migrated side only (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    pub migrated_param: Vec<String>,

    /// PostgreSQL connection (libpq string) for --target sql (default: DSMIG_PG, else libpq's PG* variables).
    #[arg(long, value_name = "CONNINFO")]
    pub pg: Option<String>,

    /// Print the verdicts (and every difference) as JSON.
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when every job matches, 2 on a mismatch, 3 when a job is not comparable, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// The store folder (default: store.path).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// If another dsmig holds the store, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,

    /// Print dsmig.toml's [reconcile] settings as the JSON the Glue job takes, and exit.
    #[arg(long)]
    pub print_settings: bool,
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Entries and bytes per table, and what the last run computed and reused.
    Stats(StoreArgs),
    /// Drop stored results that the last N runs did not use.
    #[command(
        long_about = "Drop memo entries and blobs that none of the last N runs used. \
LLM responses are kept (they were paid for) unless --llm is given."
    )]
    Gc(GcArgs),
}

#[derive(Args, Debug)]
pub struct StoreArgs {
    /// The store folder (default: store.path).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// If another dsmig holds the store, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Args, Debug)]
pub struct GcArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Keep what the last N runs used.
    #[arg(long, default_value_t = 3)]
    pub keep_runs: usize,
    /// Also drop LLM responses that the kept runs did not use.
    #[arg(long)]
    pub llm: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Job name (`NAME#2` for the second job of that name).
    #[arg(value_name = "JOB")]
    pub job: String,

    /// Export files or folders (default: the inputs of the last build).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Print JSON (format_version tells the schema).
    #[arg(long)]
    pub json: bool,

    /// The store folder (default: store.path).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// If another dsmig holds the store, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,
}
