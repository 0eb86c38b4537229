//! Fused optimizer updates, one pass over each parameter, following torch.optim's single-tensor
//! code line by line (scalar coefficients computed in f64, applied in f32).

use crate::backend::{StepHyper, UpdateRule};

/// Updates `p` in place from `g` and the rule's state slots (see `UpdateRule::state_slots`).
pub fn step(rule: &UpdateRule, h: StepHyper, p: &mut [f32], g: &[f32], state: &mut [&mut [f32]]) {
    let lr = h.lr;
    match *rule {
        UpdateRule::Sgd { momentum, dampening, nesterov, weight_decay } => {
            let (wd, mom, damp, neg_lr) = (weight_decay as f32, momentum as f32, (1.0 - dampening) as f32, -lr as f32);
            for i in 0..p.len() {
                let mut d = g[i];
                if weight_decay != 0.0 {
                    d += wd * p[i];
                }
                if momentum != 0.0 {
                    let buf = &mut state[0][i];
                    *buf = if h.step == 1 { d } else { *buf * mom + damp * d };
                    d = if nesterov { d + mom * *buf } else { *buf };
                }
                p[i] += neg_lr * d;
            }
        }
        UpdateRule::Adam { beta1, beta2, eps, weight_decay, decoupled } => {
            let t = h.step as i32;
            let bc1 = 1.0 - beta1.powi(t);
            let bc2_sqrt = (1.0 - beta2.powi(t)).sqrt() as f32;
            let neg_step = (-lr / bc1) as f32;
            let (w1, b2, w2, eps) = ((1.0 - beta1) as f32, beta2 as f32, (1.0 - beta2) as f32, eps as f32);
            let decay = (1.0 - lr * weight_decay) as f32;
            let (l2, wd) = (!decoupled && weight_decay != 0.0, weight_decay as f32);
            let [m, v] = state else { unreachable!("Adam has two state slots") };
            for i in 0..p.len() {
                let mut gi = g[i];
                if l2 {
                    gi += wd * p[i];
                }
                if decoupled {
                    p[i] *= decay;
                }
                m[i] = lerp(m[i], gi, w1);
                v[i] = v[i] * b2 + w2 * gi * gi;
                let denom = v[i].sqrt() / bc2_sqrt + eps;
                p[i] += neg_step * (m[i] / denom);
            }
        }
        UpdateRule::RmsProp { alpha, eps, momentum, centered, weight_decay } => {
            let (a, w, eps, mom, wd) =
                (alpha as f32, (1.0 - alpha) as f32, eps as f32, momentum as f32, weight_decay as f32);
            let neg_lr = -lr as f32;
            let (sq, rest) = state.split_first_mut().expect("RMSprop has a square_avg slot");
            let (mut buf, rest) =
                if momentum != 0.0 { rest.split_first_mut().map(|(b, r)| (Some(b), r)).unwrap() } else { (None, rest) };
            let mut grad_avg = if centered { rest.first_mut() } else { None };
            for i in 0..p.len() {
                let mut gi = g[i];
                if weight_decay != 0.0 {
                    gi += wd * p[i];
                }
                sq[i] = sq[i] * a + w * gi * gi;
                let avg = match grad_avg.as_deref_mut() {
                    Some(ga) => {
                        ga[i] = lerp(ga[i], gi, w);
                        (sq[i] - ga[i] * ga[i]).sqrt() + eps
                    }
                    None => sq[i].sqrt() + eps,
                };
                match buf.as_deref_mut() {
                    Some(b) => {
                        b[i] = b[i] * mom + gi / avg;
                        p[i] += neg_lr * b[i];
                    }
                    None => p[i] += neg_lr * (gi / avg),
                }
            }
        }
        UpdateRule::Adagrad { lr_decay, eps, weight_decay } => {
            let neg_clr = (-lr / (1.0 + (h.step as f64 - 1.0) * lr_decay)) as f32;
            let (eps, wd) = (eps as f32, weight_decay as f32);
            let sum = &mut state[0];
            for i in 0..p.len() {
                let mut gi = g[i];
                if weight_decay != 0.0 {
                    gi += wd * p[i];
                }
                sum[i] += gi * gi;
                p[i] += neg_clr * (gi / (sum[i].sqrt() + eps));
            }
        }
    }
}

/// torch.lerp: start + w·(end − start) for w < 0.5, else end − (end − start)·(1 − w).
#[inline]
fn lerp(start: f32, end: f32, w: f32) -> f32 {
    if w < 0.5 { start + w * (end - start) } else { end - (end - start) * (1.0 - w) }
}
