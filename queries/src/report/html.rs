//! The page: static sections rendered here (summary, charts, tables that
//! do not need interaction), the job table and detail panel drawn by a
//! small vanilla JS app from one embedded JSON block.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use serde_json::{Value, json};

use super::svg;
use super::{JobDetail, ReportData};

pub(super) const CSS: &str = include_str!("report.css");
pub(super) const APP_JS: &str = include_str!("app.js");
/// Runs first: records console errors and any network attempt, so the
/// browser test (and a curious reader: `window.__dsmig`) can check them.
pub(super) const HOOKS_JS: &str = include_str!("hooks.js");

/// Rows of the static high-risk and group tables.
const TOP: usize = 50;
/// Problems listed per severity (all are counted).
const MAX_ERRORS: usize = 1000;
const MAX_WARNINGS: usize = 200;

/// HTML-escape text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// JSON that is safe inside `<script>`: `<`, `>` and `&` only occur in
/// strings, where their `\u` escapes mean the same.
fn script_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let mut o = String::with_capacity(s.len() + 64);
    for c in s.chars() {
        match c {
            '<' => o.push_str("\\u003c"),
            '>' => o.push_str("\\u003e"),
            '&' => o.push_str("\\u0026"),
            '\u{2028}' => o.push_str("\\u2028"),
            '\u{2029}' => o.push_str("\\u2029"),
            _ => o.push(c),
        }
    }
    o
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    o
}

fn hours(h: f64) -> String {
    let whole = h.trunc() as u64;
    let tenth = ((h - h.trunc()) * 10.0).round() as u64;
    if tenth >= 10 {
        format!("{}.0", thousands(whole + 1))
    } else {
        format!("{}.{tenth}", thousands(whole))
    }
}

fn pct(n: usize, total: usize) -> String {
    if total == 0 {
        "0%".into()
    } else {
        format!("{:.0}%", 100.0 * n as f64 / total as f64)
    }
}

fn place(file: &str, line: Option<u64>, member: Option<&str>) -> String {
    match (member, line) {
        (Some(m), _) => format!("{file}!{m}"),
        (None, Some(l)) => format!("{file}:{l}"),
        (None, None) => file.to_string(),
    }
}

/// Strings used many times (files, kinds, factor reasons) are stored once.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Strings {
    fn id(&mut self, s: &str) -> Value {
        if let Some(i) = self.index.get(s) {
            return json!(i);
        }
        let i = self.list.len();
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        json!(i)
    }
    fn opt(&mut self, s: Option<&str>) -> Value {
        s.map_or(Value::Null, |s| self.id(s))
    }
    fn all(&mut self, v: &[String]) -> Value {
        Value::Array(v.iter().map(|s| self.id(s)).collect())
    }
}

/// Columns of a job row in the embedded data (the JS reads this list).
const ROW_COLUMNS: &[&str] = &[
    "name",
    "file",
    "line",
    "member",
    "kind",
    "folder",
    "category",
    "confidence",
    "effort",
    "score",
    "stages",
    "links",
    "columns",
    "parameters",
    "dup",
    "sim",
    "fam",
    "wave",
    "detail",
    "format",
];

fn detail_json(d: &JobDetail, hash: &str, s: &mut Strings) -> Value {
    json!([
        s.id(hash),
        d.stage_types
            .iter()
            .map(|(t, n)| json!([s.id(t), n]))
            .collect::<Vec<_>>(),
        s.all(&d.parameters),
        d.score,
        d.factors
            .iter()
            .map(|f| json!([
                s.id(&f.name),
                f.points,
                s.opt(f.location.as_deref()),
                s.id(&f.reason)
            ]))
            .collect::<Vec<_>>(),
        s.id(&d.rule),
        d.blocking
            .iter()
            .map(|b| json!([s.id(&b.what), s.opt(b.location.as_deref()), s.id(&b.reason)]))
            .collect::<Vec<_>>(),
        d.groups
            .iter()
            .map(|g| json!([
                s.id(&g.kind),
                s.id(&g.id),
                g.size,
                s.id(&g.template),
                u8::from(g.is_template),
                g.similarity,
                g.differing_slots,
                s.all(&g.slot_paths)
            ]))
            .collect::<Vec<_>>(),
        s.all(&d.reads),
        s.all(&d.writes),
        s.all(&d.runs),
        s.all(&d.upstream),
        d.upstream_total,
        s.all(&d.downstream),
        d.downstream_total,
        s.id(&d.strategy),
        s.id(&d.strategy_reason),
    ])
}

fn payload(data: &ReportData) -> Value {
    let mut s = Strings::default();
    let detail_index: BTreeMap<&str, usize> = data
        .details
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let details: Vec<Value> = data
        .details
        .iter()
        .map(|(k, d)| detail_json(d, k, &mut s))
        .collect();
    let rows: Vec<Value> = data
        .jobs
        .iter()
        .map(|j| {
            json!([
                j.name,
                s.id(&j.file),
                j.line,
                s.opt(j.member.as_deref()),
                s.id(&j.kind),
                s.id(&j.folder),
                s.id(&j.category),
                j.confidence,
                j.effort_hours,
                j.score,
                j.stages,
                j.links,
                j.columns,
                j.parameters,
                s.opt(j.dup.as_deref()),
                s.opt(j.sim.as_deref()),
                s.opt(j.fam.as_deref()),
                j.wave,
                detail_index.get(j.hash.as_str()),
                s.id(&j.format),
            ])
        })
        .collect();
    let groups: Vec<Value> = data
        .groups
        .iter()
        .map(|g| json!([g.kind, g.id, g.jobs, g.template]))
        .collect();
    json!({
        "format_version": data.format_version,
        "columns": ROW_COLUMNS,
        "page_size": data.settings.page_size.max(10),
        "strings": s.list,
        "jobs": rows,
        "details": details,
        "groups": groups,
    })
}

/// The whole page. Deterministic: the data is normalised first, so the
/// order the jobs come in does not matter.
pub fn render(data: &ReportData, title: &str) -> String {
    let mut data = data.clone();
    data.normalise();
    let data = &data;
    let s = &data.summary;
    let mut o = String::with_capacity(1 << 20);
    let t = esc(title);
    let _ = write!(
        o,
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dsmig report (data format {})">
<link rel="icon" href="data:,">
<title>{t}</title>
<script>{HOOKS_JS}</script>
<style>{CSS}</style>
</head><body>
<header><h1>{t}</h1>
<p class="muted">{} jobs in {} files ({} read, {} skipped), {:.1} MB of exports. Generated by dsmig from the analysis; every figure below is the same as <code>dsmig analyze -f json</code>.</p>
<nav><a href="#summary">Summary</a><a href="#recommendations">Recommendations</a><a href="#categories">Categories</a><a href="#complexity">Complexity</a><a href="#groups">Groups</a><a href="#waves">Waves</a><a href="#proven">Proven</a><a href="#risk">High risk</a><a href="#jobs">All jobs</a><a href="#problems">Problems</a></nav>
</header><main>
"##,
        data.format_version,
        thousands(s.jobs as u64),
        thousands(s.files as u64),
        s.files_read,
        s.files_skipped,
        s.bytes as f64 / 1e6,
    );
    summary_section(&mut o, data);
    recommendations_section(&mut o, data);
    categories_section(&mut o, data);
    complexity_section(&mut o, data);
    groups_section(&mut o, data);
    waves_section(&mut o, data);
    proven_section(&mut o, data);
    risk_section(&mut o, data);
    unread_section(&mut o, data);
    jobs_section(&mut o, data);
    problems_section(&mut o, data);
    o.push_str("</main>\n<aside id=\"detail\" hidden aria-live=\"polite\"></aside>\n");
    let _ = write!(
        o,
        "<script type=\"application/json\" id=\"dsmig-data\">{}</script>\n<script>{APP_JS}</script>\n</body></html>\n",
        script_json(&payload(data))
    );
    o
}

fn card(o: &mut String, key: &str, value: &str, shown: &str, label: &str, note: &str) {
    let _ = write!(
        o,
        r#"<div class="card"><div class="num" data-k="{key}" data-v="{}">{}</div><div class="label">{}</div>{}</div>"#,
        esc(value),
        esc(shown),
        esc(label),
        if note.is_empty() {
            String::new()
        } else {
            format!(r#"<div class="note">{}</div>"#, esc(note))
        }
    );
}

fn summary_section(o: &mut String, d: &ReportData) {
    let s = &d.summary;
    let cat = |c: &str| s.categories.get(c).copied().unwrap_or(0);
    o.push_str(r#"<section id="summary"><h2>Executive summary</h2><div class="cards">"#);
    card(
        o,
        "jobs",
        &s.jobs.to_string(),
        &thousands(s.jobs as u64),
        "jobs",
        &format!("{} distinct designs", thousands(s.distinct_jobs as u64)),
    );
    for (key, c, label) in [
        ("auto", "AUTO", "automatic (AUTO)"),
        ("semi_auto", "SEMI-AUTO", "need review (SEMI-AUTO)"),
        ("manual", "MANUAL", "rewrite by hand (MANUAL)"),
    ] {
        card(
            o,
            key,
            &cat(c).to_string(),
            &thousands(cat(c) as u64),
            label,
            &format!("{} of jobs", pct(cat(c), s.jobs)),
        );
    }
    card(
        o,
        "effort_hours",
        &s.effort_hours.to_string(),
        &format!("{} h", hours(s.effort_hours)),
        "estimated effort",
        &format!(
            "≈ {:.0} person-days at 8 h; templates of groups counted once",
            (s.effort_hours / 8.0).ceil()
        ),
    );
    let saved: f64 = d.groups.iter().map(|g| g.savings_hours).sum();
    card(
        o,
        "savings_hours",
        &format!("{}", (saved * 10.0).round() / 10.0),
        &format!("{} h", hours(saved)),
        "saved by groups",
        "duplicates and similar jobs derived from their template",
    );
    card(
        o,
        "errors",
        &s.errors.to_string(),
        &thousands(s.errors as u64),
        "parse errors",
        &format!(
            "{} files with errors, {} skipped, {} warnings",
            s.files_with_errors, s.files_skipped, s.warnings
        ),
    );
    card(
        o,
        "duplicate_groups",
        &s.duplicate_groups.to_string(),
        &thousands(s.duplicate_groups as u64),
        "duplicate groups",
        "",
    );
    card(
        o,
        "similarity_clusters",
        &s.similarity_clusters.to_string(),
        &thousands(s.similarity_clusters as u64),
        "similarity clusters",
        "",
    );
    card(
        o,
        "families",
        &s.families.to_string(),
        &thousands(s.families as u64),
        "pattern families",
        "",
    );
    card(
        o,
        "waves",
        &s.waves.to_string(),
        &thousands(s.waves as u64),
        "migration waves",
        &if s.lineage_cycles > 0 {
            format!("{} lineage cycle(s)", s.lineage_cycles)
        } else {
            "from the lineage graph".into()
        },
    );
    match &d.llm {
        Some(l) => {
            let cost = match (l.estimated_cost, l.cost_saved) {
                (Some(c), Some(sv)) => format!("≈ ${c:.2}; batching saves ${sv:.2}"),
                (Some(c), None) => format!("≈ ${c:.2}"),
                _ => format!(
                    "{} calls saved by batching variations with their template; no price configured",
                    l.calls_saved
                ),
            };
            card(
                o,
                "llm_calls",
                &l.calls.to_string(),
                &thousands(l.calls as u64),
                "LLM calls (estimate)",
                &format!("for {} SEMI-AUTO / MANUAL jobs; {cost}", l.jobs),
            );
            if let (Some(made), Some(served)) = (l.calls_made, l.served_from_store) {
                card(
                    o,
                    "llm_made",
                    &made.to_string(),
                    &thousands(made),
                    "LLM calls made",
                    &format!("{served} served from the store"),
                );
            }
        }
        None => card(o, "llm_calls", "0", "0", "LLM calls", "every job is AUTO"),
    }
    if let Some(g) = &d.generation {
        card(
            o,
            "files_written",
            &g.files_written.to_string(),
            &thousands(g.files_written),
            "files generated",
            &format!(
                "target {}, in {}; {} unchanged, {} deleted",
                g.target, g.output_dir, g.files_unchanged, g.files_deleted
            ),
        );
    }
    o.push_str("</div></section>\n");
}

/// Advice derived from the figures, most useful first.
pub fn recommendations(d: &ReportData) -> Vec<String> {
    let s = &d.summary;
    let mut out = Vec::new();
    if s.jobs == 0 {
        out.push("No job was found in the inputs: check the paths and the problems below.".into());
        return out;
    }
    // Templates first: the fewest groups that cover most grouped jobs.
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, j) in d.jobs.iter().enumerate() {
        for id in [&j.dup, &j.sim].into_iter().flatten() {
            members.entry(id.as_str()).or_default().push(i);
        }
    }
    let mut groups: Vec<(&str, &Vec<usize>)> = members
        .iter()
        .map(|(k, v)| (*k, v))
        .filter(|(_, v)| v.len() > 1)
        .collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let all: BTreeSet<usize> = groups.iter().flat_map(|g| g.1.iter().copied()).collect();
    if !all.is_empty() {
        let mut covered = BTreeSet::new();
        let mut k = 0;
        for g in &groups {
            if covered.len() * 5 >= all.len() * 4 {
                break;
            }
            covered.extend(g.1.iter().copied());
            k += 1;
        }
        out.push(format!(
            "{k} group(s) (duplicate groups and similarity clusters) cover {} of jobs ({} of {}): migrate their {k} template(s) first; the other {} jobs are then generated as variations.",
            pct(covered.len(), s.jobs),
            covered.len(),
            s.jobs,
            covered.len().saturating_sub(k)
        ));
    }
    let cat = |c: &str| s.categories.get(c).copied().unwrap_or(0);
    if cat("AUTO") > 0 {
        out.push(format!(
            "{} of jobs ({}) are AUTO: generate them rule-based in bulk early; they need testing, not rewriting.",
            pct(cat("AUTO"), s.jobs),
            cat("AUTO")
        ));
    }
    let effort_of = |c: &str| -> f64 {
        d.jobs
            .iter()
            .filter(|j| j.category == c)
            .map(|j| j.effort_hours)
            .sum()
    };
    let blocking_top = |c: &str| -> Vec<(String, usize)> {
        let mut n: BTreeMap<&str, usize> = BTreeMap::new();
        for j in d.jobs.iter().filter(|j| j.category == c) {
            if let Some(det) = d.details.get(&j.hash) {
                let whats: BTreeSet<&str> = det.blocking.iter().map(|b| b.what.as_str()).collect();
                for w in whats {
                    *n.entry(w).or_insert(0) += 1;
                }
            }
        }
        let mut v: Vec<(String, usize)> = n.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(3);
        v
    };
    let list = |v: &[(String, usize)]| {
        v.iter()
            .map(|(w, n)| format!("{w} ({n} jobs)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if cat("MANUAL") > 0 {
        let e = effort_of("MANUAL");
        let top = blocking_top("MANUAL");
        out.push(format!(
            "{} MANUAL job(s) carry {} h, {} of the estimated effort{}: decide early how these are replaced, and staff them first.",
            cat("MANUAL"),
            hours(e),
            if s.effort_hours > 0.0 {
                format!("{:.0}%", 100.0 * e / s.effort_hours)
            } else {
                "0%".into()
            },
            if top.is_empty() {
                String::new()
            } else {
                format!("; most frequent blocking items: {}", list(&top))
            }
        ));
    }
    if cat("SEMI-AUTO") > 0 {
        let top = blocking_top("SEMI-AUTO");
        out.push(format!(
            "{} SEMI-AUTO job(s) ({} h) are generated with placeholders to review{}.",
            cat("SEMI-AUTO"),
            hours(effort_of("SEMI-AUTO")),
            if top.is_empty() {
                String::new()
            } else {
                format!("; what to review most often: {}", list(&top))
            }
        ));
    }
    if s.waves > 1 {
        let first = d.waves.first().map_or(0, |w| w.jobs);
        out.push(format!(
            "Go in {} waves following the lineage graph: wave 0 ({} jobs) reads only data no other job writes; each later wave reads what earlier waves write.",
            s.waves, first
        ));
    }
    if !d.cycles.is_empty() {
        let shown: Vec<String> = d.cycles.iter().take(3).map(|c| c.join(" ↔ ")).collect();
        out.push(format!(
            "{} lineage cycle(s) (jobs that read each other's outputs): migrate each cycle together, e.g. {}.",
            d.cycles.len(),
            shown.join("; ")
        ));
    }
    let unknown: BTreeSet<&str> = d
        .jobs
        .iter()
        .flat_map(|j| j.stage_types.keys())
        .filter(|t| t.starts_with("Custom:"))
        .map(|t| t.as_str())
        .collect();
    if !unknown.is_empty() {
        let n = d
            .jobs
            .iter()
            .filter(|j| j.stage_types.keys().any(|t| t.starts_with("Custom:")))
            .count();
        let shown: Vec<&str> = unknown.iter().take(5).copied().collect();
        out.push(format!(
            "{n} job(s) use {} stage type(s) dsmig does not know ({}{}): find out what they do before planning them.",
            unknown.len(),
            shown.join(", "),
            if unknown.len() > 5 { ", …" } else { "" }
        ));
    }
    if s.errors > 0 {
        out.push(format!(
            "{} export error(s) in {} file(s): the jobs concerned are missing or incomplete in these figures; re-export them (see Problems).",
            s.errors, s.files_with_errors
        ));
    }
    out
}

fn recommendations_section(o: &mut String, d: &ReportData) {
    o.push_str(r#"<section id="recommendations"><h2>Recommendations</h2><ol>"#);
    for r in recommendations(d) {
        let _ = write!(o, "<li>{}</li>", esc(&r));
    }
    o.push_str("</ol></section>\n");
}

fn categories_section(o: &mut String, d: &ReportData) {
    let s = &d.summary;
    let counts: Vec<(String, usize)> = svg::CATEGORIES
        .iter()
        .map(|c| (c.to_string(), s.categories.get(*c).copied().unwrap_or(0)))
        .collect();
    o.push_str(r#"<section id="categories"><h2>Migration categories</h2><div class="row">"#);
    o.push_str(&svg::category_donut(&counts));
    o.push_str(r#"<table class="t"><thead><tr><th>category</th><th class="r">jobs</th><th class="r">share</th><th class="r">effort h</th><th>means</th></tr></thead><tbody>"#);
    for (c, means) in [
        ("AUTO", "generated by rules; test and ship"),
        ("SEMI-AUTO", "generated with placeholders to review"),
        (
            "MANUAL",
            "a stage or code without translation rules, or very complex",
        ),
    ] {
        let n = s.categories.get(c).copied().unwrap_or(0);
        let e: f64 = d
            .jobs
            .iter()
            .filter(|j| j.category == c)
            .map(|j| j.effort_hours)
            .sum();
        let _ = write!(
            o,
            r#"<tr><td><span class="badge" style="background:{}">{c}</span></td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td>{means}</td></tr>"#,
            svg::color(c),
            thousands(n as u64),
            pct(n, s.jobs),
            hours(e)
        );
    }
    let st = &d.settings;
    let _ = writeln!(
        o,
        r#"</tbody></table></div><p class="muted">Rules: MANUAL if a stage has no translation rule or the score is ≥ {}; SEMI-AUTO if an item needs review or the score is &gt; {}; AUTO otherwise. Effort = base (0.5 / 2 / 8 h) + {} h per complexity point; a copy in a duplicate group costs 20%, a member of a similarity cluster 60%.</p></section>"#,
        st.manual_min_score, st.auto_max_score, st.hours_per_point
    );
}

fn complexity_section(o: &mut String, d: &ReportData) {
    let st = &d.settings;
    let edges: [(u32, u32); 10] = [
        (0, 0),
        (1, 5),
        (6, 10),
        (11, 20),
        (21, 30),
        (31, 45),
        (46, 59),
        (60, 99),
        (100, 199),
        (200, u32::MAX),
    ];
    let mut bars: Vec<(String, usize, &str)> = edges
        .iter()
        .map(|(a, b)| {
            let label = if a == b {
                a.to_string()
            } else if *b == u32::MAX {
                format!("{a}+")
            } else {
                format!("{a}–{b}")
            };
            let colour = if *b <= st.auto_max_score {
                svg::color("AUTO")
            } else if *a >= st.manual_min_score {
                svg::color("MANUAL")
            } else {
                svg::color("SEMI-AUTO")
            };
            (label, 0, colour)
        })
        .collect();
    for j in &d.jobs {
        if let Some(i) = edges
            .iter()
            .position(|(a, b)| j.score >= *a && j.score <= *b)
        {
            bars[i].1 += 1;
        }
    }
    o.push_str(r#"<section id="complexity"><h2>Complexity distribution</h2><div class="row">"#);
    o.push_str(&svg::histogram(
        "Jobs per complexity score",
        &bars,
        "complexity score (points)",
    ));
    // Where the points come from, over all jobs.
    let mut by: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for j in &d.jobs {
        if let Some(det) = d.details.get(&j.hash) {
            let mut seen = BTreeSet::new();
            for f in &det.factors {
                let e = by.entry(f.name.as_str()).or_insert((0, 0));
                e.0 += f.points as u64;
                if seen.insert(f.name.as_str()) {
                    e.1 += 1;
                }
            }
        }
    }
    let mut top: Vec<(&str, (u64, usize))> = by.into_iter().filter(|x| x.1.0 > 0).collect();
    top.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    o.push_str(r#"<table class="t"><caption>Where the points come from</caption><thead><tr><th>factor</th><th class="r">points</th><th class="r">jobs</th></tr></thead><tbody>"#);
    for (name, (points, jobs)) in top.iter().take(12) {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="r">{}</td><td class="r">{}</td></tr>"#,
            esc(name),
            thousands(*points),
            thousands(*jobs as u64)
        );
    }
    o.push_str("</tbody></table></div></section>\n");
}

fn job_link(o: &mut String, d: &ReportData, name: &str) {
    match d.jobs.iter().position(|j| j.name == name) {
        Some(i) => {
            let _ = write!(
                o,
                r##"<a href="#job={i}" data-job="{i}">{}</a>"##,
                esc(name)
            );
        }
        None => o.push_str(&esc(name)),
    }
}

fn group_table(o: &mut String, d: &ReportData, kind: &str, caption: &str) {
    let groups: Vec<_> = d.groups.iter().filter(|g| g.kind == kind).collect();
    if groups.is_empty() {
        let _ = write!(o, r#"<p class="muted">No {caption}.</p>"#);
        return;
    }
    let total_jobs: usize = groups.iter().map(|g| g.jobs).sum();
    let saved: f64 = groups.iter().map(|g| g.savings_hours).sum();
    let _ = write!(
        o,
        r#"<table class="t"><caption>{} {caption}: {} jobs{}</caption><thead><tr><th>id</th><th class="r">jobs</th><th class="r">designs</th><th>template</th><th>category</th><th class="r">effort h</th><th class="r">saved h</th></tr></thead><tbody>"#,
        groups.len(),
        thousands(total_jobs as u64),
        if saved > 0.0 {
            format!(", {} h saved", hours(saved))
        } else {
            String::new()
        }
    );
    for g in groups.iter().take(TOP) {
        let _ = write!(
            o,
            r#"<tr><td><code>{}</code></td><td class="r">{}</td><td class="r">{}</td><td>"#,
            esc(&g.id),
            g.jobs,
            g.designs
        );
        job_link(o, d, &g.template);
        let _ = write!(
            o,
            r#"</td><td>{}</td><td class="r">{}</td><td class="r">{}</td></tr>"#,
            esc(&g.template_category),
            hours(g.effort_hours),
            if kind == "family" {
                "–".to_string()
            } else {
                hours(g.savings_hours)
            }
        );
    }
    o.push_str("</tbody></table>");
    if groups.len() > TOP {
        let _ = write!(
            o,
            r#"<p class="muted">… and {} more: filter the job table by group.</p>"#,
            groups.len() - TOP
        );
    }
}

fn groups_section(o: &mut String, d: &ReportData) {
    o.push_str(r#"<section id="groups"><h2>Duplicate groups and clusters</h2>"#);
    let mut top: Vec<_> = d.groups.iter().filter(|g| g.kind != "family").collect();
    top.sort_by(|a, b| b.jobs.cmp(&a.jobs).then(a.id.cmp(&b.id)));
    if top.is_empty() {
        o.push_str(r#"<p class="muted">No duplicate or similar jobs were found.</p>"#);
    } else {
        let bars: Vec<(String, usize, &str)> = top
            .iter()
            .take(15)
            .map(|g| {
                (
                    format!("{} ({})", g.id, g.template),
                    g.jobs,
                    if g.kind == "duplicate" {
                        "#1565c0"
                    } else {
                        "#6a1b9a"
                    },
                )
            })
            .collect();
        o.push_str(&svg::hbars("Largest groups (jobs per group)", &bars));
        o.push_str(r#"<p class="muted"><span class="swatch" style="background:#1565c0"></span>duplicate group (same design up to names and literals) <span class="swatch" style="background:#6a1b9a"></span>similarity cluster (similar design, migrated from one template)</p>"#);
    }
    group_table(o, d, "duplicate", "duplicate groups");
    group_table(o, d, "cluster", "similarity clusters");
    group_table(o, d, "family", "pattern families (same stage graph)");
    o.push_str("</section>\n");
}

fn waves_section(o: &mut String, d: &ReportData) {
    o.push_str(r#"<section id="waves"><h2>Migration waves</h2>"#);
    if d.waves.is_empty() {
        o.push_str(r#"<p class="muted">No lineage between jobs was found.</p></section>"#);
        return;
    }
    let counts: Vec<Vec<(String, usize)>> = d
        .waves
        .iter()
        .map(|w| {
            svg::CATEGORIES
                .iter()
                .map(|c| (c.to_string(), w.categories.get(*c).copied().unwrap_or(0)))
                .collect()
        })
        .collect();
    o.push_str(r#"<div class="row">"#);
    o.push_str(&svg::waves(&counts));
    o.push_str(r#"<table class="t"><thead><tr><th class="r">wave</th><th class="r">jobs</th><th class="r">AUTO</th><th class="r">SEMI-AUTO</th><th class="r">MANUAL</th><th class="r">effort h</th></tr></thead><tbody>"#);
    for w in d.waves.iter().take(TOP) {
        let c = |k: &str| w.categories.get(k).copied().unwrap_or(0);
        let _ = write!(
            o,
            r#"<tr><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td></tr>"#,
            w.index,
            w.jobs,
            c("AUTO"),
            c("SEMI-AUTO"),
            c("MANUAL"),
            hours(w.effort_hours)
        );
    }
    o.push_str("</tbody></table></div>");
    o.push_str(r#"<p class="muted">A job's wave is one more than the latest wave of the jobs that write what it reads (or run it). Migrating wave by wave means each job's inputs already exist in the target.</p>"#);
    if !d.cycles.is_empty() {
        let _ = write!(o, "<h3>Lineage cycles ({})</h3><ul>", d.cycles.len());
        for c in d.cycles.iter().take(TOP) {
            o.push_str("<li>");
            for (i, n) in c.iter().enumerate() {
                if i > 0 {
                    o.push_str(" ↔ ");
                }
                job_link(o, d, n);
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>\n");
}

/// Per job row: `matching`, `mismatching`, `not comparable`, `stale` (a
/// verdict on an earlier version of the job) or `never compared`.
fn proven_state(d: &ReportData, j: &crate::inventory::JobRow) -> &'static str {
    use crate::reconcile::{MATCH, MISMATCH};
    match d.reconciled.get(&j.name) {
        None => "never compared",
        Some(v) if v.stale(&j.hash) => "stale",
        Some(v) if v.verdict == MATCH => "matching",
        Some(v) if v.verdict == MISMATCH => "mismatching",
        Some(_) => "not comparable",
    }
}

/// The estate's proven state (issue 20): jobs whose migrated outputs were
/// compared with DataStage's by `dsmig reconcile`, per category and wave.
fn proven_section(o: &mut String, d: &ReportData) {
    const STATES: [&str; 5] = [
        "matching",
        "mismatching",
        "not comparable",
        "stale",
        "never compared",
    ];
    o.push_str(r#"<section id="proven"><h2>Proven state</h2>"#);
    let jobs: Vec<&crate::inventory::JobRow> =
        d.jobs.iter().filter(|j| j.kind != "sequence").collect();
    let mut by: BTreeMap<(u8, String), [usize; 5]> = BTreeMap::new();
    let mut total = [0usize; 5];
    for j in &jobs {
        let k = STATES
            .iter()
            .position(|s| *s == proven_state(d, j))
            .unwrap_or(4);
        total[k] += 1;
        by.entry((0, j.category.clone())).or_default()[k] += 1;
        let wave = j
            .wave
            .map_or("no wave".to_string(), |w| format!("wave {w}"));
        by.entry((1, wave)).or_default()[k] += 1;
    }
    let reconciled = total[0] + total[1] + total[2];
    let _ = write!(
        o,
        r#"<p>{} of {} jobs reconciled on their current version: {} matching, {} mismatching, {} not comparable; {} compared before their last change (stale), {} never compared.</p>"#,
        reconciled,
        jobs.len(),
        total[0],
        total[1],
        total[2],
        total[3],
        total[4]
    );
    o.push_str(r#"<table class="t"><thead><tr><th></th><th class="r">jobs</th><th class="r">matching</th><th class="r">mismatching</th><th class="r">not comparable</th><th class="r">stale</th><th class="r">never compared</th></tr></thead><tbody>"#);
    for ((_, label), n) in &by {
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td></tr>"#,
            esc(label),
            n.iter().sum::<usize>(),
            n[0],
            n[1],
            n[2],
            n[3],
            n[4]
        );
    }
    o.push_str("</tbody></table>");
    let mismatching: Vec<&&crate::inventory::JobRow> = jobs
        .iter()
        .filter(|j| proven_state(d, j) == "mismatching")
        .collect();
    if !mismatching.is_empty() {
        let _ = write!(o, "<h3>Mismatching jobs ({})</h3><ul>", mismatching.len());
        for j in mismatching.iter().take(TOP) {
            o.push_str("<li>");
            job_link(o, d, &j.name);
            if let Some(v) = d.reconciled.get(&j.name) {
                let _ = write!(o, ": {}", esc(&v.line(&j.hash)));
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>");
    }
    o.push_str(r#"<p class="muted">A job is proven when <code>dsmig reconcile</code> compared what its migrated code wrote with what DataStage wrote, on the same input, and found no difference. A verdict on an earlier version of a job is stale: the job changed since.</p></section>
"#);
}

fn risk_section(o: &mut String, d: &ReportData) {
    o.push_str(r#"<section id="risk"><h2>High-risk jobs</h2>"#);
    let mut risky: Vec<(usize, &crate::inventory::JobRow)> = d
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.category == "MANUAL" || j.category == "SEMI-AUTO")
        .collect();
    let rank = |c: &str| u8::from(c != "MANUAL");
    risky.sort_by(|a, b| {
        rank(&a.1.category)
            .cmp(&rank(&b.1.category))
            .then(b.1.score.cmp(&a.1.score))
            .then(b.1.effort_hours.total_cmp(&a.1.effort_hours))
            .then(a.0.cmp(&b.0))
    });
    if risky.is_empty() {
        o.push_str(r#"<p class="muted">No MANUAL or SEMI-AUTO job.</p></section>"#);
        return;
    }
    let _ = write!(
        o,
        r#"<p class="muted">MANUAL jobs first, then SEMI-AUTO, by complexity score; the {} riskiest of {}. Click a job for its details.</p><table class="t" id="risk-table"><thead><tr><th>job</th><th>category</th><th class="r">score</th><th class="r">effort h</th><th>blocking items</th><th>source</th></tr></thead><tbody>"#,
        risky.len().min(TOP),
        risky.len()
    );
    for (i, j) in risky.iter().take(TOP) {
        let _ = write!(
            o,
            r##"<tr><td><a href="#job={i}" data-job="{i}">{}</a></td><td><span class="badge" style="background:{}">{}</span></td><td class="r">{}</td><td class="r">{}</td><td><ul class="blk">"##,
            esc(&j.name),
            svg::color(&j.category),
            esc(&j.category),
            j.score,
            hours(j.effort_hours)
        );
        if let Some(det) = d.details.get(&j.hash) {
            for b in det.blocking.iter().take(3) {
                let _ = write!(
                    o,
                    "<li><b>{}</b>{}: {}</li>",
                    esc(&b.what),
                    b.location
                        .as_ref()
                        .map(|l| format!(" at {}", esc(l)))
                        .unwrap_or_default(),
                    esc(&b.reason)
                );
            }
            if det.blocking.len() > 3 {
                let _ = write!(o, "<li>… {} more</li>", det.blocking.len() - 3);
            }
        }
        let _ = write!(
            o,
            "</ul></td><td><code>{}</code></td></tr>",
            esc(&place(&j.file, j.line, j.member.as_deref()))
        );
    }
    o.push_str("</tbody></table></section>\n");
}

/// The properties no translation reads, most frequent first: what to
/// implement next (the property audit, `stages::audit`).
fn unread_section(o: &mut String, d: &ReportData) {
    use crate::analysis::complexity::FactorKind;
    // (stage type.property) -> (jobs, blocking jobs)
    let mut n: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for j in &d.jobs {
        let Some(det) = d.details.get(&j.hash) else {
            continue;
        };
        let mut seen: BTreeMap<&str, bool> = BTreeMap::new();
        for f in &det.factors {
            let blocking = match f.kind {
                FactorKind::NotInterpreted => true,
                FactorKind::NotInterpretedInfo => false,
                _ => continue,
            };
            let name = f.name.strip_prefix("property:").unwrap_or(&f.name);
            let e = seen.entry(name).or_insert(false);
            *e |= blocking;
        }
        for (name, blocking) in seen {
            let e = n.entry(name).or_insert((0, 0));
            e.0 += 1;
            e.1 += usize::from(blocking);
        }
    }
    o.push_str(r#"<section id="unread"><h2>Properties not interpreted</h2>"#);
    if n.is_empty() {
        o.push_str(r#"<p class="muted">Every property of every stage is interpreted or known not to change rows.</p></section>"#);
        return;
    }
    let mut v: Vec<(&str, (usize, usize))> = n.into_iter().collect();
    v.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(b.1.0.cmp(&a.1.0)).then(a.0.cmp(b.0)));
    let _ = write!(
        o,
        r#"<p class="muted">Stage properties no translation reads, at a value other than DataStage's default; on a row-transforming stage they keep a job out of AUTO. The {} most frequent of {}: what to implement next.</p><table class="t" id="unread-table"><thead><tr><th>stage type . property</th><th class="r">jobs</th><th class="r">jobs held out of AUTO</th></tr></thead><tbody>"#,
        v.len().min(TOP),
        v.len()
    );
    for (name, (jobs, blocking)) in v.iter().take(TOP) {
        let _ = write!(
            o,
            r#"<tr><td><code>{}</code></td><td class="r">{jobs}</td><td class="r">{blocking}</td></tr>"#,
            esc(name)
        );
    }
    o.push_str("</tbody></table></section>\n");
}

fn jobs_section(o: &mut String, d: &ReportData) {
    let kinds: BTreeSet<&str> = d.jobs.iter().map(|j| j.kind.as_str()).collect();
    o.push_str(r#"<section id="jobs"><h2>All jobs</h2><div class="controls">"#);
    o.push_str(r#"<input id="q" type="search" placeholder="Search name, file, folder, group, stage type…" aria-label="Search jobs" autocomplete="off">"#);
    o.push_str(
        r#"<select id="f-cat" aria-label="Category"><option value="">all categories</option>"#,
    );
    for c in svg::CATEGORIES {
        let _ = write!(o, r#"<option value="{c}">{c}</option>"#);
    }
    o.push_str(
        r#"</select><select id="f-kind" aria-label="Kind"><option value="">all kinds</option>"#,
    );
    for k in kinds {
        let _ = write!(o, r#"<option value="{0}">{0}</option>"#, esc(k));
    }
    o.push_str(r#"</select><select id="f-group" aria-label="Group"><option value="">all groups</option><option value="*">in any group</option><option value="-">in no group</option>"#);
    for (kind, label) in [
        ("duplicate", "duplicate groups"),
        ("cluster", "similarity clusters"),
        ("family", "pattern families"),
    ] {
        let gs: Vec<_> = d.groups.iter().filter(|g| g.kind == kind).collect();
        if gs.is_empty() {
            continue;
        }
        let _ = write!(o, r#"<optgroup label="{label}">"#);
        for g in gs {
            let _ = write!(
                o,
                r#"<option value="{}">{} ({} jobs, {})</option>"#,
                esc(&g.id),
                esc(&g.id),
                g.jobs,
                esc(&g.template)
            );
        }
        o.push_str("</optgroup>");
    }
    o.push_str(r#"</select><span id="count" class="muted"></span></div>"#);
    o.push_str(r#"<div class="scroll"><table class="t" id="job-table"><thead><tr>"#);
    for (key, label, right) in [
        ("name", "job", false),
        ("kind", "kind", false),
        ("category", "category", false),
        ("score", "score", true),
        ("effort", "effort h", true),
        ("confidence", "confidence", true),
        ("stages", "stages", true),
        ("links", "links", true),
        ("columns", "columns", true),
        ("group", "group", false),
        ("wave", "wave", true),
        ("file", "source", false),
    ] {
        let _ = write!(
            o,
            r#"<th data-sort="{key}"{} tabindex="0" aria-sort="none">{label}</th>"#,
            if right { r#" class="r""# } else { "" }
        );
    }
    o.push_str(r#"</tr></thead><tbody><tr><td colspan="12" class="muted">The job table needs JavaScript.</td></tr></tbody></table></div><div class="pager"><button id="prev" type="button">‹ previous</button><span id="page"></span><button id="next" type="button">next ›</button></div></section>
"#);
}

fn problems_section(o: &mut String, d: &ReportData) {
    let s = &d.summary;
    let _ = write!(
        o,
        r#"<section id="problems"><h2>Problems in the input</h2><p>{} error(s), {} skipped file(s), {} warning(s). A problem never stops dsmig: the rest is analysed.</p>"#,
        s.errors, s.files_skipped, s.warnings
    );
    for (sev, cap, label) in [
        (
            crate::parse::Severity::Error,
            MAX_ERRORS,
            "Errors (could not be read)",
        ),
        (
            crate::parse::Severity::Skipped,
            MAX_ERRORS,
            "Skipped files (not DataStage exports)",
        ),
        (
            crate::parse::Severity::Warning,
            MAX_WARNINGS,
            "Warnings (read, but something looked off)",
        ),
    ] {
        let rows: Vec<_> = d.diagnostics.iter().filter(|x| x.severity == sev).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            r#"<h3>{label}: {}</h3><table class="t diag"><thead><tr><th>file</th><th>job</th><th>expected</th><th>found</th></tr></thead><tbody>"#,
            rows.len()
        );
        for x in rows.iter().take(cap) {
            let l = &x.location;
            let _ = write!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&place(&l.file, l.line, l.member.as_deref())),
                esc(x.job.as_deref().unwrap_or("")),
                esc(&x.expected),
                esc(&x.found)
            );
        }
        o.push_str("</tbody></table>");
        if rows.len() > cap {
            let _ = write!(
                o,
                r#"<p class="muted">… and {} more: <code>dsmig analyze -v</code> lists them all.</p>"#,
                rows.len() - cap
            );
        }
    }
    o.push_str("</section>\n");
}
