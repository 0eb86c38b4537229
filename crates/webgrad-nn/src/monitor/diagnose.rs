//! When the loss turns NaN or infinite: find the first step whose loss was not finite, name the
//! first layer and operation whose output was not finite on that step's batch, and put the
//! trainer back to the weights from before the step that broke it.
//!
//! Steps are counted as the optimizer counts them: step s (1-based) starts from the weights
//! W_s (`optimizer.step == s − 1`), takes its loss with them, and its update makes W_{s+1}. When
//! step s is the first with a non-finite loss, W_s already gives a non-finite loss on its batch,
//! so continuing from W_s with a lower learning rate would fail again: the update of step s − 1
//! is what broke the model, and the trainer is put back to W_{s−1} (with its optimizer state and
//! cursor). Often the loss blew up before it overflowed (2.7, 40, 3,000, … 1e31, inf): when from
//! some step k on every finite loss stayed more than [`GROWTH`] times the lowest loss before k,
//! the update of step k − 1 started it, and the trainer is put back to W_{k−1} instead. Either
//! way no further back than the oldest state the monitor kept.

use webgrad_core::{Activation, Tensor, no_grad};
use webgrad_data::Dataset;

use super::Monitor;
use crate::config::ActivationName;
use crate::model::layer_dropout_seed;
use crate::snapshot::Snapshot;
use crate::train::{Trainer, batch_loss};
use crate::{Error, Result};

/// What a non-finite value was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NonFinite {
    Nan,
    Inf,
}

impl NonFinite {
    /// NaN if any value is NaN, else Inf if any is infinite; `None` when all are finite.
    pub fn of(values: &[f32]) -> Option<NonFinite> {
        if values.iter().any(|v| v.is_nan()) {
            Some(NonFinite::Nan)
        } else if values.iter().any(|v| v.is_infinite()) {
            Some(NonFinite::Inf)
        } else {
            None
        }
    }

    fn word(self) -> &'static str {
        match self {
            NonFinite::Nan => "NaN",
            NonFinite::Inf => "inf",
        }
    }
}

/// Where the first non-finite value of a step appeared. Layers are numbered from 0 over the
/// linear layers: hidden layers first, the output layer last.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Culprit {
    /// the batch's features
    Input,
    /// a layer's weights or bias, made non-finite by the previous step's update
    Weights { layer: usize },
    /// a layer's linear map, x · Wᵀ + b
    Linear { layer: usize },
    /// a hidden layer's activation
    Activation { layer: usize, activation: ActivationName },
    /// the loss of finite outputs
    Loss,
    /// no single operation of a separate forward pass of the batch (the training step fuses
    /// some, and rounds differently)
    Unknown,
}

/// What [`Monitor::recover`] found and did.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Divergence {
    /// the first step (1-based) whose loss was not finite, or would be: when the last step's
    /// update left non-finite weights, the step after it
    pub step: u64,
    pub culprit: Culprit,
    pub value: NonFinite,
    /// when the finite losses before `step` had already blown up: where that began
    pub growth: Option<Growth>,
    /// the optimizer step count of the state the trainer was put back to: the weights from
    /// before step `kept_step + 1`
    pub kept_step: u64,
    /// the learning rate that state's next step would use
    pub lr: f64,
    /// how many hidden layers the model has (to name the output layer)
    pub hidden_layers: usize,
}

/// The loss grew more than [`GROWTH`]-fold at `step` (from `from`, the lowest loss of the replayed
/// steps before it, to `to`) and never came back down before it went non-finite.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Growth {
    pub step: u64,
    pub from: f32,
    pub to: f32,
}

/// How many times the lowest loss so far a loss must stay above to count as the start of a
/// divergence (minibatch losses of a healthy run rarely stay 10× apart for long).
pub const GROWTH: f32 = 10.0;

/// "layer 2" for hidden layer index 1, "the output layer" for the last linear layer.
pub(super) fn layer_name(layer: usize, hidden_layers: usize) -> String {
    if layer < hidden_layers { format!("layer {}", layer + 1) } else { "the output layer".into() }
}

/// 1234567 → "1,234,567".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Divergence {
    /// One sentence for the user: the step, the layer and operation, what was kept and what to do.
    pub fn message(&self) -> String {
        let layer = |l| layer_name(l, self.hidden_layers);
        let v = self.value.word();
        let what = match self.culprit {
            Culprit::Input => format!("the batch's input features hold {v}"),
            Culprit::Weights { layer: l } => {
                format!(
                    "step {}'s update made {}'s weights non-finite ({v})",
                    grouped(self.step.saturating_sub(1)),
                    layer(l)
                )
            }
            Culprit::Linear { layer: l } => format!("the output of {}'s linear map became non-finite ({v})", layer(l)),
            Culprit::Activation { layer: l, activation } => {
                format!("the output of {}'s {} activation became non-finite ({v})", layer(l), activation.name())
            }
            Culprit::Loss => format!("the loss became non-finite ({v}) though the model's outputs were finite"),
            Culprit::Unknown => {
                format!(
                    "the loss became non-finite ({v}), though no single operation of a forward pass on its batch did"
                )
            }
        };
        let grew = self.growth.map_or(String::new(), |g| {
            format!(", after the loss grew from {:.3} to {:.3e} at step {}", g.from, g.to, grouped(g.step))
        });
        format!(
            "step {}: {what}{grew} — the weights from before step {} are kept; lower the learning rate (now {}) and \
             continue",
            grouped(self.step),
            grouped(self.kept_step + 1),
            self.lr
        )
    }
}

impl Monitor {
    /// After a non-finite loss (or a reading that is not [`finite`](super::Reading::is_finite)):
    /// puts the trainer back to the oldest kept state, steps forward again reading every loss
    /// until the first non-finite one, names the culprit on that step's batch, and leaves the
    /// trainer at the weights from before the step that broke it (see the module doc).
    ///
    /// The monitor keeps the state of the last [`KEPT`](super::KEPT) window starts, so call it
    /// within one window of the divergence (a loss read lagging by less than a window). Returns
    /// `None` when no step since the oldest kept state had a non-finite loss or left non-finite
    /// weights: the trainer is then where it was, bit for bit. Starts a new window either way.
    pub async fn recover(&mut self, t: &mut Trainer, data: &Dataset) -> Result<Option<Divergence>> {
        self.check(t)?;
        let upto = t.optimizer.step;
        let base = self.kept.pop_front().ok_or_else(|| Error::Config("the monitor has kept no state yet".into()))?;
        self.kept.clear();
        self.window = None;
        t.restore(&base).await?;
        // the replayed steps' losses (the first is step base.step + 1), and the state before the
        // next step when it is not `base`
        let (mut losses, mut before_next) = (Vec::new(), None::<Snapshot>);
        let (step, (culprit, value)) = loop {
            if t.optimizer.step >= upto {
                // every loss was finite; the last update may still have broken the weights
                match non_finite_weights(t).await? {
                    Some((layer, v)) => break (upto + 1, (Culprit::Weights { layer }, v)),
                    None => return Ok(None),
                }
            }
            let loss = t.step(data)?.loss.item().await?;
            if !loss.is_finite() {
                t.restore(before_next.as_ref().unwrap_or(&base)).await?;
                break (t.optimizer.step + 1, first_non_finite(t, data, loss).await?);
            }
            losses.push(loss);
            before_next = Some(t.snapshot());
        };
        let first = base.step + 1;
        let growth = growth(&losses).map(|(i, from, to)| Growth { step: first + i as u64, from, to });
        // keep the state from before the step before the loss grew (or went non-finite)
        let keep_before = growth.as_ref().map_or(step, |g| g.step).saturating_sub(1).max(first);
        t.restore(&base).await?;
        while t.optimizer.step + 1 < keep_before {
            t.step(data)?;
        }
        t.reset_loss_sum();
        Ok(Some(Divergence {
            step,
            culprit,
            value,
            growth,
            kept_step: t.optimizer.step,
            lr: t.optimizer.current_lr(),
            hidden_layers: t.model.config.hidden.len(),
        }))
    }
}

/// Where a run of finite losses began to blow up: the first index i ≥ 1 from which every loss
/// is more than [`GROWTH`] times the lowest loss before i, with that lowest loss and losses[i].
fn growth(losses: &[f32]) -> Option<(usize, f32, f32)> {
    // suffix[i] = the lowest of losses[i..]
    let mut suffix = losses.to_vec();
    for i in (0..suffix.len().saturating_sub(1)).rev() {
        suffix[i] = suffix[i].min(suffix[i + 1]);
    }
    let mut lowest = f32::INFINITY;
    for i in 1..losses.len() {
        lowest = lowest.min(losses[i - 1]);
        if suffix[i] > GROWTH * lowest {
            return Some((i, lowest, losses[i]));
        }
    }
    None
}

/// The first layer whose weight or bias holds a non-finite value, with what it was.
async fn non_finite_weights(t: &Trainer) -> Result<Option<(usize, NonFinite)>> {
    for (l, layer) in t.model.layers.iter().enumerate() {
        for p in [&layer.weight, &layer.bias] {
            if let Some(v) = NonFinite::of(&p.to_vec().await?) {
                return Ok(Some((l, v)));
            }
        }
    }
    Ok(None)
}

/// With the trainer at the weights a step started from: the first operation of that step's
/// forward pass (on its batch, with its dropout masks) whose output holds a non-finite value;
/// `step_loss` is the loss the training step computed.
/// Every layer's output is read back: one batch, once, after a divergence.
async fn first_non_finite(t: &mut Trainer, data: &Dataset, step_loss: f32) -> Result<(Culprit, NonFinite)> {
    if let Some((layer, v)) = non_finite_weights(t).await? {
        return Ok((Culprit::Weights { layer }, v));
    }
    let (mut x, mut labels, mut values) = (Vec::new(), Vec::new(), Vec::new());
    let rows = t.gather_next(data, &mut x, &mut labels, &mut values)?;
    if let Some(v) = NonFinite::of(&x) {
        return Ok((Culprit::Input, v));
    }
    let seed = t.next_dropout_seed();
    let model = &t.model;
    // h: [rows, width of the layer before]
    let mut h = Tensor::from_slice(model.device(), &x, &[rows, data.d])?;
    for (l, layer) in model.layers.iter().enumerate() {
        let z = no_grad(|| h.linear(&layer.weight, Some(&layer.bias), Activation::Identity));
        if let Some(v) = NonFinite::of(&z.to_vec().await?) {
            return Ok((Culprit::Linear { layer: l }, v));
        }
        h = match model.config.hidden.get(l) {
            Some(cfg) => {
                let a = no_grad(|| z.activation(cfg.activation.to_core()));
                if let Some(v) = NonFinite::of(&a.to_vec().await?) {
                    return Ok((Culprit::Activation { layer: l, activation: cfg.activation }, v));
                }
                no_grad(|| a.dropout(cfg.dropout, layer_dropout_seed(seed, l), true))
            }
            None => z,
        };
    }
    let loss = no_grad(|| batch_loss(&h, t.config.loss, &labels, &values))?;
    Ok(match NonFinite::of(&[loss.item().await?]) {
        Some(v) => (Culprit::Loss, v),
        None => (Culprit::Unknown, NonFinite::of(&[step_loss]).unwrap_or(NonFinite::Nan)),
    })
}
