//! A GPU that goes away mid-training (a driver reset, a browser reclaiming the device, out of
//! memory): the next read ends in a clear `Error::Device`, nothing panics, and training goes on
//! on the CPU from the last good state — a checkpoint taken (read back) before the failure.

use std::rc::Rc;

use crate::common::*;
use webgrad_core::{Device, dual_test};
use webgrad_data::synthetic;
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, ModelFile, Optimizer, OptimizerConfig,
    Preprocessing, Schedule, TrainConfig, Trainer, checkpoint,
};

fn trainer(device: &Device) -> Trainer {
    let hidden = [16, 16].map(|width| LayerConfig { width, activation: ActivationName::Tanh, dropout: 0.1 });
    let config =
        MlpConfig { input: 2, hidden: hidden.to_vec(), head: Head::Softmax { classes: 2 }, init: Init::GlorotUniform };
    let model = Mlp::new(device, config, 2).unwrap();
    let opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let config = TrainConfig::new(25, 50, 4, Loss::CrossEntropy { label_smoothing: 0.0 });
    Trainer::new(model, opt, config).unwrap()
}

async fn weights(t: &Trainer) -> webgrad_core::Result<Vec<f32>> {
    let mut all = Vec::new();
    for p in t.model.parameters() {
        all.extend(p.to_vec().await?);
    }
    Ok(all)
}

dual_test! {
    async fn a_lost_device_gives_a_clear_error_and_the_cpu_continues_from_the_last_good_weights() {
        let Some(gpu) = gpu().await else { return };
        let gpu = Rc::new(gpu);
        let data = synthetic::spiral(200, 0.1, 3);
        let mut t = trainer(&(gpu.clone() as Device));
        let file = ModelFile::new(&t.model.config, Vec::new(), Preprocessing::default(), "spiral");
        for _ in 0..40 {
            t.step(&data).unwrap();
        }
        let before = t.take_loss().wait().await.unwrap().expect("40 steps").mean;
        // the last good state: read back while the device still works
        let snapshot = checkpoint::save(&t, &file).await.unwrap();
        let good = weights(&t).await.unwrap();
        for _ in 0..5 {
            t.step(&data).unwrap();
        }
        gpu.destroy_device();
        // stepping on a lost device does not panic; the failure shows at the next read
        for _ in 0..3 {
            t.step(&data).unwrap();
        }
        let err = t.take_loss().wait().await.expect_err("a read from a destroyed device must fail").to_string();
        println!("the error a caller sees: {err}");
        assert!(err.contains("the GPU device was lost"), "unclear error: {err}");
        assert!(weights(&t).await.is_err(), "the lost device's weights cannot be trusted, so they must not read");

        let (mut cpu, _) = checkpoint::load(&webgrad_core::cpu(), &snapshot, "snapshot").unwrap();
        assert_eq!(cpu.optimizer.step, 40);
        assert_eq!(weights(&cpu).await.unwrap(), good, "the CPU must start from the last good weights");
        for _ in 0..80 {
            cpu.step(&data).unwrap();
        }
        let after = cpu.take_loss().wait().await.unwrap().expect("80 steps").mean;
        assert!(after.is_finite() && after < before, "training goes on on the CPU: loss {before} → {after}");
    }
}
