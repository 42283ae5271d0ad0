//! Raw blocks → IR entities. One builder serves DSX and XML: both arrive
//! here as [`RawBlock`]s of records with properties and collections.

use std::collections::HashMap;

use crate::ir::{
    Activity, Column, Entity, Job, JobKind, Link, LinkKind, Location, OtherEntity, ParamType,
    Parameter, ParameterSet, Property, Routine, Stage, StageVar, TableDef, TransformerDetail,
    Trigger,
};
use crate::parse::diag::Diagnostic;
use crate::parse::props::decode_property;
use crate::parse::raw::{RawBlock, RawCollection, RawProp, RawRecord, RawSub, normalise_class};
use crate::parse::secrets;
use crate::parse::stage_types;

/// Put a job in canonical order so that its hash does not depend on record
/// order in the export: stages and links by id, job-level properties by
/// name (stage/pin property order is kept: it is OSH option order).
pub fn canonicalise_job(job: &mut Job) {
    job.stages.sort_by(|a, b| a.id.cmp(&b.id));
    job.links.sort_by(|a, b| a.id.cmp(&b.id));
    sort_props(&mut job.properties);
    job.shared_containers.sort();
    job.shared_containers.dedup();
}

pub fn sort_props(props: &mut [Property]) {
    props.sort_by(|a, b| a.name.cmp(&b.name));
}

/// An entity built from a block, with the line it starts at.
pub struct Built {
    pub entity: Entity,
    pub line: u64,
}

/// Build the entities of one top-level block. A `DSJOB` gives one job;
/// `DSROUTINES`, `DSTABLEDEFS`, `DSPARAMETERSETS`... give one entity per
/// record.
pub fn entities_from_block(block: &RawBlock, file: &str) -> (Vec<Built>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let loc = |line: u64| Location {
        file: file.to_string(),
        line: Some(line),
        member: None,
    };
    let built = match block.tag.as_str() {
        "DSJOB" => {
            let job = job_from_block(block, file, &mut diags);
            vec![Built {
                entity: Entity::Job(job),
                line: block.line,
            }]
        }
        "DSSHAREDCONTAINER" => {
            let job = job_from_block(block, file, &mut diags);
            vec![Built {
                entity: Entity::SharedContainer(job),
                line: block.line,
            }]
        }
        "DSROUTINES" => block
            .records
            .iter()
            .map(|r| Built {
                entity: Entity::Routine(routine(r)),
                line: r.line,
            })
            .collect(),
        "DSTABLEDEFS" => block
            .records
            .iter()
            .map(|r| Built {
                entity: Entity::TableDef(table_def(r)),
                line: r.line,
            })
            .collect(),
        "DSPARAMETERSETS" => block
            .records
            .iter()
            .map(|r| Built {
                entity: Entity::ParameterSet(parameter_set(r)),
                line: r.line,
            })
            .collect(),
        other => block
            .records
            .iter()
            .map(|r| Built {
                entity: Entity::Other(other_entity(other, r)),
                line: r.line,
            })
            .collect(),
    };
    if block.tag == "DSJOB" && block.records.is_empty() {
        diags.push(
            Diagnostic::warning(
                loc(block.line),
                "job records (ROOT, stages, pins)",
                "an empty job block",
            )
            .with_job(block.identifier.clone()),
        );
    }
    let built = built
        .into_iter()
        .map(|mut b| {
            secrets::scrub_entity(&mut b.entity);
            b
        })
        .collect();
    (built, diags)
}

/// Job properties worth keeping in the IR. Everything else on ROOT is
/// editor state or derived (compiled OSH, validation status, counters).
const JOB_PROPS: &[&str] = &[
    "BeforeSubr",
    "AfterSubr",
    "JobControlCode",
    "RuntimeColumnPropagation",
    "AllowMultipleInvocations",
    "ControlAfterSubr",
    "NLSLocale",
];

/// Record properties that are noise for every record kind: identity is
/// captured elsewhere, the rest is editor state.
const NOISE_PROPS: &[&str] = &[
    "Identifier",
    "OLEType",
    "Name",
    "Readonly",
    "NextID",
    "NextRecordID",
    "NextStageID",
    "NextAliasID",
    "ValidationStatus",
    "InputPins",
    "OutputPins",
    "StageType",
    "Partner",
    "LinkType",
    "Columns",
    "Properties",
    "MetaBag",
    "StageVars",
    "LoopVars",
    "Constraint",
    "ParsedConstraint",
    "Reject",
    "ConditionType",
    "TriggerExpression",
    "ParsedTriggerExpression",
    "Jobname",
    "TrxGenCode",
    "TrxGenWarnings",
    "TrxClassName",
    "StageXPos",
    "StageYPos",
    "StageXSize",
    "StageYSize",
    "ContainerViewSizing",
    "DateModified",
    "TimeModified",
    "AllowColumnMapping",
    "LeftTextPos",
    "TopTextPos",
    "Description",
    "SourceColumn",
    "SourceColumns",
    "XMLProperties",
];

/// MetaBag entries that carry meaning (schemas, formats, lookup operator);
/// the rest are buffering knobs and generated code.
const METABAG_KEEP: &[&str] = &[
    "Schema",
    "SchemaFormat",
    "LookupOperator",
    "RecordSchema",
    "ExtendedColumnNames",
];

fn job_from_block(block: &RawBlock, file: &str, diags: &mut Vec<Diagnostic>) -> Job {
    let root = block
        .records
        .iter()
        .find(|r| r.identifier == "ROOT" || matches!(r.class(), "JobDefn" | "ContainerDefn"));
    let name = if block.identifier.is_empty() {
        root.and_then(|r| r.get("Name")).unwrap_or("").to_string()
    } else {
        block.identifier.clone()
    };
    let loc = |line: u64| Location {
        file: file.to_string(),
        line: Some(line),
        member: None,
    };
    let mut job = Job {
        name: name.clone(),
        folder: String::new(),
        kind: JobKind::Unknown,
        description: String::new(),
        parameters: Vec::new(),
        stages: Vec::new(),
        links: Vec::new(),
        annotations: Vec::new(),
        properties: Vec::new(),
        shared_containers: Vec::new(),
    };
    match root {
        Some(r) => {
            job.folder = r.get("Category").unwrap_or("").to_string();
            job.kind = match block.props.iter().find(|p| p.name == "JobType") {
                Some(p) => JobKind::from_job_type(&p.value),
                None => JobKind::from_job_type(r.get("JobType").unwrap_or("")),
            };
            job.description = description(r.get("Description"), r.get("FullDescription"));
            if let Some(c) = r.collection("Parameters") {
                job.parameters = c.items.iter().map(parameter).collect();
            }
            for p in &r.props {
                if JOB_PROPS.contains(&p.name.as_str()) && !p.value.is_empty() {
                    job.properties.push(decode_property(&p.name, &p.value));
                }
            }
        }
        None => diags.push(
            Diagnostic::warning(
                loc(block.line),
                "a ROOT job record (JobDefn)",
                "none: a fragment; job kind unknown",
            )
            .with_job(name.clone()),
        ),
    }
    let pins: HashMap<&str, &RawRecord> = block
        .records
        .iter()
        .filter(|r| {
            stage_types::is_input_pin_class(&r.ole_type)
                || stage_types::is_output_pin_class(&r.ole_type)
        })
        .map(|r| (r.identifier.as_str(), r))
        .collect();
    let view_link_types = container_view_link_types(block);
    for r in &block.records {
        let class = r.class();
        if class == "Annotation" || class == "TextAnnotation" || class == "DescriptionAnnotation" {
            if let Some(t) = r.get("AnnotationText").filter(|t| !t.trim().is_empty()) {
                job.annotations.push(t.to_string());
            }
        } else if is_stage_record(r) {
            job.stages.push(stage(r));
        }
    }
    let stage_ids: HashMap<String, usize> = job
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    for s in &job.stages {
        if s.stage_type == "Container"
            && let Some(c) = &s.container
        {
            job.shared_containers.push(c.clone());
        }
    }
    for stage in &job.stages {
        for (idx, pin_id) in stage.output_pins.iter().enumerate() {
            let Some(pin) = pins.get(pin_id.as_str()) else {
                diags.push(
                    Diagnostic::warning(
                        loc(block.line),
                        format!("a pin record {pin_id} for stage {}", stage.name),
                        "none (dangling pin)",
                    )
                    .with_job(name.clone()),
                );
                continue;
            };
            let link = link(
                stage,
                idx,
                pin,
                &pins,
                &job.stages,
                &stage_ids,
                &view_link_types,
            );
            if link.to_stage.is_none() {
                diags.push(
                    Diagnostic::warning(
                        loc(pin.line),
                        format!("a partner stage for link {}", link.name),
                        "none (dangling link)",
                    )
                    .with_job(name.clone()),
                );
            }
            job.links.push(link);
        }
    }
    attach_triggers(&mut job);
    canonicalise_job(&mut job);
    job
}

fn description(short: Option<&str>, full: Option<&str>) -> String {
    match (
        short.map(str::trim).filter(|s| !s.is_empty()),
        full.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(s), Some(f)) if f.starts_with(s) => f.to_string(),
        (Some(s), Some(f)) => format!("{s}\n{f}"),
        (Some(s), None) => s.to_string(),
        (None, Some(f)) => f.to_string(),
        (None, None) => String::new(),
    }
}

fn parameter(sub: &RawSub) -> Parameter {
    let name = sub.get("Name").unwrap_or("").to_string();
    let param_type = ParamType::from_code(sub.get("ParamType").unwrap_or("0"));
    // Encrypted and credential-named defaults are redacted by
    // `secrets::scrub_entity`, with everything else.
    let default = sub.get("Default").unwrap_or("").to_string();
    let parameter_set = if param_type == ParamType::ParameterSet {
        Some(name.clone())
    } else {
        name.split_once('.').map(|(set, _)| set.to_string())
    };
    Parameter {
        is_env: name.starts_with('$'),
        prompt: sub.get("Prompt").unwrap_or("").to_string(),
        help: sub.get("HelpTxt").unwrap_or("").to_string(),
        name,
        param_type,
        default,
        parameter_set,
    }
}

fn is_stage_record(r: &RawRecord) -> bool {
    let class = r.class();
    if class == "ContainerView" || class == "JobDefn" || class == "ContainerDefn" {
        return false;
    }
    if stage_types::is_output_pin_class(class) || stage_types::is_input_pin_class(class) {
        return false;
    }
    stage_types::is_stage_class(class) || r.get("StageType").is_some()
}

fn stage(r: &RawRecord) -> Stage {
    let raw_type = r
        .get("StageType")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| normalise_class(&r.ole_type))
        .to_string();
    let mut properties = custom_properties(r.collection("Properties"));
    let stage_type = match r.get("StageType") {
        None | Some("") => infer_untyped(&raw_type, &properties),
        Some(_) => stage_types::normalise(&raw_type),
    };
    properties.extend(metabag(r.collection("MetaBag")));
    properties.extend(plain_props(&r.props));
    let transformer = (stage_type == "Transformer").then(|| transformer(r));
    let activity = is_activity(&stage_type).then(|| Activity {
        job_name: r
            .get("Jobname")
            .or_else(|| r.get("JobName"))
            .unwrap_or("")
            .to_string(),
        parameter_values: activity_params(r),
        triggers: Vec::new(),
        mode: r
            .get("SequencerType")
            .or_else(|| r.get("CommandName"))
            .or_else(|| r.get("RoutineName"))
            .unwrap_or("")
            .to_string(),
    });
    let container = (stage_type == "Container")
        .then(|| {
            [
                "ContainerName",
                "SharedContainerName",
                "JobName",
                "ContainerView",
            ]
            .iter()
            .find_map(|k| r.get(k).filter(|v| !v.is_empty()))
            .map(str::to_string)
        })
        .flatten();
    Stage {
        id: r.identifier.clone(),
        name: r.get("Name").unwrap_or("").to_string(),
        stage_type,
        raw_type,
        properties,
        transformer,
        activity,
        container,
        input_pins: split_list(r.get("InputPins")),
        output_pins: split_list(r.get("OutputPins")),
    }
}

/// A custom stage record without `StageType` (anonymised or hand-edited
/// exports): a connector if it carries connector properties.
fn infer_untyped(raw_type: &str, properties: &[Property]) -> String {
    let connector = properties.iter().find_map(|p| match &p.value {
        crate::ir::PropValue::Connector(pairs) => Some(pairs),
        _ => None,
    });
    match connector {
        Some(pairs) => {
            let url = pairs
                .iter()
                .find(|(k, _)| k.ends_with("URL"))
                .map(|(_, v)| v.to_ascii_lowercase());
            match url {
                Some(u) if u.starts_with("jdbc:") => "JDBCConnector".into(),
                _ => "Connector".into(),
            }
        }
        None => stage_types::normalise(raw_type),
    }
}

fn is_activity(stage_type: &str) -> bool {
    stage_type.ends_with("Activity")
        || matches!(stage_type, "Condition" | "Sequencer" | "ExceptionHandler")
}

fn activity_params(r: &RawRecord) -> Vec<(String, String)> {
    r.collections
        .iter()
        .filter(|c| c.name.contains("Param"))
        .flat_map(|c| c.items.iter())
        .filter_map(|s| {
            let n = s.get("Name").or_else(|| s.get("ParamName"))?;
            // Exports write the value as `ValueExpression` (DSX and XML
            // `ParamValues` subrecords, like ISX `valueExpression`); older
            // and hand-made ones as `ParamValue`.
            let v = s
                .get("ValueExpression")
                .or_else(|| s.get("ParamValue"))
                .or_else(|| s.get("Value"))
                .or_else(|| s.get("Expression"))
                .unwrap_or("");
            Some((n.to_string(), v.to_string()))
        })
        .collect()
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn custom_properties(c: Option<&RawCollection>) -> Vec<Property> {
    let Some(c) = c else { return Vec::new() };
    c.items
        .iter()
        .filter_map(|s| {
            let name = s.get("Name")?;
            Some(decode_property(name, s.get("Value").unwrap_or("")))
        })
        .collect()
}

fn metabag(c: Option<&RawCollection>) -> Vec<Property> {
    let Some(c) = c else { return Vec::new() };
    c.items
        .iter()
        .filter_map(|s| {
            let name = s.get("Name")?;
            METABAG_KEEP.contains(&name.trim()).then(|| {
                decode_property(
                    &format!("MetaBag.{}", name.trim()),
                    s.get("Value").unwrap_or(""),
                )
            })
        })
        .collect()
}

/// Plain properties of a stage or pin record, noise removed, by name.
fn plain_props(props: &[RawProp]) -> Vec<Property> {
    let mut out: Vec<Property> = props
        .iter()
        .filter(|p| !NOISE_PROPS.contains(&p.name.as_str()) && !p.name.starts_with("Parsed"))
        .map(|p| decode_property(&p.name, &p.value))
        .collect();
    sort_props(&mut out);
    out
}

fn transformer(r: &RawRecord) -> TransformerDetail {
    let vars = |name: &str| -> Vec<StageVar> {
        r.collection(name)
            .map(|c| {
                c.items
                    .iter()
                    .map(|s| StageVar {
                        name: s.get("Name").unwrap_or("").to_string(),
                        expression: s
                            .get("Expression")
                            .or_else(|| s.get("Derivation"))
                            .unwrap_or("")
                            .to_string(),
                        initial_value: s.get("InitialValue").unwrap_or("").to_string(),
                        sql_type: sql_type_code(s.get("SqlType").unwrap_or("")),
                        length: num(s.get("Precision")),
                        scale: num(s.get("ColScale").or_else(|| s.get("Scale"))),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    TransformerDetail {
        stage_vars: vars("StageVars"),
        loop_condition: r.get("LoopCondition").unwrap_or("").to_string(),
        loop_vars: vars("LoopVars"),
    }
}

fn num(v: Option<&str>) -> u32 {
    v.and_then(|s| s.trim().parse::<i64>().ok())
        .map(|n| n.clamp(0, u32::MAX as i64) as u32)
        .unwrap_or(0)
}

/// ODBC code of a `SqlType` value: a number, or an externalised name.
pub fn sql_type_code(v: &str) -> i32 {
    let t = v.trim();
    if let Ok(n) = t.parse::<i32>() {
        return n;
    }
    match t.to_ascii_lowercase().as_str() {
        "char" => 1,
        "numeric" => 2,
        "decimal" => 3,
        "integer" | "int" => 4,
        "smallint" => 5,
        "float" => 6,
        "real" => 7,
        "double" => 8,
        "date" => 9,
        "time" => 10,
        "timestamp" => 11,
        "varchar" => 12,
        "longvarchar" => -1,
        "binary" => -2,
        "varbinary" => -3,
        "longvarbinary" => -4,
        "bigint" => -5,
        "tinyint" => -6,
        "bit" => -7,
        "nchar" | "wchar" => -8,
        "nvarchar" | "wvarchar" => -9,
        "longnvarchar" | "wlongvarchar" => -10,
        _ => 0,
    }
}

fn columns(c: Option<&RawCollection>) -> Vec<Column> {
    let Some(c) = c else { return Vec::new() };
    c.items
        .iter()
        .map(|s| Column {
            name: s.get("Name").unwrap_or("").to_string(),
            sql_type: sql_type_code(s.get("SqlType").unwrap_or("")),
            length: num(s.get("Precision")),
            scale: num(s.get("Scale")),
            nullable: s
                .get("Nullable")
                .is_some_and(|v| v.trim() == "1" || v.eq_ignore_ascii_case("true")),
            key_position: num(s.get("KeyPosition")),
            derivation: s.get("Derivation").unwrap_or("").to_string(),
            key_expression: s.get("KeyExpression").unwrap_or("").to_string(),
            description: s.get("Description").unwrap_or("").to_string(),
            extended: s.get("ExtendedPrecision").is_some_and(|v| v.trim() == "1"),
            format: s.get("APTFieldProp").unwrap_or("").trim().to_string(),
        })
        .collect()
}

/// `LinkTypes` from the container views, by source pin id: the only place
/// a parallel reject link (type 3) shows.
fn container_view_link_types(block: &RawBlock) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for v in block
        .records
        .iter()
        .filter(|r| r.class() == "ContainerView")
    {
        let pins: Vec<&str> = v.get("LinkSourcePinIDs").unwrap_or("").split('|').collect();
        let types: Vec<&str> = v.get("LinkTypes").unwrap_or("").split('|').collect();
        for (p, t) in pins.iter().zip(types.iter()) {
            for (pin, ty) in p.split(',').zip(t.split(',')) {
                let pin = pin.trim();
                if !pin.is_empty() {
                    out.insert(pin.to_string(), ty.trim().to_string());
                }
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn link(
    stage: &Stage,
    from_index: usize,
    pin: &RawRecord,
    pins: &HashMap<&str, &RawRecord>,
    stages: &[Stage],
    stage_ids: &HashMap<String, usize>,
    view_types: &HashMap<String, String>,
) -> Link {
    let partner = pin.get("Partner").unwrap_or("");
    let (to_stage_id, to_pin_id) = match partner.split_once('|') {
        Some((s, p)) => (s.trim(), p.trim()),
        None => (partner.trim(), ""),
    };
    let to_stage = stage_ids.get(to_stage_id).map(|&i| &stages[i]);
    let to_index = to_stage
        .and_then(|s| s.input_pins.iter().position(|p| p == to_pin_id))
        .unwrap_or(0);
    let target_pin = pins.get(to_pin_id).copied();
    let kind = link_kind(stage, pin, target_pin, view_types);
    let mut source_properties = custom_properties(pin.collection("Properties"));
    source_properties.extend(metabag(pin.collection("MetaBag")));
    source_properties.extend(plain_props(&pin.props));
    let mut target_properties = Vec::new();
    if let Some(t) = target_pin {
        target_properties = custom_properties(t.collection("Properties"));
        target_properties.extend(metabag(t.collection("MetaBag")));
        target_properties.extend(plain_props(&t.props));
    }
    let trigger_props = ["ConditionType", "TriggerExpression"];
    for k in trigger_props {
        if let Some(v) = pin.get(k) {
            source_properties.push(Property {
                name: k.to_string(),
                value: crate::ir::PropValue::Text(v.to_string()),
            });
        }
    }
    let mut columns = columns(pin.collection("Columns"));
    if kind == LinkKind::Reference
        && let Some(t) = target_pin
    {
        keys_from_input_pin(&mut columns, t);
    }
    Link {
        id: pin.identifier.clone(),
        name: pin.get("Name").unwrap_or("").to_string(),
        from_stage: stage.id.clone(),
        to_stage: to_stage.map(|s| s.id.clone()),
        from_index: from_index as u32,
        to_index: to_index as u32,
        kind,
        columns,
        constraint: pin.get("Constraint").unwrap_or("").to_string(),
        source_properties,
        target_properties,
    }
}

/// Role of the link leaving output pin `pin`. Exports mark it in several
/// places, depending on the DataStage version and the stage (see
/// `../shared/docs/datastage-reference.md` §2.13), all read into one
/// [`LinkKind`]:
/// - a Transformer output with `Reject "1"` is the *otherwise* link;
/// - the link type (`1` stream, `2` reference, `3` reject) on the target
///   input pin (`LinkType`, every real export here), else on the output
///   pin itself, else in the container view's `LinkTypes`;
/// - a Transformer output with `ErrorPin "1"` takes the rows whose
///   derivations failed at run time: a reject link (the ISX reader reads
///   the same flag from `has_ParameterVal ErrorPin`).
///
/// A reject role that is implied only by a stage option (`LookupFail
/// "reject"`, `rejects "save"`) with no link marked is not inferred here:
/// `stages::layouts` reports it as a guess.
fn link_kind(
    stage: &Stage,
    pin: &RawRecord,
    target_pin: Option<&RawRecord>,
    view_types: &HashMap<String, String>,
) -> LinkKind {
    let code = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let link_type = code(target_pin.and_then(|p| p.get("LinkType")))
        .or_else(|| code(pin.get("LinkType")))
        .or_else(|| code(view_types.get(&pin.identifier).map(String::as_str)));
    let is = |v: &Option<String>, c: &str| v.as_deref() == Some(c);
    if pin.get("Reject").is_some_and(|v| v.trim() == "1") {
        LinkKind::Otherwise
    } else if is(&link_type, "3")
        // A view that says reject is kept even where the input pin says
        // stream (the reader did so before layouts were told apart).
        || view_types.get(&pin.identifier).is_some_and(|t| t.trim() == "3")
        || code(pin.get("LinkType")).as_deref() == Some("3")
        || (stage.stage_type == "Transformer"
            && pin.get("ErrorPin").is_some_and(|v| v.trim() == "1"))
    {
        LinkKind::Reject
    } else if is(&link_type, "2") {
        LinkKind::Reference
    } else {
        LinkKind::Stream
    }
}

/// Older exports keep a reference link's lookup keys on the *input* pin
/// (the Lookup or Transformer side): the key column's `Derivation` there is
/// the key expression (`in.CUST_ID`), and `KeyExpression` is absent on the
/// source pin. Read them into the source pin's columns, where newer
/// exports put them (with the input column's key flag), so every consumer
/// sees one layout. A source column
/// that already has a key expression keeps it; input-pin columns the
/// source pin lacks are added (a source pin without columns).
fn keys_from_input_pin(columns: &mut Vec<Column>, target_pin: &RawRecord) {
    for ic in self::columns(target_pin.collection("Columns")) {
        let key = if ic.key_expression.trim().is_empty() {
            ic.derivation.trim().to_string()
        } else {
            ic.key_expression.trim().to_string()
        };
        if key.is_empty() {
            continue;
        }
        match columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(&ic.name))
        {
            Some(c) if c.key_expression.trim().is_empty() => {
                c.key_expression = key;
                // The key flag travels with it (newer exports set both on
                // the source pin).
                if c.key_position == 0 {
                    c.key_position = ic.key_position;
                }
            }
            Some(_) => {}
            None => columns.push(Column {
                key_expression: key,
                derivation: String::new(),
                ..ic
            }),
        }
    }
}

/// Sequence activities: their output links are triggers.
fn attach_triggers(job: &mut Job) {
    let mut by_stage: HashMap<String, Vec<Trigger>> = HashMap::new();
    for l in &job.links {
        let get = |k: &str| {
            l.source_properties
                .iter()
                .find(|p| p.name == k)
                .and_then(|p| p.value.as_text())
                .unwrap_or("")
                .to_string()
        };
        let condition_type = get("ConditionType");
        let expression = get("TriggerExpression");
        by_stage
            .entry(l.from_stage.clone())
            .or_default()
            .push(Trigger {
                name: l.name.clone(),
                to_stage: l.to_stage.clone(),
                condition_type,
                expression,
            });
    }
    for s in &mut job.stages {
        if let Some(a) = &mut s.activity
            && let Some(t) = by_stage.remove(&s.id)
        {
            a.triggers = t;
        }
    }
}

fn routine(r: &RawRecord) -> Routine {
    let arguments = r
        .collection("Arguments")
        .map(|c| {
            c.items
                .iter()
                .filter_map(|s| s.get("Name").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Routine {
        name: r.get("Name").unwrap_or(&r.identifier).to_string(),
        folder: r.get("Category").unwrap_or("").to_string(),
        routine_type: r.get("RoutineType").unwrap_or("").to_string(),
        arguments,
        source: r
            .get("Source")
            .or_else(|| r.get("Code"))
            .unwrap_or("")
            .to_string(),
        description: description(
            r.get("ShortDesc").or_else(|| r.get("Description")),
            r.get("LongDesc"),
        ),
    }
}

fn table_def(r: &RawRecord) -> TableDef {
    TableDef {
        name: r.get("Name").unwrap_or(&r.identifier).to_string(),
        folder: r.get("Category").unwrap_or("").to_string(),
        columns: columns(r.collection("Columns")),
    }
}

fn parameter_set(r: &RawRecord) -> ParameterSet {
    let parameters = r
        .collection("Parameters")
        .map(|c| c.items.iter().map(parameter).collect())
        .unwrap_or_default();
    let value_sets = r
        .collections
        .iter()
        .filter(|c| c.name == "ValueSets" || c.name == "ParamValues")
        .flat_map(|c| c.items.iter())
        .map(|s| {
            let name = s.get("Name").unwrap_or("").to_string();
            let values = s
                .props
                .iter()
                .filter(|p| p.name != "Name")
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect();
            (name, values)
        })
        .collect();
    ParameterSet {
        name: r.get("Name").unwrap_or(&r.identifier).to_string(),
        folder: r.get("Category").unwrap_or("").to_string(),
        parameters,
        value_sets,
    }
}

fn other_entity(tag: &str, r: &RawRecord) -> OtherEntity {
    OtherEntity {
        block: tag.to_string(),
        name: r.get("Name").unwrap_or(&r.identifier).to_string(),
        properties: plain_props(&r.props),
    }
}
