//! Rendering a [`Spec`] with a [`Naming`] into the DSX record tree.

use super::model::*;
use super::names::*;
use super::rng::{Rng, derive};
use super::spec::*;
use std::collections::BTreeSet;

/// Everything that differs between members of an exact-duplicate group.
#[derive(Clone, Debug)]
pub struct Naming {
    pub job_name: String,
    /// Stage/link names and ids (shared by near-duplicate members).
    pub name_seed: u64,
    /// Literals, table and file names, parameter defaults.
    pub lit_seed: u64,
    /// Dates, canvas geometry, other noise.
    pub noise_seed: u64,
    /// Pattern-level choices that are not names (display sizes, which pins
    /// carry an OSH schema, help texts): shared by a group or cluster.
    pub structure_seed: u64,
    /// Names of the jobs a sequence runs (`{J<n>}`).
    pub run_jobs: Vec<String>,
    /// Literal connector password to plant (ground-truth marker).
    pub password: Option<String>,
    /// Write compiled OSH into the ROOT record.
    pub with_osh: bool,
}

pub struct Resolved {
    pub stage_names: Vec<String>,
    pub stage_ids: Vec<String>,
    pub link_names: Vec<String>,
    pub strs: Vec<String>,
    pub nums: Vec<String>,
    pub tables: Vec<String>,
    pub files: Vec<String>,
}

pub struct JobStats {
    pub stages: usize,
    pub links: usize,
    pub columns: usize,
    pub reasons: Vec<String>,
    pub stage_types: Vec<String>,
}

fn title_case(w: &str) -> String {
    let mut s = String::new();
    for (i, c) in w.chars().enumerate() {
        if i == 0 {
            s.push(c.to_ascii_uppercase());
        } else {
            s.push(c.to_ascii_lowercase());
        }
    }
    s
}

pub fn resolve(spec: &Spec, n: &Naming) -> Resolved {
    let mut used = BTreeSet::new();
    let mut stage_names = Vec::new();
    let mut stage_ids = Vec::new();
    let mut idr = Rng::sub(n.name_seed, "ids", 0);
    let mut next_id = idr.range(0, 3);
    for (i, st) in spec.stages.iter().enumerate() {
        let mut r = Rng::sub(n.name_seed, "stage", i as u64);
        let hint = st.kind.hint();
        let w = *r.pick(WORDS);
        let base = match (spec.kind, r.below(4)) {
            (Kind::Sequence, _) => format!("{hint}_{}", title_case(w)),
            (_, 0) => format!("{hint}_{w}"),
            (_, 1) => format!("{}_{hint}", title_case(w)),
            (_, 2) => format!("{w}_{}_{hint}", r.pick(LAYERS)),
            _ => format!("{}{}", title_case(hint), title_case(w)),
        };
        let mut name = base.clone();
        let mut k = 1;
        while !used.insert(name.clone()) {
            k += 1;
            name = format!("{base}_{k}");
        }
        stage_names.push(name);
        stage_ids.push(format!("V0S{next_id}"));
        next_id += 1 + idr.weighted(&[70, 15, 10, 5]) * idr.range(1, 6);
    }
    let mut link_names = Vec::new();
    let mut lused = BTreeSet::new();
    let mut dsl = Rng::sub(n.name_seed, "dslink", 0).range(1, 60);
    for i in 0..spec.links.len() {
        let mut r = Rng::sub(n.name_seed, "link", i as u64);
        let base = match r.below(5) {
            0 | 1 => {
                dsl += r.range(1, 4);
                format!("DSLink{dsl}")
            }
            2 => format!("lnk_{}", r.pick(WORDS).to_ascii_lowercase()),
            3 => format!(
                "{}_{}",
                r.pick(WORDS).to_ascii_lowercase(),
                r.pick(&["out", "in", "rej", "ref", "lnk", "data"])
            ),
            _ => format!(
                "{}{}",
                title_case(r.pick::<&str>(WORDS)),
                title_case(r.pick::<&str>(ACTIONS))
            ),
        };
        let base = if spec.kind == Kind::Sequence {
            format!("{base}_trg")
        } else {
            base
        };
        let mut name = base.clone();
        let mut k = 1;
        while !lused.insert(name.clone()) {
            k += 1;
            name = format!("{base}{k}");
        }
        link_names.push(name);
    }
    let mut lr = Rng::sub(n.lit_seed, "lit", 0);
    let strs = (0..spec.n_str)
        .map(|_| lr.pick(LITERALS).to_string())
        .collect();
    let nums = (0..spec.n_num)
        .map(|_| match lr.below(3) {
            0 => lr.range(0, 10).to_string(),
            1 => lr.range(10, 1000).to_string(),
            _ => format!("{}.{:02}", lr.range(0, 99), lr.range(0, 99)),
        })
        .collect();
    let tables = (0..spec.n_tables)
        .map(|_| match lr.below(3) {
            0 => format!("{}_{}", lr.pick(LAYERS), lr.pick(WORDS)),
            1 => format!("{}_{}_{}", lr.pick(LAYERS), lr.pick(WORDS), lr.pick(WORDS)),
            _ => format!(
                "{}_{}",
                lr.pick(WORDS),
                lr.pick(&["DIM", "FACT", "HIST", "STG", "XREF", "SNAP"])
            ),
        })
        .collect();
    let files = (0..spec.n_files)
        .map(|_| {
            format!(
                "{}{}_{}{}",
                lr.pick(DIRS),
                lr.pick(WORDS).to_ascii_lowercase(),
                lr.pick(&["extract", "daily", "full", "delta", "out", "in"]),
                lr.pick(&[".csv", ".txt", ".dat", ".csv", "_#RUN_DATE#.csv", ".psv"])
            )
        })
        .collect();
    Resolved {
        stage_names,
        stage_ids,
        link_names,
        strs,
        nums,
        tables,
        files,
    }
}

/// Substitute placeholders.
pub fn subst(t: &str, rs: &Resolved, n: &Naming) -> String {
    if !t.contains('{') {
        return t.to_string();
    }
    let mut out = String::with_capacity(t.len() + 16);
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{'
            && i + 2 < b.len()
            && matches!(b[i + 1], b'L' | b'S' | b'N' | b'T' | b'F' | b'J')
            && b[i + 2].is_ascii_digit()
        {
            let mut j = i + 2;
            let mut v = 0usize;
            while j < b.len() && b[j].is_ascii_digit() {
                v = v * 10 + (b[j] - b'0') as usize;
                j += 1;
            }
            if j < b.len() && b[j] == b'}' {
                let s: &str = match b[i + 1] {
                    b'L' => &rs.link_names[v],
                    b'S' => &rs.strs[v],
                    b'N' => &rs.nums[v],
                    b'T' => &rs.tables[v],
                    b'F' => &rs.files[v],
                    _ => n
                        .run_jobs
                        .get(v)
                        .map(String::as_str)
                        .unwrap_or("MissingJob"),
                };
                out.push_str(s);
                i = j + 1;
                continue;
            }
        }
        let ch = t[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Classification reasons derived from the final spec.
pub fn reasons(spec: &Spec) -> Vec<String> {
    let mut v = BTreeSet::new();
    for st in &spec.stages {
        match &st.kind {
            SK::ChangeCapture { .. } => {
                v.insert("complex stage PxChangeCapture".to_string());
            }
            SK::SurrogateKey { .. } => {
                v.insert("complex stage PxSurrogateKeyGenerator".to_string());
            }
            SK::Scd { .. } => {
                v.insert("unsupported stage PxSCD".to_string());
            }
            SK::BuildOp { ty } => {
                v.insert(format!("unsupported stage {ty}"));
            }
            SK::Generic { .. } => {
                v.insert("unsupported stage PxGeneric".to_string());
            }
            _ => {}
        }
        for (i, sv) in st.svars.iter().enumerate() {
            let refs_later_or_self = st.svars[i..].iter().any(|o| mentions(&sv.expr, &o.name));
            if refs_later_or_self {
                v.insert(format!("self-referencing stage variable {}", sv.name));
            }
        }
    }
    for l in &spec.links {
        for c in &l.cols {
            if let Some(d) = &c.deriv
                && let Some(p) = d.find("DSU.")
            {
                let name: String = d[p..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                    .collect();
                v.insert(format!("unknown routine {name}"));
            }
        }
    }
    if let Some(b) = &spec.before_subr
        && b.starts_with("DSU.ExecSH")
    {
        v.insert("before-job subroutine DSU.ExecSH".to_string());
    }
    v.into_iter().collect()
}

fn mentions(expr: &str, name: &str) -> bool {
    let b = expr.as_bytes();
    let mut start = 0;
    while let Some(p) = expr[start..].find(name) {
        let s = start + p;
        let e = s + name.len();
        let before_ok =
            s == 0 || !(b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_' || b[s - 1] == b'.');
        let after_ok = e >= b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_');
        if before_ok && after_ok {
            return true;
        }
        start = e;
    }
    false
}

fn stage_type_name(k: &SK) -> &'static str {
    match k {
        SK::SeqSrc { .. } | SK::SeqTgt { .. } => "PxSequentialFile",
        SK::DataSetSrc { .. } | SK::DataSetTgt { .. } => "PxDataSet",
        SK::DbSrc { db, .. } | SK::DbTgt { db, .. } => db.stage_type(),
        SK::Transformer => "CTransformerStage",
        SK::Join { .. } => "PxJoin",
        SK::Lookup { .. } => "PxLookup",
        SK::Aggregator { .. } => "PxAggregator",
        SK::Sort { .. } => "PxSort",
        SK::RemDup { .. } => "PxRemDup",
        SK::Funnel => "PxFunnel",
        SK::Copy => "PxCopy",
        SK::Filter { .. } => "PxFilter",
        SK::Modify { .. } => "PxModify",
        SK::Peek => "PxPeek",
        SK::ChangeCapture { .. } => "PxChangeCapture",
        SK::Scd { .. } => "PxSCD",
        SK::BuildOp { ty } => ty,
        SK::SurrogateKey { .. } => "PxSurrogateKeyGenerator",
        SK::Generic { .. } => "PxGeneric",
        SK::SrvSeqSrc { .. } | SK::SrvSeqTgt { .. } => "CSeqFileStage",
        SK::SrvHashed { .. } => "CHashedFileStage",
        SK::SrvOdbcSrc { .. } | SK::SrvOdbcTgt { .. } => "CODBCStage",
        SK::JobActivity { .. } => "CJSJobActivity",
        SK::Sequencer { .. } => "CJSSequencer",
        SK::Condition => "CJSCondition",
        SK::Terminator => "CJSTerminatorActivity",
        SK::Routine { .. } => "CJSRoutineActivity",
    }
}

fn ole_type(k: &SK) -> &'static str {
    match k {
        SK::Transformer => "CTransformerStage",
        SK::SrvSeqSrc { .. } | SK::SrvSeqTgt { .. } => "CSeqFileStage",
        SK::SrvHashed { .. } => "CHashedFileStage",
        SK::SrvOdbcSrc { .. } | SK::SrvOdbcTgt { .. } => "CODBCStage",
        SK::JobActivity { .. } => "CJSJobActivity",
        SK::Sequencer { .. } => "CJSSequencer",
        SK::Condition => "CJSCondition",
        SK::Terminator => "CJSTerminatorActivity",
        SK::Routine { .. } => "CJSRoutineActivity",
        _ => "CCustomStage",
    }
}

fn pin_types(k: &SK, kind: Kind) -> (&'static str, &'static str) {
    match k {
        SK::Transformer => ("CTrxInput", "CTrxOutput"),
        SK::SrvSeqSrc { .. } | SK::SrvSeqTgt { .. } => ("CSeqInput", "CSeqOutput"),
        SK::SrvHashed { .. } => ("CHashedInput", "CHashedOutput"),
        SK::SrvOdbcSrc { .. } | SK::SrvOdbcTgt { .. } => ("CODBCInput", "CODBCOutput"),
        _ if kind == Kind::Sequence => ("CJSActivityInput", "CJSActivityOutput"),
        _ => ("CCustomInput", "CCustomOutput"),
    }
}

const SCHEMA_FORMATS: &[&str] = &[
    "final_delim=end, delim=',', quote=double",
    "final_delim=end, delim='|', null_field='', quote=none",
    "record_delim='\\n', delim=',', quote=double, null_field=\"\"",
    "final_delim=end, delim=ws, quote=none",
    "final_delim=end, delim=';', quote=single, charset=UTF-8",
];

struct Ctx<'a> {
    spec: &'a Spec,
    n: &'a Naming,
    rs: Resolved,
    noise: Rng,
    structure: Rng,
    pin_ids: Vec<(Vec<String>, Vec<String>)>,
    password_planted: bool,
    ps: bool,
}

impl Ctx<'_> {
    fn s(&self, t: &str) -> String {
        subst(t, &self.rs, self.n)
    }

    fn pin_id(&self, li: usize, out: bool) -> String {
        let l = &self.spec.links[li];
        if out {
            let st = &self.spec.stages[l.from];
            let k = st.outputs.iter().position(|&x| x == li).unwrap_or(0);
            self.pin_ids[l.from].1[k].clone()
        } else {
            let st = &self.spec.stages[l.to];
            let k = st.inputs.iter().position(|&x| x == li).unwrap_or(0);
            self.pin_ids[l.to].0[k].clone()
        }
    }

    fn db_refs(&self) -> (String, String, String) {
        if self.ps {
            (
                "#PS_DB.DB_SERVER#".into(),
                "#PS_DB.DB_USER#".into(),
                "#PS_DB.DB_PASSWORD#".into(),
            )
        } else {
            (
                "#DB_SERVER#".into(),
                "#DB_USER#".into(),
                "#DB_PASSWORD#".into(),
            )
        }
    }

    fn columns(&mut self, l: &Link, osh: bool, table_def: &str) -> Vec<Vec<Prop>> {
        let mut subs = Vec::with_capacity(l.cols.len());
        for c in &l.cols {
            let (sqlt, prec, scale) = c.ty.sql();
            let mut v = Vec::with_capacity(32);
            v.push(q("Name", c.name.clone()));
            if let Some(d) = c.desc {
                v.push(q("Description", d));
            }
            v.push(q("SqlType", sqlt));
            v.push(q("Precision", prec.to_string()));
            v.push(q("Scale", scale.to_string()));
            v.push(q("Nullable", if c.nullable { "1" } else { "0" }));
            v.push(q("KeyPosition", c.key.to_string()));
            let h = derive(self.n.structure_seed, &c.name, 0);
            v.push(q("DisplaySize", (h % 41).to_string()));
            if let Some(d) = &c.deriv {
                let (ml, d) = match d.strip_prefix('\u{0}') {
                    Some(x) => (true, x),
                    None => (false, d.as_str()),
                };
                let text = self.s(d);
                let src_col = first_ref(&text);
                let parsed = parsed_echo(&text);
                if ml {
                    v.push(m("Derivation", text));
                } else {
                    v.push(q("Derivation", text));
                }
                v.push(q("Group", "0"));
                v.push(q("ParsedDerivation", parsed));
                if let Some(sc) = &src_col {
                    v.push(q("SourceColumn", sc.clone()));
                }
            } else {
                v.push(q("Group", "0"));
            }
            if let Some(k) = &c.key_expr {
                v.push(q("KeyExpression", self.s(k)));
            }
            v.push(q("SortKey", "0"));
            v.push(q("SortType", "0"));
            if !table_def.is_empty() {
                v.push(q("TableDef", table_def));
            }
            for k in [
                "AllowCRLF",
                "LevelNo",
                "Occurs",
                "PadNulls",
                "SignOption",
                "SortingOrder",
                "ArrayHandling",
                "SyncIndicator",
            ] {
                v.push(q(k, "0"));
            }
            v.push(q("PadChar", ""));
            v.push(q("ColumnReference", c.name.clone()));
            if osh && c.ty.is_num() {
                v.push(q("APTFieldProp", "quote=none"));
            }
            v.push(q(
                "ExtendedPrecision",
                if matches!(c.ty, Ty::Timestamp) || (c.ty.is_str() && (h >> 8) % 10 < 3) {
                    "1"
                } else {
                    "0"
                },
            ));
            for k in [
                "TaggedSubrec",
                "OccursVarying",
                "PKeyIsCaseless",
                "SCDPurpose",
            ] {
                v.push(q(k, "0"));
            }
            subs.push(v);
        }
        subs
    }

    fn osh_schema(l: &Link, inout: &str) -> String {
        let mut s = String::with_capacity(l.cols.len() * 32 + 32);
        s.push_str("record\n(\n");
        for c in &l.cols {
            s.push_str("  ");
            s.push_str(&c.name);
            s.push(':');
            if c.nullable {
                s.push_str("nullable ");
            }
            s.push_str(&c.ty.osh());
            s.push_str(";\n");
        }
        s.push_str("  ");
        s.push_str(inout);
        s.push_str(":*;\n)");
        s
    }

    fn buffering(&mut self, v: &mut Vec<Vec<Prop>>) {
        if self.noise.chance(0.5) {
            v.push(meta("DiskWriteInc", Val::Q("1048576".into())));
            v.push(meta("BufFreeRun", Val::Q("50".into())));
            v.push(meta("MaxMemBufSize", Val::Q("3145728".into())));
            v.push(meta("QueueUpperSize", Val::Q("0".into())));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn xml_props(
        &mut self,
        db: Db,
        ctx_src: bool,
        table: &str,
        user_sql: Option<String>,
        wm: u8,
        ta: u8,
        before: Option<String>,
    ) -> String {
        let (srv, usr, pwd) = self.db_refs();
        let pwd = if let Some(p) = &self.n.password
            && !self.password_planted
        {
            self.password_planted = true;
            p.clone()
        } else if self.structure.chance(0.15) {
            format!("{{iisenc}}{}==", self.noise.hex(22))
        } else {
            pwd
        };
        let mut x = String::with_capacity(3000);
        x.push_str("<?xml version='1.0' encoding='UTF-16'?><Properties version='1.1'><Common><Context type='int'>");
        x.push_str(if ctx_src { "1" } else { "2" });
        x.push_str("</Context><Variant type='string'>");
        x.push_str(match db {
            Db::Oracle => "11",
            Db::Db2 => "10.5",
            Db::Teradata => "15",
            Db::Odbc => "3.5",
        });
        x.push_str("</Variant><DescriptorVersion type='string'>1.0</DescriptorVersion><PartitionType type='int'>-1</PartitionType><RCP type='int'>0</RCP></Common><Connection>");
        x.push_str(&format!(
            "<Server modified='1' type='string'><![CDATA[{srv}]]></Server><Username modified='1' type='string'><![CDATA[{usr}]]></Username><Password modified='1' type='{}'><![CDATA[{pwd}]]></Password>",
            if pwd.starts_with("{iisenc}") { "protectedstring" } else { "string" }
        ));
        x.push_str("<OSLevelAuthentication type='bool'><![CDATA[0]]></OSLevelAuthentication></Connection><Usage>");
        if ctx_src {
            x.push_str("<ReadMode type='int'><![CDATA[0]]></ReadMode>");
            match user_sql {
                Some(sql) => {
                    x.push_str("<GenerateSQL modified='1' type='bool'><![CDATA[0]]></GenerateSQL><EnableQuotedIDs type='bool'><![CDATA[0]]></EnableQuotedIDs><SQL><SelectStatement modified='1' type='string'><![CDATA[");
                    x.push_str(&sql);
                    x.push_str("]]><ReadFromFileSelect type='bool'><![CDATA[0]]></ReadFromFileSelect></SelectStatement></SQL>");
                }
                None => {
                    x.push_str(&format!("<GenerateSQL modified='1' type='bool'><![CDATA[1]]></GenerateSQL><TableName modified='1' type='string'><![CDATA[#SRC_SCHEMA#.{table}]]><TableScope type='int'><![CDATA[0]]></TableScope></TableName><EnableQuotedIDs type='bool'><![CDATA[0]]></EnableQuotedIDs><SQL></SQL>"));
                }
            }
            x.push_str("<EnablePartitionedReads collapsed='1' type='bool'><![CDATA[0]]></EnablePartitionedReads><Transaction><IsolationLevel type='int'><![CDATA[0]]></IsolationLevel><RecordCount type='int'><![CDATA[2000]]></RecordCount><EndOfWave type='int'><![CDATA[0]]></EndOfWave></Transaction><Session><ArraySize type='int'><![CDATA[2000]]></ArraySize><PrefetchRowCount type='int'><![CDATA[1]]></PrefetchRowCount><PrefetchMemorySize type='int'><![CDATA[0]]></PrefetchMemorySize><TreatWarningsAsErrors type='bool'><![CDATA[0]]></TreatWarningsAsErrors></Session><BeforeAfter collapsed='1' type='bool'><![CDATA[0]]></BeforeAfter>");
        } else {
            x.push_str(&format!(
                "<WriteMode modified='1' type='int'><![CDATA[{wm}]]></WriteMode><GenerateSQL modified='1' type='bool'><![CDATA[1]]></GenerateSQL><TableName modified='1' type='string'><![CDATA[#TGT_SCHEMA#.{table}]]><TableScope type='int'><![CDATA[0]]></TableScope></TableName><EnableQuotedIDs type='bool'><![CDATA[0]]></EnableQuotedIDs><SQL></SQL><TableAction modified='1' type='int'><![CDATA[{ta}]]><GenerateCreateStatement type='bool'><![CDATA[1]]></GenerateCreateStatement><FailOnError type='bool'><![CDATA[1]]></FailOnError></TableAction><Transaction><IsolationLevel type='int'><![CDATA[0]]></IsolationLevel><RecordCount type='int'><![CDATA[2000]]></RecordCount></Transaction><Session><ArraySize type='int'><![CDATA[2000]]></ArraySize><DropUnmatchedFields type='bool'><![CDATA[0]]></DropUnmatchedFields><TreatWarningsAsErrors type='bool'><![CDATA[0]]></TreatWarningsAsErrors><PreserveTrailingBlanks type='bool'><![CDATA[1]]></PreserveTrailingBlanks><FailOnRowErrorPX type='bool'><![CDATA[1]]></FailOnRowErrorPX></Session><Logging><LogColumnValues collapsed='1' type='bool'><![CDATA[0]]></LogColumnValues></Logging>"
            ));
            match before {
                Some(b) => x.push_str(&format!("<BeforeAfter modified='1' type='bool'><![CDATA[1]]><BeforeSQL modified='1' type='string'><![CDATA[{b}]]><ReadFromFileBeforeSQL type='bool'><![CDATA[0]]></ReadFromFileBeforeSQL><FailOnError type='bool'><![CDATA[1]]></FailOnError></BeforeSQL><AfterSQL type='string'><![CDATA[]]><ReadFromFileAfterSQL type='bool'><![CDATA[0]]></ReadFromFileAfterSQL><FailOnError type='bool'><![CDATA[1]]></FailOnError></AfterSQL></BeforeAfter>")),
                None => x.push_str("<BeforeAfter collapsed='1' type='bool'><![CDATA[0]]></BeforeAfter>"),
            }
        }
        x.push_str("<ApplicationFailoverControl collapsed='1' type='bool'><![CDATA[0]]></ApplicationFailoverControl></Usage></Properties >");
        x
    }
}

/// `link.col` of the first reference in an expression.
fn first_ref(e: &str) -> Option<String> {
    let b = e.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        if b[i].is_ascii_alphabetic()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            let w = &e[s..i];
            if w.contains('.') && !w.starts_with("DSU.") && !w.ends_with('.') {
                return Some(w.to_string());
            }
            continue;
        }
        i += 1;
    }
    None
}

/// A normalised echo of an expression as the engine stores it.
fn parsed_echo(e: &str) -> String {
    e.replace('\n', " ")
        .replace("Upcase(", "UpCase(")
        .replace("Downcase(", "DownCase(")
}

fn layout(r: &mut Rng, n: usize) -> (Vec<i32>, Vec<i32>) {
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        xs.push(96 + (i as i32 % 8) * 168 + r.range(0, 40) as i32);
        ys.push(120 + (i as i32 / 8) * 144 + r.range(0, 200) as i32);
    }
    (xs, ys)
}

fn join<T: ToString>(v: &[T], sep: &str) -> String {
    let mut s = String::new();
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(&x.to_string());
    }
    s
}

pub fn render(spec: &Spec, n: &Naming) -> (Job, JobStats) {
    let rs = resolve(spec, n);
    let mut noise = Rng::sub(n.noise_seed, "noise", 0);
    let date = format!(
        "20{:02}-{:02}-{:02}",
        noise.range(12, 24),
        noise.range(1, 12),
        noise.range(1, 28)
    );
    let time = format!(
        "{:02}.{:02}.{:02}",
        noise.range(0, 23),
        noise.range(0, 59),
        noise.range(0, 59)
    );
    let mut pin_ids = Vec::new();
    for (i, st) in spec.stages.iter().enumerate() {
        let mut k = 1;
        let mut ins = Vec::new();
        let mut outs = Vec::new();
        for _ in &st.inputs {
            ins.push(format!("{}P{k}", rs.stage_ids[i]));
            k += 1;
        }
        for _ in &st.outputs {
            outs.push(format!("{}P{k}", rs.stage_ids[i]));
            k += 1;
        }
        pin_ids.push((ins, outs));
    }
    let ps = spec.params.iter().any(|p| p.name == "PS_DB");
    let mut cx = Ctx {
        spec,
        n,
        rs,
        noise,
        structure: Rng::sub(n.structure_seed, "structure", 0),
        pin_ids,
        password_planted: false,
        ps,
    };
    let mut records = Vec::with_capacity(spec.stages.len() * 3 + 4);
    records.push(root_record(&mut cx, &date));
    records.push(view_record(&mut cx));
    let mut columns = 0;
    for l in &spec.links {
        columns += l.cols.len();
    }
    for (i, st) in spec.stages.iter().enumerate() {
        stage_records(&mut cx, i, st, &mut records);
    }
    let mut stage_types: Vec<String> = spec
        .stages
        .iter()
        .map(|s| stage_type_name(&s.kind).to_string())
        .collect();
    stage_types.sort();
    stage_types.dedup();
    let stats = JobStats {
        stages: spec.stages.len(),
        links: spec.links.len(),
        columns,
        reasons: reasons(spec),
        stage_types,
    };
    (
        Job {
            name: n.job_name.clone(),
            date,
            time,
            records,
        },
        stats,
    )
}

fn param_default(p: &Param, r: &mut Rng) -> String {
    match p.dkind {
        1 => "$PROJDEF".into(),
        2 => format!("{{iisenc}}{}", r.hex(24)),
        3 => "(As pre-defined)".into(),
        _ => match p.name.as_str() {
            "RUN_DATE" => format!(
                "20{:02}-{:02}-{:02}",
                r.range(15, 24),
                r.range(1, 12),
                r.range(1, 28)
            ),
            "JOB_RUN_ID" => r.range(0, 99999).to_string(),
            "SRC_SYSTEM" => r.pick(WORDS).to_string(),
            "RUN_MODE" => r.pick(&["FULL", "DELTA"]).to_string(),
            "SRC_SCHEMA" | "TGT_SCHEMA" => format!(
                "{}_{}",
                r.pick(LAYERS),
                r.pick(&["OWN", "APP", "RW", "ETL"])
            ),
            "DB_SERVER" => format!(
                "{}{}",
                r.pick(&["ORAPRD", "DWHDEV", "TDPROD", "DB2QA"]),
                r.range(1, 9)
            ),
            "DB_USER" => format!("etl_{}", r.pick(WORDS).to_ascii_lowercase()),
            n if n.ends_with("DIR") => format!("/data/{}/", r.pick(WORDS).to_ascii_lowercase()),
            _ => match p.ptype {
                2 => r.range(0, 500).to_string(),
                4 => format!("/opt/etl/{}", r.pick(WORDS).to_ascii_lowercase()),
                _ => r.pick(LITERALS).to_string(),
            },
        },
    }
}

fn root_record(cx: &mut Ctx, date: &str) -> Record {
    let spec = cx.spec;
    let mut r = Record::new("ROOT", "CJobDefn");
    r.p("Readonly", "0").p("Name", cx.n.job_name.clone());
    if cx.noise.chance(0.5) {
        r.p("Description", spec.description.clone());
    }
    r.p("NextID", (spec.stages.len() + 1).to_string())
        .p("Container", "V0");
    if cx.noise.chance(0.35) {
        let a = *cx.noise.pick(AUTHORS);
        r.m(
            "FullDescription",
            format!(
                "Name            Date          Comments\n==============================================\n{a}      {date}    Initial release\n{a}      {date}    {} \"{}\" handling",
                cx.noise.pick(&["Added", "Fixed", "Changed"]),
                cx.noise.pick(LITERALS)
            ),
        );
    }
    r.p("JobVersion", "56.0.0");
    if let Some(b) = &spec.before_subr {
        r.p("BeforeSubr", b.clone());
    }
    r.p("ControlAfterSubr", "0");
    let mut pr = Rng::sub(cx.n.lit_seed, "params", 0);
    let params: Vec<Vec<Prop>> = spec
        .params
        .iter()
        .map(|p| {
            vec![
                q("Name", p.name.clone()),
                q("Prompt", p.prompt.clone()),
                q("Default", param_default(p, &mut pr)),
                q(
                    "HelpTxt",
                    if cx.structure.chance(0.2) {
                        p.prompt.clone()
                    } else {
                        String::new()
                    },
                ),
                q("ParamType", p.ptype.to_string()),
                q("ParamLength", "0"),
                q("ParamScale", "0"),
            ]
        })
        .collect();
    r.coll("Parameters", "CParameters", params);
    let ident: Vec<&str> = cx.rs.stage_names.iter().map(String::as_str).collect();
    r.coll(
        "MetaBag",
        "CMetaProperty",
        vec![
            meta(
                "AdvancedRuntimeOptions",
                Val::Q("#DSProjectARTOptions#".into()),
            ),
            meta("IdentList", Val::Q(ident.join("|"))),
            meta("ClientCodePage", Val::Q("1252".into())),
        ],
    );
    r.p("NULLIndicatorPosition", "0");
    if spec.kind == Kind::Sequence {
        r.m("JobControlCode", job_control(cx));
    }
    if cx.n.with_osh && spec.kind == Kind::Parallel {
        r.m("OrchestrateCode", osh_code(cx));
    }
    r.p("IsTemplate", "0").p(
        "JobType",
        match spec.kind {
            Kind::Server => "0",
            Kind::Sequence => "2",
            Kind::Parallel => "3",
        },
    );
    r.p("Category", spec.category.clone());
    for (k, v) in [
        ("CenturyBreakYear", "30"),
        ("NextAliasID", "2"),
        ("ParameterFileDDName", "DD00001"),
        ("ReservedWordCheck", "1"),
        ("TransactionSize", "0"),
        ("ValidationStatus", "0"),
        ("Uploadable", "0"),
        ("PgmCustomizationFlag", "0"),
        ("JobReportFlag", "0"),
        ("AllowMultipleInvocations", "0"),
        ("Act2ActOverideDefaults", "0"),
        ("Act2ActEnableRowBuffer", "0"),
        ("Act2ActUseIPC", "0"),
        ("Act2ActBufferSize", "0"),
        ("Act2ActIPCTimeout", "0"),
        ("ExpressionSemanticCheckFlag", "0"),
        ("TraceOption", "0"),
        ("EnableCacheSharing", "0"),
    ] {
        r.p(k, v);
    }
    r.p("RuntimeColumnPropagation", if spec.rcp { "1" } else { "0" });
    for (k, v) in [
        ("RelStagesInJobStatus", "-1"),
        ("WebServiceEnabled", "0"),
        ("MFProcessMetaData", "0"),
        ("MFProcessMetaDataXMLFileExchangeMethod", "0"),
        ("IMSProgType", "0"),
        ("CopyLibPrefix", "ARDT"),
        ("RecordPerformanceResults", "0"),
    ] {
        r.p(k, v);
    }
    r
}

fn view_record(cx: &mut Ctx) -> Record {
    let spec = cx.spec;
    let mut r = Record::new("V0", "CContainerView");
    r.p("Readonly", "0")
        .p("Name", "Job")
        .p("NextID", "1")
        .p("IsTopLevel", "0");
    let n_ann = spec
        .stages
        .iter()
        .filter(|s| s.annotation.is_some())
        .count();
    let mut list: Vec<String> = cx.rs.stage_ids.clone();
    for a in 0..n_ann {
        list.push(format!("V0A{a}"));
    }
    let total = list.len();
    let (xs, ys) = layout(&mut cx.noise, total);
    r.p("StageList", list.join("|"));
    r.p("StageXPos", join(&xs, "|"));
    r.p("StageYPos", join(&ys, "|"));
    let mut types: Vec<&str> = spec.stages.iter().map(|s| ole_type(&s.kind)).collect();
    let mut type_ids: Vec<&str> = spec
        .stages
        .iter()
        .map(|s| stage_type_name(&s.kind))
        .collect();
    for _ in 0..n_ann {
        types.push("ID_PALETTEANNOTATION");
        type_ids.push(" ");
    }
    r.p("StageTypes", types.join("|"));
    let last_id: usize = cx
        .rs
        .stage_ids
        .last()
        .map(|s| s[3..].parse().unwrap_or(0))
        .unwrap_or(0);
    r.p("NextStageID", (last_id + 1).to_string());
    r.p("SnapToGrid", "1")
        .p("GridLines", "0")
        .p("ZoomValue", "100");
    let sizes: Vec<&str> = (0..total)
        .map(|i| if i < spec.stages.len() { "48" } else { "180" })
        .collect();
    r.p("StageXSize", sizes.join("|"));
    r.p("StageYSize", sizes.join("|"));
    r.p(
        "ContainerViewSizing",
        format!(
            "{:04} {:04} {:04} {:04} 0000 0001 0000 0000",
            cx.noise.range(0, 99),
            cx.noise.range(0, 99),
            cx.noise.range(600, 1400),
            cx.noise.range(300, 900)
        ),
    );
    let mut names: Vec<String> = cx.rs.stage_names.clone();
    names.extend((0..n_ann).map(|_| " ".to_string()));
    r.p("StageNames", names.join("|"));
    r.p("StageTypeIDs", type_ids.join("|"));
    // per-stage comma lists of output links
    let per = |f: &dyn Fn(usize) -> String| -> String {
        let mut parts: Vec<String> = spec
            .stages
            .iter()
            .map(|s| {
                if s.outputs.is_empty() {
                    " ".to_string()
                } else {
                    s.outputs
                        .iter()
                        .map(|&li| f(li))
                        .collect::<Vec<_>>()
                        .join(",")
                }
            })
            .collect();
        parts.extend((0..n_ann).map(|_| " ".to_string()));
        parts.join("|")
    };
    r.p("LinkNames", per(&|li| cx.rs.link_names[li].clone()));
    r.p(
        "LinkHasMetaDatas",
        per(&|li| {
            if spec.links[li].cols.is_empty() {
                "False".into()
            } else {
                "True".into()
            }
        }),
    );
    r.p("LinkTypes", per(&|li| spec.links[li].ltype.to_string()));
    let mut gx = Rng::sub(cx.n.noise_seed, "linkpos", 0);
    let px: Vec<String> = (0..spec.links.len())
        .map(|_| gx.range(40, 1400).to_string())
        .collect();
    let py: Vec<String> = (0..spec.links.len())
        .map(|_| gx.range(40, 900).to_string())
        .collect();
    r.p("LinkNamePositionXs", per(&|li| px[li].clone()));
    r.p("LinkNamePositionYs", per(&|li| py[li].clone()));
    r.p(
        "TargetStageIDs",
        per(&|li| cx.rs.stage_ids[spec.links[li].to].clone()),
    );
    if spec.kind == Kind::Parallel {
        r.p("SourceStageEffectiveExecutionModes", per(&|_| "2".into()));
        r.p("SourceStageRuntimeExecutionModes", per(&|_| "2".into()));
        r.p("TargetStageEffectiveExecutionModes", per(&|_| "2".into()));
        r.p("TargetStageRuntimeExecutionModes", per(&|_| "2".into()));
        r.p("LinkIsSingleOperatorLookup", per(&|_| "False".into()));
        r.p("LinkIsSortSequential", per(&|_| "False".into()));
        r.p("LinkSortMode", per(&|_| "0".into()));
        r.p("LinkPartColMode", per(&|_| "1".into()));
    }
    let pins: Vec<String> = (0..spec.links.len())
        .map(|li| cx.pin_id(li, true))
        .collect();
    r.p("LinkSourcePinIDs", per(&|li| pins[li].clone()));
    r
}

fn seq_props(fmt: usize, file: &str, read: bool, first_line: bool) -> Vec<Vec<Prop>> {
    let mut v = vec![vec![q("Name", "schema")]];
    if read {
        v.push(cprop("selection", "file"));
        v.push(cprop("keepPartitions", " "));
        v.push(cprop("rejects", "continue"));
        v.push(cprop("reportProgress", "yes"));
    } else {
        v.push(cprop("append\\overwrite", "overwrite"));
        v.push(cprop("nocleanup", " "));
        v.push(cprop("rejects", "continue"));
    }
    v.push(cprop(
        "firstLineColumnNames",
        if first_line {
            "firstLineColumnNames"
        } else {
            " "
        },
    ));
    let fname = if fmt.is_multiple_of(2) {
        "file "
    } else {
        "file"
    };
    v.push(cprop(fname, tree(&[(1, fname, file)])));
    if read {
        v.push(cprop("missingFile", " "));
    } else {
        v.push(cprop("writemethod", tree(&[(1, "writemethod", " ")])));
    }
    v
}

fn stage_records(cx: &mut Ctx, i: usize, st: &Stage, out: &mut Vec<Record>) {
    let spec = cx.spec;
    let sid = cx.rs.stage_ids[i].clone();
    let mut r = Record::new(sid.clone(), ole_type(&st.kind));
    r.p("Readonly", "0").p("Name", cx.rs.stage_names[i].clone());
    r.p(
        "NextID",
        (st.inputs.len() + st.outputs.len() + 1).to_string(),
    );
    if !st.inputs.is_empty() {
        r.p("InputPins", cx.pin_ids[i].0.join("|"));
    }
    if !st.outputs.is_empty() {
        r.p("OutputPins", cx.pin_ids[i].1.join("|"));
    }
    let stype = stage_type_name(&st.kind);
    let key_tree = |keys: &[String]| {
        let e: Vec<(usize, &str, &str)> =
            keys.iter().map(|k| (1usize, "key", k.as_str())).collect();
        tree(&e)
    };
    match &st.kind {
        SK::Transformer => {
            let class = format!("{}_{}_{}", sid, cx.n.job_name, cx.rs.stage_names[i]);
            r.coll(
                "MetaBag",
                "CMetaProperty",
                vec![
                    meta("TrxGenCode", Val::M(trx_gen_code(cx, st, &class))),
                    meta("TrxGenCache", Val::Q("0".into())),
                    meta("TrxClassName", Val::Q(class)),
                ],
            );
            r.p("ValidationStatus", "0")
                .p("StageType", "CTransformerStage")
                .p("BlockSize", "0");
            let svs: Vec<Vec<Prop>> = st
                .svars
                .iter()
                .map(|sv| {
                    let e = cx.s(&sv.expr);
                    let (t, p, s) = sv.ty.sql();
                    let mut v = vec![
                        q("Name", sv.name.clone()),
                        q("Expression", e.clone()),
                        q("InitialValue", sv.init.clone()),
                        q("SqlType", t),
                        q("ParsedExpression", parsed_echo(&e)),
                    ];
                    if let Some(sc) = first_ref(&e) {
                        v.push(q("SourceColumn", sc));
                    }
                    let used: Vec<&str> = st
                        .svars
                        .iter()
                        .filter(|o| mentions(&e, &o.name))
                        .map(|o| o.name.as_str())
                        .collect();
                    if !used.is_empty() {
                        v.push(q("StageVars", used.join(",")));
                    }
                    v.push(q(
                        "Precision",
                        if p == 0 {
                            "255".to_string()
                        } else {
                            p.to_string()
                        },
                    ));
                    v.push(q("ColScale", s.to_string()));
                    v.push(q("ExtendedPrecision", "0"));
                    v
                })
                .collect();
            r.coll("StageVars", "CStageVar", svs);
            r.p("StageVarsMinimised", "0")
                .p("LoopVarsMaximised", "0")
                .p("MaxLoopIterations", "0");
        }
        SK::SrvSeqSrc { .. } | SK::SrvSeqTgt { .. } => {
            r.p("UnixFormat", "1")
                .p("PipeStage", "0")
                .p("UnicodeBOM", "0")
                .p("AllowColumnMapping", "0")
                .p("WithFilter", "0")
                .p("StageType", "CSeqFileStage");
        }
        SK::SrvHashed { file } => {
            let f = cx.rs.files[*file].clone();
            r.p("Account", "0")
                .p(
                    "DirectoryPath",
                    f.rsplit_once('/')
                        .map(|x| x.0.to_string())
                        .unwrap_or_default(),
                )
                .p("StageType", "CHashedFileStage");
        }
        SK::SrvOdbcSrc { .. } | SK::SrvOdbcTgt { .. } => {
            let (srv, usr, pwd) = cx.db_refs();
            r.p("DSN", srv)
                .p("UserName", usr)
                .p("Password", pwd)
                .p("QuoteChar", "\"")
                .p("StageType", "CODBCStage");
        }
        SK::JobActivity { job } => {
            let jn =
                cx.n.run_jobs
                    .get(*job)
                    .cloned()
                    .unwrap_or_else(|| "MissingJob".into());
            r.p("StageType", "CJSJobActivity")
                .p("Jobname", jn.clone())
                .p("ExecutionAction", *cx.noise.pick(&["0", "0", "2"]));
            r.coll(
                "ParamValues",
                "CJSParamValue",
                vec![
                    vec![q("Name", "RUN_DATE"), q("ValueExpression", "RUN_DATE")],
                    vec![q("Name", "JOB_RUN_ID"), q("ValueExpression", "JOB_RUN_ID")],
                    vec![
                        q("Name", "$APT_CONFIG_FILE"),
                        q("ValueExpression", "$PROJDEF"),
                    ],
                ],
            );
            r.p("InvocationId", "")
                .p("Description", format!("Run {jn}"));
        }
        SK::Sequencer { all } => {
            r.p("StageType", "CJSSequencer")
                .p("SequencerType", if *all { "0" } else { "1" });
        }
        SK::Condition => {
            r.p("StageType", "CJSCondition");
        }
        SK::Terminator => {
            r.p("StageType", "CJSTerminatorActivity")
                .p("SendStopRequests", "1")
                .p("FinalStatus", "2");
        }
        SK::Routine { routine } => {
            r.p("StageType", "CJSRoutineActivity")
                .p("RoutineName", *routine)
                .p("ArgumentValues", "JOB_RUN_ID");
        }
        kind => {
            r.p("StageType", stype).p("AllowColumnMapping", "0");
            let props: Vec<Vec<Prop>> = match kind {
                SK::DbSrc {
                    db,
                    table,
                    user_sql,
                } => {
                    let t = cx.rs.tables[*table].clone();
                    let sql = user_sql.as_ref().map(|s| cx.s(s));
                    connector_props(cx, *db, true, &t, sql, 0, 0, None)
                }
                SK::DbTgt {
                    db,
                    table,
                    write_mode,
                    table_action,
                    before_sql,
                } => {
                    let t = cx.rs.tables[*table].clone();
                    let b = before_sql.as_ref().map(|s| cx.s(s));
                    connector_props(cx, *db, false, &t, None, *write_mode, *table_action, b)
                }
                SK::Join { op, keys } => vec![cprop("operator", *op), cprop("key", key_tree(keys))],
                SK::Aggregator { keys, reduce } => {
                    let mut e: Vec<(usize, &str, &str)> = Vec::new();
                    for (c, f, o) in reduce {
                        e.push((1, "reduce", c));
                        e.push((2, f, o));
                        e.push((2, "preserveType", "preserveType"));
                    }
                    vec![
                        cprop("method", "hash"),
                        cprop("key", key_tree(keys)),
                        cprop("selection", "reduce"),
                        cprop("reduce", tree(&e)),
                    ]
                }
                SK::Sort { keys, unique } => {
                    let mut e: Vec<(usize, &str, &str)> = Vec::new();
                    for (k, asc) in keys {
                        e.push((1, "key", k));
                        e.push((2, "asc\\desc", if *asc { "asc" } else { "desc" }));
                        e.push((2, "sorted\\clustered", " "));
                    }
                    vec![
                        cprop("operator", "tsort"),
                        cprop("key", tree(&e)),
                        cprop("stable", "stable"),
                        cprop("unique", if *unique { "unique" } else { " " }),
                        cprop("flagKey", " "),
                    ]
                }
                SK::RemDup { keys, keep_last } => vec![
                    cprop("keep", if *keep_last { "last" } else { "first" }),
                    cprop("key", key_tree(keys)),
                ],
                SK::Funnel => vec![cprop("funnel_type", "continuous")],
                SK::Filter { wheres } => {
                    let ws: Vec<String> = wheres.iter().map(|w| cx.s(w)).collect();
                    let mut e: Vec<(usize, &str, &str)> = Vec::new();
                    let outs: Vec<String> = (0..ws.len()).map(|k| k.to_string()).collect();
                    for (k, w) in ws.iter().enumerate() {
                        e.push((1, "where", w));
                        e.push((2, "target", &outs[k]));
                    }
                    vec![
                        cprop("where", tree(&e)),
                        cprop("first", " "),
                        cprop("reject", "reject"),
                    ]
                }
                SK::Modify { spec: ms } => {
                    let e: Vec<(usize, &str, &str)> = ms
                        .iter()
                        .map(|m| (1usize, "modifyspec", m.as_str()))
                        .collect();
                    vec![cprop("modifyspec", tree(&e))]
                }
                SK::ChangeCapture { keys } => vec![
                    cprop("keyValue", key_tree(keys)),
                    cprop("changeMode", "allvalues"),
                    cprop("dropCopy", "dropCopy"),
                    cprop("codeField", "change_code"),
                ],
                SK::Scd { keys } => vec![
                    cprop("SCDType", "2"),
                    cprop("BusinessKeys", keys.join(",")),
                    cprop("EffectiveDateColumn", "SCD_EFF_DT"),
                    cprop("SKKeySourceType", "file"),
                ],
                SK::BuildOp { ty } => vec![
                    cprop("BuildOpOperator", ty.to_ascii_lowercase()),
                    cprop("Library", format!("lib{}.so", ty.to_ascii_lowercase())),
                ],
                SK::SurrogateKey { col } => vec![
                    cprop("keySourceType", "file"),
                    cprop("keySourceUpdateAction", "update"),
                    cprop("outputName", col.clone()),
                    cprop("keySource", "#SRC_DIR#/sk_state.dat"),
                ],
                SK::Generic { cmd } => {
                    vec![cprop("operator", "generic"), cprop("command", cx.s(cmd))]
                }
                SK::DataSetSrc { file } | SK::DataSetTgt { file } => {
                    let f = cx.rs.files[*file].clone();
                    let f = format!("{}.ds", f.trim_end_matches(".csv").trim_end_matches(".txt"));
                    vec![
                        cprop("dataset", tree(&[(1, "dataset", &f)])),
                        cprop("missingFile", " "),
                    ]
                }
                _ => Vec::new(),
            };
            r.coll("Properties", "CCustomProperty", props);
            if matches!(kind, SK::Lookup { .. }) {
                r.coll(
                    "MetaBag",
                    "CMetaProperty",
                    vec![meta("LookupOperator", Val::Q("lookup".into()))],
                );
            }
            r.p("NextRecordID", "0");
        }
    }
    out.push(r);
    // pins
    let (in_t, out_t) = pin_types(&st.kind, spec.kind);
    for (k, &li) in st.inputs.iter().enumerate() {
        let l = &spec.links[li];
        let pid = cx.pin_ids[i].0[k].clone();
        let mut p = Record::new(pid, in_t);
        p.p("Readonly", "0").p("Name", cx.rs.link_names[li].clone());
        let partner = format!("{}|{}", cx.rs.stage_ids[l.from], cx.pin_id(li, true));
        p.p("Partner", partner);
        if spec.kind == Kind::Sequence {
            out.push(p);
            continue;
        }
        p.p("LinkType", l.ltype.to_string());
        if spec.kind == Kind::Parallel {
            p.p("ConditionNotMet", "fail");
            p.p(
                "LookupFail",
                match (&st.kind, l.ltype) {
                    (SK::Lookup { fail }, 2) => *fail,
                    _ => "fail",
                },
            );
        }
        match &st.kind {
            SK::SeqTgt { fmt, file } => {
                let f = cx.rs.files[*file].clone();
                p.coll(
                    "Properties",
                    "CCustomProperty",
                    seq_props(*fmt, &f, false, *fmt != 3),
                );
                let mut mb = vec![
                    meta("RTColumnProp", Val::Q("1".into())),
                    meta("SchemaFormat", Val::Q(SCHEMA_FORMATS[*fmt].into())),
                ];
                cx.buffering(&mut mb);
                p.coll("MetaBag", "CMetaProperty", mb);
            }
            SK::SrvSeqTgt { file, delim } => {
                p.p("FileName", cx.rs.files[*file].clone())
                    .p("Delimiter", *delim)
                    .p("QuoteChar", "000")
                    .p("ColHeaders", "1")
                    .p("Append", "0")
                    .p("FixedWidth", "0");
            }
            SK::SrvOdbcTgt { table } => {
                p.p(
                    "TableName",
                    format!("#TGT_SCHEMA#.{}", cx.rs.tables[*table]),
                )
                .p("UpdateAction", "1")
                .p("TxIsolationLevel", "2");
            }
            SK::SrvHashed { file } => {
                p.p(
                    "FileName",
                    cx.rs.files[*file]
                        .rsplit('/')
                        .next()
                        .unwrap_or("HASH")
                        .to_string(),
                )
                .p("ClearFile", "1");
            }
            SK::Transformer if spec.kind == Kind::Parallel => {
                p.coll(
                    "MetaBag",
                    "CMetaProperty",
                    vec![
                        meta("RTColumnProp", Val::Q("1".into())),
                        meta("Schema", Val::M(Ctx::osh_schema(l, "inRec"))),
                    ],
                );
                p.p("MultiRow", "0");
            }
            _ if spec.kind == Kind::Parallel => {
                p.coll(
                    "MetaBag",
                    "CMetaProperty",
                    vec![meta(
                        "RTColumnProp",
                        Val::Q(if spec.rcp { "1" } else { "0" }.into()),
                    )],
                );
            }
            _ => {}
        }
        if spec.kind == Kind::Parallel {
            p.p("TransactionSize", "0")
                .p("TXNBehaviour", "0")
                .p("EnableTxGroup", "0");
        }
        p.p("LinkMinimised", "0");
        out.push(p);
    }
    for (k, &li) in st.outputs.iter().enumerate() {
        let l = &spec.links[li];
        let pid = cx.pin_ids[i].1[k].clone();
        let mut p = Record::new(pid, out_t);
        p.p("Readonly", "0").p("Name", cx.rs.link_names[li].clone());
        let partner = format!("{}|{}", cx.rs.stage_ids[l.to], cx.pin_id(li, false));
        p.p("Partner", partner);
        if spec.kind == Kind::Sequence {
            let (ct, ex) = l.trigger.clone().unwrap_or((0, String::new()));
            let ex = ex.replace("{ACT}", &cx.rs.stage_names[i]);
            let ex = cx.s(&ex);
            p.p("ConditionType", ct.to_string());
            if ct == 6 {
                p.p("TriggerExpression", ex);
            } else {
                p.p("TriggerExpression", "");
            }
            p.p(
                "ExpressionCaption",
                if ct == 2 {
                    "Executed OK"
                } else if ct == 0 {
                    "Unconditional"
                } else {
                    "Custom"
                },
            );
            p.p("LeftTextPos", cx.noise.range(20, 900).to_string())
                .p("TopTextPos", cx.noise.range(20, 600).to_string());
            out.push(p);
            continue;
        }
        if st.kind == SK::Transformer {
            let c = l.constraint.as_ref().map(|c| cx.s(c));
            if let Some(c) = &c {
                p.p("Constraint", c.clone());
            }
            p.p("Reject", if l.otherwise { "1" } else { "0" });
            p.p("ErrorPin", "0").p("RowLimit", "0");
            if let Some(c) = &c {
                p.p("ParsedConstraint", parsed_echo(c));
                if let Some(sc) = first_ref(c) {
                    p.p("SourceColumns", sc);
                }
            }
        }
        let mut table_def = String::new();
        match &st.kind {
            SK::SeqSrc { fmt, file } => {
                let f = cx.rs.files[*file].clone();
                table_def = format!("Sequential\\{}", f.rsplit(['/', '\\']).next().unwrap_or(""));
                p.coll(
                    "Properties",
                    "CCustomProperty",
                    seq_props(*fmt, &f, true, *fmt != 3),
                );
            }
            SK::DbSrc { table, .. } => {
                table_def = format!("Database\\{}", cx.rs.tables[*table]);
            }
            SK::SrvSeqSrc { file, delim } => {
                p.p("FileName", cx.rs.files[*file].clone())
                    .p("ColDelim", *delim)
                    .p("QuoteChar", "\"")
                    .p("ColHeaders", "1")
                    .p("FixedWidth", "0")
                    .p("ColSpace", "0");
            }
            SK::SrvOdbcSrc { table } => {
                p.p(
                    "TableNames",
                    format!("#SRC_SCHEMA#.{}", cx.rs.tables[*table]),
                )
                .p("GenerateSQL", "1");
            }
            SK::SrvHashed { file } => {
                p.p(
                    "FileName",
                    cx.rs.files[*file]
                        .rsplit('/')
                        .next()
                        .unwrap_or("HASH")
                        .to_string(),
                )
                .p("SelectionType", "0");
            }
            _ => {}
        }
        let osh = spec.kind == Kind::Parallel;
        let cols = cx.columns(l, osh, &table_def);
        p.coll("Columns", "COutputColumn", cols);
        if osh {
            let mut mb = Vec::new();
            if let SK::SeqSrc { fmt, .. } = &st.kind {
                mb.push(meta("SchemaFormat", Val::Q(SCHEMA_FORMATS[*fmt].into())));
            }
            cx.buffering(&mut mb);
            if st.kind == SK::Transformer || cx.structure.chance(0.5) {
                mb.push(meta("Schema", Val::M(Ctx::osh_schema(l, "outRec"))));
            }
            p.coll("MetaBag", "CMetaProperty", mb);
        }
        p.p("LeftTextPos", cx.noise.range(20, 1400).to_string())
            .p("TopTextPos", cx.noise.range(20, 900).to_string())
            .p("LinkMinimised", "0");
        out.push(p);
    }
    if let Some(text) = &st.annotation {
        let a = spec.stages[..i]
            .iter()
            .filter(|s| s.annotation.is_some())
            .count();
        let mut r = Record::new(format!("V0A{a}"), "CAnnotation");
        r.p("Readonly", "0")
            .p("Name", format!("V0A{a}"))
            .p("NextID", "0")
            .p(
                "AnnotationType",
                if a == 0 && cx.structure.chance(0.3) {
                    "2"
                } else {
                    "0"
                },
            );
        if cx.noise.chance(0.7) {
            r.m("AnnotationText", text.clone());
        } else {
            r.p("AnnotationText", text.clone());
        }
        r.p("TextFont", "Microsoft Sans Serif\\10\\0\\0\\0\\400\\0")
            .p("TextHorizontalJustification", "0")
            .p("TextVerticalJustification", "0")
            .p("TextColor", "0")
            .p(
                "BackgroundColor",
                cx.noise
                    .pick(&["65280", "16777215", "12632256"])
                    .to_string(),
            )
            .p("BackgroundTransparent", "0")
            .p("BorderVisible", "1");
        out.push(r);
    }
}

#[allow(clippy::too_many_arguments)]
fn connector_props(
    cx: &mut Ctx,
    db: Db,
    src: bool,
    table: &str,
    sql: Option<String>,
    wm: u8,
    ta: u8,
    before: Option<String>,
) -> Vec<Vec<Prop>> {
    let xml = cx.xml_props(db, src, table, sql, wm, ta, before);
    let (lib, name) = match db {
        Db::Oracle => ("ccora11g", "OracleConnector"),
        Db::Db2 => ("ccdb2", "DB2Connector"),
        Db::Teradata => ("ccteradata", "TeradataConnector"),
        Db::Odbc => ("ccodbc", "ODBCConnector"),
    };
    let mut v = vec![
        cprop("VariantName", "11"),
        cprop("VariantLibrary", lib),
        cprop("VariantVersion", "1.0"),
        cprop("SupportedVariants", "10,11"),
        cprop("Orientation", "link"),
        cprop("RejectFromLink", "-1"),
        cprop("RejectThreshold", "0"),
        cprop("RejectNumber", "0"),
        cprop("RejectUsesPercentage", "false"),
        cprop("ConnectorName", name),
        cprop("Engine", "EE"),
        cprop("Context", if src { "source" } else { "target" }),
        cprop("ConnectionString", "/Connection/Server"),
        cprop("Username", "/Connection/Username"),
        cprop("Password", "/Connection/Password"),
    ];
    let multi = xml.contains('\n') && cx.noise.chance(0.5);
    if multi {
        v.push(vec![q("Name", "XMLProperties"), m("Value", xml)]);
    } else {
        v.push(cprop("XMLProperties", xml));
    }
    v
}

fn c_name(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A C-like transformer program in the style of the engine's TrxGenCode.
fn trx_gen_code(cx: &Ctx, st: &Stage, class: &str) -> String {
    let spec = cx.spec;
    let mut s = String::with_capacity(4096);
    s.push_str("//\n// Generated file to implement the ");
    s.push_str(class);
    s.push_str(" transform operator.\n//\n\n// define our input/output link names\n");
    for (k, &li) in st.inputs.iter().enumerate() {
        s.push_str(&format!("inputname {k} {};\n", cx.rs.link_names[li]));
    }
    for (k, &li) in st.outputs.iter().enumerate() {
        s.push_str(&format!("outputname {k} {};\n", cx.rs.link_names[li]));
    }
    s.push_str("\ninitialize {\n\t// define our control variables\n\tint8 RowRejected0;\n\tint8 NullSetVar0;\n\n\t// Stage variable declaration and initialisation\n");
    for sv in &st.svars {
        s.push_str(&format!(
            "\tstring StageVar0_{};\n\tStageVar0_{} = {};\n",
            sv.name, sv.name, sv.init
        ));
    }
    s.push_str("}\n\nmainloop {\n\n\t// evaluate the stage variables first\n");
    for sv in &st.svars {
        let e = cx.s(&sv.expr).replace('\n', " ");
        s.push_str(&format!("\tStageVar0_{} = {};\n", sv.name, gen_fn(&e)));
    }
    s.push_str("\n\t// initialise the rejected row variable\n\tRowRejected0 = 1;\n");
    for &li in &st.outputs {
        let l = &spec.links[li];
        let ln = &cx.rs.link_names[li];
        s.push_str(&format!(
            "\n\t// evaluate constraint and columns for link: {ln}\n"
        ));
        let cond = match (&l.constraint, l.otherwise) {
            (Some(c), _) => gen_fn(&cx.s(c)),
            (None, true) => "RowRejected0 == 1".into(),
            (None, false) => "1".into(),
        };
        s.push_str(&format!("\tif ({cond})\n\t{{\n"));
        for c in &l.cols {
            if let Some(d) = &c.deriv {
                let e = cx.s(d.trim_start_matches('\u{0}')).replace('\n', " ");
                s.push_str(&format!("\t\t{ln}.{} = {};\n", c_name(&c.name), gen_fn(&e)));
            }
        }
        s.push_str("\t\twriterecord ");
        s.push_str(
            &st.outputs
                .iter()
                .position(|&x| x == li)
                .unwrap_or(0)
                .to_string(),
        );
        s.push_str(";\n\t\tRowRejected0 = 0;\n\t}\n");
    }
    s.push_str("}\n\nfinish {\n}\n");
    s
}

fn gen_fn(e: &str) -> String {
    e.replace("Trim(", "trimc_string(")
        .replace("Upcase(", "u_upper_case(")
        .replace("UpCase(", "u_upper_case(")
        .replace("NullToValue(", "null_to_value(")
        .replace("IsNull(", "null(")
        .replace("IsNotNull(", "notnull(")
        .replace("CurrentDate()", "current_date()")
        .replace("StringToDate(", "date_from_string(")
        .replace("DateToString(", "string_from_date(")
        .replace("Field(", "substring_by_delimiter(")
        .replace(" = ", " == ")
        .replace(" <> ", " != ")
        .replace(" And ", " && ")
        .replace(" Or ", " || ")
        .replace(" : ", " + ")
}

/// Compiled OSH, roughly as the engine writes it into `OrchestrateCode`.
fn osh_code(cx: &Ctx) -> String {
    let spec = cx.spec;
    let mut s = String::with_capacity(8192);
    for (i, st) in spec.stages.iter().enumerate() {
        let name = &cx.rs.stage_names[i];
        s.push_str(
            "#################################################################\n#### STAGE: ",
        );
        s.push_str(name);
        s.push_str("\n## Operator\n");
        let op = match &st.kind {
            SK::SeqSrc { .. } => "import",
            SK::SeqTgt { .. } => "export",
            SK::DbSrc { .. } | SK::DbTgt { .. } => "pxbridge",
            SK::Transformer => "transform",
            SK::Join { op, .. } => op,
            SK::Lookup { .. } => "lookup",
            SK::Aggregator { .. } => "group",
            SK::Sort { .. } => "tsort",
            SK::RemDup { .. } => "remdup",
            SK::Funnel => "funnel",
            SK::Copy => "copy",
            SK::Filter { .. } => "filter",
            SK::Modify { .. } => "modify",
            SK::Peek => "peek",
            SK::ChangeCapture { .. } => "changecapture",
            SK::DataSetSrc { .. } | SK::DataSetTgt { .. } => "copy",
            SK::SurrogateKey { .. } => "surrogate_key_generator",
            _ => "generic",
        };
        s.push_str(op);
        s.push_str("\n## Operator options\n");
        if let Some(&li) = st.outputs.first()
            && matches!(st.kind, SK::SeqSrc { .. })
        {
            s.push_str("-schema record\n  {final_delim=end, delim=',', quote=double}\n(\n");
            for c in &spec.links[li].cols {
                s.push_str(&format!("  {}:{};\n", c.name, c.ty.osh()));
            }
            s.push_str(")\n-rejects continue\n-reportProgress yes\n");
        }
        if st.kind == SK::Transformer {
            s.push_str(&format!(
                "-flag run\n-name '{}_{}_{}'\n",
                cx.rs.stage_ids[i], cx.n.job_name, name
            ));
        }
        s.push_str(&format!(
            "\n## General options\n[ident('{name}'); jobmon_ident('{name}')]\n"
        ));
        if !st.inputs.is_empty() {
            s.push_str("## Inputs\n");
            for (k, &li) in st.inputs.iter().enumerate() {
                s.push_str(&format!(
                    "{k}< [] '{}:{}.v'\n",
                    cx.rs.stage_names[spec.links[li].from], cx.rs.link_names[li]
                ));
            }
        }
        if !st.outputs.is_empty() {
            s.push_str("## Outputs\n");
            for (k, &li) in st.outputs.iter().enumerate() {
                s.push_str(&format!("{k}> [] '{name}:{}.v'\n", cx.rs.link_names[li]));
            }
        }
        s.push_str(";\n\n");
    }
    s
}

/// Compiled job control of a sequence (DSAttachJob/DSRunJob/DSWaitForJob).
fn job_control(cx: &Ctx) -> String {
    let spec = cx.spec;
    let mut s =
        String::from("* Job control generated for sequence\n$INCLUDE DSINCLUDE JOBCONTROL.H\n");
    for (i, st) in spec.stages.iter().enumerate() {
        if let SK::JobActivity { job } = st.kind {
            let jn = cx.n.run_jobs.get(job).cloned().unwrap_or_default();
            let a = c_name(&cx.rs.stage_names[i]);
            s.push_str(&format!(
                "\nL${a}$START:\n*** Activity \"{}\": Initialize job\n   jb${a} = \"{jn}\":'.':{a}$InvocationId\n   h${a} = DSAttachJob(jb${a}, DSJ.ERRNONE)\n   If (Not(h${a})) Then\n      msg${a} = DSMakeMsg(\"Unable to attach job\", \"\")\n      GoTo L$ABORT\n   End\n   p${a}$RUN_DATE = (RUN_DATE)\n   err${a} = DSSetParam(h${a}, \"RUN_DATE\", p${a}$RUN_DATE)\n   err${a} = DSRunJob(h${a}, DSJ.RUNNORMAL)\n   err${a} = DSWaitForJob(h${a})\n   status${a} = DSGetJobInfo(h${a}, DSJ.JOBSTATUS)\n   If status${a} = DSJS.RUNOK Or status${a} = DSJS.RUNWARN Then GoTo L${a}$OK\n",
                cx.rs.stage_names[i]
            ));
        }
    }
    s.push_str("\nL$ABORT:\n   Call DSLogFatal(\"Sequence aborted\", \"JobControl\")\nEND\n");
    s
}

/// A `DSEXECJOB` block (compiled executable) for a job: a reader must skip it.
pub fn exec_block(name: &str, seed: u64, bulk_bytes: usize) -> String {
    let mut r = Rng::new(derive(seed, "exec", 0));
    let id = format!(
        "JOB.{}.DT.{}",
        r.range(100_000_000, 999_999_999),
        r.range(100_000_000, 1_999_999_999)
    );
    let mut s = String::with_capacity(bulk_bytes + 4096);
    s.push_str("BEGIN DSEXECJOB\n");
    s.push_str(&format!(
        "   Identifier \"{name}\"\n   DateModified \"1899-12-30\"\n   TimeModified \"00.00.01\"\n"
    ));
    s.push_str(&format!("   BEGIN DSRECORD\n      Identifier \"{name}\"\n      F1 \"JOB\"\n      F3 \"11.7///60/C\"\n      F5 \"RUN_DATE\\VJOB_RUN_ID\"\n      F9 \"0\\V0\"\n      F10 \"V0\"\n      F22 \"{id}\"\n      F24 \",,,,\"\n      F31 \"2019-03-0{} 12:20:59\"\n      F36 \"DSSERVER\"\n   END DSRECORD\n", r.range(1, 9)));
    s.push_str(&format!("   BEGIN DSBPSOURCE\n      Identifier \"{id}\"\n      TERMINATOR =+=+=+=\n* Job Control subroutine for Job {name}\n*\nSUBROUTINE DSJobControl\n\n$INCLUDE DSINCLUDE DSD_STAGE.H\n$INCLUDE DSINCLUDE JOBCONTROL.H\nBEGIN CASE\n   CASE 1\n      Call DSLogInfo(\"start\", \"JobControl\")\nEND CASE\nRETURN\nEND\n\n=+=+=+=\n   END DSBPSOURCE\n"));
    s.push_str(&format!("   BEGIN DSBPBINARY\n      Identifier \"{id}\"\n"));
    let mut off = 1;
    let mut written = 0;
    while written < bulk_bytes {
        let h = r.hex(80);
        s.push_str(&format!("      B{off} \"{h}\"\n"));
        off += 40;
        written += 92;
    }
    s.push_str("   END DSBPBINARY\nEND DSEXECJOB\n");
    s
}
