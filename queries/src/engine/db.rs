//! The salsa database and the context every query reaches through it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::engine::counters::{Counters, Phase};
use crate::engine::job_ir::JobIrResult;
use crate::parse::Limits;
use crate::store::{Hash, Store};

/// What queries need besides their inputs. Never part of a key: the store
/// is a cache of pure functions, the counters only observe.
pub struct Ctx {
    pub store: Arc<Store>,
    /// `dsmig plan`: compute what is cheap, write nothing, count what would run.
    pub dry_run: bool,
    pub limits: Limits,
    pub counters: Counters,
    /// Generation target (`--target`; `None`: a name no target has, job
    /// cards only): part of artifact keys. See [`Ctx::target`].
    pub target: Option<crate::generate::target::TargetKind>,
    /// Extra version per phase (tests and `--bump-query-version`): as if
    /// the phase's logic had changed.
    pub bumps: BTreeMap<Phase, u32>,
    /// job_ir results computed in this run while a file streamed past
    /// (already counted as computed).
    pub fresh_ir: Mutex<HashMap<Hash, JobIrResult>>,
    /// Other phases' results computed in this run (key → encoded value),
    /// already counted as computed.
    pub fresh: Mutex<HashMap<Hash, Vec<u8>>>,
    /// Templates of the generated files (embedded, or with the overrides of
    /// `generation.templates_dir`); their fingerprint is part of the keys.
    pub templates: Option<Arc<crate::generate::templates::Templates>>,
    /// `[glue]` settings: part of the Glue artifacts' keys.
    pub glue: crate::config::GlueConfig,
    /// `[sql]` settings (dialect included): part of the SQL artifacts' keys.
    pub sql: crate::config::SqlConfig,
    /// `[prediction]` settings: part of prediction keys.
    pub prediction: crate::config::PredictionConfig,
    /// `dsmig plan`: the IR of entities read in this run that the store
    /// does not hold (a plan writes nothing there), deflated; blob hash →
    /// packed canonical bytes. What lets a plan generate a new or edited
    /// job's files to count them and say what changed in it. A few KB per
    /// job.
    pub dry_blobs: Mutex<HashMap<Hash, Vec<u8>>>,
    /// Files already re-streamed to compute missing job_ir results.
    pub restreamed: Mutex<HashSet<String>>,
    /// `dsmig build`: the output folder, where a job's generated files are
    /// written as soon as they exist (see `materialize::write_early`).
    pub output_dir: Option<PathBuf>,
    /// The output folder and target as the `outputs` table keys them
    /// (`store::outputs_scope`).
    pub outputs_scope: String,
    /// `build --force`: overwrite files edited by hand.
    pub force: bool,
    /// Files written that way (path under the output folder → blob).
    pub written_early: Mutex<HashMap<String, Hash>>,
    /// The outputs recorded by the last build: see [`Ctx::previous_outputs`].
    previous_outputs: OnceLock<Result<HashMap<String, Hash>, String>>,
    /// What the other targets recorded in the same output folder.
    sibling_outputs: OnceLock<HashMap<String, Vec<Hash>>>,
    /// Writes the output files (and knows which folders the run created).
    pub writer: crate::engine::materialize::Writer,
}

impl Ctx {
    pub fn new(store: Arc<Store>, limits: Limits, dry_run: bool) -> Ctx {
        Ctx {
            store,
            dry_run,
            limits,
            counters: Counters::default(),
            target: Some(crate::generate::target::TargetKind::Glue),
            bumps: BTreeMap::new(),
            fresh_ir: Mutex::new(HashMap::new()),
            fresh: Mutex::new(HashMap::new()),
            prediction: crate::config::PredictionConfig::default(),
            glue: crate::config::GlueConfig::default(),
            sql: crate::config::SqlConfig::default(),
            templates: None,
            dry_blobs: Mutex::new(HashMap::new()),
            restreamed: Mutex::new(HashSet::new()),
            output_dir: None,
            outputs_scope: String::new(),
            force: false,
            written_early: Mutex::new(HashMap::new()),
            previous_outputs: OnceLock::new(),
            sibling_outputs: OnceLock::new(),
            writer: Default::default(),
        }
    }

    /// The outputs the last build into this output folder with this target
    /// recorded (path → blob), read from the store once per run: before
    /// this run's `materialize` records its own.
    pub fn previous_outputs(&self) -> Result<&HashMap<String, Hash>, &str> {
        self.previous_outputs
            .get_or_init(|| {
                let outputs = self
                    .store
                    .outputs(&self.outputs_scope)
                    .map_err(|e| e.to_string())?;
                Ok(outputs.into_iter().collect())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The outputs the other targets recorded in this output folder (path →
    /// their hashes): see `Store::outputs_beside`. Empty if unreadable (the
    /// reading of this target's own outputs reports a damaged store).
    pub fn sibling_outputs(&self) -> &HashMap<String, Vec<Hash>> {
        self.sibling_outputs.get_or_init(|| {
            self.store
                .outputs_beside(&self.outputs_scope)
                .unwrap_or_default()
        })
    }

    /// The run's target with its settings.
    pub fn target(&self) -> Option<Box<dyn crate::generate::target::Target + '_>> {
        use crate::generate::target::{Glue, Sql, TargetKind};
        Some(match self.target? {
            TargetKind::Glue => Box::new(Glue {
                config: &self.glue,
                templates: self.templates(),
            }),
            TargetKind::Sql => Box::new(Sql::new(&self.sql)),
        })
    }

    pub fn templates(&self) -> &crate::generate::templates::Templates {
        match &self.templates {
            Some(t) => t,
            None => crate::generate::templates::Templates::embedded(),
        }
    }
}

#[salsa::db]
pub trait Db: salsa::Database {
    fn ctx(&self) -> &Ctx;
}

#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    ctx: Arc<Ctx>,
}

impl Database {
    pub fn new(ctx: Arc<Ctx>) -> Database {
        Database {
            storage: salsa::Storage::default(),
            ctx,
        }
    }
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

pub use crate::sync::lock;
