//! One CPU call with its buffers (`Call`), which every `CpuBackend` op builds and runs, and the
//! recorded step (`CpuPlan`) that runs a list of them again on the same buffers.
//!
//! Outputs are always fresh buffers when a call is first made, so no call's output aliases its
//! inputs; a replay runs the calls in their recorded order, so each buffer goes through the same
//! writes and reads as when it was recorded, and every kernel here overwrites its whole output.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;

use super::{CpuBuf, CpuLabels, GemmImpl, elementwise, gemm, optim, rows, threads};
use crate::backend::{BinaryOp, GemmSpec, ReduceOp, StepHyper, StepPlan, UnaryOp, UpdateRule};

type F = Rc<CpuBuf>;
type L = Rc<CpuLabels>;

/// One parameter of an optimizer call (see `ParamSlot`).
pub(super) struct Slot {
    pub param: F,
    pub grad: F,
    pub state: Vec<F>,
    pub len: usize,
    /// Set in a recorded step whose forward GEMM reads this parameter as a transposed B, W [n, k]
    /// (`keep_strips`): k. The update then leaves W packed into that GEMM's strips as well
    /// (`buf::CpuBuf::write_with_strips`), and the next step's GEMM reads them instead of packing W.
    pub strips_k: Option<usize>,
}

/// Marks the parameters the recorded `calls` both update and read as a GEMM's transposed B (a
/// Linear weight W [n, k] in X·Wᵀ), so that their updates keep W's strips (`Slot::strips_k`).
pub(super) fn keep_strips(calls: &mut [Call]) {
    // (W, k, n) of each GEMM that reads a whole W transposed
    let transposed: Vec<(*const CpuBuf, usize, usize)> = calls
        .iter()
        .filter_map(|call| match call {
            Call::Gemm { b, spec, .. } if spec.trans_b => Some((Rc::as_ptr(b), spec.k, spec.n)),
            _ => None,
        })
        .collect();
    for call in calls {
        if let Call::OptimizerStep { slots, .. } = call {
            for slot in slots {
                let read = transposed
                    .iter()
                    .find(|&&(w, k, n)| w == Rc::as_ptr(&slot.param) && k.checked_mul(n) == Some(slot.len));
                slot.strips_k = read.map(|&(_, k, _)| k);
            }
        }
    }
}

pub(super) enum Call {
    Unary { op: UnaryOp, x: F, len: usize, out: F },
    UnaryBackward { op: UnaryOp, x: F, y: F, g: F, len: usize, out: F },
    Binary { op: BinaryOp, a: F, sa: Vec<usize>, b: F, sb: Vec<usize>, shape: Vec<usize>, out: F },
    Select { cond: F, a: F, b: F, len: usize, out: F },
    CopyStrided { x: F, strides: Vec<usize>, shape: Vec<usize>, out: F },
    Reduce { op: ReduceOp, x: F, dims: (usize, usize, usize), out: F },
    Softmax { x: F, dims: (usize, usize, usize), log: bool, out: F },
    Gemm { a: F, b: F, bias: Option<F>, spec: GemmSpec, out: F },
    OneHot { labels: L, n: usize, classes: usize, out: F },
    GatherRows { x: F, labels: L, n: usize, classes: usize, out: F },
    GatherTable { table: F, rows: L, start: L, n: usize, width: usize, out: F },
    GatherTableU32 { table: L, rows: L, start: L, n: usize, out: L },
    Concat { parts: Vec<(F, usize)>, outer: usize, inner: usize, out: F },
    Slice { x: F, dims: (usize, usize, usize), start: usize, len: usize, out: F },
    DropoutMask { len: usize, p: f32, seed: u32, out: F },
    SoftmaxXent { logits: F, labels: L, n: usize, c: usize, smoothing: f32, loss: F, probs: F },
    SoftmaxXentBackward { probs: F, labels: L, g: F, n: usize, c: usize, smoothing: f32, out: F },
    OptimizerStep { rule: UpdateRule, slots: Vec<Slot> },
    Accumulate { acc: F, x: F, len: usize, scale: f32 },
    AccumulateHits { acc: F, logits: F, labels: L, n: usize, c: usize },
}

/// What a call needs besides its buffers: the GEMM to run, and the per-step values a replay
/// changes (the optimizer's `hyper`, and the shift added to recorded dropout seeds).
pub(super) struct Ctx<'a> {
    pub gemm: GemmImpl,
    pub scratch: &'a RefCell<gemm::Scratch>,
    pub hyper: Option<StepHyper>,
    pub seed_shift: u32,
}

fn w(b: &F) -> RefMut<'_, Vec<f32>> {
    b.write()
}

impl Call {
    pub fn run(&self, ctx: &Ctx<'_>) {
        match self {
            Call::Unary { op, x, len, out } => {
                elementwise::unary_slice(*op, &x.read()[..*len], &mut w(out)[..*len]);
            }
            Call::UnaryBackward { op, x, y, g, len, out } => {
                let (x, y, g) = (x.read(), y.read(), g.read());
                elementwise::unary_backward_slice(*op, &x, &y, &g, &mut w(out)[..*len]);
            }
            Call::Binary { op, a, sa, b, sb, shape, out } => {
                let mut out = w(out);
                if !out.is_empty() {
                    elementwise::binary_strided(*op, (&a.read(), sa), (&b.read(), sb), shape, &mut out);
                }
            }
            Call::Select { cond, a, b, len, out } => {
                let (c, a, b) = (cond.read(), a.read(), b.read());
                for (i, o) in w(out)[..*len].iter_mut().enumerate() {
                    *o = if c[i] != 0.0 { a[i] } else { b[i] };
                }
            }
            Call::CopyStrided { x, strides, shape, out } => {
                let mut out = w(out);
                if !out.is_empty() {
                    elementwise::copy_strided(&x.read(), strides, shape, &mut out);
                }
            }
            Call::Reduce { op, x, dims, out } => rows::reduce(*op, &x.read(), *dims, &mut w(out)),
            Call::Softmax { x, dims, log, out } => rows::softmax(&x.read(), *dims, *log, &mut w(out)),
            Call::Gemm { a, b: b_buf, bias, spec, out } => {
                let (a, b, bias) = (a.read(), b_buf.read(), bias.as_ref().map(|b| b.read()));
                let bias = bias.as_deref().map(Vec::as_slice);
                let mut c = w(out);
                match ctx.gemm {
                    GemmImpl::Reference => gemm::reference(&a, &b, bias, spec, &mut c),
                    GemmImpl::Packed(k) => {
                        // B's strips, where its last update left them (`Slot::strips_k`)
                        let strips = if spec.trans_b { b_buf.strips(k.nr, spec.k, spec.n) } else { None };
                        let mut scratch = ctx.scratch.borrow_mut();
                        gemm::packed_with_strips(k, &mut scratch, &a, (&b, strips.as_deref()), bias, spec, &mut c);
                    }
                }
            }
            Call::OneHot { labels, n, classes, out } => rows::one_hot(&labels.0.borrow()[..*n], *classes, &mut w(out)),
            Call::GatherRows { x, labels, n, classes, out } => {
                rows::gather_rows(&x.read(), &labels.0.borrow()[..*n], *classes, &mut w(out));
            }
            Call::GatherTable { table, rows, start, n, width, out } => {
                let (rows, start) = (rows.0.borrow(), start.0.borrow()[0] as usize);
                rows::gather_table(&table.read(), &rows, start, *width, &mut w(out)[..n * width]);
            }
            Call::GatherTableU32 { table, rows, start, n, out } => {
                let (rows, start) = (rows.0.borrow(), start.0.borrow()[0] as usize);
                rows::gather_table(&table.0.borrow(), &rows, start, 1, &mut out.0.borrow_mut()[..*n]);
            }
            Call::Concat { parts, outer, inner, out } => {
                // parts viewed as [outer, axis_i, inner] → [outer, Σ axis_i, inner]
                let (mut out, mut at) = (w(out), 0);
                for o in 0..*outer {
                    for (part, axis) in parts {
                        let n = axis * inner;
                        out[at..at + n].copy_from_slice(&part.read()[o * n..(o + 1) * n]);
                        at += n;
                    }
                }
            }
            Call::Slice { x, dims, start, len, out } => rows::slice(&x.read(), *dims, *start, *len, &mut w(out)),
            Call::DropoutMask { len, p, seed, out } => {
                let (keep, seed) = (1.0 / (1.0 - p), seed.wrapping_add(ctx.seed_shift));
                for (i, o) in w(out)[..*len].iter_mut().enumerate() {
                    *o = if crate::rng::hash_uniform(seed, i as u32) < *p { 0.0 } else { keep };
                }
            }
            Call::SoftmaxXent { logits, labels, n, c, smoothing, loss, probs } => {
                let labels = &labels.0.borrow()[..*n];
                w(loss)[0] = rows::softmax_xent(&logits.read(), labels, *n, *c, *smoothing, &mut w(probs));
            }
            Call::SoftmaxXentBackward { probs, labels, g, n, c, smoothing, out } => {
                let (probs, labels, g) = (probs.read(), labels.0.borrow(), g.read()[0]);
                rows::softmax_xent_backward(&probs, &labels[..*n], g, (*n, *c), *smoothing, &mut w(out));
            }
            Call::Accumulate { acc, x, len, scale } => {
                for (a, &v) in w(acc)[..*len].iter_mut().zip(&x.read()[..*len]) {
                    *a += scale * v;
                }
            }
            Call::AccumulateHits { acc, logits, labels, n, c } => {
                let hits = rows::count_hits(&logits.read(), &labels.0.borrow()[..*n], *c);
                w(acc)[0] += hits as f32;
            }
            Call::OptimizerStep { rule, slots } => {
                let hyper = ctx.hyper.expect("an optimizer call runs with its step's hyperparameters");
                for slot in slots {
                    // W [n, k] and its strips for the next forward GEMM, or the parameter alone
                    let kept = match (slot.strips_k, ctx.gemm) {
                        // (a W narrower than one strip would keep mostly padding)
                        (Some(k), GemmImpl::Packed(kernel)) if k > 0 && slot.len / k >= kernel.nr => slot
                            .param
                            .write_with_strips(kernel.nr, k, slot.len / k)
                            .map(|(p, s)| (p, Some((s, k, kernel.nr)))),
                        _ => None,
                    };
                    let (mut p, mut strips) = kept.unwrap_or_else(|| (w(&slot.param), None));
                    let (g, len) = (slot.grad.read(), slot.len);
                    // at most 3 state slots (RMSprop, centered, with momentum): no allocation
                    let mut guards: [Option<RefMut<'_, Vec<f32>>>; 3] = [None, None, None];
                    for (guard, s) in guards.iter_mut().zip(&slot.state) {
                        *guard = Some(w(s));
                    }
                    let mut state: [&mut [f32]; 3] = Default::default();
                    for (s, guard) in state.iter_mut().zip(guards.iter_mut().flatten()) {
                        *s = &mut guard[..len];
                    }
                    let keep = strips.as_mut().map(|(s, k, nr)| Keep { strips: &mut s[..], k: *k, nr: *nr });
                    let parts = threads::parts(len, UPDATE_SPLIT_MIN);
                    update_split(rule, hyper, &mut p[..len], &g[..len], &mut state[..slot.state.len()], keep, parts);
                }
            }
        }
    }
}

/// A recorded step: its calls, and the dropout seed it was recorded with.
pub(super) struct CpuPlan {
    pub calls: Vec<Call>,
    pub dropout_seed: u32,
    pub gemm: GemmImpl,
    pub scratch: Rc<RefCell<gemm::Scratch>>,
}

impl StepPlan for CpuPlan {
    fn replay(&self, hyper: StepHyper, dropout_seed: u32) {
        let ctx = Ctx {
            gemm: self.gemm,
            scratch: &self.scratch,
            hyper: Some(hyper),
            seed_shift: dropout_seed.wrapping_sub(self.dropout_seed),
        };
        for call in &self.calls {
            call.run(&ctx);
        }
    }
}

/// Parameters at least this long are updated in parts over the pool's threads: an update costs a
/// few operations per value, so a shorter one is over before a second thread could start. In
/// wasm, where the page's steps run with the pool awake (`threads::on_pool`), the MNIST model's
/// first layer (100,352 weights) is split, its others are not; natively, where a split wakes a
/// sleeping thread (tens of µs), only updates of a few MB are.
#[cfg(target_arch = "wasm32")]
const UPDATE_SPLIT_MIN: usize = 1 << 15;
#[cfg(not(target_arch = "wasm32"))]
const UPDATE_SPLIT_MIN: usize = 1 << 21;

/// What an update keeps besides W [n, k] (`len / k` rows): its strips for `nr`-wide kernels.
struct Keep<'a> {
    strips: &'a mut [f32],
    k: usize,
    nr: usize,
}

/// `optim::step` (or `step_keeping_strips`) over `parts` contiguous ranges of the parameter, in
/// parallel (each value's update reads and writes only that value's entries, so the result is the
/// same bits). The ranges start at multiples of 16, so each part's vector loop runs over whole
/// vectors; with strips, at whole strips (nr rows of W, which start at the same offset in W and
/// in its strips).
fn update_split(
    rule: &UpdateRule,
    h: StepHyper,
    p: &mut [f32],
    g: &[f32],
    state: &mut [&mut [f32]],
    keep: Option<Keep<'_>>,
    parts: usize,
) {
    let unit = keep.as_ref().map_or(16, |s| s.nr * s.k);
    let half = (p.len() / parts * (parts / 2)) / unit * unit;
    if parts < 2 || half == 0 {
        return match keep {
            Some(Keep { strips, k, nr }) => {
                optim::step_keeping_strips(rule, h, p, g, state, strips, (p.len() / k, k), nr)
            }
            None => optim::step(rule, h, p, g, state),
        };
    }
    let ((p0, p1), (g0, g1)) = (p.split_at_mut(half), g.split_at(half));
    // at most 3 state slots (as above): no allocation
    let (mut s0, mut s1): ([&mut [f32]; 3], [&mut [f32]; 3]) = Default::default();
    for ((s, a), b) in state.iter_mut().zip(&mut s0).zip(&mut s1) {
        (*a, *b) = std::mem::take(s).split_at_mut(half);
    }
    let (k0, k1) = match keep {
        Some(Keep { strips, k, nr }) => {
            let (a, b) = strips.split_at_mut(half);
            (Some(Keep { strips: a, k, nr }), Some(Keep { strips: b, k, nr }))
        }
        None => (None, None),
    };
    let n = state.len();
    threads::join(
        || update_split(rule, h, p0, g0, &mut s0[..n], k0, parts / 2),
        || update_split(rule, h, p1, g1, &mut s1[..n], k1, parts - parts / 2),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SplitMix64;

    /// An Adam update in 2 and 3 parts (over threads where there are) is the same bits as one pass
    /// over the whole parameter, including a length that is not a multiple of the parts' 16.
    #[test]
    fn an_update_in_parts_is_the_same_bits_as_in_one_pass() {
        let mut rng = SplitMix64(7);
        let len = 40_003;
        let mut draw = || (0..len).map(|_| (rng.next_53() as f64 / 2f64.powi(53) - 0.5) as f32).collect::<Vec<f32>>();
        let (p, g, m, v) = (draw(), draw(), draw(), draw().into_iter().map(f32::abs).collect::<Vec<_>>());
        let rule = UpdateRule::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, decoupled: true };
        let h = StepHyper { lr: 1e-3, step: 3 };
        let run = |parts: usize| {
            let (mut p, mut m, mut v) = (p.clone(), m.clone(), v.clone());
            update_split(&rule, h, &mut p, &g, &mut [&mut m[..], &mut v[..]], None, parts);
            (p, m, v)
        };
        let one = run(1);
        for parts in [2, 3] {
            let got = run(parts);
            let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same(&got.0, &one.0) && same(&got.1, &one.1) && same(&got.2, &one.2), "{parts} parts differ");
        }
        // keeping W's strips: W [n, k] = [20, 2000] split at whole 8-wide strips, the last one partial
        let (n, k, nr) = (20, 2_000, 8);
        let keeping = |parts: usize| {
            let (mut p, mut m, mut v) = (p.clone(), m.clone(), v.clone());
            let mut strips = vec![f32::NAN; crate::cpu::buf::strips_len(n, k, nr).unwrap()];
            let keep = Some(Keep { strips: &mut strips, k, nr });
            update_split(&rule, h, &mut p[..n * k], &g[..n * k], &mut [&mut m[..n * k], &mut v[..n * k]], keep, parts);
            (p, strips)
        };
        let (p1, strips1) = keeping(1);
        let bits = |a: &[f32]| a.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        assert!(bits(&p1[..n * k]) == bits(&one.0[..n * k]), "keeping strips changes the update");
        for parts in [2, 3] {
            let (p, strips) = keeping(parts);
            assert!(bits(&p) == bits(&p1) && bits(&strips) == bits(&strips1), "{parts} parts keep other strips");
        }
    }
}
