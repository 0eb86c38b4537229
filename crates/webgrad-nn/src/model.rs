//! `Linear` and `Mlp`. Weights use PyTorch's layout (weight [out, in], bias [out]) and names
//! (`<sequential index>.weight`), so a state_dict moves between the two unchanged.

use webgrad_core::{Device, Rng, Tensor};

use crate::config::{Init, MlpConfig};
use crate::{Error, Result};

#[derive(Debug)]
pub struct Linear {
    /// [out, in]
    pub weight: Tensor,
    /// [out]
    pub bias: Tensor,
}

impl Linear {
    /// Draws weight then bias from `rng` with the given scheme.
    pub fn new(device: &Device, fan_in: usize, fan_out: usize, init: Init, rng: &mut Rng) -> Result<Linear> {
        let n = fan_in
            .checked_mul(fan_out)
            .ok_or_else(|| Error::Config(format!("a {fan_in} × {fan_out} layer has too many weights")))?;
        let (fi, fo) = (fan_in as f32, fan_out as f32);
        let uniform = |rng: &mut Rng, a: f32, n: usize| (0..n).map(|_| rng.uniform_range(-a, a)).collect::<Vec<f32>>();
        let normal = |rng: &mut Rng, std: f32, n: usize| (0..n).map(|_| std * rng.normal()).collect::<Vec<f32>>();
        let (w, b) = match init {
            Init::GlorotUniform => (uniform(rng, (6.0 / (fi + fo)).sqrt(), n), vec![0.0; fan_out]),
            Init::GlorotNormal => (normal(rng, (2.0 / (fi + fo)).sqrt(), n), vec![0.0; fan_out]),
            Init::HeUniform => (uniform(rng, (6.0 / fi).sqrt(), n), vec![0.0; fan_out]),
            Init::HeNormal => (normal(rng, (2.0 / fi).sqrt(), n), vec![0.0; fan_out]),
            Init::TorchDefault => {
                let bound = 1.0 / fi.sqrt();
                (uniform(rng, bound, n), uniform(rng, bound, fan_out))
            }
        };
        Ok(Linear {
            weight: Tensor::parameter_from_vec(device, w, &[fan_out, fan_in])?,
            bias: Tensor::parameter_from_vec(device, b, &[fan_out])?,
        })
    }
}

/// The dropout seed of hidden layer `l` in a step whose seed is `step_seed`.
pub(crate) fn layer_dropout_seed(step_seed: u32, l: usize) -> u32 {
    step_seed.wrapping_add((l as u32).wrapping_mul(0x9E37_79B9))
}

pub struct Mlp {
    pub config: MlpConfig,
    pub layers: Vec<Linear>,
    device: Device,
}

impl std::fmt::Debug for Mlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mlp({} on {})", self.config.torch_expression(), self.device.name())
    }
}

impl Mlp {
    /// A freshly initialised model; the same seed gives the same weights on every platform.
    pub fn new(device: &Device, config: MlpConfig, seed: u64) -> Result<Mlp> {
        config.validate().map_err(Error::Config)?;
        let mut rng = Rng::new(seed);
        let layers = config
            .linear_shapes()
            .into_iter()
            .map(|(i, o)| Linear::new(device, i, o, config.init, &mut rng))
            .collect::<Result<_>>()?;
        Ok(Mlp { config, layers, device: device.clone() })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// x [n, input] → head outputs [n, outputs] (logits; the head's sigmoid/softmax lives in the
    /// loss). Dropout is active only when `train`; its mask for layer l is seeded by
    /// `dropout_seed` and l, so a step can be replayed exactly.
    pub fn forward(&self, x: &Tensor, train: bool, dropout_seed: u32) -> Tensor {
        self.forward_keeping(x, train, dropout_seed, None)
    }

    /// [`Mlp::forward`], also pushing each hidden layer's output after its activation and
    /// before dropout (`[n, width_l]`, detached: the same buffer, no graph) into `hidden`, when
    /// given. The training step keeps them for the health monitors (`monitor.rs`).
    pub fn forward_keeping(
        &self,
        x: &Tensor,
        train: bool,
        dropout_seed: u32,
        mut hidden: Option<&mut Vec<Tensor>>,
    ) -> Tensor {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            if l == last {
                h = h.linear(&layer.weight, Some(&layer.bias), webgrad_core::Activation::Identity);
            } else {
                let cfg = &self.config.hidden[l];
                h = h.linear(&layer.weight, Some(&layer.bias), cfg.activation.to_core());
                if let Some(kept) = hidden.as_deref_mut() {
                    kept.push(h.detach());
                }
                h = h.dropout(cfg.dropout, layer_dropout_seed(dropout_seed, l), train);
            }
        }
        h
    }

    /// Each hidden layer's output for x [n, input], after its activation and in evaluation mode
    /// (no dropout): `[n, width_l]` per hidden layer, the first layer first. What the page draws
    /// as one picture per unit.
    pub fn hidden_outputs(&self, x: &Tensor) -> Vec<Tensor> {
        let mut h = x.clone();
        let mut out = Vec::with_capacity(self.config.hidden.len());
        for (layer, cfg) in self.layers.iter().zip(&self.config.hidden) {
            h = h.linear(&layer.weight, Some(&layer.bias), cfg.activation.to_core());
            out.push(h.clone());
        }
        out
    }

    /// Parameters with their PyTorch state_dict names, in Sequential order.
    pub fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (layer, idx) in self.layers.iter().zip(self.config.linear_indices()) {
            out.push((format!("{idx}.weight"), layer.weight.clone()));
            out.push((format!("{idx}.bias"), layer.bias.clone()));
        }
        out
    }

    pub fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters().into_iter().map(|(_, t)| t).collect()
    }

    /// Weights only (not biases): what L1/L2 penalties apply to.
    pub fn weights(&self) -> Vec<Tensor> {
        self.layers.iter().map(|l| l.weight.clone()).collect()
    }

    pub fn zero_grad(&self) {
        self.parameters().iter().for_each(Tensor::zero_grad);
    }
}
