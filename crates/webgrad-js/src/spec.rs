//! The package's plain objects — the model spec and the fit options — into webgrad's
//! configurations, with every mistake named ("spec.hidden[1] is 0 …").

use serde::Deserialize;
use webgrad_data::features::{InputFeature, expand_points};
use webgrad_data::{Dataset, Targets};
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, MlpConfig, OptimizerConfig, Preprocessing};

/// The keys of [`ModelSpec`] as JavaScript spells them (the binding refuses any other key: the
/// deserializer reads only these and would ignore a misspelt one).
pub const SPEC_KEYS: [&str; 10] =
    ["inputs", "hidden", "activation", "classes", "outputs", "dropout", "optimizer", "lr", "weightDecay", "seed"];

/// The keys of the fit options (`onEpoch` and `signal` are read by the binding).
pub const FIT_KEYS: [&str; 5] = ["epochs", "batchSize", "shuffle", "onEpoch", "signal"];

/// `new Mlp(spec)`. Exactly one of `classes` (classification, softmax cross-entropy) and
/// `outputs` (regression, MSE) is given.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelSpec {
    pub inputs: usize,
    #[serde(default = "default_hidden")]
    pub hidden: Vec<usize>,
    /// relu | leaky_relu | tanh | sigmoid | gelu | identity, for every hidden layer
    #[serde(default = "default_activation")]
    pub activation: String,
    #[serde(default)]
    pub classes: Option<usize>,
    #[serde(default)]
    pub outputs: Option<usize>,
    #[serde(default)]
    pub dropout: f32,
    /// sgd | momentum | nesterov | adam | adamw | rmsprop | adagrad, with PyTorch's defaults
    #[serde(default = "default_optimizer")]
    pub optimizer: String,
    /// [default: the optimizer's PyTorch default]
    #[serde(default)]
    pub lr: Option<f64>,
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// Initial weights and batch order [default: 1]
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_hidden() -> Vec<usize> {
    vec![32, 32]
}
fn default_activation() -> String {
    "relu".into()
}
fn default_optimizer() -> String {
    "adam".into()
}
fn default_seed() -> u64 {
    1
}

impl ModelSpec {
    /// The model and optimizer this spec describes, or the first thing wrong with it.
    pub fn build(&self) -> Result<(MlpConfig, OptimizerConfig), String> {
        let activation = ActivationName::parse(&self.activation).map_err(|e| format!("spec.activation: {e}"))?;
        let head = match (self.classes, self.outputs) {
            (Some(c), None) if c >= 2 => Head::Softmax { classes: c },
            (Some(c), None) => return Err(format!("spec.classes is {c}: a classifier needs at least 2 classes")),
            (None, Some(o)) if o >= 1 => Head::Linear { outputs: o },
            (None, Some(_)) => return Err("spec.outputs is 0: a regression needs at least 1 output".into()),
            _ => return Err("give exactly one of spec.classes (classification) and spec.outputs (regression)".into()),
        };
        let hidden =
            self.hidden.iter().map(|&width| LayerConfig { width, activation, dropout: self.dropout }).collect();
        let config = MlpConfig { input: self.inputs, hidden, head, init: Init::GlorotUniform };
        config.validate().map_err(|e| format!("spec: {e}"))?;
        let mut optimizer = OptimizerConfig::by_name(&self.optimizer).map_err(|e| format!("spec.optimizer: {e}"))?;
        if let Some(lr) = self.lr {
            if !(lr > 0.0 && lr.is_finite()) {
                return Err(format!("spec.lr is {lr}: give a positive number"));
            }
            optimizer.set_lr(lr);
        }
        if let Some(wd) = self.weight_decay {
            if !(wd >= 0.0 && wd.is_finite()) {
                return Err(format!("spec.weightDecay is {wd}: give a number ≥ 0"));
            }
            optimizer.set_weight_decay(wd);
        }
        optimizer.validate().map_err(|e| format!("spec: {e}"))?;
        Ok((config, optimizer))
    }
}

/// `fit(x, y, options)` without `onEpoch` (a function, read by the binding).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FitOptions {
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// [default: 32, or all the rows where there are fewer]
    #[serde(default)]
    pub batch_size: Option<usize>,
    #[serde(default = "default_true")]
    pub shuffle: bool,
}

fn default_epochs() -> usize {
    10
}
/// The batch size where `options.batchSize` is not given (at most the rows).
pub const DEFAULT_BATCH: usize = 32;
fn default_true() -> bool {
    true
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { epochs: default_epochs(), batch_size: None, shuffle: true }
    }
}

impl FitOptions {
    /// The batch size for `rows` training rows, or what is wrong with the options.
    pub fn batch(&self, rows: usize) -> Result<usize, String> {
        if self.epochs == 0 {
            return Err("options.epochs is 0".into());
        }
        match self.batch_size {
            None => Ok(DEFAULT_BATCH.min(rows).max(1)),
            Some(b) if b == 0 || b > rows => Err(format!("options.batchSize is {b}: give 1 to the {rows} rows")),
            Some(b) => Ok(b),
        }
    }
}

/// How many numbers a row of `x` holds for a model with `prep`: 2 (a point x1, x2) where the
/// model takes input features of 2-D points, else the model's inputs.
pub fn raw_width(prep: &Preprocessing, config: &MlpConfig) -> usize {
    if prep.input_features.is_some() { 2 } else { config.input }
}

/// The model's inputs `[rows, config.input]` from the rows `raw` as a user gives them: the
/// preprocessing a model file records applied in its order — a table's missing cells (NaN)
/// filled with its `fill_missing` values, as the training rows were, then the input features
/// of each point (x1, x2), then `scale`, then per-feature standardisation (all identity for a
/// new model). Errors name the argument and the first bad value's row.
pub fn model_inputs(
    prep: &Preprocessing,
    config: &MlpConfig,
    mut raw: Vec<f32>,
    what: &str,
) -> Result<Vec<f32>, String> {
    let d = raw_width(prep, config);
    if raw.is_empty() || !raw.len().is_multiple_of(d) {
        return Err(format!("{what}: x holds {} numbers, not a whole number of rows of {d} inputs", raw.len()));
    }
    if let Some(fill) = &prep.fill_missing {
        fill_missing_cells(&mut raw, d, fill).map_err(|e| format!("{what}: {e}"))?;
    }
    if let Some(i) = raw.iter().position(|v| !v.is_finite()) {
        let no_fill = if raw[i].is_nan() { " (the model records no values to fill missing cells with)" } else { "" };
        return Err(format!("{what}: x[{i}] (row {}) is {}{no_fill}", i / d, raw[i]));
    }
    let rows = raw.len() / d;
    let mut x = match &prep.input_features {
        Some(names) => {
            let features = names
                .iter()
                .map(|n| InputFeature::parse(n))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{what}: the model's preprocessing: {e}"))?;
            expand_points(&raw, &features)
        }
        None => raw,
    };
    if Some(x.len()) != rows.checked_mul(config.input) {
        let width = x.len() / rows;
        return Err(format!("{what}: the model's input features make rows of {width} numbers, not {}", config.input));
    }
    if let Some(s) = prep.scale {
        x.iter_mut().for_each(|v| *v *= s);
    }
    if let Some(s) = &prep.standardize {
        s.check(config.input, "the model's input standardisation").map_err(|e| format!("{what}: {e}"))?;
        x.chunks_exact_mut(config.input).for_each(|row| s.apply_row(row));
    }
    Ok(x)
}

/// Fills each NaN of `rows` (row-major, `d` values a row, `rows.len()` a multiple of `d`)
/// with its column's value of `fill`; infinities stay (they are not missing, and are refused
/// after).
fn fill_missing_cells(rows: &mut [f32], d: usize, fill: &[f32]) -> Result<(), String> {
    if fill.len() != d {
        return Err(format!("the model's fill_missing holds {} values for rows of {d} inputs", fill.len()));
    }
    for row in rows.chunks_exact_mut(fill.len()) {
        for (v, &f) in row.iter_mut().zip(fill) {
            if v.is_nan() {
                *v = f;
            }
        }
    }
    Ok(())
}

/// The rows `x` (`[rows, inputs]`, row-major) with targets `y` as a dataset for `config`: class
/// indices (integers below the class count) for a classifier, `[rows, outputs]` values for a
/// regression. Errors say which argument and which row.
pub fn dataset(config: &MlpConfig, x: Vec<f32>, y: &[f64], what: &str) -> Result<Dataset, String> {
    let d = config.input;
    if x.is_empty() || !x.len().is_multiple_of(d) {
        return Err(format!("{what}: x holds {} numbers, not a whole number of rows of {d} inputs", x.len()));
    }
    let rows = x.len() / d;
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(format!("{what}: x[{i}] (row {}) is {}", i / d, x[i]));
    }
    let targets = match config.head {
        Head::Softmax { classes } => {
            if y.len() != rows {
                return Err(format!("{what}: y holds {} labels for {rows} rows", y.len()));
            }
            let mut labels = Vec::with_capacity(rows);
            for (row, &v) in y.iter().enumerate() {
                if !(v >= 0.0 && v.fract() == 0.0 && v < classes as f64) {
                    return Err(format!("{what}: y[{row}] is {v}, not a class index from 0 to {}", classes - 1));
                }
                labels.push(v as u32);
            }
            Targets::Classes { labels, classes, names: webgrad_data::numbered_names(classes) }
        }
        _ => {
            let outputs = config.head.outputs();
            if Some(y.len()) != rows.checked_mul(outputs) {
                return Err(format!("{what}: y holds {} values for {rows} rows of {outputs} outputs", y.len()));
            }
            if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                return Err(format!("{what}: y[{i}] is {}", y[i]));
            }
            Targets::Regression { values: y.iter().map(|&v| v as f32).collect(), outputs }
        }
    };
    Dataset::new(what, x, rows, d, targets, None).map_err(|e| e.to_string())
}

/// Softmax of each row of `logits` (`[rows, k]`): the class probabilities `predict` returns.
pub fn softmax_rows(logits: &mut [f32], k: usize) {
    for row in logits.chunks_exact_mut(k) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> ModelSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn specs_build_models_and_name_mistakes() {
        let (cfg, opt) = spec(r#"{"inputs": 2, "hidden": [16, 8], "activation": "tanh", "classes": 3, "lr": 0.01}"#)
            .build()
            .unwrap();
        assert_eq!(
            cfg.torch_expression(),
            "nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))"
        );
        assert_eq!(opt.lr(), 0.01);
        let err = |json: &str| spec(json).build().unwrap_err();
        assert!(err(r#"{"inputs": 2}"#).contains("exactly one of spec.classes"));
        assert!(err(r#"{"inputs": 2, "classes": 1}"#).contains("at least 2 classes"));
        assert!(err(r#"{"inputs": 2, "outputs": 1, "activation": "swish"}"#).contains("spec.activation"));
        assert!(err(r#"{"inputs": 2, "outputs": 1, "lr": -1}"#).contains("spec.lr is -1"));
        assert!(err(r#"{"inputs": 2, "outputs": 1, "optimizer": "lion"}"#).contains("spec.optimizer"));
        assert!(serde_json::from_str::<ModelSpec>(r#"{"inputs": 2, "classes": 2, "layers": 3}"#).is_err());
    }

    #[test]
    fn data_is_checked_row_by_row() {
        let (cfg, _) = spec(r#"{"inputs": 2, "classes": 2}"#).build().unwrap();
        let ds = dataset(&cfg, vec![0.0, 1.0, 2.0, 3.0], &[0.0, 1.0], "fit").unwrap();
        assert_eq!((ds.n, ds.d), (2, 2));
        assert!(dataset(&cfg, vec![0.0; 3], &[0.0], "fit").unwrap_err().contains("not a whole number of rows"));
        assert!(dataset(&cfg, vec![0.0; 4], &[0.0, 2.0], "fit").unwrap_err().contains("y[1] is 2"));
        assert!(
            dataset(&cfg, vec![0.0, f32::NAN, 0.0, 0.0], &[0.0, 1.0], "fit")
                .unwrap_err()
                .contains("x[1] (row 0) is NaN")
        );
        let (reg, _) = spec(r#"{"inputs": 1, "outputs": 2}"#).build().unwrap();
        assert!(
            dataset(&reg, vec![0.0, 1.0], &[0.0, 1.0, 2.0], "fit")
                .unwrap_err()
                .contains("3 values for 2 rows of 2 outputs")
        );
        let opts = |batch_size| FitOptions { batch_size, ..FitOptions::default() };
        assert!(opts(Some(5)).batch(4).unwrap_err().contains("batchSize is 5"));
        // the default batch is 32, or every row of a smaller set
        assert_eq!((opts(None).batch(4), opts(None).batch(1000), opts(Some(7)).batch(8)), (Ok(4), Ok(32), Ok(7)));
        assert_eq!(FitOptions { epochs: 0, ..opts(None) }.batch(4).unwrap_err(), "options.epochs is 0");
    }

    #[test]
    fn a_files_preprocessing_is_applied_in_its_order() {
        let (cfg, _) = spec(r#"{"inputs": 3, "outputs": 1}"#).build().unwrap();
        // a new model's inputs go in as they are
        assert_eq!(
            model_inputs(&Preprocessing::default(), &cfg, vec![1.0, 2.0, 3.0], "predict"),
            Ok(vec![1.0, 2.0, 3.0])
        );
        // the page's 2-D lesson: (x1, x2) → [x1, x1², sin x2], then scaled, then standardised
        let prep = Preprocessing {
            input_features: Some(vec!["x1".into(), "x1sq".into(), "sinx2".into()]),
            scale: Some(2.0),
            standardize: Some(webgrad_data::standardize::Standardizer {
                mean: vec![0.0, 1.0, 0.0],
                std: vec![1.0, 2.0, 1.0],
            }),
            target_standardize: None,
            columns: None,
            fill_missing: None,
        };
        assert_eq!(raw_width(&prep, &cfg), 2);
        let x = model_inputs(&prep, &cfg, vec![3.0, 0.0, -1.0, 0.0], "predict").unwrap();
        assert_eq!(x, vec![6.0, 8.5, 0.0, -2.0, 0.5, 0.0]);
        let err = |raw: Vec<f32>| model_inputs(&prep, &cfg, raw, "predict").unwrap_err();
        assert_eq!(err(vec![1.0, 2.0, 3.0]), "predict: x holds 3 numbers, not a whole number of rows of 2 inputs");
        assert_eq!(err(vec![1.0, 2.0, f32::INFINITY, 0.0]), "predict: x[2] (row 1) is inf");
        // a file whose features do not make the model's inputs is refused, not a panic
        let two = Preprocessing { input_features: Some(vec!["x1".into(), "x2".into()]), ..prep.clone() };
        assert!(model_inputs(&two, &cfg, vec![1.0, 2.0], "fit").unwrap_err().contains("rows of 2 numbers, not 3"));
        let stats = webgrad_data::standardize::Standardizer { mean: vec![0.0; 2], std: vec![1.0; 2] };
        let short = Preprocessing { input_features: None, scale: None, standardize: Some(stats), ..prep };
        assert!(model_inputs(&short, &cfg, vec![1.0, 2.0, 3.0], "fit").unwrap_err().contains("standardisation"));
    }

    #[test]
    fn a_tables_missing_cells_are_filled_as_in_training() {
        let (cfg, _) = spec(r#"{"inputs": 3, "outputs": 1}"#).build().unwrap();
        let nan = f32::NAN;
        let plain = model_inputs(&Preprocessing::default(), &cfg, vec![1.0, nan, 3.0], "predict").unwrap_err();
        assert_eq!(plain, "predict: x[1] (row 0) is NaN (the model records no values to fill missing cells with)");
        // filled per column before standardisation, which then applies to the filled value
        let prep = Preprocessing {
            fill_missing: Some(vec![10.0, 20.0, 30.0]),
            standardize: Some(webgrad_data::standardize::Standardizer { mean: vec![0.0; 3], std: vec![1.0, 2.0, 1.0] }),
            ..Preprocessing::default()
        };
        let x = model_inputs(&prep, &cfg, vec![nan, 4.0, 5.0, 6.0, nan, nan], "predict").unwrap();
        assert_eq!(x, vec![10.0, 2.0, 5.0, 6.0, 10.0, 30.0]);
        // an infinity is not a missing cell
        let inf = model_inputs(&prep, &cfg, vec![1.0, f32::NEG_INFINITY, 3.0], "fit").unwrap_err();
        assert_eq!(inf, "fit: x[1] (row 0) is -inf");
        // fill values of another width (a hand-made preprocessing) are refused, not misapplied
        let short = Preprocessing { fill_missing: Some(vec![1.0, 2.0]), ..Preprocessing::default() };
        let err = model_inputs(&short, &cfg, vec![1.0, 2.0, 3.0], "predict").unwrap_err();
        assert_eq!(err, "predict: the model's fill_missing holds 2 values for rows of 3 inputs");
    }

    #[test]
    fn softmax_rows_sum_to_one() {
        let mut z = vec![1.0, 2.0, 3.0, 1000.0, 0.0, -1000.0];
        softmax_rows(&mut z, 3);
        assert!((z[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(z[2] > z[1] && z[1] > z[0]);
        assert_eq!(&z[3..], &[1.0, 0.0, 0.0]);
    }
}
