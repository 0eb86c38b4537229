//! The model's own gradient checked by central differences, on the trainer's next batch and
//! its device (the page's "Gradient check"; `webgrad_core::gradcheck` checks each op alone).
//!
//! L is the batch's data loss (the mean over its rows, as training computes it; L1/L2 penalties
//! left out, dropout off). Autograd gives ∂L/∂w for every weight and bias; for a sample of them
//! per layer the weight is set to w ± ε, the model's outputs read back, and L computed from them
//! in f64 on the host ([`host_loss`], the same definitions), so that
//! numeric = (L(w + ε) − L(w − ε)) / 2ε is compared with it:
//! relative error = |analytic − numeric| / max(|analytic|, |numeric|). The numeric value's error
//! has two parts: truncation, about ε²·|∂³L/∂w³| / 6, which grows with ε, and the f32 round-off
//! of the outputs the device computes, about 6e-8·|output| / ε, which grows as ε shrinks — the
//! page's ε slider shows both. The weights are put back bit for bit and the batch position is
//! unchanged.

use webgrad_core::{Tensor, no_grad, rng::Rng};
use webgrad_data::Dataset;

use crate::loss::Loss;
use crate::train::{Trainer, batch_loss};
use crate::{Error, Result};

/// Weights sampled per layer have a gradient of at least this fraction of the layer's largest
/// (a weight whose gradient is 0, e.g. from an always-blank pixel, or nearly 0, has no relative
/// error to speak of: the round-off of its difference quotient is as large as it).
pub const MIN_GRADIENT: f64 = 1e-2;

/// The default step: in f32, 3e-3 balances truncation (and, for ReLU, kinks crossed by w ± ε)
/// against round-off; the median relative error per layer of a correct model is then about
/// 1e-4 (`tests/all/model_gradcheck.rs`).
pub const DEFAULT_EPS: f32 = 3e-3;

/// One weight checked: linear layer `layer` (0-based, the output layer last), its `row` (output
/// unit) and `col` (input unit; `None` for the bias).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeightCheck {
    pub layer: usize,
    pub row: usize,
    pub col: Option<usize>,
    pub analytic: f64,
    pub numeric: f64,
    pub rel_err: f64,
}

/// What one check found: the loss at the batch, ε, and the weights checked, layer by layer.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GradCheck {
    pub loss: f64,
    pub eps: f32,
    pub rows: usize,
    /// per linear layer, the weights checked
    pub layers: Vec<Vec<WeightCheck>>,
}

impl GradCheck {
    /// The largest relative error of layer `l` (0 when none was checked): a few weights whose
    /// w ± ε crosses a ReLU's kink, or whose gradient is small, have large ones even when the
    /// gradient is right.
    pub fn max_rel_err(&self, l: usize) -> f64 {
        self.layers.get(l).map_or(0.0, |c| c.iter().map(|w| w.rel_err).fold(0.0, f64::max))
    }

    /// The median relative error of layer `l` (0 when none was checked): what says whether the
    /// layer's gradient is right (a backward pass wrong by 10 % moves every weight's error,
    /// and the median, to 0.09).
    pub fn median_rel_err(&self, l: usize) -> f64 {
        let mut e: Vec<f64> = self.layers.get(l).map_or_else(Vec::new, |c| c.iter().map(|w| w.rel_err).collect());
        e.sort_by(f64::total_cmp);
        match e.len() {
            0 => 0.0,
            n if n % 2 == 1 => e[n / 2],
            n => 0.5 * (e[n / 2 - 1] + e[n / 2]),
        }
    }
}

/// |a − n| / max(|a|, |n|), 0 when both are 0.
pub fn relative_error(analytic: f64, numeric: f64) -> f64 {
    let scale = analytic.abs().max(numeric.abs());
    if scale == 0.0 { 0.0 } else { (analytic - numeric).abs() / scale }
}

/// The data loss of model outputs `out` ([rows, k] row-major) in f64: PyTorch's definitions
/// as `crate::loss` computes them in f32 — cross-entropy (with label smoothing s:
/// (1 − s)·NLL + s·mean over classes of −log p), binary cross-entropy with logits (labels as
/// 0/1 targets), MSE and Huber, each the mean over its elements (cross-entropy: over rows).
pub fn host_loss(out: &[f32], rows: usize, loss: Loss, labels: &[u32], values: &[f32]) -> Result<f64> {
    let k = out.len().checked_div(rows).unwrap_or(0);
    if rows == 0 || k == 0 || out.len() != rows * k {
        return Err(Error::Config(format!("{} outputs do not make {rows} rows", out.len())));
    }
    let elements = (rows * k) as f64;
    let target = |i: usize| -> Result<f64> {
        let t = match loss {
            Loss::BceWithLogits => labels.get(i).map(|&l| l as f32),
            _ => values.get(i).copied(),
        };
        t.map(f64::from).ok_or_else(|| Error::Config(format!("no target for output {i}")))
    };
    let mut sum = 0.0;
    match loss {
        Loss::CrossEntropy { label_smoothing } => {
            let s = f64::from(label_smoothing);
            for (r, z) in out.chunks_exact(k).enumerate() {
                let label = *labels.get(r).ok_or_else(|| Error::Config(format!("no label for row {r}")))? as usize;
                let z: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                let nll = lse - z.get(label).ok_or_else(|| Error::Config(format!("label {label} ≥ {k} classes")))?;
                let uniform = lse - z.iter().sum::<f64>() / k as f64;
                sum += (1.0 - s) * nll + s * uniform;
            }
            return Ok(sum / rows as f64);
        }
        Loss::BceWithLogits => {
            for (i, &z) in out.iter().enumerate() {
                let (z, t) = (f64::from(z), target(i)?);
                sum += z.max(0.0) - z * t + (-z.abs()).exp().ln_1p();
            }
        }
        Loss::Mse => {
            for (i, &p) in out.iter().enumerate() {
                sum += (f64::from(p) - target(i)?).powi(2);
            }
        }
        Loss::Huber { delta } => {
            let delta = f64::from(delta);
            for (i, &p) in out.iter().enumerate() {
                let d = (f64::from(p) - target(i)?).abs();
                sum += if d < delta { 0.5 * d * d } else { delta * (d - 0.5 * delta) };
            }
        }
    }
    Ok(sum / elements)
}

impl Trainer {
    /// Checks up to `per_layer` weights of every linear layer (see the module doc) with step
    /// `eps`, on the batch the next training step would take; `seed` picks the weights.
    pub async fn check_gradients(
        &mut self,
        data: &Dataset,
        eps: f32,
        per_layer: usize,
        seed: u64,
    ) -> Result<GradCheck> {
        self.check_gradients_tampered(data, eps, per_layer, seed, |_, _| ()).await
    }

    /// [`Trainer::check_gradients`] with the analytic gradients passed through `tamper`
    /// (parameter index in `Mlp::parameters` order, its gradient) before the comparison: what a
    /// wrong backward pass would give, for testing that the check catches one.
    #[doc(hidden)]
    pub async fn check_gradients_tampered(
        &mut self,
        data: &Dataset,
        eps: f32,
        per_layer: usize,
        seed: u64,
        tamper: impl Fn(usize, &mut [f32]),
    ) -> Result<GradCheck> {
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Error::Config(format!("the finite-difference step {eps} must be a positive number")));
        }
        let (mut x, mut labels, mut values) = (Vec::new(), Vec::new(), Vec::new());
        let rows = self.gather_next(data, &mut x, &mut labels, &mut values)?;
        let model = &self.model;
        let input = Tensor::from_slice(model.device(), &x, &[rows, data.d])?;
        let loss_kind = self.config.loss;
        let loss_at = || async {
            let out = no_grad(|| model.forward(&input, false, 0)).to_vec().await?;
            host_loss(&out, rows, loss_kind, &labels, &values)
        };
        // the analytic gradient of the data loss; the parameters' gradients are cleared after
        let params = model.parameters();
        params.iter().for_each(Tensor::zero_grad);
        let loss = batch_loss(&model.forward(&input, false, 0), loss_kind, &labels, &values)?;
        let at = f64::from(loss.item().await?);
        loss.backward();
        let mut grads = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            let mut g = match p.grad() {
                Some(g) => g.to_vec().await?,
                None => vec![0.0; p.numel()],
            };
            tamper(i, &mut g);
            grads.push(g);
        }
        params.iter().for_each(Tensor::zero_grad);
        let mut rng = Rng::new(seed);
        let mut layers = Vec::with_capacity(model.layers.len());
        for (l, layer) in model.layers.iter().enumerate() {
            let &[outs, ins] = layer.weight.shape() else {
                return Err(Error::Config(format!("layer {l}'s weight is not a matrix")));
            };
            // candidates: (is bias, flat index, analytic gradient)
            let (gw, gb) = (&grads[2 * l], &grads[2 * l + 1]);
            let all = gw
                .iter()
                .enumerate()
                .map(|(i, &g)| (false, i, g))
                .chain(gb.iter().enumerate().map(|(i, &g)| (true, i, g)));
            let largest = gw.iter().chain(gb).fold(0.0f32, |m, g| m.max(g.abs()));
            let mut candidates: Vec<_> =
                all.filter(|c| f64::from(c.2.abs()) >= MIN_GRADIENT * f64::from(largest) && c.2 != 0.0).collect();
            // a seeded partial shuffle: the first `per_layer` are a uniform sample
            let take = per_layer.min(candidates.len());
            for i in 0..take {
                let j = i + rng.below((candidates.len() - i) as u32) as usize;
                candidates.swap(i, j);
            }
            let mut checks = Vec::with_capacity(take);
            let (mut weight, mut bias) = (layer.weight.to_vec().await?, layer.bias.to_vec().await?);
            for &(is_bias, i, g) in &candidates[..take] {
                let (tensor, w) = if is_bias { (&layer.bias, &mut bias) } else { (&layer.weight, &mut weight) };
                let original = w[i];
                w[i] = original + eps;
                tensor.assign(w)?;
                let plus = loss_at().await;
                w[i] = original - eps;
                tensor.assign(w)?;
                let minus = loss_at().await;
                w[i] = original;
                tensor.assign(w)?;
                // the step actually taken, in f32: (w + ε) − (w − ε) may differ from 2ε
                let step = f64::from(original + eps) - f64::from(original - eps);
                let numeric = (plus? - minus?) / step;
                let analytic = f64::from(g);
                let (row, col) = if is_bias { (i, None) } else { (i / ins, Some(i % ins)) };
                debug_assert!(row < outs);
                checks.push(WeightCheck {
                    layer: l,
                    row,
                    col,
                    analytic,
                    numeric,
                    rel_err: relative_error(analytic, numeric),
                });
            }
            layers.push(checks);
        }
        Ok(GradCheck { loss: at, eps, rows, layers })
    }
}
