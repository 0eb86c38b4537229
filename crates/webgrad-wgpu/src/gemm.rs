//! Host side of gemm.wgsl: specialises the pipeline on the transpose flags; the fused epilogue
//! (bias, activation) is chosen by the uniform parameters.

use bytemuck::{Pod, Zeroable};
use webgrad_core::Buffer;
use webgrad_core::backend::GemmSpec;

use crate::backend::WgpuBackend;
use crate::buffer::f32_raw;
use crate::elementwise::{act_code, u32_of};
use crate::kernels;

/// Rows and columns of C per workgroup tile (gemm.wgsl `TILE`).
const TILE: usize = 64;

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

impl WgpuBackend {
    pub(crate) fn gemm_impl(&self, a: &Buffer, b: &Buffer, bias: Option<&Buffer>, spec: &GemmSpec) -> Buffer {
        let (m, k, n) = (spec.m, spec.k, spec.n);
        let c = self.gpu.alloc_buf(m * n);
        let (act, alpha) = act_code(spec.act);
        let tiles_n = n.div_ceil(TILE);
        let tiles = m.div_ceil(TILE) * tiles_n;
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
        let constants =
            [("TRANS_A", f64::from(u8::from(spec.trans_a))), ("TRANS_B", f64::from(u8::from(spec.trans_b)))];
        let bias = bias.map_or(&self.spare[0], |b| f32_raw(b, n));
        let bufs = [f32_raw(a, m * k), f32_raw(b, k * n), bias, f32_raw(&c, m * n)];
        self.run(&kernels::GEMM, &constants, &params, &bufs, u32_of(tiles));
        c
    }
}
