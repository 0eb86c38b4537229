//! Fused optimizer updates, one pass over each parameter, following torch.optim's single-tensor
//! code line by line (scalar coefficients computed in f64, applied in f32).

use crate::backend::{StepHyper, UpdateRule};

/// Calls `$f::<DECOUPLED, L2, LOW_W1>(args)` for the variant `adam_coef` picked: one
/// branch-free loop per variant, so each vectorises (sqrt and div are exact in SIMD).
macro_rules! adam_variant {
    ($variant:expr, $f:ident, $($arg:expr),*) => {
        match $variant {
            (true, _, true) => $f::<true, false, true>($($arg),*),
            (true, _, false) => $f::<true, false, false>($($arg),*),
            (false, true, true) => $f::<false, true, true>($($arg),*),
            (false, true, false) => $f::<false, true, false>($($arg),*),
            (false, false, true) => $f::<false, false, true>($($arg),*),
            (false, false, false) => $f::<false, false, false>($($arg),*),
        }
    };
}

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
        UpdateRule::Adam { .. } => {
            let [m, v] = state else { unreachable!("Adam has two state slots") };
            let (c, variant) = adam_coef(rule, h);
            adam_variant!(variant, adam_widest, &c, p, g, m, v);
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

/// Adam's coefficients for this step (scalars in f64, then f32, as torch.optim computes them),
/// and its variant: (decoupled weight decay, L2 penalty added to g, w1 < 0.5 for torch.lerp).
fn adam_coef(rule: &UpdateRule, h: StepHyper) -> (AdamCoef, (bool, bool, bool)) {
    let UpdateRule::Adam { beta1, beta2, eps, weight_decay, decoupled } = *rule else {
        unreachable!("adam_coef of an Adam rule")
    };
    let (lr, t) = (h.lr, h.step as i32);
    let bc1 = 1.0 - beta1.powi(t);
    let bc2_sqrt = (1.0 - beta2.powi(t)).sqrt() as f32;
    let neg_step = (-lr / bc1) as f32;
    let (w1, b2, w2, eps) = ((1.0 - beta1) as f32, beta2 as f32, (1.0 - beta2) as f32, eps as f32);
    let decay = (1.0 - lr * weight_decay) as f32;
    let (l2, wd) = (!decoupled && weight_decay != 0.0, weight_decay as f32);
    (AdamCoef { w1, b2, w2, eps, bc2_sqrt, neg_step, decay, wd }, (decoupled, l2, w1 < 0.5))
}

/// `step` on W [n, k] (`p`), leaving `strips` (`buf::strips_len(n, k, nr)` long) what
/// `gemm::pack_b_strips` makes of the updated W, for the next forward GEMM X·Wᵀ. Adam on simd128
/// with 8-wide strips and k a multiple of 4 packs each 8×4 block of W as it updates it: the
/// packing's shuffles run while the update waits on the divider. Otherwise W is packed after the
/// update. Either way W, the state and the strips are the same bits.
#[allow(clippy::too_many_arguments)]
pub fn step_keeping_strips(
    rule: &UpdateRule,
    h: StepHyper,
    p: &mut [f32],
    g: &[f32],
    state: &mut [&mut [f32]],
    strips: &mut [f32],
    (n, k): (usize, usize),
    nr: usize,
) {
    let len = p.len();
    assert!(
        n.checked_mul(k) == Some(len) && g.len() >= len && strips.len() >= len,
        "W's update does not fit [{n}, {k}]"
    );
    // rows of W updated and packed in one pass
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = if matches!(rule, UpdateRule::Adam { .. }) && nr == 8 && k.is_multiple_of(4) {
        let done = n / 8 * 8;
        let end = done * k;
        let [m, v] = state else { unreachable!("Adam has two state slots") };
        let (c, variant) = adam_coef(rule, h);
        let (p, g, m, v, strips) = (&mut p[..end], &g[..end], &mut m[..end], &mut v[..end], &mut strips[..end]);
        adam_variant!(variant, adam_strips_simd128, &c, p, g, m, v, strips, k);
        done
    } else {
        0
    };
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    let from = done * k;
    let (slots, mut rest): (usize, [&mut [f32]; 3]) = (state.len(), Default::default());
    for (r, s) in rest.iter_mut().zip(state.iter_mut()) {
        *r = &mut s[from..];
    }
    step(rule, h, &mut p[from..], &g[from..], &mut rest[..slots]);
    super::gemm::pack_b_strips(&mut strips[from..], &p[from..], (n - done, k), nr);
}

/// Adam over W [n, k] (n a multiple of 8, k of 4) with `simd128::Coef::update`, and W's 8-wide
/// strips (`gemm::pack_b_strips`) written 8×4 values at a time, transposed from the values just
/// updated.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(clippy::too_many_arguments)]
fn adam_strips_simd128<const DECOUPLED: bool, const L2: bool, const LOW_W1: bool>(
    c: &AdamCoef,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    strips: &mut [f32],
    k: usize,
) {
    let len = p.len();
    assert!(
        k.is_multiple_of(4) && len.is_multiple_of(8 * k) && g.len().min(m.len()).min(v.len()).min(strips.len()) >= len
    );
    let lanes = simd128::Coef::new(c);
    let (pp, gp, mp, vp, sp) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr(), strips.as_mut_ptr());
    for base in (0..len).step_by(8 * k) {
        for col in (0..k).step_by(4) {
            // SAFETY: base + 8·k <= len, which all five slices hold (asserted). The updates read
            // and write 4 values at base + q·k + col (q < 8, col + 4 <= k); the transposes read
            // those rows' 4 values and write strip rows col..col + 4 of 8 values at
            // base + (col + i)·8 (i < 4), inside the strip at base.
            unsafe {
                for q in 0..8 {
                    let i = base + q * k + col;
                    lanes.update::<DECOUPLED, L2, LOW_W1>(pp.add(i), gp.add(i), mp.add(i), vp.add(i));
                }
                let (src, dst) = (pp.add(base + col), sp.add(base + col * 8));
                super::transpose::wasm::t4x4(src, k, dst, 8);
                super::transpose::wasm::t4x4(src.add(4 * k), k, dst.add(4), 8);
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
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let lanes = simd128::Coef::new(c);
    let whole = n / 4 * 4;
    let (pp, gp, mp, vp) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
    for i in (0..whole).step_by(4) {
        // SAFETY: i + 4 <= n = the length of all four slices.
        unsafe { lanes.update::<DECOUPLED, L2, LOW_W1>(pp.add(i), gp.add(i), mp.add(i), vp.add(i)) };
    }
    adam::<DECOUPLED, L2, LOW_W1>(c, &mut p[whole..], &g[whole..], &mut m[whole..], &mut v[whole..]);
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::AdamCoef;
    use core::arch::wasm32::*;

    /// `AdamCoef` in every lane.
    pub struct Coef {
        w1: v128,
        one_minus_w1: v128,
        b2: v128,
        w2: v128,
        eps: v128,
        bc2_sqrt: v128,
        neg_step: v128,
        decay: v128,
        wd: v128,
    }

    impl Coef {
        pub fn new(c: &AdamCoef) -> Self {
            let s = f32x4_splat;
            Coef {
                w1: s(c.w1),
                one_minus_w1: s(1.0 - c.w1),
                b2: s(c.b2),
                w2: s(c.w2),
                eps: s(c.eps),
                bc2_sqrt: s(c.bc2_sqrt),
                neg_step: s(c.neg_step),
                decay: s(c.decay),
                wd: s(c.wd),
            }
        }

        /// `adam` on the four values at `p`, `g`, `m` and `v`, the same operations in the same order.
        /// # Safety
        /// Four floats readable at each pointer, and writable at `p`, `m` and `v`.
        #[inline(always)]
        pub unsafe fn update<const DECOUPLED: bool, const L2: bool, const LOW_W1: bool>(
            &self,
            p: *mut f32,
            g: *const f32,
            m: *mut f32,
            v: *mut f32,
        ) {
            let c = self;
            // SAFETY: the caller's contract; v128 loads/stores are unaligned.
            unsafe {
                let (pp, mp, vp) = (p as *mut v128, m as *mut v128, v as *mut v128);
                let mut gi = v128_load(g as *const v128);
                let mut pi = v128_load(pp);
                if L2 {
                    gi = f32x4_add(gi, f32x4_mul(c.wd, pi));
                }
                if DECOUPLED {
                    pi = f32x4_mul(pi, c.decay);
                }
                let mi = v128_load(mp);
                let d = f32x4_sub(gi, mi);
                let mi = if LOW_W1 {
                    f32x4_add(mi, f32x4_mul(c.w1, d))
                } else {
                    f32x4_sub(gi, f32x4_mul(d, c.one_minus_w1))
                };
                let vi = f32x4_add(f32x4_mul(v128_load(vp), c.b2), f32x4_mul(f32x4_mul(c.w2, gi), gi));
                let denom = f32x4_add(f32x4_div(f32x4_sqrt(vi), c.bc2_sqrt), c.eps);
                pi = f32x4_add(pi, f32x4_mul(c.neg_step, f32x4_div(mi, denom)));
                v128_store(mp, mi);
                v128_store(vp, vi);
                v128_store(pp, pi);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SplitMix64;

    // in Chromium, like the other wasm tests of this crate
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    /// An update that keeps W's strips leaves W and the state as `step` does, and the strips as
    /// `gemm::pack_b_strips` packs the updated W: on the one-pass path (Adam, 8-wide strips, k a
    /// multiple of 4, on simd128) and around it (rows past the last whole strip, other k, other
    /// widths and rules).
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn an_update_keeping_strips_is_the_update_and_the_pack() {
        let mut rng = SplitMix64(11);
        let mut draw =
            |len: usize| (0..len).map(|_| (rng.next_53() as f64 / 2f64.powi(53) - 0.5) as f32).collect::<Vec<f32>>();
        let adam = |decoupled, weight_decay, beta1| UpdateRule::Adam {
            beta1,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            decoupled,
        };
        let rules = [
            adam(true, 0.01, 0.9),
            adam(false, 0.01, 0.9),
            adam(false, 0.0, 0.9),
            adam(true, 0.0, 0.3),
            UpdateRule::Sgd { momentum: 0.9, dampening: 0.0, nesterov: true, weight_decay: 0.0 },
        ];
        for rule in rules {
            for (n, k, nr) in [(16, 12, 8), (19, 8, 8), (10, 6, 8), (16, 12, 16), (3, 4, 32)] {
                let len = n * k;
                let (p, g, s0) = (draw(len), draw(len), draw(len));
                let s1: Vec<f32> = draw(len).into_iter().map(f32::abs).collect();
                let h = StepHyper { lr: 1e-2, step: 4 };
                let slots = rule.state_slots();
                let (mut want_p, mut want_s0, mut want_s1) = (p.clone(), s0.clone(), s1.clone());
                let mut want_state: Vec<&mut [f32]> = vec![&mut want_s0[..], &mut want_s1[..]];
                step(&rule, h, &mut want_p, &g, &mut want_state[..slots]);
                let mut want_strips = vec![0.0; crate::cpu::buf::strips_len(n, k, nr).unwrap()];
                crate::cpu::gemm::pack_b_strips(&mut want_strips, &want_p, (n, k), nr);
                let (mut got_p, mut got_s0, mut got_s1) = (p.clone(), s0.clone(), s1.clone());
                let mut got_state: Vec<&mut [f32]> = vec![&mut got_s0[..], &mut got_s1[..]];
                let mut got_strips = vec![f32::NAN; want_strips.len()];
                step_keeping_strips(&rule, h, &mut got_p, &g, &mut got_state[..slots], &mut got_strips, (n, k), nr);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                let case = format!("{rule:?} on [{n}, {k}], {nr}-wide");
                assert!(bits(&got_p) == bits(&want_p), "{case}: W differs");
                assert!(
                    bits(&got_s0) == bits(&want_s0) && bits(&got_s1) == bits(&want_s1),
                    "{case}: the state differs"
                );
                assert!(bits(&got_strips) == bits(&want_strips), "{case}: the strips differ");
            }
        }
    }
}
