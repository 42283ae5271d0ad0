//! The file steps of a job (sequential files loaded into staging tables,
//! output tables unloaded to files) as the dialects' load scripts see them,
//! and the shell paths those scripts use.

use super::{Rules, quote_ident};
use crate::ir::Column;

/// A file a job reads (into a staging table) or writes (from one).
pub struct FileStep {
    pub load: bool,
    /// The file's path: text and job parameters (shell variables).
    pub path: Vec<PathPart>,
    pub table: String,
    pub columns: Vec<String>,
    pub sep: String,
    pub quote: String,
    pub header: bool,
    pub null_value: Option<String>,
    /// Every field as DataStage lays it out (quote, NULL marker, width,
    /// delimiter after it); `None` where the layout is untranslatable.
    pub fields: Option<Vec<FileField>>,
    /// Pad character of fixed-width fields.
    pub pad: String,
    /// Unload: the order DataStage writes the rows in (column, descending),
    /// empty when it is not defined.
    pub order: Vec<(String, bool)>,
}

/// One field of a sequential file for a load / unload step.
pub struct FileField {
    /// The column, quoted for the dialect.
    pub name: String,
    pub column: Column,
    pub width: Option<usize>,
    pub delim: Option<String>,
    pub null_value: Option<String>,
    pub quote: String,
}

impl FileStep {
    /// ` ORDER BY ...` of an unload where DataStage's row order is
    /// defined (`FileStep::order`), in the dialect's NULL placement.
    pub fn order_by(&self, rules: &dyn Rules) -> String {
        if self.order.is_empty() {
            return String::new();
        }
        let keys: Vec<String> = self
            .order
            .iter()
            .map(|(k, desc)| rules.order_key(&quote_ident(k), *desc))
            .collect();
        format!(" ORDER BY {}", keys.join(", "))
    }

    pub fn sep_name(&self) -> String {
        match self.sep.as_str() {
            "\t" => "tab".into(),
            " " => "space".into(),
            s => s.to_string(),
        }
    }
}

/// A piece of a file path in a load script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    /// Text from the export: escaped for the place it lands in.
    Text(String),
    /// A job parameter, written `${NAME}` (a shell name, checked).
    Var(String),
}

/// Whether `s` is a shell variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_shell_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// A path with DataStage `#PARAM#` references as shell variables
/// `${PARAM}` (`.` → `_`, `#$ENV#` → `${ENV}`; load scripts run from the
/// shell); a reference whose name is not a shell name stays text (`#...#`).
pub fn shell_path(path: &str) -> Vec<PathPart> {
    let parts: Vec<&str> = path.split('#').collect();
    let mut out: Vec<PathPart> = Vec::new();
    let mut text = String::new();
    for (i, p) in parts.iter().enumerate() {
        // `#$NAME#` is an environment variable parameter: `${NAME}`.
        let var = p.strip_prefix('$').unwrap_or(p).replace('.', "_");
        if i % 2 == 1 && i + 1 < parts.len() && is_shell_name(&var) {
            if !text.is_empty() {
                out.push(PathPart::Text(std::mem::take(&mut text)));
            }
            out.push(PathPart::Var(var));
        } else {
            // The `#`s around a piece that is not a parameter are text.
            if i % 2 == 1 {
                text.push('#');
            }
            text.push_str(p);
            if i % 2 == 1 && i + 1 < parts.len() {
                text.push('#');
            }
        }
    }
    if !text.is_empty() {
        out.push(PathPart::Text(text));
    }
    out
}

/// A path written with `text` escaping its text pieces and `${NAME}` for
/// its parameters.
pub fn render_path(parts: &[PathPart], text: impl Fn(&str) -> String) -> String {
    parts
        .iter()
        .map(|p| match p {
            PathPart::Text(t) => text(t),
            PathPart::Var(v) => format!("${{{v}}}"),
        })
        .collect()
}

/// A path as one shell word: `"..."`, parameters expanded, text inert.
pub fn sh_path_word(parts: &[PathPart]) -> String {
    format!("\"{}\"", render_path(parts, crate::escape::sh_double_inner))
}

/// A delimiter, quote or null string of a file on one line: line breaks
/// and controls other than tab become spaces.
pub fn one_line_keep_tab(s: &str) -> String {
    s.split('\t')
        .map(crate::escape::one_line_raw)
        .collect::<Vec<_>>()
        .join("\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_expand_checked_names_only() {
        let p = shell_path("#SourceDir#/in.csv");
        assert_eq!(
            p,
            vec![
                PathPart::Var("SourceDir".into()),
                PathPart::Text("/in.csv".into())
            ]
        );
        assert_eq!(sh_path_word(&p), "\"${SourceDir}/in.csv\"");
        assert_eq!(
            sh_path_word(&shell_path("#PS.Dir#/$(x) `y` \"z\".csv")),
            "\"${PS_Dir}/\\$(x) \\`y\\` \\\"z\\\".csv\""
        );
        // Not a shell name: text, with its #s.
        assert_eq!(
            shell_path("a#b c#d#x;y#e"),
            vec![PathPart::Text("a#b c#d#x;y#e".into())]
        );
        assert_eq!(shell_path("a#b"), vec![PathPart::Text("a#b".into())]);
        assert_eq!(sh_path_word(&shell_path("#$out_file#")), "\"${out_file}\"");
    }
}
