//! Recorded-and-replayed steps (`plan.rs`) compute the same bits as steps run op by op, for every
//! loss, with dropout, penalties, clipping, a schedule and a short last batch, and a plan is
//! re-recorded when a setting it depends on changes. Batches picked from the training set kept
//! on the device (`Trainer::set_resident_data`) give the same bits as batches copied from the
//! host, planned or not. Runs natively and in headless Chromium.

use webgrad_core::{Tensor, dual_test};
use webgrad_data::{Dataset, Targets, synthetic};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, LossTally, Mlp, MlpConfig, Optimizer, OptimizerConfig, Report,
    Schedule, TrainConfig, Trainer,
};

struct Setup {
    head: Head,
    loss: Loss,
    optimizer: &'static str,
    dropout: f32,
    l1: f32,
    l2: f32,
    clip: Option<f32>,
    schedule: Schedule,
    batch: usize,
}

fn trainer(data: &Dataset, s: &Setup, planning: bool, resident: bool) -> Trainer {
    let hidden =
        [12, 7].iter().map(|&width| LayerConfig { width, activation: ActivationName::Tanh, dropout: s.dropout });
    let config = MlpConfig { input: data.d, hidden: hidden.collect(), head: s.head.clone(), init: Init::TorchDefault };
    let model = Mlp::new(&webgrad_core::cpu(), config, 3).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::by_name(s.optimizer).unwrap(), s.schedule);
    opt.clip_grad_norm = s.clip;
    let config = TrainConfig { l1: s.l1, l2: s.l2, ..TrainConfig::new(s.batch, 3, 11, s.loss) };
    let mut t = Trainer::new(model, opt, config).unwrap();
    t.set_planning(planning);
    t.set_resident_data(Some(resident));
    t
}

async fn bits(t: &Trainer) -> Vec<u32> {
    let mut all = Vec::new();
    for p in t.model.parameters() {
        all.extend(p.to_vec().await.unwrap().into_iter().map(f32::to_bits));
    }
    all
}

/// Steps four trainers side by side — planned or op by op, batches from the host or from the
/// data on the device — on `data(step)`; losses and weights must agree bit for bit. `between`
/// may change every trainer after each step (it gets the step index).
async fn same_bits_on<'a>(
    data: impl Fn(usize) -> &'a Dataset,
    s: &Setup,
    steps: usize,
    between: impl Fn(usize, &mut Trainer),
) {
    let mut trainers: Vec<Trainer> =
        [(true, false), (false, false), (true, true), (false, true)].map(|(p, r)| trainer(data(0), s, p, r)).into();
    for step in 0..steps {
        let mut losses = Vec::new();
        for t in &mut trainers {
            losses.push(t.step(data(step)).unwrap().loss.item().await.unwrap());
            between(step, t);
        }
        for (i, l) in losses.iter().enumerate() {
            assert_eq!(
                l.to_bits(),
                losses[0].to_bits(),
                "{:?} step {step}: trainer {i} loss {l} vs {}",
                s.loss,
                losses[0]
            );
        }
    }
    let want = bits(&trainers[0]).await;
    for (i, t) in trainers.iter().enumerate() {
        assert_eq!(bits(t).await, want, "{:?}: trainer {i}'s weights differ", s.loss);
    }
    assert!(!trainers[0].data_is_resident() && trainers[3].data_is_resident());
}

async fn same_bits(data: &Dataset, s: &Setup, steps: usize, between: impl Fn(usize, &mut Trainer)) {
    same_bits_on(|_| data, s, steps, between).await;
}

/// A 2-class softmax setup with no dropout, penalty, clipping or schedule.
fn classifier(optimizer: &'static str, batch: usize) -> Setup {
    Setup {
        head: Head::Softmax { classes: 2 },
        loss: Loss::CrossEntropy { label_smoothing: 0.0 },
        optimizer,
        dropout: 0.0,
        l1: 0.0,
        l2: 0.0,
        clip: None,
        schedule: Schedule::Constant,
        batch,
    }
}

fn regression(data: &Dataset) -> Dataset {
    let Targets::Classes { labels, .. } = &data.targets else { unreachable!("synthetic sets are classified") };
    let values = labels.iter().map(|&l| l as f32 * 2.0 - 0.5).collect();
    Dataset::new("reg", data.features.clone(), data.n, data.d, Targets::Regression { values, outputs: 1 }, None)
        .unwrap()
}

dual_test! {
    async fn replayed_steps_match_op_by_op_steps_bit_for_bit() {
        // 150 rows at batch 32: four full batches and a short one of 22 per epoch
        let data = synthetic::spiral(150, 0.1, 4);
        let base = Setup {
            head: Head::Softmax { classes: 2 },
            loss: Loss::CrossEntropy { label_smoothing: 0.1 },
            optimizer: "adam",
            dropout: 0.2,
            l1: 1e-4,
            l2: 1e-3,
            clip: Some(0.5),
            schedule: Schedule::Exponential { gamma: 0.97 },
            batch: 32,
        };
        same_bits(&data, &base, 12, |_, _| {}).await;
        let bce = Setup { head: Head::Sigmoid, loss: Loss::BceWithLogits, optimizer: "rmsprop", dropout: 0.0, ..base };
        same_bits(&data, &bce, 12, |_, _| {}).await;
        let reg = regression(&data);
        let mse = Setup { head: Head::Linear { outputs: 1 }, loss: Loss::Mse, optimizer: "nesterov", clip: None, ..bce };
        same_bits(&reg, &mse, 12, |_, _| {}).await;
        let huber = Setup { loss: Loss::Huber { delta: 0.5 }, optimizer: "adagrad", ..mse };
        same_bits(&reg, &huber, 12, |_, _| {}).await;
    }

    async fn a_plan_is_recorded_again_when_its_settings_change() {
        let data = synthetic::circle(96, 0.05, 2);
        let s = classifier("adam", 16);
        // the playground changes these while training: lr, weight decay, penalties, dropout, clipping
        same_bits(&data, &s, 14, |step, t| match step {
            2 => t.optimizer.config.set_lr(0.05),
            4 => t.optimizer.config.set_weight_decay(0.01),
            6 => t.config.l2 = 1e-3,
            8 => t.model.config.hidden[0].dropout = 0.3,
            10 => t.optimizer.clip_grad_norm = Some(0.1),
            12 => t.config.loss = Loss::CrossEntropy { label_smoothing: 0.2 },
            _ => {}
        })
        .await;
    }

    async fn resident_data_follows_a_new_dataset_of_the_same_shape() {
        // same rows and features, other values: the uploaded copy must be replaced, not reused
        let (a, b) = (synthetic::circle(80, 0.05, 2), synthetic::xor(80, 0.1, 3));
        let s = classifier("adam", 16);
        same_bits_on(|step| if step < 7 { &a } else { &b }, &s, 14, |_, _| {}).await;
    }

    async fn take_loss_reports_the_accuracy_the_steps_saw() {
        // one full batch per epoch: the hits summed on the device in a step are the accuracy of
        // the model before that step's update, which `evaluate` computes on the host
        let data = synthetic::circle(120, 0.05, 5);
        let sigmoid = Setup { head: Head::Sigmoid, loss: Loss::BceWithLogits, ..classifier("adam", 120) };
        for s in [classifier("adam", 120), sigmoid] {
            for resident in [false, true] {
                let mut t = trainer(&data, &s, true, resident);
                t.optimizer.config.set_lr(0.05);
                let mut seen = Vec::new();
                for _ in 0..8 {
                    let before = webgrad_nn::evaluate(&t.model, &data, s.loss).await.unwrap();
                    let Report::Classification(r) = before.report else { unreachable!("classes") };
                    t.step(&data).unwrap();
                    let summary = t.take_loss().wait().await.unwrap().expect("a step was made");
                    assert_eq!(summary.accuracy, Some(r.accuracy), "{:?}: device hits vs evaluate", s.loss);
                    assert!((summary.mean - before.loss).abs() <= 1e-6 * before.loss, "{summary:?} vs {}", before.loss);
                    seen.push(r.accuracy);
                }
                assert!(seen[7] > seen[0], "the accuracy must rise while training: {seen:?}");
            }
        }
        // regression has no accuracy
        let reg = regression(&data);
        let mse = Setup { head: Head::Linear { outputs: 1 }, loss: Loss::Mse, ..classifier("sgd", 120) };
        let mut t = trainer(&reg, &mse, true, false);
        t.step(&reg).unwrap();
        assert_eq!(t.take_loss().wait().await.unwrap().unwrap().accuracy, None);
    }

    async fn take_loss_after_every_step_reads_that_steps_loss() {
        // how the web worker reads the loss on the CPU; 150 rows at batch 32: a short last batch
        // of 22 rows, whose mean (the device sums loss × rows) is the loss to within rounding
        let data = synthetic::spiral(150, 0.1, 4);
        for planning in [false, true] {
            let mut t = trainer(&data, &classifier("adam", 32), planning, false);
            let (mut tally, mut sum, mut rows) = (LossTally::default(), 0.0f64, 0usize);
            for _ in 0..10 {
                let out = t.step(&data).unwrap();
                let loss = out.loss.item().await.unwrap();
                let s = t.take_loss().wait().await.unwrap().expect("a step was made");
                assert_eq!((s.steps, s.samples, s.last_step), (1, out.samples, t.optimizer.step));
                let mean = s.mean as f32;
                if out.samples.is_power_of_two() {
                    assert_eq!(mean, loss, "step {}", s.last_step);
                } else {
                    assert!((mean - loss).abs() <= f32::EPSILON * loss.abs(), "{mean} vs {loss}");
                }
                tally.add(&s);
                sum += f64::from(loss) * out.samples as f64;
                rows += out.samples;
            }
            assert!(t.take_loss().wait().await.unwrap().is_none(), "a read restarts the sum");
            assert_eq!(tally.samples(), rows);
            assert!((tally.mean() - sum / rows as f64).abs() <= 1e-6 * tally.mean(), "{tally:?}");
            assert!(tally.accuracy().is_some_and(|a| (0.0..=1.0).contains(&a)), "{tally:?}");
        }
    }

    async fn weights_kept_packed_by_their_updates_give_the_same_bits() {
        // A recorded Adam step leaves each weight the forward GEMM reads transposed packed in that
        // GEMM's strips as it updates it (in one pass for 8-wide strips with the width a multiple
        // of 4, which a 16-feature input and layers of 16 and 8 take); the next step reads the
        // strips. A weight assigned in between is packed again, not read from stale strips.
        let (n, d) = (96, 16);
        let features = (0..n * d).map(|i| ((i * 7_919) % 1_000) as f32 / 500.0 - 1.0).collect();
        let labels = (0..n).map(|i| (i % 3) as u32).collect();
        let targets = Targets::Classes { labels, classes: 3, names: vec!["a".into(), "b".into(), "c".into()] };
        let data = Dataset::new("wide", features, n, d, targets, None).unwrap();
        for optimizer in ["adam", "adamw", "sgd"] {
            let make = |planning| {
                let relu = |width| LayerConfig { width, activation: ActivationName::Relu, dropout: 0.0 };
                let head = Head::Softmax { classes: 3 };
                let config = MlpConfig { input: d, hidden: vec![relu(16), relu(8)], head, init: Init::TorchDefault };
                let model = Mlp::new(&webgrad_core::cpu(), config, 5).unwrap();
                let opt = Optimizer::new(OptimizerConfig::by_name(optimizer).unwrap(), Schedule::Constant);
                let loss = Loss::CrossEntropy { label_smoothing: 0.0 };
                let mut t = Trainer::new(model, opt, TrainConfig::new(32, 3, 11, loss)).unwrap();
                t.set_planning(planning);
                t
            };
            let mut trainers = [make(true), make(false)];
            for step in 0..9 {
                let mut losses = Vec::new();
                for t in &mut trainers {
                    losses.push(t.step(&data).unwrap().loss.item().await.unwrap().to_bits());
                    if step == 4 {
                        let w: &Tensor = &t.model.layers[0].weight;
                        w.assign(&vec![0.05; w.numel()]).unwrap();
                    }
                }
                assert_eq!(losses[0], losses[1], "{optimizer} step {step}: planned vs op by op");
            }
            assert_eq!(bits(&trainers[0]).await, bits(&trainers[1]).await, "{optimizer}: weights differ");
        }
    }

    async fn a_replay_sees_weights_assigned_in_place() {
        let data = synthetic::xor(64, 0.0, 1);
        let s = classifier("sgd", 8);
        same_bits(&data, &s, 6, |step, t| {
            if step == 3 {
                let w: &Tensor = &t.model.layers[0].weight;
                w.assign(&vec![0.25; w.numel()]).unwrap();
            }
        })
        .await;
    }
}
