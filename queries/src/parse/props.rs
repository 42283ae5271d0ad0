//! Decoding of property values: DataStage escapes, OSH property trees,
//! connector `XMLProperties`. Secrets are removed later, from the whole
//! entity, by [`super::secrets::scrub_entity`].

use std::borrow::Cow;

use quick_xml::events::Event;

use crate::ir::{PropNode, PropValue, Property};

/// Replace every `\(H…)` (1+ hex digits) by the character with that code
/// point. DSX quoted values and XML values both carry these escapes.
pub fn unescape_hex_codes(s: &str) -> Cow<'_, str> {
    if !s.contains("\\(") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("\\(") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let hex_len = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        let closed = after.as_bytes().get(hex_len) == Some(&b')');
        let ch = if hex_len > 0 && hex_len <= 8 && closed {
            u32::from_str_radix(&after[..hex_len], 16)
                .ok()
                .and_then(char::from_u32)
        } else {
            None
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[hex_len + 1..];
            }
            None => {
                out.push_str("\\(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decode one stage or pin property.
pub fn decode_property(name: &str, value: &str) -> Property {
    let name = name.trim().to_string();
    let value = if name == "XMLProperties" {
        PropValue::Connector(flatten_connector_xml(value))
    } else if value.contains('\u{1}') && value.contains('\u{2}') {
        PropValue::Tree(decode_tree(value))
    } else {
        PropValue::Text(value.to_string())
    };
    Property { name, value }
}

/// Decode the OSH property-tree encoding: entries separated by U+0001, each
/// `depth × U+0003` then `name U+0002 value U+0002 flag`. Depth-n entries
/// are children of the previous depth-(n-1) entry; the empty root is dropped.
pub fn decode_tree(value: &str) -> Vec<PropNode> {
    let mut roots: Vec<PropNode> = Vec::new();
    for entry in value.split('\u{1}') {
        let depth = entry.chars().take_while(|&c| c == '\u{3}').count();
        let body = &entry[depth..];
        let mut parts = body.split('\u{2}');
        let name = parts.next().unwrap_or("").trim().to_string();
        let val = parts.next().unwrap_or("").to_string();
        if depth == 0 && name.is_empty() {
            continue;
        }
        let node = PropNode {
            name,
            value: val,
            children: Vec::new(),
        };
        insert_at_depth(&mut roots, node, depth.max(1));
    }
    roots
}

/// Deepest level of a property tree kept as such: deeper entries join the
/// last node at this level (real trees nest two or three levels; the IR's
/// hashing, serialisation and `Drop` recurse over the tree).
pub const MAX_TREE_DEPTH: usize = 64;

fn insert_at_depth(nodes: &mut Vec<PropNode>, node: PropNode, depth: usize) {
    let mut nodes = nodes;
    for _ in 1..depth.min(MAX_TREE_DEPTH) {
        if nodes.is_empty() {
            break;
        }
        let last = nodes.len() - 1;
        nodes = &mut nodes[last].children;
    }
    nodes.push(node);
}

/// Flatten a connector's XMLProperties document into `(path, text)` pairs
/// in document order, the root `Properties` element left out of paths.
/// A malformed document yields what was read before the fault plus a
/// `("!error", message)` pair, so the job is still usable.
pub fn flatten_connector_xml(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                flush_text(&path, &mut text, &mut out);
                path.push(e.local_name().as_ref().to_string());
            }
            Ok(Event::Empty(_)) => {}
            Ok(Event::End(_)) => {
                flush_text(&path, &mut text, &mut out);
                path.pop();
            }
            Ok(Event::CData(c)) => text.push_str(&c.into_inner()),
            Ok(Event::Text(t)) => text.push_str(&t.into_inner()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.into_inner().into_owned();
                text.push_str(&resolve_entity(&name));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                out.push(("!error".to_string(), e.to_string()));
                break;
            }
        }
    }
    out
}

fn flush_text(path: &[String], text: &mut String, out: &mut Vec<(String, String)>) {
    if path.len() > 1 && !text.trim().is_empty() {
        let p = path[1..].join("/");
        out.push((p, text.clone()));
    }
    text.clear();
}

/// The five predefined XML entities and numeric character references.
pub fn resolve_entity(name: &str) -> String {
    match name {
        "lt" => "<".into(),
        "gt" => ">".into(),
        "amp" => "&".into(),
        "apos" => "'".into(),
        "quot" => "\"".into(),
        n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default(),
        n if n.starts_with('#') => n[1..]
            .parse::<u32>()
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default(),
        // Entities defined in a DOCTYPE are never expanded.
        _ => String::new(),
    }
}

/// Find a property by name.
pub fn find<'a>(props: &'a [Property], name: &str) -> Option<&'a PropValue> {
    props.iter().find(|p| p.name == name).map(|p| &p.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_escapes_any_digit_count() {
        assert_eq!(unescape_hex_codes("a\\(A)b"), "a\nb");
        assert_eq!(unescape_hex_codes("\\(02)x"), "\u{2}x");
        assert_eq!(unescape_hex_codes("\\(B3CB)"), "\u{B3CB}");
        assert_eq!(
            unescape_hex_codes("keep \\(zz) and \\("),
            "keep \\(zz) and \\("
        );
    }

    #[test]
    fn deep_property_trees_are_capped() {
        // Entries one level deeper each time.
        let mut text = String::new();
        for d in 1..=2_000usize {
            text.push_str(&"\u{3}".repeat(d));
            text.push_str("k\u{2}v\u{2}0\u{1}");
        }
        let tree = decode_tree(&text);
        let mut depth = 0;
        let mut level = &tree;
        while let Some(last) = level.last() {
            depth += 1;
            level = &last.children;
        }
        assert_eq!(depth, MAX_TREE_DEPTH);
    }

    #[test]
    fn property_tree_nesting() {
        let raw = unescape_hex_codes(
            "\\(2)\\(2)0\\(1)\\(3)key\\(2)A\\(2)0\\(1)\\(3)\\(3)asc\\desc\\(2)asc\\(2)0\\(1)\\(3)reduce\\(2)C\\(2)0\\(1)\\(3)\\(3)max\\(2)C\\(2)0",
        );
        let tree = decode_tree(&raw);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].name, "key");
        assert_eq!(tree[0].value, "A");
        assert_eq!(tree[0].children[0].name, "asc\\desc");
        assert_eq!(tree[1].children[0].name, "max");
    }

    #[test]
    fn connector_xml_flattens() {
        let xml = "<?xml version='1.0' encoding='UTF-16'?><Properties version='1.1'><Connection><Server type='string'><![CDATA[#TGTDB#]]></Server><Password><![CDATA[hunter2]]></Password><Username><![CDATA[#U#]]></Username></Connection><Usage><SQL><SelectStatement><![CDATA[SELECT a &amp; b]]><ReadFromFileSelect><![CDATA[0]]></ReadFromFileSelect></SelectStatement></SQL></Usage></Properties>";
        let flat = flatten_connector_xml(xml);
        assert!(flat.contains(&("Connection/Server".into(), "#TGTDB#".into())));
        assert!(flat.contains(&("Connection/Password".into(), "hunter2".into())));
        assert!(flat.contains(&(
            "Usage/SQL/SelectStatement".into(),
            "SELECT a &amp; b".into()
        )));
    }
}
