//! Lineage: what each job reads, writes, runs and uses, and the project
//! graph built from it with petgraph, from which migration waves (an order
//! where what a job reads is migrated before or with it) and cycles come.
//!
//! Per job ([`job_io`], pure, memoisable):
//! - tables from connector and legacy database stages: `TableName`
//!   properties (direction from the stage's links: a stage with output
//!   links reads, with input links writes) and SQL text (`SELECT … FROM a
//!   JOIN b` reads; `INSERT INTO`, `UPDATE`, `DELETE FROM`, `MERGE INTO`,
//!   `TRUNCATE TABLE` write), scanned by a small tolerant scanner;
//! - files from sequential file / data set / file set stages: the `file`
//!   (or `FileName`, `dataset`…) options on the output pin (read) or input
//!   pin (write), or on the stage;
//! - `#PARAM#` references resolved against the job's parameter defaults
//!   when the default is set (not empty, not `$PROJDEF`, not redacted);
//! - runs: job activities' job names; containers: shared containers used;
//!   routines: `DSU.*` calls, routine activities, before/after subroutines.
//!
//! Project level ([`lineage`]): edges Table/File → Job (reads), Job →
//! Table/File (writes), Job → Job (runs), Job → Container, Job → Routine.
//! Job A depends on job B when A reads something B writes, or A (a
//! sequence) runs B. Waves are the longest-path layers of the condensation
//! of that dependency graph (strongly connected components, Tarjan), so
//! the jobs of a cycle land in one wave together; cycles are reported.
//! A job that reads and writes the same table does not depend on itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use super::groups::JobKey;
use super::scan::{Tok, called_functions, tokenize};
use crate::ir::{Job, PropNode, PropValue, Property, REDACTED, Stage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DataKind {
    Table,
    File,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DataRef {
    pub kind: DataKind,
    /// Resolved name: parameters substituted where possible; tables
    /// upper-cased without quotes.
    pub name: String,
    /// The text as written in the job.
    pub raw: String,
    /// Stage that reads or writes it.
    pub stage: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobIo {
    pub reads: Vec<DataRef>,
    pub writes: Vec<DataRef>,
    /// Jobs run (sequence job activities), sorted, unique.
    pub runs: Vec<String>,
    pub containers: Vec<String>,
    pub routines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Node {
    Job(JobKey),
    /// A job run by a sequence but not among the jobs given.
    MissingJob(String),
    Table(String),
    File(String),
    Container(String),
    Routine(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EdgeKind {
    Runs,
    Reads,
    Writes,
    UsesContainer,
    CallsRoutine,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    pub kind: EdgeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lineage {
    /// Sorted, unique.
    pub edges: Vec<Edge>,
    /// Wave 0 first; each wave sorted.
    pub waves: Vec<Vec<JobKey>>,
    /// Strongly connected components of more than one job, sorted.
    pub cycles: Vec<Vec<JobKey>>,
}

// ---------------------------------------------------------------------------
// Per job

/// What one job reads, writes, runs and uses. Pure.
pub fn job_io(job: &Job) -> JobIo {
    let params = ParamDefaults::new(job);
    let mut io = JobIo::default();
    let mut reads = BTreeSet::new();
    let mut writes = BTreeSet::new();
    let mut routines = BTreeSet::new();
    let mut runs = BTreeSet::new();

    for stage in &job.stages {
        let has_out = job.links.iter().any(|l| l.from_stage == stage.id);
        let has_in = job
            .links
            .iter()
            .any(|l| l.to_stage.as_deref() == Some(stage.id.as_str()));
        // Data is read and written by I/O stages only (not by activities'
        // command paths or debug options).
        let is_io =
            super::catalogue::lookup(&stage.stage_type).class == super::catalogue::StageClass::Io;
        let mut found = Found::default();
        for p in stage.properties.iter().filter(|_| is_io) {
            scan_property(p, &mut found);
        }
        let add = |set: &mut BTreeSet<DataRef>, kind: DataKind, raw: &str| {
            if let Some(r) = params.data_ref(kind, raw, &stage.name) {
                set.insert(r);
            }
        };
        // Stage-level table names and files: direction from the links.
        for t in &found.tables {
            if has_out || !has_in {
                add(&mut reads, DataKind::Table, t);
            }
            if has_in {
                add(&mut writes, DataKind::Table, t);
            }
        }
        for f in &found.files {
            if has_out || !has_in {
                add(&mut reads, DataKind::File, f);
            }
            if has_in {
                add(&mut writes, DataKind::File, f);
            }
        }
        for sql in &found.sql {
            let (r, w) = scan_sql(sql);
            for t in r {
                add(&mut reads, DataKind::Table, &t);
            }
            for t in w {
                add(&mut writes, DataKind::Table, &t);
            }
        }
        // Pin options: output pin = read, input pin = write.
        for l in &job.links {
            if is_io && l.from_stage == stage.id {
                let mut f = Found::default();
                for p in &l.source_properties {
                    scan_property(p, &mut f);
                }
                for x in &f.files {
                    add(&mut reads, DataKind::File, x);
                }
                for x in &f.tables {
                    add(&mut reads, DataKind::Table, x);
                }
                for sql in &f.sql {
                    let (r, w) = scan_sql(sql);
                    r.iter().for_each(|t| add(&mut reads, DataKind::Table, t));
                    w.iter().for_each(|t| add(&mut writes, DataKind::Table, t));
                }
            }
            if is_io && l.to_stage.as_deref() == Some(stage.id.as_str()) {
                let mut f = Found::default();
                for p in &l.target_properties {
                    scan_property(p, &mut f);
                }
                for x in &f.files {
                    add(&mut writes, DataKind::File, x);
                }
                for x in &f.tables {
                    add(&mut writes, DataKind::Table, x);
                }
                for sql in &f.sql {
                    let (r, w) = scan_sql(sql);
                    r.iter().for_each(|t| add(&mut reads, DataKind::Table, t));
                    w.iter().for_each(|t| add(&mut writes, DataKind::Table, t));
                }
            }
        }
        if let Some(a) = &stage.activity
            && !a.job_name.trim().is_empty()
        {
            runs.insert(params.resolve(a.job_name.trim()));
        }
        if stage.stage_type == "RoutineActivity" {
            routines.extend(routine_of_activity(stage));
        }
        if let Some(c) = &stage.container {
            io.containers.push(c.clone());
        }
        for text in expressions_of(job, stage) {
            for f in called_functions(text) {
                if f.to_ascii_uppercase().starts_with("DSU.") {
                    routines.insert(f[4..].to_string());
                }
            }
        }
    }
    for p in &job.properties {
        // ISX: the routines the job calls, listed by the export.
        if p.name == "RoutineCalls"
            && let PropValue::Text(v) = &p.value
        {
            for n in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                routines.insert(n.strip_prefix("DSU.").unwrap_or(n).to_string());
            }
        }
        if matches!(
            p.name.as_str(),
            "BeforeSubr" | "AfterSubr" | "ControlAfterSubr"
        ) && let PropValue::Text(v) = &p.value
        {
            let name = v.split('\\').next().unwrap_or("").trim();
            let name = name.strip_prefix("DSU.").unwrap_or(name);
            if !name.is_empty() && !name.chars().all(|c| c.is_ascii_digit()) {
                routines.insert(name.to_string());
            }
        }
    }
    io.containers.extend(job.shared_containers.iter().cloned());
    io.containers.sort();
    io.containers.dedup();
    io.reads = reads.into_iter().collect();
    io.writes = writes.into_iter().collect();
    io.runs = runs.into_iter().collect();
    io.routines = routines.into_iter().collect();
    io
}

fn routine_of_activity(stage: &Stage) -> Vec<String> {
    let mut out = Vec::new();
    for p in &stage.properties {
        let n = p.name.to_ascii_lowercase();
        if (n.contains("routine") || n == "name")
            && let PropValue::Text(v) = &p.value
            && !v.trim().is_empty()
        {
            out.push(v.trim().to_string());
        }
    }
    if let Some(a) = &stage.activity
        && !a.mode.trim().is_empty()
        && out.is_empty()
    {
        out.push(a.mode.trim().to_string());
    }
    out
}

/// Derivations, constraints and stage variables touching a stage.
fn expressions_of<'a>(job: &'a Job, stage: &'a Stage) -> Vec<&'a str> {
    let mut out = Vec::new();
    if let Some(t) = &stage.transformer {
        for v in t.stage_vars.iter().chain(&t.loop_vars) {
            out.push(v.expression.as_str());
            out.push(v.initial_value.as_str());
        }
        out.push(t.loop_condition.as_str());
    }
    for l in job.links.iter().filter(|l| l.from_stage == stage.id) {
        out.push(l.constraint.as_str());
        for c in &l.columns {
            out.push(c.derivation.as_str());
        }
    }
    if let Some(a) = &stage.activity {
        for (_, e) in &a.parameter_values {
            out.push(e.as_str());
        }
        for t in &a.triggers {
            out.push(t.expression.as_str());
        }
    }
    out
}

#[derive(Default)]
struct Found {
    tables: Vec<String>,
    files: Vec<String>,
    sql: Vec<String>,
}

fn classify_name(name: &str) -> Option<DataKind> {
    // The last path segment of connector properties.
    let last = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    match last.as_str() {
        "tablename" | "table" | "tablenames" => Some(DataKind::Table),
        "file" | "filename" | "file +" | "filepattern" | "dataset" | "fileset"
        | "lookupfileset" | "path" => Some(DataKind::File),
        _ => None,
    }
}

fn is_sql_name(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    matches!(
        last.as_str(),
        "selectstatement"
            | "insertstatement"
            | "updatestatement"
            | "deletestatement"
            | "upsertstatement"
            | "userdefinedsql"
            | "beforesql"
            | "aftersql"
            | "beforesqlnode"
            | "aftersqlnode"
            | "sqlprimary"
            | "query"
            | "statement"
            | "sql"
    )
}

fn scan_property(p: &Property, out: &mut Found) {
    match &p.value {
        PropValue::Text(v) => scan_pair(&p.name, v, out),
        PropValue::Connector(pairs) => {
            for (k, v) in pairs {
                // `…/SelectStatement/Tables/Table` lists tables the SQL
                // builder knew; the SQL itself is scanned anyway.
                if k.contains("Statement/") {
                    continue;
                }
                scan_pair(k, v, out);
            }
        }
        PropValue::Tree(nodes) => {
            for n in nodes {
                scan_node(&p.name, n, out);
            }
        }
    }
}

fn scan_node(parent: &str, n: &PropNode, out: &mut Found) {
    let name = if classify_name(&n.name).is_some() || is_sql_name(&n.name) {
        n.name.as_str()
    } else {
        parent
    };
    scan_pair(name, &n.value, out);
    for c in &n.children {
        scan_node(name, c, out);
    }
}

fn scan_pair(name: &str, value: &str, out: &mut Found) {
    let v = value.trim();
    if v.is_empty() || v.chars().count() <= 1 {
        return;
    }
    if is_sql_name(name) {
        out.sql.push(v.to_string());
        return;
    }
    match classify_name(name) {
        Some(DataKind::Table) => out.tables.push(v.to_string()),
        Some(DataKind::File) => out.files.push(v.to_string()),
        None => {}
    }
}

/// Keywords that end a table list or cannot be table names.
pub(crate) fn is_sql_keyword(u: &str) -> bool {
    matches!(
        u,
        "SELECT"
            | "FROM"
            | "WHERE"
            | "GROUP"
            | "ORDER"
            | "HAVING"
            | "UNION"
            | "ALL"
            | "JOIN"
            | "INNER"
            | "LEFT"
            | "RIGHT"
            | "FULL"
            | "OUTER"
            | "CROSS"
            | "ON"
            | "USING"
            | "AS"
            | "SET"
            | "VALUES"
            | "INTO"
            | "UPDATE"
            | "DELETE"
            | "INSERT"
            | "MERGE"
            | "TABLE"
            | "TRUNCATE"
            | "LIMIT"
            | "WITH"
            | "WHEN"
            | "THEN"
            | "AND"
            | "OR"
            | "NOT"
            | "LATERAL"
            | "NATURAL"
            | "FETCH"
            | "QUALIFY"
            | "MINUS"
            | "EXCEPT"
            | "INTERSECT"
    )
}

/// Tables read and written by a SQL text (several statements allowed).
/// Tolerant: anything it does not understand is skipped.
pub fn scan_sql(sql: &str) -> (Vec<String>, Vec<String>) {
    let toks = tokenize(sql);
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let mut i = 0;
    // Names of CTEs are not tables.
    let mut ctes: BTreeSet<String> = BTreeSet::new();
    while i < toks.len() {
        let word = match toks[i] {
            Tok::Ident(w) => w.to_ascii_uppercase(),
            _ => {
                i += 1;
                continue;
            }
        };
        let next_is_as_paren = matches!(toks.get(i + 1), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("AS"))
            && matches!(toks.get(i + 2), Some(Tok::Punct("(")));
        if next_is_as_paren {
            ctes.insert(word.clone());
        }
        let (target, list): (Option<&mut Vec<String>>, bool) = match word.as_str() {
            "FROM" => {
                // DELETE FROM t writes.
                let deleting = i > 0
                    && matches!(toks[i - 1], Tok::Ident(w) if w.eq_ignore_ascii_case("DELETE"));
                if deleting {
                    (Some(&mut writes), false)
                } else {
                    (Some(&mut reads), true)
                }
            }
            "JOIN" | "USING" => (Some(&mut reads), false),
            "INTO" | "UPDATE" => (Some(&mut writes), false),
            "TABLE" => {
                let truncating = i > 0
                    && matches!(toks[i - 1], Tok::Ident(w) if w.eq_ignore_ascii_case("TRUNCATE"));
                if truncating {
                    (Some(&mut writes), false)
                } else {
                    (None, false)
                }
            }
            _ => (None, false),
        };
        i += 1;
        let Some(target) = target else { continue };
        // Read one table (or, after FROM, a comma-separated list).
        loop {
            match toks.get(i) {
                Some(Tok::Ident(w)) if !is_sql_keyword(&w.to_ascii_uppercase()) => {
                    let mut name = w.to_string();
                    i += 1;
                    // `schema.#P#` or `#P#.table`: glue adjacent parts.
                    while let Some(t) = toks.get(i) {
                        match t {
                            Tok::Param(p) if name.ends_with('.') || name.is_empty() => {
                                name.push_str(&format!("#{p}#"));
                                i += 1;
                            }
                            Tok::Punct(".") => {
                                name.push('.');
                                i += 1;
                            }
                            Tok::Ident(w2) if name.ends_with('.') => {
                                name.push_str(w2);
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    target.push(name);
                }
                Some(Tok::Param(p)) => {
                    let mut name = format!("#{p}#");
                    i += 1;
                    while let Some(t) = toks.get(i) {
                        match t {
                            Tok::Ident(w2) if w2.starts_with('.') || name.ends_with('.') => {
                                name.push_str(w2);
                                i += 1;
                            }
                            Tok::Punct(".") => {
                                name.push('.');
                                i += 1;
                            }
                            Tok::Param(p2) if name.ends_with('.') => {
                                name.push_str(&format!("#{p2}#"));
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    target.push(name);
                }
                Some(Tok::Str(s)) if !s.is_empty() => {
                    // Quoted identifier in some dialects: "SCHEMA"."T".
                    target.push(s.to_string());
                    i += 1;
                }
                _ => break,
            }
            if !list {
                break;
            }
            // Skip an alias, then continue on a comma.
            if let Some(Tok::Ident(w)) = toks.get(i)
                && !is_sql_keyword(&w.to_ascii_uppercase())
            {
                i += 1;
            }
            if let Some(Tok::Ident(w)) = toks.get(i)
                && w.eq_ignore_ascii_case("AS")
            {
                i += 2;
            }
            if matches!(toks.get(i), Some(Tok::Punct(","))) {
                i += 1;
            } else {
                break;
            }
        }
    }
    let keep = |v: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = v
            .into_iter()
            .filter(|t| {
                let u = t.to_ascii_uppercase();
                u != "DUAL" && !ctes.contains(&u) && !u.starts_with("ORCHESTRATE")
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    (keep(reads), keep(writes))
}

struct ParamDefaults {
    map: HashMap<String, String>,
}

impl ParamDefaults {
    fn new(job: &Job) -> ParamDefaults {
        let mut map = HashMap::new();
        for p in &job.parameters {
            let d = p.default.trim();
            if d.is_empty() || d == REDACTED || d.eq_ignore_ascii_case("$PROJDEF") {
                continue;
            }
            map.insert(p.name.to_ascii_uppercase(), d.to_string());
            if let Some(set) = &p.parameter_set {
                map.insert(
                    format!(
                        "{}.{}",
                        set.to_ascii_uppercase(),
                        p.name.to_ascii_uppercase()
                    ),
                    d.to_string(),
                );
            }
        }
        ParamDefaults { map }
    }

    /// Substitute `#NAME#` / `#SET.NAME#` where a default is known.
    fn resolve(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('#') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('#') else { break };
            let name = &after[..end];
            out.push_str(&rest[..start]);
            match self.map.get(&name.to_ascii_uppercase()) {
                Some(v) if end > 0 => out.push_str(v),
                _ => {
                    out.push('#');
                    out.push_str(name);
                    out.push('#');
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn data_ref(&self, kind: DataKind, raw: &str, stage: &str) -> Option<DataRef> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().any(char::is_control) {
            return None;
        }
        let mut name = self.resolve(raw);
        if kind == DataKind::Table {
            name = name.replace(['"', '`', '[', ']'], "").to_ascii_uppercase();
        }
        Some(DataRef {
            kind,
            name,
            raw: raw.to_string(),
            stage: stage.to_string(),
        })
    }
}

// ---------------------------------------------------------------------------
// Project level

/// Build the lineage graph of all jobs (`io` from [`job_io`], by key;
/// `names` maps each key to its job name, used to resolve sequences'
/// `runs`).
pub fn lineage(jobs: &[(JobKey, &Job)]) -> Lineage {
    let ios: Vec<(JobKey, String, JobIo)> = jobs
        .iter()
        .map(|(k, j)| (k.clone(), j.name.clone(), job_io(j)))
        .collect();
    lineage_from_io(&ios)
}

/// Same as [`lineage`] from memoised per-job results: (key, job name, io).
pub fn lineage_from_io(ios: &[(JobKey, String, JobIo)]) -> Lineage {
    let mut ios: Vec<&(JobKey, String, JobIo)> = ios.iter().collect();
    ios.sort_by(|a, b| a.0.cmp(&b.0));
    ios.dedup_by(|a, b| a.0 == b.0);

    let mut by_name: BTreeMap<&str, Vec<&JobKey>> = BTreeMap::new();
    for (k, name, _) in &ios {
        by_name.entry(name.as_str()).or_default().push(k);
    }
    let mut edges: BTreeSet<Edge> = BTreeSet::new();
    let mut writers: BTreeMap<(DataKind, &str), BTreeSet<&JobKey>> = BTreeMap::new();
    for (k, _, io) in &ios {
        for w in &io.writes {
            writers
                .entry((w.kind, w.name.as_str()))
                .or_default()
                .insert(k);
        }
    }
    let data_node = |r: &DataRef| match r.kind {
        DataKind::Table => Node::Table(r.name.clone()),
        DataKind::File => Node::File(r.name.clone()),
    };

    let mut g: DiGraph<&JobKey, ()> = DiGraph::new();
    let mut idx: BTreeMap<&JobKey, NodeIndex> = BTreeMap::new();
    for (k, _, _) in &ios {
        idx.insert(k, g.add_node(k));
    }
    // Dependency edge: `dep` must be migrated before or with `job`.
    let mut deps: BTreeSet<(&JobKey, &JobKey)> = BTreeSet::new();
    for (k, _, io) in &ios {
        let me = Node::Job((*k).clone());
        for r in &io.reads {
            edges.insert(Edge {
                from: data_node(r),
                to: me.clone(),
                kind: EdgeKind::Reads,
            });
            if let Some(ws) = writers.get(&(r.kind, r.name.as_str())) {
                for w in ws {
                    if *w != k {
                        deps.insert((w, k));
                    }
                }
            }
        }
        for w in &io.writes {
            edges.insert(Edge {
                from: me.clone(),
                to: data_node(w),
                kind: EdgeKind::Writes,
            });
        }
        for name in &io.runs {
            match by_name.get(name.as_str()) {
                Some(targets) => {
                    for t in targets {
                        edges.insert(Edge {
                            from: me.clone(),
                            to: Node::Job((*t).clone()),
                            kind: EdgeKind::Runs,
                        });
                        if *t != k {
                            deps.insert((t, k));
                        }
                    }
                }
                None => {
                    edges.insert(Edge {
                        from: me.clone(),
                        to: Node::MissingJob(name.clone()),
                        kind: EdgeKind::Runs,
                    });
                }
            }
        }
        for c in &io.containers {
            edges.insert(Edge {
                from: me.clone(),
                to: Node::Container(c.clone()),
                kind: EdgeKind::UsesContainer,
            });
        }
        for r in &io.routines {
            edges.insert(Edge {
                from: me.clone(),
                to: Node::Routine(r.clone()),
                kind: EdgeKind::CallsRoutine,
            });
        }
    }
    for (a, b) in &deps {
        g.add_edge(idx[a], idx[b], ());
    }

    // Condensation: component of each node, then longest-path layering.
    let sccs = tarjan_scc(&g);
    let mut comp = vec![0usize; g.node_count()];
    for (c, nodes) in sccs.iter().enumerate() {
        for n in nodes {
            comp[n.index()] = c;
        }
    }
    let mut cycles: Vec<Vec<JobKey>> = sccs
        .iter()
        .filter(|s| s.len() > 1)
        .map(|s| {
            let mut v: Vec<JobKey> = s.iter().map(|n| g[*n].clone()).collect();
            v.sort();
            v
        })
        .collect();
    cycles.sort();
    // tarjan_scc returns components in reverse topological order.
    let mut level = vec![0usize; sccs.len()];
    for c in (0..sccs.len()).rev() {
        for n in &sccs[c] {
            for succ in g.neighbors(*n) {
                let d = comp[succ.index()];
                if d != c {
                    level[d] = level[d].max(level[c] + 1);
                }
            }
        }
    }
    let mut waves: Vec<Vec<JobKey>> = Vec::new();
    for n in g.node_indices() {
        let l = level[comp[n.index()]];
        if waves.len() <= l {
            waves.resize(l + 1, Vec::new());
        }
        waves[l].push(g[n].clone());
    }
    for w in &mut waves {
        w.sort();
    }
    Lineage {
        edges: edges.into_iter().collect(),
        waves,
        cycles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::features::tests::{conn, sample_job};
    use crate::ir::{Activity, PropNode, Property};

    #[test]
    fn scans_sql() {
        let (r, w) = scan_sql(
            "SELECT a.x FROM sales.orders a JOIN #SCH#.customers c ON a.id=c.id, dual \
             WHERE y IN (SELECT z FROM t3)",
        );
        assert_eq!(r, vec!["#SCH#.customers", "sales.orders", "t3"]);
        assert!(w.is_empty());
        let (r, w) =
            scan_sql("INSERT INTO dw.f (a) SELECT a FROM s; TRUNCATE TABLE stg; DELETE FROM old");
        assert_eq!(r, vec!["s"]);
        assert_eq!(w, vec!["dw.f", "old", "stg"]);
        let (r, w) = scan_sql("update T set a = 1 where b in (select b from U)");
        assert_eq!((r, w), (vec!["U".to_string()], vec!["T".to_string()]));
        let _ = scan_sql("FROM FROM , ( JOIN");
    }

    #[test]
    fn job_io_resolves_parameters_and_directions() {
        let j = sample_job("A", "CUSTOMERS", "DIM_CUST", "l");
        let io = job_io(&j);
        let reads: Vec<&str> = io.reads.iter().map(|r| r.name.as_str()).collect();
        let writes: Vec<&str> = io.writes.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(reads, vec!["CUSTOMERS"]);
        assert_eq!(writes, vec!["DW.DIM_CUST"]);
    }

    #[test]
    fn files_from_pins_and_waves() {
        let mut a = sample_job("A", "SRC", "MID", "l");
        a.stages[2].properties = vec![];
        a.links[1].target_properties = vec![Property {
            name: "file".into(),
            value: PropValue::Tree(vec![PropNode {
                name: "file".into(),
                value: "#DIR#/mid.csv".into(),
                children: vec![],
            }]),
        }];
        a.parameters[0].name = "DIR".into();
        a.parameters[0].default = "/data".into();
        let mut b = sample_job("B", "X", "OUT", "l");
        b.stages[0].properties = vec![];
        b.links[0].source_properties = vec![Property {
            name: "file".into(),
            value: PropValue::Tree(vec![PropNode {
                name: "file".into(),
                value: "/data/mid.csv".into(),
                children: vec![],
            }]),
        }];
        let mut seq = sample_job("SEQ", "X", "Y", "l");
        seq.kind = crate::ir::JobKind::Sequence;
        seq.links.clear();
        seq.stages.truncate(1);
        seq.stages[0].properties = vec![conn(&[])];
        seq.stages[0].stage_type = "JobActivity".into();
        seq.stages[0].activity = Some(Activity {
            job_name: "B".into(),
            ..Default::default()
        });
        assert_eq!(job_io(&a).writes[0].name, "/data/mid.csv");
        let jobs = vec![
            ("a".to_string(), &a),
            ("b".to_string(), &b),
            ("s".to_string(), &seq),
        ];
        let l = lineage(&jobs);
        assert_eq!(
            l.waves,
            vec![
                vec!["a".to_string()],
                vec!["b".to_string()],
                vec!["s".to_string()]
            ]
        );
        assert!(l.cycles.is_empty());
        // A cycle: b also writes what a reads.
        let mut b2 = b.clone();
        b2.stages[2].properties = vec![conn(&[("Usage/TableName", "SRC")])];
        let jobs = vec![("a".to_string(), &a), ("b".to_string(), &b2)];
        let l = lineage(&jobs);
        assert_eq!(l.cycles, vec![vec!["a".to_string(), "b".to_string()]]);
        assert_eq!(l.waves.len(), 1);
    }

    #[test]
    fn a_sequence_runs_the_job_of_its_exact_name_not_one_differing_by_case() {
        // istool archives hold `X.pjb` and `x.pjb1`: two jobs.
        let upper = sample_job("X", "S1", "T1", "l");
        let lower = sample_job("x", "S2", "T2", "l");
        let mut seq = sample_job("SEQ", "S3", "T3", "l");
        seq.kind = crate::ir::JobKind::Sequence;
        seq.links.clear();
        seq.stages.truncate(1);
        seq.stages[0].properties = vec![conn(&[])];
        seq.stages[0].stage_type = "JobActivity".into();
        seq.stages[0].activity = Some(Activity {
            job_name: "x".into(),
            ..Default::default()
        });
        let jobs = vec![
            ("k_upper".to_string(), &upper),
            ("k_lower".to_string(), &lower),
            ("k_seq".to_string(), &seq),
        ];
        let l = lineage(&jobs);
        let runs: Vec<&Node> = l
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Runs)
            .map(|e| &e.to)
            .collect();
        assert_eq!(runs, [&Node::Job("k_lower".to_string())]);
        assert_eq!(
            l.waves,
            vec![
                vec!["k_lower".to_string(), "k_upper".to_string()],
                vec!["k_seq".to_string()]
            ]
        );
    }
}
