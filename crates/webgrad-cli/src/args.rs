//! `webgrad train` settings: flags, or a JSON file with the same names (`--config run.json`);
//! a flag given on the command line wins over the file. Defaults are applied last.

use clap::Args;
use serde::{Deserialize, Serialize};
use webgrad_data::{ScalingKind, TargetScaling};

/// Declares a flags struct that starts with the data flags of `train` and `eval` (the dataset
/// and how to read or generate it), written once here, and gives it [`data_spec`]. A macro, not
/// a `#[command(flatten)]` struct: a `train --config` file holds these keys beside the others in
/// one flat object whose unknown keys are refused, which serde's `flatten` cannot do. `--seed`,
/// which `train` also uses for the weights, each struct declares (and documents) itself.
///
/// [`data_spec`]: TrainArgs::data_spec
macro_rules! with_data_flags {
    ($(#[$attr:meta])* $vis:vis struct $name:ident { $($fields:tt)* }) => {
        $(#[$attr])*
        $vis struct $name {
            /// mnist | iris | circle | xor | gauss | spiral | plane | <file.csv|.tsv> | <x.npy> | <images.idx>, each file optionally .gz
            /// [default: mnist; eval: the model's]
            #[arg(long, help_heading = "Data")]
            pub dataset: Option<String>,
            /// Targets file for .npy features or IDX images [default: "images-idx3" → "labels-idx1", x… → y…; eval: the model's]
            #[arg(long, help_heading = "Data")]
            pub labels: Option<String>,
            /// CSV: the label column, by header name or 1-based number [default: the last column; eval: the model's]
            #[arg(long, help_heading = "Data")]
            pub label: Option<String>,
            /// CSV: auto | classification | regression [default: auto; eval: the model's]
            #[arg(long, help_heading = "Data")]
            pub task: Option<String>,
            /// CSV: what to do with empty/NA cells: error | drop (the row) | mean (of the training split)
            /// [default: error; eval: the model's]
            #[arg(long, help_heading = "Data")]
            pub missing: Option<String>,
            /// Rows to generate for a 2-D dataset (eval: as in training) [default: 1000]
            #[arg(long, help_heading = "Data")]
            pub samples: Option<usize>,
            /// Noise level of a 2-D dataset, 0..1 (eval: as in training) [default: 0]
            #[arg(long, help_heading = "Data")]
            pub noise: Option<f32>,
            /// Fraction held out for testing when the dataset has no test split (eval: as in training) [default: 0.2]
            #[arg(long, help_heading = "Data")]
            pub test_fraction: Option<f32>,
            $($fields)*
        }

        impl $name {
            /// The data flags given on this command line, as `data::DATA_FLAGS` orders them.
            pub fn given_flags(&self) -> $crate::data::DataFlags {
                [
                    self.labels.clone(),
                    self.label.clone(),
                    self.task.clone(),
                    self.missing.clone(),
                    self.samples.map(|v| v.to_string()),
                    self.noise.map(|v| v.to_string()),
                    self.test_fraction.map(|v| v.to_string()),
                    self.seed.map(|v| v.to_string()),
                ]
            }

            /// The data `dataset` and `flags` (as `data::saved_flags` resolves them: given now,
            /// else recorded) describe, the defaults filled in.
            pub fn data_spec_with<'a>(
                &'a self,
                dataset: &'a str,
                flags: &'a $crate::data::DataFlags,
            ) -> $crate::CliResult<$crate::data::DataSpec<'a>> {
                use $crate::data::{flag_value, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TEST_FRACTION};
                Ok($crate::data::DataSpec {
                    name: dataset,
                    labels: flags[0].as_deref(),
                    label: flags[1].as_deref(),
                    task: flags[2].as_deref(),
                    missing: flags[3].as_deref(),
                    samples: flag_value(flags, 4, DEFAULT_SAMPLES)?,
                    noise: flag_value(flags, 5, 0.0)?,
                    test_fraction: flag_value(flags, 6, DEFAULT_TEST_FRACTION)?,
                    seed: flag_value(flags, 7, DEFAULT_SEED)?,
                })
            }

            /// A saved model's data, loaded as it was trained: `dataset` and `flags` as
            /// `data::saved_flags` resolves them; a table laid out as the model's columns, its
            /// classes numbered as the model's; the model's input features (2-D data) and its
            /// feature standardisation applied to both splits.
            #[allow(dead_code, reason = "eval and export-torch use it; train loads its data itself")]
            pub fn load_as_saved(
                &self,
                dataset: &str,
                flags: &$crate::data::DataFlags,
                file: &webgrad_nn::ModelFile,
            ) -> $crate::CliResult<$crate::data::Loaded> {
                let spec = self.data_spec_with(dataset, flags)?;
                let mut loaded = $crate::data::load(&spec, Some(file))?;
                $crate::data::apply_input_features(&mut loaded, file.preprocessing.input_features.as_deref())?;
                if let Some(s) = &file.preprocessing.standardize {
                    s.apply(&mut loaded.train).map_err(|e| e.to_string())?;
                    s.apply(&mut loaded.test).map_err(|e| e.to_string())?;
                }
                Ok(loaded)
            }
        }
    };
}
pub(crate) use with_data_flags;

with_data_flags! {
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrainArgs {
    /// JSON file with any of these settings (keys are the flag names without "--").
    #[arg(long)]
    #[serde(skip)]
    pub config: Option<String>,

    /// none | standardize (mean 0, std 1) | minmax (to [0, 1]), fitted on the training split
    /// [default: standardize for mnist, iris and files; none for the 2-D sets]
    #[arg(long, value_name = "KIND")]
    pub normalise: Option<String>,
    /// Same as --normalise standardize.
    #[arg(long, conflicts_with_all = ["minmax", "normalise"])]
    pub standardize: bool,
    /// Same as --normalise minmax.
    #[arg(long, conflicts_with = "normalise")]
    pub minmax: bool,
    /// Regression targets: standardize (train on (y - mean) / std per output, fitted on the
    /// training split; predictions and metrics are mapped back to the targets' units) | none
    /// [default: standardize]. No effect on classification.
    #[arg(long, value_name = "KIND")]
    pub target_scaling: Option<String>,
    /// 2-D datasets: the model's inputs, computed from each point (x1, x2) as TensorFlow
    /// Playground's toggles, e.g. x1,x2,x1sq,x2sq: x1 | x2 | x1sq | x2sq | x1x2 | sinx1 | sinx2
    /// [default: x1,x2]. Recorded in the model; eval and --resume compute the same.
    #[arg(long, value_delimiter = ',', value_name = "FEATURES")]
    pub inputs: Option<Vec<String>>,

    /// Hidden layer widths, e.g. 128,64 [default: 128,64]
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// relu | leaky_relu | tanh | sigmoid | gelu | identity [default: relu]
    #[arg(long)]
    pub activation: Option<String>,
    /// Dropout after every hidden layer [default: 0]
    #[arg(long)]
    pub dropout: Option<f32>,
    /// glorot_uniform | glorot_normal | he_uniform | he_normal | torch_default [default: glorot_uniform]
    #[arg(long)]
    pub init_scheme: Option<String>,
    /// Start from these weights (safetensors with PyTorch state_dict names).
    #[arg(long)]
    pub init: Option<String>,

    /// sgd | momentum | nesterov | adam | adamw | rmsprop | adagrad [default: adam]
    #[arg(long)]
    pub optimizer: Option<String>,
    /// Learning rate [default: the optimizer's PyTorch default]
    #[arg(long)]
    pub lr: Option<f64>,
    /// Weight decay (decoupled for adamw, L2-in-gradient for the others, as PyTorch)
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// constant | cosine[:<warmup steps>] | step[:<steps>:<gamma>] | exp[:<gamma>]; a bare name is
    /// relative to the run (cosine: 5 % warm-up; step: halve 3×; exp: to 1 %) [default: constant]
    #[arg(long)]
    pub schedule: Option<String>,
    /// Clip gradients to this global L2 norm.
    #[arg(long)]
    pub clip_grad_norm: Option<f32>,
    /// L1 penalty coefficient on weights
    #[arg(long)]
    pub l1: Option<f32>,
    /// L2 penalty coefficient on weights (added to the loss)
    #[arg(long)]
    pub l2: Option<f32>,
    /// Label smoothing for softmax cross-entropy
    #[arg(long)]
    pub label_smoothing: Option<f32>,
    /// Stop when the test loss has not improved for this many epochs.
    #[arg(long)]
    pub early_stopping: Option<u32>,

    /// cpu | gpu (or wgpu) — the device to train on [default: cpu]
    #[arg(long)]
    pub backend: Option<String>,
    /// Batch size [default: 64]
    #[arg(long)]
    pub batch: Option<usize>,
    /// Epochs [default: 5]
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seed for initial weights, data order and dropout [default: 1]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep the data order fixed.
    #[arg(long)]
    pub no_shuffle: bool,

    /// Save the trained model (safetensors; the JSON description is written beside it).
    #[arg(long)]
    pub save: Option<String>,
    /// Write a resumable checkpoint here after every epoch.
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// Resume from a checkpoint (its settings win; --epochs may extend the run and --lr set a
    /// new learning rate, e.g. after a divergence that --monitor kept the weights from before).
    #[arg(long)]
    pub resume: Option<String>,
    /// Write one JSON line per loss read: {"step","epoch","steps","accuracy","loss"} (the mean
    /// of `steps` steps ending at `step`, against standardised targets when a regression's
    /// targets are; "accuracy", of the rows as they were stepped on, for classification only).
    /// With --monitor also "dead_fraction", "saturated_fraction", "grad_norm" and
    /// "update_ratio": arrays with one entry per hidden layer (null where a figure does not
    /// apply), over the monitor's window so far.
    #[arg(long)]
    pub log_json: Option<String>,
    /// Read the training loss (the mean of the last K steps, summed on the device) every K steps
    /// [default: 1 on cpu, 20 on wgpu]. The read does not stall the GPU.
    #[arg(long, value_name = "K")]
    pub loss_every: Option<usize>,
    /// Health monitors per hidden layer, computed on the device: dead ReLU units, saturated
    /// tanh/sigmoid units, gradient norm and update ratio, in the epoch table and in every
    /// --log-json line, with alerts in words. A loss that turns NaN/inf is traced to the first
    /// layer and operation that went non-finite, and the weights from before the step that broke
    /// it are written to --checkpoint (if given) to go on from with a lower --lr.
    #[arg(long)]
    pub monitor: bool,
    /// With --monitor: look at the gradients and update of one step in N (each such step costs
    /// about half a step; units are counted at every step) [default: 20 on cpu, 50 on gpu]
    #[arg(long, value_name = "N")]
    pub monitor_every: Option<u32>,
    /// No progress bar.
    #[arg(long)]
    #[serde(skip)]
    pub quiet: bool,
}
}

impl TrainArgs {
    /// The feature scaling to fit: `--normalise`, its shorthands, or the dataset's default
    /// (standardised for MNIST, iris and files; the 2-D sets are already on a common scale).
    pub fn scaling(&self, dataset: &str) -> Result<ScalingKind, String> {
        let given = match (&self.normalise, self.standardize, self.minmax) {
            (Some(_), true, _) | (Some(_), _, true) | (None, true, true) => {
                return Err("give one of --normalise, --standardize and --minmax".into());
            }
            (Some(kind), ..) => Some(kind.as_str()),
            (None, true, false) => Some("standardize"),
            (None, false, true) => Some("minmax"),
            (None, false, false) => None,
        };
        match given {
            Some(name) => ScalingKind::parse(name).map_err(|e| format!("--normalise: {e}")),
            None => Ok(ScalingKind::default_for(dataset)),
        }
    }

    /// `--target-scaling`, or the default (standardise regression targets).
    pub fn target_scaling(&self) -> Result<TargetScaling, String> {
        match &self.target_scaling {
            Some(name) => TargetScaling::parse(name).map_err(|e| format!("--target-scaling: {e}")),
            None => Ok(TargetScaling::default()),
        }
    }

    /// Fills every setting not given on the command line from `--config`.
    pub fn merged_with_config(self) -> Result<TrainArgs, String> {
        let Some(path) = self.config.clone() else { return Ok(self) };
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let file: TrainArgs = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let cli_norm = self.normalise.is_some() || self.standardize || self.minmax;
        macro_rules! pick {
            ($($f:ident),*) => { TrainArgs {
                $($f: self.$f.or(file.$f),)*
                config: self.config,
                // a normalisation given on the command line replaces the file's
                normalise: if cli_norm { self.normalise } else { file.normalise },
                standardize: self.standardize || (!cli_norm && file.standardize),
                minmax: self.minmax || (!cli_norm && file.minmax),
                no_shuffle: self.no_shuffle || file.no_shuffle,
                monitor: self.monitor || file.monitor,
                quiet: self.quiet,
            } };
        }
        Ok(pick!(
            dataset,
            labels,
            label,
            task,
            missing,
            samples,
            noise,
            test_fraction,
            target_scaling,
            inputs,
            hidden,
            activation,
            dropout,
            init_scheme,
            init,
            optimizer,
            lr,
            weight_decay,
            schedule,
            clip_grad_norm,
            l1,
            l2,
            label_smoothing,
            early_stopping,
            backend,
            batch,
            epochs,
            seed,
            save,
            checkpoint,
            resume,
            log_json,
            loss_every,
            monitor_every
        ))
    }
}
