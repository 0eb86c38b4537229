//! Which SIMD micro-kernel compiled in is fastest on this machine, timed. The page's relaxed-SIMD
//! worker has two: plain simd128, and relaxed SIMD's fused multiply-add, whose speed depends on
//! the CPU (1.27× faster on this project's Intel machine, 7 % slower on an AMD EPYC in another
//! run: a browser does not say which CPU it runs on, so the worker measures).

use super::gemm::{self, Scratch};
use super::microkernel::{self, Kernel};
use crate::backend::{Activation, GemmSpec};

/// A kernel after the first (plain simd128) must be this much faster to be chosen: timing noise
/// alone should not change which arithmetic trains (the kernels round differently).
const MARGIN: f64 = 0.05;
/// Rounds timed at least (each times every candidate once), and at most.
const MIN_ROUNDS: usize = 6;
const MAX_ROUNDS: usize = 40;
/// Products per timed sample: about 2 ms of simd128 work, well above a coarse clock's 0.1 ms
/// (a page that is not cross-origin isolated gets performance.now() at that resolution).
const REPS: usize = 6;

/// The SIMD kernels compiled in, the baseline first (on wasm: plain simd128, then relaxed SIMD).
fn candidates() -> Vec<&'static Kernel> {
    microkernel::available().into_iter().filter(|k| k.name != "scalar").collect()
}

/// The kernel a calibration keeps unless another is clearly faster (plain simd128 on wasm): for
/// workers that must compute the same bits as each other whatever their timings said.
pub fn baseline() -> &'static Kernel {
    candidates().first().copied().unwrap_or_else(microkernel::best)
}

/// What a calibration found: the chosen kernel, and each candidate's best time (ms per product).
#[derive(Clone)]
pub struct Calibration {
    pub kernel: &'static Kernel,
    pub timings: Vec<(&'static str, f64)>,
    pub rounds: usize,
}

/// Times every SIMD kernel compiled in on the MNIST model's first-layer product
/// (`[64, 784] · [784, 128]`), in alternating rounds for `budget_ms` (at least `MIN_ROUNDS`), and
/// picks the fastest by its best sample: the engine may still be optimising the code in the
/// first rounds. With one SIMD kernel (the plain builds) it is chosen without timing.
pub fn calibrate(now: &dyn Fn() -> f64, budget_ms: f64) -> Calibration {
    let candidates = candidates();
    if candidates.len() < 2 {
        return Calibration { kernel: microkernel::best(), timings: Vec::new(), rounds: 0 };
    }
    let spec = GemmSpec { m: 64, k: 784, n: 128, trans_a: false, trans_b: false, act: Activation::Identity };
    let a: Vec<f32> = (0..spec.m * spec.k).map(|i| (i % 17) as f32 / 8.0 - 1.0).collect();
    let b: Vec<f32> = (0..spec.k * spec.n).map(|i| (i % 13) as f32 / 64.0 - 0.1).collect();
    let (mut c, mut scratch) = (vec![0.0; spec.m * spec.n], Scratch::default());
    let mut best = vec![f64::INFINITY; candidates.len()];
    let (start, mut rounds) = (now(), 0);
    while rounds < MIN_ROUNDS || (rounds < MAX_ROUNDS && now() - start < budget_ms) {
        for (kernel, best) in candidates.iter().zip(&mut best) {
            let t0 = now();
            for _ in 0..REPS {
                gemm::packed(kernel, &mut scratch, &a, &b, None, &spec, &mut c);
            }
            *best = best.min((now() - t0) / REPS as f64);
        }
        rounds += 1;
    }
    let mut chosen = 0;
    for i in 1..candidates.len() {
        if best[i] < best[chosen] * (1.0 - MARGIN) {
            chosen = i;
        }
    }
    let timings = candidates.iter().zip(&best).map(|(k, &ms)| (k.name, ms)).collect();
    Calibration { kernel: candidates[chosen], timings, rounds }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With one SIMD kernel compiled in, it is chosen without timing; with several, the chosen one
    /// is among them and every candidate was timed (natively: the x86 kernels this CPU has).
    #[test]
    fn calibration_picks_a_timed_candidate() {
        let clock = std::time::Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let c = calibrate(&now, 5.0);
        let simd = microkernel::available().into_iter().filter(|k| k.name != "scalar").count();
        if simd < 2 {
            assert!(c.timings.is_empty() && c.rounds == 0);
            assert_eq!(c.kernel.name, microkernel::best().name);
        } else {
            assert_eq!(c.timings.len(), simd);
            assert!(c.rounds >= MIN_ROUNDS);
            assert!(c.timings.iter().all(|&(_, ms)| ms.is_finite() && ms > 0.0));
            assert!(c.timings.iter().any(|&(name, _)| name == c.kernel.name));
        }
    }
}
