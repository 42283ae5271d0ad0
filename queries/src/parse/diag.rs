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
        Diagnostic {
            severity,
            location,
            job: None,
            expected: expected.into(),
            found: found.into(),
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
