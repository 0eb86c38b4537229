//! MR×NR GEMM micro-kernels. Contract of `run(kc, a, b, out)`:
//! `a` = kc groups of MR floats (a packed A strip), `b` = kc groups of NR floats (a packed B
//! strip); writes out[r·NR + c] = Σ_p a[p·MR + r] · b[p·NR + c] for the full MR×NR tile.

pub type KernelFn = unsafe fn(usize, *const f32, *const f32, *mut f32);

pub struct Kernel {
    pub name: &'static str,
    pub mr: usize,
    pub nr: usize,
    pub run: KernelFn,
}

pub const SCALAR: Kernel = Kernel { name: "scalar", mr: 4, nr: 4, run: scalar_4x4 };

/// Portable kernel; also what the reference backend packs with in tests of the packing logic.
unsafe fn scalar_4x4(kc: usize, a: *const f32, b: *const f32, out: *mut f32) {
    let mut acc = [[0.0f32; 4]; 4];
    for p in 0..kc {
        // SAFETY: the contract gives kc·4 floats behind a and b.
        let (ap, bp) = unsafe { (a.add(p * 4), b.add(p * 4)) };
        for (r, row) in acc.iter_mut().enumerate() {
            let av = unsafe { *ap.add(r) };
            for (c, v) in row.iter_mut().enumerate() {
                *v += av * unsafe { *bp.add(c) };
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            unsafe { *out.add(r * 4 + c) = *v };
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub mod x86 {
    use super::Kernel;
    use std::arch::x86_64::*;

    pub const AVX2_FMA: Kernel = Kernel { name: "avx2+fma", mr: 6, nr: 16, run: avx2_6x16 };

    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// 6×16 tile = 12 ymm accumulators; per k: 2 loads of B, 6 broadcasts of A, 12 FMAs.
    /// # Safety
    /// The CPU must support AVX2 and FMA (checked by `available`), plus the module contract.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2_6x16(kc: usize, a: *const f32, b: *const f32, out: *mut f32) {
        let mut c = [[_mm256_setzero_ps(); 2]; 6];
        for p in 0..kc {
            unsafe {
                let b0 = _mm256_loadu_ps(b.add(p * 16));
                let b1 = _mm256_loadu_ps(b.add(p * 16 + 8));
                for (r, acc) in c.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a.add(p * 6 + r));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
            }
        }
        for (r, acc) in c.iter().enumerate() {
            unsafe {
                _mm256_storeu_ps(out.add(r * 16), acc[0]);
                _mm256_storeu_ps(out.add(r * 16 + 8), acc[1]);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm {
    use super::Kernel;
    use core::arch::wasm32::*;

    pub const SIMD128: Kernel = Kernel { name: "simd128", mr: 4, nr: 8, run: simd128_4x8 };

    /// 4×8 tile = 8 v128 accumulators; per k: 2 loads of B, 4 splats of A, 8 mul+add.
    unsafe fn simd128_4x8(kc: usize, a: *const f32, b: *const f32, out: *mut f32) {
        let mut c = [[f32x4_splat(0.0); 2]; 4];
        for p in 0..kc {
            unsafe {
                let b0 = v128_load(b.add(p * 8) as *const v128);
                let b1 = v128_load(b.add(p * 8 + 4) as *const v128);
                for (r, acc) in c.iter_mut().enumerate() {
                    let av = f32x4_splat(*a.add(p * 4 + r));
                    acc[0] = f32x4_add(acc[0], f32x4_mul(av, b0));
                    acc[1] = f32x4_add(acc[1], f32x4_mul(av, b1));
                }
            }
        }
        for (r, acc) in c.iter().enumerate() {
            unsafe {
                v128_store(out.add(r * 8) as *mut v128, acc[0]);
                v128_store(out.add(r * 8 + 4) as *mut v128, acc[1]);
            }
        }
    }
}

/// The fastest kernel this machine runs.
pub fn best() -> &'static Kernel {
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        return &x86::AVX2_FMA;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return &wasm::SIMD128;
    #[allow(unreachable_code)]
    &SCALAR
}
