use pollster::block_on;
use webgrad_data::synthetic;
use webgrad_nn::*;
#[test]
fn eps_curve() {
    block_on(async {
        for (act, ds) in [(ActivationName::Tanh, "spiral"), (ActivationName::Relu, "spiral")] {
            let data = synthetic::by_name(ds, 256, 0.1, 3).unwrap();
            let hidden = vec![
                LayerConfig { width: 16, activation: act, dropout: 0.0 },
                LayerConfig { width: 8, activation: ActivationName::Sigmoid, dropout: 0.0 },
            ];
            let config = MlpConfig { input: 2, hidden, head: Head::Softmax { classes: 2 }, init: Init::GlorotUniform };
            let model = Mlp::new(&webgrad_core::cpu(), config, 5).unwrap();
            let opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
            let mut t =
                Trainer::new(model, opt, TrainConfig::new(64, 10, 1, Loss::CrossEntropy { label_smoothing: 0.0 }))
                    .unwrap();
            for _ in 0..3 {
                t.step(&data).unwrap();
            }
            for eps in [1e-1f32, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4] {
                let c = t.check_gradients(&data, eps, 64, 7).await.unwrap();
                let med = |l: usize| {
                    let mut v: Vec<f64> = c.layers[l].iter().map(|w| w.rel_err).collect();
                    v.sort_by(f64::total_cmp);
                    v[v.len() / 2]
                };
                eprintln!(
                    "{act:?} eps {eps:e}: max {:.1e} {:.1e} {:.1e}  median {:.1e} {:.1e} {:.1e}",
                    c.max_rel_err(0),
                    c.max_rel_err(1),
                    c.max_rel_err(2),
                    med(0),
                    med(1),
                    med(2)
                );
            }
        }
    });
}
