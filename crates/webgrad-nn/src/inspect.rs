//! The math of one training step, for the page's inspector: what the forward pass computed on
//! the step's batch (per layer a summary and histogram of its outputs, and for one chosen unit
//! the numbers of its first row), the loss, the backward pass's gradients, the optimizer's state
//! before and after and the resulting update of the chosen unit's weights.
//!
//! [`Trainer::inspect_before`] reads what the next step starts from (its batch, the weights and
//! the optimizer state) and runs the forward pass once more without dropout; the caller then
//! makes the step as usual (`Trainer::step`, or a monitored one), and
//! [`InspectBefore::finish`] reads the gradients the step computed (`Trainer::last_grads`: with
//! the L1/L2 penalties, before clipping) and the weights and state it left. Everything is read
//! from the device: the page only formats it, and `tests/all/inspect.rs` recomputes each number
//! from its definition.

use serde::{Deserialize, Serialize};
use webgrad_core::{Tensor, no_grad};
use webgrad_data::Dataset;

use crate::config::ActivationName;
use crate::optim::OptimizerConfig;
use crate::train::{Trainer, batch_loss};
use crate::{Error, Result};

/// Bins of each layer's output histogram.
pub const BINS: usize = 20;

/// A layer's outputs over the batch (after its activation; the output layer's logits).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    pub mean: f64,
    pub std: f64,
    pub min: f32,
    pub max: f32,
    /// the share of exact zeros (ReLU units that are off)
    pub zero_fraction: f64,
    /// counts over [min, max] in [`BINS`] equal bins
    pub histogram: Vec<u32>,
}

impl Outputs {
    fn of(values: &[f32]) -> Outputs {
        let n = values.len().max(1) as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
        let (min, max) = values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let mut histogram = vec![0u32; BINS];
        let width = f64::from(max) - f64::from(min);
        for &v in values.iter().filter(|v| v.is_finite()) {
            let bin = if width > 0.0 { ((f64::from(v) - f64::from(min)) / width * BINS as f64) as usize } else { 0 };
            histogram[bin.min(BINS - 1)] += 1;
        }
        let zero_fraction = values.iter().filter(|&&v| v == 0.0).count() as f64 / n;
        Outputs { mean, std: var.sqrt(), min, max, zero_fraction, histogram }
    }
}

/// One linear layer in the step: its outputs, and the norms of its gradient and update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerStep {
    /// the hidden layer's activation; `None` for the output layer
    pub activation: Option<ActivationName>,
    pub outputs: Outputs,
    /// ‖∂L/∂W‖₂ of the weight matrix
    pub grad_norm: f64,
    /// ‖ΔW‖₂ / ‖W‖₂ of the step
    pub update_ratio: f64,
}

/// The chosen unit `unit` of linear layer `layer` on the batch's first row, and its weight from
/// input `input` (the one with the largest gradient) through the step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitStep {
    pub layer: usize,
    pub unit: usize,
    pub input: usize,
    /// the row's inputs to the layer ([fan_in]) and the unit's weights before the step
    pub inputs: Vec<f32>,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// the unit's output on the row, as the device computed it (after the activation)
    pub output: f32,
    /// ∂L/∂W[unit, input] and ∂L/∂b[unit]
    pub grad_w: f32,
    pub grad_b: f32,
    /// W[unit, input] before and after the step
    pub w_before: f32,
    pub w_after: f32,
    /// the optimizer's state for W[unit, input], by PyTorch's names, before and after
    pub state_before: Vec<(String, f32)>,
    pub state_after: Vec<(String, f32)>,
}

/// The whole step (see the module doc).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepInspection {
    /// the step's number (1-based, as PyTorch's `state['step']` after it)
    pub step: u64,
    pub rows: usize,
    /// the batch's data loss (no penalties, no dropout)
    pub loss: f32,
    /// the learning rate the step used, and the optimizer's settings
    pub lr: f64,
    pub optimizer: OptimizerConfig,
    pub clip_grad_norm: Option<f32>,
    pub layers: Vec<LayerStep>,
    pub unit: UnitStep,
}

/// What [`Trainer::inspect_before`] read; [`InspectBefore::finish`] completes it after the step.
pub struct InspectBefore {
    step: u64,
    rows: usize,
    loss: f32,
    lr: f64,
    /// per linear layer: its outputs over the batch, and its weights [out, in] before the step
    outputs: Vec<Outputs>,
    weights: Vec<Vec<f32>>,
    /// (layer, unit): the row's inputs to that layer, the unit's bias and output
    chosen: (usize, usize),
    inputs: Vec<f32>,
    bias: f32,
    output: f32,
    /// the chosen unit's whole state before the step, per slot, for its weight row
    state: Vec<Vec<f32>>,
}

/// PyTorch's names of an optimizer's state slots, in webgrad's slot order.
pub fn slot_names(config: &OptimizerConfig) -> Vec<&'static str> {
    match *config {
        OptimizerConfig::Sgd { momentum, .. } if momentum != 0.0 => vec!["momentum_buffer"],
        OptimizerConfig::Sgd { .. } => Vec::new(),
        OptimizerConfig::Adam { .. } | OptimizerConfig::AdamW { .. } => vec!["exp_avg", "exp_avg_sq"],
        OptimizerConfig::RmsProp { momentum, centered, .. } => {
            let mut names = vec!["square_avg"];
            if momentum != 0.0 {
                names.push("momentum_buffer");
            }
            if centered {
                names.push("grad_avg");
            }
            names
        }
        OptimizerConfig::Adagrad { .. } => vec!["sum"],
    }
}

/// Each state slot of parameter `p` ([len]); zeros before the optimizer's first step.
async fn read_state(t: &Trainer, p: usize, len: usize) -> Result<Vec<Vec<f32>>> {
    let slots = t.optimizer.config.rule().state_slots();
    let mut out = Vec::with_capacity(slots);
    for s in 0..slots {
        out.push(match t.optimizer.state.get(p).and_then(|st| st.get(s)) {
            Some(buf) => t.model.device().read(buf, len).await?,
            None => vec![0.0; len],
        });
    }
    Ok(out)
}

fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt()
}

impl Trainer {
    /// Reads what the next step starts from (see the module doc), for unit `unit` of linear
    /// layer `layer` (0-based; the output layer last). Changes nothing.
    pub async fn inspect_before(&mut self, data: &Dataset, layer: usize, unit: usize) -> Result<InspectBefore> {
        let shapes = self.model.config.linear_shapes();
        let Some(&(fan_in, fan_out)) = shapes.get(layer) else {
            return Err(Error::Config(format!("the model has {} linear layers, not {}", shapes.len(), layer + 1)));
        };
        if unit >= fan_out {
            return Err(Error::Config(format!("layer {} has {fan_out} units, not {}", layer + 1, unit + 1)));
        }
        let (mut x, mut labels, mut values) = (Vec::new(), Vec::new(), Vec::new());
        let rows = self.gather_next(data, &mut x, &mut labels, &mut values)?;
        let model = &self.model;
        let input = Tensor::from_slice(model.device(), &x, &[rows, data.d])?;
        let mut hidden = Vec::new();
        let logits = no_grad(|| model.forward_keeping(&input, false, 0, Some(&mut hidden)));
        let loss = no_grad(|| batch_loss(&logits, self.config.loss, &labels, &values))?.item().await?;
        // every linear layer's outputs [rows, width]: the hidden layers', then the logits
        let mut outs = Vec::with_capacity(shapes.len());
        for h in hidden.iter().chain([&logits]) {
            outs.push(h.to_vec().await?);
        }
        let mut weights = Vec::with_capacity(shapes.len());
        for l in &model.layers {
            weights.push(l.weight.to_vec().await?);
        }
        let inputs = match layer {
            0 => x[..fan_in].to_vec(),
            l => outs[l - 1][..fan_in].to_vec(),
        };
        let bias = model.layers[layer].bias.to_vec().await?[unit];
        let output = outs[layer][unit];
        let state = read_state(self, 2 * layer, fan_in * fan_out).await?;
        let state = state.into_iter().map(|s| s[unit * fan_in..(unit + 1) * fan_in].to_vec()).collect();
        Ok(InspectBefore {
            step: self.optimizer.step + 1,
            rows,
            loss,
            lr: self.optimizer.current_lr(),
            outputs: outs.iter().map(|o| Outputs::of(o)).collect(),
            weights,
            chosen: (layer, unit),
            inputs,
            bias,
            output,
            state,
        })
    }
}

impl InspectBefore {
    /// After the step: its gradients, the weights and state it left (see the module doc).
    /// Errors if `t` did not just make exactly the step this was read before.
    pub async fn finish(self, t: &Trainer) -> Result<StepInspection> {
        if t.optimizer.step != self.step {
            return Err(Error::Config(format!(
                "step {} was inspected but the trainer is at {}",
                self.step, t.optimizer.step
            )));
        }
        let (layer, unit) = self.chosen;
        let shapes = t.model.config.linear_shapes();
        let grads = t.last_grads();
        let mut layers = Vec::with_capacity(shapes.len());
        let mut chosen_grads = (Vec::new(), 0.0f32);
        for (l, (outputs, before)) in self.outputs.into_iter().zip(&self.weights).enumerate() {
            let gw = match grads.get(2 * l).and_then(Option::as_ref) {
                Some(g) => g.to_vec().await?,
                None => vec![0.0; before.len()],
            };
            let after = t.model.layers[l].weight.to_vec().await?;
            let delta: Vec<f32> = after.iter().zip(before).map(|(a, b)| a - b).collect();
            let ratio = norm(&delta) / norm(before).max(1e-30);
            if l == layer {
                let (fan_in, _) = shapes[l];
                let gb = match grads.get(2 * l + 1).and_then(Option::as_ref) {
                    Some(g) => g.to_vec().await?[unit],
                    None => 0.0,
                };
                chosen_grads = (gw[unit * fan_in..(unit + 1) * fan_in].to_vec(), gb);
                chosen_grads.0.extend(after[unit * fan_in..(unit + 1) * fan_in].iter());
            }
            layers.push(LayerStep {
                activation: t.model.config.hidden.get(l).map(|h| h.activation),
                outputs,
                grad_norm: norm(&gw),
                update_ratio: ratio,
            });
        }
        let (fan_in, fan_out) = shapes[layer];
        let (row_grads, row_after) = chosen_grads.0.split_at(fan_in);
        // the input whose weight had the largest gradient
        let input = (0..fan_in).max_by(|&a, &b| row_grads[a].abs().total_cmp(&row_grads[b].abs())).unwrap_or(0);
        let names = slot_names(&t.optimizer.config);
        let after_state = read_state(t, 2 * layer, fan_in * fan_out).await?;
        let named = |slots: Vec<f32>| names.iter().map(|n| n.to_string()).zip(slots).collect();
        let weights = self.weights[layer][unit * fan_in..(unit + 1) * fan_in].to_vec();
        Ok(StepInspection {
            step: self.step,
            rows: self.rows,
            loss: self.loss,
            lr: self.lr,
            optimizer: t.optimizer.config.clone(),
            clip_grad_norm: t.optimizer.clip_grad_norm,
            layers,
            unit: UnitStep {
                layer,
                unit,
                input,
                w_before: weights[input],
                w_after: row_after[input],
                inputs: self.inputs,
                weights,
                bias: self.bias,
                output: self.output,
                grad_w: row_grads[input],
                grad_b: chosen_grads.1,
                state_before: named(self.state.iter().map(|s| s[input]).collect()),
                state_after: named(after_state.iter().map(|s| s[unit * fan_in + input]).collect()),
            },
        })
    }
}
