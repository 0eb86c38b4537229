//! Regression targets standardised on the training split: `evaluate_scaled` maps the outputs
//! back exactly (`y = z · std + mean`) and reports in the targets' units, with the loss on the
//! standardised targets; the statistics survive a saved model and a checkpoint; files that get
//! them wrong are refused.

use pollster::block_on;
use webgrad_core::{Tensor, no_grad};
use webgrad_data::{Dataset, Standardizer, TargetScaling, Targets, numbered_names, train_test_split};
use webgrad_nn::metrics::regression_report;
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, ModelFile, Optimizer, OptimizerConfig,
    Preprocessing, Report, Schedule, TrainConfig, Trainer, checkpoint, evaluate, evaluate_scaled, io,
};

/// 200 rows, 3 features; two targets on their own scales: `90 + 11·(x0 − x1/2)` plus a wobble,
/// and `−4000 + 300·x2`.
fn two_targets() -> Dataset {
    let n = 200;
    let mut features = Vec::new();
    let mut values = Vec::new();
    for i in 0..n {
        let x = [((i * 37) % 101) as f32 / 50.0 - 1.0, ((i * 11) % 23) as f32 / 11.0 - 1.0, (i % 7) as f32 / 3.0 - 1.0];
        features.extend(x);
        values.extend([90.0 + 11.0 * (x[0] - 0.5 * x[1]) + (i as f32).sin(), -4000.0 + 300.0 * x[2]]);
    }
    Dataset::new("two", features, n, 3, Targets::Regression { values, outputs: 2 }, None).unwrap()
}

fn config(head: Head) -> MlpConfig {
    let hidden = vec![LayerConfig { width: 8, activation: ActivationName::Tanh, dropout: 0.0 }];
    MlpConfig { input: 3, hidden, head, init: Init::GlorotUniform }
}

/// A model trained a few steps on `train` with standardised targets; returns it with the
/// statistics.
fn trained(train: &Dataset) -> (Trainer, Standardizer) {
    let s = TargetScaling::Standardize.fit(&train.targets).expect("regression targets");
    let mut scaled = train.clone();
    s.apply_targets(&mut scaled).unwrap();
    let model = Mlp::new(&webgrad_core::cpu(), config(Head::Linear { outputs: 2 }), 3).unwrap();
    let opt = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let mut t = Trainer::new(model, opt, TrainConfig::new(32, 2, 5, Loss::Mse)).unwrap();
    for _ in 0..40 {
        t.step(&scaled).unwrap();
    }
    (t, s)
}

#[test]
fn evaluate_scaled_maps_outputs_back_exactly_and_keeps_the_loss_in_training_units() {
    let (train, test) = train_test_split(&two_targets(), 0.25, 2).unwrap();
    let (t, s) = trained(&train);
    // the statistics are the training split's, per output
    let Targets::Regression { values, .. } = &train.targets else { unreachable!() };
    let mean0 = values.iter().step_by(2).map(|&v| v as f64).sum::<f64>() / train.n as f64;
    assert!((s.mean[0] as f64 - mean0).abs() < 1e-4 && s.mean[1] < -3000.0 && s.std[1] > 100.0, "{s:?}");

    let ev = block_on(evaluate_scaled(&t.model, &test, Loss::Mse, Some(&s))).unwrap();
    // outputs: the model's z for each test row, mapped back with y = z·std + mean
    let z = no_grad(|| {
        t.model.forward(&Tensor::from_slice(t.model.device(), &test.features, &[test.n, 3]).unwrap(), false, 0)
    });
    let z = block_on(z.to_vec()).unwrap();
    let expected: Vec<f32> = z.iter().enumerate().map(|(i, &z)| z * s.std[i % 2] + s.mean[i % 2]).collect();
    assert_eq!(ev.outputs, expected);
    // the report compares those with the test targets in their own units
    let Targets::Regression { values: truth, .. } = &test.targets else { unreachable!() };
    assert_eq!(ev.report, Report::Regression(regression_report(&expected, truth)));
    let Report::Regression(r) = &ev.report else { unreachable!() };
    assert!(r.r2 > 0.5, "40 steps learn most of it: {r:?}");
    // the loss is the one on standardised targets, as `evaluate` gives on a standardised split
    let mut scaled_test = test.clone();
    s.apply_targets(&mut scaled_test).unwrap();
    let plain = block_on(evaluate(&t.model, &scaled_test, Loss::Mse)).unwrap();
    assert_eq!(ev.loss, plain.loss);
    assert_eq!(
        Report::Regression(regression_report(
            &plain.outputs,
            match &scaled_test.targets {
                Targets::Regression { values, .. } => values,
                _ => unreachable!(),
            }
        )),
        plain.report
    );
    // without statistics, `evaluate_scaled` is `evaluate`
    assert_eq!(
        block_on(evaluate_scaled(&t.model, &test, Loss::Mse, None)).unwrap(),
        block_on(evaluate(&t.model, &test, Loss::Mse)).unwrap()
    );

    // statistics of another width, or for class labels, are errors
    let one = Standardizer { mean: vec![0.0], std: vec![1.0] };
    let e = block_on(evaluate_scaled(&t.model, &test, Loss::Mse, Some(&one))).unwrap_err().to_string();
    assert_eq!(e, "two-test: the target standardizer has 1 means and 1 stds, expected 2 of each");
    let labels = Targets::Classes { labels: vec![0; 4], classes: 2, names: numbered_names(2) };
    let classes = Dataset::new("c", vec![0.0; 12], 4, 3, labels, None).unwrap();
    let model = Mlp::new(&webgrad_core::cpu(), config(Head::Softmax { classes: 2 }), 1).unwrap();
    let ce = Loss::CrossEntropy { label_smoothing: 0.0 };
    let e = block_on(evaluate_scaled(&model, &classes, ce, Some(&s))).unwrap_err().to_string();
    assert_eq!(e, "c: target standardisation is for regression targets");
}

#[test]
fn saved_models_and_checkpoints_keep_the_target_statistics() {
    let (train, test) = train_test_split(&two_targets(), 0.25, 2).unwrap();
    let (t, s) = trained(&train);
    let pre = Preprocessing { target_standardize: Some(s.clone()), ..Preprocessing::default() };
    let file = ModelFile::new(&t.model.config, Vec::new(), pre.clone(), "two");

    // a saved model: its description carries the statistics, and predicting with it maps back
    let bytes = block_on(io::save_weights(&t.model, &file)).unwrap();
    let (model, loaded) = io::load_model(&webgrad_core::cpu(), &bytes, None, "m.safetensors").unwrap();
    assert_eq!(loaded.preprocessing, pre);
    let want = block_on(evaluate_scaled(&t.model, &test, Loss::Mse, Some(&s))).unwrap();
    let x = Tensor::from_slice(model.device(), &test.features, &[test.n, 3]).unwrap();
    let mut outputs = block_on(no_grad(|| model.forward(&x, false, 0)).to_vec()).unwrap();
    loaded.preprocessing.outputs_to_predictions(&mut outputs);
    assert_eq!(outputs, want.outputs);

    // a checkpoint: the resumed trainer's description has the same statistics
    let ck = block_on(checkpoint::save(&t, &file)).unwrap();
    let (resumed, ck_file) = checkpoint::load(&webgrad_core::cpu(), &ck, "ck.safetensors").unwrap();
    assert_eq!(ck_file.preprocessing.target_standardize, Some(s.clone()));
    let again =
        block_on(evaluate_scaled(&resumed.model, &test, Loss::Mse, ck_file.preprocessing.target_standardize.as_ref()));
    assert_eq!(again.unwrap(), want);

    // a description written before target scaling existed loads, with none
    let mut json: serde_json::Value = serde_json::from_str(&file.to_json()).unwrap();
    json["preprocessing"].as_object_mut().unwrap().remove("target_standardize");
    let old = ModelFile::from_json(&json.to_string(), "old.json").unwrap();
    assert_eq!(old.preprocessing.target_standardize, None);
    let mut untouched = vec![1.5f32, -2.0];
    old.preprocessing.outputs_to_predictions(&mut untouched);
    assert_eq!(untouched, [1.5, -2.0]);
}

#[test]
fn descriptions_with_wrong_target_statistics_are_refused() {
    let file = |head: Head, mean: Vec<f32>, std: Vec<f32>| {
        let pre = Preprocessing { target_standardize: Some(Standardizer { mean, std }), ..Preprocessing::default() };
        ModelFile::new(&config(head), Vec::new(), pre, "x").to_json()
    };
    let linear = Head::Linear { outputs: 2 };
    let cases = [
        (file(linear.clone(), vec![0.0], vec![1.0]), "has 1 means and 1 stds, expected 2 of each"),
        (file(linear.clone(), vec![0.0, 1.0], vec![1.0, 0.0]), "std 1 is 0 (expected a finite number > 0)"),
        (file(linear.clone(), vec![0.0, 1.0], vec![1.0, -3.0]), "std 1 is -3 (expected a finite number > 0)"),
        (file(Head::Softmax { classes: 2 }, vec![0.0], vec![1.0]), "for regression models (a linear head) only"),
    ];
    for (json, want) in cases {
        let e = ModelFile::from_json(&json, "bad.json").unwrap_err().to_string();
        assert!(e.starts_with("bad.json: preprocessing.target_standardize") && e.contains(want), "{e}");
    }
    // JSON has no NaN: a null mean is not a number at all
    let nan =
        file(linear, vec![0.0, 1.0], vec![1.0, 1.0]).replace("\"mean\": [\n        0.0,", "\"mean\": [\n        null,");
    assert!(ModelFile::from_json(&nan, "nan.json").is_err(), "{nan}");
}

/// A file's input standardisation is checked as its targets' is: one finite mean and one finite,
/// positive std per model input (before, the CLI applied any, dividing by 0 or a negative std).
#[test]
fn descriptions_with_wrong_input_statistics_are_refused() {
    let cfg = config(Head::Linear { outputs: 2 });
    let n = cfg.input;
    let file = |mean: Vec<f32>, std: Vec<f32>| {
        let pre = Preprocessing { standardize: Some(Standardizer { mean, std }), ..Preprocessing::default() };
        ModelFile::new(&cfg, Vec::new(), pre, "x").to_json()
    };
    assert!(ModelFile::from_json(&file(vec![0.5; n], vec![2.0; n]), "good.json").is_ok());
    let mut zero = vec![1.0; n];
    zero[1] = 0.0;
    let mut negative = vec![1.0; n];
    negative[0] = -1.0;
    let cases = [
        (
            file(vec![0.0; n - 1], vec![1.0; n - 1]),
            format!("has {} means and {} stds, expected {n} of each", n - 1, n - 1),
        ),
        (file(vec![0.0; n], zero), "std 1 is 0 (expected a finite number > 0)".to_string()),
        (file(vec![0.0; n], negative), "std 0 is -1 (expected a finite number > 0)".to_string()),
    ];
    for (json, want) in cases {
        let e = ModelFile::from_json(&json, "bad.json").unwrap_err().to_string();
        assert!(e.starts_with("bad.json: preprocessing.standardize") && e.contains(&want), "{e}");
    }
}

/// A file's input features are checked against its model: known names, each once, one per input.
#[test]
fn input_features_must_name_each_model_input_once() {
    let cfg = config(Head::Linear { outputs: 2 });
    let with = |names: &[&str]| Preprocessing {
        input_features: Some(names.iter().map(|n| n.to_string()).collect()),
        ..Preprocessing::default()
    };
    let inputs = cfg.input;
    let names = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"];
    assert_eq!(with(&names[..inputs]).check(&cfg), Ok(()));
    let e = with(&names[..inputs - 1]).check(&cfg).unwrap_err();
    assert_eq!(
        e,
        format!("preprocessing.input_features names {} features but the model takes {inputs} inputs", inputs - 1)
    );
    let mut twice = names[..inputs].to_vec();
    twice[inputs - 1] = "x1";
    assert_eq!(with(&twice).check(&cfg).unwrap_err(), "preprocessing.input_features names x1 twice");
    let mut unknown = names[..inputs].to_vec();
    unknown[0] = "cosx1";
    assert!(with(&unknown).check(&cfg).unwrap_err().starts_with("preprocessing.input_features: 'cosx1' is not"));
}

/// A file's recorded CSV columns and fill values are checked against its model: as wide as its
/// inputs, each column once, categories in each text column, a finite fill value per input.
#[test]
fn recorded_columns_and_fill_values_must_fit_the_model() {
    use webgrad_data::FeatureColumn;
    let cfg = config(Head::Linear { outputs: 2 });
    let inputs = cfg.input;
    let numeric = |name: &str| FeatureColumn { name: name.into(), categories: None };
    let text = |name: &str, k: usize| FeatureColumn {
        name: name.into(),
        categories: Some((0..k).map(|i| i.to_string()).collect()),
    };
    let with = |columns: Vec<FeatureColumn>| Preprocessing { columns: Some(columns), ..Preprocessing::default() };
    let mut fits = vec![text("color", inputs - 1), numeric("size")];
    assert_eq!(with(fits.clone()).check(&cfg), Ok(()));
    let e = with(vec![numeric("size")]).check(&cfg).unwrap_err();
    assert_eq!(e, format!("preprocessing.columns make 1 features but the model's data has {inputs}"));
    // a 2-D table's model records its points' columns and the features it takes of them
    let plane = Preprocessing {
        columns: Some(vec![numeric("a"), numeric("b")]),
        input_features: Some((["x1", "x2", "x1sq"][..inputs]).iter().map(|f| f.to_string()).collect()),
        fill_missing: Some(vec![0.0, 1.0]),
        ..Preprocessing::default()
    };
    assert_eq!(plane.check(&cfg), Ok(()));
    fits[1].name = "color".into();
    assert_eq!(with(fits).check(&cfg).unwrap_err(), "preprocessing.columns names 'color' twice");
    let mut empty = vec![text("color", 0)];
    empty.extend((0..inputs).map(|i| numeric(&format!("x{i}"))));
    assert_eq!(with(empty).check(&cfg).unwrap_err(), "preprocessing.columns: column 'color' has no categories");
    let fill = |values: Vec<f32>| Preprocessing { fill_missing: Some(values), ..Preprocessing::default() };
    assert_eq!(fill(vec![0.5; inputs]).check(&cfg), Ok(()));
    let want = format!(
        "preprocessing.fill_missing needs {inputs} finite values, one per feature of the data (it has {inputs})"
    );
    assert_eq!(fill(vec![f32::NAN; inputs]).check(&cfg).unwrap_err(), want);
    assert!(fill(vec![0.0; inputs + 1]).check(&cfg).is_err());
}
