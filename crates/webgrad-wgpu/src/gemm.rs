//! Host side of the two GEMM kernels. Both specialise the pipeline on the transpose flags; the
//! fused epilogue (bias, activation) is chosen by the uniform parameters in gemm.wgsl and by
//! override constants in gemm_direct.wgsl (see its header).
//! - gemm.wgsl (`GemmKernel::Tiled`): 64 × 64 tiles through shared memory, 4 × 4 per thread;
//!   slower than the direct kernel on every adapter measured so far (`GemmKernel::DEFAULT`).
//! - gemm_direct.wgsl (`GemmKernel::Direct`): 8 × 8 per invocation read straight from the
//!   buffers, no shared memory and no barrier; the default: faster on CPU adapters (SwiftShader in
//!   the browser, lavapipe natively) and on an NVIDIA H200 (`tests/bench_gemm.rs` times both).

use bytemuck::{Pod, Zeroable};
use webgrad_core::Buffer;
use webgrad_core::backend::GemmSpec;

use crate::buffer::f32_raw;
use crate::context::Gpu;
use crate::dispatch::u32_of;
use crate::kernels::{self, act_code};

/// Which GEMM kernel a backend runs (`WgpuBackend::set_gemm_kernel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmKernel {
    /// gemm.wgsl: shared-memory tiles. Not the default anywhere (see `DEFAULT`); kept, and
    /// tested against the CPU, as the alternative to measure on other GPUs.
    Tiled,
    /// gemm_direct.wgsl: register blocks, no shared memory (the default on every adapter).
    Direct,
}

impl GemmKernel {
    /// The kernel every backend starts with. Measured (`tests/bench_gemm.rs`): on CPU adapters
    /// (SwiftShader, lavapipe) the direct kernel ran the MNIST step's GEMMs 2–7× faster, and on
    /// an NVIDIA H200 (Vulkan) it was faster at every size: 1.2–2.1× on each GEMM of the MNIST
    /// step and 1.7–2.5× on square products from 128³ to 2048³ (5,987 against 2,737 GFLOP/s at
    /// 1024³), which made MNIST training 1.6× (batch 64) and 1.5× (batch 256) faster there.
    pub const DEFAULT: GemmKernel = GemmKernel::Direct;

    /// (rows, columns) of C per workgroup for a product `n` columns wide, and the lanes along n
    /// (gemm_direct.wgsl `LANES_N`): 8 columns per lane, as few lanes along n as cover it, so a
    /// narrow C does not leave most lanes idle.
    fn tile(self, n: usize) -> (usize, usize, u32) {
        match self {
            GemmKernel::Tiled => (64, 64, 1),
            GemmKernel::Direct => {
                let lanes_n = n.div_ceil(8).next_power_of_two().min(DIRECT_LANES);
                (8 * DIRECT_LANES / lanes_n, 8 * lanes_n, u32_of(lanes_n))
            }
        }
    }
}

/// Invocations per workgroup of gemm_direct.wgsl (`LANES`).
const DIRECT_LANES: usize = 16;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GemmParams {
    m: u32,
    k: u32,
    n: u32,
    tiles_n: u32,
    tiles: u32,
    alpha: f32,
    act: u32,
    has_bias: u32,
}

/// C = op(A)·op(B) (+ bias) then the activation, with `kernel`; `spare` is bound in place of
/// a missing bias (and never read then).
pub(crate) fn gemm(
    gpu: &Gpu,
    kernel: GemmKernel,
    spare: &wgpu::Buffer,
    a: &Buffer,
    b: &Buffer,
    bias: Option<&Buffer>,
    spec: &GemmSpec,
) -> Buffer {
    let (m, k, n) = (spec.m, spec.k, spec.n);
    let c = gpu.alloc_buf(m * n);
    let (act, alpha) = act_code(spec.act);
    let (tile_m, tile_n, lanes_n) = kernel.tile(n);
    let tiles_n = n.div_ceil(tile_n);
    let tiles = m.div_ceil(tile_m) * tiles_n;
    let params = GemmParams {
        m: u32_of(m),
        k: u32_of(k),
        n: u32_of(n),
        tiles_n: u32_of(tiles_n),
        tiles: u32_of(tiles),
        alpha,
        act,
        has_bias: u32::from(bias.is_some()),
    };
    let transposes = [("TRANS_A", f64::from(u8::from(spec.trans_a))), ("TRANS_B", f64::from(u8::from(spec.trans_b)))];
    let direct = [
        transposes[0],
        transposes[1],
        ("LANES_N", f64::from(lanes_n)),
        ("ACT", f64::from(act)),
        ("HAS_BIAS", f64::from(u8::from(bias.is_some()))),
    ];
    let bias = bias.map_or(spare, |b| f32_raw(b, n));
    let bufs = [f32_raw(a, m * k), f32_raw(b, k * n), bias, f32_raw(&c, m * n)];
    let (source, constants): (_, &[_]) = match kernel {
        GemmKernel::Tiled => (&kernels::GEMM, &transposes),
        GemmKernel::Direct => (&kernels::GEMM_DIRECT, &direct),
    };
    gpu.run(source, constants, &params, &bufs, u32_of(tiles));
    c
}
