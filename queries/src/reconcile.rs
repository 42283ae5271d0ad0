//! Reconciliation verdicts (issue 20): what `dsmig reconcile` found for a
//! job, as stored (`Store::put_reconciliation`) and shown by `dsmig
//! explain` and the report. A verdict holds the IR hash of the job it
//! compared, so once the job changes it is shown as stale: a proof of the
//! old job is no proof of the new one.

use serde::{Deserialize, Serialize};

/// `match`, `mismatch` or `not comparable`.
pub const MATCH: &str = "match";
pub const MISMATCH: &str = "mismatch";
pub const NOT_COMPARABLE: &str = "not comparable";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub job: String,
    /// `glue` (local Spark) or `sql:<dialect>` (the database).
    pub target: String,
    pub verdict: String,
    /// Rows of the legacy outputs compared.
    pub rows: u64,
    /// Differences found: (kind, count), e.g. ("missing row", 1).
    pub differences: Vec<(String, u64)>,
    /// Why not comparable, when it is not.
    pub why: Option<String>,
    /// Hex IR hash of the job compared.
    pub ir: String,
    /// Hashes of the data compared (per target and side), where known.
    pub data: Vec<(String, String)>,
    /// Seconds since the Unix epoch.
    pub at: u64,
}

impl Verdict {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Option<Verdict> {
        serde_json::from_slice(bytes).ok()
    }

    /// Whether the job compared is not the job as it is now.
    pub fn stale(&self, current_ir: &str) -> bool {
        !self.ir.is_empty() && self.ir != current_ir
    }

    /// `reconciled on 2026-12-08: match (3 rows)`, `... (stale: the job
    /// changed since)`.
    pub fn line(&self, current_ir: &str) -> String {
        let mut s = format!(
            "reconciled on {}: {} ({} rows",
            date(self.at),
            self.verdict,
            self.rows
        );
        if !self.differences.is_empty() {
            let d: Vec<String> = self
                .differences
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!("; {}", d.join(", ")));
        }
        s.push(')');
        if let Some(why) = &self.why {
            s.push_str(&format!(": {why}"));
        }
        if self.stale(current_ir) {
            s.push_str(" - stale: the job changed since");
        }
        s
    }
}

/// `YYYY-MM-DD` (UTC) of seconds since the epoch.
pub fn date(secs: u64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The stored verdicts, by job name (undecodable entries skipped).
pub fn stored(
    store: &crate::store::Store,
) -> Result<std::collections::BTreeMap<String, Verdict>, crate::store::StoreError> {
    Ok(store
        .reconciliations()?
        .into_iter()
        .filter_map(|(name, bytes)| Verdict::decode(&bytes).map(|v| (name, v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_staleness() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_796_688_000), "2026-12-08");
        let v = Verdict {
            job: "J".into(),
            target: "glue".into(),
            verdict: MATCH.into(),
            rows: 3,
            differences: vec![],
            why: None,
            ir: "ab".into(),
            data: vec![],
            at: 1_796_688_000,
        };
        assert_eq!(v.line("ab"), "reconciled on 2026-12-08: match (3 rows)");
        assert!(v.line("cd").ends_with("stale: the job changed since"));
    }
}
