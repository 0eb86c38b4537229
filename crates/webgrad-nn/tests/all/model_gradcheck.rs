//! The model-level gradient check (`Trainer::check_gradients`): a correct model's gradients
//! agree with central differences to well under 1e-3 at the default ε on a real batch; a
//! gradient made wrong by 10 % in one layer shows there and only there; the check leaves the
//! weights and the batch position as they were; and the error against ε is round-off at small
//! ε (it grows as ε shrinks).
#![cfg(not(target_arch = "wasm32"))]

use pollster::block_on;
use webgrad_data::synthetic;
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

fn trainer() -> (Trainer, webgrad_data::Dataset) {
    let data = synthetic::by_name("spiral", 256, 0.1, 3).unwrap();
    let hidden = vec![
        LayerConfig { width: 16, activation: ActivationName::Tanh, dropout: 0.0 },
        LayerConfig { width: 8, activation: ActivationName::Sigmoid, dropout: 0.0 },
    ];
    let config = MlpConfig { input: 2, hidden, head: Head::Softmax { classes: 2 }, init: Init::GlorotUniform };
    let model = Mlp::new(&webgrad_core::cpu(), config, 5).unwrap();
    let opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let loss = Loss::CrossEntropy { label_smoothing: 0.0 };
    (Trainer::new(model, opt, TrainConfig::new(64, 10, 1, loss)).unwrap(), data)
}

async fn weights(t: &Trainer) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for p in t.model.parameters() {
        out.push(p.to_vec().await.unwrap());
    }
    out
}

#[test]
fn a_correct_model_passes_and_a_wrong_gradient_shows_in_its_layer() {
    block_on(async {
        let (mut t, data) = trainer();
        for _ in 0..3 {
            t.step(&data).unwrap();
        }
        let before = weights(&t).await;
        let cursor = t.cursor;
        let eps = webgrad_nn::gradcheck::DEFAULT_EPS;
        let c = t.check_gradients(&data, eps, 32, 7).await.unwrap();
        assert_eq!(c.layers.len(), 3);
        assert_eq!(c.rows, 64);
        for l in 0..3 {
            // the output layer has 8·2 + 2 weights in all
            assert_eq!(c.layers[l].len(), [32, 32, 18][l], "layer {l}");
            assert!(c.median_rel_err(l) < 1e-3, "layer {l}: {:?}", c.layers[l]);
            assert!(c.max_rel_err(l) < 3e-2, "layer {l}: {:?}", c.layers[l]);
        }
        assert_eq!(weights(&t).await, before, "weights put back bit for bit");
        assert_eq!(t.cursor, cursor, "the batch position is unchanged");
        // the same check again finds the same numbers (nothing leaked into the parameters' grads)
        assert_eq!(t.check_gradients(&data, eps, 32, 7).await.unwrap(), c);

        // layer 2's weight gradient 10 % too large, as a wrong backward pass would make it
        let wrong = t.check_gradients_tampered(&data, eps, 32, 7, |i, g| {
            if i == 2 {
                g.iter_mut().for_each(|v| *v *= 1.1);
            }
        });
        let wrong = wrong.await.unwrap();
        assert!((wrong.median_rel_err(1) - 0.1 / 1.1).abs() < 5e-3, "{}", wrong.median_rel_err(1));
        assert!(wrong.median_rel_err(0) < 1e-3 && wrong.median_rel_err(2) < 1e-3);
        // a step too small for f32: round-off dominates
        let tiny = t.check_gradients(&data, 1e-6, 32, 7).await.unwrap();
        assert!(
            tiny.median_rel_err(0) > 10.0 * c.median_rel_err(0),
            "{} vs {}",
            tiny.median_rel_err(0),
            c.median_rel_err(0)
        );
        assert!(t.check_gradients(&data, 0.0, 16, 7).await.is_err());
    });
}

/// The host's f64 loss is the device's loss, for every loss the trainer can use.
#[test]
fn the_host_loss_is_the_devices_loss() {
    use webgrad_core::Tensor;
    let device = webgrad_core::cpu();
    let out: Vec<f32> = (0..12).map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0).collect();
    let values: Vec<f32> = (0..12).map(|i| ((i * 5 % 7) as f32 - 3.0) / 2.0).collect();
    let bits: Vec<u32> = (0..12).map(|i| (i % 3 == 0) as u32).collect();
    let logits = Tensor::from_slice(&device, &out, &[4, 3]).unwrap();
    let (classes, none): (Vec<u32>, Vec<u32>) = (vec![2, 0, 1, 2], Vec::new());
    for (loss, labels) in [
        (Loss::CrossEntropy { label_smoothing: 0.0 }, &classes),
        (Loss::CrossEntropy { label_smoothing: 0.2 }, &classes),
        (Loss::BceWithLogits, &bits),
        (Loss::Mse, &none),
        (Loss::Huber { delta: 0.7 }, &none),
    ] {
        let host = webgrad_nn::gradcheck::host_loss(&out, 4, loss, labels, &values).unwrap();
        let targets = match loss {
            Loss::CrossEntropy { .. } => Tensor::labels(&device, labels),
            Loss::BceWithLogits => {
                let t: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
                Tensor::from_slice(&device, &t, &[4, 3]).unwrap()
            }
            _ => Tensor::from_slice(&device, &values, &[4, 3]).unwrap(),
        };
        let dev = match loss {
            Loss::CrossEntropy { label_smoothing } => {
                webgrad_nn::loss::cross_entropy(&logits, &targets, label_smoothing)
            }
            Loss::BceWithLogits => webgrad_nn::loss::bce_with_logits(&logits, &targets),
            Loss::Mse => webgrad_nn::loss::mse(&logits, &targets),
            Loss::Huber { delta } => webgrad_nn::loss::huber(&logits, &targets, delta),
        };
        let dev = f64::from(block_on(dev.item()).unwrap());
        assert!((host - dev).abs() <= 1e-6 * dev.abs().max(1.0), "{loss:?}: host {host} vs device {dev}");
    }
}
