//! Synthetic feature sets for benchmarks and scale tests of grouping: no
//! jobs, only signatures shaped like a real project's (families of near
//! duplicates around templates, exact copies, singletons). Deterministic.

use super::features::{Features, MINHASH_LEN, Part, Slot, SlotKind, h64};
use super::groups::JobKey;

/// xorshift64*: a tiny deterministic generator (no `rand` dependency).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// `n` features: groups of 1 to 8 jobs around a random template; within a
/// group a third are exact copies (same structure and signature, other
/// slot values) and the rest near duplicates (about 8 % of the signature
/// positions changed). Keys are 64 hex digits.
pub fn signatures(n: usize, seed: u64) -> Vec<(JobKey, Features)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut group = 0u64;
    while out.len() < n {
        group += 1;
        let size = 1 + rng.below(8) as usize;
        let base: Vec<u32> = (0..MINHASH_LEN).map(|_| rng.next_u64() as u32).collect();
        let mut shape = [0u8; 32];
        shape[..8].copy_from_slice(&(group % 997).to_le_bytes());
        for m in 0..size {
            if out.len() >= n {
                break;
            }
            let mut sig = base.clone();
            let mut structural = [0u8; 32];
            structural[..8].copy_from_slice(&group.to_le_bytes());
            if m > 0 && rng.below(3) != 0 {
                for p in sig.iter_mut() {
                    if rng.below(100) < 8 {
                        *p = rng.next_u64() as u32;
                    }
                }
                structural[8..16].copy_from_slice(&(m as u64).to_le_bytes());
            }
            let key = format!("{:016x}{:048x}", rng.next_u64(), out.len());
            let slots = vec![Slot {
                path: "job.name".into(),
                kind: SlotKind::JobName,
                value: format!("job_{group}_{m}"),
            }];
            out.push((
                key,
                Features {
                    structural_hash: structural,
                    minhash: sig,
                    slots,
                    shape,
                    shingle_count: 100,
                    design: vec![Part {
                        path: "job".into(),
                        hash: h64(&[&format!("{structural:?}")]),
                    }],
                },
            ));
        }
    }
    out
}
