//! Reusing a duplicate group's answer for its other members, with 0 calls.
//!
//! Exact duplicates differ only in their slots (names, literals, tables),
//! so their rule-based drafts differ only where those slots show. The
//! template's final code is the template's draft plus the LLM's edits; the
//! member's code is the member's draft plus the same edits — a three-way
//! merge over tokens: base = template draft, ours = template final code,
//! theirs = member draft. Where the LLM rewrote a region that holds a slot,
//! the template's slot tokens in the new code are renamed through the
//! token map the drafts imply, if that map is unambiguous.
//!
//! The result is checked, so that only the differing slots differ: every
//! change from the template's code is either the member's own draft text
//! where the LLM left the draft alone, or, in code the LLM wrote, a token
//! renamed from the template's slot value to the member's (the slot
//! differences dsmig found must explain it); and no value only the
//! template has may survive. Any doubt is an error: the caller then makes
//! a light call instead.

use std::collections::HashMap;

use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::analysis::groups::SlotDiff;

/// Tokens: identifiers, numbers, string literals (quotes included),
/// whitespace runs, single other characters. Joined, they give the text back.
pub fn tokens(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            let triple = b[i..].starts_with(&[c, c, c]);
            let q = if triple { 3 } else { 1 };
            i += q;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == b'\\' {
                    i = (i + 2).min(b.len());
                    continue;
                }
                if !triple && b[i] == b'\n' {
                    break;
                }
                if b[i] == c && (!triple || b[i..].starts_with(&[c, c, c])) {
                    i += q;
                    break;
                }
                i += 1;
            }
        } else if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else {
            i += 1;
        }
        // Multi-byte characters: never cut inside one.
        while !s.is_char_boundary(i) {
            i += 1;
        }
        out.push(&s[start..i]);
    }
    out
}

/// A difference between the two drafts, in base token positions.
struct Hunk {
    b: (usize, usize),
    t: (usize, usize),
}

fn hunks(ops: &[DiffOp]) -> Vec<Hunk> {
    ops.iter()
        .filter_map(|op| match *op {
            DiffOp::Equal { .. } => None,
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => Some(Hunk {
                b: (old_index, old_index + old_len),
                t: (new_index, new_index),
            }),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => Some(Hunk {
                b: (old_index, old_index),
                t: (new_index, new_index + new_len),
            }),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => Some(Hunk {
                b: (old_index, old_index + old_len),
                t: (new_index, new_index + new_len),
            }),
        })
        .collect()
}

fn is_word(t: &str) -> bool {
    t.chars().any(|c| c.is_alphanumeric())
}

/// The slot text forms the generators write: as is, lower / upper case,
/// and as an identifier (non-alphanumerics to `_`), applied alike to the
/// template's and the member's value.
fn forms(t: &str, m: &str) -> Vec<(String, String)> {
    let ident = |v: &str| -> String {
        v.chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect()
    };
    vec![
        (t.to_string(), m.to_string()),
        (t.to_lowercase(), m.to_lowercase()),
        (t.to_uppercase(), m.to_uppercase()),
        (ident(t), ident(m)),
        (ident(t).to_lowercase(), ident(m).to_lowercase()),
    ]
}

/// `text` with every slot's template value (in each written form)
/// replaced by the member's, left to right, longest value first.
fn replaced(text: &str, diffs: &[SlotDiff]) -> String {
    let mut pairs: Vec<(String, String)> = diffs
        .iter()
        .filter_map(|d| Some((d.template.as_ref()?, d.member.as_ref()?)))
        .flat_map(|(t, m)| forms(t, m))
        .filter(|(t, m)| !t.is_empty() && t != m)
        .collect();
    pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
    pairs.dedup();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if let Some((t, m)) = pairs
            .iter()
            .find(|(t, _)| text[i..].starts_with(t.as_str()))
        {
            out.push_str(m);
            i += t.len();
        } else {
            let ch = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch]);
            i += ch;
        }
    }
    out
}

/// Whether renaming token `a` to `b` is part of a slot difference: some
/// slot's template value (in one of its written forms) holds `a` where the
/// member's value, in the same form, holds `b`.
fn renames(a: &str, b: &str, diffs: &[SlotDiff]) -> bool {
    if replaced(a, diffs) == b {
        return true;
    }
    diffs.iter().any(|d| {
        let (Some(t), Some(m)) = (&d.template, &d.member) else {
            return false;
        };
        forms(t, m).iter().any(|(ft, fm)| {
            if ft == a && fm == b {
                return true;
            }
            let (tt, mt) = (tokens(ft), tokens(fm));
            capture_diff_slices(Algorithm::Myers, &tt, &mt)
                .iter()
                .any(|op| match *op {
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } if old_len == new_len => {
                        (0..old_len).any(|k| tt[old_index + k] == a && mt[new_index + k] == b)
                    }
                    _ => false,
                })
        })
    })
}

/// The member's code: `template_code` (the template's final code, built
/// on `template_draft`) carried over to `member_draft`. `diffs`: the slot
/// differences from the template to the member.
pub fn substitute(
    template_draft: &str,
    template_code: &str,
    member_draft: &str,
    diffs: &[SlotDiff],
) -> Result<String, String> {
    let base = tokens(template_draft);
    let theirs = tokens(member_draft);
    let ours = tokens(template_code);
    let bt = hunks(&capture_diff_slices(Algorithm::Myers, &base, &theirs));
    let bo = capture_diff_slices(Algorithm::Myers, &base, &ours);

    // Where each base token sits in the template's code, if kept as is.
    let mut b_to_o: Vec<Option<usize>> = vec![None; base.len()];
    for op in &bo {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                b_to_o[old_index + k] = Some(new_index + k);
            }
        }
    }
    let kept_run = |from: usize, to: usize| -> Option<usize> {
        let first = b_to_o.get(from).copied().flatten()?;
        (from..to)
            .all(|k| b_to_o[k] == Some(first + (k - from)))
            .then_some(first)
    };

    // Token renames the drafts imply; ambiguous ones are poisoned.
    let mut map: HashMap<&str, Option<&str>> = HashMap::new();
    for h in &bt {
        if h.b.1 - h.b.0 == h.t.1 - h.t.0 {
            for k in 0..(h.b.1 - h.b.0) {
                let (a, b) = (base[h.b.0 + k], theirs[h.t.0 + k]);
                // Punctuation and spaces are not renamed: only names,
                // numbers and string literals carry slot values.
                if a == b || !is_word(a) || !is_word(b) {
                    continue;
                }
                let e = map.entry(a).or_insert(Some(b));
                if *e != Some(b) {
                    *e = None;
                }
            }
        }
    }
    let in_hunk: std::collections::HashSet<usize> = bt.iter().flat_map(|h| h.b.0..h.b.1).collect();
    for (k, t) in base.iter().enumerate() {
        // A token that also stays unchanged somewhere cannot be renamed blindly.
        if !in_hunk.contains(&k) && map.contains_key(t) {
            map.insert(t, None);
        }
    }

    // Apply the hunks where the template's code kept the base tokens.
    let mut edits: Vec<(usize, usize, String)> = Vec::new(); // ours range → text
    let mut touched = vec![false; ours.len()];
    for h in &bt {
        let replacement: String = theirs[h.t.0..h.t.1].concat();
        let at = if h.b.0 < h.b.1 {
            kept_run(h.b.0, h.b.1).map(|o| (o, o + (h.b.1 - h.b.0)))
        } else {
            // An insertion: both neighbours kept and still adjacent.
            let left = if h.b.0 == 0 {
                Some(None)
            } else {
                b_to_o[h.b.0 - 1].map(Some)
            };
            let right = if h.b.0 == base.len() {
                Some(ours.len())
            } else {
                b_to_o[h.b.0]
            };
            match (left, right) {
                (Some(None), Some(0)) => Some((0, 0)),
                (Some(Some(l)), Some(r)) if r == l + 1 => Some((r, r)),
                _ => None,
            }
        };
        match at {
            Some((s, e)) => {
                for t in touched.iter_mut().take(e).skip(s) {
                    *t = true;
                }
                edits.push((s, e, replacement));
            }
            None => {
                // The LLM rewrote this region: its slot tokens must be
                // renamable in whatever the LLM wrote.
                for t in &base[h.b.0..h.b.1] {
                    if is_word(t) && map.get(t).is_none_or(|m| m.is_none()) {
                        let in_new = ours
                            .iter()
                            .enumerate()
                            .any(|(o, x)| x == t && !b_to_o.contains(&Some(o)));
                        if in_new {
                            return Err(format!(
                                "the answer rewrote code around {t:?}, a value of the template that cannot be renamed unambiguously"
                            ));
                        }
                    }
                }
            }
        }
    }
    let kept: std::collections::HashSet<usize> = b_to_o.iter().flatten().copied().collect();
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(template_code.len());
    let mut ei = 0;
    let mut o = 0;
    while o <= ours.len() {
        while ei < edits.len() && edits[ei].0 == o {
            out.push_str(&edits[ei].2);
            let end = edits[ei].1;
            ei += 1;
            if end > o {
                o = end;
                continue;
            }
        }
        if o == ours.len() {
            break;
        }
        let t = ours[o];
        if !kept.contains(&o) && !touched[o] {
            // New code: rename the template's own tokens.
            match map.get(t) {
                Some(Some(m)) => {
                    if !renames(t, m, diffs) {
                        return Err(format!(
                            "the answer's new code uses {t:?}, which the drafts turn into {m:?}: not a slot difference"
                        ));
                    }
                    out.push_str(m)
                }
                Some(None) => {
                    return Err(format!(
                        "the answer's new code uses {t:?}, which maps to different values in the member"
                    ));
                }
                None => out.push_str(t),
            }
        } else {
            out.push_str(t);
        }
        o += 1;
    }

    // No value only the template has may survive.
    for d in diffs {
        if let (Some(t), Some(_)) = (&d.template, &d.member)
            && t.chars().count() >= 4
            && is_word(t)
            && !member_draft.contains(t.as_str())
            && out.contains(t.as_str())
        {
            return Err(format!(
                "the template's value {t:?} ({:?} slot) is still in the result",
                d.kind
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::features::SlotKind;

    fn diff(t: &str, m: &str) -> SlotDiff {
        SlotDiff {
            path: "x".into(),
            kind: SlotKind::Table,
            template: Some(t.into()),
            member: Some(m.into()),
        }
    }

    const T_DRAFT: &str = "def stage_load_cust(df):\n    # table SALES.CUST\n    raise NotImplementedError(\"load_cust: translate by hand (dsmig)\")\n\n\ndef transform(x):\n    return stage_load_cust(x.read('SALES.CUST'))\n";
    const M_DRAFT: &str = "def stage_load_acct(df):\n    # table SALES.ACCT\n    raise NotImplementedError(\"load_acct: translate by hand (dsmig)\")\n\n\ndef transform(x):\n    return stage_load_acct(x.read('SALES.ACCT'))\n";

    fn diffs() -> Vec<SlotDiff> {
        vec![
            diff("Load_Cust", "Load_Acct"),
            diff("SALES.CUST", "SALES.ACCT"),
        ]
    }

    #[test]
    fn tokens_round_trip() {
        let s = "x = f('a b', \"c\\\"d\") # é\n\"\"\"doc\n\"\"\"";
        assert_eq!(tokens(s).concat(), s);
        assert!(tokens(s).contains(&"'a b'"));
    }

    #[test]
    fn the_drafts_differences_follow_the_llm_edit() {
        // The LLM filled the placeholder using the stage's table.
        let t_code = T_DRAFT.replace(
            "    raise NotImplementedError(\"load_cust: translate by hand (dsmig)\")",
            "    cust = df.filter(df.table == 'SALES.CUST')\n    return cust",
        );
        let out = substitute(T_DRAFT, &t_code, M_DRAFT, &diffs()).unwrap();
        assert_eq!(
            out,
            M_DRAFT.replace(
                "    raise NotImplementedError(\"load_acct: translate by hand (dsmig)\")",
                "    cust = df.filter(df.table == 'SALES.ACCT')\n    return cust",
            )
        );
        // Unchanged code carries over exactly.
        assert_eq!(
            substitute(T_DRAFT, T_DRAFT, M_DRAFT, &diffs()).unwrap(),
            M_DRAFT
        );
    }

    #[test]
    fn doubtful_substitutions_are_refused() {
        // A renaming in the LLM's code that no slot explains.
        let other = M_DRAFT.replace("df.filter", "df.where");
        let t_code = T_DRAFT.replace(
            "    raise NotImplementedError(\"load_cust: translate by hand (dsmig)\")",
            "    return x",
        );
        let t_code = t_code.replace("return x", "return zq1");
        let t_draft = T_DRAFT.replace("return stage_load_cust", "return zq1 or stage_load_cust");
        let m_draft = M_DRAFT.replace("return stage_load_acct", "return zq2 or stage_load_acct");
        let e = substitute(&t_draft, &t_code, &m_draft, &diffs()).unwrap_err();
        assert!(e.contains("not a slot difference"), "{e}");
        let _ = other;
        // Whole tokens holding a slot value are renamed.
        assert!(renames("'SALES.CUST'", "'SALES.ACCT'", &diffs()));
        assert!(renames("CUST", "ACCT", &diffs()));
        assert!(!renames("CUST", "ACCTX", &diffs()));
        // The template's table smuggled into new code in another form.
        let t_code = T_DRAFT.replace(
            "    raise NotImplementedError(\"load_cust: translate by hand (dsmig)\")",
            "    return spark.table(\"SALES.CUST_V\")  # SALES.CUST",
        );
        let e = substitute(T_DRAFT, &t_code, M_DRAFT, &diffs()).unwrap_err();
        assert!(e.contains("SALES.CUST"), "{e}");
    }
}
