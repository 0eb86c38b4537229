//! GEMM: C[m,n] = op(A)·op(B) (+bias) then act.
//!
//! `reference` is the scalar oracle (i, j, then k in order). `packed` is the BLIS-style blocked
//! GEMM: B is packed into KC×NR column strips, A into MR×KC row strips (both zero-padded to full
//! strips), and an MR×NR micro-kernel (see `microkernel.rs`) accumulates one tile in registers.
//! Transposes cost nothing: they are just other strides while packing.

use super::elementwise::{activation, activation_inplace};
use super::microkernel::Kernel;
use crate::backend::GemmSpec;

const KC: usize = 256;
const MC: usize = 96; // multiple of every MR (4, 6, 8)
const NC: usize = 2048;

/// Row and column strides of op(A) [m, k] and op(B) [k, n] in their stored buffers.
fn strides(spec: &GemmSpec) -> ((usize, usize), (usize, usize)) {
    let a = if spec.trans_a { (1, spec.m) } else { (spec.k, 1) };
    let b = if spec.trans_b { (1, spec.k) } else { (spec.n, 1) };
    (a, b)
}

pub fn reference(a: &[f32], b: &[f32], bias: Option<&[f32]>, spec: &GemmSpec, c: &mut [f32]) {
    let ((ra, ca), (rb, cb)) = strides(spec);
    for i in 0..spec.m {
        for j in 0..spec.n {
            let mut acc = 0.0f32;
            for p in 0..spec.k {
                acc += a[i * ra + p * ca] * b[p * rb + j * cb];
            }
            if let Some(bias) = bias {
                acc += bias[j];
            }
            c[i * spec.n + j] = activation(spec.act, acc);
        }
    }
}

/// Packing buffers reused across calls (grown, never shrunk).
#[derive(Default)]
pub struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
}

pub fn packed(
    kernel: &Kernel,
    scratch: &mut Scratch,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    spec: &GemmSpec,
    c: &mut [f32],
) {
    let (m, k, n) = (spec.m, spec.k, spec.n);
    let (mr, nr) = (kernel.mr, kernel.nr);
    let ((ra, ca), (rb, cb)) = strides(spec);
    if k == 0 {
        for row in c.chunks_mut(n.max(1)).take(m) {
            match bias {
                Some(bias) => row.copy_from_slice(&bias[..n]),
                None => row.fill(0.0),
            }
        }
        activation_inplace(spec.act, &mut c[..m * n]);
        return;
    }
    let mut tile = [0.0f32; 128];
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            let (first, last) = (pc == 0, pc + kc == k);
            pack(&mut scratch.b, b, (pc, jc), (kc, nc), (rb, cb), nr);
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                pack(&mut scratch.a, a, (pc, ic), (kc, mc), (ca, ra), mr);
                for jr in (0..nc).step_by(nr) {
                    let cols = nr.min(nc - jr);
                    let bp = &scratch.b[jr * kc..(jr + nr) * kc];
                    for ir in (0..mc).step_by(mr) {
                        let rows = mr.min(mc - ir);
                        let ap = &scratch.a[ir * kc..(ir + mr) * kc];
                        // SAFETY: ap holds kc·mr and bp kc·nr floats; tile has ≥ mr·nr.
                        unsafe { (kernel.run)(kc, ap.as_ptr(), bp.as_ptr(), tile.as_mut_ptr()) };
                        for r in 0..rows {
                            let row0 = (ic + ir + r) * n + jc + jr;
                            let dst = &mut c[row0..row0 + cols];
                            let src = &tile[r * nr..r * nr + cols];
                            if first {
                                dst.copy_from_slice(src);
                            } else {
                                dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
                            }
                            if last {
                                if let Some(bias) = bias {
                                    let bias = &bias[jc + jr..jc + jr + cols];
                                    dst.iter_mut().zip(bias).for_each(|(d, b)| *d += b);
                                }
                                activation_inplace(spec.act, dst);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Packs the block of a matrix at (p0 along k, q0 along the other dim), kc × qc, into strips of
/// `w` along the other dim: strip s holds, for each p, the w values q = s·w..s·w+w (zero-padded).
/// `(sp, sq)` are the element strides along k and along the other dim.
fn pack(
    dst: &mut Vec<f32>,
    src: &[f32],
    (p0, q0): (usize, usize),
    (kc, qc): (usize, usize),
    (sp, sq): (usize, usize),
    w: usize,
) {
    let strips = qc.div_ceil(w);
    dst.clear();
    dst.resize(strips * w * kc, 0.0);
    for s in 0..strips {
        let q_start = s * w;
        let q_len = w.min(qc - q_start);
        let strip = &mut dst[s * w * kc..(s + 1) * w * kc];
        for p in 0..kc {
            let base = (p0 + p) * sp + (q0 + q_start) * sq;
            let row = &mut strip[p * w..p * w + q_len];
            if sq == 1 {
                row.copy_from_slice(&src[base..base + q_len]);
            } else {
                row.iter_mut().enumerate().for_each(|(q, v)| *v = src[base + q * sq]);
            }
        }
    }
}
