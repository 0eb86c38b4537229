//! Plan once, replay many on the GPU: `Trainer` records the first step of each batch shape and
//! replays it. In the steady state a step creates no buffer and no bind group (counted by
//! `WgpuBackend::stats`), replayed losses are the op-by-op losses bit for bit (the same kernels
//! on the same device), and the on-device loss sum read with `take_loss` is their mean.

mod common;
use std::rc::Rc;

use common::*;
use webgrad_core::{Device, dual_test};
use webgrad_data::{Dataset, synthetic};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// 2-16-16-2 ReLU with dropout 0.2, Adam with a decaying lr, batch 32: 200 rows give six full
/// batches and a short one of 8 per epoch, so two shapes are recorded.
fn trainer(device: &Device, data: &Dataset, planning: bool) -> Trainer {
    let hidden = [16, 16].map(|width| LayerConfig { width, activation: ActivationName::Relu, dropout: 0.2 });
    let config = MlpConfig {
        input: data.d,
        hidden: hidden.to_vec(),
        head: Head::Softmax { classes: 2 },
        init: Init::GlorotUniform,
    };
    let model = Mlp::new(device, config, 5).unwrap();
    let opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Exponential { gamma: 0.99 });
    let config = TrainConfig::new(32, 10, 9, Loss::CrossEntropy { label_smoothing: 0.0 });
    let mut t = Trainer::new(model, opt, config).unwrap();
    t.set_planning(planning);
    t
}

async fn losses(t: &mut Trainer, data: &Dataset, steps: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        out.push(t.step(data).unwrap().loss.item().await.unwrap());
    }
    out
}

dual_test! {
    async fn a_replayed_step_creates_nothing_and_matches_op_by_op() {
        let Some(gpu) = gpu().await else { return };
        let gpu = Rc::new(gpu);
        let device: Device = gpu.clone();
        let data = synthetic::spiral(200, 0.1, 3);
        let steps = 2 * 7;

        let mut planned = trainer(&device, &data, true);
        let mut replayed = losses(&mut planned, &data, steps).await;
        let _ = planned.take_loss().wait().await.unwrap();
        let warm = gpu.stats();
        replayed.extend(losses(&mut planned, &data, steps).await);
        let summary = planned.take_loss().wait().await.unwrap().expect("steps were made");
        let steady = gpu.stats();
        println!("after warm-up: {warm:?}\nafter {steps} replayed steps: {steady:?}");
        assert_eq!(steady.buffers, warm.buffers, "a replayed step created buffers");
        assert_eq!(steady.bind_groups, warm.bind_groups, "a replayed step created bind groups");
        assert!(steady.dispatches > warm.dispatches, "the replays must have run");
        // one submit per step, plus one per readback (the read's copy)
        assert!(steady.submits - warm.submits <= 2 * steps as u64 + 1, "{warm:?} → {steady:?}");

        // the summary is the row-weighted mean of the replayed steps' losses
        assert_eq!((summary.steps, summary.samples), (steps as u64, 2 * 200));
        let rows = |i: usize| if i % 7 == 6 { 8.0 } else { 32.0 };
        let want = replayed[steps..].iter().enumerate().map(|(i, &l)| f64::from(l) * rows(i)).sum::<f64>() / 400.0;
        assert!((summary.mean - want).abs() <= 1e-6 * want, "loss sum {} vs {want}", summary.mean);

        let mut plain = trainer(&device, &data, false);
        let op_by_op = losses(&mut plain, &data, 2 * steps).await;
        for (i, (a, b)) in replayed.iter().zip(&op_by_op).enumerate() {
            assert_eq!(a.to_bits(), b.to_bits(), "step {i}: replayed loss {a}, op-by-op loss {b}");
        }
        let (wa, wb) = (planned.model.parameters(), plain.model.parameters());
        for (a, b) in wa.iter().zip(&wb) {
            assert_eq!(a.to_vec().await.unwrap(), b.to_vec().await.unwrap(), "weights differ");
        }
        assert!(replayed[2 * steps - 1] < replayed[0], "training must make progress: {replayed:?}");
    }
}
