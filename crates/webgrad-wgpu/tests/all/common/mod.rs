//! Shared by the test binaries: the GPU device (or a printed skip), the CPU oracle, random data
//! and the comparison that reports the worst error it saw.
#![allow(dead_code)]

use std::rc::Rc;

use webgrad_core::backend::Backend;
use webgrad_core::{Buffer, CpuBackend, Device, Rng};
use webgrad_wgpu::WgpuBackend;

/// Whether a missing adapter must fail the run (CI sets `WEBGRAD_REQUIRE_GPU=1`).
fn gpu_required() -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    return std::env::var("WEBGRAD_REQUIRE_GPU").is_ok_and(|v| v == "1");
    #[cfg(target_arch = "wasm32")]
    return option_env!("WEBGRAD_REQUIRE_GPU") == Some("1");
}

/// One line in the test output: `println!` natively; in the browser (where `println!` writes
/// nowhere) the console, which the runner shows with `--nocapture`.
fn say(line: &str) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

/// The GPU backend, or `None` after printing why the test is skipped. With
/// `WEBGRAD_REQUIRE_GPU=1` a missing adapter panics instead. Says which adapter runs the test,
/// so the output shows the GPU tests as executed and where.
pub async fn gpu() -> Option<WgpuBackend> {
    match WgpuBackend::new().await {
        Ok(b) => {
            say(&format!("GPU test on {}", b.name()));
            Some(b)
        }
        Err(e) => {
            assert!(!gpu_required(), "WEBGRAD_REQUIRE_GPU=1 but there is no GPU: {e}");
            say(&format!("SKIPPED: {e} (set WEBGRAD_REQUIRE_GPU=1 to make this a failure)"));
            None
        }
    }
}

/// As [`gpu`], as a tensor `Device`.
pub async fn gpu_device() -> Option<Device> {
    gpu().await.map(|b| Rc::new(b) as Device)
}

pub fn reference() -> CpuBackend {
    CpuBackend::reference()
}

pub fn uniform(rng: &mut Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_range(lo, hi)).collect()
}

pub async fn read(b: &dyn Backend, buf: &Buffer, n: usize) -> Vec<f32> {
    b.read(buf, n).await.expect("read back")
}

/// Absolute and relative tolerance: |got − want| ≤ atol + rtol·|want| element-wise.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    pub atol: f32,
    pub rtol: f32,
}

pub const EXACT: Tol = Tol { atol: 0.0, rtol: 0.0 };

/// Asserts `got` ≈ `want` (NaN matches NaN, equal infinities match), naming the first bad
/// element; prints the worst absolute error (run with --nocapture to see the measured values).
pub fn assert_close(got: &[f32], want: &[f32], tol: Tol, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = 0.0f32;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let same = g == w || (g.is_nan() && w.is_nan());
        let err = if same { 0.0 } else { (g - w).abs() };
        assert!(
            same || err <= tol.atol + tol.rtol * w.abs(),
            "{what}: element {i}: got {g}, want {w} (tolerance {tol:?})"
        );
        worst = worst.max(err);
    }
    println!("{what}: max abs err {worst:.3e}");
}

/// Reads `n` elements of a GPU result and of the CPU oracle's, then [`assert_close`].
pub async fn compare(
    gpu: &dyn Backend,
    got: &Buffer,
    cpu: &dyn Backend,
    want: &Buffer,
    n: usize,
    tol: Tol,
    what: &str,
) {
    assert_close(&read(gpu, got, n).await, &read(cpu, want, n).await, tol, what);
}
