//! Row-wise kernels on buffers viewed as [outer, axis, inner]: reductions, softmax, fused
//! softmax cross-entropy, one-hot/gather, slice (concat runs in `plan.rs`).

use crate::backend::ReduceOp;

pub fn reduce(op: ReduceOp, x: &[f32], (outer, axis, inner): (usize, usize, usize), out: &mut [f32]) {
    let init = match op {
        ReduceOp::Sum => 0.0,
        ReduceOp::Max => f32::NEG_INFINITY,
    };
    out.fill(init);
    for o in 0..outer {
        let dst = &mut out[o * inner..(o + 1) * inner];
        for a in 0..axis {
            let src = &x[(o * axis + a) * inner..(o * axis + a + 1) * inner];
            match op {
                ReduceOp::Sum => dst.iter_mut().zip(src).for_each(|(d, s)| *d += s),
                // NaN propagates, as torch.max does
                ReduceOp::Max => dst.iter_mut().zip(src).for_each(|(d, &s)| {
                    if s > *d || s.is_nan() {
                        *d = s
                    }
                }),
            }
        }
    }
}

pub fn softmax(x: &[f32], (outer, axis, inner): (usize, usize, usize), log: bool, out: &mut [f32]) {
    for o in 0..outer {
        for i in 0..inner {
            let at = |a: usize| (o * axis + a) * inner + i;
            let max = (0..axis).map(|a| x[at(a)]).fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0f32;
            for a in 0..axis {
                let e = (x[at(a)] - max).exp();
                out[at(a)] = e;
                sum += e;
            }
            if log {
                let log_sum = sum.ln();
                (0..axis).for_each(|a| out[at(a)] = x[at(a)] - max - log_sum);
            } else {
                (0..axis).for_each(|a| out[at(a)] /= sum);
            }
        }
    }
}

/// Returns the mean loss; fills `probs` [n, c]. target = (1-ε)·onehot(label) + ε/c.
pub fn softmax_xent(logits: &[f32], labels: &[u32], n: usize, c: usize, eps: f32, probs: &mut [f32]) -> f32 {
    let mut total = 0.0f64;
    for i in 0..n {
        let row = &logits[i * c..(i + 1) * c];
        let p = &mut probs[i * c..(i + 1) * c];
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f32;
        for (pj, &x) in p.iter_mut().zip(row) {
            *pj = (x - max).exp();
            sum += *pj;
        }
        let log_sum = sum.ln();
        p.iter_mut().for_each(|pj| *pj /= sum);
        // -log p_j = log_sum - (x_j - max)
        let nll = |x: f32| log_sum - (x - max);
        let label = labels[i] as usize;
        let hard = if label < c { nll(row[label]) } else { 0.0 };
        let loss = if eps == 0.0 {
            hard
        } else {
            let mean_nll = row.iter().map(|&x| nll(x)).sum::<f32>() / c as f32;
            (1.0 - eps) * hard + eps * mean_nll
        };
        total += loss as f64;
    }
    (total / n.max(1) as f64) as f32
}

pub fn softmax_xent_backward(probs: &[f32], labels: &[u32], g: f32, (n, c): (usize, usize), eps: f32, out: &mut [f32]) {
    let scale = g / n as f32;
    let off = eps / c as f32;
    for i in 0..n {
        let label = labels[i] as usize;
        for j in 0..c {
            let target = if j == label { 1.0 - eps + off } else { off };
            out[i * c + j] = (probs[i * c + j] - target) * scale;
        }
    }
}

pub fn one_hot(labels: &[u32], classes: usize, out: &mut [f32]) {
    out.fill(0.0);
    for (i, &l) in labels.iter().enumerate() {
        if (l as usize) < classes {
            out[i * classes + l as usize] = 1.0;
        }
    }
}

pub fn gather_rows(x: &[f32], labels: &[u32], classes: usize, out: &mut [f32]) {
    for (i, (o, &l)) in out.iter_mut().zip(labels).enumerate() {
        *o = if (l as usize) < classes { x[i * classes + l as usize] } else { 0.0 };
    }
}

/// How many rows of x [labels.len(), c] have their label's value at the row's maximum (ties
/// count; a label ≥ c, or a NaN in the row, does not).
pub fn count_hits(x: &[f32], labels: &[u32], c: usize) -> usize {
    let rows = x.chunks_exact(c.max(1)).zip(labels);
    rows.filter(|&(row, &l)| row.get(l as usize).is_some_and(|&mine| row.iter().all(|&v| mine >= v))).count()
}

/// out viewed as [n, width]: row i = table row `rows[start + i]` (table viewed as
/// [_, width]), or zeros when `start + i` is past `rows` or the row number past the table.
pub fn gather_table<T: Copy + Default>(table: &[T], rows: &[u32], start: usize, width: usize, out: &mut [T]) {
    if width == 0 {
        return;
    }
    for (i, dst) in out.chunks_exact_mut(width).enumerate() {
        let at = start.checked_add(i).and_then(|k| rows.get(k)).and_then(|&r| (r as usize).checked_mul(width));
        match at.and_then(|at| table.get(at..at.checked_add(width)?)) {
            Some(src) => dst.copy_from_slice(src),
            None => dst.fill(T::default()),
        }
    }
}

pub fn slice(x: &[f32], (outer, axis, inner): (usize, usize, usize), start: usize, len: usize, out: &mut [f32]) {
    let n = len * inner;
    for o in 0..outer {
        out[o * n..(o + 1) * n].copy_from_slice(&x[(o * axis + start) * inner..(o * axis + start + len) * inner]);
    }
}
