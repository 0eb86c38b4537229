//! The GPU's transcendental functions over their whole float32 range, against float64 references
//! (issue 18): exp and log (WGSL builtins, whose error WGSL bounds), and the formulas webgrad
//! builds on them instead of builtins of unspecified precision — sigmoid 1/(1 + e^−x), tanh by
//! (1 − e^−2|x|)/(1 + e^−2|x|) with a Taylor series below 0.125, GELU through Abramowitz–Stegun
//! 7.1.26's erf (|error| ≤ 1.5e-7). The CPU backend runs the same checks, so the bounds hold for
//! both; each function's worst error, as a fraction of its bound, is printed per device.
//!
//! Inputs: ±0, ±2^k·(1 + j/16) for k = −40…7 (2^−40 to 248) and j = 0…15, and each function's
//! far ends (up to ±3e38 where it is defined there; where the result overflows to inf or
//! underflows to 0). NaN and infinite inputs are left out: WGSL lets a shader assume none. Denormal inputs are left out, and a
//! denormal result may be 0: WGSL lets a GPU flush them.

use crate::common::*;
use webgrad_core::backend::{Activation, Backend, UnaryOp};
use webgrad_core::dual_test;

/// float32's unit in the last place at 1 (2^−23).
const ULP: f64 = 1.0 / 8_388_608.0;
/// A result below float32's smallest normal number (2^−126) may be flushed to 0.
const FLUSH: f64 = 1.18e-38;

fn grid(extra: &[f32]) -> Vec<f32> {
    let mut xs = vec![0.0f32, -0.0];
    for k in -40..=7 {
        for j in 0..16 {
            let x = 2f32.powi(k) * (1.0 + j as f32 / 16.0);
            xs.extend([x, -x]);
        }
    }
    xs.extend_from_slice(extra);
    xs
}

fn erf64(x: f64) -> f64 {
    libm::erf(x)
}

/// One function: its op, inputs, float64 reference and allowed |error| at x.
struct Check {
    name: &'static str,
    op: UnaryOp,
    xs: Vec<f32>,
    reference: fn(f64) -> f64,
    bound: fn(f64, f64) -> f64,
}

fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "exp",
            op: UnaryOp::Exp,
            xs: grid(&[-87.0, -100.0, -104.0, 88.0, 88.7, 89.0, 100.0]),
            reference: f64::exp,
            // WGSL: 3 + 2·|x| ulp; past float32's range the result saturates
            bound: |x, want| (3.0 + 2.0 * x.abs()) * ULP * want.abs() + FLUSH,
        },
        Check {
            name: "log",
            op: UnaryOp::Log,
            xs: grid(&[1e-30, 1.2e-38, 1e30, 3.0e38]).into_iter().filter(|&x| x > 0.0).collect(),
            reference: f64::ln,
            // WGSL: absolute 2^−21 on [0.5, 2], else 3 ulp
            bound: |x, want| if (0.5..=2.0).contains(&x) { 1.0 / 2_097_152.0 } else { 3.0 * ULP * want.abs() },
        },
        Check {
            name: "sigmoid",
            op: UnaryOp::Act(Activation::Sigmoid),
            xs: grid(&[-87.0, -90.0, -200.0, 90.0, 200.0, 3.0e38, -3.0e38]),
            reference: |x| 1.0 / (1.0 + (-x).exp()),
            // exp(−x)'s relative error reaches s through 1 + e⁻ˣ damped by (1 − s), plus one
            // rounding each for the sum and the division
            bound: |x, want| (3.0 + (1.0 - want) * (3.0 + 2.0 * x.abs().min(88.0))) * ULP * want.abs() + FLUSH,
        },
        Check {
            name: "tanh",
            op: UnaryOp::Act(Activation::Tanh),
            xs: grid(&[20.0, 100.0, 3.0e38, -3.0e38]),
            reference: f64::tanh,
            // below 0.125 a Taylor series (relative, a few ulp); above, e = exp(−2|x|) carries
            // WGSL's 3 + 4|x| ulp into (1 − e)/(1 + e) times 2e/(1 − e²) (≤ 4 at 0.125, → 0 as
            // |x| grows), plus a few roundings
            bound: |x, want| {
                let z = x.abs().min(88.0);
                let e = (-2.0 * z).exp();
                let amplified = if z < 0.125 { 4.0 } else { 8.0 + 2.0 * e / (1.0 - e * e) * (3.0 + 4.0 * z) };
                amplified * ULP * want.abs() + FLUSH
            },
        },
        Check {
            name: "gelu",
            op: UnaryOp::Act(Activation::Gelu),
            xs: grid(&[-20.0, 20.0, 1e6, -1e6]),
            reference: |x| 0.5 * x * (1.0 + erf64(x / std::f64::consts::SQRT_2)),
            // erf's absolute 1.5e-7 (and one rounding of 1 + erf) times 0.5·|x|, plus x's own
            // rounding in 0.5·x·(…). Below x ≈ −5 GELU is smaller than this absolute bound: there
            // 1 + erf cancels in float32 on every device (the CPU's libm erff too), so only the
            // absolute error is meaningful
            bound: |x, want| 0.5 * x.abs() * (1.5e-7 + ULP) + 4.0 * ULP * want.abs() + FLUSH,
        },
    ]
}

/// The worst |got − want| / bound over a check's inputs, with its input; fails past 1.
fn worst(check: &Check, got: &[f32], device: &str) -> (f64, f32) {
    let mut worst = (0.0f64, 0.0f32);
    for (&x, &g) in check.xs.iter().zip(got) {
        let want = (check.reference)(f64::from(x));
        let (g, x64) = (f64::from(g), f64::from(x));
        // results past float32's range are inf (or 0) on both sides
        let want32 = want as f32;
        if want32.is_infinite() || want.is_nan() {
            assert!(
                g == f64::from(want32) || (want.is_nan() && g.is_nan()),
                "{device} {}({x}) = {g}, want {want32}",
                check.name
            );
            continue;
        }
        assert!(g.is_finite(), "{device} {}({x}) = {g}, want {want}", check.name);
        let ratio = (g - want).abs() / (check.bound)(x64, want);
        assert!(
            ratio <= 1.0,
            "{device} {}({x}) = {g}, want {want}: error {:.2e} over the bound {:.2e}",
            check.name,
            (g - want).abs(),
            (check.bound)(x64, want)
        );
        if ratio > worst.0 {
            worst = (ratio, x);
        }
    }
    worst
}

async fn run_on(device: &dyn Backend, name: &str) {
    for check in checks() {
        let n = check.xs.len();
        let y = device.unary(check.op, &device.upload(&check.xs), n);
        let got = read(device, &y, n).await;
        let (ratio, at) = worst(&check, &got, name);
        let line = format!("{name}: {} worst error {ratio:.2} of its bound (at x = {at})", check.name);
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_test::console_log!("{line}");
        #[cfg(not(target_arch = "wasm32"))]
        println!("{line}");
    }
}

dual_test! {
    async fn transcendentals_hold_their_bounds_over_the_whole_range() {
        run_on(&reference(), "cpu").await;
        let Some(gpu) = gpu().await else { return };
        let name = gpu.name();
        run_on(&gpu, &name).await;
    }
}
