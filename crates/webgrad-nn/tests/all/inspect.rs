//! The inspector's numbers (`Trainer::inspect_before` / `InspectBefore::finish`) against a
//! recomputation from their definitions: the chosen unit's output from its inputs, weights and
//! bias; Adam's m, v and update with bias corrections, and SGD with momentum's buffer and update,
//! from the gradient and the state before; the loss the step itself reported.
#![cfg(not(target_arch = "wasm32"))]

use pollster::block_on;
use webgrad_data::synthetic;
use webgrad_nn::inspect::StepInspection;
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

fn trainer(optimizer: &str) -> (Trainer, webgrad_data::Dataset) {
    let data = synthetic::by_name("spiral", 200, 0.1, 3).unwrap();
    let layer = |width, activation| LayerConfig { width, activation, dropout: 0.0 };
    let hidden = vec![layer(8, ActivationName::Tanh), layer(4, ActivationName::Relu)];
    let config = MlpConfig { input: 2, hidden, head: Head::Softmax { classes: 2 }, init: Init::GlorotUniform };
    let model = Mlp::new(&webgrad_core::cpu(), config, 5).unwrap();
    let mut opt = OptimizerConfig::by_name(optimizer).unwrap();
    opt.set_lr(0.05);
    let loss = Loss::CrossEntropy { label_smoothing: 0.0 };
    (Trainer::new(model, Optimizer::new(opt, Schedule::Constant), TrainConfig::new(16, 10, 1, loss)).unwrap(), data)
}

/// Three steps, then the fourth inspected at unit `unit` of layer `layer`.
fn inspected(optimizer: &str, layer: usize, unit: usize) -> (StepInspection, f32) {
    block_on(async {
        let (mut t, data) = trainer(optimizer);
        for _ in 0..3 {
            t.step(&data).unwrap();
        }
        let before = t.inspect_before(&data, layer, unit).await.unwrap();
        let loss = t.step(&data).unwrap().loss.item().await.unwrap();
        (before.finish(&t).await.unwrap(), loss)
    })
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-3), "{what}: {a} vs {b}");
}

#[test]
fn the_forward_numbers_are_the_definitions() {
    let (s, loss) = inspected("adam", 1, 2);
    assert_eq!((s.step, s.rows, s.layers.len()), (4, 16, 3));
    close(f64::from(s.loss), f64::from(loss), "the loss the step reported");
    let u = &s.unit;
    assert_eq!((u.layer, u.unit, u.inputs.len(), u.weights.len()), (1, 2, 8, 8));
    let z: f64 =
        u.inputs.iter().zip(&u.weights).map(|(&x, &w)| f64::from(x) * f64::from(w)).sum::<f64>() + f64::from(u.bias);
    close(f64::from(u.output), z.max(0.0), "ReLU(Σ x·w + b)");
    // the layer's outputs: ReLU's are ≥ 0, and the histogram counts every row of every unit
    let relu = &s.layers[1].outputs;
    assert!(relu.min >= 0.0 && relu.histogram.iter().sum::<u32>() == 16 * 4);
    assert!(s.layers.iter().all(|l| l.grad_norm > 0.0 && l.update_ratio > 0.0));
    assert_eq!(s.layers[2].activation, None);
}

#[test]
fn adams_state_and_update_are_the_definitions() {
    let (s, _) = inspected("adam", 0, 5);
    let OptimizerConfig::Adam { beta1, beta2, eps, .. } = s.optimizer else { panic!("{:?}", s.optimizer) };
    let u = &s.unit;
    let (g, t) = (f64::from(u.grad_w), s.step as i32);
    let names: Vec<_> = u.state_before.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["exp_avg", "exp_avg_sq"]);
    let (m0, v0) = (f64::from(u.state_before[0].1), f64::from(u.state_before[1].1));
    let m = beta1 * m0 + (1.0 - beta1) * g;
    let v = beta2 * v0 + (1.0 - beta2) * g * g;
    close(f64::from(u.state_after[0].1), m, "m = β1·m + (1 − β1)·g");
    close(f64::from(u.state_after[1].1), v, "v = β2·v + (1 − β2)·g²");
    let update = s.lr * (m / (1.0 - beta1.powi(t))) / ((v / (1.0 - beta2.powi(t))).sqrt() + eps);
    close(f64::from(u.w_after), f64::from(u.w_before) - update, "w − lr·m̂ / (√v̂ + ε)");
    // the weight shown is the one with the largest gradient of the unit's row
    assert!(u.grad_w != 0.0);
}

#[test]
fn sgd_with_momentum_is_the_definition() {
    let (s, _) = inspected("momentum", 2, 1);
    let OptimizerConfig::Sgd { momentum, dampening, .. } = s.optimizer else { panic!() };
    let u = &s.unit;
    assert_eq!(u.state_before[0].0, "momentum_buffer");
    let buf = momentum * f64::from(u.state_before[0].1) + (1.0 - dampening) * f64::from(u.grad_w);
    close(f64::from(u.state_after[0].1), buf, "buf = μ·buf + (1 − dampening)·g");
    close(f64::from(u.w_after), f64::from(u.w_before) - s.lr * buf, "w − lr·buf");
    // the output layer's unit: its output is the logit, no activation
    let z: f64 =
        u.inputs.iter().zip(&u.weights).map(|(&x, &w)| f64::from(x) * f64::from(w)).sum::<f64>() + f64::from(u.bias);
    close(f64::from(u.output), z, "the logit Σ x·w + b");
}

#[test]
fn a_unit_that_does_not_exist_is_refused() {
    block_on(async {
        let (mut t, data) = trainer("adam");
        let e = t.inspect_before(&data, 3, 0).await.err().unwrap().to_string();
        assert!(e.contains("the model has 3 linear layers, not 4"), "{e}");
        let e = t.inspect_before(&data, 1, 4).await.err().unwrap().to_string();
        assert!(e.contains("layer 2 has 4 units, not 5"), "{e}");
    });
}
