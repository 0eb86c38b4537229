//! The package's plain objects — the model spec and the fit options — into webgrad's
//! configurations, with every mistake named ("spec.hidden[1] is 0 …").

use serde::Deserialize;
use webgrad_data::{Dataset, Targets};
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, MlpConfig, OptimizerConfig};

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
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default = "default_true")]
    pub shuffle: bool,
}

fn default_epochs() -> usize {
    10
}
fn default_batch() -> usize {
    32
}
fn default_true() -> bool {
    true
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { epochs: default_epochs(), batch_size: default_batch(), shuffle: true }
    }
}

impl FitOptions {
    pub fn check(&self, rows: usize) -> Result<(), String> {
        if self.epochs == 0 {
            return Err("options.epochs is 0".into());
        }
        if self.batch_size == 0 || self.batch_size > rows {
            return Err(format!("options.batchSize is {}: give 1 to the {rows} rows", self.batch_size));
        }
        Ok(())
    }
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
        assert!(FitOptions { batch_size: 5, ..FitOptions::default() }.check(4).unwrap_err().contains("batchSize is 5"));
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
