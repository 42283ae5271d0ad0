//! The SQL target: one set-based script per job in one of five dialects,
//! with DDL, file load / unload steps, validation queries and docs.
//!
//! The shape of a generated job (see `docs/sql-target.md` in the output's
//! README section of the project README):
//! - every source link lands in a staging table (`STG_<job>_<link>`): file
//!   sources through `load/<job>.sh` (the dialect's loader), database
//!   sources through `extract/<job>.sql`;
//! - `sql/<job>.sql` computes each link from those tables (a CTE per link;
//!   Teradata: a volatile table per link in a BTEQ script) and writes the
//!   targets: database tables with the stage's write mode, file targets
//!   into `OUT_<job>_<link>` tables that `load/<job>.sh` unloads;
//! - job parameters are read from the control table `dsmig_job_params`
//!   (`ddl/dsmig_job_params.sql`), with the export's defaults;
//! - anything not translated stops the script with a named error (a
//!   failing `CAST`) instead of running with a gap.
//!
//! `crate::dialects` holds what differs per dialect (`self.rules`); `stages` the SQL of each
//! stage kind; `ddl`, `checks`, `docs`, `sequence` the other files.

pub mod checks;
pub mod ddl;
pub mod docs;
pub mod reconcile;
pub mod sequence;
pub mod stages;

use std::collections::{BTreeMap, BTreeSet};

use super::glue::{Coverage, Mapping, is_io};
use super::plan::{Plan, PlanStage};
use super::{GeneratedJob, Todo};
use crate::config::SqlConfig;
use crate::dialects::{Rules, Step};
use crate::expr::translate::Dialect;
use crate::expr::translate::sql::quote_ident;
use crate::ir::{Job, JobKind, Link, ParamType};

/// What the SQL generator needs besides the job.
#[derive(Debug, Clone)]
pub struct SqlContext {
    pub config: SqlConfig,
    pub dialect: Dialect,
    /// `AUTO`, `SEMI-AUTO` or `MANUAL`.
    pub category: String,
    pub strategy: String,
    /// The job's file name as the build writes it; `None`: the sanitised
    /// job name.
    pub stem: Option<String>,
}

impl SqlContext {
    pub fn new(dialect: Dialect) -> SqlContext {
        SqlContext {
            config: SqlConfig::default(),
            dialect,
            category: String::new(),
            strategy: String::new(),
            stem: None,
        }
    }
}

/// Parse a dialect name as `--dialect` and `[sql] dialect` spell it.
pub fn parse_dialect(s: &str) -> Option<Dialect> {
    Dialect::parse(s)
}

/// The parameter relation every statement reads job parameters from.
pub const PARAMS: &str = "dsmig_params";
/// The control table holding parameter values per job.
pub const CONTROL_TABLE: &str = "dsmig_job_params";

/// How a link's rows reach or leave the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A file or data set read into a staging table by the load script.
    FileSource,
    /// A database table or query landed in a staging table by the extract
    /// script.
    DbSource,
    /// Written into a database table.
    DbTarget,
    /// Written into an `OUT_` table the load script unloads to a file.
    FileTarget,
}

/// A table a link is read from or written to.
#[derive(Debug, Clone)]
pub struct IoTable<'a> {
    pub link: &'a Link,
    pub stage: &'a crate::ir::Stage,
    pub role: Role,
    /// The table name as written in the script.
    pub table: String,
}

/// One common table expression (or Teradata volatile table).
#[derive(Debug, Clone)]
pub struct Cte {
    /// Unquoted name.
    pub name: String,
    pub body: String,
}

/// A check that must pass before the targets are written (lookup failure
/// mode `fail`): a query that raises when it finds a bad row.
#[derive(Debug, Clone)]
pub struct Guard {
    pub title: String,
    pub select: String,
}

/// Generation state of one job.
pub struct SqlGen<'a> {
    pub job: &'a Job,
    pub plan: Plan<'a>,
    pub ctx: &'a SqlContext,
    pub rules: &'static dyn Rules,
    pub d: Dialect,
    pub stem: String,
    /// Link id → relation name (unquoted; quoted where used).
    pub names: BTreeMap<String, String>,
    pub ctes: Vec<Cte>,
    pub guards: Vec<Guard>,
    /// Referential checks of lookups (for the validation queries).
    pub lookup_checks: Vec<Guard>,
    /// Why the script cannot run as generated (each becomes a failing
    /// statement at its top).
    pub stops: Vec<String>,
    pub todos: Vec<Todo>,
    pub warnings: Vec<String>,
    pub mappings: Vec<Mapping>,
    pub coverage: Vec<(String, String, Coverage)>,
    /// Sequences of surrogate keys: (name, first value).
    pub sequences: Vec<(String, i64)>,
    /// Parameters (and engine macros) the statements read.
    pub params_used: BTreeSet<String>,
}

/// An identifier made of `[A-Z0-9_]`, at most 128 characters (the limit
/// of Oracle, Teradata and SQL Server), unique by a hash suffix when cut.
pub fn table_ident(parts: &[&str]) -> String {
    let raw = parts.join("_");
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'T');
    }
    if s.len() > 120 {
        let h = blake3::hash(raw.as_bytes()).to_hex();
        s.truncate(111);
        s.push('_');
        s.push_str(&h[..8].to_ascii_uppercase());
    }
    s
}

/// A table name from the export as written in a statement. A dotted
/// name of at most three plain parts (`[A-Za-z_][A-Za-z0-9_$#]*`, left
/// unquoted so that the database folds its case, as DataStage's SQL did)
/// or of parts already delimited (`"..."` on one line) is kept; any other
/// part becomes a delimited identifier, so no table name can hold SQL.
pub fn table_name(text: &str) -> String {
    let plain = |p: &str| {
        let mut c = p.chars();
        c.next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '$' | '#'))
    };
    // `"..."` (any dialect) or `[...]` (SQL Server), on one line.
    let delimited = |p: &str| {
        let inner = |open: char, close: char, doubled: &str| {
            p.len() >= 2
                && p.starts_with(open)
                && p.ends_with(close)
                && !p[1..p.len() - 1].replace(doubled, "").contains(close)
        };
        (inner('"', '"', "\"\"") || inner('[', ']', "]]")) && crate::escape::one_line_raw(p) == p
    };
    // Parts split at dots outside double quotes.
    let mut parts: Vec<String> = vec![String::new()];
    let mut quoted = false;
    let mut bracket = false;
    for c in text.chars() {
        match c {
            '"' if !bracket => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ => {}
        }
        if c == '.' && !quoted && !bracket {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    if quoted || bracket || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return quote_ident(text);
    }
    parts
        .iter()
        .map(|p| {
            if plain(p) || delimited(p) {
                p.to_string()
            } else {
                quote_ident(p)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

impl<'a> SqlGen<'a> {
    pub fn new(job: &'a Job, ctx: &'a SqlContext) -> SqlGen<'a> {
        let plan = Plan::of(job);
        let stem = ctx
            .stem
            .clone()
            .unwrap_or_else(|| crate::escape::file_stem(&job.name));
        let mut names = BTreeMap::new();
        let mut used = BTreeSet::new();
        for l in &job.links {
            let mut n = if l.name.is_empty() {
                l.id.clone()
            } else {
                l.name.clone()
            };
            if n.eq_ignore_ascii_case(PARAMS) || !used.insert(n.to_ascii_lowercase()) {
                n = format!("{n}_{}", l.id);
                used.insert(n.to_ascii_lowercase());
            }
            names.insert(l.id.clone(), n);
        }
        let mut g = SqlGen {
            job,
            plan,
            ctx,
            rules: ctx.dialect.rules(),
            d: ctx.dialect,
            stem,
            names,
            ctes: Vec::new(),
            guards: Vec::new(),
            lookup_checks: Vec::new(),
            stops: Vec::new(),
            todos: Vec::new(),
            warnings: Vec::new(),
            mappings: Vec::new(),
            coverage: Vec::new(),
            params_used: BTreeSet::new(),
            sequences: Vec::new(),
        };
        for p in g.plan.problems.clone() {
            g.warnings.push(format!("plan: {p}"));
        }
        g
    }

    /// The quoted relation of a link.
    pub fn rel(&self, l: &Link) -> String {
        quote_ident(
            self.names
                .get(&l.id)
                .map_or(l.name.as_str(), |s| s.as_str()),
        )
    }

    pub fn todo(&mut self, location: String, what: String) {
        self.todos.push(Todo { location, what });
    }

    /// Stop the script: `what` cannot run as generated.
    pub fn stop(&mut self, location: String, what: String) {
        self.stops.push(format!("{location}: {what}"));
        self.todo(location, what);
    }

    /// A DataStage name with `#PARAM#` references replaced by the
    /// parameters' defaults (table names cannot be bound at run time).
    pub fn resolve_name(&mut self, text: &str, location: &str) -> String {
        if !text.contains('#') {
            return text.trim().to_string();
        }
        let parts: Vec<&str> = text.split('#').collect();
        let mut out = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 && i + 1 < parts.len() && !p.is_empty() && !p.contains(' ') {
                let param = self
                    .job
                    .parameters
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(p));
                match param {
                    Some(x)
                        if !x.default.is_empty()
                            && x.default != crate::ir::REDACTED
                            && x.param_type != ParamType::Encrypted
                            && !x.default.contains("$PROJDEF") =>
                    {
                        self.warnings.push(format!(
                            "{location}: #{p}# resolved to its default {:?} (names cannot be parameters in SQL; regenerate or edit for another value)",
                            x.default
                        ));
                        out.push_str(x.default.trim());
                    }
                    _ => {
                        self.todo(
                            location.to_string(),
                            format!("#{p}# has no usable default: the name holds CHANGE_ME_{p}"),
                        );
                        out.push_str(&format!("CHANGE_ME_{}", p.replace('.', "_")));
                    }
                }
            } else {
                out.push_str(p);
                if i % 2 == 1 && i + 1 < parts.len() {
                    out.push('#');
                }
            }
        }
        out.trim().to_string()
    }

    /// Links read from storage, with their staging tables.
    pub fn sources(&mut self) -> Vec<IoTable<'a>> {
        let mut v = Vec::new();
        let stages: Vec<PlanStage<'a>> = self.plan.stages.clone();
        for ps in &stages {
            if !is_io(&ps.stage.stage_type) || !ps.inputs.is_empty() {
                continue;
            }
            for l in &ps.outputs {
                let role = if is_file(&ps.stage.stage_type) {
                    Role::FileSource
                } else {
                    Role::DbSource
                };
                v.push(IoTable {
                    link: l,
                    stage: ps.stage,
                    role,
                    table: table_ident(&["STG", &self.stem, &self.names[&l.id]]),
                });
            }
        }
        v
    }

    /// Links written to storage, with their tables.
    pub fn targets(&mut self) -> Vec<IoTable<'a>> {
        let mut v = Vec::new();
        let stages: Vec<PlanStage<'a>> = self.plan.stages.clone();
        for ps in &stages {
            if !is_io(&ps.stage.stage_type) || ps.inputs.is_empty() {
                continue;
            }
            for l in &ps.inputs {
                if is_file(&ps.stage.stage_type) {
                    v.push(IoTable {
                        link: l,
                        stage: ps.stage,
                        role: Role::FileTarget,
                        table: table_ident(&["OUT", &self.stem, &self.names[&l.id]]),
                    });
                } else {
                    let loc = format!("{} -> {}", l.name, ps.stage.name);
                    // A write that would guess (`stages::guess`) stops the script.
                    if let Some(guess) = crate::stages::stage_guesses(self.job, ps.stage).first() {
                        self.stop(loc.clone(), guess.reason());
                    }
                    let table = match super::glue::io::db_table(ps.stage, l, false).0 {
                        Some(t) => table_name(&self.resolve_name(&t, &loc)),
                        None => {
                            self.todo(
                                loc,
                                "no table name found for this database write: the script writes CHANGE_ME_TARGET".into(),
                            );
                            table_ident(&["CHANGE_ME", &self.stem, &self.names[&l.id]])
                        }
                    };
                    v.push(IoTable {
                        link: l,
                        stage: ps.stage,
                        role: Role::DbTarget,
                        table,
                    });
                }
            }
        }
        v
    }

    /// SQL type of a column in this dialect.
    pub fn sql_type(&self, c: &crate::ir::Column) -> String {
        self.rules.column_type(c)
    }

    /// `CAST(x AS type) AS "COL"`.
    pub fn cast_as(&self, code: &str, c: &crate::ir::Column) -> String {
        format!(
            "CAST({code} AS {}) AS {}",
            self.rules.cast_type(c),
            quote_ident(&c.name)
        )
    }

    /// The parameter relation: one row, one typed column per parameter or
    /// engine macro the statements use, from the control table with the
    /// export's defaults.
    fn params_cte(&self) -> Option<Cte> {
        if self.params_used.is_empty() {
            return None;
        }
        let scope = crate::expr::resolve::Scope::from_job(self.job, "");
        let mut cols = Vec::new();
        for name in &self.params_used {
            let text = match name.as_str() {
                "DSJobName" => self.rules.literal(&self.job.name),
                "DSJobStartDate" => self.rules.current_date().to_string(),
                "DSJobStartTimestamp" => self.rules.current_timestamp().to_string(),
                "DSJobStartTime" => {
                    format!("CAST({} AS TIME)", self.rules.current_timestamp())
                }
                "DSHostName" | "DSProjectName" | "DSJobInvocationId" | "DSJobController" => {
                    format!(
                        "MAX(CASE WHEN param_name = {} THEN param_value END)",
                        self.rules.literal(name)
                    )
                }
                _ => {
                    let p = self
                        .job
                        .parameters
                        .iter()
                        .find(|p| p.name == *name || p.name.replace('.', "_") == *name);
                    let default = p
                        .map(|p| {
                            if p.default == crate::ir::REDACTED
                                || p.param_type == ParamType::Encrypted
                                || p.default.contains("$PROJDEF")
                            {
                                String::new()
                            } else {
                                p.default.clone()
                            }
                        })
                        .unwrap_or_default();
                    let ty = scope
                        .params
                        .get(name)
                        .map_or(crate::expr::types::Type::STRING, |t| t.ty);
                    let value = format!(
                        "MAX(CASE WHEN param_name = {} THEN param_value END)",
                        self.rules.literal(name)
                    );
                    let value = if default.is_empty() {
                        value
                    } else {
                        format!("COALESCE({value}, {})", self.rules.literal(&default))
                    };
                    if ty.is_string() {
                        value
                    } else {
                        format!(
                            "CAST({value} AS {})",
                            crate::expr::translate::sql::type_name(self.rules, ty)
                        )
                    }
                }
            };
            cols.push(format!("{text} AS {}", quote_ident(name)));
        }
        Some(Cte {
            name: PARAMS.into(),
            body: format!(
                "SELECT\n        {}\n    FROM {CONTROL_TABLE}\n    WHERE job_name = {}",
                cols.join(",\n        "),
                self.rules.literal(&self.job.name)
            ),
        })
    }

    /// The CTEs a query needs, in definition order (closure over the
    /// names the bodies mention).
    fn needed(&self, select: &str) -> Vec<Cte> {
        let all = &self.ctes;
        let mut want: BTreeSet<usize> = BTreeSet::new();
        let mut stack = vec![select.to_string()];
        while let Some(text) = stack.pop() {
            for (i, c) in all.iter().enumerate() {
                if !want.contains(&i) && text.contains(&quote_ident(&c.name)) {
                    want.insert(i);
                    stack.push(c.body.clone());
                }
            }
        }
        want.into_iter().map(|i| all[i].clone()).collect()
    }

    /// `WITH ...` for a query (empty when it needs none, and always for
    /// Teradata, whose links are volatile tables).
    pub fn with_clause(&self, select: &str) -> String {
        if self.rules.volatile_links() {
            return String::new();
        }
        self.with_clause_forced(select)
    }

    /// `WITH ...` for a query that runs on its own (validation queries:
    /// Teradata's volatile tables are gone by then).
    pub fn with_clause_forced(&self, select: &str) -> String {
        let ctes = self.needed(select);
        if ctes.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = ctes
            .iter()
            .map(|c| format!("{} AS (\n    {}\n)", quote_ident(&c.name), c.body))
            .collect();
        format!("WITH {}\n", parts.join(",\n"))
    }

    /// Teradata: the volatile tables, in order, of everything any target
    /// needs.
    fn volatile_steps(&self, queries: &[String]) -> Vec<Step> {
        let mut want: BTreeSet<String> = BTreeSet::new();
        for q in queries {
            for c in self.needed(q) {
                want.insert(c.name);
            }
        }
        self.ctes
            .iter()
            .filter(|c| want.contains(&c.name))
            .map(|c| Step {
                title: format!("Link {}", c.name),
                sql: format!(
                    "CREATE VOLATILE MULTISET TABLE {} AS (\n    {}\n) WITH DATA ON COMMIT PRESERVE ROWS;",
                    quote_ident(&c.name),
                    c.body
                ),
            })
            .collect()
    }
}

/// File and data set stages (everything else `is_io` is a database).
pub fn is_file(stage_type: &str) -> bool {
    matches!(
        stage_type,
        "SequentialFile" | "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile"
    )
}

/// Files of one job: `sql/{stem}.sql`, `ddl/{stem}.sql`,
/// `tests/test_{stem}.sql`, `docs/sql/{stem}.md` (apart from the Glue
/// target's `docs/{stem}.md`: both targets can share an output folder), and where the job has them
/// `extract/{stem}.sql`, `load/{stem}.sh` and `reconcile/{stem}.sql`. Sequences: see
/// [`sequence::files`].
pub fn sql_job_files(job: &Job, ctx: &SqlContext) -> GeneratedJob {
    if job.kind == JobKind::Sequence {
        return GeneratedJob::default();
    }
    let mut g = SqlGen::new(job, ctx);
    let sources = g.sources();
    for s in &sources {
        g.ctes.push(Cte {
            name: g.names[&s.link.id].clone(),
            body: format!("SELECT {} FROM {}", column_list(s.link), s.table),
        });
    }
    let stages: Vec<PlanStage> = g.plan.stages.clone();
    for ps in &stages {
        if is_io(&ps.stage.stage_type) {
            continue;
        }
        let cov = stages::emit(&mut g, ps);
        g.coverage
            .push((ps.stage.name.clone(), ps.stage.stage_type.clone(), cov));
    }
    // Every parameter is known once the stages are emitted: the parameter
    // relation goes first, like any other CTE.
    if let Some(params) = g.params_cte() {
        g.ctes.insert(0, params);
    }
    let targets = g.targets();
    // A hashed file keeps one record per key, the last row written: which
    // row is last is the link's order, which a table does not keep.
    for t in &targets {
        if t.stage.stage_type == "HashedFile" {
            g.stop(
                format!("{} -> {}", t.link.name, t.stage.name),
                "hashed file written by key (the last row of a key wins): the rows' order is not kept in SQL; deduplicate by hand".into(),
            );
        }
    }
    let script = script(&mut g, &targets);
    let ddl = ddl::job_ddl(&g, &sources, &targets);
    let tests = checks::job_checks(&g, &sources, &targets);
    let mut files = vec![
        ("sql/{stem}.sql".to_string(), script.into_bytes()),
        ("ddl/{stem}.sql".to_string(), ddl.into_bytes()),
        ("tests/test_{stem}.sql".to_string(), tests.into_bytes()),
    ];
    if let Some(extract) = ddl::extract_script(&mut g, &sources) {
        files.push(("extract/{stem}.sql".to_string(), extract.into_bytes()));
    }
    if let Some(load) = ddl::load_script(&mut g, &sources, &targets) {
        files.push(("load/{stem}.sh".to_string(), load.into_bytes()));
    }
    let md = docs::job_md(&g, &sources, &targets);
    files.push(("docs/sql/{stem}.md".to_string(), md.into_bytes()));
    if let Some(rec) = reconcile::script(&g, &targets) {
        files.push(("reconcile/{stem}.sql".to_string(), rec.into_bytes()));
    }
    files.sort();
    GeneratedJob {
        files,
        todos: g.todos,
        warnings: g.warnings,
        coverage: g.coverage,
    }
}

/// `"A", "B", ...` of a link's columns.
pub fn column_list(l: &Link) -> String {
    if l.columns.is_empty() {
        return "*".into();
    }
    l.columns
        .iter()
        .map(|c| quote_ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Files written once per output folder: the parameter control table.
pub fn sql_shared_files(ctx: &SqlContext) -> Vec<(String, Vec<u8>)> {
    vec![(
        "ddl/dsmig_job_params.sql".into(),
        ddl::control_table(ctx).into_bytes(),
    )]
}

/// The job script: stops, links (Teradata), guards, then each target.
fn script(g: &mut SqlGen, targets: &[IoTable]) -> String {
    let mut writes: Vec<(String, String, Vec<Step>)> = Vec::new();
    for t in targets {
        let select = format!("SELECT {} FROM {}", column_list(t.link), g.rel(t.link));
        let steps = stages::write_steps(g, t, &select);
        writes.push((select, t.link.name.clone(), steps));
    }
    let mut steps: Vec<Step> = Vec::new();
    if !g.stops.is_empty() {
        let mut msg = format!(
            "dsmig: {} cannot run as generated ({} item(s) to finish, see docs): {}",
            g.job.name,
            g.stops.len(),
            g.stops[0]
        );
        if msg.chars().count() > 240 {
            msg = msg.chars().take(237).collect::<String>() + "...";
        }
        steps.push(Step {
            title: format!(
                "STOP: this job has parts dsmig could not translate:\n{}\nThe statement below fails on purpose; remove it once they are done.",
                g.stops
                    .iter()
                    .map(|s| format!("  - {}", super::glue::one_line(s, 150)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            sql: g.rules.stop(&msg),
        });
    }
    let mut queries: Vec<String> = writes.iter().map(|(s, _, _)| s.clone()).collect();
    queries.extend(g.guards.iter().map(|x| x.select.clone()));
    if g.rules.volatile_links() {
        steps.extend(g.volatile_steps(&queries));
    }
    for guard in g.guards.clone() {
        let with = g.with_clause(&guard.select);
        steps.push(Step {
            title: guard.title.clone(),
            sql: format!("{with}{};", guard.select),
        });
    }
    for (_, _, s) in writes {
        steps.extend(s);
    }
    if targets.is_empty() {
        g.warnings
            .push("the job writes no table or file: the script has no statement".into());
    }
    let header = header(g);
    g.rules.script(&crate::dialects::Script {
        job: &g.job.name,
        header: &header,
        steps: &steps,
    })
}

fn header(g: &SqlGen) -> String {
    let d = g.d.as_str();
    let mut h = vec![
        format!("Job {} migrated from DataStage by dsmig ({d}).", g.job.name),
        format!("DataStage folder: {}", g.job.folder),
    ];
    if !g.job.description.trim().is_empty() {
        h.push(format!(
            "Description: {}",
            super::glue::one_line(&g.job.description, 100)
        ));
    }
    h.push(format!(
        "Category: {} (strategy: {})",
        if g.ctx.category.is_empty() {
            "unknown"
        } else {
            &g.ctx.category
        },
        if g.ctx.strategy.is_empty() {
            "rule-based"
        } else {
            &g.ctx.strategy
        }
    ));
    h.push(String::new());
    h.push("Run order: ddl/dsmig_job_params.sql and ddl/<job>.sql once; then per run".into());
    h.push("load/<job>.sh (files into staging) and extract/<job>.sql (database".into());
    h.push("sources into staging), this script, load/<job>.sh unloads file targets.".into());
    if !g.params_used.is_empty() {
        h.push(format!(
            "Parameters ({}) come from {CONTROL_TABLE} (job_name, param_name,",
            g.params_used.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
        h.push("param_value); the export's defaults apply where no row is set.".into());
    }
    g.rules.comment(&h.join("\n")) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_hold_no_sql() {
        for ok in [
            "T_OUT",
            "SCH.T",
            "db.sch.t",
            "\"My T\".x",
            "[dbo].[t]",
            "A$B#C",
        ] {
            assert_eq!(table_name(ok), ok);
        }
        assert_eq!(table_name("t; DROP TABLE x"), "\"t; DROP TABLE x\"");
        assert_eq!(table_name("s.t x"), "s.\"t x\"");
        assert_eq!(table_name("a.b.c.d"), "\"a.b.c.d\"");
        assert_eq!(table_name("\"a\nb\""), "\"\"\"a b\"\"\"");
        assert_eq!(table_name("x\"; y"), "\"x\"\"; y\"");
    }

    #[test]
    fn identifiers_are_one_line_and_bounded() {
        assert_eq!(quote_ident("a\"b\nc"), "\"a\"\"b c\"");
        let long = quote_ident(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), 130);
        assert_ne!(long, quote_ident(&"x".repeat(9_999)));
    }
}
