//! Runs natively and in headless Chromium: seeded initial weights are bit-identical on both, a
//! model learns, a checkpoint resumes bit for bit, and a saved model loads back exactly.

use webgrad_core::{Tensor, dual_test};
use webgrad_data::{Dataset, synthetic, train_test_split};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, ModelFile, Optimizer, OptimizerConfig,
    Preprocessing, Report, Schedule, TrainConfig, Trainer, checkpoint, evaluate, io,
};

fn fnv(bits: impl Iterator<Item = u32>) -> u64 {
    bits.fold(0xcbf29ce484222325u64, |h, b| {
        b.to_le_bytes().iter().fold(h, |h, &x| (h ^ x as u64).wrapping_mul(0x100000001b3))
    })
}

fn mlp_config(input: usize, hidden: &[usize], act: ActivationName, dropout: f32, head: Head, init: Init) -> MlpConfig {
    MlpConfig {
        input,
        hidden: hidden.iter().map(|&width| LayerConfig { width, activation: act, dropout }).collect(),
        head,
        init,
    }
}

async fn weights_hash(model: &Mlp) -> u64 {
    let mut all = Vec::new();
    for p in model.parameters() {
        all.extend(p.to_vec().await.unwrap().into_iter().map(f32::to_bits));
    }
    fnv(all.into_iter())
}

fn circle() -> (Dataset, Dataset) {
    train_test_split(&synthetic::circle(240, 0.05, 3), 0.25, 3).unwrap()
}

fn trainer(train: &Dataset) -> Trainer {
    let device = webgrad_core::cpu();
    let cfg =
        mlp_config(train.d, &[8, 8], ActivationName::Tanh, 0.1, Head::Softmax { classes: 2 }, Init::GlorotUniform);
    let model = Mlp::new(&device, cfg, 5).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    opt.config.set_lr(0.03);
    opt.clip_grad_norm = Some(5.0);
    let config =
        TrainConfig { l1: 0.0, l2: 1e-4, ..TrainConfig::new(16, 3, 9, Loss::CrossEntropy { label_smoothing: 0.0 }) };
    Trainer::new(model, opt, config).unwrap()
}

/// A checkpoint of 3 steps on the circle with its settings' JSON rewritten by `edit`.
async fn crafted_checkpoint(edit: impl Fn(&str) -> String) -> Vec<u8> {
    let (train, _) = circle();
    let mut t = trainer(&train);
    run_steps(&mut t, &train, 3).await;
    let file = ModelFile::new(&t.model.config, vec![], Preprocessing::default(), "circle");
    let bytes = checkpoint::save(&t, &file).await.unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = header.metadata().clone().unwrap();
    let json = meta.get_mut("webgrad.checkpoint").unwrap();
    *json = edit(json);
    safetensors::serialize(st.tensors(), Some(meta)).unwrap()
}

async fn run_steps(t: &mut Trainer, data: &Dataset, steps: usize) -> Vec<u32> {
    let mut losses = Vec::new();
    for _ in 0..steps {
        losses.push(t.step(data).unwrap().loss.item().await.unwrap().to_bits());
    }
    losses
}

dual_test! {
    async fn same_seed_gives_bit_identical_initial_weights_everywhere() {
        let device = webgrad_core::cpu();
        let mnist = Mlp::new(&device, mlp_config(784, &[128, 64], ActivationName::Relu, 0.0, Head::Softmax { classes: 10 }, Init::GlorotUniform), 1).unwrap();
        let normal = Mlp::new(&device, mlp_config(5, &[7], ActivationName::Gelu, 0.0, Head::Linear { outputs: 2 }, Init::HeNormal), 7).unwrap();
        // Hashes computed natively; the browser must reproduce them bit for bit.
        assert_eq!((weights_hash(&mnist).await, weights_hash(&normal).await), (MNIST_INIT_HASH, HE_NORMAL_HASH), "cross-platform determinism broke");
    }

    async fn a_small_model_learns_the_circle() {
        let (train, test) = circle();
        let mut t = trainer(&train);
        let before = evaluate(&t.model, &test, t.config.loss).await.unwrap();
        let steps = 15 * t.steps_per_epoch(train.n);
        run_steps(&mut t, &train, steps).await;
        let after = evaluate(&t.model, &test, t.config.loss).await.unwrap();
        assert!(after.loss < 0.5 * before.loss, "test loss {} → {}", before.loss, after.loss);
        let Report::Classification(r) = after.report else { panic!("classification expected") };
        assert!(r.accuracy > 0.9, "accuracy {}", r.accuracy);
    }

    async fn checkpoint_resumes_bit_for_bit() {
        let (train, _) = circle();
        let per_epoch = trainer(&train).steps_per_epoch(train.n);
        let mut straight = trainer(&train);
        let all = run_steps(&mut straight, &train, 3 * per_epoch).await;

        let mut first = trainer(&train);
        let mut resumed_losses = run_steps(&mut first, &train, per_epoch + 2).await;
        let file = ModelFile::new(&first.model.config, vec![], Preprocessing::default(), "circle");
        let bytes = checkpoint::save(&first, &file).await.unwrap();
        drop(first);
        let (mut resumed, _) = checkpoint::load(&webgrad_core::cpu(), &bytes, "ckpt").unwrap();
        resumed_losses.extend(run_steps(&mut resumed, &train, 2 * per_epoch - 2).await);
        assert_eq!(all, resumed_losses);
        assert_eq!(weights_hash(&straight.model).await, weights_hash(&resumed.model).await);
    }

    async fn a_checkpoint_with_counters_no_run_reaches_is_refused() {
        // the optimizer step set to u64::MAX (counting on from it overflowed)
        let crafted = crafted_checkpoint(|json| {
            assert!(json.contains("\"optimizer_step\":3"), "{json}");
            json.replace("\"optimizer_step\":3", &format!("\"optimizer_step\":{}", u64::MAX))
        })
        .await;
        let e = checkpoint::load(&webgrad_core::cpu(), &crafted, "crafted.safetensors").err().unwrap().to_string();
        assert!(e.contains("crafted.safetensors: the checkpoint's counters are out of range"), "{e}");
    }

    async fn a_checkpoint_with_settings_a_new_run_refuses_is_refused_by_name() {
        // each edit of the saved settings, and the error it must give (before, a regression
        // loss on this softmax head loaded, and cross-entropy on a linear head panicked later)
        let cases = [
            ("{\"kind\":\"cross_entropy\",\"label_smoothing\":0.0}", "{\"kind\":\"mse\"}", "the loss mse does not fit the model's softmax head, which trains with cross_entropy"),
            ("\"label_smoothing\":0.0", "\"label_smoothing\":1.5", "label smoothing 1.5 must be in [0, 1]"),
            ("\"beta1\":0.9", "\"beta1\":1.0", "beta1 = 1 is out of range: it must be in [0, 1)"),
            ("{\"kind\":\"constant\"}", "{\"kind\":\"exponential\",\"gamma\":-1.0}", "schedule gamma -1 must be a positive number"),
        ];
        for (from, to, expected) in cases {
            let crafted = crafted_checkpoint(|json| {
                assert!(json.contains(from), "{from} not in {json}");
                json.replace(from, to)
            })
            .await;
            let e = checkpoint::load(&webgrad_core::cpu(), &crafted, "crafted.safetensors").err().unwrap().to_string();
            assert_eq!(e, format!("crafted.safetensors: {expected}"));
        }
    }

    async fn hidden_outputs_equal_a_host_computation_layer_by_layer() {
        let device = webgrad_core::cpu();
        let mut cfg = mlp_config(2, &[3, 2], ActivationName::Tanh, 0.5, Head::Softmax { classes: 2 }, Init::GlorotUniform);
        cfg.hidden[1].activation = ActivationName::Relu;
        let model = Mlp::new(&device, cfg, 7).unwrap();
        let x = [0.3f32, -1.2, 2.0, 0.5];
        let outputs = model.hidden_outputs(&Tensor::from_slice(&device, &x, &[2, 2]).unwrap());
        assert_eq!(outputs.len(), 2);
        // by hand: h = act(W h + b), row by row (dropout is off outside training)
        let mut h: Vec<Vec<f32>> = x.chunks(2).map(<[f32]>::to_vec).collect();
        for (l, out) in outputs.iter().enumerate() {
            let (w, b) = (model.layers[l].weight.to_vec().await.unwrap(), model.layers[l].bias.to_vec().await.unwrap());
            let width = b.len();
            assert_eq!(out.shape(), [2, width]);
            h = h
                .iter()
                .map(|row| {
                    (0..width)
                        .map(|o| {
                            let z = b[o] + row.iter().enumerate().map(|(i, v)| w[o * row.len() + i] * v).sum::<f32>();
                            if l == 0 { z.tanh() } else { z.max(0.0) }
                        })
                        .collect()
                })
                .collect();
            let got = out.to_vec().await.unwrap();
            for (g, want) in got.iter().zip(h.iter().flatten()) {
                assert!((g - want).abs() < 1e-6, "layer {l}: {g} vs {want}");
            }
        }
    }

    async fn with_x1_squared_and_x2_squared_circle_needs_no_hidden_layer() {
        use webgrad_data::features::{InputFeature, expand};
        let (train, test) = circle();
        let accuracy_with = |inputs: &[InputFeature]| {
            let (train, test) = (expand(&train, inputs).unwrap(), expand(&test, inputs).unwrap());
            async move {
                // a linear model: logistic regression on the chosen features
                let cfg = mlp_config(train.d, &[], ActivationName::Tanh, 0.0, Head::Softmax { classes: 2 }, Init::GlorotUniform);
                let model = Mlp::new(&webgrad_core::cpu(), cfg, 5).unwrap();
                let mut opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
                opt.config.set_lr(0.1);
                let config = TrainConfig::new(16, 1, 9, Loss::CrossEntropy { label_smoothing: 0.0 });
                let mut t = Trainer::new(model, opt, config).unwrap();
                let steps = 60 * t.steps_per_epoch(train.n);
                run_steps(&mut t, &train, steps).await;
                match evaluate(&t.model, &test, Loss::CrossEntropy { label_smoothing: 0.0 }).await.unwrap().report {
                    Report::Classification(r) => r.accuracy,
                    Report::Regression(_) => unreachable!("circle is classification"),
                }
            }
        };
        let squares = accuracy_with(&[InputFeature::X1Squared, InputFeature::X2Squared]).await;
        let plain = accuracy_with(&InputFeature::PLAIN).await;
        assert!(squares > 0.95, "with x1², x2²: {squares}");
        assert!(plain < 0.8, "with x1, x2 a line cannot separate a circle: {plain}");
    }

    async fn saved_model_loads_back_with_the_same_outputs() {
        let (train, test) = circle();
        let mut t = trainer(&train);
        run_steps(&mut t, &train, 10).await;
        let file = ModelFile::new(&t.model.config, vec!["in".into(), "out".into()], Preprocessing::default(), "circle");
        let bytes = io::save_weights(&t.model, &file).await.unwrap();
        let (loaded, loaded_file) = io::load_model(&webgrad_core::cpu(), &bytes, None, "model.safetensors").unwrap();
        assert_eq!(loaded_file, file);
        let x = Tensor::from_slice(t.model.device(), &test.features, &[test.n, test.d]).unwrap();
        let a = t.model.forward(&x, false, 0).to_vec().await.unwrap();
        let b = loaded.forward(&x, false, 0).to_vec().await.unwrap();
        assert_eq!(a, b);
        // a truncated or foreign file is an error that names it, and changes nothing
        assert!(io::load_model(&webgrad_core::cpu(), &bytes[..bytes.len() / 2], None, "half.safetensors").unwrap_err().to_string().contains("half.safetensors"));
        let other = Mlp::new(&webgrad_core::cpu(), mlp_config(2, &[3], ActivationName::Relu, 0.0, Head::Softmax { classes: 2 }, Init::HeUniform), 1).unwrap();
        let before = weights_hash(&other).await;
        let err = io::load_weights(&other, &bytes, "model.safetensors", None).unwrap_err().to_string();
        assert!(err.contains("shape"), "{err}");
        assert_eq!(weights_hash(&other).await, before);
    }
}

const MNIST_INIT_HASH: u64 = 18324904219457346111;
const HE_NORMAL_HASH: u64 = 13237693896496332699;
