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
            let c = AdamCoef { w1, b2, w2, eps, bc2_sqrt, neg_step, decay, wd };
            // one branch-free loop per variant, so each vectorises (sqrt and div are exact in SIMD)
            match (decoupled, l2, w1 < 0.5) {
                (true, _, true) => adam_widest::<true, false, true>(&c, p, g, m, v),
                (true, _, false) => adam_widest::<true, false, false>(&c, p, g, m, v),
                (false, true, true) => adam_widest::<false, true, true>(&c, p, g, m, v),
                (false, true, false) => adam_widest::<false, true, false>(&c, p, g, m, v),
                (false, false, true) => adam_widest::<false, false, true>(&c, p, g, m, v),
                (false, false, false) => adam_widest::<false, false, false>(&c, p, g, m, v),
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

struct AdamCoef {
    w1: f32,
    b2: f32,
    w2: f32,
    eps: f32,
    bc2_sqrt: f32,
    neg_step: f32,
    decay: f32,
    wd: f32,
}

/// `adam` on the widest vectors this machine has: compiled for AVX-512 natively when detected
/// (the loop is bound by the divider, which wider vectors feed better), and written with simd128
/// intrinsics on wasm (the page's size-optimised LTO build does not vectorise it). Results are
/// bit-identical on every path: sqrt, div, mul and add are exactly rounded lane by lane, and
/// nothing is fused.
fn adam_widest<const DECOUPLED: bool, const L2: bool, const LOW_W1: bool>(
    c: &AdamCoef,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above).
        return unsafe { adam_avx512::<DECOUPLED, L2, LOW_W1>(c, p, g, m, v) };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return adam_simd128::<DECOUPLED, L2, LOW_W1>(c, p, g, m, v);
    #[allow(unreachable_code)]
    adam::<DECOUPLED, L2, LOW_W1>(c, p, g, m, v)
}

/// `adam`, four lanes at a time, the same operations in the same order; the tail runs `adam`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn adam_simd128<const DECOUPLED: bool, const L2: bool, const LOW_W1: bool>(
    c: &AdamCoef,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    use core::arch::wasm32::*;
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let s = f32x4_splat;
    let (w1, one_minus_w1, b2, w2) = (s(c.w1), s(1.0 - c.w1), s(c.b2), s(c.w2));
    let (eps, bc2_sqrt, neg_step, decay, wd) = (s(c.eps), s(c.bc2_sqrt), s(c.neg_step), s(c.decay), s(c.wd));
    let whole = n / 4 * 4;
    for i in (0..whole).step_by(4) {
        // SAFETY: i + 4 <= n = the length of all four slices; v128 loads/stores are unaligned.
        unsafe {
            let (pp, mp, vp) = (
                p.as_mut_ptr().add(i) as *mut v128,
                m.as_mut_ptr().add(i) as *mut v128,
                v.as_mut_ptr().add(i) as *mut v128,
            );
            let mut gi = v128_load(g.as_ptr().add(i) as *const v128);
            let mut pi = v128_load(pp);
            if L2 {
                gi = f32x4_add(gi, f32x4_mul(wd, pi));
            }
            if DECOUPLED {
                pi = f32x4_mul(pi, decay);
            }
            let mi = v128_load(mp);
            let d = f32x4_sub(gi, mi);
            let mi = if LOW_W1 { f32x4_add(mi, f32x4_mul(w1, d)) } else { f32x4_sub(gi, f32x4_mul(d, one_minus_w1)) };
            let vi = f32x4_add(f32x4_mul(v128_load(vp), b2), f32x4_mul(f32x4_mul(w2, gi), gi));
            let denom = f32x4_add(f32x4_div(f32x4_sqrt(vi), bc2_sqrt), eps);
            pi = f32x4_add(pi, f32x4_mul(neg_step, f32x4_div(mi, denom)));
            v128_store(mp, mi);
            v128_store(vp, vi);
            v128_store(pp, pi);
        }
    }
    adam::<DECOUPLED, L2, LOW_W1>(c, &mut p[whole..], &g[whole..], &mut m[whole..], &mut v[whole..]);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn adam_avx512<const DECOUPLED: bool, const L2: bool, const LOW_W1: bool>(
    c: &AdamCoef,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    adam::<DECOUPLED, L2, LOW_W1>(c, p, g, m, v)
}

/// torch.optim.Adam's single-tensor update of one parameter, operation for operation:
/// m.lerp_(g, 1-β1); v.mul_(β2).addcmul_(g, g, value=1-β2);
/// p.addcdiv_(m, v.sqrt() / √(1-β2ᵗ) + ε, value=-lr/(1-β1ᵗ)).
#[inline(always)]
fn adam<const DECOUPLED: bool, const L2: bool, const LOW_W1: bool>(
    c: &AdamCoef,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let mut gi = g[i];
        if L2 {
            gi += c.wd * p[i];
        }
        if DECOUPLED {
            p[i] *= c.decay;
        }
        // torch.lerp's two formulas, chosen once per call (LOW_W1 = w1 < 0.5)
        m[i] = if LOW_W1 { m[i] + c.w1 * (gi - m[i]) } else { gi - (gi - m[i]) * (1.0 - c.w1) };
        v[i] = v[i] * c.b2 + c.w2 * gi * gi;
        let denom = v[i].sqrt() / c.bc2_sqrt + c.eps;
        p[i] += c.neg_step * (m[i] / denom);
    }
}

/// torch.lerp: start + w·(end − start) for w < 0.5, else end − (end − start)·(1 − w).
#[inline]
fn lerp(start: f32, end: f32, w: f32) -> f32 {
    if w < 0.5 { start + w * (end - start) } else { end - (end - start) * (1.0 - w) }
}
