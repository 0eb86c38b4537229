//! GEMM: C[m,n] = op(A)·op(B) (+bias) then act.
//!
//! `reference` is the scalar oracle (i, j, then k in order). `packed` is the BLIS-style blocked
//! GEMM: an MR×NR micro-kernel (see `microkernel.rs`) accumulates one tile of C in registers over
//! a KC-long slice of k and writes it straight into C. B is packed into KC×NR strips when its rows
//! are not contiguous (a transposed B, e.g. a Linear weight) or when many row blocks reuse it; A
//! into MR×KC strips when many column strips reuse it. Otherwise both are read where they are
//! (the kernel takes A through two strides), which for the small matrices of an MLP step saves
//! more than packing would. Partial edge tiles always go through zero-padded packed strips.

use super::elementwise::{activation, activation_inplace};
use super::microkernel::{APanel, BPanel, CTile, Kernel};
use super::transpose::transpose_into;
use crate::backend::{Activation, GemmSpec};

const KC: usize = 256;
const MC: usize = 96; // multiple of every MR (4, 6, 8)
// MR·NR of every kernel fits the 256-float edge tile in `packed`
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
    a_edge: Vec<f32>,
    b_edge: Vec<f32>,
}

/// Whether to copy A into MR-strips: it pays when each A strip is reused by many B strips, or
/// when A's long stride is a power of two (then the values a strip reads fight for the same cache
/// sets). Measured: not packing a transposed A (whose MR values per k are adjacent) was no faster.
fn pack_a_pays(spec: &GemmSpec, nr: usize, long_stride: usize) -> bool {
    spec.n > 8 * nr || (long_stride > 1 && long_stride.is_power_of_two() && spec.n > 2 * nr)
}

/// Whether to copy B into NR-strips: required when B's rows are not contiguous, and worth it
/// when the panel is reused by many row blocks of A.
fn pack_b_pays(spec: &GemmSpec, mc: usize, col_stride: usize) -> bool {
    col_stride != 1 || spec.m > 2 * mc
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
    // On wasm the one SIMD kernel is called directly rather than through its pointer, so that
    // its call can be inlined without the engine's call feedback.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if kernel.name == super::microkernel::wasm::SIMD128.name {
        // SAFETY: `blocked` calls `run` only with arguments that meet the micro-kernel contract.
        let run = |kc, ap, bp, ct| unsafe { super::microkernel::wasm::simd128_4x8(kc, ap, bp, ct) };
        return blocked(kernel, run, scratch, a, b, bias, spec, c);
    }
    #[cfg(all(
        target_arch = "wasm32",
        target_feature = "simd128",
        any(feature = "relaxed-simd", target_feature = "relaxed-simd")
    ))]
    if kernel.name == super::microkernel::wasm::RELAXED.name {
        // SAFETY: as above; this module is only loaded where relaxed SIMD validates.
        let run = |kc, ap, bp, ct| unsafe { super::microkernel::wasm::relaxed_6x8(kc, ap, bp, ct) };
        return blocked(kernel, run, scratch, a, b, bias, spec, c);
    }
    // SAFETY: as above.
    let run = |kc, ap, bp, ct| unsafe { (kernel.run)(kc, ap, bp, ct) };
    blocked(kernel, run, scratch, a, b, bias, spec, c)
}

/// The blocked loops around the micro-kernel `run` (which is `kernel.run` or the same function
/// called directly); `kernel` gives the tile size.
#[allow(clippy::too_many_arguments)]
fn blocked(
    kernel: &Kernel,
    run: impl Fn(usize, APanel, BPanel, CTile),
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
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].fill(0.0);
        epilogue(bias, spec, &mut c[..m * n]);
        return;
    }
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm buffers are shorter than {spec:?}");
    // k in near-equal blocks of at most KC (784 → 4 × 196 rather than 256+256+256+16)
    let kstep = k.div_ceil(k.div_ceil(KC));
    let (pack_a, pack_b) = (pack_a_pays(spec, nr, ra.max(ca)), pack_b_pays(spec, MC, cb));
    let mut tile = [0.0f32; 256];
    let cp = c.as_mut_ptr();
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(kstep) {
            let kc = kstep.min(k - pc);
            let accumulate = pc > 0;
            let full_b = nc / nr * nr;
            if pack_b {
                pack(&mut scratch.b, b, (pc, jc), (kc, nc), (rb, cb), nr);
            } else if full_b < nc {
                pack(&mut scratch.b_edge, b, (pc, jc + full_b), (kc, nc - full_b), (rb, cb), nr);
            }
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                let full_a = mc / mr * mr;
                if pack_a {
                    pack(&mut scratch.a, a, (pc, ic), (kc, mc), (ca, ra), mr);
                } else if full_a < mc {
                    pack(&mut scratch.a_edge, a, (pc, ic + full_a), (kc, mc - full_a), (ca, ra), mr);
                }
                for jr in (0..nc).step_by(nr) {
                    let cols = nr.min(nc - jr);
                    let bp = if pack_b {
                        BPanel { ptr: scratch.b[jr * kc..].as_ptr(), ldb: nr }
                    } else if cols == nr {
                        BPanel { ptr: b[pc * rb + (jc + jr) * cb..].as_ptr(), ldb: rb }
                    } else {
                        BPanel { ptr: scratch.b_edge.as_ptr(), ldb: nr }
                    };
                    for ir in (0..mc).step_by(mr) {
                        let rows = mr.min(mc - ir);
                        let ap = if pack_a {
                            APanel { ptr: scratch.a[ir * kc..].as_ptr(), rs: 1, cs: mr }
                        } else if rows == mr {
                            APanel { ptr: a[(ic + ir) * ra + pc * ca..].as_ptr(), rs: ra, cs: ca }
                        } else {
                            APanel { ptr: scratch.a_edge.as_ptr(), rs: 1, cs: mr }
                        };
                        let at = (ic + ir) * n + jc + jr;
                        if rows == mr && cols == nr {
                            // Full tiles read MR rows of A and NR columns of B inside the matrices
                            // (or packed strips of kc·MR / kc·NR), and write inside C.
                            // SAFETY: `at` is the offset of a full MR×NR block inside C.
                            run(kc, ap, bp, CTile { ptr: unsafe { cp.add(at) }, ldc: n, accumulate });
                        } else {
                            // edges: full tile into `tile` from zero-padded packed strips
                            let t = CTile { ptr: tile.as_mut_ptr(), ldc: nr, accumulate: false };
                            // edge strips are packed zero-padded to MR / NR; tile ≥ MR·NR
                            run(kc, ap, bp, t);
                            for r in 0..rows {
                                // through `cp`, as the full tiles write: C is not reborrowed meanwhile
                                // SAFETY: row ic+ir+r < m and columns jc+jr..+cols ≤ n lie inside C.
                                let dst = unsafe { std::slice::from_raw_parts_mut(cp.add(at + r * n), cols) };
                                let src = &tile[r * nr..r * nr + cols];
                                if accumulate {
                                    dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
                                } else {
                                    dst.copy_from_slice(src);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    epilogue(bias, spec, &mut c[..m * n]);
}

/// C += bias (per column), then the activation, row by row.
fn epilogue(bias: Option<&[f32]>, spec: &GemmSpec, c: &mut [f32]) {
    if bias.is_none() && spec.act == Activation::Identity {
        return;
    }
    for row in c.chunks_exact_mut(spec.n) {
        if let Some(bias) = bias {
            row.iter_mut().zip(&bias[..spec.n]).for_each(|(d, b)| *d += b);
        }
        activation_inplace(spec.act, row);
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
    if dst.len() < strips * w * kc {
        dst.resize(strips * w * kc, 0.0);
    }
    for s in 0..strips {
        let q_start = s * w;
        let q_len = w.min(qc - q_start);
        let strip = &mut dst[s * w * kc..(s + 1) * w * kc];
        if q_len < w {
            strip.fill(0.0); // the zero padding of a partial strip
        }
        if sq == 1 {
            for p in 0..kc {
                let base = (p0 + p) * sp + q0 + q_start;
                strip[p * w..p * w + q_len].copy_from_slice(&src[base..base + q_len]);
            }
        } else if sp == 1 {
            // a transposed read: source rows (contiguous along k) become strip columns
            transpose_into(strip, w, &src[(q0 + q_start) * sq + p0..], sq, q_len, kc);
        } else {
            for p in 0..kc {
                for q in 0..q_len {
                    strip[p * w + q] = src[(p0 + p) * sp + (q0 + q_start + q) * sq];
                }
            }
        }
    }
}
