//! The inspector's step in words (no DOM): a line on the batch and loss, a row per layer (its
//! outputs, gradient and update), and for the chosen unit each formula of the step in PyTorch
//! notation next to its numbers. The numbers are the worker's (`StepInspection`); the only
//! arithmetic here spells out intermediate terms of those formulas (x·w, bias corrections).

use webgrad_nn::inspect::{LayerStep, StepInspection, UnitStep};
use webgrad_nn::{ActivationName, OptimizerConfig};

use crate::protocol::LayerHistogram;

/// One layer's row of the inspector's table, and its outputs as a histogram to draw.
pub struct LayerRow {
    pub name: String,
    pub cells: [String; 4],
    pub histogram: LayerHistogram,
}

pub struct InspectorView {
    pub summary: String,
    pub layers: Vec<LayerRow>,
    pub unit_title: String,
    /// (formula, its numbers)
    pub lines: Vec<(String, String)>,
}

/// A factor in a product: negative ones in parentheses, "2·(−0.5)".
fn factor(v: f32) -> String {
    if v < 0.0 { format!("({v:.3})") } else { format!("{v:.3}") }
}

fn layer_name(l: usize, layers: usize) -> String {
    if l + 1 == layers { "output layer".into() } else { format!("layer {}", l + 1) }
}

fn row(l: usize, layers: usize, s: &LayerStep) -> LayerRow {
    let o = &s.outputs;
    let activation = s.activation.map_or("logits".to_string(), |a| a.name().to_string());
    LayerRow {
        name: format!("{} ({activation})", layer_name(l, layers)),
        cells: [
            format!("{:.3} ± {:.3}, from {:.3} to {:.3}", o.mean, o.std, o.min, o.max),
            format!("{:.0} %", 100.0 * o.zero_fraction),
            format!("{:.3e}", s.grad_norm),
            format!("{:.2e}", s.update_ratio),
        ],
        histogram: LayerHistogram {
            activation,
            lo: o.min,
            hi: o.max,
            counts: o.histogram.clone(),
            zeros: (o.zero_fraction * o.histogram.iter().sum::<u32>() as f64).round() as u32,
            not_finite: 0,
        },
    }
}

/// The forward and backward lines of the chosen unit.
fn unit_lines(u: &UnitStep, activation: Option<ActivationName>) -> Vec<(String, String)> {
    let z: f64 =
        u.inputs.iter().zip(&u.weights).map(|(&x, &w)| f64::from(x) * f64::from(w)).sum::<f64>() + f64::from(u.bias);
    // the three largest terms x[j]·W[u, j]
    let mut terms: Vec<(usize, f64)> =
        u.inputs.iter().zip(&u.weights).map(|(&x, &w)| f64::from(x) * f64::from(w)).enumerate().collect();
    terms.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let shown: Vec<String> = terms
        .iter()
        .take(3)
        .map(|&(j, t)| format!("x[{j}]·W[{},{j}] = {}·{} = {t:.4}", u.unit, factor(u.inputs[j]), factor(u.weights[j])))
        .collect();
    let n = u.inputs.len();
    let mut lines = vec![(
        format!("z = x @ W[{}].T + b[{}]", u.unit, u.unit),
        format!("= {z:.4} over {n} inputs and b = {:.4} (largest terms: {})", u.bias, shown.join("; ")),
    )];
    // the layer's own torch.nn module, as in the model's nn.Sequential (identity: none)
    lines.push(match activation.map(ActivationName::torch_module) {
        Some(Some(module)) => (format!("a = nn.{module}(z)"), format!("= {:.4}", u.output)),
        Some(None) => ("a = z".to_string(), format!("= {:.4}", u.output)),
        None => ("logit = z".to_string(), format!("= {:.4}", u.output)),
    });
    lines.push((
        format!("g = W.grad[{}, {}]", u.unit, u.input),
        format!("= {:.4e} (x[{}]: the input whose weight has the unit's largest gradient)", u.grad_w, u.input),
    ));
    lines.push((format!("b.grad[{}]", u.unit), format!("= {:.4e}", u.grad_b)));
    lines
}

fn state(u: &UnitStep, name: &str) -> (f64, f64) {
    let find = |s: &[(String, f32)]| s.iter().find(|p| p.0 == name).map_or(0.0, |p| f64::from(p.1));
    (find(&u.state_before), find(&u.state_after))
}

/// The gradient the update uses: g + weight_decay·p where the rule adds an L2 term first (every
/// rule but AdamW, as torch.optim does), with its line.
fn l2(g: f64, weight_decay: f64, w0: f64, lines: &mut Vec<(String, String)>) -> f64 {
    if weight_decay == 0.0 {
        return g;
    }
    let with = g + weight_decay * w0;
    lines.push(("g = g + weight_decay·p".into(), format!("{g:.4e} + {weight_decay}·{w0:.4} = {with:.4e}")));
    with
}

/// The optimizer's lines for W[unit, input]: each formula of its `step` with the numbers.
fn optimizer_lines(s: &StepInspection) -> Vec<(String, String)> {
    let u = &s.unit;
    let (lr, t) = (s.lr, s.step);
    let (mut w0, w1) = (f64::from(u.w_before), f64::from(u.w_after));
    let mut lines = Vec::new();
    match s.optimizer {
        OptimizerConfig::Sgd { momentum, dampening, nesterov, weight_decay, .. } => {
            let g = l2(f64::from(u.grad_w), weight_decay, w0, &mut lines);
            if momentum != 0.0 {
                let (b0, b1) = state(u, "momentum_buffer");
                let first = if t == 1 { " (the first step: buf = g)" } else { "" };
                lines.push((
                    "buf = momentum·buf + (1 − dampening)·g".into(),
                    format!("{momentum}·{b0:.4e} + {}·{g:.4e} = {b1:.4e}{first}", 1.0 - dampening),
                ));
                let step = if nesterov { "g + momentum·buf" } else { "buf" };
                lines.push((format!("p = p − lr·({step})"), format!("{w0:.6} − {lr}·… = {w1:.6}")));
            } else {
                lines.push(("p = p − lr·g".into(), format!("{w0:.6} − {lr}·{g:.4e} = {w1:.6}")));
            }
        }
        OptimizerConfig::Adam { beta1, beta2, eps, weight_decay, .. }
        | OptimizerConfig::AdamW { beta1, beta2, eps, weight_decay, .. } => {
            let mut g = f64::from(u.grad_w);
            if matches!(s.optimizer, OptimizerConfig::AdamW { .. }) {
                if weight_decay != 0.0 {
                    let decayed = w0 * (1.0 - lr * weight_decay);
                    let line = format!("{w0:.6}·(1 − {lr}·{weight_decay}) = {decayed:.6}");
                    lines.push(("p = p·(1 − lr·weight_decay)".into(), line));
                    w0 = decayed;
                }
            } else {
                g = l2(g, weight_decay, w0, &mut lines);
            }
            let ((m0, m1), (v0, v1)) = (state(u, "exp_avg"), state(u, "exp_avg_sq"));
            lines.push((
                "exp_avg = β1·exp_avg + (1 − β1)·g".into(),
                format!("{beta1}·{m0:.4e} + {:.3}·{g:.4e} = {m1:.4e}", 1.0 - beta1),
            ));
            lines.push((
                "exp_avg_sq = β2·exp_avg_sq + (1 − β2)·g²".into(),
                format!("{beta2}·{v0:.4e} + {:.3}·{:.4e} = {v1:.4e}", 1.0 - beta2, g * g),
            ));
            let (c1, c2) = (1.0 - beta1.powi(t as i32), 1.0 - beta2.powi(t as i32));
            lines.push((
                "m̂ = exp_avg / (1 − β1^t), v̂ = exp_avg_sq / (1 − β2^t)".into(),
                format!("t = {t}: m̂ = {m1:.4e} / {c1:.4} = {:.4e}, v̂ = {v1:.4e} / {c2:.4} = {:.4e}", m1 / c1, v1 / c2),
            ));
            lines.push((
                "p = p − lr·m̂ / (√v̂ + eps)".into(),
                format!("{w0:.6} − {lr}·{:.4e} / ({:.4e} + {eps}) = {w1:.6}", m1 / c1, (v1 / c2).sqrt()),
            ));
        }
        OptimizerConfig::RmsProp { alpha, eps, momentum, centered, weight_decay, .. } => {
            let g = l2(f64::from(u.grad_w), weight_decay, w0, &mut lines);
            let (s0, s1) = state(u, "square_avg");
            lines.push((
                "square_avg = alpha·square_avg + (1 − alpha)·g²".into(),
                format!("{alpha}·{s0:.4e} + {:.3}·{:.4e} = {s1:.4e}", 1.0 - alpha, g * g),
            ));
            let avg = if centered {
                let (a0, a1) = state(u, "grad_avg");
                lines.push((
                    "grad_avg = alpha·grad_avg + (1 − alpha)·g".into(),
                    format!("{alpha}·{a0:.4e} + {:.3}·{g:.4e} = {a1:.4e}", 1.0 - alpha),
                ));
                "√(square_avg − grad_avg²) + eps"
            } else {
                "√square_avg + eps"
            };
            let update = if momentum != 0.0 {
                let (b0, b1) = state(u, "momentum_buffer");
                lines
                    .push((format!("buf = momentum·buf + g / ({avg})"), format!("{momentum}·{b0:.4e} + … = {b1:.4e}")));
                "p = p − lr·buf".to_string()
            } else {
                format!("p = p − lr·g / ({avg})")
            };
            lines.push((update, format!("{w0:.6} → {w1:.6} (eps = {eps})")));
        }
        OptimizerConfig::Adagrad { lr_decay, eps, weight_decay, .. } => {
            let g = l2(f64::from(u.grad_w), weight_decay, w0, &mut lines);
            let (s0, s1) = state(u, "sum");
            lines.push(("sum = sum + g²".into(), format!("{s0:.4e} + {:.4e} = {s1:.4e}", g * g)));
            lines.push((
                "p = p − clr·g / (√sum + eps), clr = lr / (1 + (t − 1)·lr_decay)".into(),
                format!("{w0:.6} → {w1:.6} (lr_decay = {lr_decay}, eps = {eps})"),
            ));
        }
    }
    lines.push(("Δp".into(), format!("{:.4e}", w1 - f64::from(u.w_before))));
    lines
}

pub fn view(s: &StepInspection) -> InspectorView {
    let n = s.layers.len();
    let u = &s.unit;
    let activation = s.layers.get(u.layer).and_then(|l| l.activation);
    let clip =
        s.clip_grad_norm.map_or(String::new(), |c| format!(" Gradients are clipped to norm {c} before the update."));
    let mut lines = unit_lines(u, activation);
    lines.extend(optimizer_lines(s));
    InspectorView {
        summary: format!(
            "Step {} on a batch of {} rows: loss {:.4} (before the step, without dropout), learning rate {}.{clip}",
            s.step, s.rows, s.loss, s.lr
        ),
        layers: s.layers.iter().enumerate().map(|(l, x)| row(l, n, x)).collect(),
        unit_title: format!(
            "{}, unit {} (row {} of W: PyTorch counts from 0), on the batch's first row, and its weight from x[{}]:",
            layer_name(u.layer, n),
            u.unit + 1,
            u.unit,
            u.input
        ),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webgrad_nn::ActivationName;
    use webgrad_nn::inspect::Outputs;

    fn inspection(optimizer: OptimizerConfig, state: [(f32, f32); 2]) -> StepInspection {
        let outputs = Outputs { mean: 0.5, std: 0.25, min: 0.0, max: 1.0, zero_fraction: 0.25, histogram: vec![1; 20] };
        let layer = |activation| LayerStep { activation, outputs: outputs.clone(), grad_norm: 0.1, update_ratio: 1e-3 };
        let names = ["exp_avg", "exp_avg_sq"];
        StepInspection {
            step: 2,
            rows: 16,
            loss: 0.5,
            lr: 0.01,
            optimizer,
            clip_grad_norm: None,
            layers: vec![layer(Some(ActivationName::Relu)), layer(None)],
            unit: UnitStep {
                layer: 0,
                unit: 1,
                input: 0,
                inputs: vec![2.0, -1.0],
                weights: vec![0.5, 0.25],
                bias: 0.125,
                output: 0.875,
                grad_w: 0.1,
                grad_b: 0.05,
                w_before: 0.5,
                w_after: 0.49,
                state_before: names.iter().zip(state).map(|(n, s)| (n.to_string(), s.0)).collect(),
                state_after: names.iter().zip(state).map(|(n, s)| (n.to_string(), s.1)).collect(),
            },
        }
    }

    #[test]
    fn adams_step_is_spelled_out_with_its_numbers() {
        let adam = OptimizerConfig::by_name("adam").unwrap();
        let v = view(&inspection(adam, [(0.05, 0.055), (1e-4, 1.1e-4)]));
        assert!(v.summary.starts_with("Step 2 on a batch of 16 rows: loss 0.5000"), "{}", v.summary);
        assert_eq!(v.layers[0].name, "layer 1 (relu)");
        assert_eq!(v.layers[1].name, "output layer (logits)");
        assert_eq!(v.layers[0].cells[1], "25 %");
        // z = 2·0.5 − 1·0.25 + 0.125
        assert_eq!(v.lines[0].0, "z = x @ W[1].T + b[1]");
        assert!(v.lines[0].1.starts_with("= 0.8750 over 2 inputs"), "{}", v.lines[0].1);
        assert_eq!(v.lines[1], ("a = nn.ReLU()(z)".to_string(), "= 0.8750".to_string()));
        let formulas: Vec<&str> = v.lines.iter().map(|l| l.0.as_str()).collect();
        assert!(formulas.contains(&"exp_avg = β1·exp_avg + (1 − β1)·g"));
        assert!(formulas.contains(&"p = p − lr·m̂ / (√v̂ + eps)"));
        // bias corrections at t = 2: 1 − 0.9² = 0.19, 1 − 0.999² = 0.001999
        let hats = &v.lines.iter().find(|l| l.0.starts_with("m̂")).unwrap().1;
        assert!(hats.starts_with("t = 2: m̂ = 5.5000e-2 / 0.1900 = 2.8947e-1"), "{hats}");
        assert_eq!(v.lines.last().unwrap().0, "Δp");
    }

    #[test]
    fn sgd_with_momentum_names_its_buffer() {
        let sgd = OptimizerConfig::by_name("momentum").unwrap();
        let mut s = inspection(sgd, [(0.2, 0.28), (0.0, 0.0)]);
        s.unit.state_before.truncate(1);
        s.unit.state_before[0].0 = "momentum_buffer".into();
        s.unit.state_after.truncate(1);
        s.unit.state_after[0].0 = "momentum_buffer".into();
        let v = view(&s);
        let buf = v.lines.iter().find(|l| l.0 == "buf = momentum·buf + (1 − dampening)·g").unwrap();
        assert_eq!(buf.1, "0.9·2.0000e-1 + 1·1.0000e-1 = 2.8000e-1");
    }

    /// Every rule but AdamW adds weight_decay·p to the gradient first, and the lines after it use
    /// that sum (before, they used the raw gradient, so their numbers did not add up).
    #[test]
    fn weight_decay_goes_into_the_gradient_the_lines_use() {
        let sgd = OptimizerConfig::Sgd { lr: 0.01, momentum: 0.9, dampening: 0.0, nesterov: false, weight_decay: 0.1 };
        let mut s = inspection(sgd, [(0.2, 0.33), (0.0, 0.0)]);
        s.unit.state_before.truncate(1);
        s.unit.state_before[0].0 = "momentum_buffer".into();
        s.unit.state_after.truncate(1);
        s.unit.state_after[0].0 = "momentum_buffer".into();
        let v = view(&s);
        // g = 0.1 + 0.1·0.5 = 0.15
        let decay = v.lines.iter().find(|l| l.0 == "g = g + weight_decay·p").unwrap();
        assert_eq!(decay.1, "1.0000e-1 + 0.1·0.5000 = 1.5000e-1");
        let buf = v.lines.iter().find(|l| l.0 == "buf = momentum·buf + (1 − dampening)·g").unwrap();
        assert_eq!(buf.1, "0.9·2.0000e-1 + 1·1.5000e-1 = 3.3000e-1");
        // AdamW decays the weight instead, and its last line starts from the decayed weight
        let adamw = OptimizerConfig::AdamW { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1 };
        let v = view(&inspection(adamw, [(0.05, 0.055), (1e-4, 1.1e-4)]));
        let decay = v.lines.iter().find(|l| l.0 == "p = p·(1 − lr·weight_decay)").unwrap();
        assert_eq!(decay.1, "0.500000·(1 − 0.01·0.1) = 0.499500");
        assert!(v.lines.iter().find(|l| l.0 == "p = p − lr·m̂ / (√v̂ + eps)").unwrap().1.starts_with("0.499500 − "));
        // RMSprop with momentum and centred: its own formula
        let rms = OptimizerConfig::RmsProp {
            lr: 0.01,
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.9,
            centered: true,
            weight_decay: 0.0,
        };
        let formulas: Vec<String> = view(&inspection(rms, [(0.0, 0.0); 2])).lines.into_iter().map(|l| l.0).collect();
        assert!(
            formulas.contains(&"buf = momentum·buf + g / (√(square_avg − grad_avg²) + eps)".to_string()),
            "{formulas:?}"
        );
        assert!(formulas.contains(&"p = p − lr·buf".to_string()), "{formulas:?}");
    }
}
