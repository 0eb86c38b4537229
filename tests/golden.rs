//! webgrad against PyTorch: the fixtures hold PyTorch's initial weights, batches, per-step
//! losses and final weights for each optimizer; losses, layer outputs and gradients too.

use safetensors::SafeTensors;
use serde_json::Value;
use webgrad_core::{Device, Tensor};
use webgrad_nn::optim::OptimizerConfig;
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, Mlp, MlpConfig, Optimizer, Schedule, loss};
use webgrad_tests::{golden_json, labels, read_golden, rel, tensor};

fn cpu() -> Device {
    webgrad_core::cpu()
}

fn read(t: &Tensor) -> Vec<f32> {
    pollster::block_on(t.to_vec()).unwrap()
}

/// The optimizer PyTorch used, from the fixture's full hyperparameter record.
fn optimizer_of(cfg: &Value, steps: u64) -> Optimizer {
    let h = &cfg["hyperparameters"];
    let f = |k: &str| h[k].as_f64().unwrap_or_else(|| panic!("hyperparameter {k}"));
    let b = |k: &str| h[k].as_bool().unwrap();
    let config = match cfg["optimizer"].as_str().unwrap() {
        "SGD" => OptimizerConfig::Sgd {
            lr: f("lr"),
            momentum: f("momentum"),
            dampening: f("dampening"),
            nesterov: b("nesterov"),
            weight_decay: f("weight_decay"),
        },
        "Adam" => OptimizerConfig::Adam {
            lr: f("lr"),
            beta1: h["betas"][0].as_f64().unwrap(),
            beta2: h["betas"][1].as_f64().unwrap(),
            eps: f("eps"),
            weight_decay: f("weight_decay"),
        },
        "AdamW" => OptimizerConfig::AdamW {
            lr: f("lr"),
            beta1: h["betas"][0].as_f64().unwrap(),
            beta2: h["betas"][1].as_f64().unwrap(),
            eps: f("eps"),
            weight_decay: f("weight_decay"),
        },
        "RMSprop" => OptimizerConfig::RmsProp {
            lr: f("lr"),
            alpha: f("alpha"),
            eps: f("eps"),
            momentum: f("momentum"),
            centered: b("centered"),
            weight_decay: f("weight_decay"),
        },
        "Adagrad" => {
            assert_eq!(f("initial_accumulator_value"), 0.0);
            OptimizerConfig::Adagrad {
                lr: f("lr"),
                lr_decay: f("lr_decay"),
                eps: f("eps"),
                weight_decay: f("weight_decay"),
            }
        }
        other => panic!("optimizer {other}"),
    };
    let schedule = match cfg["lr_scheduler"]["kind"].as_str() {
        None => Schedule::Constant,
        Some("StepLR") => Schedule::Step {
            step_size: cfg["lr_scheduler"]["step_size"].as_u64().unwrap(),
            gamma: cfg["lr_scheduler"]["gamma"].as_f64().unwrap(),
        },
        Some("SequentialLR") => {
            let s = &cfg["lr_scheduler"]["schedulers"];
            let warmup = s[0]["total_iters"].as_u64().unwrap();
            Schedule::Cosine {
                warmup_steps: warmup,
                warmup_start_factor: s[0]["start_factor"].as_f64().unwrap(),
                total_steps: warmup + s[1]["T_max"].as_u64().unwrap(),
                min_lr: s[1]["eta_min"].as_f64().unwrap(),
            }
        }
        Some(other) => panic!("scheduler {other}"),
    };
    assert!(steps > 0);
    let mut opt = Optimizer::new(config, schedule);
    opt.clip_grad_norm = cfg["clip_grad_norm"].as_f64().map(|v| v as f32);
    opt
}

fn fixture_model(device: &Device, st: &SafeTensors<'_>) -> Mlp {
    let layer = |width, activation| LayerConfig { width, activation, dropout: 0.0 };
    let cfg = MlpConfig {
        input: 6,
        hidden: vec![layer(16, ActivationName::Relu), layer(8, ActivationName::Tanh)],
        head: Head::Softmax { classes: 3 },
        init: Init::TorchDefault,
    };
    let model = Mlp::new(device, cfg, 0).unwrap();
    for (name, p) in model.named_parameters() {
        let (shape, values) = tensor(st, &format!("init.{name}"));
        assert_eq!(shape, p.shape(), "{name}");
        p.assign(&values).unwrap();
    }
    model
}

#[test]
fn training_matches_pytorch_for_every_optimizer() {
    let bytes = read_golden("training.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let meta = golden_json("training.json");
    let steps = meta["steps"].as_u64().unwrap() as usize;
    let batch = meta["batch_size"].as_u64().unwrap() as usize;
    let (_, x) = tensor(&st, "x");
    let y = labels(&st, "y");
    let device = cpu();
    let configs = meta["configs"].as_object().unwrap();
    assert!(configs.len() >= 12, "fixture lists {} configs", configs.len());
    for (name, cfg) in configs {
        let model = fixture_model(&device, &st);
        let mut opt = optimizer_of(cfg, steps as u64);
        let (_, want) = tensor(&st, &format!("loss.{name}"));
        let lr_want = st.tensor(&format!("lr.{name}")).ok().map(|_| tensor(&st, &format!("lr.{name}")).1);
        for t in 0..steps {
            if let Some(lr) = &lr_want {
                assert!(
                    rel(opt.current_lr(), lr[t] as f64) < 1e-6,
                    "{name} step {t}: lr {} vs torch {}",
                    opt.current_lr(),
                    lr[t]
                );
            }
            let xb = Tensor::from_slice(&device, &x[t * batch * 6..(t + 1) * batch * 6], &[batch, 6]).unwrap();
            let yb = Tensor::labels(&device, &y[t * batch..(t + 1) * batch]);
            let l = loss::cross_entropy(&model.forward(&xb, true, 0), &yb, 0.0);
            let got = read(&l)[0];
            // the bar: 1e-5 relative over the first 20 steps, 1e-4 over all 100
            let tol = if t < 20 { 1e-5 } else { 1e-4 };
            assert!(
                rel(got as f64, want[t] as f64) < tol,
                "{name} step {t}: loss {got} vs torch {} (rel {:.2e})",
                want[t],
                rel(got as f64, want[t] as f64)
            );
            model.zero_grad();
            l.backward();
            opt.step(&model.parameters());
        }
        for (pname, p) in model.named_parameters() {
            let (_, w) = tensor(&st, &format!("final.{name}.{pname}"));
            let got = read(&p);
            let worst = got.iter().zip(&w).map(|(a, b)| (a - b).abs() as f64).fold(0.0, f64::max);
            assert!(worst < 2e-4, "{name}: final {pname} differs from torch by {worst:.2e}");
        }
    }
}

fn check_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: {g} vs torch {w}");
    }
}

/// Loss value and d loss / d input for a loss built by `f` from the input parameter.
fn loss_and_grad(
    device: &Device,
    input: &(Vec<usize>, Vec<f32>),
    f: impl Fn(&Tensor) -> Tensor,
) -> (Vec<f32>, Vec<f32>) {
    let p = Tensor::parameter(device, &input.1, &input.0).unwrap();
    let l = f(&p);
    l.backward();
    (read(&l), read(&p.grad().unwrap()))
}

#[test]
fn losses_match_pytorch() {
    let bytes = read_golden("losses.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let d = cpu();
    let ce_labels = Tensor::labels(&d, &labels(&st, "ce.labels"));
    for (key, eps) in [("eps0", 0.0f32), ("eps0_1", 0.1)] {
        let (l, g) = loss_and_grad(&d, &tensor(&st, "ce.logits"), |x| loss::cross_entropy(x, &ce_labels, eps));
        check_close(&l, &tensor(&st, &format!("ce.{key}.loss")).1, 1e-6, &format!("ce {key} loss"));
        check_close(&g, &tensor(&st, &format!("ce.{key}.grad")).1, 1e-6, &format!("ce {key} grad"));
    }
    let (shape, t) = tensor(&st, "bce.targets");
    let targets = Tensor::from_slice(&d, &t, &shape).unwrap();
    let (l, g) = loss_and_grad(&d, &tensor(&st, "bce.logits"), |x| loss::bce_with_logits(x, &targets));
    check_close(&l, &tensor(&st, "bce.loss").1, 1e-6, "bce loss");
    check_close(&g, &tensor(&st, "bce.grad").1, 1e-6, "bce grad");
    let (shape, t) = tensor(&st, "mse.target");
    let target = Tensor::from_slice(&d, &t, &shape).unwrap();
    let (l, g) = loss_and_grad(&d, &tensor(&st, "mse.pred"), |x| loss::mse(x, &target));
    check_close(&l, &tensor(&st, "mse.loss").1, 1e-6, "mse loss");
    check_close(&g, &tensor(&st, "mse.grad").1, 1e-6, "mse grad");
    let (shape, t) = tensor(&st, "huber.target");
    let target = Tensor::from_slice(&d, &t, &shape).unwrap();
    for (key, delta) in [("d1", 1.0f32), ("d0_5", 0.5)] {
        let (l, g) = loss_and_grad(&d, &tensor(&st, "huber.pred"), |x| loss::huber(x, &target, delta));
        check_close(&l, &tensor(&st, &format!("huber.{key}.loss")).1, 1e-6, &format!("huber {key} loss"));
        check_close(&g, &tensor(&st, &format!("huber.{key}.grad")).1, 1e-6, &format!("huber {key} grad"));
    }
}

#[test]
fn layers_match_pytorch() {
    let bytes = read_golden("layers.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let d = cpu();
    type Op = fn(&Tensor) -> Tensor;
    let ops: [(&str, Op); 4] = [
        ("gelu", |x| x.gelu()),
        ("leaky_relu", |x| x.leaky_relu(0.01)),
        ("log_softmax", |x| x.log_softmax(1)),
        ("softmax", |x| x.softmax(0)),
    ];
    for (name, op) in ops {
        let (shape, x) = tensor(&st, &format!("{name}.x"));
        let (_, w) = tensor(&st, &format!("{name}.w"));
        let p = Tensor::parameter(&d, &x, &shape).unwrap();
        let out = op(&p);
        out.mul(&Tensor::from_slice(&d, &w, &shape).unwrap()).sum().backward();
        check_close(&read(&out), &tensor(&st, &format!("{name}.out")).1, 1e-6, &format!("{name} out"));
        check_close(&read(&p.grad().unwrap()), &tensor(&st, &format!("{name}.grad")).1, 1e-6, &format!("{name} grad"));
    }
}
