//! The health monitors against a hand count, shared by the CPU test (`tests/all/monitor.rs`) and the
//! GPU one (`webgrad-wgpu/tests/all/monitor.rs`): a 2-4-3-1 network whose weights are set so that its
//! dead units, saturated units, gradients and updates can be worked out on paper.
//!
//! Four rows x = (x0, x1) with x0 ∈ {0, 0.25, 0.75, 1}, x1 ∈ [0, 1]; MSE against target −1.
//!
//! - Layer 1, ReLU, 4 units: u0 = relu(−x0 − x1 − 0.5) is 0 on every row (dead);
//!   u1 = relu(x0 − 0.5) = 0, 0, 0.25, 0.5 (alive on two rows); u2 = 1; u3 = 2.
//!   Dead: 1 of 4.
//! - Layer 2, tanh, 3 units: v0 = tanh(10·u2) = tanh 10 (|z| = 10 ≥ 3 on every row: saturated);
//!   v1 = tanh(0) = 0; v2 = tanh(8·u1), z = 0, 0, 2, 4 (saturated on one row only).
//!   Saturated: 1 of 3.
//! - Output: y = v1 = 0, so y − t = 1 on every row and ∂L/∂y = 2 · 1 / 4 = 0.5 per row.
//!   ∂L/∂W3 = Σ 0.5 · v = (2 tanh 10, 0, 0.5 (tanh 2 + tanh 4)), ∂L/∂b3 = 2.
//!   Layer 2: ∂L/∂z = (0, 0.5, 0) per row (W3 = (0, 1, 0), tanh′(0) = 1), so
//!   ∂L/∂W2 has one non-zero row 0.5 · Σ u = (0, 0.375, 2, 4) and ∂L/∂b2 = (0, 2, 0):
//!   ‖g‖² = 0.140625 + 4 + 16 + 4 = 24.140625.
//!   Layer 1: ∂L/∂u = W2ᵀ ∂L/∂z = 0.5 · (row v1 of W2) = 0: ‖g‖ = 0.
//! - SGD with lr 0.5: Δθ = −0.5 g, so the update ratio is 0.5 ‖g‖ / ‖θ‖ with ‖(W2, b2)‖² =
//!   100 + 64 and ‖(W3, b3)‖ = 1; layer 1 does not move (ratio 0).
#![allow(dead_code)]

use webgrad_core::Device;
use webgrad_data::{Dataset, Targets};
use webgrad_nn::monitor::{Culprit, Divergence, Monitor, MonitorConfig, NonFinite, Reading};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

pub fn data() -> Dataset {
    let x = vec![0.0, 0.5, 0.25, 1.0, 0.75, 0.0, 1.0, 0.25];
    let targets = Targets::Regression { values: vec![-1.0; 4], outputs: 1 };
    Dataset::new("hand-count", x, 4, 2, targets, None).unwrap()
}

pub fn trainer(device: &Device) -> Trainer {
    let layer = |width, activation| LayerConfig { width, activation, dropout: 0.0 };
    let config = MlpConfig {
        input: 2,
        hidden: vec![layer(4, ActivationName::Relu), layer(3, ActivationName::Tanh)],
        head: Head::Linear { outputs: 1 },
        init: Init::GlorotUniform,
    };
    let model = Mlp::new(device, config, 1).unwrap();
    let set = [
        (vec![-1.0, -1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], vec![-0.5, -0.5, 1.0, 2.0]),
        (vec![0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0], vec![0.0; 3]),
        (vec![0.0, 1.0, 0.0], vec![0.0]),
    ];
    for (layer, (w, b)) in model.layers.iter().zip(set) {
        layer.weight.assign(&w).unwrap();
        layer.bias.assign(&b).unwrap();
    }
    let sgd = OptimizerConfig::Sgd { lr: 0.5, momentum: 0.0, dampening: 0.0, nesterov: false, weight_decay: 0.0 };
    let config = TrainConfig { shuffle: false, ..TrainConfig::new(4, 1, 1, Loss::Mse) };
    Trainer::new(model, Optimizer::new(sgd, Schedule::Constant), config).unwrap()
}

/// The figures worked out in the module doc, per linear layer: (dead, saturated, ‖g‖, ratio).
pub fn by_hand() -> [(Option<f64>, Option<f64>, f64, f64); 3] {
    let g2 = 24.140625f64.sqrt();
    let (t2, t4, t10) = (2f64.tanh(), 4f64.tanh(), 10f64.tanh());
    let g3 = ((2.0 * t10).powi(2) + (0.5 * (t2 + t4)).powi(2) + 4.0).sqrt();
    [(Some(0.25), None, 0.0, 0.0), (None, Some(1.0 / 3.0), g2, 0.5 * g2 / 164f64.sqrt()), (None, None, g3, 0.5 * g3)]
}

/// Asserts a reading of one monitored step of `trainer` against [`by_hand`]: the unit counts
/// exactly, the norms to f32 rounding (the kernels' tanh is within a few ulps of tanh's).
pub fn check(r: &Reading, what: &str) {
    assert_eq!((r.sampled_steps, r.samples, r.layers.len()), (1, 4, 3), "{what}: {r:?}");
    for (l, (x, (dead, saturated, grad, ratio))) in r.layers.iter().zip(by_hand()).enumerate() {
        assert_eq!(x.dead_fraction, dead, "{what}: layer {l} dead fraction");
        assert_eq!(x.saturated_fraction, saturated, "{what}: layer {l} saturated fraction");
        let close = |got: f64, want: f64| (got - want).abs() <= 1e-6 * want.abs().max(1e-30);
        assert!(close(x.grad_norm, grad), "{what}: layer {l} gradient norm {} vs {grad} by hand", x.grad_norm);
        assert!(close(x.update_ratio, ratio), "{what}: layer {l} update ratio {} vs {ratio} by hand", x.update_ratio);
    }
    assert!(r.is_finite());
}

/// One monitored step from the hand-set weights, read and checked; then the same step again from
/// the state kept before it (`Trainer::restore`), which replays the plan the first step recorded:
/// the same figures. Returns the first reading.
pub async fn hand_count(device: &Device) -> Reading {
    let data = data();
    let mut t = trainer(device);
    let start = t.snapshot();
    let mut m = Monitor::new(&t.model, MonitorConfig { every: 1, ..MonitorConfig::default() }).unwrap();
    m.step(&mut t, &data).unwrap();
    let first = m.read().expect("a monitored step").wait().await.unwrap();
    check(&first, "op by op");
    m.end_window();
    t.restore(&start).await.unwrap();
    m.step(&mut t, &data).unwrap();
    let again = m.read().expect("a monitored step").wait().await.unwrap();
    check(&again, "replayed");
    assert_eq!((again.first_step, again.last_step), (1, 1));
    first
}

/// A linear 3-16-16-1 network (identity activations) regressing onto targets of 10 with SGD +
/// momentum at lr 0.01: the loss grows until it overflows, at step 22.
pub fn diverging(device: &Device) -> (Trainer, Dataset) {
    let n = 64;
    let x: Vec<f32> = (0..n * 3).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
    let data = Dataset::new("diverge", x, n, 3, Targets::Regression { values: vec![10.0; n], outputs: 1 }, None);
    let data = data.unwrap();
    let layer = LayerConfig { width: 16, activation: ActivationName::Identity, dropout: 0.0 };
    let config =
        MlpConfig { input: 3, hidden: vec![layer; 2], head: Head::Linear { outputs: 1 }, init: Init::HeUniform };
    let model = Mlp::new(device, config, 7).unwrap();
    let mut opt = OptimizerConfig::by_name("momentum").unwrap();
    opt.set_lr(0.01);
    let t = Trainer::new(model, Optimizer::new(opt, Schedule::Constant), TrainConfig::new(16, 100, 3, Loss::Mse));
    (t.unwrap(), data)
}

/// [`diverging`], monitored (one step in two, windows of 3 steps) and noticing its first
/// non-finite loss 2 steps late, then recovered: the divergence names the step and the operation
/// and keeps the state from before the update that started the loss's blow-up. Returns it, the recovered trainer, an
/// unmonitored reference stopped at the kept step, the monitor and the data.
pub async fn divergence(device: &Device) -> (Divergence, Trainer, Trainer, Monitor, Dataset) {
    // the first non-finite loss, unmonitored
    let (mut plain, data) = diverging(device);
    let mut losses = Vec::new();
    let first_bad = loop {
        let loss = plain.step(&data).unwrap().loss.item().await.unwrap();
        losses.push(loss);
        if !loss.is_finite() {
            break plain.optimizer.step;
        }
        assert!(plain.optimizer.step < 500, "the run was meant to diverge");
    };
    assert_eq!(first_bad, 22);
    let (mut t, _) = diverging(device);
    let mut m = Monitor::new(&t.model, MonitorConfig { every: 2, ..MonitorConfig::default() }).unwrap();
    let mut noticed = None;
    while noticed.is_none_or(|s| t.optimizer.step < s + 2) {
        let loss = m.step(&mut t, &data).unwrap().loss.item().await.unwrap();
        if !loss.is_finite() && noticed.is_none() {
            noticed = Some(t.optimizer.step);
        }
        if m.steps_in_window() == 3 {
            m.end_window();
        }
    }
    assert_eq!(noticed, Some(first_bad), "monitoring changed the run");
    let d = m.recover(&mut t, &data).await.unwrap().expect("a divergence");
    println!("{}", d.message());
    assert_eq!(d.step, first_bad);
    // the monitor kept the states at the starts of the windows from steps 19 and 22; replayed
    // from step 19, the loss jumps more than tenfold at step 20 and stays up until it overflows,
    // so the state from before step 19 is kept
    let g = d.growth.expect("the loss grew before it overflowed");
    assert_eq!(g.step, 20, "{losses:?}");
    assert_eq!((g.from.to_bits(), g.to.to_bits()), (losses[18].to_bits(), losses[19].to_bits()));
    assert!(losses[19..21].iter().all(|&l| l > 10.0 * losses[18]), "{losses:?}");
    assert_eq!(d.kept_step, 18, "the weights from before step 19");
    // the outputs grow until their squares overflow in the MSE
    assert_eq!((d.culprit, d.value), (Culprit::Loss, NonFinite::Inf), "{d:?}");
    let msg = d.message();
    assert!(msg.starts_with(&format!("step {first_bad}: the loss became non-finite (inf)")), "{msg}");
    let grew = format!("after the loss grew from {:.3} to {:.3e} at step 20", losses[18], losses[19]);
    assert!(msg.contains(&grew), "{msg}");
    assert!(msg.contains("the weights from before step 19 are kept"), "{msg}");
    let (mut reference, _) = diverging(device);
    while reference.optimizer.step < d.kept_step {
        reference.step(&data).unwrap();
    }
    for (a, b) in t.model.parameters().iter().zip(reference.model.parameters()) {
        let (a, b) = (a.to_vec().await.unwrap(), b.to_vec().await.unwrap());
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "the kept weights differ");
    }
    assert_eq!((t.optimizer.step, t.cursor), (reference.optimizer.step, reference.cursor));
    (d, t, reference, m, data)
}

/// The recovered trainer steps on as the reference does (so its optimizer state is the
/// reference's too), bit for bit.
pub async fn trains_on_alike(t: &mut Trainer, reference: &mut Trainer, m: &mut Monitor, data: &Dataset) {
    for _ in 0..3 {
        let a = m.step(t, data).unwrap().loss.item().await.unwrap();
        let b = reference.step(data).unwrap().loss.item().await.unwrap();
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

/// Makes [`diverging`]'s layer 2 overflow at once: hidden layer 1's units about 1e30, layer 2's
/// weights 1e10.
pub fn overflow_layer_2(t: &Trainer) {
    t.model.layers[0].bias.assign(&[1e30; 16]).unwrap();
    t.model.layers[1].weight.assign(&[1e10; 256]).unwrap();
}

/// One monitored step of a trainer set up by [`overflow_layer_2`], then its recovery: the message
/// names layer 2's linear map, and with no earlier step the state kept is the one it started from.
pub async fn overflow(mut t: Trainer, data: &Dataset) -> (Divergence, Trainer) {
    let mut m = Monitor::new(&t.model, MonitorConfig::default()).unwrap();
    let loss = m.step(&mut t, data).unwrap().loss.item().await.unwrap();
    assert!(!loss.is_finite());
    assert!(!m.read().unwrap().wait().await.unwrap().is_finite());
    let d = m.recover(&mut t, data).await.unwrap().expect("a divergence");
    assert_eq!((d.step, d.culprit, d.value, d.kept_step), (1, Culprit::Linear { layer: 1 }, NonFinite::Inf, 0));
    assert_eq!(
        d.message(),
        "step 1: the output of layer 2's linear map became non-finite (inf) — the weights from before step 1 \
         are kept; lower the learning rate (now 0.01) and continue"
    );
    (d, t)
}
