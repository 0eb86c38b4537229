//! Milliseconds per kernel of the MNIST MLP's training step (784-128-64-10, batch 64 and 256),
//! natively (lavapipe on a machine without a GPU) and in headless Chromium (SwiftShader):
//! `bench_step_gemms` times every GEMM — the forward layers (x·wᵀ), the input gradients (dy·w)
//! and the weight gradients (dyᵀ·x) — with both GEMM kernels; `bench_step_ops` the other ops.
//! Each figure is the best of 3 rounds (the machine is shared) of the mean of 10 calls queued
//! back to back and read once.
//! Not part of the normal test run (`test = false` in Cargo.toml):
//!
//! ```text
//! cargo test --release -p webgrad-wgpu --test bench_gemm -- --nocapture
//! WASM_BINDGEN_TEST_TIMEOUT=900 cargo test --profile wasm-release -p webgrad-wgpu \
//!     --target wasm32-unknown-unknown --test bench_gemm -- --nocapture
//! ```

use webgrad_core::backend::{
    Activation, Backend, Buffer, GemmSpec, ParamSlot, ReduceOp, StepHyper, UnaryOp, UpdateRule,
};
use webgrad_core::{Rng, dual_test};
use webgrad_nn::bench;
use webgrad_wgpu::{GemmKernel, WgpuBackend};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Rounds per figure (the best is kept) and calls per round.
const ROUNDS: usize = 3;
const REPS: usize = 10;

fn log(line: &str) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

/// Milliseconds per GEMM: after a warm-up call (which compiles the pipeline), the best of
/// `ROUNDS` rounds of `REPS` calls queued back to back and read once.
async fn gemm_ms(gpu: &WgpuBackend, (a, b, bias): (&Buffer, &Buffer, Option<&Buffer>), spec: &GemmSpec) -> f64 {
    let c = gpu.gemm(a, b, bias, spec);
    gpu.read(&c, 1).await.expect("read back");
    let mut ms = f64::INFINITY;
    for _ in 0..ROUNDS {
        let start = bench::now();
        let mut last = None;
        for _ in 0..REPS {
            last = Some(gpu.gemm(a, b, bias, spec));
        }
        if let Some(c) = last {
            gpu.read(&c, 1).await.expect("read back");
        }
        ms = ms.min((bench::now() - start) * 1e3 / REPS as f64);
    }
    ms
}

dual_test! {
    async fn bench_step_gemms() {
        let gpu = WgpuBackend::new().await.expect("a GPU adapter");
        let info = gpu.adapter_info();
        log(&format!("{} ({:?}); default GEMM kernel {:?}", gpu.name(), info.device_type, gpu.gemm_kernel()));
        let mut rng = Rng::new(3);
        for (kernel, batch) in [(GemmKernel::Tiled, 64), (GemmKernel::Direct, 64), (GemmKernel::Tiled, 256), (GemmKernel::Direct, 256)] {
            gpu.set_gemm_kernel(kernel);
            let mut total = 0.0;
            // (name, m, k, n, trans_a, trans_b, act)
            let shapes = [
                ("fwd1 x·w1ᵀ", batch, 784, 128, false, true, Activation::Relu),
                ("fwd2 h1·w2ᵀ", batch, 128, 64, false, true, Activation::Relu),
                ("fwd3 h2·w3ᵀ", batch, 64, 10, false, true, Activation::Identity),
                ("dx3 dy·w3", batch, 10, 64, false, false, Activation::Identity),
                ("dw3 dyᵀ·h2", 10, batch, 64, true, false, Activation::Identity),
                ("dx2 dy·w2", batch, 64, 128, false, false, Activation::Identity),
                ("dw2 dyᵀ·h1", 64, batch, 128, true, false, Activation::Identity),
                ("dw1 dyᵀ·x", 128, batch, 784, true, false, Activation::Identity),
            ];
            for (name, m, k, n, trans_a, trans_b, act) in shapes {
                let spec = GemmSpec { m, k, n, trans_a, trans_b, act };
                let data = |rng: &mut Rng, len| (0..len).map(|_| rng.uniform_range(-1.0, 1.0)).collect::<Vec<f32>>();
                let a = gpu.upload(&data(&mut rng, m * k));
                let b = gpu.upload(&data(&mut rng, k * n));
                let bias = gpu.upload(&data(&mut rng, n));
                let bias = (act != Activation::Identity).then_some(&bias);
                let ms = gemm_ms(&gpu, (&a, &b, bias), &spec).await;
                total += ms;
                let gflops = 2.0 * (m * k * n) as f64 / ms / 1e6;
                log(&format!("b{batch} {kernel:?} {name:12} m={m:4} k={k:4} n={n:4}: {ms:8.3} ms  {gflops:6.2} GFLOP/s"));
            }
            log(&format!("b{batch} {kernel:?} all GEMMs of a step: {total:.2} ms"));
        }
    }

    // Square products n³ for n = 128 … 2048 with both kernels: whether the tiled kernel pays
    // for large products on this adapter (on an H200 it did not, `GemmKernel::DEFAULT`).
    async fn bench_square_gemms() {
        let gpu = WgpuBackend::new().await.expect("a GPU adapter");
        log(&format!("{}: square GEMMs", gpu.name()));
        let mut rng = Rng::new(5);
        let sizes: &[usize] = if format!("{:?}", gpu.adapter_info().device_type) == "Cpu" { &[128, 256] } else { &[128, 256, 512, 1024, 2048] };
        for &n in sizes {
            let spec = GemmSpec { m: n, k: n, n, trans_a: false, trans_b: false, act: Activation::Identity };
            let data = |rng: &mut Rng| (0..n * n).map(|_| rng.uniform_range(-1.0, 1.0)).collect::<Vec<f32>>();
            let (a, b) = (gpu.upload(&data(&mut rng)), gpu.upload(&data(&mut rng)));
            for kernel in [GemmKernel::Tiled, GemmKernel::Direct] {
                gpu.set_gemm_kernel(kernel);
                let ms = gemm_ms(&gpu, (&a, &b, None), &spec).await;
                let gflops = 2.0 * (n * n * n) as f64 / ms / 1e6;
                log(&format!("{kernel:?} {n}³: {ms:8.3} ms  {gflops:8.1} GFLOP/s"));
            }
        }
    }

    async fn bench_step_ops() {
        let gpu = WgpuBackend::new().await.expect("a GPU adapter");
        let mut rng = Rng::new(4);
        for batch in [64usize, 256] {
            let data = |rng: &mut Rng, len| (0..len).map(|_| rng.uniform_range(-1.0, 1.0)).collect::<Vec<f32>>();
            let h = gpu.upload(&data(&mut rng, batch * 128));
            let g = gpu.upload(&data(&mut rng, batch * 128));
            let logits = gpu.upload(&data(&mut rng, batch * 10));
            let labels = gpu.upload_u32(&(0..batch as u32).map(|i| i % 10).collect::<Vec<_>>());
            let one = gpu.upload(&[1.0]);
            let acc = gpu.upload(&[0.0]);
            let sizes = [784 * 128, 128, 128 * 64, 64, 64 * 10, 10];
            let params: Vec<[Buffer; 4]> = sizes.iter().map(|&n| [0, 1, 2, 3].map(|_| gpu.upload(&data(&mut rng, n)))).collect();
            let rule = UpdateRule::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, decoupled: false };
            let relu = UnaryOp::Act(Activation::Relu);
            let ops: [(&str, &dyn Fn() -> Buffer); 6] = [
                ("one float (a dispatch)", &|| {
                    gpu.accumulate(&acc, &one, 1, 1.0);
                    acc.clone()
                }),
                ("relu backward [b,128]", &|| gpu.unary_backward(relu, &h, &h, &g, batch * 128)),
                ("bias grad sum [b,128]", &|| gpu.reduce(ReduceOp::Sum, &g, 1, batch, 128)),
                ("softmax xent [b,10]", &|| gpu.softmax_xent(&logits, &labels, batch, 10, 0.0).1),
                ("xent backward [b,10]", &|| gpu.softmax_xent_backward(&logits, &labels, &one, batch, 10, 0.0)),
                ("adam, 6 params", &|| {
                    let slots: Vec<ParamSlot<'_>> = params
                        .iter()
                        .zip(sizes)
                        .map(|(p, len)| ParamSlot { param: &p[0], grad: &p[1], state: &p[2..], len })
                        .collect();
                    gpu.optimizer_step(&rule, StepHyper { lr: 1e-3, step: 1 }, &slots);
                    one.clone()
                }),
            ];
            for (name, op) in ops {
                gpu.read(&op(), 1).await.expect("read back");
                let mut ms = f64::INFINITY;
                for _ in 0..ROUNDS {
                    let start = bench::now();
                    let mut last = None;
                    for _ in 0..REPS {
                        last = Some(op());
                    }
                    if let Some(c) = last {
                        gpu.read(&c, 1).await.expect("read back");
                    }
                    ms = ms.min((bench::now() - start) * 1e3 / REPS as f64);
                }
                log(&format!("b{batch} {name:24}: {ms:8.3} ms"));
            }
        }
    }
}
