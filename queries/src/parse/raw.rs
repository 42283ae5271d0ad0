//! The record model shared by the DSX and XML readers.
//!
//! Both formats describe the same thing: blocks (`DSJOB`, `<Job>`) holding
//! records (`DSRECORD`, `<Record>`) with properties and collections of
//! subrecords. Readers produce these raw blocks; `build` turns one into an
//! IR entity. Values are already unescaped (DSX `\"`, XML entities) but the
//! property-tree escapes `\(n)` are kept for `props::decode_property`.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawProp {
    pub name: String,
    pub value: String,
    /// 1-based line in the file, 0 when unknown.
    pub line: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawSub {
    pub props: Vec<RawProp>,
    /// Collections nested in a subrecord (rare; XML allows them).
    pub collections: Vec<RawCollection>,
}

impl RawSub {
    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.props, name)
    }
}

/// A collection heading (`Columns "COutputColumn"`) and its subrecords.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawCollection {
    /// Heading key: `Columns`, `Properties`, `MetaBag`, `StageVars`...
    pub name: String,
    /// Class named by the heading, leading `C` kept as written.
    pub class: String,
    pub items: Vec<RawSub>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRecord {
    /// `Identifier`: `ROOT`, `V0`, `V0S11`, `V0S11P2`...
    pub identifier: String,
    /// `OLEType` (DSX, e.g. `CCustomStage`) or `Type` (XML, e.g.
    /// `CustomStage`), as written.
    pub ole_type: String,
    pub line: u64,
    /// Ordinary properties in export order (Identifier and OLEType excluded).
    pub props: Vec<RawProp>,
    pub collections: Vec<RawCollection>,
}

impl RawRecord {
    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.props, name)
    }

    pub fn collection(&self, name: &str) -> Option<&RawCollection> {
        self.collections.iter().find(|c| c.name == name)
    }

    /// OLEType without the leading `C` that DSX writes and XML omits.
    pub fn class(&self) -> &str {
        normalise_class(&self.ole_type)
    }
}

/// A top-level block: `DSJOB`, `DSSHAREDCONTAINER`, `DSROUTINES`,
/// `DSTABLEDEFS`, `DSPARAMETERSETS`, `DSSTAGETYPES`, `DSDATACONNECTIONS`...
/// XML `<Job>` maps to `DSJOB`, `<SharedContainer>` to `DSSHAREDCONTAINER`
/// and so on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawBlock {
    pub tag: String,
    /// `Identifier` of the block (job name for DSJOB), or empty.
    pub identifier: String,
    /// 1-based line of the `BEGIN` line.
    pub line: u64,
    /// Block-level properties (`DateModified`...).
    pub props: Vec<RawProp>,
    pub records: Vec<RawRecord>,
}

/// Export header (`BEGIN HEADER`, `<Header .../>`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawHeader {
    pub props: Vec<RawProp>,
}

impl RawHeader {
    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.props, name)
    }
}

pub fn get<'a>(props: &'a [RawProp], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

/// `CTrxOutput` and `TrxOutput` name the same class.
pub fn normalise_class(class: &str) -> &str {
    // Class names are CamelCase: a leading `C` followed by an upper-case
    // letter is the DSX prefix (`CCustomStage`), not part of the name
    // (`Compare...` has a lower-case second letter).
    let b = class.as_bytes();
    if b.len() > 1 && b[0] == b'C' && b[1].is_ascii_uppercase() {
        &class[1..]
    } else {
        class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_prefix_is_stripped_only_before_a_capital() {
        assert_eq!(normalise_class("CCustomStage"), "CustomStage");
        assert_eq!(normalise_class("CustomStage"), "CustomStage");
        assert_eq!(normalise_class("CTrxOutput"), "TrxOutput");
        assert_eq!(normalise_class("Condition"), "Condition");
        assert_eq!(normalise_class("CJSJobActivity"), "JSJobActivity");
    }
}
