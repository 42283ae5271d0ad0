//! Batching: how many near duplicates share a light call, and the light
//! calls of `(leader, members)` batches (the batches themselves are cut by
//! `crate::llm::strategy`).

use super::rounds::Ask;
use super::*;

/// How many near duplicates share a light call, from `[llm]`.
pub fn light_limits(cfg: &crate::config::LlmConfig) -> LightLimits {
    LightLimits {
        max_members: cfg.light_batch_size.max(1),
        // Room for the headings and some slack in the estimate.
        max_tokens: cfg.max_output_tokens.max(1) * 4 / 5,
    }
}

/// Answer tokens of a light call for a job of this shape: the share of
/// its draft that placeholder functions typically take. From the shape,
/// not the draft, so that a plan (drafts not generated yet) and a build
/// cut the same batches.
pub fn light_tokens(stages: usize, columns: usize) -> u64 {
    crate::llm::plan::draft_chars(stages, columns).div_ceil(4 * 8)
}

impl LlmPhase<'_> {
    /// The light calls of `(leader, members)` batches; members whose
    /// result is stored, or whose leader has no answer, are settled here.
    pub(super) fn light_asks(&mut self, batches: Vec<(String, Vec<String>)>) -> Vec<Ask> {
        let mut asks = Vec::new();
        for (leader, members) in batches {
            let Some(&l) = self.index.get(&leader) else {
                continue;
            };
            let members: Vec<usize> = members
                .iter()
                .filter_map(|m| self.index.get(m).copied())
                .collect();
            // Leaders are answered by a call, never by substitution, so
            // their answer is at hand.
            let answer = match &self.works[l].result {
                Some(r) if r.code.is_some() => r.answer.clone(),
                _ => String::new(),
            };
            if answer.is_empty() {
                for &m in &members {
                    let k = JobResult::kept(self.follower_note(l), 0, 0, false);
                    self.works[m].llm_key = None;
                    self.set(m, k);
                }
                continue;
            }
            let (pkey, keys) = self.light_keys(&members, l, &answer);
            self.memo_keys.push(pkey);
            self.memo_keys.extend(keys.iter().copied());
            let mut open = Vec::new();
            for (&m, key) in members.iter().zip(&keys) {
                self.works[m].llm_key = Some(*key);
                match self.stored_result(key) {
                    Some(r) => self.reuse(m, r),
                    None => open.push(m),
                }
            }
            if open.is_empty() {
                continue;
            }
            // Some members stored, some not (a killed run): ask again for
            // the whole batch, so the prompt (and its stored answer) stay the same.
            let drafts: Option<Vec<String>> = members
                .iter()
                .map(|&m| self.draft(&self.works[m]))
                .collect();
            let prompt = self.light_prompt(&members, l, &answer, Some(&pkey));
            let (Some(drafts), Some((system, prompt))) = (drafts, prompt) else {
                for m in open {
                    self.set(
                        m,
                        JobResult::kept(
                            "its light prompt could not be built (draft missing from the store)"
                                .into(),
                            0,
                            0,
                            false,
                        ),
                    );
                }
                continue;
            };
            asks.push(Ask {
                works: members,
                system,
                prompt,
                drafts,
                leader: Some((l, answer)),
            });
        }
        asks
    }

    pub(super) fn follower_note(&self, leader: usize) -> String {
        let l = &self.works[leader];
        match &l.result {
            Some(r) if r.code.is_none() => {
                format!("its template {} has no LLM answer ({})", l.name, r.note)
            }
            _ => format!("its template {} has no LLM answer", l.name),
        }
    }
}
