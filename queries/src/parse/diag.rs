//! Problems found while reading inputs. A problem never stops a run: it
//! becomes one of these rows and reading goes on.

use serde::{Deserialize, Serialize};

use crate::ir::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something could not be read (a job, a block, a whole file).
    Error,
    /// A whole file was not a DataStage export and was left out.
    Skipped,
    /// Read, but something looked off (dangling pin, unknown property).
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Skipped => "skipped",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    /// Job (or other entity) concerned, when known.
    pub job: Option<String>,
    pub expected: String,
    pub found: String,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        location: Location,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        // A problem may quote the input: the quote goes through the same
        // recogniser as the IR, so no log line or error row holds a secret.
        let scrub = |s: String| match crate::parse::secrets::scrub(&s) {
            std::borrow::Cow::Owned(t) => t,
            std::borrow::Cow::Borrowed(_) => s,
        };
        Diagnostic {
            severity,
            location,
            job: None,
            expected: scrub(expected.into()),
            found: scrub(found.into()),
        }
    }

    pub fn error(
        location: Location,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, location, expected, found)
    }

    pub fn skipped(location: Location, reason: impl Into<String>) -> Self {
        Self::new(
            Severity::Skipped,
            location,
            "a DataStage export (DSX, XML, ISX, or .gz of one)",
            reason,
        )
    }

    pub fn warning(
        location: Location,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, location, expected, found)
    }

    pub fn with_job(mut self, job: impl Into<String>) -> Self {
        self.job = Some(job.into());
        self
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.severity.as_str(), self.location)?;
        if let Some(j) = &self.job {
            write!(f, " (job {j})")?;
        }
        write!(f, ": expected {}, found {}", self.expected, self.found)
    }
}

/// Clip a found value so an error row stays one readable line.
pub fn clip(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_input_is_scrubbed() {
        let d = Diagnostic::error(
            Location::default(),
            "a record",
            "line `Password=hunter2;Server=db`",
        );
        assert_eq!(d.found, "line `Password=<redacted>;Server=db`");
        let d = Diagnostic::warning(Location::default(), "x", "CONNECT etl/tiger@orcl");
        assert_eq!(d.found, "CONNECT etl/<redacted>@orcl");
    }
}
