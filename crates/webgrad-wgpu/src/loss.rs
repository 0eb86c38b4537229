//! Host side of the fused softmax cross-entropy (xent.wgsl, xent_backward.wgsl).

use bytemuck::{Pod, Zeroable};
use webgrad_core::Buffer;

use crate::buffer::{f32_raw, u32_raw};
use crate::context::Gpu;
use crate::dispatch::{WG, groups, u32_of};
use crate::kernels;

/// Rows of at most this many classes take one thread each (xent.wgsl `serial`), not a workgroup:
/// a workgroup's barriers cost more than walking a short row, most of all on a software adapter.
const SERIAL_ROW: usize = 64;
/// Batches of at most this many rows are averaged by one thread (xent_mean.wgsl `serial`).
const SERIAL_MEAN: usize = 4096;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct XentParams {
    n: u32,
    c: u32,
    eps: f32,
    pad: u32,
}

/// (loss: 1 float, probs: [n, c]); the per-row losses go through a scratch buffer and a
/// one-workgroup mean, so nothing is read back.
pub(crate) fn softmax_xent(
    gpu: &Gpu,
    logits: &Buffer,
    labels: &Buffer,
    (n, c): (usize, usize),
    eps: f32,
) -> (Buffer, Buffer) {
    let (loss, probs, rows) = (gpu.alloc_buf(1), gpu.alloc_buf(n * c), gpu.alloc_buf(n));
    let params = XentParams { n: u32_of(n), c: u32_of(c), eps, pad: 0 };
    let bufs = [f32_raw(logits, n * c), u32_raw(labels, n), f32_raw(&probs, n * c), f32_raw(&rows, n)];
    if c <= SERIAL_ROW {
        gpu.run(&kernels::XENT_ROWS_SERIAL, &[], &params, &bufs, groups(n, 64));
    } else {
        gpu.run(&kernels::XENT_ROWS, &[], &params, &bufs, u32_of(n));
    }
    let mean = if n <= SERIAL_MEAN { &kernels::XENT_MEAN_SERIAL } else { &kernels::XENT_MEAN };
    gpu.run(mean, &[], &params, &[f32_raw(&rows, n), f32_raw(&loss, 1)], 1);
    (loss, probs)
}

pub(crate) fn softmax_xent_backward(
    gpu: &Gpu,
    probs: &Buffer,
    labels: &Buffer,
    g: &Buffer,
    (n, c): (usize, usize),
    eps: f32,
) -> Buffer {
    let out = gpu.alloc_buf(n * c);
    let params = XentParams { n: u32_of(n), c: u32_of(c), eps, pad: 0 };
    let bufs = [f32_raw(probs, n * c), u32_raw(labels, n), f32_raw(g, 1), f32_raw(&out, n * c)];
    gpu.run(&kernels::XENT_BACKWARD, &[], &params, &bufs, groups(n * c, WG));
    out
}
