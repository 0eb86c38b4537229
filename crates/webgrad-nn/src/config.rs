//! The model description that travels with saved weights (`model.json`).

use serde::{Deserialize, Serialize};
use webgrad_core::{Activation, budget};
use webgrad_data::{Dataset, Targets};

/// The most hidden layers a model may have (CLI, page, links and imported files alike).
pub const MAX_HIDDEN_LAYERS: usize = 32;
/// The widest hidden layer, and the most outputs a regression head may have.
pub const MAX_WIDTH: usize = 65_536;
/// Rows a buffer may hold however small the batch: `evaluate`'s batch is 1,024 and the page's
/// decision boundary is a 48 × 48 grid.
pub const EVAL_ROWS: usize = 2304;
/// The most classes a softmax head may have (the data parsers' limit too).
pub const MAX_CLASSES: usize = webgrad_data::csv::MAX_CLASSES;

/// Activation names as users write them (and as PyTorch modules are named).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationName {
    Identity,
    Relu,
    /// PyTorch's default negative slope 0.01
    LeakyRelu,
    Sigmoid,
    Tanh,
    Gelu,
}

impl ActivationName {
    pub const ALL: [ActivationName; 6] =
        [Self::Identity, Self::Relu, Self::LeakyRelu, Self::Sigmoid, Self::Tanh, Self::Gelu];

    pub fn to_core(self) -> Activation {
        match self {
            Self::Identity => Activation::Identity,
            Self::Relu => Activation::Relu,
            Self::LeakyRelu => Activation::LeakyRelu(0.01),
            Self::Sigmoid => Activation::Sigmoid,
            Self::Tanh => Activation::Tanh,
            Self::Gelu => Activation::Gelu,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Relu => "relu",
            Self::LeakyRelu => "leaky_relu",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Gelu => "gelu",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|a| a.name()).collect();
            format!("unknown activation '{s}' (expected one of: {})", names.join(", "))
        })
    }

    /// The `torch.nn` module for this activation; `None` for identity (no module).
    pub fn torch_module(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Relu => Some("ReLU()"),
            Self::LeakyRelu => Some("LeakyReLU(0.01)"),
            Self::Sigmoid => Some("Sigmoid()"),
            Self::Tanh => Some("Tanh()"),
            Self::Gelu => Some("GELU()"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerConfig {
    pub width: usize,
    pub activation: ActivationName,
    /// Dropout probability after the activation, in [0, 1).
    #[serde(default)]
    pub dropout: f32,
}

/// The output head follows the task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Head {
    /// `classes` logits, softmax cross-entropy.
    Softmax { classes: usize },
    /// one logit, binary cross-entropy with logits.
    Sigmoid,
    /// `outputs` values, MSE or Huber.
    Linear { outputs: usize },
}

impl Head {
    /// The head a dataset's targets call for: softmax over its classes (at least 2), or one
    /// linear output per regression target.
    pub fn for_targets(targets: &Targets) -> Head {
        match targets {
            Targets::Classes { classes, .. } => Head::Softmax { classes: (*classes).max(2) },
            Targets::Regression { outputs, .. } => Head::Linear { outputs: *outputs },
        }
    }

    /// Its kind as the model's JSON writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Head::Softmax { .. } => "softmax",
            Head::Sigmoid => "sigmoid",
            Head::Linear { .. } => "linear",
        }
    }

    pub fn outputs(&self) -> usize {
        match *self {
            Head::Softmax { classes } => classes,
            Head::Sigmoid => 1,
            Head::Linear { outputs } => outputs,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// U(±√(6/(fan_in+fan_out))), zero bias (Keras' default; the MNIST reference uses it)
    GlorotUniform,
    /// N(0, 2/(fan_in+fan_out)), zero bias
    GlorotNormal,
    /// U(±√(6/fan_in)), zero bias
    HeUniform,
    /// N(0, 2/fan_in), zero bias
    HeNormal,
    /// PyTorch nn.Linear's default: weight and bias U(±1/√fan_in)
    TorchDefault,
}

/// An MLP: input → hidden layers (Linear, activation, dropout) → head Linear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub input: usize,
    pub hidden: Vec<LayerConfig>,
    pub head: Head,
    #[serde(default = "default_init")]
    pub init: Init,
}

fn default_init() -> Init {
    Init::GlorotUniform
}

/// A batch of `batch` rows can be drawn from `rows` training rows: at least 1 and at most all.
pub fn check_batch(batch: usize, rows: usize) -> Result<(), String> {
    if batch == 0 {
        return Err("the batch size must be at least 1".into());
    }
    if batch > rows {
        return Err(format!("batch size {batch} is larger than the {rows} training rows"));
    }
    Ok(())
}

impl MlpConfig {
    /// Checks what a user, a link or a file could get wrong, before anything is allocated: the
    /// message says which field, or how many bytes the weights would need against the memory
    /// budget (`webgrad_core::budget`).
    pub fn validate(&self) -> Result<(), String> {
        if self.input == 0 {
            return Err("model input size is 0".into());
        }
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(format!("{} hidden layers (the most is {MAX_HIDDEN_LAYERS})", self.hidden.len()));
        }
        for (i, l) in self.hidden.iter().enumerate() {
            if l.width == 0 {
                return Err(format!("hidden layer {} has width 0", i + 1));
            }
            if l.width > MAX_WIDTH {
                return Err(format!("hidden layer {} has width {} (the most is {MAX_WIDTH})", i + 1, l.width));
            }
            if !(0.0..1.0).contains(&l.dropout) {
                return Err(format!("hidden layer {} dropout {} is not in [0, 1)", i + 1, l.dropout));
            }
        }
        match self.head {
            Head::Softmax { classes } if classes < 2 => {
                return Err(format!("a softmax head needs ≥ 2 classes, got {classes}"));
            }
            Head::Softmax { classes } if classes > MAX_CLASSES => {
                return Err(format!("{classes} classes (the most is {MAX_CLASSES})"));
            }
            Head::Linear { outputs: 0 } => return Err("a linear head needs ≥ 1 output".into()),
            Head::Linear { outputs } if outputs > MAX_WIDTH => {
                return Err(format!("{outputs} regression outputs (the most is {MAX_WIDTH})"));
            }
            _ => {}
        }
        budget::check("the model", self.parameter_bytes(), " for its weights")?;
        budget::check_allocation("the model's largest weight matrix", self.largest_weights_bytes())
    }

    /// The f32 bytes of the largest weight matrix (saturating).
    pub fn largest_weights_bytes(&self) -> u64 {
        let shapes = self.linear_shapes();
        let largest = shapes.iter().map(|&(i, o)| budget::product(&[i as u64, o as u64])).max().unwrap_or(0);
        budget::product(&[4, largest])
    }

    /// Checks that training this model on `train` at `batch` fits: the batch is no larger than
    /// the training rows, and the weights, their gradients, `state_slots` optimizer slots, a
    /// batch's activations, the health monitor's copies when `monitored`
    /// ([`MlpConfig::monitor_memory_bytes`]) and the data set fit the memory budget.
    pub fn check_training(
        &self,
        batch: usize,
        state_slots: usize,
        monitored: bool,
        train: &Dataset,
    ) -> Result<(), String> {
        self.validate()?;
        check_batch(batch, train.n)?;
        let data = budget::product(&[4, train.n as u64, train.d as u64]);
        self.check_memory(batch, state_slots, monitored, data)
    }

    /// The memory half of [`MlpConfig::check_training`], for a data set of `data` bytes (what
    /// the page checks while the model is edited).
    pub fn check_memory(&self, batch: usize, state_slots: usize, monitored: bool, data: u64) -> Result<(), String> {
        budget::check_allocation("the model's largest buffer", self.largest_buffer_bytes(batch))?;
        let monitor = if monitored { self.monitor_memory_bytes(batch, state_slots) } else { 0 };
        let step = budget::sum(&[self.training_memory_bytes(batch, state_slots), monitor]);
        budget::check(
            "training",
            budget::sum(&[step, data]),
            &format!(
                " (weights, gradients, optimizer state and a batch of {batch}: {}; the data: {})",
                budget::format_bytes(step),
                budget::format_bytes(data)
            ),
        )
    }

    /// (fan_in, fan_out) of every Linear, in order.
    pub fn linear_shapes(&self) -> Vec<(usize, usize)> {
        let mut dims = vec![self.input];
        dims.extend(self.hidden.iter().map(|l| l.width));
        dims.push(self.head.outputs());
        dims.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// The largest single buffer, in bytes, that training at `batch` or evaluating holds: the
    /// widest weight matrix, or a batch of rows (at least [`EVAL_ROWS`], the evaluation's and
    /// the page's decision-boundary grid) through the widest layer.
    pub fn largest_buffer_bytes(&self, batch: usize) -> u64 {
        let widest = self.linear_shapes().iter().map(|&(i, o)| i.max(o) as u64).max().unwrap_or(0);
        let rows = batch.max(EVAL_ROWS) as u64;
        self.largest_weights_bytes().max(budget::product(&[4, rows, widest]))
    }

    /// Checks that every buffer of this model fits one buffer of `device` (a GPU's
    /// `max_buffer_size` and storage-binding size); always Ok on the CPU.
    pub fn check_device(&self, device: &webgrad_core::Device, batch: usize) -> Result<(), String> {
        match device.max_buffer_bytes() {
            Some(limit) => self.check_buffer_limit(limit, &device.name(), batch),
            None => Ok(()),
        }
    }

    /// Checks that every buffer of this model fits a device buffer of `limit` bytes (the device
    /// is named in the error).
    pub fn check_buffer_limit(&self, limit: u64, device: &str, batch: usize) -> Result<(), String> {
        budget::check_against(
            "the model's largest buffer",
            self.largest_buffer_bytes(batch),
            &format!(" on {device}"),
            limit,
        )
    }

    /// The floating-point operations of one training step at `batch` (a multiply-add counts
    /// 2), as (forward, backward), over the linear layers, which dominate (activations, the
    /// loss and the optimizer are O(units) and O(parameters), left out). Forward: X·Wᵀ per layer,
    /// 2·batch·fan_in·fan_out. Backward: per layer the weight gradient dYᵀ·X (the same count)
    /// and the input gradient dY·W (the same again), except the first layer's, whose input
    /// needs no gradient: 2·batch·(2·Σ fan_in·fan_out − fan_in₀·fan_out₀). Saturating.
    pub fn step_flops(&self, batch: usize) -> (u64, u64) {
        let shapes = self.linear_shapes();
        let macs = |&(i, o): &(usize, usize)| budget::product(&[i as u64, o as u64]);
        let all = budget::sum(&shapes.iter().map(macs).collect::<Vec<_>>());
        let first = shapes.first().map_or(0, macs);
        let forward = budget::product(&[2, batch as u64, all]);
        let backward = budget::product(&[2, batch as u64, budget::product(&[2, all]).saturating_sub(first)]);
        (forward, backward)
    }

    /// The number of weights and biases (saturating: a count too large for `usize` reads as
    /// `usize::MAX`, which `validate` refuses).
    pub fn parameter_count(&self) -> usize {
        usize::try_from(self.parameter_count_u64()).unwrap_or(usize::MAX)
    }

    fn parameter_count_u64(&self) -> u64 {
        let layer = |&(i, o): &(usize, usize)| budget::sum(&[budget::product(&[i as u64, o as u64]), o as u64]);
        budget::sum(&self.linear_shapes().iter().map(layer).collect::<Vec<_>>())
    }

    /// The f32 bytes of the weights and biases.
    pub fn parameter_bytes(&self) -> u64 {
        budget::product(&[4, self.parameter_count_u64()])
    }

    /// An estimate of the f32 bytes one training step holds: the parameters, their gradients and
    /// `state_slots` optimizer slots each (Adam: 2), plus, per sample of the batch, the values
    /// the backward pass keeps (the input, each hidden layer's output and its dropout mask, the
    /// logits and the probabilities) and a gradient of the same size for each of them.
    /// Saturating: a size past `u64` reads as `u64::MAX`.
    pub fn training_memory_bytes(&self, batch: usize, state_slots: usize) -> u64 {
        let params = budget::product(&[4, self.parameter_count_u64(), 2 + state_slots as u64]);
        budget::sum(&[params, self.activation_memory_bytes(batch)])
    }

    /// The activation part of [`MlpConfig::training_memory_bytes`]: per sample of the batch,
    /// the input, each hidden output and dropout mask, the logits and probabilities, and a
    /// gradient for each, in f32 bytes. Saturating.
    pub fn activation_memory_bytes(&self, batch: usize) -> u64 {
        let hidden: Vec<u64> =
            self.hidden.iter().map(|l| l.width as u64 * if l.dropout > 0.0 { 2 } else { 1 }).collect();
        let per_sample = budget::sum(&[self.input as u64, budget::sum(&hidden), 2 * self.head.outputs() as u64]);
        budget::product(&[4, 2, batch as u64, per_sample])
    }

    /// The f32 bytes the health monitor (`crate::monitor`) adds to training: the trainer's
    /// state (weights and `state_slots` optimizer slots) kept at the start of each of the last
    /// [`KEPT`](crate::monitor::KEPT) windows, one copy of the weights at a sampled step, and
    /// its unit sums, `batch` rows of every hidden layer. Saturating.
    pub fn monitor_memory_bytes(&self, batch: usize, state_slots: usize) -> u64 {
        let copies = crate::monitor::KEPT as u64 * (1 + state_slots as u64) + 1;
        let widths = budget::sum(&self.hidden.iter().map(|l| l.width as u64).collect::<Vec<_>>());
        let units = budget::product(&[batch as u64, widths]);
        budget::product(&[4, budget::sum(&[budget::product(&[self.parameter_count_u64(), copies]), units])])
    }

    /// The `torch.nn.Sequential` this model equals, module by module, e.g.
    /// `["Linear(784, 128)", "ReLU()", "Linear(128, 10)"]`.
    pub fn torch_modules(&self) -> Vec<String> {
        let mut modules = Vec::new();
        for (i, (fan_in, fan_out)) in self.linear_shapes().into_iter().enumerate() {
            modules.push(format!("Linear({fan_in}, {fan_out})"));
            if let Some(layer) = self.hidden.get(i) {
                modules.extend(layer.activation.torch_module().map(String::from));
                if layer.dropout > 0.0 {
                    modules.push(format!("Dropout({})", layer.dropout));
                }
            }
        }
        modules
    }

    /// Sequential indices of the Linear modules (their state_dict prefixes).
    pub fn linear_indices(&self) -> Vec<usize> {
        self.torch_modules().iter().enumerate().filter(|(_, m)| m.starts_with("Linear(")).map(|(i, _)| i).collect()
    }

    /// A copy-pasteable PyTorch expression that builds this model.
    pub fn torch_expression(&self) -> String {
        let mods: Vec<String> = self.torch_modules().iter().map(|m| format!("nn.{m}")).collect();
        format!("nn.Sequential({})", mods.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_estimate_counts_parameters_state_and_activations() {
        let layer = |width, dropout| LayerConfig { width, activation: ActivationName::Relu, dropout };
        let cfg = MlpConfig {
            input: 784,
            hidden: vec![layer(128, 0.0), layer(64, 0.5)],
            head: Head::Softmax { classes: 10 },
            init: Init::GlorotUniform,
        };
        assert_eq!(cfg.parameter_count(), 109_386);
        // Adam: weights + grads + 2 slots; per sample 784 + 128 + 2·64 + 2·10, doubled for grads
        assert_eq!(cfg.training_memory_bytes(64, 2), 4 * (4 * 109_386 + 2 * 64 * 1060));
        assert!(cfg.training_memory_bytes(256, 2) > cfg.training_memory_bytes(64, 2));
        assert_eq!(cfg.training_memory_bytes(1, 0), 4 * (2 * 109_386 + 2 * 1060));
        // the monitor: 2 kept states of weights + 2 slots, one weight copy, 64 rows of 192 units
        assert_eq!(cfg.monitor_memory_bytes(64, 2), 4 * (7 * 109_386 + 64 * 192));
        // forward 2·batch·Σ fan_in·fan_out; backward twice that less the first layer's input gradient
        let macs = 784 * 128 + 128 * 64 + 64 * 10;
        assert_eq!(cfg.step_flops(64), (2 * 64 * macs, 2 * 64 * (2 * macs - 784 * 128)));
        assert_eq!(cfg.step_flops(1).0, 2 * 109_184);
    }

    #[test]
    fn torch_names_follow_sequential_indices() {
        let cfg = MlpConfig {
            input: 4,
            hidden: vec![
                LayerConfig { width: 8, activation: ActivationName::Relu, dropout: 0.5 },
                LayerConfig { width: 3, activation: ActivationName::Identity, dropout: 0.0 },
            ],
            head: Head::Softmax { classes: 2 },
            init: Init::HeUniform,
        };
        assert_eq!(cfg.torch_modules(), ["Linear(4, 8)", "ReLU()", "Dropout(0.5)", "Linear(8, 3)", "Linear(3, 2)"]);
        assert_eq!(cfg.linear_indices(), [0, 3, 4]);
        assert_eq!(cfg.parameter_count(), 4 * 8 + 8 + 8 * 3 + 3 + 3 * 2 + 2);
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(serde_json::from_str::<MlpConfig>(&json).unwrap(), cfg);
    }

    #[test]
    fn validation_names_the_field() {
        let mut cfg = MlpConfig {
            input: 2,
            hidden: vec![LayerConfig { width: 0, activation: ActivationName::Tanh, dropout: 0.0 }],
            head: Head::Sigmoid,
            init: Init::GlorotUniform,
        };
        assert!(cfg.validate().unwrap_err().contains("hidden layer 1"));
        cfg.hidden[0].width = 3;
        cfg.hidden[0].dropout = 1.0;
        assert!(cfg.validate().unwrap_err().contains("dropout"));
    }
}
