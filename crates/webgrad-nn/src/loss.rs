//! Losses (mean over the batch, as PyTorch's default `reduction='mean'`) and weight penalties.

use serde::{Deserialize, Serialize};
use webgrad_core::Tensor;

/// Which loss a head trains with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Loss {
    /// softmax heads: `CrossEntropyLoss(label_smoothing)`
    CrossEntropy {
        label_smoothing: f32,
    },
    /// sigmoid heads: `BCEWithLogitsLoss`
    BceWithLogits,
    /// linear heads
    Mse,
    Huber {
        delta: f32,
    },
}

/// logits [n, c], labels u32 [n] → []
pub fn cross_entropy(logits: &Tensor, labels: &Tensor, label_smoothing: f32) -> Tensor {
    logits.softmax_cross_entropy(labels, label_smoothing)
}

/// logits and targets (0/1) [n, k] → []: mean(max(x,0) − x·t + log(1 + e^(−|x|))), the stable form.
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> Tensor {
    let softplus_neg_abs = logits.abs().neg().exp().add_scalar(1.0).log();
    logits.relu().sub(&logits.mul(targets)).add(&softplus_neg_abs).mean()
}

/// mean((pred − target)²)
pub fn mse(pred: &Tensor, target: &Tensor) -> Tensor {
    let d = pred.sub(target);
    d.mul(&d).mean()
}

/// mean of ½d² where |d| < δ, else δ(|d| − ½δ) — `HuberLoss(delta)`.
pub fn huber(pred: &Tensor, target: &Tensor, delta: f32) -> Tensor {
    let d = pred.sub(target);
    let a = d.abs();
    let quadratic = d.mul(&d).mul_scalar(0.5);
    let linear = a.affine(delta, -0.5 * delta * delta);
    let small = a.lt(&Tensor::scalar(pred.device(), delta));
    Tensor::where_(&small, &quadratic, &linear).mean()
}

/// Adds to `acc` ([1], on the device) how many rows of a batch the outputs classify correctly,
/// with no gradient and nothing read back: for cross-entropy, rows whose label's logit is the
/// row's maximum (one fused call, `Backend::accumulate_hits`; an exact tie with another class
/// counts as correct, where `argmax` would pick the first); for binary cross-entropy, rows
/// whose logit is > 0 exactly when the target is 1. Returns false (and adds nothing) for
/// regression losses.
pub fn add_hits(acc: &Tensor, out: &Tensor, loss: Loss, targets: &Tensor) -> bool {
    let device = out.device();
    match loss {
        Loss::CrossEntropy { .. } => {
            let (n, c) = (out.shape()[0], out.shape()[1]);
            device.accumulate_hits(acc.buffer(), out.buffer(), targets.buffer(), n, c);
            true
        }
        Loss::BceWithLogits => {
            let hits = webgrad_core::no_grad(|| out.gt(&Tensor::scalar(device, 0.0)).eq_mask(targets).sum());
            device.accumulate(acc.buffer(), hits.buffer(), 1, 1.0);
            true
        }
        Loss::Mse | Loss::Huber { .. } => false,
    }
}

/// coef · Σ|w| over the given weights.
pub fn l1_penalty(weights: &[Tensor], coef: f32) -> Option<Tensor> {
    penalty(weights, coef, |w| w.abs().sum())
}

/// coef · Σw² over the given weights.
pub fn l2_penalty(weights: &[Tensor], coef: f32) -> Option<Tensor> {
    penalty(weights, coef, |w| w.mul(w).sum())
}

fn penalty(weights: &[Tensor], coef: f32, f: impl Fn(&Tensor) -> Tensor) -> Option<Tensor> {
    if coef == 0.0 || weights.is_empty() {
        return None;
    }
    let total = weights.iter().map(f).reduce(|a, b| a.add(&b))?;
    Some(total.mul_scalar(coef))
}
