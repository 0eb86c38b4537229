//! Losses (mean over the batch, as PyTorch's default `reduction='mean'`) and weight penalties.

use serde::{Deserialize, Serialize};
use webgrad_core::Tensor;

use crate::Head;

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

impl Loss {
    /// The loss a head trains with by default.
    pub fn for_head(head: &Head) -> Loss {
        match head {
            Head::Softmax { .. } => Loss::CrossEntropy { label_smoothing: 0.0 },
            Head::Sigmoid => Loss::BceWithLogits,
            Head::Linear { .. } => Loss::Mse,
        }
    }

    /// Errors unless this loss trains `head` (cross-entropy a softmax head, BCE a sigmoid one,
    /// MSE or Huber a linear one) with its own number in range: a checkpoint's loss is read as
    /// written, and cross-entropy on a regression model's targets has no labels to read.
    pub fn check(&self, head: &Head) -> Result<(), String> {
        let fits = matches!(
            (self, head),
            (Loss::CrossEntropy { .. }, Head::Softmax { .. })
                | (Loss::BceWithLogits, Head::Sigmoid)
                | (Loss::Mse | Loss::Huber { .. }, Head::Linear { .. })
        );
        match *self {
            _ if !fits => Err(format!(
                "the loss {} does not fit the model's {} head, which trains with {}",
                self.name(),
                head.name(),
                Loss::for_head(head).name()
            )),
            Loss::CrossEntropy { label_smoothing: s } if !(0.0..=1.0).contains(&s) => {
                Err(format!("label smoothing {s} must be in [0, 1]"))
            }
            Loss::Huber { delta } if !(delta.is_finite() && delta > 0.0) => {
                Err(format!("Huber delta {delta} must be a positive number"))
            }
            _ => Ok(()),
        }
    }

    /// Its name as the checkpoint's JSON writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Loss::CrossEntropy { .. } => "cross_entropy",
            Loss::BceWithLogits => "bce_with_logits",
            Loss::Mse => "mse",
            Loss::Huber { .. } => "huber",
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each head's own loss fits it; another head's does not, and the error names both.
    #[test]
    fn a_loss_must_fit_its_head() {
        let heads = [Head::Softmax { classes: 3 }, Head::Sigmoid, Head::Linear { outputs: 2 }];
        for head in &heads {
            assert_eq!(Loss::for_head(head).check(head), Ok(()));
        }
        assert_eq!(Loss::Huber { delta: 1.0 }.check(&heads[2]), Ok(()));
        assert_eq!(
            Loss::CrossEntropy { label_smoothing: 0.0 }.check(&heads[2]).unwrap_err(),
            "the loss cross_entropy does not fit the model's linear head, which trains with mse"
        );
        assert_eq!(
            Loss::Mse.check(&heads[1]).unwrap_err(),
            "the loss mse does not fit the model's sigmoid head, which trains with bce_with_logits"
        );
        let smoothing = Loss::CrossEntropy { label_smoothing: -0.1 }.check(&heads[0]);
        assert_eq!(smoothing.unwrap_err(), "label smoothing -0.1 must be in [0, 1]");
        assert_eq!(Loss::Huber { delta: 0.0 }.check(&heads[2]).unwrap_err(), "Huber delta 0 must be a positive number");
    }
}
