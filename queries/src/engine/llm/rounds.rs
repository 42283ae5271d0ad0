//! The `llm` phase in a build: rounds of calls (full calls, light calls,
//! duplicates by substitution, light calls for those that could not be
//! substituted), each round's answers checked together and repaired once;
//! results reused from or kept in the store.

use super::*;

/// A call to make in a round: one job (full call) or several near
/// duplicates of one leader (light call).
pub(super) struct Ask {
    pub(super) works: Vec<usize>,
    pub(super) system: String,
    pub(super) prompt: String,
    /// Per work, its draft.
    pub(super) drafts: Vec<String>,
    /// Light calls: the leader and its answer (repairs re-ask one member).
    pub(super) leader: Option<(usize, String)>,
}

enum Checked {
    Good { body: String, answer: String },
    Bad { answer: String, error: String },
}

impl LlmPhase<'_> {
    fn client(&mut self) -> Result<&Llm, String> {
        if self.client.is_none() {
            let llm = Llm::from_config(&self.opts.config, &SystemEnv, self.opts.cli_budget)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "no LLM provider is configured".to_string())?;
            self.client = Some(llm);
        }
        self.client
            .as_ref()
            .ok_or_else(|| "no LLM provider".to_string())
    }

    /// Turn an answer into the job's new code body.
    fn prepare(draft: &str, lang: Lang, r: &ChatResponse) -> Checked {
        let code = crate::llm::extract::extract_code(&r.text, lang.fence());
        let answer = code.clone().unwrap_or_else(|| r.text.clone());
        if r.truncated() {
            return Checked::Bad {
                answer,
                error:
                    "the answer was cut off at the token limit (max_tokens); answer with less code"
                        .into(),
            };
        }
        let Some(code) = code else {
            return Checked::Bad {
                answer,
                error: format!("the answer has no ```{} code block", lang.fence()),
            };
        };
        if !lang.splices() {
            return Checked::Good {
                body: code.clone(),
                answer: code,
            };
        }
        match pycode::splice(draft, &code) {
            Ok(body) => Checked::Good { body, answer: code },
            Err(error) => Checked::Bad { answer, error },
        }
    }

    fn check(&self, items: &[(usize, String)]) -> Vec<Verdict> {
        let dialect = validate::sqlglot_dialect(&self.target.label());
        let items: Vec<Item> = items
            .iter()
            .map(|(wi, code)| {
                let (lang, name) = self.works[*wi]
                    .code
                    .as_ref()
                    .map_or((Lang::Python, String::new()), |(_, p, l)| (*l, p.clone()));
                Item {
                    lang,
                    dialect: dialect.clone(),
                    name,
                    code: code.clone(),
                }
            })
            .collect();
        validate::check(&items)
    }

    /// Send `asks`, check the answers, repair once; the result per work.
    fn round(&mut self, asks: Vec<Ask>, what: &str) -> Result<Vec<(usize, JobResult)>, String> {
        if asks.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = self.send(&asks, what)?;
        let mut results: Vec<(usize, JobResult)> = Vec::new();
        // (ask, member index in the ask, body, answer)
        let mut to_check: Vec<(usize, usize, String, String)> = Vec::new();
        // (ask, member index, answer, error)
        let mut to_repair: Vec<(usize, usize, String, String)> = Vec::new();
        for (a, o) in outcomes.iter().enumerate() {
            let ask = &asks[a];
            let lang = self.lang_of(ask.works[0]);
            match o {
                Outcome::Stored(r) | Outcome::Called { response: r, .. } => {
                    let names: Vec<&str> = ask
                        .works
                        .iter()
                        .map(|&w| self.works[w].name.as_str())
                        .collect();
                    let parts = if ask.leader.is_some() {
                        sections(&r.text, &names)
                    } else {
                        vec![Some(r.text.clone())]
                    };
                    for (k, part) in parts.into_iter().enumerate() {
                        let Some(text) = part else {
                            to_repair.push((
                                a,
                                k,
                                String::new(),
                                format!("the answer has no `### {}` section", names[k]),
                            ));
                            continue;
                        };
                        let section = ChatResponse { text, ..r.clone() };
                        match Self::prepare(&ask.drafts[k], lang, &section) {
                            Checked::Good { body, answer } => to_check.push((a, k, body, answer)),
                            Checked::Bad { answer, error } => to_repair.push((a, k, answer, error)),
                        }
                    }
                }
                Outcome::Skipped(s) => {
                    for &w in &ask.works {
                        results.push((w, JobResult::kept(skip_note(s), 0, 0, false)));
                    }
                }
                Outcome::Failed { error, .. } => {
                    for &w in &ask.works {
                        results.push((
                            w,
                            JobResult::kept(format!("the LLM call failed: {error}"), 0, 0, false),
                        ));
                    }
                }
            }
        }
        // The call is counted once, on the first member it served.
        let first_call = |a: usize, k: usize| u32::from(k == 0 || asks[a].works.len() == 1);
        let verdicts = self.check(
            &to_check
                .iter()
                .map(|(a, k, b, _)| (asks[*a].works[*k], b.clone()))
                .collect::<Vec<_>>(),
        );
        for ((a, k, body, answer), v) in to_check.into_iter().zip(verdicts) {
            let w = asks[a].works[k];
            match self.accept(w, body, answer, first_call(a, k), 0, v) {
                Ok(r) => results.push((w, r)),
                Err((answer, error)) => to_repair.push((a, k, answer, error)),
            }
        }
        // One repair call per failed answer, with the error; a member of a
        // light call is re-asked alone.
        to_repair.sort_by_key(|r| (r.0, r.1));
        let mut repairs = Vec::new();
        let mut repaired: Vec<(usize, u32)> = Vec::new(); // (work, calls before)
        for (a, k, answer, error) in &to_repair {
            let ask = &asks[*a];
            let w = ask.works[*k];
            let lang = self.lang_of(w);
            let base = match &ask.leader {
                Some((l, ans)) if ask.works.len() > 1 => self
                    .light_prompt(&[w], *l, ans, None)
                    .map(|(_, p)| p)
                    .unwrap_or_else(|| ask.prompt.clone()),
                _ => ask.prompt.clone(),
            };
            let prompt = self
                .prompts
                .repair(&base, lang.fence(), answer, &redact::scrub(error))?;
            self.opts.log(&format!(
                "LLM: answer for {} failed its check ({}); one repair call",
                self.works[w].name,
                one_line(error)
            ));
            repairs.push(Ask {
                works: vec![w],
                system: ask.system.clone(),
                prompt,
                drafts: vec![ask.drafts[*k].clone()],
                leader: None,
            });
            repaired.push((w, first_call(*a, *k)));
        }
        if !repairs.is_empty() {
            let outcomes = self.send(&repairs, &format!("repair ({what})"))?;
            let mut checks: Vec<(usize, String, String)> = Vec::new();
            for (k, o) in outcomes.iter().enumerate() {
                let (w, before) = repaired[k];
                let lang = self.lang_of(w);
                match o {
                    Outcome::Stored(r) | Outcome::Called { response: r, .. } => {
                        match Self::prepare(&repairs[k].drafts[0], lang, r) {
                            Checked::Good { body, answer } => checks.push((k, body, answer)),
                            Checked::Bad { error, .. } => {
                                results.push((w, self.failed_twice(w, &error, before + 1)));
                            }
                        }
                    }
                    Outcome::Skipped(s) => {
                        results.push((w, JobResult::kept(skip_note(s), before, 0, false)));
                    }
                    Outcome::Failed { error, .. } => results.push((
                        w,
                        JobResult::kept(
                            format!("the repair call failed: {error}"),
                            before,
                            0,
                            false,
                        ),
                    )),
                }
            }
            let verdicts = self.check(
                &checks
                    .iter()
                    .map(|(k, b, _)| (repairs[*k].works[0], b.clone()))
                    .collect::<Vec<_>>(),
            );
            for ((k, body, answer), v) in checks.into_iter().zip(verdicts) {
                let (w, before) = repaired[k];
                let r = match self.accept(w, body, answer, before + 1, 1, v) {
                    Ok(r) => r,
                    Err((_, error)) => self.failed_twice(w, &error, before + 1),
                };
                results.push((w, r));
            }
        }
        results.sort_by_key(|r| r.0);
        Ok(results)
    }

    fn failed_twice(&self, work: usize, error: &str, calls: u32) -> JobResult {
        let name = &self.works[work].name;
        self.opts.log(&format!(
            "LLM: the repaired answer for {name} failed its check too; the draft is kept"
        ));
        JobResult::kept(
            format!(
                "the LLM's answer failed its check twice (last: {}); the answers are stored",
                one_line(error)
            ),
            calls,
            1,
            true,
        )
    }

    pub(super) fn lang_of(&self, work: usize) -> Lang {
        self.works[work]
            .code
            .as_ref()
            .map_or(Lang::Python, |(_, _, l)| *l)
    }

    /// A checked answer becomes the job's file.
    fn accept(
        &self,
        work: usize,
        body: String,
        answer: String,
        calls: u32,
        repairs: u32,
        v: Verdict,
    ) -> Result<JobResult, (String, String)> {
        let lang = self.lang_of(work);
        let (note, settled) = match v {
            Verdict::Ok => (String::new(), true),
            Verdict::OkWith(n) => (n, true),
            Verdict::Unchecked(why) => (format!("not checked: {why}"), false),
            Verdict::Failed(e) => return Err((answer, e)),
        };
        let text = header(lang, "by an LLM", &self.counts.model) + &body;
        let code = self
            .ctx
            .store
            .put_blob(text.as_bytes())
            .map_err(|e| (answer.clone(), e.to_string()))?;
        Ok(JobResult {
            code: Some(code),
            substituted_from: None,
            answer,
            note,
            calls,
            repairs,
            settled,
        })
    }

    /// Send calls; each answer is committed to the store as it arrives.
    fn send(&mut self, asks: &[Ask], what: &str) -> Result<Vec<Outcome>, String> {
        let names: Vec<String> = asks
            .iter()
            .map(|a| {
                let names: Vec<&str> = a
                    .works
                    .iter()
                    .map(|&w| self.works[w].name.as_str())
                    .collect();
                names.join(", ")
            })
            .collect();
        let log = self.opts.log.clone();
        let store = self.ctx.store.clone();
        let llm = self.client()?;
        let calls: Vec<LlmCall> = asks
            .iter()
            .zip(&names)
            .map(|(a, name)| LlmCall {
                job: name.clone(),
                request: llm.request(&a.system, &a.prompt),
            })
            .collect();
        let n = calls.len();
        let mut done = 0;
        let outcomes = llm.call_many_with(Some(&store), calls, &mut |i, o| {
            done += 1;
            let Some(log) = &log else { return };
            let name = names.get(i).map(String::as_str).unwrap_or("");
            let state = match o {
                Outcome::Stored(_) => "served from the store".to_string(),
                Outcome::Called { attempts, .. } => {
                    format!("answered and stored ({attempts} HTTP attempt(s))")
                }
                Outcome::Skipped(_) => "skipped (budget)".to_string(),
                Outcome::Failed { error, .. } => {
                    format!("failed: {}", one_line(&error.to_string()))
                }
            };
            log(&format!("LLM {what} call {done}/{n} for {name}: {state}"));
        });
        Ok(outcomes)
    }

    /// The build: rounds of calls, then substitutions.
    pub(super) fn build(&mut self, batches: &Batches) -> Result<(), String> {
        // Round 1: full calls.
        let mut asks = Vec::new();
        for i in 0..self.works.len() {
            if self.works[i].source != Source::Full {
                continue;
            }
            let w = &self.works[i];
            let pkey = self.prompt_key(w, b"full");
            let lkey = self.llm_key(&pkey);
            self.memo_keys.extend([pkey, lkey]);
            self.works[i].llm_key = Some(lkey);
            if let Some(r) = self.stored_result(&lkey) {
                self.reuse(i, r);
                continue;
            }
            let w = &self.works[i];
            let Some(draft) = self.draft(w) else {
                self.set(
                    i,
                    JobResult::kept("its draft is not in the store".into(), 0, 0, false),
                );
                continue;
            };
            let Some((system, prompt)) = self.full_prompt(w, &pkey) else {
                self.set(
                    i,
                    JobResult::kept(
                        "its prompt could not be built (IR missing from the store)".into(),
                        0,
                        0,
                        false,
                    ),
                );
                continue;
            };
            asks.push(Ask {
                works: vec![i],
                system,
                prompt,
                drafts: vec![draft],
                leader: None,
            });
        }
        for (i, r) in self.round(asks, "full")? {
            self.set(i, r);
        }

        // Round 2: light calls on the leaders' answers.
        let light: Vec<(String, Vec<String>)> = batches
            .light
            .iter()
            .map(|b| (b.leader.clone(), b.members.clone()))
            .collect();
        let asks = self.light_asks(light);
        for (i, r) in self.round(asks, "light")? {
            self.set(i, r);
        }

        // Round 3: duplicates by substitution; a doubtful one gets a light call.
        let mut fallback: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut subs: Vec<(usize, String, String)> = Vec::new(); // work, body, rep name
        for i in 0..self.works.len() {
            let Source::Duplicate { of } = self.works[i].source.clone() else {
                continue;
            };
            let Some(&r) = self.index.get(&of) else {
                continue;
            };
            let Some(code) = self.works[r].result.as_ref().and_then(|x| x.code) else {
                // Not stored: cheap to decide again next run.
                let why = self.follower_note(r);
                self.set(i, JobResult::kept(why, 0, 0, false));
                continue;
            };
            let key = self.dup_key(i, r, &code);
            self.memo_keys.push(key);
            self.works[i].llm_key = Some(key);
            if let Some(x) = self.stored_result(&key) {
                self.reuse(i, x);
                continue;
            }
            let lang = self.lang_of(i);
            let (w, t) = (&self.works[i], &self.works[r]);
            let texts = (self.draft(t), self.store_text(&code), self.draft(w));
            let (Some(t_draft), Some(t_code), Some(m_draft)) = texts else {
                self.set(
                    i,
                    JobResult::kept("a draft is missing from the store".into(), 0, 0, false),
                );
                continue;
            };
            let diffs = self.diffs(t, w);
            match crate::llm::substitute::substitute(
                &t_draft,
                strip_header(&t_code, lang),
                &m_draft,
                &diffs,
            ) {
                Ok(body) => subs.push((i, body, t.name.clone())),
                Err(why) => {
                    self.opts.log(&format!(
                        "LLM: {}'s code cannot be taken from {} by slot substitution ({}); a light call instead",
                        w.name,
                        t.name,
                        one_line(&why)
                    ));
                    self.works[i].dup_key = Some(key);
                    fallback
                        .entry(of)
                        .or_default()
                        .push(self.works[i].key.clone());
                }
            }
        }
        let verdicts = self.check(
            &subs
                .iter()
                .map(|(i, b, _)| (*i, b.clone()))
                .collect::<Vec<_>>(),
        );
        for ((i, body, of), v) in subs.into_iter().zip(verdicts) {
            let lang = self.lang_of(i);
            let (note, settled) = match v {
                Verdict::Ok => (String::new(), true),
                Verdict::OkWith(n) => (n, true),
                Verdict::Unchecked(why) => (format!("not checked: {why}"), false),
                Verdict::Failed(e) => {
                    self.opts.log(&format!(
                        "LLM: the substituted code of {} fails its check ({}); a light call instead",
                        self.works[i].name,
                        one_line(&e)
                    ));
                    self.works[i].dup_key = self.works[i].llm_key;
                    if let Source::Duplicate { of } = &self.works[i].source {
                        fallback
                            .entry(of.clone())
                            .or_default()
                            .push(self.works[i].key.clone());
                    }
                    continue;
                }
            };
            let how = format!("by slot substitution from {of}'s answer");
            let text = header(lang, &how, &self.counts.model) + &body;
            let code = self
                .ctx
                .store
                .put_blob(text.as_bytes())
                .map_err(|e| e.to_string())?;
            self.set(
                i,
                JobResult {
                    code: Some(code),
                    substituted_from: Some(of),
                    answer: String::new(),
                    note,
                    calls: 0,
                    repairs: 0,
                    settled,
                },
            );
        }
        // Round 4: light calls for duplicates that could not be substituted.
        let tokens: HashMap<String, u64> = self
            .works
            .iter()
            .map(|w| (w.key.clone(), w.light_tokens))
            .collect();
        let light: Vec<(String, Vec<String>)> = light_batches(
            &fallback,
            &|k| tokens.get(k).copied().unwrap_or(0),
            self.limits,
        )
        .into_iter()
        .map(|b| (b.leader, b.members))
        .collect();
        let asks = self.light_asks(light);
        for (i, r) in self.round(asks, "light")? {
            self.set(i, r);
        }
        for w in &self.works {
            if let (Some(k), Some(r)) = (w.dup_key, &w.result) {
                query::write::<LlmOf>(self.ctx, &k, r);
            }
        }

        // Totals from the client.
        if let Some(llm) = &self.client {
            let rep = llm.report();
            self.counts.calls_made += rep.calls_made;
            self.counts.served_from_store += rep.served_from_store;
            self.counts.skipped_for_budget += rep.skipped_for_budget;
            self.counts.input_tokens += rep.usage.input_tokens;
            self.counts.output_tokens += rep.usage.output_tokens;
            self.counts.cost_usd += rep.cost_usd;
        }
        if self.counts.skipped_for_budget > 0 {
            let stopped = self
                .client
                .as_ref()
                .map(|c| c.budget())
                .filter(|b| b.stopped());
            let skipped: Vec<&str> = self
                .works
                .iter()
                .filter(|w| {
                    w.result
                        .as_ref()
                        .is_some_and(|r| r.note.contains("skipped (LLM"))
                })
                .map(|w| w.name.as_str())
                .collect();
            self.counts.lines.push(match stopped {
                Some(b) => format!(
                    "LLM budget reached (${} for this run): calls stopped; {} job(s) skipped, keeping the rule-based draft: {}",
                    b.limit(),
                    skipped.len(),
                    skipped.join(", ")
                ),
                None => format!(
                    "LLM: {} job(s) skipped by llm.budget.max_tokens_per_job, keeping the rule-based draft: {}",
                    skipped.len(),
                    skipped.join(", ")
                ),
            });
        }
        for w in &self.works {
            let Some(r) = &w.result else { continue };
            if r.code.is_some() {
                self.counts.filled += 1;
                if r.substituted_from.is_some() {
                    self.counts.substituted += 1;
                }
            } else {
                self.counts.kept_draft += 1;
                // Notes quote checkers' errors, which quote answers.
                self.counts.lines.push(redact::scrub(&format!(
                    "job {}: rule-based draft kept: {}",
                    w.name, r.note
                )));
            }
            self.counts.repairs += u64::from(r.repairs);
        }
        Ok(())
    }

    pub(super) fn reuse(&mut self, i: usize, r: JobResult) {
        query::reused::<LlmOf>(self.ctx);
        // Whatever a reused result rests on was served by the store.
        self.counts.served_from_store += u64::from(r.calls);
        self.works[i].result = Some(r);
    }

    /// A result computed this run; stored when settled.
    pub(super) fn set(&mut self, i: usize, r: JobResult) {
        // A batch member already settled from the store keeps its result.
        if self.works[i].result.is_some() {
            return;
        }
        match self.works[i].llm_key {
            Some(k) => {
                query::put::<LlmOf>(self.ctx, &k, &r);
            }
            None => query::computed::<LlmOf>(self.ctx),
        }
        self.works[i].result = Some(r);
    }
}
