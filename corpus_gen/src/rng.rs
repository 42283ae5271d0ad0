//! A small deterministic PRNG (xoshiro256** seeded by splitmix64).
//!
//! Never seeded from time: the same seed gives the same stream on every
//! platform and every version of this crate (the algorithm is fixed here).

/// One step of splitmix64; also used to derive independent sub-seeds.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derive a sub-seed from a seed and a label (stable, order-independent).
pub fn derive(seed: u64, label: &str, n: u64) -> u64 {
    let mut s = seed ^ 0xD6E8_FEB8_6659_FD93;
    for b in label.bytes() {
        s = s.rotate_left(8) ^ u64::from(b);
        splitmix64(&mut s);
    }
    s ^= n.wrapping_mul(0xA076_1D64_78BD_642F);
    splitmix64(&mut s)
}

#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut st = seed;
        let s = [
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
        ];
        Rng { s }
    }

    /// A generator for a labelled sub-stream of `seed`.
    pub fn sub(seed: u64, label: &str, n: u64) -> Self {
        Rng::new(derive(seed, label, n))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi] (inclusive). `lo > hi` returns `lo`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo + 1) as u64;
        lo + (self.next_u64() % span) as usize
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// Pick an index with the given relative weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return 0;
        }
        let mut x = self.next_u64() % total;
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// Approximately log-normal integer with the given median, clamped.
    pub fn lognormal(&mut self, median: f64, sigma: f64, lo: usize, hi: usize) -> usize {
        // Sum of 4 uniforms → roughly normal (Irwin–Hall), mean 2, var 1/3.
        let z = ((self.f64() + self.f64() + self.f64() + self.f64()) - 2.0) * 1.732_050_8;
        let v = (median * (sigma * z).exp()).round();
        (v.max(lo as f64) as usize).min(hi)
    }

    pub fn hex(&mut self, n: usize) -> String {
        const H: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let mut x = self.next_u64();
            for _ in 0..16 {
                if s.len() == n {
                    break;
                }
                s.push(H[(x & 15) as usize] as char);
                x >>= 4;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_stream() {
        // Fixed expectations guard against accidental algorithm changes.
        let mut r = Rng::new(42);
        let a: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut r2 = Rng::new(42);
        let b: Vec<u64> = (0..3).map(|_| r2.next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(
            Rng::sub(1, "x", 0).next_u64(),
            Rng::sub(1, "x", 1).next_u64()
        );
    }
}
