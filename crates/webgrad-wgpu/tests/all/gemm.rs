//! Slice 2b: the GEMM with transpose flags and the fused bias + activation epilogue, with both
//! kernels (shared-memory tiles for GPUs, direct register blocks for CPU adapters) on any adapter.
//!
//! Each output sums k in order, like the CPU reference; the GPU may fuse multiply-adds, so the
//! tolerance is 1e-6 + 2e-7·k absolute plus 1e-5 relative for inputs in [−1, 1], the same
//! shape of bound the CPU kernel tests use. On lavapipe the products match the CPU's bit for
//! bit; the measured error (≤ 4.8e-7 with GELU, ≤ 1.8e-7 with tanh) is all from the epilogue.

use crate::common::*;
use webgrad_core::backend::{Activation, Backend, GemmSpec};
use webgrad_core::{Rng, dual_test};
use webgrad_wgpu::{GemmKernel, WgpuBackend};

dual_test! {
    async fn gemm_matches_reference_on_awkward_sizes() {
        let Some(gpu) = gpu().await else { return };
        for kernel in [GemmKernel::Tiled, GemmKernel::Direct] {
            gpu.set_gemm_kernel(kernel);
            awkward_sizes(&gpu, kernel).await;
        }
    }

    async fn gemm_tiles_on_a_2d_grid() {
        let Some(mut gpu) = gpu().await else { return };
        let cpu = reference();
        // the split, reached cheaply, with a partial last tile both ways and k = 33 (a partial
        // k block of the tiled kernel). 571 × 317 is 9·5 = 45 tiles of 64 × 64 (Tiled): at most
        // 7 groups per dimension give a 7×7 grid whose last 4 groups must do nothing; it is
        // 72·3 = 216 tiles of 8 × 128 (Direct): at most 20 give 11 × 20 = 220, 4 idle groups.
        let (m, k, n) = (9 * 64 - 5, 33, 5 * 64 - 3);
        let mut rng = Rng::new(22);
        let (a, b) = (uniform(&mut rng, m * k, -1.0, 1.0), uniform(&mut rng, k * n, -1.0, 1.0));
        let bias = uniform(&mut rng, n, -1.0, 1.0);
        let spec = GemmSpec { m, k, n, trans_a: false, trans_b: true, act: Activation::Relu };
        let cb = cpu.upload(&bias);
        let want = read(&cpu, &cpu.gemm(&cpu.upload(&a), &cpu.upload(&b), Some(&cb), &spec), m * n).await;
        for (kernel, limit) in [(GemmKernel::Tiled, 7), (GemmKernel::Direct, 20)] {
            gpu.set_gemm_kernel(kernel);
            gpu.set_grid_dimension_limit(limit);
            let gb = gpu.upload(&bias);
            let got = read(&gpu, &gpu.gemm(&gpu.upload(&a), &gpu.upload(&b), Some(&gb), &spec), m * n).await;
            let what = format!("{kernel:?} gemm on a grid of at most {limit} per dimension");
            assert_close(&got, &want, Tol { atol: 1e-6 + 2e-7 * k as f32, rtol: 1e-5 }, &what);
        }
    }
}

/// The real limit: 131,200 tiles of 64 × 64 (Tiled) or 65,600 of 128 × 8 (Direct: one column
/// takes one lane along n, the other 15 go along m), more than one grid dimension holds. Native
/// only: on SwiftShader (headless Chromium) a GEMM workgroup costs about 1 ms, so this alone
/// would outlast the browser runner's 20 s; `gemm_tiles_on_a_2d_grid` covers the same split there.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn gemm_tiles_past_the_grid_limit() {
    pollster::block_on(async {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        // m = 65,600·128 rows would be too slow on a software GPU; 1 column and k = 1 keep it
        // cheap while needing more tiles than one grid dimension holds
        let (m, k, n) = (65_600 * 128, 1, 1);
        let mut rng = Rng::new(21);
        let (a, b) = (uniform(&mut rng, m * k, -1.0, 1.0), uniform(&mut rng, k * n, -1.0, 1.0));
        let spec = GemmSpec { m, k, n, trans_a: false, trans_b: false, act: Activation::Identity };
        let want = read(&cpu, &cpu.gemm(&cpu.upload(&a), &cpu.upload(&b), None, &spec), m * n).await;
        for kernel in [GemmKernel::Tiled, GemmKernel::Direct] {
            gpu.set_gemm_kernel(kernel);
            let got = read(&gpu, &gpu.gemm(&gpu.upload(&a), &gpu.upload(&b), None, &spec), m * n).await;
            assert_close(&got, &want, EXACT, &format!("{kernel:?} gemm past the grid limit"));
        }
    });
}

/// Every transpose pair and activation on sizes that fit no tile evenly, against the CPU.
async fn awkward_sizes(gpu: &WgpuBackend, kernel: GemmKernel) {
    let cpu = reference();
    let mut rng = Rng::new(20);
    let sizes = [
        (1, 1, 1),
        (3, 17, 5),
        (17, 3, 255),
        (64, 784, 128),
        (255, 1023, 17),
        (65, 64, 63),
        (100, 257, 33),
        (1023, 5, 3),
        (3, 4097, 1),
        (2, 0, 3),
        // with the ones above, every lane split of the direct kernel: n ≤ 8, ≤ 16, ≤ 32, ≤ 64, more
        (33, 9, 10),
        (70, 31, 26),
    ];
    use Activation::*;
    let acts = [Identity, Relu, LeakyRelu(0.1), Sigmoid, Tanh, Gelu];
    for (case, &(m, k, n)) in sizes.iter().enumerate() {
        let flags = [(false, false), (true, false), (false, true), (true, true)];
        for (t, (ta, tb)) in flags.into_iter().enumerate() {
            let act = acts[(case + t) % acts.len()];
            let spec = GemmSpec { m, k, n, trans_a: ta, trans_b: tb, act };
            let a = uniform(&mut rng, m * k, -1.0, 1.0);
            let b = uniform(&mut rng, k * n, -1.0, 1.0);
            let bias = uniform(&mut rng, n, -1.0, 1.0);
            // every activation with and without bias over the cases (the direct kernel specialises on both)
            let use_bias = (case + t + case / 3) % 2 == 0;
            let want = {
                let cb = cpu.upload(&bias);
                let out = cpu.gemm(&cpu.upload(&a), &cpu.upload(&b), use_bias.then_some(&cb), &spec);
                read(&cpu, &out, m * n).await
            };
            let gb = gpu.upload(&bias);
            let out = gpu.gemm(&gpu.upload(&a), &gpu.upload(&b), use_bias.then_some(&gb), &spec);
            let got = read(gpu, &out, m * n).await;
            let what = format!("{kernel:?} gemm m={m} k={k} n={n} ta={ta} tb={tb} bias={use_bias} {act:?}");
            assert_close(&got, &want, Tol { atol: 1e-6 + 2e-7 * k as f32, rtol: 1e-5 }, &what);
        }
    }
}
