//! The GPU backend inside a dedicated Web Worker — where the playground trains — in headless
//! Chromium (WebGPU on SwiftShader): the adapter is found from the worker's global scope, a
//! GEMM with its epilogue and the fused softmax cross-entropy match the CPU reference on
//! awkward shapes, and 60 Adam steps of a small MLP through `Trainer` (recorded, then replayed)
//! give the CPU's losses within 1e-3 relative. Tolerances as in gemm.rs and fused.rs.
#![cfg(target_arch = "wasm32")]

#[path = "all/common/mod.rs"]
mod common;
use common::*;
use wasm_bindgen_test::wasm_bindgen_test;
use webgrad_core::backend::{Activation, Backend, GemmSpec};
use webgrad_core::{Device, Rng};
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule};
use webgrad_nn::{TrainConfig, Trainer};

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn the_worker_finds_the_adapter() {
    let global = js_sys::global();
    let has = |name: &str| js_sys::Reflect::has(&global, &name.into()).unwrap_or(false);
    let in_worker = has("importScripts") && has("postMessage") && !has("document");
    assert!(in_worker, "this test binary must run in a dedicated worker");
    let Some(gpu) = gpu().await else { return };
    let device: Device = std::rc::Rc::new(gpu);
    wasm_bindgen_test::console_log!("in a dedicated worker: {}", device.name());
}

#[wasm_bindgen_test]
async fn kernels_match_the_cpu_in_a_worker() {
    let Some(gpu) = gpu().await else { return };
    let cpu = reference();
    let mut rng = Rng::new(7);
    for &(m, k, n) in &[(1, 3, 17), (17, 255, 3), (64, 784, 128), (3, 1023, 5)] {
        let spec = GemmSpec { m, k, n, trans_a: false, trans_b: true, act: Activation::Relu };
        let (a, b, bias) =
            (uniform(&mut rng, m * k, -1.0, 1.0), uniform(&mut rng, k * n, -1.0, 1.0), uniform(&mut rng, n, -1.0, 1.0));
        let want = {
            let cb = cpu.upload(&bias);
            let out = cpu.gemm(&cpu.upload(&a), &cpu.upload(&b), Some(&cb), &spec);
            read(&cpu, &out, m * n).await
        };
        let gb = gpu.upload(&bias);
        let out = gpu.gemm(&gpu.upload(&a), &gpu.upload(&b), Some(&gb), &spec);
        let got = read(&gpu, &out, m * n).await;
        assert_close(
            &got,
            &want,
            Tol { atol: 1e-6 + 2e-7 * k as f32, rtol: 1e-5 },
            &format!("gemm {m}×{k}×{n} in a worker"),
        );
    }
    let (n, c) = (255, 17);
    let logits = uniform(&mut rng, n * c, -4.0, 4.0);
    let labels: Vec<u32> = (0..n as u32).map(|i| (i * 7) % c as u32).collect();
    let (cl, cp) = cpu.softmax_xent(&cpu.upload(&logits), &cpu.upload_u32(&labels), n, c, 0.1);
    let (gl, gp) = gpu.softmax_xent(&gpu.upload(&logits), &gpu.upload_u32(&labels), n, c, 0.1);
    compare(&gpu, &gp, &cpu, &cp, n * c, Tol { atol: 1e-7, rtol: 2e-6 }, "softmax probs in a worker").await;
    compare(&gpu, &gl, &cpu, &cl, 1, Tol { atol: 0.0, rtol: 2e-6 }, "cross-entropy in a worker").await;
}

/// 2 → 16 → 16 → 3 tanh MLP on three Gaussian blobs; the loss of each step.
async fn train(device: &Device) -> Vec<f32> {
    let mut rng = Rng::new(3);
    let n = 300;
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
    let features: Vec<f32> =
        labels.iter().flat_map(|&l| [l as f32 + rng.uniform_range(-0.6, 0.6), rng.uniform_range(-1.0, 1.0)]).collect();
    let targets = webgrad_data::Targets::Classes { labels, classes: 3, names: webgrad_data::numbered_names(3) };
    let data = webgrad_data::Dataset::new("blobs", features, n, 2, targets, None).expect("dataset");
    let tanh = |width| LayerConfig { width, activation: ActivationName::Tanh, dropout: 0.0 };
    let config = MlpConfig {
        input: 2,
        hidden: vec![tanh(16), tanh(16)],
        head: Head::Softmax { classes: 3 },
        init: Init::GlorotUniform,
    };
    let model = Mlp::new(device, config, 1).expect("model");
    let mut opt = OptimizerConfig::by_name("adam").unwrap();
    opt.set_lr(0.01);
    let run = TrainConfig::new(32, 10, 1, Loss::CrossEntropy { label_smoothing: 0.0 });
    let mut trainer = Trainer::new(model, Optimizer::new(opt, Schedule::Constant), run).expect("trainer");
    let mut losses = Vec::new();
    for _ in 0..60 {
        let out = trainer.step(&data).expect("step");
        losses.push(out.loss.item().await.expect("loss"));
    }
    losses
}

#[wasm_bindgen_test]
async fn training_in_a_worker_matches_the_cpu() {
    let Some(gpu) = gpu_device().await else { return };
    let gpu_losses = train(&gpu).await;
    let cpu_losses = train(&webgrad_core::cpu()).await;
    let mut worst = 0.0f32;
    for (step, (g, c)) in gpu_losses.iter().zip(&cpu_losses).enumerate() {
        let rel = (g - c).abs() / c.abs();
        worst = worst.max(rel);
        assert!(rel <= 1e-3, "step {step}: GPU loss {g}, CPU loss {c} (relative difference {rel:.2e})");
    }
    assert!(
        gpu_losses[59] < 0.5 * gpu_losses[0],
        "training must make progress: {} → {}",
        gpu_losses[0],
        gpu_losses[59]
    );
    wasm_bindgen_test::console_log!(
        "{} in a worker: loss {:.4} → {:.4}, worst relative difference to the CPU {worst:.2e}",
        gpu.name(),
        gpu_losses[0],
        gpu_losses[59]
    );
}
