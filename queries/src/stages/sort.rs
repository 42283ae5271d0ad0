//! Sort keys of a stage's `key` option tree, read the same way by both
//! generators and the reference evaluator, and the check that no sort
//! direction is guessed.
//!
//! Exports from different DataStage versions spell a key's direction
//! differently: the sub-option is `asc\desc` (every real export here),
//! `asc_desc` or `ascending\descending`; the value `asc` / `desc`,
//! `Ascending` / `Descending` or `a` / `d`; older property trees put the
//! direction beside the key (a sibling entry after it) rather than under it.
//! All of them read into one [`SortKey`]. A direction value that is none
//! of these is never taken as ascending: [`directions`] records a guess
//! and the generators turn the stage into a placeholder.
//!
//! IBM docs, "Sort stage: Stage tab", Properties: Sorting Keys/Sort order,
//! values Ascending/Descending, default Ascending
//! (<https://www.ibm.com/docs/en/cloud-paks/cp-data/5.0.x?topic=sort-stage-tab>):
//! a key with no direction, or a blank one, is ascending.

use crate::ir::{Job, PropNode, Property, Stage};
use crate::stages::Guess;
use crate::stages::props;

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub name: String,
    pub desc: bool,
    /// `sorted\clustered` set to `sorted` or `clustered`: the key's mode is
    /// Don't Sort (Previously Sorted / Grouped). The sub-option name is
    /// seen in real exports (always blank there); its two values are
    /// assumed from the OSH tsort options.
    pub presorted: bool,
    /// The direction as written, when dsmig does not recognise it (the
    /// key is then a guess; `desc` is false and must not be used).
    pub unknown_direction: Option<String>,
}

/// Is `name` the direction sub-option of a key (`asc\desc`, `asc_desc`,
/// `ascending\descending`, `sortorder`...)?
fn is_direction_option(name: &str) -> bool {
    let n: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        n.as_str(),
        "ascdesc" | "ascendingdescending" | "sortorder" | "order" | "direction"
    )
}

/// A direction value: `Some(true)` descending, `Some(false)` ascending,
/// `None` when not recognised. Blank is the documented default, ascending.
pub fn direction(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "asc" | "ascending" | "a" => Some(false),
        "desc" | "descending" | "d" => Some(true),
        _ => None,
    }
}

fn is_key(n: &PropNode) -> bool {
    n.name.trim().eq_ignore_ascii_case("key") && !n.value.trim().is_empty()
}

/// The sort keys of a `key` option tree, in order.
pub fn keys(properties: &[Property]) -> Vec<SortKey> {
    let mut out: Vec<SortKey> = Vec::new();
    for n in props::tree(properties, "key") {
        if is_key(n) {
            let mut k = SortKey {
                name: n.value.trim().to_string(),
                desc: false,
                presorted: props::child(n, "sorted\\clustered").is_some_and(|v| {
                    v.eq_ignore_ascii_case("sorted") || v.eq_ignore_ascii_case("clustered")
                }),
                unknown_direction: None,
            };
            if let Some(d) = n.children.iter().find(|c| is_direction_option(&c.name)) {
                set_direction(&mut k, &d.value);
            }
            out.push(k);
        } else if is_direction_option(&n.name)
            && let Some(k) = out.last_mut()
        {
            // Flattened layout: the direction follows its key as a sibling.
            set_direction(k, &n.value);
        }
    }
    out
}

fn set_direction(k: &mut SortKey, value: &str) {
    match direction(value) {
        Some(desc) => {
            k.desc = desc;
            k.unknown_direction = None;
        }
        None => {
            k.desc = false;
            k.unknown_direction = Some(value.trim().to_string());
        }
    }
}

/// A `key` whose direction dsmig does not recognise would otherwise be
/// sorted ascending: a guess, on whatever stage carries the key tree
/// (Sort, Remove Duplicates, Change Capture...).
pub fn directions(_job: &Job, stage: &Stage, out: &mut Vec<Guess>) {
    for k in keys(&stage.properties) {
        if let Some(v) = &k.unknown_direction {
            out.push(Guess::new(
                stage,
                format!("key {} (sort order)", k.name),
                format!(
                    "sort direction {v:?} is not one dsmig knows (asc, desc, ascending, descending, a, d); sorting ascending would be a guess"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::PropValue;

    fn node(name: &str, value: &str, children: Vec<PropNode>) -> PropNode {
        PropNode {
            name: name.into(),
            value: value.into(),
            children,
        }
    }

    fn key_prop(nodes: Vec<PropNode>) -> Vec<Property> {
        vec![Property {
            name: "key".into(),
            value: PropValue::Tree(nodes),
        }]
    }

    #[test]
    fn every_spelling_reads_the_same() {
        for (opt, v, desc) in [
            ("asc\\desc", "desc", true),
            ("asc\\desc", "asc", false),
            ("asc_desc", "Descending", true),
            ("asc_desc", "Ascending", false),
            ("ascending\\descending", "D", true),
            ("asc\\desc", "a", false),
            ("asc\\desc", " ", false),
        ] {
            let k = keys(&key_prop(vec![node(
                "key",
                "A",
                vec![node(opt, v, vec![])],
            )]));
            assert_eq!(k.len(), 1);
            assert_eq!(k[0].desc, desc, "{opt}={v}");
            assert_eq!(k[0].unknown_direction, None);
        }
    }

    #[test]
    fn a_sibling_direction_applies_to_the_key_before_it() {
        let k = keys(&key_prop(vec![
            node("key", "A", vec![]),
            node("asc\\desc", "desc", vec![]),
            node("key", "B", vec![]),
        ]));
        assert_eq!(
            k.iter()
                .map(|k| (k.name.as_str(), k.desc))
                .collect::<Vec<_>>(),
            vec![("A", true), ("B", false)]
        );
    }

    #[test]
    fn an_unknown_direction_is_a_guess_not_ascending() {
        let k = keys(&key_prop(vec![node(
            "key",
            "A",
            vec![node("asc\\desc", "downwards", vec![])],
        )]));
        assert_eq!(k[0].unknown_direction.as_deref(), Some("downwards"));
    }
}
