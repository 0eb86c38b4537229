//! Seeded random numbers that are bit-identical on native and wasm32.
//!
//! `Rng` is PCG32 (XSH-RR, O'Neill 2014): 64-bit state, 32-bit output. Floating-point
//! transforms go through the pure-Rust `libm` crate so that no platform libm can change a bit.
//! `hash_u32` is the stateless PCG hash used for dropout masks; it uses only u32 arithmetic so a
//! WGSL kernel can reproduce it exactly.

const MULT: u64 = 6364136223846793005;

/// PCG32 generator. `state`/`inc` are public through [`Rng::to_parts`] so checkpoints can save it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
    inc: u64,
}

impl Rng {
    /// A generator from a user seed (stream fixed), as in the PCG reference `pcg32_srandom(seed, 54)`.
    pub fn new(seed: u64) -> Self {
        Self::with_stream(seed, 54)
    }

    pub fn with_stream(seed: u64, stream: u64) -> Self {
        let mut rng = Rng { state: 0, inc: (stream << 1) | 1 };
        rng.next_u32();
        rng.state = rng.state.wrapping_add(seed);
        rng.next_u32();
        rng
    }

    pub fn to_parts(&self) -> (u64, u64) {
        (self.state, self.inc)
    }

    /// Restores a generator saved with [`Rng::to_parts`]; `inc` is forced odd as PCG requires.
    pub fn from_parts(state: u64, inc: u64) -> Self {
        Rng { state, inc: inc | 1 }
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULT).wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    pub fn next_u64(&mut self) -> u64 {
        ((self.next_u32() as u64) << 32) | self.next_u32() as u64
    }

    /// Uniform in [0, 1) with 24 random bits (every value exactly representable in f32).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// Uniform in [lo, hi).
    pub fn uniform_range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal by Box–Muller (one value per call; the pair's second value is dropped so the
    /// generator state is the whole state).
    pub fn normal(&mut self) -> f32 {
        // u1 in (0, 1]: never takes log(0).
        let u1 = 1.0 - (self.next_u32() >> 8) as f64 * (1.0 / 16_777_216.0);
        let u2 = (self.next_u32() >> 8) as f64 * (1.0 / 16_777_216.0);
        (libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)) as f32
    }

    /// Uniform integer in [0, n) without modulo bias (Lemire's method). `n` must be > 0.
    pub fn below(&mut self, n: u32) -> u32 {
        assert!(n > 0, "Rng::below(0)");
        let mut m = self.next_u32() as u64 * n as u64;
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = self.next_u32() as u64 * n as u64;
            }
        }
        (m >> 32) as u32
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A permutation of 0..n.
    pub fn permutation(&mut self, n: usize) -> Vec<u32> {
        let mut p: Vec<u32> = (0..n as u32).collect();
        self.shuffle(&mut p);
        p
    }
}

/// Stateless PCG hash (Jarzynski & Olano 2020), u32 → u32. Same bits in Rust and WGSL.
pub fn hash_u32(x: u32) -> u32 {
    let state = x.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
    (word >> 22) ^ word
}

/// Uniform [0,1) for element `index` of the stream named by `seed` (counter-based).
pub fn hash_uniform(seed: u32, index: u32) -> f32 {
    (hash_u32(index ^ hash_u32(seed)) >> 8) as f32 * (1.0 / 16_777_216.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcg32_matches_reference_vector() {
        // pcg32-demo from the PCG reference: pcg32_srandom(42, 54) then pcg32_random().
        let mut r = Rng::with_stream(42, 54);
        let got: Vec<u32> = (0..6).map(|_| r.next_u32()).collect();
        assert_eq!(got, [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
    }

    #[test]
    fn parts_roundtrip_continues_stream() {
        let mut a = Rng::new(7);
        a.next_u32();
        let (s, i) = a.to_parts();
        let mut b = Rng::from_parts(s, i);
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn below_and_shuffle_are_in_range_and_permute() {
        let mut r = Rng::new(3);
        assert!((0..1000).all(|_| r.below(7) < 7));
        let mut p = r.permutation(100);
        p.sort();
        assert_eq!(p, (0..100).collect::<Vec<u32>>());
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut r = Rng::new(11);
        let xs: Vec<f64> = (0..20000).map(|_| r.normal() as f64).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
    }
}
