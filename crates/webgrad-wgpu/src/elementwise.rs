//! Host side of the elementwise kernels: op codes, uniform layouts, and the dim merging that
//! keeps strided views within the kernels' rank limit.

use bytemuck::{Pod, Zeroable};
use webgrad_core::Buffer;
use webgrad_core::backend::{BinaryOp, UnaryOp};

use crate::buffer::f32_raw;
use crate::context::Gpu;
use crate::dispatch::{WG, groups, u32_of};
use crate::kernels::{self, act_code};

/// Rank the strided kernels index (binary.wgsl, copy_strided.wgsl).
const MAX_RANK: usize = 8;

/// (op code, a, b) of unary.wgsl.
fn unary_code(op: UnaryOp) -> (u32, f32, f32) {
    match op {
        UnaryOp::Neg => (0, 0.0, 0.0),
        UnaryOp::Exp => (1, 0.0, 0.0),
        UnaryOp::Log => (2, 0.0, 0.0),
        UnaryOp::Sqrt => (3, 0.0, 0.0),
        UnaryOp::Abs => (4, 0.0, 0.0),
        UnaryOp::Powf(p) => (5, p, 0.0),
        UnaryOp::Clamp(lo, hi) => (6, lo, hi),
        UnaryOp::Affine(a, b) => (7, a, b),
        UnaryOp::Act(act) => {
            let (code, alpha) = act_code(act);
            (8 + code, alpha, 0.0)
        }
    }
}

fn binary_code(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::Gt => 4,
        BinaryOp::Ge => 5,
        BinaryOp::Lt => 6,
        BinaryOp::Eq => 7,
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct UnaryParams {
    op: u32,
    n: u32,
    a: f32,
    b: f32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BinaryParams {
    op: u32,
    n: u32,
    rank: u32,
    pad: u32,
    shape: [u32; 8],
    sa: [u32; 8],
    sb: [u32; 8],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct CopyParams {
    n: u32,
    rank: u32,
    pad: [u32; 2],
    shape: [u32; 8],
    strides: [u32; 8],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LenParams {
    n: u32,
    pad: [u32; 3],
}

/// Drops size-1 dims and merges dim d into d+1 wherever every stride list is contiguous across
/// the two (s[d] = s[d+1]·shape[d+1]). Returns (shape, one stride list per input), padded to
/// `MAX_RANK` slots; panics past `MAX_RANK` (no MLP gets near it).
fn merge_dims<const K: usize>(shape: &[usize], strides: [&[usize]; K]) -> (u32, [u32; 8], [[u32; 8]; K]) {
    let mut dims: Vec<(usize, [usize; K])> = Vec::new();
    for (d, &extent) in shape.iter().enumerate() {
        if extent == 1 {
            continue;
        }
        let s: [usize; K] = std::array::from_fn(|k| strides[k][d]);
        match dims.last_mut() {
            Some((e, prev)) if (0..K).all(|k| prev[k] == s[k] * extent) => {
                *e *= extent;
                *prev = s;
            }
            _ => dims.push((extent, s)),
        }
    }
    assert!(dims.len() <= MAX_RANK, "wgpu: strided op of shape {shape:?} needs rank {} > {MAX_RANK}", dims.len());
    let mut out_shape = [1u32; 8];
    let mut out_strides = [[0u32; 8]; K];
    for (d, (e, s)) in dims.iter().enumerate() {
        out_shape[d] = u32_of(*e);
        for k in 0..K {
            out_strides[k][d] = u32_of(s[k]);
        }
    }
    (dims.len() as u32, out_shape, out_strides)
}

pub(crate) fn unary(gpu: &Gpu, op: UnaryOp, x: &Buffer, len: usize) -> Buffer {
    let out = gpu.alloc_buf(len);
    let (code, a, b) = unary_code(op);
    let params = UnaryParams { op: code, n: u32_of(len), a, b };
    gpu.run(&kernels::UNARY, &[], &params, &[f32_raw(x, len), f32_raw(&out, len)], groups(len, WG));
    out
}

pub(crate) fn unary_backward(gpu: &Gpu, op: UnaryOp, x: &Buffer, y: &Buffer, g: &Buffer, len: usize) -> Buffer {
    let out = gpu.alloc_buf(len);
    let (code, a, b) = unary_code(op);
    let params = UnaryParams { op: code, n: u32_of(len), a, b };
    let bufs = [f32_raw(x, len), f32_raw(y, len), f32_raw(g, len), f32_raw(&out, len)];
    gpu.run(&kernels::UNARY_BACKWARD, &[("OP", f64::from(code))], &params, &bufs, groups(len, WG));
    out
}

pub(crate) fn binary(
    gpu: &Gpu,
    op: BinaryOp,
    a: (&Buffer, &[usize]),
    b: (&Buffer, &[usize]),
    shape: &[usize],
) -> Buffer {
    let n: usize = shape.iter().product();
    let out = gpu.alloc_buf(n);
    let (rank, dims, [sa, sb]) = merge_dims(shape, [a.1, b.1]);
    let params = BinaryParams { op: binary_code(op), n: u32_of(n), rank, pad: 0, shape: dims, sa, sb };
    let (ra, rb) = (span(shape, a.1), span(shape, b.1));
    gpu.run(&kernels::BINARY, &[], &params, &[f32_raw(a.0, ra), f32_raw(b.0, rb), f32_raw(&out, n)], groups(n, WG));
    out
}

pub(crate) fn copy_strided(gpu: &Gpu, x: &Buffer, strides: &[usize], shape: &[usize]) -> Buffer {
    let n: usize = shape.iter().product();
    let out = gpu.alloc_buf(n);
    let (rank, dims, [s]) = merge_dims(shape, [strides]);
    let params = CopyParams { n: u32_of(n), rank, pad: [0; 2], shape: dims, strides: s };
    let bufs = [f32_raw(x, span(shape, strides)), f32_raw(&out, n)];
    gpu.run(&kernels::COPY_STRIDED, &[], &params, &bufs, groups(n, WG));
    out
}

pub(crate) fn select(gpu: &Gpu, cond: &Buffer, a: &Buffer, b: &Buffer, len: usize) -> Buffer {
    let out = gpu.alloc_buf(len);
    let params = LenParams { n: u32_of(len), pad: [0; 3] };
    let bufs = [f32_raw(cond, len), f32_raw(a, len), f32_raw(b, len), f32_raw(&out, len)];
    gpu.run(&kernels::SELECT, &[], &params, &bufs, groups(len, WG));
    out
}

/// Elements a strided view reaches: 1 + Σ (shape_d − 1)·stride_d (0 for an empty view).
fn span(shape: &[usize], strides: &[usize]) -> usize {
    if shape.contains(&0) {
        return 0;
    }
    1 + shape.iter().zip(strides).map(|(&e, &s)| (e - 1) * s).sum::<usize>()
}
