//! istool ISX archives (zip of XMI assets). (Placeholder.)

use crate::ir::Located;
use crate::parse::diag::Diagnostic;

pub fn read_isx(
    _bytes: &[u8],
    file: &str,
    _limits: &crate::parse::Limits,
) -> (Vec<Located>, Vec<Diagnostic>) {
    (
        Vec::new(),
        vec![Diagnostic::error(
            crate::ir::Location {
                file: file.to_string(),
                line: None,
                member: None,
            },
            "ISX support",
            "not built yet",
        )],
    )
}
