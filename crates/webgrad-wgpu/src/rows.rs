//! Host side of the kernels on [outer, axis, inner] views: reduce, softmax, one-hot, gather,
//! concat / slice (copy_block.wgsl) and the dropout mask.

use std::rc::Rc;

use bytemuck::{Pod, Zeroable};
use webgrad_core::Buffer;
use webgrad_core::backend::ReduceOp;

use crate::buffer::{Elem, f32_raw, gpu_buf, u32_raw};
use crate::context::Gpu;
use crate::dispatch::{WG, groups, u32_of};
use crate::kernels;
use crate::stream::PerStep;

/// Axes up to this long are reduced by one thread per output, in order (reduce.wgsl `serial`).
const SERIAL_AXIS: usize = 64;
/// Also axes up to this long when there are at least `MANY_OUTPUTS` outputs to spread over threads
/// (a bias gradient: the batch summed per unit). The tree's barriers cost more there, above all
/// on a software adapter (SwiftShader; `tests/bench_gemm.rs` `bench_step_ops`, row "bias grad
/// sum [b,128]").
const SERIAL_AXIS_MANY: usize = 4096;
const MANY_OUTPUTS: usize = 8;
/// Longest run one workgroup reduces in a tree pass; longer axes take another pass.
const CHUNK: usize = 4096;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReduceParams {
    op: u32,
    outer: u32,
    axis: u32,
    inner: u32,
    chunk: u32,
    chunks: u32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SoftmaxParams {
    outer: u32,
    axis: u32,
    inner: u32,
    log_out: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ClassParams {
    n: u32,
    classes: u32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct TableParams {
    n: u32,
    width: u32,
    table_rows: u32,
    rows_len: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BlockParams {
    outer: u32,
    len: u32,
    inner: u32,
    src_axis: u32,
    src_start: u32,
    dst_axis: u32,
    dst_start: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct DropoutParams {
    n: u32,
    seed: u32,
    p: f32,
    keep: f32,
}

/// [outer, axis, inner] → [outer, inner]. Short axes: one serial pass; otherwise tree passes
/// that shrink the axis by `CHUNK` each until one run is left.
pub(crate) fn reduce(gpu: &Gpu, op: ReduceOp, x: &Buffer, (outer, axis, inner): (usize, usize, usize)) -> Buffer {
    let code = match op {
        ReduceOp::Sum => 0,
        ReduceOp::Max => 1,
    };
    let params = |axis: usize, chunk: usize, chunks: usize| ReduceParams {
        op: code,
        outer: u32_of(outer),
        axis: u32_of(axis),
        inner: u32_of(inner),
        chunk: u32_of(chunk),
        chunks: u32_of(chunks),
        pad: [0; 2],
    };
    if axis <= SERIAL_AXIS || (axis <= SERIAL_AXIS_MANY && outer * inner >= MANY_OUTPUTS) {
        let out = gpu.alloc_buf(outer * inner);
        let bufs = [f32_raw(x, outer * axis * inner), f32_raw(&out, outer * inner)];
        gpu.run(&kernels::REDUCE_SERIAL, &[], &params(axis, axis, 1), &bufs, groups(outer * inner, WG));
        return out;
    }
    let mut src = x.clone();
    let mut axis = axis;
    loop {
        let chunks = axis.div_ceil(CHUNK);
        let out = gpu.alloc_buf(outer * chunks * inner);
        let bufs = [f32_raw(&src, outer * axis * inner), f32_raw(&out, outer * chunks * inner)];
        gpu.run(&kernels::REDUCE_TREE, &[], &params(axis, CHUNK, chunks), &bufs, u32_of(outer * chunks * inner));
        if chunks == 1 {
            return out;
        }
        (src, axis) = (out, chunks);
    }
}

pub(crate) fn softmax(gpu: &Gpu, x: &Buffer, (outer, axis, inner): (usize, usize, usize), log: bool) -> Buffer {
    let n = outer * axis * inner;
    let out = gpu.alloc_buf(n);
    if n == 0 {
        return out;
    }
    let params =
        SoftmaxParams { outer: u32_of(outer), axis: u32_of(axis), inner: u32_of(inner), log_out: u32::from(log) };
    gpu.run(&kernels::SOFTMAX, &[], &params, &[f32_raw(x, n), f32_raw(&out, n)], u32_of(outer * inner));
    out
}

pub(crate) fn one_hot(gpu: &Gpu, labels: &Buffer, n: usize, classes: usize) -> Buffer {
    let out = gpu.alloc_buf(n * classes);
    let params = ClassParams { n: u32_of(n), classes: u32_of(classes), pad: [0; 2] };
    gpu.run(
        &kernels::ONE_HOT,
        &[],
        &params,
        &[u32_raw(labels, n), f32_raw(&out, n * classes)],
        groups(n * classes, WG),
    );
    out
}

pub(crate) fn gather_rows(gpu: &Gpu, x: &Buffer, labels: &Buffer, n: usize, classes: usize) -> Buffer {
    let out = gpu.alloc_buf(n);
    let params = ClassParams { n: u32_of(n), classes: u32_of(classes), pad: [0; 2] };
    let bufs = [f32_raw(x, n * classes), u32_raw(labels, n), f32_raw(&out, n)];
    gpu.run(&kernels::GATHER_ROWS, &[], &params, &bufs, groups(n, WG));
    out
}

/// gather_table.wgsl on an f32 or u32 table (`elem`); the output has the table's type.
pub(crate) fn gather_table(
    gpu: &Gpu,
    (table, elem): (&Buffer, Elem),
    rows: &Buffer,
    start: &Buffer,
    n: usize,
    width: usize,
) -> Buffer {
    let out = gpu.alloc(n * width, elem);
    if n * width == 0 {
        return Rc::new(out);
    }
    let table = gpu_buf(table, elem);
    let rows_len = gpu_buf(rows, Elem::U32).len;
    let params = TableParams {
        n: u32_of(n),
        width: u32_of(width),
        table_rows: u32_of(table.len / width),
        rows_len: u32_of(rows_len),
    };
    let bufs = [&table.raw, u32_raw(rows, rows_len), u32_raw(start, 1), &out.raw];
    gpu.run(&kernels::GATHER_TABLE, &[], &params, &bufs, groups(n * width, WG));
    Rc::new(out)
}

/// out[o, dst.1 + a, i] = x[o, src.1 + a, i] for a < len, x [outer, src.0, inner] and out
/// [outer, dst.0, inner].
fn copy_block(
    gpu: &Gpu,
    x: &Buffer,
    out: &Buffer,
    (outer, len, inner): (usize, usize, usize),
    src: (usize, usize),
    dst: (usize, usize),
) {
    let params = BlockParams {
        outer: u32_of(outer),
        len: u32_of(len),
        inner: u32_of(inner),
        src_axis: u32_of(src.0),
        src_start: u32_of(src.1),
        dst_axis: u32_of(dst.0),
        dst_start: u32_of(dst.1),
        pad: 0,
    };
    let bufs = [f32_raw(x, outer * src.0 * inner), f32_raw(out, outer * dst.0 * inner)];
    gpu.run(&kernels::COPY_BLOCK, &[], &params, &bufs, groups(outer * len * inner, WG));
}

pub(crate) fn concat(gpu: &Gpu, parts: &[(&Buffer, usize)], outer: usize, inner: usize) -> Buffer {
    let total: usize = parts.iter().map(|p| p.1).sum();
    let out = gpu.alloc_buf(outer * total * inner);
    let mut start = 0;
    for &(x, axis) in parts {
        copy_block(gpu, x, &out, (outer, axis, inner), (axis, 0), (total, start));
        start += axis;
    }
    out
}

pub(crate) fn slice(
    gpu: &Gpu,
    x: &Buffer,
    (outer, axis, inner): (usize, usize, usize),
    start: usize,
    len: usize,
) -> Buffer {
    assert!(start + len <= axis, "wgpu: slice {start}..{} of an axis of {axis}", start + len);
    let out = gpu.alloc_buf(outer * len * inner);
    copy_block(gpu, x, &out, (outer, len, inner), (axis, start), (len, 0));
    out
}

pub(crate) fn dropout_mask(gpu: &Gpu, len: usize, p: f32, seed: u32) -> Buffer {
    let out = gpu.alloc_buf(len);
    let params = DropoutParams { n: u32_of(len), seed, p, keep: 1.0 / (1.0 - p) };
    let per_step = PerStep::DropoutSeed(bytemuck::cast(params));
    let bytes = bytemuck::bytes_of(&params);
    gpu.run_with(&kernels::DROPOUT, &[], bytes, &[f32_raw(&out, len)], groups(len, WG), per_step);
    out
}
