//! Grouping at scale: 9000 and 90 000 synthetic signatures (families of
//! near duplicates, exact copies, singletons; see
//! `queries::analysis::synth`). Run with `cargo bench --bench grouping`.

use queries::analysis::features::Features;
use queries::analysis::groups::{DEFAULT_THRESHOLD, group};
use queries::analysis::synth::signatures;

// The allocator of the dsmig binary: grouping allocates many small
// strings and vectors, so the system allocator would measure something
// else than what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

#[divan::bench(args = [9_000, 30_000, 90_000], sample_count = 5)]
fn group_signatures(bencher: divan::Bencher, n: usize) {
    let data = signatures(n, 42);
    let items: Vec<(String, &Features)> = data.iter().map(|(k, f)| (k.clone(), f)).collect();
    bencher.bench_local(|| group(divan::black_box(&items), DEFAULT_THRESHOLD));
}
