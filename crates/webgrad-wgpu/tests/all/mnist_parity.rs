//! Slice 4b: training parity. 100 Adam steps of the MNIST MLP 784-128-64-10 (ReLU, batch 64,
//! the same seed → the same Glorot weights and batch order) on the GPU and on the CPU give
//! losses within `PARITY` relative at every step. Reads the bundled subset in assets/mnist.
#![cfg(not(target_arch = "wasm32"))]

use crate::common::*;
use webgrad_core::Device;
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule};
use webgrad_nn::{TrainConfig, Trainer};

const STEPS: usize = 100;
/// Measured: 3.4e-7 on lavapipe (llvmpipe, Vulkan) against the CPU's AVX2+FMA kernels. The bar
/// leaves 60× for a GPU whose exp/log/division round differently within WGSL's accuracy rules
/// (a few ulp each, compounded over 100 steps). For scale: PyTorch's own float32-vs-float64
/// drift over 30 steps of the MNIST-sized cases of tests/golden/differential.json is 1.2e-7 to
/// 2e-7, and 1.8e-5 for RMSprop with tanh.
const PARITY: f32 = 2e-5;

fn mnist_mlp() -> MlpConfig {
    let relu = |width| LayerConfig { width, activation: ActivationName::Relu, dropout: 0.0 };
    MlpConfig {
        input: 784,
        hidden: vec![relu(128), relu(64)],
        head: Head::Softmax { classes: 10 },
        init: Init::GlorotUniform,
    }
}

/// The loss of each of the first `STEPS` steps, and the first layer's weights before training.
async fn train(device: &Device, data: &webgrad_data::Dataset) -> (Vec<f32>, Vec<f32>) {
    let model = Mlp::new(device, mnist_mlp(), 1).expect("model");
    let initial = model.parameters()[0].to_vec().await.expect("weights");
    let optimizer = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let config = TrainConfig::new(64, 1, 1, Loss::CrossEntropy { label_smoothing: 0.0 });
    let mut trainer = Trainer::new(model, optimizer, config).expect("trainer");
    let mut losses = Vec::with_capacity(STEPS);
    for _ in 0..STEPS {
        let out = trainer.step(data).expect("step");
        losses.push(out.loss.item().await.expect("loss"));
    }
    (losses, initial)
}

#[test]
fn adam_on_mnist_matches_cpu_for_100_steps() {
    pollster::block_on(async {
        let Some(gpu) = gpu_device().await else { return };
        let dir = webgrad_data::find_mnist_dir().expect("assets/mnist holds the bundled MNIST subset");
        let (data, _) = webgrad_data::load_mnist_dir(&dir).expect("MNIST loads");
        let cpu = webgrad_core::cpu();
        let (gpu_losses, gpu_w) = train(&gpu, &data).await;
        let (cpu_losses, cpu_w) = train(&cpu, &data).await;
        assert_eq!(gpu_w, cpu_w, "the same seed must give the same initial weights on both devices");
        let mut worst = 0.0f32;
        for (step, (g, c)) in gpu_losses.iter().zip(&cpu_losses).enumerate() {
            let rel = (g - c).abs() / c.abs();
            worst = worst.max(rel);
            assert!(rel <= PARITY, "step {step}: GPU loss {g}, CPU loss {c} (relative difference {rel:.2e})");
        }
        println!(
            "{}: loss {:.4} → {:.4}; worst relative difference to {} over {STEPS} steps: {worst:.2e}",
            gpu.name(),
            gpu_losses[0],
            gpu_losses[STEPS - 1],
            cpu.name()
        );
        let tail: f32 = gpu_losses[STEPS - 10..].iter().sum::<f32>() / 10.0;
        assert!(tail < 0.5 * gpu_losses[0], "training must make progress: {} → {tail}", gpu_losses[0]);
    });
}
