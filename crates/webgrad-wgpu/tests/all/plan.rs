//! Plan once, replay many on the GPU: `Trainer` records the first step of each batch shape and
//! replays it. In the steady state a step creates no buffer and no bind group (counted by
//! `WgpuBackend::stats`), replayed losses are the op-by-op losses bit for bit (the same kernels
//! on the same device), and the on-device loss sum read with `take_loss` is their mean. The
//! training set lives on the device: a replayed step writes only its 4-byte batch offset (and
//! the epoch's order once per epoch), and gives the bits of batches copied from the host.

use std::rc::Rc;

use crate::common::*;
use webgrad_core::{Device, dual_test};
use webgrad_data::{Dataset, synthetic};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

/// 2-16-16-2 ReLU with dropout 0.2, Adam with a decaying lr, batch 32: 200 rows give six full
/// batches and a short one of 8 per epoch, so two shapes are recorded.
fn trainer(device: &Device, data: &Dataset, planning: bool, resident: bool) -> Trainer {
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
    t.set_resident_data(Some(resident));
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

        let mut planned = trainer(&device, &data, true, true);
        let mut replayed = losses(&mut planned, &data, steps).await;
        assert!(planned.data_is_resident());
        let _ = planned.take_loss().wait().await.unwrap();
        let warm = gpu.stats();
        replayed.extend(losses(&mut planned, &data, steps).await);
        let summary = planned.take_loss().wait().await.unwrap().expect("steps were made");
        let steady = gpu.stats();
        println!("after warm-up: {warm:?}\nafter {steps} replayed steps: {steady:?}");
        assert_eq!(steady.buffers, warm.buffers, "a replayed step created buffers");
        assert_eq!(steady.bind_groups, warm.bind_groups, "a replayed step created bind groups");
        assert!(steady.dispatches > warm.dispatches, "the replays must have run");
        // the data stays on the device: per step the batch offset (4 bytes), per epoch the
        // order (200 × 4 bytes); no batch is uploaded
        assert_eq!(steady.bytes_written - warm.bytes_written, (steps * 4 + 2 * 200 * 4) as u64, "{warm:?} → {steady:?}");
        // one submit per step, plus one per readback (the read's copy): here each step's loss,
        // then the loss sum and the hit sum of `take_loss`
        assert!(steady.submits - warm.submits <= 2 * steps as u64 + 2, "{warm:?} → {steady:?}");

        // the summary is the row-weighted mean of the replayed steps' losses
        assert_eq!((summary.steps, summary.samples), (steps as u64, 2 * 200));
        let rows = |i: usize| if i % 7 == 6 { 8.0 } else { 32.0 };
        let want = replayed[steps..].iter().enumerate().map(|(i, &l)| f64::from(l) * rows(i)).sum::<f64>() / 400.0;
        assert!((summary.mean - want).abs() <= 1e-6 * want, "loss sum {} vs {want}", summary.mean);

        // op by op, and with batches copied from the host (planned or not): the same bits
        for (planning, resident) in [(false, true), (false, false), (true, false)] {
            let mut other = trainer(&device, &data, planning, resident);
            let theirs = losses(&mut other, &data, 2 * steps).await;
            assert_eq!(other.data_is_resident(), resident);
            for (i, (a, b)) in replayed.iter().zip(&theirs).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "step {i}: replayed resident {a}, planning {planning} resident {resident}: {b}");
            }
            let (wa, wb) = (planned.model.parameters(), other.model.parameters());
            for (a, b) in wa.iter().zip(&wb) {
                assert_eq!(a.to_vec().await.unwrap(), b.to_vec().await.unwrap(), "weights differ");
            }
        }
        let mut host = trainer(&device, &data, true, false);
        let _ = losses(&mut host, &data, 2 * steps).await;
        let before = gpu.stats();
        let _ = losses(&mut host, &data, 7).await;
        let per_epoch = gpu.stats().bytes_written - before.bytes_written;
        println!("one epoch writes {per_epoch} bytes with batches from the host, {} resident", 7 * 4 + 200 * 4);
        assert!(per_epoch >= 200 * 3 * 4, "host batches carry the features and labels");
        assert!(replayed[2 * steps - 1] < replayed[0], "training must make progress: {replayed:?}");
    }

    async fn the_accuracy_summed_on_the_gpu_is_what_evaluate_sees() {
        let Some(gpu) = gpu().await else { return };
        let device: Device = Rc::new(gpu);
        let data = synthetic::circle(200, 0.05, 4);
        let relu = LayerConfig { width: 16, activation: ActivationName::Relu, dropout: 0.0 };
        let mlp =
            MlpConfig { input: 2, hidden: vec![relu], head: Head::Softmax { classes: 2 }, init: Init::GlorotUniform };
        let mut opt = OptimizerConfig::by_name("adam").unwrap();
        opt.set_lr(0.05);
        // one full batch per step: the step's hits are the accuracy of the model before it
        let config = TrainConfig::new(200, 10, 9, Loss::CrossEntropy { label_smoothing: 0.0 });
        let model = Mlp::new(&device, mlp, 5).unwrap();
        let mut t = Trainer::new(model, Optimizer::new(opt, Schedule::Constant), config).unwrap();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let before = webgrad_nn::evaluate(&t.model, &data, t.config.loss).await.unwrap();
            let webgrad_nn::Report::Classification(r) = before.report else { unreachable!("classes") };
            t.step(&data).unwrap();
            let summary = t.take_loss().wait().await.unwrap().expect("a step was made");
            assert_eq!(summary.accuracy, Some(r.accuracy), "hits summed on the GPU vs evaluate");
            seen.push(r.accuracy);
        }
        assert!(seen[5] > seen[0], "the accuracy must rise: {seen:?}");
    }
}
