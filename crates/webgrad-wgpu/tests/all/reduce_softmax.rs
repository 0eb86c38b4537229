//! Slice 2a: reductions and (log-)softmax on [outer, axis, inner] views against the CPU oracle.
//!
//! Tolerances: max is exact. Sum over short axes (≤ 64) runs serially in the CPU's order and is
//! exact; longer axes sum as a tree in another order, so the error grows like
//! ε·Σ|x| — the test allows 4e-7·axis absolute for inputs in [−1, 1] (it is the CPU's running
//! sum that drifts: against the exact f64 sum the tree stays within 2.4e-7·√axis, measured
//! 6.1e-5 on a 9M-element sum of magnitude ~1.7e3, half an ulp). Softmax: 2e-6 relative
//! plus 1e-7 absolute (exp and one division per element), plus 3e-7·√axis relative (absolute
//! for log-softmax) because the row sum runs as a tree while the CPU sums in order.

use crate::common::*;
use webgrad_core::backend::{Backend, ReduceOp};
use webgrad_core::{Rng, dual_test};

/// (outer, axis, inner): every awkward size as the axis, as outer and as inner; an empty axis;
/// and an axis long enough for two tree passes.
const DIMS: [(usize, usize, usize); 16] = [
    (1, 1, 1),
    (3, 1, 17),
    (1, 3, 1),
    (17, 17, 3),
    (1, 64, 255),
    (2, 65, 3),
    (3, 255, 1),
    (1, 1023, 17),
    (255, 1023, 1),
    (1, 4097, 1),
    (4097, 3, 1),
    (1, 3, 4097),
    (2, 0, 3),
    (1, 20_000, 2),
    (1, 9_000_000, 1),
    (64, 128, 1),
];

/// Sums along the axis in f64, rounded once to f32.
fn exact_sums(x: &[f32], (outer, axis, inner): (usize, usize, usize)) -> Vec<f32> {
    let mut out = vec![0.0f64; outer * inner];
    for o in 0..outer {
        for a in 0..axis {
            for i in 0..inner {
                out[o * inner + i] += x[(o * axis + a) * inner + i] as f64;
            }
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}

dual_test! {
    async fn reduce_matches_reference() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(10);
        for (outer, axis, inner) in DIMS {
            let x = uniform(&mut rng, outer * axis * inner, -1.0, 1.0);
            let n = outer * inner;
            for op in [ReduceOp::Sum, ReduceOp::Max] {
                let want = cpu.reduce(op, &cpu.upload(&x), outer, axis, inner);
                let got = gpu.reduce(op, &gpu.upload(&x), outer, axis, inner);
                let tol = match op {
                    ReduceOp::Sum if axis > 64 => Tol { atol: 4e-7 * axis as f32, rtol: 0.0 },
                    _ => EXACT,
                };
                let what = format!("{op:?} [{outer}, {axis}, {inner}]");
                let got = read(&gpu, &got, n).await;
                assert_close(&got, &read(&cpu, &want, n).await, tol, &what);
                // rows.rs: axes over 64 go to the tree unless they are at most 4096 long with at
                // least 8 outputs (those are summed in order, like the CPU, checked above)
                let tree = axis > 64 && !(axis <= 4096 && n >= 8);
                if op == ReduceOp::Sum && tree {
                    // the tree is also checked against the exact sum
                    let exact = exact_sums(&x, (outer, axis, inner));
                    let tol = Tol { atol: 2.4e-7 * (axis as f32).sqrt(), rtol: 1.2e-7 };
                    assert_close(&got, &exact, tol, &format!("{what} vs f64"));
                }
            }
        }
    }

    async fn softmax_matches_reference() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(11);
        for (outer, axis, inner) in DIMS {
            if axis > 100_000 {
                continue;
            }
            let x = uniform(&mut rng, outer * axis * inner, -8.0, 8.0);
            let n = x.len();
            for log in [false, true] {
                let want = cpu.softmax(&cpu.upload(&x), (outer, axis, inner), log);
                let got = gpu.softmax(&gpu.upload(&x), (outer, axis, inner), log);
                // the row sums differ by about ε·√axis (another summation order)
                let sum_err = 3e-7 * (axis as f32).sqrt();
                let tol = Tol { atol: 1e-7 + if log { sum_err } else { 0.0 }, rtol: 2e-6 + sum_err };
                let what = format!("softmax log={log} [{outer}, {axis}, {inner}]");
                compare(&gpu, &got, &cpu, &want, n, tol, &what).await;
            }
        }
    }
}
