//! DataStage XML export (`<DSExport>`) reader. See datastage-reference §3.
//! (Placeholder until the streaming reader lands: reports every XML file.)

use crate::parse::diag::Diagnostic;
use crate::parse::raw::{RawBlock, RawHeader};

pub enum XmlItem {
    Header(RawHeader),
    Block(RawBlock),
    Problem(Diagnostic),
}

pub fn read_export<R: std::io::BufRead>(_reader: R, file: &str, sink: &mut dyn FnMut(XmlItem)) {
    sink(XmlItem::Problem(Diagnostic::error(
        crate::ir::Location { file: file.to_string(), line: None, member: None },
        "XML support",
        "not built yet",
    )));
}
