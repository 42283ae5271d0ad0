//! Format-neutral record tree written by both the DSX and the XML writers.
//!
//! Values are *logical* strings (real newlines, real U+0001..U+0003 property
//! tree separators); each writer applies its own escaping.

#[derive(Clone, Debug)]
pub enum Val {
    /// Written as a quoted value (`Key "…"`); may still hold newlines, which
    /// the DSX writer escapes as `\(A)`.
    Q(String),
    /// Written as a `=+=+=+=` block in DSX, `PreFormatted="1"` in XML.
    M(String),
    /// A subrecord property with no value at all (`Name "schema"` alone).
    None,
}

#[derive(Clone, Debug)]
pub struct Prop {
    pub key: &'static str,
    pub val: Val,
}

#[derive(Clone, Debug)]
pub enum Item {
    P(Prop),
    /// Collection heading `Key "Class"` followed by subrecords.
    C {
        key: &'static str,
        class: &'static str,
        subs: Vec<Vec<Prop>>,
    },
}

#[derive(Clone, Debug)]
pub struct Record {
    pub id: String,
    pub ole: &'static str,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub struct Job {
    pub name: String,
    pub date: String,
    pub time: String,
    pub records: Vec<Record>,
}

/// Small builder helpers.
impl Record {
    pub fn new(id: impl Into<String>, ole: &'static str) -> Self {
        Record {
            id: id.into(),
            ole,
            items: Vec::with_capacity(24),
        }
    }
    pub fn p(&mut self, key: &'static str, v: impl Into<String>) -> &mut Self {
        self.items.push(Item::P(Prop {
            key,
            val: Val::Q(v.into()),
        }));
        self
    }
    pub fn m(&mut self, key: &'static str, v: impl Into<String>) -> &mut Self {
        self.items.push(Item::P(Prop {
            key,
            val: Val::M(v.into()),
        }));
        self
    }
    pub fn coll(
        &mut self,
        key: &'static str,
        class: &'static str,
        subs: Vec<Vec<Prop>>,
    ) -> &mut Self {
        if !subs.is_empty() {
            self.items.push(Item::C { key, class, subs });
        }
        self
    }
}

pub fn q(key: &'static str, v: impl Into<String>) -> Prop {
    Prop {
        key,
        val: Val::Q(v.into()),
    }
}

pub fn m(key: &'static str, v: impl Into<String>) -> Prop {
    Prop {
        key,
        val: Val::M(v.into()),
    }
}

pub fn bare(key: &'static str) -> Prop {
    Prop {
        key,
        val: Val::None,
    }
}

/// `Owner "APT"` MetaBag entry.
pub fn meta(name: &str, v: Val) -> Vec<Prop> {
    vec![
        q("Owner", "APT"),
        q("Name", name),
        Prop {
            key: "Value",
            val: v,
        },
    ]
}

/// Custom property subrecord `Name`/`Value`.
pub fn cprop(name: &str, v: impl Into<String>) -> Vec<Prop> {
    vec![q("Name", name), q("Value", v)]
}

/// Property-tree encoding: `\(2)\(2)0` root, then entries
/// `depth×\(3) name \(2) value \(2) 0` separated by `\(1)`.
pub fn tree(entries: &[(usize, &str, &str)]) -> String {
    let mut s = String::from("\u{2}\u{2}0");
    for (depth, name, value) in entries {
        s.push('\u{1}');
        for _ in 0..*depth {
            s.push('\u{3}');
        }
        s.push_str(name);
        s.push('\u{2}');
        s.push_str(value);
        s.push_str("\u{2}0");
    }
    s
}
