//! `dsmig plan`: the calls a build would make, which are stored, and
//! their tokens and cost.

use super::*;

impl LlmPhase<'_> {
    /// `dsmig plan`: the calls a build would make, which are stored, and
    /// their tokens — with batching and at one call per job. Nothing is
    /// written; a job whose draft is not generated yet is estimated from
    /// its shape.
    pub(super) fn estimate(&mut self, batches: &Batches) -> LlmEstimate {
        let cfg = self.opts.config.clone();
        let max_out = cfg.max_output_tokens.max(1);
        let system_tokens = estimate_tokens(&self.system(Lang::Python).unwrap_or_default());
        let n = self.works.len();
        // Per job: (input, output) tokens of a full call, from its draft.
        let mut full: Vec<(u64, u64)> = Vec::with_capacity(n);
        // Drafts are generated again: on every core.
        let drafts: Vec<Option<String>> = {
            use rayon::prelude::*;
            let ctx = self.ctx;
            let draft = |w: &Work| job_text(ctx, w, &w.draft_blob?, &OnceCell::new());
            self.works.par_iter().map(draft).collect()
        };
        for (w, draft) in self.works.iter().zip(&drafts) {
            let (prompt, answer) = match draft {
                Some(d) => {
                    let splice = w.code.as_ref().is_some_and(|(_, _, l)| l.splices());
                    let out = if splice {
                        estimate_tokens(&pycode::placeholder_functions(d))
                    } else {
                        estimate_tokens(d)
                    };
                    // The IR excerpt and instructions around the draft.
                    (estimate_tokens(d) * 3 / 2, out)
                }
                None => {
                    let chars = crate::llm::plan::draft_chars(w.stages, w.columns);
                    ((chars * 3 / 2).div_ceil(4), (chars / 4).div_ceil(4))
                }
            };
            full.push((system_tokens + prompt, answer.min(max_out)));
        }
        let mut results: Vec<Option<JobResult>> = vec![None; n];
        let mut planned: Vec<Option<PlannedCall>> = vec![None; n];
        let mut substituted_results: Vec<(usize, JobResult)> = Vec::new();
        // Full calls, then light calls (they need the leaders' answers),
        // then duplicates (they need their representative's code).
        for i in 0..n {
            if self.works[i].source != Source::Full {
                continue;
            }
            let mut call = PlannedCall {
                input_tokens: full[i].0,
                output_tokens: full[i].1,
                stored: false,
            };
            // Without a provider nothing can be stored or sent: the plan
            // only estimates, and counts no phase work.
            if drafts[i].is_some() && self.opts.enabled {
                let w = &self.works[i];
                let pkey = self.prompt_key(w, b"full");
                let lkey = self.llm_key(&pkey);
                if let Some(r) = self.stored_result(&lkey) {
                    call.stored = true;
                    results[i] = Some(r);
                } else if let Some((s, p)) = self.full_prompt(w, &pkey) {
                    call.input_tokens = estimate_tokens(&s) + estimate_tokens(&p);
                    call.stored = self.answer_stored(&w.name, &s, &p);
                }
            }
            self.count(call.stored);
            planned[i] = Some(call);
        }
        let light_calls = self.estimate_light(batches, &mut results, &full, system_tokens);
        for i in 0..n {
            let Source::Duplicate { of } = &self.works[i].source else {
                continue;
            };
            let rep = self.index.get(of).copied();
            let stored = rep
                .and_then(|r| results[r].as_ref().and_then(|x| x.code).map(|c| (r, c)))
                .and_then(|(r, code)| self.stored_result(&self.dup_key(i, r, &code)));
            self.count(stored.is_some());
            if let Some(r) = stored {
                substituted_results.push((i, r));
            }
        }
        let substituted = self
            .works
            .iter()
            .filter(|w| matches!(w.source, Source::Duplicate { .. }))
            .count() as u64;
        // What is stored shows in the files the plan compares.
        for (i, r) in substituted_results {
            results[i] = Some(r);
        }
        for (w, r) in self.works.iter_mut().zip(results) {
            w.result = r;
        }
        let mut calls: Vec<PlannedCall> = planned.into_iter().flatten().collect();
        calls.extend(light_calls);
        let (input_tokens, output_tokens) = crate::llm::plan::tokens(&calls);
        let one = full.iter().fold((0, 0), |(a, b), (i, o)| (a + i, b + o));
        let stored = calls.iter().filter(|c| c.stored).count() as u64;
        let n_calls = calls.len() as u64;
        let jobs = n as u64;
        let name_of = |k: &String| {
            self.index
                .get(k)
                .map_or_else(|| k.clone(), |&i| self.works[i].name.clone())
        };
        LlmEstimate {
            configured: self.opts.enabled,
            provider: cfg.provider.clone(),
            model: cfg.model.clone(),
            jobs,
            calls: n_calls,
            stored,
            to_make: n_calls - stored,
            substituted,
            one_per_job: jobs,
            savings_pct: if jobs == 0 {
                0.0
            } else {
                100.0 * (jobs - n_calls) as f64 / jobs as f64
            },
            input_tokens,
            output_tokens,
            one_per_job_input_tokens: one.0,
            one_per_job_output_tokens: one.1,
            models: crate::llm::plan::model_costs(&cfg, (input_tokens, output_tokens), one),
            budget_usd: self
                .opts
                .cli_budget
                .or(Some(cfg.budget.max_cost_per_run))
                .filter(|b| *b > 0.0),
            groups: batches
                .groups
                .iter()
                .map(|g| GroupCost {
                    id: g.id.clone(),
                    template: name_of(&g.template),
                    members: g.members.len() as u64,
                    calls: g.calls,
                    savings: g.savings(),
                })
                .collect(),
        }
    }

    /// The light calls of a plan: tokens, and whether each is answered.
    fn estimate_light(
        &mut self,
        batches: &Batches,
        results: &mut [Option<JobResult>],
        full: &[(u64, u64)],
        system_tokens: u64,
    ) -> Vec<PlannedCall> {
        let mut out = Vec::new();
        for b in &batches.light {
            let Some(&l) = self.index.get(&b.leader) else {
                continue;
            };
            let members: Vec<usize> = b
                .members
                .iter()
                .filter_map(|m| self.index.get(m).copied())
                .collect();
            let answer_tokens: u64 = members.iter().map(|&m| full[m].1).sum();
            // The leader's answer, each member's placeholders and slot
            // differences, the answers.
            let mut call = PlannedCall {
                input_tokens: system_tokens
                    + full[l].1
                    + answer_tokens
                    + 300 * members.len() as u64,
                output_tokens: answer_tokens,
                stored: false,
            };
            let answer = results[l]
                .as_ref()
                .filter(|r| r.code.is_some())
                .map(|r| r.answer.clone())
                .unwrap_or_default();
            if !answer.is_empty() && self.opts.enabled {
                let (pkey, keys) = self.light_keys(&members, l, &answer);
                let stored: Vec<Option<JobResult>> =
                    keys.iter().map(|k| self.stored_result(k)).collect();
                if stored.iter().all(Option::is_some) {
                    call.stored = true;
                    for (&m, r) in members.iter().zip(stored) {
                        results[m] = r;
                    }
                } else if let Some((s, p)) = self.light_prompt(&members, l, &answer, Some(&pkey)) {
                    call.input_tokens = estimate_tokens(&s) + estimate_tokens(&p);
                    let label: Vec<&str> = members
                        .iter()
                        .map(|&m| self.works[m].name.as_str())
                        .collect();
                    call.stored = self.answer_stored(&label.join(", "), &s, &p);
                }
            }
            for _ in &members {
                self.count(call.stored);
            }
            out.push(call);
        }
        out
    }

    /// A plan's count: the job's result is stored, or would be computed
    /// (nothing without a provider: a build would not run the phase).
    fn count(&self, stored: bool) {
        if !self.opts.enabled {
            return;
        }
        if stored {
            query::reused::<LlmOf>(self.ctx);
        } else {
            query::computed::<LlmOf>(self.ctx);
        }
    }

    /// Whether the `llm` table holds the answer to this prompt (the key
    /// the client would use, budget fitting included).
    fn answer_stored(&self, job: &str, system: &str, prompt: &str) -> bool {
        let cfg = &self.opts.config;
        if !self.opts.enabled {
            return false;
        }
        let Ok(budget) = Budget::new(cfg, None) else {
            return false;
        };
        let mut req = redact::scrub_request(&crate::llm::ChatRequest {
            system: system.to_string(),
            prompt: prompt.to_string(),
            max_tokens: cfg.max_output_tokens.max(1),
            temperature: cfg.temperature,
        });
        if budget.fit(job, &mut req).is_err() {
            return false;
        }
        let key = cache::request_key(&cfg.provider, &cfg.model, &req);
        matches!(cache::get(&self.ctx.store, &key), Ok(Some(_)))
    }
}
