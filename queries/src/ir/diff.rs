//! What changed between two versions of a job, in a few words per
//! difference (`stage xf: derivation of out.B changed`, `stage added: X`):
//! what `dsmig plan` says of an edited job. Stages and links are matched
//! by name; only names are printed, never values (a changed SQL text or
//! default is "changed", not shown).

use std::collections::BTreeMap;

use super::types::{Column, Job, Link, Parameter, Property, Stage, StageVar};

/// The differences between `old` and `new`, at most `limit` lines (then
/// `… and N more differences`). Empty when the designs are equal.
pub fn job_changes(old: &Job, new: &Job, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    if old.kind != new.kind {
        out.push(format!(
            "job kind {} → {}",
            old.kind.as_str(),
            new.kind.as_str()
        ));
    }
    if old.folder != new.folder {
        out.push(format!("folder {} → {}", old.folder, new.folder));
    }
    if old.description != new.description {
        out.push("job description changed".into());
    }
    parameters(&old.parameters, &new.parameters, &mut out);
    properties("job property", &old.properties, &new.properties, &mut out);
    stages(old, new, &mut out);
    links(old, new, &mut out);
    if old.annotations != new.annotations {
        out.push("annotations changed".into());
    }
    if old.shared_containers != new.shared_containers {
        out.push("shared containers used changed".into());
    }
    if out.len() > limit {
        let more = out.len() - limit;
        out.truncate(limit);
        out.push(format!(
            "… and {more} more difference{}",
            if more == 1 { "" } else { "s" }
        ));
    }
    out
}

fn by_name<T>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeMap<&str, &T> {
    let mut m = BTreeMap::new();
    for i in items {
        m.entry(name(i)).or_insert(i);
    }
    m
}

/// Added and removed names (in order), and the pairs present in both.
fn matched<'a, T>(
    old: &'a [T],
    new: &'a [T],
    name: impl Fn(&T) -> &str + Copy,
) -> (Vec<&'a T>, Vec<&'a T>, Vec<(&'a T, &'a T)>) {
    let o = by_name(old, name);
    let n = by_name(new, name);
    let added = new.iter().filter(|x| !o.contains_key(name(x))).collect();
    let removed = old.iter().filter(|x| !n.contains_key(name(x))).collect();
    let both = new
        .iter()
        .filter_map(|x| o.get(name(x)).map(|p| (*p, x)))
        .collect();
    (added, removed, both)
}

fn parameters(old: &[Parameter], new: &[Parameter], out: &mut Vec<String>) {
    let (added, removed, both) = matched(old, new, |p| p.name.as_str());
    for p in added {
        out.push(format!("parameter added: {}", p.name));
    }
    for p in removed {
        out.push(format!("parameter removed: {}", p.name));
    }
    for (a, b) in both {
        if a.default != b.default {
            out.push(format!("parameter {}: default changed", b.name));
        } else if a != b {
            out.push(format!("parameter {} changed", b.name));
        }
    }
}

fn properties(what: &str, old: &[Property], new: &[Property], out: &mut Vec<String>) {
    let (added, removed, both) = matched(old, new, |p| p.name.as_str());
    for p in added {
        out.push(format!("{what} added: {}", p.name));
    }
    for p in removed {
        out.push(format!("{what} removed: {}", p.name));
    }
    for (a, b) in both {
        if a.value != b.value {
            out.push(format!("{what} {} changed", b.name));
        }
    }
}

fn stage_name<'a>(job: &'a Job, id: &'a str) -> &'a str {
    job.stage(id).map_or(id, |s| s.name.as_str())
}

fn stages(old: &Job, new: &Job, out: &mut Vec<String>) {
    let (added, removed, both) = matched(&old.stages, &new.stages, |s| s.name.as_str());
    for s in added {
        out.push(format!("stage added: {} ({})", s.name, s.stage_type));
    }
    for s in removed {
        out.push(format!("stage removed: {} ({})", s.name, s.stage_type));
    }
    for (a, b) in both {
        stage(a, b, out);
    }
}

fn stage(a: &Stage, b: &Stage, out: &mut Vec<String>) {
    let name = &b.name;
    if a.stage_type != b.stage_type || a.raw_type != b.raw_type {
        out.push(format!(
            "stage {name}: type {} → {}",
            a.stage_type, b.stage_type
        ));
    }
    properties(
        &format!("stage {name}: property"),
        &a.properties,
        &b.properties,
        out,
    );
    match (&a.transformer, &b.transformer) {
        (Some(x), Some(y)) => {
            vars(name, "stage variable", &x.stage_vars, &y.stage_vars, out);
            vars(name, "loop variable", &x.loop_vars, &y.loop_vars, out);
            if x.loop_condition != y.loop_condition {
                out.push(format!("stage {name}: loop condition changed"));
            }
        }
        (None, None) => {}
        _ => out.push(format!("stage {name}: transformer logic changed")),
    }
    if a.activity != b.activity {
        out.push(format!("stage {name}: activity changed"));
    }
    if a.container != b.container {
        out.push(format!("stage {name}: container changed"));
    }
    if a.input_pins.len() != b.input_pins.len() || a.output_pins.len() != b.output_pins.len() {
        out.push(format!("stage {name}: pins changed"));
    }
}

fn vars(stage: &str, what: &str, old: &[StageVar], new: &[StageVar], out: &mut Vec<String>) {
    let (added, removed, both) = matched(old, new, |v| v.name.as_str());
    for v in added {
        out.push(format!("stage {stage}: {what} added: {}", v.name));
    }
    for v in removed {
        out.push(format!("stage {stage}: {what} removed: {}", v.name));
    }
    for (a, b) in both {
        if a.expression != b.expression {
            out.push(format!(
                "stage {stage}: derivation of {what} {} changed",
                b.name
            ));
        } else if a != b {
            out.push(format!("stage {stage}: {what} {} changed", b.name));
        }
    }
}

fn links(old: &Job, new: &Job, out: &mut Vec<String>) {
    let (added, removed, both) = matched(&old.links, &new.links, |l| l.name.as_str());
    let ends = |job: &Job, l: &Link| {
        format!(
            "{} → {}",
            stage_name(job, &l.from_stage),
            l.to_stage
                .as_deref()
                .map_or("nothing", |t| stage_name(job, t))
        )
    };
    for l in added {
        out.push(format!("link added: {} ({})", l.name, ends(new, l)));
    }
    for l in removed {
        out.push(format!("link removed: {} ({})", l.name, ends(old, l)));
    }
    for (a, b) in both {
        let (ea, eb) = (ends(old, a), ends(new, b));
        if ea != eb {
            out.push(format!("link {}: now {eb} (was {ea})", b.name));
        }
        if a.kind != b.kind {
            out.push(format!(
                "link {}: kind {} → {}",
                b.name,
                a.kind.as_str(),
                b.kind.as_str()
            ));
        }
        // Derivations and constraints belong to the stage the link leaves.
        let owner = stage_name(new, &b.from_stage);
        if a.constraint != b.constraint {
            out.push(format!("stage {owner}: constraint of {} changed", b.name));
        }
        columns(owner, &b.name, &a.columns, &b.columns, out);
        properties(
            &format!("link {}: source property", b.name),
            &a.source_properties,
            &b.source_properties,
            out,
        );
        properties(
            &format!("link {}: target property", b.name),
            &a.target_properties,
            &b.target_properties,
            out,
        );
    }
}

fn columns(owner: &str, link: &str, old: &[Column], new: &[Column], out: &mut Vec<String>) {
    let before = out.len();
    let (added, removed, both) = matched(old, new, |c| c.name.as_str());
    for c in added {
        out.push(format!("link {link}: column added: {}", c.name));
    }
    for c in removed {
        out.push(format!("link {link}: column removed: {}", c.name));
    }
    for (a, b) in both {
        if a.derivation != b.derivation {
            out.push(format!(
                "stage {owner}: derivation of {link}.{} changed",
                b.name
            ));
        }
        if (a.sql_type, a.length, a.scale) != (b.sql_type, b.length, b.scale) {
            out.push(format!("link {link}: type of column {} changed", b.name));
        }
        if a.nullable != b.nullable {
            out.push(format!(
                "link {link}: column {} is {} nullable",
                b.name,
                if b.nullable { "now" } else { "no longer" }
            ));
        }
        if a.key_position != b.key_position {
            out.push(format!("link {link}: key of column {} changed", b.name));
        }
        let rest = |c: &Column| {
            (
                c.key_expression.clone(),
                c.description.clone(),
                c.extended,
                c.format.clone(),
            )
        };
        if rest(a) != rest(b) {
            out.push(format!("link {link}: column {} changed", b.name));
        }
    }
    let order = |cs: &[Column]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if out.len() == before && order(old) != order(new) {
        out.push(format!("link {link}: column order changed"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{JobKind, LinkKind};

    fn col(name: &str, derivation: &str) -> Column {
        Column {
            name: name.into(),
            sql_type: 12,
            length: 10,
            scale: 0,
            nullable: true,
            key_position: 0,
            derivation: derivation.into(),
            key_expression: String::new(),
            description: String::new(),
            extended: false,
            format: String::new(),
        }
    }

    fn stage(id: &str, name: &str, t: &str) -> Stage {
        Stage {
            id: id.into(),
            name: name.into(),
            stage_type: t.into(),
            raw_type: t.into(),
            properties: Vec::new(),
            transformer: None,
            activity: None,
            container: None,
            input_pins: Vec::new(),
            output_pins: Vec::new(),
        }
    }

    fn job() -> Job {
        Job {
            name: "J".into(),
            folder: String::new(),
            kind: JobKind::Parallel,
            description: String::new(),
            parameters: Vec::new(),
            stages: vec![
                stage("S1", "src", "SequentialFile"),
                stage("S2", "xf", "Transformer"),
            ],
            links: vec![Link {
                id: "L1".into(),
                name: "out".into(),
                from_stage: "S2".into(),
                to_stage: None,
                from_index: 0,
                to_index: 0,
                kind: LinkKind::Stream,
                columns: vec![col("A", "in.A"), col("B", "Trim(in.B)")],
                constraint: String::new(),
                source_properties: Vec::new(),
                target_properties: Vec::new(),
            }],
            annotations: Vec::new(),
            properties: Vec::new(),
            shared_containers: Vec::new(),
        }
    }

    #[test]
    fn names_what_changed() {
        let old = job();
        assert!(job_changes(&old, &old, 5).is_empty());
        let mut new = job();
        new.links[0].columns[1].derivation = "Upcase(in.B)".into();
        new.stages.push(stage("S3", "peek", "Peek"));
        assert_eq!(
            job_changes(&old, &new, 5),
            vec![
                "stage added: peek (Peek)".to_string(),
                "stage xf: derivation of out.B changed".to_string(),
            ]
        );
        new.links[0].columns.push(col("C", "1"));
        new.links[0].constraint = "x > 1".into();
        let d = job_changes(&old, &new, 2);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[2], "… and 2 more differences");
    }
}
