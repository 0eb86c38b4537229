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
use super::threads;
use super::transpose::transpose_into;
use crate::backend::{Activation, GemmSpec};
use std::ops::Range;

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
#[cfg(not(target_arch = "wasm32"))]
fn pack_a_pays(spec: &GemmSpec, nr: usize, (ra, ca): (usize, usize), _kc: usize) -> bool {
    let long_stride = ra.max(ca);
    spec.n > 8 * nr || (long_stride > 1 && long_stride.is_power_of_two() && spec.n > 2 * nr)
}

/// On wasm the micro-kernels read A where it lies at full speed (their loads of A sit at
/// constant offsets, see `microkernel::wasm`), so A is copied only where reading it in place
/// misses the cache: a transposed A (its MR values of one k adjacent, successive k a row of A
/// apart) whose row length is a power of two, walked over more than 64 KiB per k block: those
/// rows share a few L1 sets and evict one another before the next of many (n > 8·NR) B strips
/// reads them again. With this rule and `pack_b_pays`' the MNIST MLP's GEMMs ran faster in the
/// browser than with the native ones, at batch 64 and 256 alike; dW1 = dY1ᵀ·X at batch 256
/// still packs, as it was slower unpacked (`cargo xtask bench`, the browser's `mnist_mlp_*`
/// rows).
#[cfg(target_arch = "wasm32")]
fn pack_a_pays(spec: &GemmSpec, nr: usize, (ra, ca): (usize, usize), kc: usize) -> bool {
    ra == 1 && thrashes(ca, kc) && spec.n > 8 * nr
}

/// Whether kc values `stride` floats apart, one per 64-byte line, would be evicted by each other
/// from the L1 before being read again: a power-of-two stride maps them onto few sets, and over
/// 64 KiB (kc · stride · 4 bytes) they no longer fit those sets' ways.
#[cfg(target_arch = "wasm32")]
fn thrashes(stride: usize, kc: usize) -> bool {
    stride.is_power_of_two() && kc * stride * 4 > 64 << 10
}

/// Whether to copy B into NR-strips: required when B's rows are not contiguous, and worth it
/// when the panel is reused by many row blocks of A.
#[cfg(not(target_arch = "wasm32"))]
fn pack_b_pays(spec: &GemmSpec, mc: usize, (rb, cb): (usize, usize), _kc: usize) -> bool {
    let _ = rb; // (wasm's rule needs it)
    cb != 1 || spec.m > 2 * mc
}

/// On wasm: required when B's rows are not contiguous; otherwise, as for A, only where reading
/// in place thrashes and many row blocks re-read it (dH1 = dY2·W2 at batch 256 is faster read
/// in place).
#[cfg(target_arch = "wasm32")]
fn pack_b_pays(spec: &GemmSpec, mc: usize, (rb, cb): (usize, usize), kc: usize) -> bool {
    cb != 1 || (thrashes(rb, kc) && spec.m > 2 * mc)
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
    packed_with_strips(kernel, scratch, a, (b, None), bias, spec, c);
}

/// `packed`, with B's strips given when B is transposed and already packed over all of k for
/// `kernel` (`pack_b_strips`, e.g. a weight its optimizer packed as it updated it): then B is
/// not packed again.
#[allow(clippy::too_many_arguments)]
pub(super) fn packed_with_strips(
    kernel: &Kernel,
    scratch: &mut Scratch,
    a: &[f32],
    (b, b_strips): (&[f32], Option<&[f32]>),
    bias: Option<&[f32]>,
    spec: &GemmSpec,
    c: &mut [f32],
) {
    if let Some(strips) = b_strips {
        let len = super::buf::strips_len(spec.n, spec.k, kernel.nr);
        assert!(spec.trans_b && len.is_some_and(|len| strips.len() >= len), "B's strips do not fit {spec:?}");
    }
    // On wasm the one SIMD kernel is called directly rather than through its pointer, so that
    // its call can be inlined without the engine's call feedback.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if kernel.name == super::microkernel::wasm::SIMD128.name {
        // SAFETY: `blocked` calls `run` only with panels and tiles that meet the micro-kernel
        // contract for `kernel`'s MR×NR, which is SIMD128's 4×8 (same name); simd128 is enabled
        // at compile time (this block's cfg).
        let run = |kc, ap, bp, ct| unsafe { super::microkernel::wasm::simd128_4x8(kc, ap, bp, ct) };
        return blocked(kernel, run, scratch, a, (b, b_strips), bias, spec, c);
    }
    #[cfg(all(
        target_arch = "wasm32",
        target_feature = "simd128",
        any(feature = "relaxed-simd", target_feature = "relaxed-simd")
    ))]
    if kernel.name == super::microkernel::wasm::RELAXED.name {
        // SAFETY: the contract as above, for RELAXED's 6×8; a wasm module that contains relaxed
        // SIMD instructions only validates, and so only runs, where the engine supports them.
        let run = |kc, ap, bp, ct| unsafe { super::microkernel::wasm::relaxed_6x8(kc, ap, bp, ct) };
        return blocked(kernel, run, scratch, a, (b, b_strips), bias, spec, c);
    }
    // SAFETY: `blocked` meets the micro-kernel contract for `kernel.mr`×`kernel.nr`, the tile
    // `kernel.run` computes; and every `Kernel` can run on this machine (see `Kernel`: only
    // `microkernel::available` hands out the ones that need a CPU feature, after detecting it).
    let run = |kc, ap, bp, ct| unsafe { (kernel.run)(kc, ap, bp, ct) };
    blocked(kernel, run, scratch, a, (b, b_strips), bias, spec, c)
}

/// The blocked loops around the micro-kernel `run` (which is `kernel.run` or the same function
/// called directly); `kernel` gives the tile size.
#[allow(clippy::too_many_arguments)]
fn blocked(
    kernel: &Kernel,
    run: impl Fn(usize, APanel, BPanel, CTile) + Sync,
    scratch: &mut Scratch,
    a: &[f32],
    (b, b_strips): (&[f32], Option<&[f32]>),
    bias: Option<&[f32]>,
    spec: &GemmSpec,
    c: &mut [f32],
) {
    let (m, k, n) = (spec.m, spec.k, spec.n);
    let nr = kernel.nr;
    let ((ra, ca), (rb, cb)) = strides(spec);
    if m == 0 || n == 0 {
        return;
    }
    // checked: on wasm32 a wrapped m·n would pass the length test and the kernel would write
    // past the end of `c`
    let fits = |len: usize, rows: usize, cols: usize| rows.checked_mul(cols).is_some_and(|need| len >= need);
    assert!(
        fits(a.len(), m, k) && fits(b.len(), k, n) && fits(c.len(), m, n),
        "gemm buffers are shorter than {spec:?}"
    );
    if k == 0 {
        c[..m * n].fill(0.0);
        epilogue(bias, spec, &mut c[..m * n]);
        return;
    }
    // k in near-equal blocks of at most KC (784 → 4 × 196 rather than 256+256+256+16)
    let kstep = k.div_ceil(k.div_ceil(KC));
    let (pack_a, pack_b) = (pack_a_pays(spec, nr, (ra, ca), kstep), pack_b_pays(spec, MC, (rb, cb), kstep));
    let cp = OutPtr(c.as_mut_ptr());
    let how = Blocking { kernel, a, b, b_strips, spec, kstep, pack_a, pack_b };
    let (row_parts, col_parts) = split(spec, nr);
    if row_parts * col_parts <= 1 {
        // SAFETY: `cp` is C, at least m·n long (asserted above), borrowed mutably here; the
        // block is all of it and no other task runs.
        unsafe { how.block(&run, scratch, cp, 0..m, 0..n) };
    } else {
        // C in row_parts × col_parts blocks, one per task: rows in whole MC blocks, columns in
        // whole NR strips. Every element of C is computed by one task with the same k blocks,
        // tiles and kernel as on one thread, so the result is bit-identical for any thread count.
        let height = m.div_ceil(MC).div_ceil(row_parts) * MC;
        let width = n.div_ceil(col_parts).next_multiple_of(nr);
        let (row_parts, col_parts) = (m.div_ceil(height), n.div_ceil(width));
        threads::for_each(row_parts * col_parts, |part| {
            let (r, c) = (part / col_parts, part % col_parts);
            let rows = r * height..m.min((r + 1) * height);
            let cols = c * width..n.min((c + 1) * width);
            // The borrow cannot be taken twice on one thread: `block` makes no rayon call, so
            // this thread runs no other task while it holds the borrow.
            // SAFETY: C is borrowed mutably by `blocked` until `for_each` returns, and the blocks
            // are disjoint, start at multiples of MC and NR and end at most at m and n.
            THREAD_SCRATCH.with(|s| unsafe { how.block(&run, &mut s.borrow_mut(), cp, rows, cols) });
        });
    }
    epilogue(bias, spec, &mut c[..m * n]);
}

/// The loop nest's inputs that do not change with the block of C a task computes.
struct Blocking<'a> {
    kernel: &'a Kernel,
    a: &'a [f32],
    b: &'a [f32],
    /// B packed over all of k (checked in `packed_with_strips`), read instead of packing it
    b_strips: Option<&'a [f32]>,
    spec: &'a GemmSpec,
    /// k in blocks of this many (the same for every block: it sets the summation order)
    kstep: usize,
    pack_a: bool,
    pack_b: bool,
}

/// C's base pointer, shared by the tasks that write disjoint blocks of it.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: the tasks of one GEMM write disjoint blocks of C (`blocked`), and `blocked`
// holds C's `&mut` borrow until every task has finished.
unsafe impl Send for OutPtr {}
// SAFETY: as for Send: no two tasks write the same element, and no task reads what another writes.
unsafe impl Sync for OutPtr {}

thread_local! {
    /// Packing buffers of a pool thread (the caller's own `Scratch` serves the one-task case).
    static THREAD_SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Multiply-adds below which a GEMM stays on one thread (about 0.1 ms of AVX-512 work). Waking
/// a sleeping pool thread costs more than it saves below that: on 2 cores, splitting every MNIST
/// GEMM at batch 64 (≤ 6.4M multiply-adds each) made the step 10–25 % slower, while 1024³
/// (1.07G) ran 1.9× faster (`cargo run --release -p webgrad-nn --example bench -- --threads 0`).
#[cfg(not(target_arch = "wasm32"))]
const SPLIT_MIN_WORK: usize = 1 << 23;
/// In wasm (simd128, about a quarter of AVX-512's rate) the same time is a quarter of the work,
/// and the page's worker steps on a pool thread whose other threads stay awake for the slice
/// (`threads::on_pool`), so no split waits for a wake-up: the MNIST model's two first-layer
/// GEMMs at batch 64 (6.4M each) are split, which took its step from 1.0 ms to about 0.8 ms on
/// 2 cores (with the split Adam update, `plan::update_split`).
#[cfg(target_arch = "wasm32")]
const SPLIT_MIN_WORK: usize = 1 << 21;

/// Into how many row and column ranges to split a GEMM: none below `SPLIT_MIN_WORK`; else up to
/// one block per pool thread, columns first (a task then reads B's strips once) but no more
/// column ranges than n / (2·NR), so that they are about two NR strips wide at least (the last
/// may be narrower), then rows in whole MC blocks for the threads left: the MNIST layer X·W1ᵀ
/// at batch 256 (n = 128, AVX-512's NR = 32) in 2 column ranges × 3 row blocks on 6+ threads.
fn split(spec: &GemmSpec, nr: usize) -> (usize, usize) {
    let work = spec.m.saturating_mul(spec.k).saturating_mul(spec.n);
    if work < SPLIT_MIN_WORK {
        return (1, 1);
    }
    let threads = threads::count();
    let cols = threads.min(spec.n / (2 * nr)).max(1);
    let rows = (threads / cols).min(spec.m.div_ceil(MC)).max(1);
    (rows, cols)
}

impl Blocking<'_> {
    /// The blocked loops over the block `rows` × `range` of C (starting at a multiple of MC and
    /// of NR), with `scratch`'s packing buffers. C is `cp` (m × n, rows n apart); only that block
    /// is written.
    /// # Safety
    /// `cp` points to at least m·n writable floats; `rows` lies within 0..m and starts at a
    /// multiple of MC, `range` within 0..n and starts at a multiple of NR; no one else reads or
    /// writes that block of C during the call.
    unsafe fn block(
        &self,
        run: &impl Fn(usize, APanel, BPanel, CTile),
        scratch: &mut Scratch,
        cp: OutPtr,
        rows: Range<usize>,
        range: Range<usize>,
    ) {
        let Blocking { kernel, a, b, b_strips, spec, kstep, pack_a, pack_b } = *self;
        let (m, k, n) = (spec.m, spec.k, spec.n);
        let (mr, nr) = (kernel.mr, kernel.nr);
        let ((ra, ca), (rb, cb)) = strides(spec);
        debug_assert!(range.end <= n && range.start.is_multiple_of(nr));
        debug_assert!(rows.end <= m && rows.start.is_multiple_of(MC));
        let cp = cp.0;
        for jc in range.clone().step_by(NC) {
            let nc = NC.min(range.end - jc);
            for pc in (0..k).step_by(kstep) {
                let kc = kstep.min(k - pc);
                let accumulate = pc > 0;
                let full_b = nc / nr * nr;
                if b_strips.is_some() {
                    // already packed: strip s of the block at s·nr·k + pc·nr
                } else if pack_b {
                    pack(&mut scratch.b, b, (pc, jc), (kc, nc), (rb, cb), nr);
                } else if full_b < nc {
                    pack(&mut scratch.b_edge, b, (pc, jc + full_b), (kc, nc - full_b), (rb, cb), nr);
                }
                for ic in rows.clone().step_by(MC) {
                    let mc = MC.min(rows.end - ic);
                    let full_a = mc / mr * mr;
                    if pack_a {
                        pack(&mut scratch.a, a, (pc, ic), (kc, mc), (ca, ra), mr);
                    } else if full_a < mc {
                        pack(&mut scratch.a_edge, a, (pc, ic + full_a), (kc, mc - full_a), (ca, ra), mr);
                    }
                    // A as the kernel reads it: the packed strips, or the matrix itself (full tiles)
                    let (a_full, a_step) = if pack_a {
                        (APanel { ptr: scratch.a.as_ptr(), rs: 1, cs: mr }, mr * kc)
                    } else {
                        (APanel { ptr: a[ic * ra + pc * ca..].as_ptr(), rs: ra, cs: ca }, mr * ra)
                    };
                    for jr in (0..nc).step_by(nr) {
                        let cols = nr.min(nc - jr);
                        let bp = if let Some(strips) = b_strips {
                            BPanel { ptr: strips[(jc + jr) * k + pc * nr..].as_ptr(), ldb: nr }
                        } else if pack_b {
                            BPanel { ptr: scratch.b[jr * kc..].as_ptr(), ldb: nr }
                        } else if cols == nr {
                            BPanel { ptr: b[pc * rb + (jc + jr) * cb..].as_ptr(), ldb: rb }
                        } else {
                            BPanel { ptr: scratch.b_edge.as_ptr(), ldb: nr }
                        };
                        // SAFETY: called with ir < mc, so (ic + ir)·n + jc + jr < m·n, which `cp`
                        // holds (this fn's contract): the offset of the block's top-left value.
                        let at = |ir: usize| unsafe { cp.add((ic + ir) * n + jc + jr) };
                        let full_rows = if cols == nr { full_a } else { 0 };
                        if full_rows > 0 {
                            // Full tiles read MR rows of A and NR columns of B inside the matrices (or
                            // packed strips of kc·MR / kc·NR), and write inside C.
                            let c0 = CTile { ptr: at(0), ldc: n, accumulate };
                            tiles(run, full_rows / mr, kc, (a_full, a_step), bp, (c0, mr * n));
                        }
                        for ir in (full_rows..mc).step_by(mr) {
                            let rows = mr.min(mc - ir);
                            let ap = if pack_a {
                                APanel { ptr: scratch.a[ir * kc..].as_ptr(), rs: 1, cs: mr }
                            } else if rows == mr {
                                APanel { ptr: a[(ic + ir) * ra + pc * ca..].as_ptr(), rs: ra, cs: ca }
                            } else {
                                APanel { ptr: scratch.a_edge.as_ptr(), rs: 1, cs: mr }
                            };
                            edge(kernel, run, (rows, cols), kc, ap, bp, at(ir), n, accumulate);
                        }
                    }
                }
            }
        }
    }
}

/// `count` full MR×NR tiles down one column strip of C: tile t reads A at `a.ptr + t·a_step`
/// and writes C at `c.ptr + t·c_step`. A small function of its own, so that V8 compiles this hot
/// loop apart from `blocked`'s many live values (changes to `blocked`'s rarely taken branches
/// had moved the whole GEMM's time in the browser's `matmul_*` rows of `cargo xtask bench`).
#[inline(never)]
fn tiles(
    run: &impl Fn(usize, APanel, BPanel, CTile),
    count: usize,
    kc: usize,
    (a, a_step): (APanel, usize),
    b: BPanel,
    (c, c_step): (CTile, usize),
) {
    for t in 0..count {
        let at = APanel { ptr: a.ptr.wrapping_add(t * a_step), ..a };
        run(kc, at, b, CTile { ptr: c.ptr.wrapping_add(t * c_step), ..c });
    }
}

/// A rows×cols block of C short of the full MR×NR tile, at `dst` (rows `ldc` apart). Kept out
/// of line: inlined into `blocked`'s tile loop, this rarely taken branch cost V8's register
/// allocation of the hot full-tile call measurably (the browser's `mnist_mlp_*` rows of
/// `cargo xtask bench`).
/// A and B are zero-padded packed strips wherever the block is short of MR rows / NR columns.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn edge(
    kernel: &Kernel,
    run: &impl Fn(usize, APanel, BPanel, CTile),
    (rows, cols): (usize, usize),
    kc: usize,
    ap: APanel,
    bp: BPanel,
    dst: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    let nr = kernel.nr;
    if let (Some(short), true) = (kernel.rows, cols == nr) {
        // full width: the kernel cut to `rows` rows reads only those rows of the strip and
        // writes only those rows of C
        // SAFETY: `short` is the same kernel's short-tile variant (it runs wherever `run` does)
        // and 0 < rows < MR; `blocked` passes a `dst` whose rows×NR block lies inside C, an A
        // strip of at least `rows` rows and kc steps, and a B strip of kc rows of NR values.
        unsafe { short(rows, kc, ap, bp, CTile { ptr: dst, ldc, accumulate }) };
        return;
    }
    // otherwise the full tile into `tile` (≥ MR·NR), then its rows×cols corner into C
    let mut tile = [0.0f32; 256];
    run(kc, ap, bp, CTile { ptr: tile.as_mut_ptr(), ldc: kernel.nr, accumulate: false });
    for r in 0..rows {
        // SAFETY: row r < rows and columns 0..cols of the block lie inside C, which the caller
        // does not reborrow meanwhile.
        let d = unsafe { std::slice::from_raw_parts_mut(dst.add(r * ldc), cols) };
        let src = &tile[r * nr..r * nr + cols];
        if accumulate {
            d.iter_mut().zip(src).for_each(|(d, s)| *d += s);
        } else {
            d.copy_from_slice(src);
        }
    }
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
    let len = qc.div_ceil(w) * w * kc;
    if dst.len() < len {
        dst.resize(len, 0.0);
    }
    pack_into(dst, src, (p0, q0), (kc, qc), (sp, sq), w);
}

/// The strips a transposed B, stored as W [n, k], is packed into for `nr`-wide kernels over all of
/// k (what `packed_with_strips` takes): `strips` is `buf::strips_len(n, k, nr)` long at least.
pub(super) fn pack_b_strips(strips: &mut [f32], w: &[f32], (n, k): (usize, usize), nr: usize) {
    pack_into(strips, w, (0, 0), (k, n), (1, k), nr);
}

/// `pack` into a `dst` long enough (⌈qc / w⌉·w·kc).
fn pack_into(
    dst: &mut [f32],
    src: &[f32],
    (p0, q0): (usize, usize),
    (kc, qc): (usize, usize),
    (sp, sq): (usize, usize),
    w: usize,
) {
    let strips = qc.div_ceil(w);
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

#[cfg(test)]
mod tests {
    //! `tests/all/kernels.rs` checks every kernel on awkward sizes; these are the MLP-sized shapes at
    //! which the packing rules switch (A and B packed or read in place, short row and column
    //! blocks), so that each branch runs with the kernels of the machine running the tests.
    use super::*;
    use crate::cpu::microkernel;

    // in Chromium, like the other wasm tests: Node has no relaxed SIMD without a flag
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    /// A seeded stream of values in [−1, 1) (a linear congruential generator), `len` at a time.
    fn uniform_stream(mut seed: u32) -> impl FnMut(usize) -> Vec<f32> {
        move |len| {
            (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1 << 23) as f32 - 1.0
                })
                .collect()
        }
    }

    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn packed_matches_reference_where_packing_switches() {
        let mut rand = uniform_stream(1);
        // (m, k, n, trans_a, trans_b): dW1 at batch 256 (packed A), X·W1ᵀ (packed B, A in place),
        // dH1 (both in place), a contiguous B that thrashes (packed), dW2, a 10-wide output
        let shapes = [
            (128, 256, 784, true, false),
            (256, 784, 128, false, true),
            (256, 64, 128, false, false),
            (256, 256, 256, false, false),
            (64, 256, 128, true, false),
            (256, 64, 10, false, true),
            (10, 256, 64, true, false),
        ];
        for kernel in microkernel::available() {
            let mut scratch = Scratch::default();
            for (case, &(m, k, n, trans_a, trans_b)) in shapes.iter().enumerate() {
                let act = if case % 2 == 0 { Activation::Relu } else { Activation::Identity };
                let spec = GemmSpec { m, k, n, trans_a, trans_b, act };
                let (a, b, bias) = (rand(m * k), rand(k * n), rand(n));
                let bias = (case % 3 != 0).then_some(&bias[..]);
                let (mut want, mut got) = (vec![0.0; m * n], vec![f32::NAN; m * n]);
                reference(&a, &b, bias, &spec, &mut want);
                packed(kernel, &mut scratch, &a, &b, bias, &spec, &mut got);
                let tol = 1e-5 + 2e-6 * k as f32;
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!((g - w).abs() <= tol, "{} {spec:?}: C[{i}] = {g}, want {w}", kernel.name);
                }
            }
        }
    }

    /// Given B's strips (`pack_b_strips`, as a weight's update leaves them), every kernel gives the
    /// bits it gives packing B itself: a width with a partial strip, k over several KC blocks.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn strips_of_b_give_the_bits_of_packing_it() {
        let mut rand = uniform_stream(3);
        for kernel in microkernel::available() {
            for &(m, k, n) in &[(64, 784, 128), (13, 300, 21), (6, 5, 8), (64, 64, 10)] {
                let spec = GemmSpec { m, k, n, trans_a: false, trans_b: true, act: Activation::Relu };
                let (a, b, bias) = (rand(m * k), rand(k * n), rand(n));
                let mut strips = vec![f32::NAN; super::super::buf::strips_len(n, k, kernel.nr).unwrap()];
                pack_b_strips(&mut strips, &b, (n, k), kernel.nr);
                let (mut want, mut got) = (vec![0.0; m * n], vec![f32::NAN; m * n]);
                packed(kernel, &mut Scratch::default(), &a, &b, Some(&bias), &spec, &mut want);
                packed_with_strips(
                    kernel,
                    &mut Scratch::default(),
                    &a,
                    (&b, Some(&strips)),
                    Some(&bias),
                    &spec,
                    &mut got,
                );
                let bits = |c: &[f32]| c.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
                assert!(bits(&got) == bits(&want), "{} {spec:?}: the strips give other bits", kernel.name);
            }
        }
    }

    /// Split over threads, every kernel gives the same bits as on one thread: each element of C
    /// is computed by one task in the same order. The shapes are split (asserted), by columns and
    /// by rows, including a width that leaves a partial NR strip and blocks of unequal size.
    #[cfg(feature = "threads")]
    #[test]
    fn threads_give_the_same_bits_as_one_thread() {
        let mut rand = uniform_stream(7);
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        // (m, k, n, trans_a, trans_b): X·W1ᵀ at batch 256, dW1 = dY1ᵀ·X, an odd width, a wide one,
        // a narrow one (split by rows only with the wider kernels)
        let shapes = [
            (512, 300, 64, false, false),
            (256, 784, 128, false, true),
            (128, 256, 784, true, false),
            (300, 300, 203, false, false),
            (256, 512, 520, false, false),
        ];
        let mut split_rows = false;
        for kernel in microkernel::available() {
            for &(m, k, n, trans_a, trans_b) in &shapes {
                let spec = GemmSpec { m, k, n, trans_a, trans_b, act: Activation::Relu };
                let (a, b, bias) = (rand(m * k), rand(k * n), rand(n));
                // C's bits and the (rows, columns) split on `threads` threads
                let run = |threads: usize| {
                    pool(threads).install(|| {
                        let mut c = vec![f32::NAN; m * n];
                        packed(kernel, &mut Scratch::default(), &a, &b, Some(&bias), &spec, &mut c);
                        (c.iter().map(|v| v.to_bits()).collect::<Vec<u32>>(), split(&spec, kernel.nr))
                    })
                };
                let (one, _) = run(1);
                for threads in [2, 3, 4] {
                    let (many, (rows, cols)) = run(threads);
                    assert!(rows * cols > 1, "{} {spec:?} is not split on {threads} threads", kernel.name);
                    split_rows |= rows > 1;
                    assert!(one == many, "{} {spec:?}: {threads} threads differ from one", kernel.name);
                }
            }
        }
        assert!(split_rows, "no product was split by rows");
    }
}
