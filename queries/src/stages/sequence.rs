//! What a sequence's activities and triggers mean, and what of it dsmig
//! cannot express exactly (a [`Guess`] each, so the sequence is never AUTO
//! and the generated state machine stops there).
//!
//! DataStage semantics (IBM, "Job sequences" / "Triggers" / "Sequencer
//! activity properties",
//! <https://www.ibm.com/docs/en/iis/11.7?topic=sequences-triggers>):
//! an activity runs when a trigger into it fires; a trigger is evaluated
//! when its source activity finishes, by its condition type (`ConditionType`
//! in the export: 0 unconditional, 2 OK, 3 failed, 4 warning, 6 custom
//! expression, 7 return value — codes as exported by DataStage 11.7); a
//! Sequencer in mode All (`SequencerType` 0) fires when every input
//! trigger has fired, in mode Any (1) when the first one does. A job
//! activity passes each job parameter the value of an expression
//! (`ValueExpression`), `$PROJDEF` meaning the job's own default.
//!
//! On AWS a Glue job run ends SUCCEEDED or FAILED: there is no "finished
//! with warnings" and no user status, so the Glue outcomes are DataStage's
//! `DSJS.RUNOK` (1) and `DSJS.RUNFAILED` (3).

use super::Guess;
use crate::ir::{Job, JobKind, Stage, Trigger};

/// The end of a Glue job run (or of a nested state machine) as the
/// triggers after it see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// SUCCEEDED: `$JobStatus` = `DSJS.RUNOK` (1).
    Ok,
    /// FAILED, TIMEOUT, STOPPED: `$JobStatus` = `DSJS.RUNFAILED` (3).
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Outcome::Ok, Outcome::Failed];

    /// `$JobStatus` of this outcome.
    fn job_status(self) -> i64 {
        match self {
            Outcome::Ok => 1,
            Outcome::Failed => 3,
        }
    }

    /// The value the state machine records for an activity that ran.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Ok => "OK",
            Outcome::Failed => "FAILED",
        }
    }
}

/// What an activity is, for the orchestration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Runs a job (a Glue job, or a nested sequence's state machine).
    Job,
    /// Sequencer: `true` = All, `false` = Any.
    Sequencer(bool),
    /// Stops the sequence.
    Terminator,
    /// Start of the chain run when an activity fails and no trigger
    /// handles it.
    ExceptionHandler,
}

/// The activity kind, or why it cannot be expressed.
pub fn kind(stage: &Stage) -> Result<Kind, String> {
    let mode = stage.activity.as_ref().map_or("", |a| a.mode.trim());
    match stage.stage_type.as_str() {
        "JobActivity" => Ok(Kind::Job),
        "Sequencer" => match mode {
            "0" => Ok(Kind::Sequencer(true)),
            "1" => Ok(Kind::Sequencer(false)),
            m => Err(format!(
                "sequencer mode {m:?} is neither All (0) nor Any (1)"
            )),
        },
        "TerminatorActivity" => Ok(Kind::Terminator),
        "ExceptionHandler" => Ok(Kind::ExceptionHandler),
        other => Err(format!(
            "{other} activities are not translated yet (no Step Functions state for them)"
        )),
    }
}

/// The outcomes of `source` for which trigger `t` fires, or why the
/// condition cannot be expressed.
pub fn fires_on(source: &Stage, t: &Trigger) -> Result<Vec<Outcome>, String> {
    let source_kind = kind(source)?;
    if !matches!(source_kind, Kind::Job) {
        // A sequencer or exception handler has no status: its triggers
        // are unconditional.
        return match t.condition_type.trim() {
            "0" | "" | "2" => Ok(vec![Outcome::Ok]),
            c => Err(format!(
                "condition type {c} on a {} has no meaning on AWS",
                source.stage_type
            )),
        };
    }
    match t.condition_type.trim() {
        "0" | "" => Ok(Outcome::ALL.to_vec()),
        "2" => Ok(vec![Outcome::Ok]),
        "3" => Ok(vec![Outcome::Failed]),
        "4" => Err(
            "a Warning trigger: a Glue job run has no \"finished with warnings\" outcome".into(),
        ),
        "6" => custom(source, &t.expression),
        "7" => Err("a ReturnValue trigger (routine / command activities) is not translated".into()),
        c => Err(format!("trigger condition type {c} is not translated")),
    }
}

/// A custom trigger expression over the source activity's `$JobStatus`:
/// comparisons with numbers or `DSJS.*` constants joined by `And`, `Or`,
/// `Not` and parentheses. Evaluated for each Glue outcome.
fn custom(source: &Stage, expr: &str) -> Result<Vec<Outcome>, String> {
    let toks = lex(expr).ok_or_else(|| format!("custom trigger {expr:?} is not understood"))?;
    let mut p = CondParser {
        toks: &toks,
        pos: 0,
        source: &source.name,
    };
    let tree = p
        .or()
        .map_err(|e| format!("custom trigger {expr:?}: {e}"))?;
    if p.pos != toks.len() {
        return Err(format!("custom trigger {expr:?} is not understood"));
    }
    Ok(Outcome::ALL
        .into_iter()
        .filter(|o| tree.eval(o.job_status()))
        .collect())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(i64),
    Op(&'static str),
    Open,
    Close,
}

fn lex(s: &str) -> Option<Vec<Tok>> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if c == ')' {
            out.push(Tok::Close);
            i += 1;
        } else if c.is_ascii_digit() {
            let st = i;
            while i < cs.len() && cs[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Num(cs[st..i].iter().collect::<String>().parse().ok()?));
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let st = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || matches!(cs[i], '_' | '$' | '.')) {
                i += 1;
            }
            out.push(Tok::Word(cs[st..i].iter().collect()));
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            let op = match two.as_str() {
                "<>" => Some("<>"),
                "<=" | "=<" => Some("<="),
                ">=" | "=>" => Some(">="),
                _ => None,
            };
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
                continue;
            }
            out.push(Tok::Op(match c {
                '=' => "=",
                '#' => "<>",
                '<' => "<",
                '>' => ">",
                _ => return None,
            }));
            i += 1;
        }
    }
    Some(out)
}

enum Cond {
    Cmp(&'static str, i64),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    fn eval(&self, status: i64) -> bool {
        match self {
            Cond::Cmp(op, v) => match *op {
                "=" => status == *v,
                "<>" => status != *v,
                "<" => status < *v,
                ">" => status > *v,
                "<=" => status <= *v,
                _ => status >= *v,
            },
            Cond::Not(c) => !c.eval(status),
            Cond::And(a, b) => a.eval(status) && b.eval(status),
            Cond::Or(a, b) => a.eval(status) || b.eval(status),
        }
    }
}

struct CondParser<'a> {
    toks: &'a [Tok],
    pos: usize,
    source: &'a str,
}

impl CondParser<'_> {
    fn keyword(&mut self, k: &str) -> bool {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut left = self.and()?;
        while self.keyword("Or") {
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut left = self.not()?;
        while self.keyword("And") {
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.keyword("Not") {
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        if self.toks.get(self.pos) == Some(&Tok::Open) {
            self.pos += 1;
            let c = self.or()?;
            if self.toks.get(self.pos) != Some(&Tok::Close) {
                return Err("unbalanced parentheses".into());
            }
            self.pos += 1;
            return Ok(c);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Cond, String> {
        let Some(Tok::Word(w)) = self.toks.get(self.pos) else {
            return Err("expected ACTIVITY.$JobStatus".into());
        };
        let Some((act, var)) = w.rsplit_once('.') else {
            return Err(format!("{w} is not an activity variable"));
        };
        if !var.eq_ignore_ascii_case("$JobStatus") {
            return Err(format!(
                "{w}: only $JobStatus is translated ($UserStatus, user variables and return values have no Glue equivalent yet)"
            ));
        }
        if act != self.source {
            return Err(format!(
                "{w} refers to another activity than the trigger's source {}",
                self.source
            ));
        }
        self.pos += 1;
        let Some(Tok::Op(op)) = self.toks.get(self.pos).cloned() else {
            return Err("expected a comparison".into());
        };
        self.pos += 1;
        let value = match self.toks.get(self.pos) {
            Some(Tok::Num(n)) => *n,
            Some(Tok::Word(w)) => dsjs(w).ok_or_else(|| format!("{w} is not a known status"))?,
            _ => return Err("expected a status value".into()),
        };
        self.pos += 1;
        Ok(Cond::Cmp(op, value))
    }
}

/// `DSJS.*` job status constants (IBM, "DSGetJobInfo function").
fn dsjs(w: &str) -> Option<i64> {
    Some(match w.to_ascii_uppercase().as_str() {
        "DSJS.RUNNING" => 0,
        "DSJS.RUNOK" => 1,
        "DSJS.RUNWARN" => 2,
        "DSJS.RUNFAILED" => 3,
        "DSJS.CRASHED" => 96,
        "DSJS.STOPPED" => 97,
        _ => return None,
    })
}

/// The value a job activity passes to one job parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `$PROJDEF`, empty: the job's own default (no argument passed).
    Default,
    /// A constant.
    Literal(String),
    /// The sequence's parameter of that name.
    Param(String),
}

/// Classify a parameter value expression of a job activity.
pub fn value(job: &Job, expr: &str) -> Result<Value, String> {
    let e = expr.trim();
    if e.is_empty() || e.eq_ignore_ascii_case("$PROJDEF") {
        return Ok(Value::Default);
    }
    for q in ['"', '\''] {
        if e.len() >= 2 && e.starts_with(q) && e.ends_with(q) && !e[1..e.len() - 1].contains(q) {
            return Ok(Value::Literal(e[1..e.len() - 1].to_string()));
        }
    }
    if e.parse::<i64>().is_ok() {
        return Ok(Value::Literal(e.to_string()));
    }
    // A bare parameter name, or `#name#`.
    let name = e
        .strip_prefix('#')
        .and_then(|x| x.strip_suffix('#'))
        .unwrap_or(e);
    // A name the state's JSONPath (`$.params.NAME`) can hold as it is.
    if let Some(p) = job.parameters.iter().find(|p| p.name == name)
        && p.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Ok(Value::Param(p.name.clone()));
    }
    Err(format!(
        "value expression {e:?} is not a constant or a parameter of the sequence"
    ))
}

/// Triggers leading into `stage` (source stage, trigger).
pub fn incoming<'a>(job: &'a Job, stage: &Stage) -> Vec<(&'a Stage, &'a Trigger)> {
    job.stages
        .iter()
        .filter_map(|s| s.activity.as_ref().map(|a| (s, a)))
        .flat_map(|(s, a)| {
            a.triggers
                .iter()
                .filter(|t| t.to_stage.as_deref() == Some(stage.id.as_str()))
                .map(move |t| (s, t))
        })
        .collect()
}

/// Every reason `stage` of a sequence cannot be expressed exactly.
pub fn blockers(job: &Job, stage: &Stage) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(a) = &stage.activity else {
        return out;
    };
    let k = match kind(stage) {
        Ok(k) => k,
        Err(e) => {
            out.push((stage.stage_type.clone(), e));
            return out;
        }
    };
    if k == Kind::Job {
        if a.job_name.trim().is_empty() {
            out.push(("Jobname".into(), "the job activity names no job".into()));
        }
        for (name, expr) in &a.parameter_values {
            if name.starts_with('$') {
                // Environment variables ($APT_CONFIG_FILE...) steer the
                // parallel engine, not the rows; Glue has none.
                continue;
            }
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                // `PS.P` (a parameter set's member) and other names a
                // state's JSON keys and paths cannot carry as they are.
                out.push((
                    format!("parameter {name}"),
                    "a parameter name that is not an identifier (a parameter set member?) is not passed yet".into(),
                ));
            } else if let Err(e) = value(job, expr) {
                out.push((format!("parameter {name}"), e));
            }
        }
    }
    let ins = incoming(job, stage).len();
    if ins > 1 && !matches!(k, Kind::Sequencer(_)) {
        out.push((
            "triggers".into(),
            format!("{ins} triggers lead into an activity that is not a Sequencer"),
        ));
    }
    for t in &a.triggers {
        if t.to_stage.is_none() {
            continue;
        }
        if let Err(e) = fires_on(stage, t) {
            out.push((format!("trigger {}", t.name), e));
        }
    }
    out
}

/// The check of [`super::guess::CHECKS`]: a sequence is AUTO only if every
/// activity and trigger is expressed.
pub fn untranslated_activity(job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
    if job.kind != JobKind::Sequence {
        return;
    }
    for (property, what) in blockers(job, stage) {
        out.push(Guess::new(stage, property, what));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Activity;

    fn job_act(name: &str, t: Trigger) -> Stage {
        Stage {
            id: "V0S1".into(),
            name: name.into(),
            stage_type: "JobActivity".into(),
            raw_type: "CJSJobActivity".into(),
            properties: Vec::new(),
            transformer: None,
            activity: Some(Activity {
                job_name: "J".into(),
                triggers: vec![t],
                ..Default::default()
            }),
            container: None,
            input_pins: Vec::new(),
            output_pins: Vec::new(),
        }
    }

    fn trig(ct: &str, e: &str) -> Trigger {
        Trigger {
            name: "t".into(),
            to_stage: Some("V0S2".into()),
            condition_type: ct.into(),
            expression: e.into(),
        }
    }

    #[test]
    fn conditions_map_to_glue_outcomes() {
        let on = |ct: &str, e: &str| {
            let s = job_act("Load_A", trig(ct, e));
            fires_on(&s, &s.activity.as_ref().unwrap().triggers[0])
        };
        assert_eq!(on("2", ""), Ok(vec![Outcome::Ok]));
        assert_eq!(on("3", ""), Ok(vec![Outcome::Failed]));
        assert_eq!(on("0", ""), Ok(Outcome::ALL.to_vec()));
        // The case a Glue workflow got wrong: `<> 1` is the failure branch.
        assert_eq!(on("6", "Load_A.$JobStatus<>1"), Ok(vec![Outcome::Failed]));
        assert_eq!(
            on(
                "6",
                "Load_A.$JobStatus = DSJS.RUNOK Or Load_A.$JobStatus = DSJS.RUNWARN"
            ),
            Ok(vec![Outcome::Ok])
        );
        assert_eq!(
            on("6", "Not (Load_A.$JobStatus = 1)"),
            Ok(vec![Outcome::Failed])
        );
        assert!(on("6", "Load_A.$UserStatus = 1").is_err());
        assert!(on("6", "Other.$JobStatus = 1").is_err());
        assert!(on("6", "Load_A.$JobStatus = 1 +").is_err());
        assert!(on("4", "").is_err());
        assert!(on("9", "").is_err());
    }
}
