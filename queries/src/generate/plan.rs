//! The dataflow plan of a job, shared by the code generators: stages in a
//! topological order, each with its input links in pin order and its
//! output links in pin order. Cycles and dangling links are reported, not
//! fatal: a generator emits what it can and names what it could not.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Job, Link, LinkKind, Stage};

/// One stage of the plan.
#[derive(Debug, Clone)]
pub struct PlanStage<'a> {
    pub stage: &'a Stage,
    /// Links entering the stage, by input pin position (`to_index`).
    pub inputs: Vec<&'a Link>,
    /// Links leaving the stage, by output pin position (`from_index`).
    pub outputs: Vec<&'a Link>,
}

impl<'a> PlanStage<'a> {
    /// The first stream input (the primary link of a Transformer / Lookup).
    pub fn primary(&self) -> Option<&'a Link> {
        self.inputs
            .iter()
            .find(|l| l.kind == LinkKind::Stream)
            .or_else(|| self.inputs.first())
            .copied()
    }

    /// Reference inputs (lookups).
    pub fn references(&self) -> Vec<&'a Link> {
        let primary = self.primary().map(|l| l.id.as_str());
        self.inputs
            .iter()
            .filter(|l| Some(l.id.as_str()) != primary)
            .copied()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanProblem {
    /// Stages on a cycle (names); they are appended to the order anyway.
    Cycle(Vec<String>),
    /// An output link with no target stage.
    DanglingLink { link: String, from: String },
    /// A link whose source or target stage is not in the job.
    UnknownStage { link: String, stage: String },
}

impl std::fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanProblem::Cycle(s) => write!(f, "cycle between stages {}", s.join(", ")),
            PlanProblem::DanglingLink { link, from } => {
                write!(f, "link {link} from stage {from} has no target stage")
            }
            PlanProblem::UnknownStage { link, stage } => {
                write!(f, "link {link} refers to unknown stage {stage}")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Plan<'a> {
    pub job: &'a Job,
    /// Stages in a topological order (ties broken by stage id).
    pub stages: Vec<PlanStage<'a>>,
    pub problems: Vec<PlanProblem>,
}

impl<'a> Plan<'a> {
    pub fn of(job: &'a Job) -> Plan<'a> {
        let mut problems = Vec::new();
        let known: BTreeSet<&str> = job.stages.iter().map(|s| s.id.as_str()).collect();
        let mut inputs: BTreeMap<&str, Vec<&Link>> = BTreeMap::new();
        let mut outputs: BTreeMap<&str, Vec<&Link>> = BTreeMap::new();
        for l in &job.links {
            if !known.contains(l.from_stage.as_str()) {
                problems.push(PlanProblem::UnknownStage {
                    link: l.name.clone(),
                    stage: l.from_stage.clone(),
                });
                continue;
            }
            outputs.entry(l.from_stage.as_str()).or_default().push(l);
            match l.to_stage.as_deref() {
                None => problems.push(PlanProblem::DanglingLink {
                    link: l.name.clone(),
                    from: job
                        .stage(&l.from_stage)
                        .map_or(l.from_stage.clone(), |s| s.name.clone()),
                }),
                Some(t) if !known.contains(t) => problems.push(PlanProblem::UnknownStage {
                    link: l.name.clone(),
                    stage: t.to_string(),
                }),
                Some(t) => inputs.entry(t).or_default().push(l),
            }
        }
        for v in inputs.values_mut() {
            v.sort_by(|a, b| a.to_index.cmp(&b.to_index).then(a.id.cmp(&b.id)));
        }
        for v in outputs.values_mut() {
            v.sort_by(|a, b| a.from_index.cmp(&b.from_index).then(a.id.cmp(&b.id)));
        }
        // Kahn's algorithm; ready stages taken in id order (deterministic).
        let mut indegree: BTreeMap<&str, usize> = job
            .stages
            .iter()
            .map(|s| {
                let n = inputs.get(s.id.as_str()).map_or(0, |v| {
                    v.iter()
                        .filter(|l| l.from_stage != s.id) // self-loops count as cycles below
                        .count()
                });
                (s.id.as_str(), n)
            })
            .collect();
        let mut ready: BTreeSet<&str> = indegree
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(s, _)| *s)
            .collect();
        let mut order: Vec<&str> = Vec::new();
        while let Some(s) = ready.iter().next().copied() {
            ready.remove(s);
            order.push(s);
            for l in outputs.get(s).into_iter().flatten() {
                if let Some(t) = l.to_stage.as_deref()
                    && t != s
                    && let Some(n) = indegree.get_mut(t)
                {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        ready.insert(t);
                    }
                }
            }
        }
        if order.len() < job.stages.len() {
            let rest: Vec<&str> = job
                .stages
                .iter()
                .map(|s| s.id.as_str())
                .filter(|s| !order.contains(s))
                .collect();
            problems.push(PlanProblem::Cycle(
                rest.iter()
                    .filter_map(|id| job.stage(id).map(|s| s.name.clone()))
                    .collect(),
            ));
            order.extend(rest);
        }
        let stages = order
            .into_iter()
            .filter_map(|id| {
                let stage = job.stage(id)?;
                Some(PlanStage {
                    stage,
                    inputs: inputs.get(id).cloned().unwrap_or_default(),
                    outputs: outputs.get(id).cloned().unwrap_or_default(),
                })
            })
            .collect();
        Plan {
            job,
            stages,
            problems,
        }
    }

    pub fn stage(&self, id: &str) -> Option<&PlanStage<'a>> {
        self.stages.iter().find(|s| s.stage.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{JobKind, Stage};

    fn stage(id: &str) -> Stage {
        Stage {
            id: id.into(),
            name: format!("S_{id}"),
            stage_type: "Copy".into(),
            raw_type: "PxCopy".into(),
            properties: vec![],
            transformer: None,
            activity: None,
            container: None,
            input_pins: vec![],
            output_pins: vec![],
        }
    }

    fn link(id: &str, from: &str, to: Option<&str>, to_index: u32) -> Link {
        Link {
            id: id.into(),
            name: format!("L_{id}"),
            from_stage: from.into(),
            to_stage: to.map(String::from),
            from_index: 0,
            to_index,
            kind: LinkKind::Stream,
            columns: vec![],
            constraint: String::new(),
            source_properties: vec![],
            target_properties: vec![],
        }
    }

    fn job(stages: Vec<Stage>, links: Vec<Link>) -> Job {
        Job {
            name: "J".into(),
            folder: String::new(),
            kind: JobKind::Parallel,
            description: String::new(),
            parameters: vec![],
            stages,
            links,
            annotations: vec![],
            properties: vec![],
            shared_containers: vec![],
        }
    }

    #[test]
    fn orders_topologically_with_pin_order() {
        // V2 -> V1 (pin 1), V3 -> V1 (pin 0), V1 -> V0
        let j = job(
            vec![stage("V0"), stage("V1"), stage("V2"), stage("V3")],
            vec![
                link("a", "V2", Some("V1"), 1),
                link("b", "V3", Some("V1"), 0),
                link("c", "V1", Some("V0"), 0),
                link("d", "V0", None, 0),
            ],
        );
        let p = Plan::of(&j);
        let ids: Vec<&str> = p.stages.iter().map(|s| s.stage.id.as_str()).collect();
        assert_eq!(ids, ["V2", "V3", "V1", "V0"]);
        let v1 = p.stage("V1").unwrap();
        assert_eq!(v1.inputs[0].id, "b");
        assert_eq!(v1.inputs[1].id, "a");
        assert!(matches!(p.problems[0], PlanProblem::DanglingLink { .. }));
    }

    #[test]
    fn reports_cycles() {
        let j = job(
            vec![stage("V0"), stage("V1")],
            vec![
                link("a", "V0", Some("V1"), 0),
                link("b", "V1", Some("V0"), 0),
            ],
        );
        let p = Plan::of(&j);
        assert_eq!(p.stages.len(), 2);
        assert!(matches!(p.problems[0], PlanProblem::Cycle(_)));
    }
}
