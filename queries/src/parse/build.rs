//! Raw blocks → IR entities.

use crate::ir::{Job, Property};

/// Put a job in canonical order so that its hash does not depend on record
/// order in the export: stages and links by id, job-level properties by
/// name (stage/pin property order is kept: it is OSH option order).
pub fn canonicalise_job(job: &mut Job) {
    job.stages.sort_by(|a, b| a.id.cmp(&b.id));
    job.links.sort_by(|a, b| a.id.cmp(&b.id));
    sort_props(&mut job.properties);
    job.shared_containers.sort();
    job.shared_containers.dedup();
}

pub fn sort_props(props: &mut [Property]) {
    props.sort_by(|a, b| a.name.cmp(&b.name));
}
