//! The `prompt` phase: the keys of prompts and results, and the prompts
//! of full and light calls (memoised through `PromptOf`).

use super::*;

impl LlmPhase<'_> {
    pub(super) fn store_text(&self, blob: &Hash) -> Option<String> {
        let bytes = self.ctx.store.blob(blob).ok()??;
        String::from_utf8(bytes).ok()
    }

    /// The rule-based draft of a job's code.
    pub(super) fn draft(&self, w: &Work) -> Option<String> {
        job_text(self.ctx, w, &w.draft_blob?, &OnceCell::new())
    }

    fn settings_bytes(&self) -> Vec<u8> {
        let c = &self.opts.config;
        encode(&(
            &c.provider,
            &c.model,
            c.temperature.to_bits(),
            c.max_output_tokens,
            c.budget.max_tokens_per_job,
        ))
    }

    fn prediction_bytes(&self, w: &Work) -> Vec<u8> {
        self.predictions
            .predictions
            .get(&w.ir)
            .map(|p| encode(&(&p.rule, &p.blocking)))
            .unwrap_or_default()
    }

    /// The key of a job's prompt: everything the text is made of.
    pub(super) fn prompt_key(&self, w: &Work, extra: &[u8]) -> Hash {
        let (path, lang) = w
            .code
            .as_ref()
            .map(|(_, p, l)| (p.clone(), encode(l)))
            .unwrap_or_default();
        key_of::<PromptOf<'_>>(
            self.ctx,
            &[
                &w.ir.0,
                &w.draft_blob.unwrap_or_default(),
                path.as_bytes(),
                &lang,
                &encode(&(w.mode, category_str(w.category), &w.todos)),
                &self.prediction_bytes(w),
                self.target.label().as_bytes(),
                &self.prompts.fingerprint,
                extra,
            ],
        )
    }

    pub(super) fn llm_key(&self, prompt_key: &Hash) -> Hash {
        key_of::<LlmOf>(self.ctx, &[prompt_key, &self.settings_bytes()])
    }

    /// A stored result, if its code is still in the store.
    pub(super) fn stored_result(&self, key: &Hash) -> Option<JobResult> {
        let r = query::lookup::<LlmOf>(self.ctx, key)?;
        if let Some(c) = &r.code
            && !matches!(self.ctx.store.blob(c), Ok(Some(_)))
        {
            return None;
        }
        Some(r)
    }

    pub(super) fn system(&self, lang: Lang) -> Result<String, String> {
        self.prompts
            .system(&self.target.describe(), lang.fence(), lang.splices())
    }

    /// The prompt of a full call (memoised).
    pub(super) fn full_prompt(&self, w: &Work, pkey: &Hash) -> Option<(String, String)> {
        let q = PromptOf {
            key: *pkey,
            make: std::cell::Cell::new(Some(Box::new(|| self.make_full_prompt(w)))),
        };
        query::fetch(self.ctx, &q).value
    }

    fn make_full_prompt(&self, w: &Work) -> Option<(String, String)> {
        let (_, path, lang) = w.code.as_ref()?;
        let draft = self.draft(w)?;
        let entity = load_ir(self.ctx, &w.ir)?;
        let job = entity.as_job()?;
        let pred = self.predictions.predictions.get(&w.ir);
        let blocking: Vec<String> = pred
            .map(|p| {
                p.blocking
                    .iter()
                    .map(|b| match &b.location {
                        Some(l) => format!("{} at {l}: {}", b.what, b.reason),
                        None => format!("{}: {}", b.what, b.reason),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let placeholders = if *lang == Lang::Python {
            pycode::placeholders(&draft)
        } else {
            Vec::new()
        };
        let prompt = self
            .prompts
            .full(
                w.mode,
                &FullPrompt {
                    job,
                    category: category_str(w.category),
                    rule: pred.map_or("", |p| p.rule.as_str()),
                    blocking: &blocking,
                    path,
                    language: lang.fence(),
                    draft: &draft,
                    placeholders: &placeholders,
                    todos: &w.todos,
                },
            )
            .ok()?;
        Some((self.system(*lang).ok()?, prompt))
    }

    pub(super) fn diffs(&self, from: &Work, to: &Work) -> Vec<SlotDiff> {
        let f = |ir: EntityHash| eanalysis::features(self.db, JobKey::new(self.db, ir)).clone();
        match (f(from.ir), f(to.ir)) {
            (Some(a), Some(b)) => slot_diffs(&a, &b),
            _ => Vec::new(),
        }
    }

    /// The prompt of a light call for `members` on `leader`'s answer
    /// (memoised under `pkey` when given).
    pub(super) fn light_prompt(
        &self,
        members: &[usize],
        leader: usize,
        answer: &str,
        pkey: Option<&Hash>,
    ) -> Option<(String, String)> {
        let make = || self.make_light_prompt(members, leader, answer);
        match pkey {
            Some(k) => {
                let q = PromptOf {
                    key: *k,
                    make: std::cell::Cell::new(Some(Box::new(make))),
                };
                query::fetch(self.ctx, &q).value
            }
            // A repair's prompt: made once, not kept.
            None => {
                let v = make()?;
                query::computed::<PromptOf<'_>>(self.ctx);
                Some(v)
            }
        }
    }

    fn make_light_prompt(
        &self,
        members: &[usize],
        leader: usize,
        answer: &str,
    ) -> Option<(String, String)> {
        let l = &self.works[leader];
        let mut parts = Vec::new();
        for &m in members {
            let w = &self.works[m];
            let (_, path, lang) = w.code.as_ref()?;
            let draft = self.draft(w)?;
            let code = if lang.splices() {
                pycode::placeholder_functions(&draft)
            } else {
                draft
            };
            parts.push((w.name.as_str(), self.diffs(l, w), path.as_str(), code));
        }
        let lang = self.lang_of(leader);
        let view: Vec<LightMember<'_>> = parts
            .iter()
            .map(|(job, diffs, path, code)| LightMember {
                job,
                diffs,
                path,
                code,
            })
            .collect();
        let prompt = self
            .prompts
            .light(&LightPrompt {
                template: &l.name,
                template_answer: answer,
                splice: lang.splices(),
                language: lang.fence(),
                members: &view,
            })
            .ok()?;
        Some((self.system(lang).ok()?, prompt))
    }

    /// The keys of a light call: its prompt's, and per member its result's.
    pub(super) fn light_keys(
        &self,
        members: &[usize],
        leader: usize,
        answer: &str,
    ) -> (Hash, Vec<Hash>) {
        // The slot differences quoted are the leader's to each member's.
        let mut parts: Vec<u8> = Self::light_extra(answer);
        parts.extend_from_slice(&self.works[leader].ir.0);
        for &m in members {
            parts.extend_from_slice(&self.prompt_key(&self.works[m], b"light"));
        }
        let pkey = key_of::<PromptOf<'_>>(self.ctx, &[&parts]);
        let lkey = self.llm_key(&pkey);
        let per = members
            .iter()
            .map(|&m| key_of::<LlmOf>(self.ctx, &[&lkey, &self.works[m].ir.0]))
            .collect();
        (pkey, per)
    }

    /// Light-call key material: the leader's answer.
    fn light_extra(answer: &str) -> Vec<u8> {
        let mut v = b"light".to_vec();
        v.extend_from_slice(blake3::hash(answer.as_bytes()).as_bytes());
        v
    }

    pub(super) fn dup_key(&self, work: usize, rep: usize, rep_code: &Hash) -> Hash {
        let (w, t) = (&self.works[work], &self.works[rep]);
        key_of::<LlmOf>(
            self.ctx,
            &[
                b"dup",
                &w.ir.0,
                &w.draft_blob.unwrap_or_default(),
                &t.draft_blob.unwrap_or_default(),
                rep_code,
                &self.settings_bytes(),
            ],
        )
    }
}
