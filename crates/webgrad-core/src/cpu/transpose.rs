//! Transposing copy for GEMM packing: `rows` source rows of `cols` contiguous values (row r at
//! `src[r·ld..]`) land as columns of `dst` (value (r, c) at `dst[c·w + r]`). This is how a
//! transposed operand (a Linear weight [out, in] read as [in, out]) is packed into NR-wide strips.
//! Square blocks are transposed in registers (16×16 with AVX-512, 4×4 with SSE or simd128);
//! the ragged edges are copied one value at a time.

/// `dst[c·w + r] = src[r·ld + c]` for r < rows, c < cols.
pub fn transpose_into(dst: &mut [f32], w: usize, src: &[f32], ld: usize, rows: usize, cols: usize) {
    assert!(rows <= w && dst.len() >= cols.saturating_sub(1) * w + rows, "transpose: dst too small");
    assert!(rows == 0 || cols == 0 || src.len() >= (rows - 1) * ld + cols, "transpose: src too small");
    let b = simd_blocks(dst, w, src, ld, rows, cols);
    let whole = |n: usize| n.checked_div(b).map_or(0, |blocks| blocks * b);
    let (r_done, c_done) = (whole(rows), whole(cols));
    // the rows below the last full block, and the columns right of it
    for r in 0..rows {
        let from = if r < r_done { c_done } else { 0 };
        for c in from..cols {
            dst[c * w + r] = src[r * ld + c];
        }
    }
}

/// Transposes every full block with the widest register transpose this machine has; returns the
/// block size (0 when there is none). Only for `transpose_into`, whose asserts are the bounds
/// the blocks rely on.
#[allow(unreachable_code)]
fn simd_blocks(dst: &mut [f32], w: usize, src: &[f32], ld: usize, rows: usize, cols: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was detected just above. `transpose_into` asserted rows ≤ w,
            // dst.len() ≥ (cols − 1)·w + rows and src.len() ≥ (rows − 1)·ld + cols, so every
            // full block's rows and columns lie inside both slices (`blocks`' contract).
            unsafe { blocks::<16>(dst, w, src, ld, rows, cols, x86::t16x16) };
            return 16;
        }
        // SAFETY: SSE (all `t4x4` uses) is part of every x86_64 CPU; bounds as above.
        unsafe { blocks::<4>(dst, w, src, ld, rows, cols, x86::t4x4) };
        return 4;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        // SAFETY: simd128 is enabled at compile time (this block's cfg); bounds as above.
        unsafe { blocks::<4>(dst, w, src, ld, rows, cols, wasm::t4x4) };
        return 4;
    }
    let _ = (dst, w, src, ld, rows, cols);
    0
}

/// Runs a B×B register transpose `t(src, ld, dst, w)` over every full block.
/// # Safety
/// `t` must be safe to call on this CPU for a B×B block it may read and write (the contract of
/// `t4x4` / `t16x16`), and the `rows`×`cols` matrix must fit both slices: rows ≤ w,
/// src.len() ≥ (rows − 1)·ld + cols and dst.len() ≥ (cols − 1)·w + rows.
#[allow(dead_code)]
unsafe fn blocks<const B: usize>(
    dst: &mut [f32],
    w: usize,
    src: &[f32],
    ld: usize,
    rows: usize,
    cols: usize,
    t: unsafe fn(*const f32, usize, *mut f32, usize),
) {
    for r in (0..rows / B * B).step_by(B) {
        for c in (0..cols / B * B).step_by(B) {
            // SAFETY: r + B ≤ rows and c + B ≤ cols, so the block's source values (r + i)·ld +
            // c + j ≤ (rows − 1)·ld + cols − 1 and destination values (c + j)·w + r + i ≤
            // (cols − 1)·w + rows − 1 are inside `src` and `dst` (this function's contract), and
            // `t` can run here (likewise).
            unsafe { t(src.as_ptr().add(r * ld + c), ld, dst.as_mut_ptr().add(c * w + r), w) };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 4×4 block: 8 shuffles.
    /// # Safety
    /// 4 rows of 4 values, `ld` apart, readable at `src`; 4 rows of 4, `w` apart, writable at
    /// `dst`. (SSE itself is part of every x86_64 CPU.)
    pub unsafe fn t4x4(src: *const f32, ld: usize, dst: *mut f32, w: usize) {
        // SAFETY: the loads read rows 0..4 of 4 values at src + i·ld and the stores write rows
        // 0..4 of 4 at dst + i·w, all inside the blocks the caller guarantees; `loadu` /
        // `storeu` need no alignment, and SSE is baseline on x86_64.
        unsafe {
            let (r0, r1) = (_mm_loadu_ps(src), _mm_loadu_ps(src.add(ld)));
            let (r2, r3) = (_mm_loadu_ps(src.add(2 * ld)), _mm_loadu_ps(src.add(3 * ld)));
            let (t0, t1) = (_mm_unpacklo_ps(r0, r1), _mm_unpackhi_ps(r0, r1));
            let (t2, t3) = (_mm_unpacklo_ps(r2, r3), _mm_unpackhi_ps(r2, r3));
            _mm_storeu_ps(dst, _mm_movelh_ps(t0, t2));
            _mm_storeu_ps(dst.add(w), _mm_movehl_ps(t2, t0));
            _mm_storeu_ps(dst.add(2 * w), _mm_movelh_ps(t1, t3));
            _mm_storeu_ps(dst.add(3 * w), _mm_movehl_ps(t3, t1));
        }
    }

    /// 16×16 block: pairs of rows interleaved (unpack ps), then pairs of pairs (unpack pd), which
    /// leaves 4×4 transposed blocks in each 128-bit lane; two rounds of lane shuffles gather them.
    /// # Safety
    /// AVX-512F, and 16 rows of 16 readable / writable values.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn t16x16(src: *const f32, ld: usize, dst: *mut f32, w: usize) {
        // SAFETY: the loads read rows 0..16 of 16 values at src + i·ld and the stores write
        // rows 0..16 of 16 at dst + i·w, inside the blocks the caller guarantees; `loadu` /
        // `storeu` need no alignment; AVX-512F is enabled here and present (caller's duty).
        unsafe {
            let r: [__m512; 16] = std::array::from_fn(|i| _mm512_loadu_ps(src.add(i * ld)));
            // t[2k], t[2k+1]: rows 2k and 2k+1 interleaved (columns 4L, 4L+1 | 4L+2, 4L+3 per lane L)
            let t: [__m512; 16] = std::array::from_fn(|i| {
                let (a, b) = (r[i & !1], r[i | 1]);
                if i % 2 == 0 { _mm512_unpacklo_ps(a, b) } else { _mm512_unpackhi_ps(a, b) }
            });
            // u[4k + c], lane L: column 4L + c of rows 4k..4k+3
            let u: [__m512; 16] = std::array::from_fn(|i| {
                let (k, c) = (i / 4, i % 4);
                let (a, b) = (_mm512_castps_pd(t[4 * k + c / 2]), _mm512_castps_pd(t[4 * k + 2 + c / 2]));
                _mm512_castpd_ps(if c % 2 == 0 { _mm512_unpacklo_pd(a, b) } else { _mm512_unpackhi_pd(a, b) })
            });
            for c in 0..4 {
                let (a0, a1, a2, a3) = (u[c], u[4 + c], u[8 + c], u[12 + c]);
                let v0 = _mm512_shuffle_f32x4::<0x88>(a0, a1);
                let v1 = _mm512_shuffle_f32x4::<0xDD>(a0, a1);
                let v2 = _mm512_shuffle_f32x4::<0x88>(a2, a3);
                let v3 = _mm512_shuffle_f32x4::<0xDD>(a2, a3);
                _mm512_storeu_ps(dst.add(c * w), _mm512_shuffle_f32x4::<0x88>(v0, v2));
                _mm512_storeu_ps(dst.add((4 + c) * w), _mm512_shuffle_f32x4::<0x88>(v1, v3));
                _mm512_storeu_ps(dst.add((8 + c) * w), _mm512_shuffle_f32x4::<0xDD>(v0, v2));
                _mm512_storeu_ps(dst.add((12 + c) * w), _mm512_shuffle_f32x4::<0xDD>(v1, v3));
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(super) mod wasm {
    use core::arch::wasm32::*;

    /// 4×4 block: 8 shuffles.
    /// # Safety
    /// 4 rows of 4 values, `ld` apart, readable at `src`; 4 rows of 4, `w` apart, writable at
    /// `dst`.
    pub unsafe fn t4x4(src: *const f32, ld: usize, dst: *mut f32, w: usize) {
        // SAFETY: the loads read rows 0..4 of 4 values at src + i·ld and the stores write rows
        // 0..4 of 4 at dst + i·w, inside the blocks the caller guarantees; `v128_load` /
        // `v128_store` need no alignment; simd128 is enabled at compile time (module cfg).
        unsafe {
            let r0 = v128_load(src as *const v128);
            let r1 = v128_load(src.add(ld) as *const v128);
            let r2 = v128_load(src.add(2 * ld) as *const v128);
            let r3 = v128_load(src.add(3 * ld) as *const v128);
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
            v128_store(dst as *mut v128, i32x4_shuffle::<0, 1, 4, 5>(t0, t2));
            v128_store(dst.add(w) as *mut v128, i32x4_shuffle::<2, 3, 6, 7>(t0, t2));
            v128_store(dst.add(2 * w) as *mut v128, i32x4_shuffle::<0, 1, 4, 5>(t1, t3));
            v128_store(dst.add(3 * w) as *mut v128, i32x4_shuffle::<2, 3, 6, 7>(t1, t3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::transpose_into;

    #[test]
    fn matches_the_definition_on_ragged_blocks() {
        for (rows, cols, ld, w) in [(1, 1, 1, 1), (3, 5, 7, 4), (16, 16, 16, 16), (17, 33, 40, 32), (32, 196, 784, 32)]
        {
            let src: Vec<f32> = (0..rows * ld).map(|i| i as f32).collect();
            let mut dst = vec![-1.0; cols * w];
            transpose_into(&mut dst, w, &src, ld, rows, cols);
            // `block`: only whole blocks of that size are written
            let check = |dst: &[f32], block: Option<usize>, what: &str| {
                let (rr, cc) = block.map_or((rows, cols), |b| (rows / b * b, cols / b * b));
                for c in 0..cols {
                    for r in 0..w {
                        let want = if r < rr && c < cc { src[r * ld + c] } else { -1.0 };
                        assert_eq!(dst[c * w + r], want, "{what}: rows {rows} cols {cols} at ({r}, {c})");
                    }
                }
            };
            check(&dst, None, "transpose_into");
            // the SSE 4×4 blocks alone (an AVX-512 machine never takes them in transpose_into)
            #[cfg(target_arch = "x86_64")]
            {
                let mut dst = vec![-1.0; cols * w];
                // SAFETY: SSE is baseline on x86_64; dst holds cols·w ≥ (cols − 1)·w + rows
                // values (every case has rows ≤ w) and src rows·ld ≥ (rows − 1)·ld + cols (cols ≤
                // ld), which is `blocks`' contract.
                unsafe { super::blocks::<4>(&mut dst, w, &src, ld, rows, cols, super::x86::t4x4) };
                check(&dst, Some(4), "sse 4x4 blocks");
            }
        }
    }
}
