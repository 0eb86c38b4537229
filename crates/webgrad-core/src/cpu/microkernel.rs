//! MR×NR GEMM micro-kernels. Contract of `run(kc, a, b, c)`:
//! for r < MR and j < NR, `c[r·ldc + j]` becomes (or, with `accumulate`, gets added)
//! Σ_{p<kc} a[r·rs + p·cs] · b[p·ldb + j].
//! A is read through two strides, so a packed strip (rs = 1, cs = MR), a row-major block
//! (rs = lda, cs = 1) and a transposed one (rs = 1, cs = lda) all work unpacked; B rows must be
//! contiguous (a packed strip has ldb = NR). Every one of the MR·kc and kc·NR values must be
//! readable, and the MR×NR block of C writable.

/// A in the micro-kernel's view: element (r, p) at `ptr + r·rs + p·cs`.
#[derive(Clone, Copy)]
pub struct APanel {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

/// B rows of NR contiguous values, `ldb` apart.
#[derive(Clone, Copy)]
pub struct BPanel {
    pub ptr: *const f32,
    pub ldb: usize,
}

/// The MR×NR output block, rows `ldc` apart; `accumulate` adds to what is there.
#[derive(Clone, Copy)]
pub struct CTile {
    pub ptr: *mut f32,
    pub ldc: usize,
    pub accumulate: bool,
}

pub type KernelFn = unsafe fn(usize, APanel, BPanel, CTile);

/// `rows(r, kc, a, b, c)`: the kernel's tile cut to its first `r` rows (0 < r < MR): reads r
/// rows of A and writes r rows of C, so an edge block of C needs neither padding nor a copy.
pub type RowsFn = unsafe fn(usize, usize, APanel, BPanel, CTile);

/// A micro-kernel and its tile. Only this module makes kernels (outside the crate only `name`
/// is visible, so no other code can build one), and the ones that need a CPU feature are handed
/// out by [`available`] alone, after it checked the feature: any `&Kernel` can run on this
/// machine, and `run` computes exactly an `mr`×`nr` tile. The GEMM's unsafe calls rely on that.
pub struct Kernel {
    pub name: &'static str,
    pub(crate) mr: usize,
    pub(crate) nr: usize,
    pub(crate) run: KernelFn,
    /// The short-tile variants, where the kernel has them.
    pub(crate) rows: Option<RowsFn>,
}

pub const SCALAR: Kernel = Kernel { name: "scalar", mr: 4, nr: 4, run: scalar_4x4, rows: None };

/// Portable kernel; also what tests of the packing logic run on every machine.
/// # Safety
/// The module contract with MR = NR = 4.
unsafe fn scalar_4x4(kc: usize, a: APanel, b: BPanel, c: CTile) {
    let mut acc = [[0.0f32; 4]; 4];
    for p in 0..kc {
        // SAFETY: p < kc, so row p of B (ldb apart, NR = 4 contiguous values) is readable by the
        // module contract; `add` stays inside that allocation.
        let bp = unsafe { b.ptr.add(p * b.ldb) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < MR = 4 and p < kc: a(r, p) at r·rs + p·cs is readable by the contract.
            let av = unsafe { *a.ptr.add(r * a.rs + p * a.cs) };
            for (j, v) in row.iter_mut().enumerate() {
                // SAFETY: j < NR = 4 values of row p of B are readable by the contract.
                *v += av * unsafe { *bp.add(j) };
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            // SAFETY: r < MR and j < NR: c(r, j) at r·ldc + j lies in the MR×NR block of C,
            // which the contract makes readable and writable.
            unsafe {
                let dst = c.ptr.add(r * c.ldc + j);
                *dst = if c.accumulate { *dst + *v } else { *v };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub mod x86 {
    use super::{APanel, BPanel, CTile, Kernel};
    use std::arch::x86_64::*;

    pub(crate) const AVX2_FMA: Kernel = Kernel { name: "avx2+fma", mr: 6, nr: 16, run: avx2_6x16, rows: None };
    pub(crate) const AVX512: Kernel = Kernel { name: "avx512f", mr: 8, nr: 32, run: avx512_8x32, rows: None };

    pub fn has_avx2_fma() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    pub fn has_avx512() -> bool {
        is_x86_feature_detected!("avx512f")
    }

    /// 6×16 tile = 12 ymm accumulators; per k: 2 loads of B, 6 broadcasts of A, 12 FMAs.
    /// # Safety
    /// The CPU must support AVX2 and FMA (checked by `has_avx2_fma`), plus the module contract.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2_6x16(kc: usize, a: APanel, b: BPanel, c: CTile) {
        let mut acc = [[_mm256_setzero_ps(); 2]; 6];
        let (mut ap, mut bp) = (a.ptr, b.ptr);
        for _ in 0..kc {
            // SAFETY: at step p < kc, `bp` is row p of B and `ap` is a(0, p): the contract makes
            // B's 16 values there and a(r, p) = ap + r·rs for r < 6 readable (`loadu` and the
            // broadcast need no alignment); the pointers advance to row / column p + 1, which is
            // read only if p + 1 < kc. AVX2 and FMA are enabled for this function and present
            // (its caller's obligation, met by `available`).
            unsafe {
                let b0 = _mm256_loadu_ps(bp);
                let b1 = _mm256_loadu_ps(bp.add(8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*ap.add(r * a.rs));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
                ap = ap.add(a.cs);
                bp = bp.add(b.ldb);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            // SAFETY: r < 6: row r of the 6×16 block of C (16 values at r·ldc) is readable and
            // writable by the contract; `loadu` / `storeu` need no alignment.
            unsafe {
                let dst = c.ptr.add(r * c.ldc);
                let (mut v0, mut v1) = (acc[0], acc[1]);
                if c.accumulate {
                    v0 = _mm256_add_ps(_mm256_loadu_ps(dst), v0);
                    v1 = _mm256_add_ps(_mm256_loadu_ps(dst.add(8)), v1);
                }
                _mm256_storeu_ps(dst, v0);
                _mm256_storeu_ps(dst.add(8), v1);
            }
        }
    }

    /// 8×32 tile = 16 zmm accumulators; per k: 2 loads of B, 8 broadcasts of A, 16 FMAs.
    /// # Safety
    /// The CPU must support AVX-512F (checked by `has_avx512`), plus the module contract.
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512_8x32(kc: usize, a: APanel, b: BPanel, c: CTile) {
        let mut acc = [[_mm512_setzero_ps(); 2]; 8];
        let (mut ap, mut bp) = (a.ptr, b.ptr);
        for _ in 0..kc {
            // SAFETY: as in `avx2_6x16`, for 8 rows of A and 32 values of B per step; AVX-512F is
            // enabled for this function and present (checked by `available`).
            unsafe {
                let b0 = _mm512_loadu_ps(bp);
                let b1 = _mm512_loadu_ps(bp.add(16));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*ap.add(r * a.rs));
                    acc[0] = _mm512_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm512_fmadd_ps(av, b1, acc[1]);
                }
                ap = ap.add(a.cs);
                bp = bp.add(b.ldb);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            // SAFETY: r < 8: row r of the 8×32 block of C (32 values at r·ldc) is readable and
            // writable by the contract; `loadu` / `storeu` need no alignment.
            unsafe {
                let dst = c.ptr.add(r * c.ldc);
                let (mut v0, mut v1) = (acc[0], acc[1]);
                if c.accumulate {
                    v0 = _mm512_add_ps(_mm512_loadu_ps(dst), v0);
                    v1 = _mm512_add_ps(_mm512_loadu_ps(dst.add(16)), v1);
                }
                _mm512_storeu_ps(dst, v0);
                _mm512_storeu_ps(dst.add(16), v1);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm {
    use super::{APanel, BPanel, CTile, Kernel};
    use core::arch::wasm32::*;

    /// 4×8: 8 accumulators. simd128 has no fused multiply-add, so each madd also needs a
    /// temporary, and a 6×8 tile measured no faster.
    pub const SIMD128: Kernel = Kernel { name: "simd128", mr: 4, nr: 8, run: simd128_4x8, rows: Some(simd128_rows) };

    /// 6×8 with relaxed SIMD's fused multiply-add (the engine may or may not fuse it): 12
    /// accumulators + 2 B vectors + 1 A splat = the 15 vector registers V8's x64 code has. It
    /// is faster than 4×8 on packed strips (`cargo xtask bench`, the browser's `matmul_*` rows
    /// with and without relaxed SIMD; V8 on x64: per k, 12 FMAs hide the FMA latency that 8
    /// only just cover). A module holding it only loads where relaxed SIMD is supported, so it
    /// is compiled in on request: the `relaxed-simd` feature (the page builds a second worker
    /// with it and loads that one where the browser validates relaxed SIMD) or
    /// `-C target-feature=+relaxed-simd`.
    #[cfg(any(feature = "relaxed-simd", target_feature = "relaxed-simd"))]
    pub const RELAXED: Kernel =
        Kernel { name: "simd128+relaxed", mr: 6, nr: 8, run: relaxed_6x8, rows: Some(relaxed_rows) };

    #[inline(always)]
    fn madd(a: v128, b: v128, acc: v128) -> v128 {
        f32x4_add(acc, f32x4_mul(a, b))
    }

    #[cfg(any(feature = "relaxed-simd", target_feature = "relaxed-simd"))]
    #[inline]
    #[target_feature(enable = "relaxed-simd")]
    fn relaxed_madd(a: v128, b: v128, acc: v128) -> v128 {
        f32x4_relaxed_madd(a, b, acc)
    }

    /// MR×(4·NV) tile = MR·NV v128 accumulators; per k: NV loads of B, MR splats of A, MR·NV
    /// madds. One body for every kernel: `$madd` is the multiply-add, `$rs` A's row stride
    /// (the literal 1 for packed and transposed A, so that its MR loads sit at constant offsets).
    ///
    /// The k loop carries A's and B's addresses as integers and makes pointers of them inside:
    /// LLVM's loop strength reduction rewrites pointer induction variables into plain, possibly
    /// wrapping adds, and the wasm backend then cannot fold `+ constant` into a load's offset
    /// immediate, so V8 spent an address `lea` per load and a general register per row of A
    /// (6×8 ran out of them and was slower than 4×8). Scalar evolution does not look through an
    /// int-to-pointer cast, so the loads stay `base + constant` and V8 addresses them directly.
    macro_rules! tile {
        ($mr:literal, $nv:literal, $rs:expr, $kc:ident, $a:ident, $b:ident, $c:ident, $madd:ident) => {{
            let mut acc = [[f32x4_splat(0.0); $nv]; $mr];
            let (mut ai, mut bi) = ($a.ptr.expose_provenance(), $b.ptr.expose_provenance());
            let (a_step, b_step) = ($a.cs * 4, $b.ldb * 4);
            for _ in 0..$kc {
                let ap = core::ptr::with_exposed_provenance::<f32>(ai);
                let bp = core::ptr::with_exposed_provenance::<f32>(bi);
                // SAFETY: at step p < kc, `ap` is a(0, p) and `bp` row p of B (addresses of the
                // panels' exposed pointers, advanced by cs and ldb floats per step); the
                // contract makes a(r, p) = ap + r·rs for each of the tile's rows r and the
                // row's 4·NV values of B readable. `v128_load` reads unaligned; simd128 is
                // enabled at compile time (this module's cfg).
                unsafe {
                    let mut bv = [f32x4_splat(0.0); $nv];
                    for (j, v) in bv.iter_mut().enumerate() {
                        *v = v128_load(bp.add(4 * j) as *const v128);
                    }
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let av = f32x4_splat(*ap.add(r * $rs));
                        for (j, acc) in acc.iter_mut().enumerate() {
                            *acc = $madd(av, bv[j], *acc);
                        }
                    }
                }
                ai += a_step;
                bi += b_step;
            }
            for (r, acc) in acc.iter().enumerate() {
                // SAFETY: r is one of the tile's rows (MR, or the rows a short tile was given):
                // row r of C's block (4·NV values at r·ldc) is readable and writable by the
                // contract; `v128_load` / `v128_store` need no alignment.
                unsafe {
                    let dst = $c.ptr.add(r * $c.ldc);
                    for (j, v) in acc.iter().enumerate() {
                        let d = dst.add(4 * j) as *mut v128;
                        let v = if $c.accumulate { f32x4_add(v128_load(d), *v) } else { *v };
                        v128_store(d, v);
                    }
                }
            }
        }};
    }

    /// `tile!` for each row count in `[$r …]`, chosen by `$rows`.
    macro_rules! rows {
        ($rows:ident, [$($r:literal)*], $nv:literal, $kc:ident, $a:ident, $b:ident, $c:ident, $madd:ident) => {
            match $rows {
                $($r => {
                    if $a.rs == 1 {
                        tile!($r, $nv, 1, $kc, $a, $b, $c, $madd)
                    } else {
                        tile!($r, $nv, $a.rs, $kc, $a, $b, $c, $madd)
                    }
                })*
                _ => unreachable!("a short tile has 0 < rows < MR"),
            }
        };
    }

    unsafe fn simd128_rows(rows: usize, kc: usize, a: APanel, b: BPanel, c: CTile) {
        rows!(rows, [1 2 3], 2, kc, a, b, c, madd)
    }

    #[cfg(any(feature = "relaxed-simd", target_feature = "relaxed-simd"))]
    #[target_feature(enable = "relaxed-simd")]
    unsafe fn relaxed_rows(rows: usize, kc: usize, a: APanel, b: BPanel, c: CTile) {
        rows!(rows, [1 2 3 4 5], 2, kc, a, b, c, relaxed_madd)
    }

    pub(crate) unsafe fn simd128_4x8(kc: usize, a: APanel, b: BPanel, c: CTile) {
        if a.rs == 1 { tile!(4, 2, 1, kc, a, b, c, madd) } else { tile!(4, 2, a.rs, kc, a, b, c, madd) }
    }

    #[cfg(any(feature = "relaxed-simd", target_feature = "relaxed-simd"))]
    #[target_feature(enable = "relaxed-simd")]
    pub(crate) unsafe fn relaxed_6x8(kc: usize, a: APanel, b: BPanel, c: CTile) {
        if a.rs == 1 { tile!(6, 2, 1, kc, a, b, c, relaxed_madd) } else { tile!(6, 2, a.rs, kc, a, b, c, relaxed_madd) }
    }
}

/// Every kernel this machine runs, slowest first (the last one is `best()`).
pub fn available() -> Vec<&'static Kernel> {
    let mut v = vec![&SCALAR];
    #[cfg(target_arch = "x86_64")]
    {
        if x86::has_avx2_fma() {
            v.push(&x86::AVX2_FMA);
        }
        if x86::has_avx512() {
            v.push(&x86::AVX512);
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    v.push(&wasm::SIMD128);
    #[cfg(all(
        target_arch = "wasm32",
        target_feature = "simd128",
        any(feature = "relaxed-simd", target_feature = "relaxed-simd")
    ))]
    v.push(&wasm::RELAXED);
    v
}

/// The fastest kernel this machine runs.
pub fn best() -> &'static Kernel {
    available().pop().expect("the scalar kernel is always available")
}
