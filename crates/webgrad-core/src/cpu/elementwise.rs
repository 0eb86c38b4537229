//! Scalar definitions of every pointwise op and its derivative. Loops over slices so the
//! compiler vectorises them (simd128 on wasm, SSE/AVX natively); these are also the reference.

use crate::backend::{Activation, BinaryOp, UnaryOp};

const SQRT_2: f32 = std::f32::consts::SQRT_2;
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// max(x, 0), with NaN → 0 as `f32::max` gives, written as a compare and select: on wasm
/// `f32::max` is a call to `fmaxf` per element.
#[inline]
fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

#[inline]
pub fn activation(act: Activation, x: f32) -> f32 {
    match act {
        Activation::Identity => x,
        Activation::Relu => relu(x),
        Activation::LeakyRelu(a) => {
            if x > 0.0 {
                x
            } else {
                a * x
            }
        }
        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Activation::Tanh => x.tanh(),
        Activation::Gelu => 0.5 * x * (1.0 + libm::erff(x / SQRT_2)),
    }
}

/// d act(x)/dx given x and y = act(x).
#[inline]
pub fn activation_grad(act: Activation, x: f32, y: f32) -> f32 {
    match act {
        Activation::Identity => 1.0,
        Activation::Relu => f32::from(x > 0.0),
        Activation::LeakyRelu(a) => {
            if x > 0.0 {
                1.0
            } else {
                a
            }
        }
        Activation::Sigmoid => y * (1.0 - y),
        Activation::Tanh => 1.0 - y * y,
        // d/dx x·Φ(x) = Φ(x) + x·φ(x)
        Activation::Gelu => 0.5 * (1.0 + libm::erff(x / SQRT_2)) + x * INV_SQRT_2PI * (-0.5 * x * x).exp(),
    }
}

#[inline]
pub fn unary(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Powf(p) => x.powf(p),
        UnaryOp::Clamp(lo, hi) => x.max(lo).min(hi),
        UnaryOp::Affine(a, b) => a * x + b,
        UnaryOp::Act(act) => activation(act, x),
    }
}

/// d op(x)/dx given x and y = op(x).
#[inline]
pub fn unary_grad(op: UnaryOp, x: f32, y: f32) -> f32 {
    match op {
        UnaryOp::Neg => -1.0,
        UnaryOp::Exp => y,
        UnaryOp::Log => 1.0 / x,
        UnaryOp::Sqrt => 0.5 / y,
        // sign(x), with sign(0) = 0 as in PyTorch
        UnaryOp::Abs => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        UnaryOp::Powf(p) => {
            if p == 0.0 {
                0.0
            } else {
                p * x.powf(p - 1.0)
            }
        }
        // gradient passes where lo <= x <= hi (inclusive, as torch.clamp)
        UnaryOp::Clamp(lo, hi) => f32::from(x >= lo && x <= hi),
        UnaryOp::Affine(a, _) => a,
        UnaryOp::Act(act) => activation_grad(act, x, y),
    }
}

#[inline]
pub fn binary(op: BinaryOp, a: f32, b: f32) -> f32 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Gt => f32::from(a > b),
        BinaryOp::Ge => f32::from(a >= b),
        BinaryOp::Lt => f32::from(a < b),
        BinaryOp::Eq => f32::from(a == b),
    }
}

/// Applies `act` in place; matched once outside the loop so each arm vectorises.
pub fn activation_inplace(act: Activation, xs: &mut [f32]) {
    match act {
        Activation::Identity => {}
        Activation::Relu => relu_inplace(xs),
        _ => xs.iter_mut().for_each(|x| *x = activation(act, *x)),
    }
}

/// The ReLU loops, with simd128 intrinsics on wasm (the page's size-optimised LTO build leaves
/// plain loops scalar); the same values as `relu` and `g · [x > 0]` lane by lane.
fn relu_inplace(xs: &mut [f32]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let xs = wasm::relu_inplace(xs);
    xs.iter_mut().for_each(|x| *x = relu(*x));
}

fn relu_backward(x: &[f32], g: &[f32], out: &mut [f32]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (x, g, out) = wasm::relu_backward(x, g, out);
    let n = out.len();
    let (x, g) = (&x[..n], &g[..n]);
    for i in 0..n {
        out[i] = g[i] * f32::from(x[i] > 0.0);
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use core::arch::wasm32::*;

    /// Whole vectors of `xs`; returns the tail.
    pub fn relu_inplace(xs: &mut [f32]) -> &mut [f32] {
        let whole = xs.len() / 4 * 4;
        let (body, tail) = xs.split_at_mut(whole);
        for v in body.chunks_exact_mut(4) {
            // SAFETY: a chunk is 4 floats; v128 loads and stores are unaligned.
            unsafe {
                let p = v.as_mut_ptr() as *mut v128;
                // pmax(0, x) = 0 < x ? x : 0, which is `relu` (NaN and -0 give +0)
                v128_store(p, f32x4_pmax(f32x4_splat(0.0), v128_load(p)));
            }
        }
        tail
    }

    /// Whole vectors; returns the tails of the three slices (`out` is the shortest).
    pub fn relu_backward<'a>(x: &'a [f32], g: &'a [f32], out: &'a mut [f32]) -> (&'a [f32], &'a [f32], &'a mut [f32]) {
        let whole = out.len() / 4 * 4;
        let (x, g) = (&x[..out.len()], &g[..out.len()]);
        let one = f32x4_splat(1.0);
        for i in (0..whole).step_by(4) {
            // SAFETY: i + 4 <= len of all three; v128 loads and stores are unaligned.
            unsafe {
                let xv = v128_load(x.as_ptr().add(i) as *const v128);
                let gv = v128_load(g.as_ptr().add(i) as *const v128);
                let step = v128_and(f32x4_gt(xv, f32x4_splat(0.0)), one);
                v128_store(out.as_mut_ptr().add(i) as *mut v128, f32x4_mul(gv, step));
            }
        }
        (&x[whole..], &g[whole..], &mut out[whole..])
    }
}

pub fn unary_slice(op: UnaryOp, x: &[f32], out: &mut [f32]) {
    match op {
        UnaryOp::Act(Activation::Relu) => {
            out.iter_mut().zip(x).for_each(|(o, &v)| *o = relu(v));
        }
        UnaryOp::Affine(a, b) => out.iter_mut().zip(x).for_each(|(o, &v)| *o = a * v + b),
        UnaryOp::Abs => out.iter_mut().zip(x).for_each(|(o, &v)| *o = v.abs()),
        _ => out.iter_mut().zip(x).for_each(|(o, &v)| *o = unary(op, v)),
    }
}

/// out = g · d op(x)/dx given x and y = op(x); the common ops get their own loop so each vectorises.
pub fn unary_backward_slice(op: UnaryOp, x: &[f32], y: &[f32], g: &[f32], out: &mut [f32]) {
    let n = out.len();
    let (x, y, g) = (&x[..n], &y[..n], &g[..n]);
    match op {
        UnaryOp::Act(Activation::Relu) => relu_backward(x, g, out),
        UnaryOp::Act(Activation::Tanh) => {
            for i in 0..n {
                out[i] = g[i] * (1.0 - y[i] * y[i]);
            }
        }
        UnaryOp::Act(Activation::Sigmoid) => {
            for i in 0..n {
                out[i] = g[i] * (y[i] * (1.0 - y[i]));
            }
        }
        _ => {
            for i in 0..n {
                out[i] = g[i] * unary_grad(op, x[i], y[i]);
            }
        }
    }
}

/// Visits `out_shape` in row-major order, passing the flat offsets into a and b.
pub fn binary_strided(
    op: BinaryOp,
    a: (&[f32], &[usize]),
    b: (&[f32], &[usize]),
    out_shape: &[usize],
    out: &mut [f32],
) {
    let (a, sa) = a;
    let (b, sb) = b;
    let rank = out_shape.len();
    if rank == 0 {
        out[0] = binary(op, a[0], b[0]);
        return;
    }
    let last = out_shape[rank - 1];
    let (la, lb) = (sa[rank - 1], sb[rank - 1]);
    let rows = out.len() / last.max(1);
    with_counter(rank - 1, |index| {
        for row in 0..rows {
            let mut oa = 0;
            let mut ob = 0;
            for (d, &i) in index.iter().enumerate() {
                oa += i * sa[d];
                ob += i * sb[d];
            }
            let dst = &mut out[row * last..(row + 1) * last];
            match (la, lb) {
                // the common fast paths: both rows contiguous, or one side a broadcast scalar
                (1, 1) => binary_rows(op, &a[oa..oa + last], &b[ob..ob + last], dst),
                (1, 0) => dst.iter_mut().zip(&a[oa..oa + last]).for_each(|(o, &x)| *o = binary(op, x, b[ob])),
                (0, 1) => dst.iter_mut().zip(&b[ob..ob + last]).for_each(|(o, &y)| *o = binary(op, a[oa], y)),
                _ => dst.iter_mut().enumerate().for_each(|(j, o)| *o = binary(op, a[oa + j * la], b[ob + j * lb])),
            }
            for d in (0..rank - 1).rev() {
                index[d] += 1;
                if index[d] < out_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
    })
}

/// Runs `f` with a zeroed multi-index of `rank` dims, on the stack for the usual ranks (so a
/// replayed step allocates nothing).
fn with_counter<R>(rank: usize, f: impl FnOnce(&mut [usize]) -> R) -> R {
    let mut small = [0usize; 8];
    if rank <= small.len() { f(&mut small[..rank]) } else { f(&mut vec![0; rank]) }
}

fn binary_rows(op: BinaryOp, a: &[f32], b: &[f32], out: &mut [f32]) {
    let it = out.iter_mut().zip(a.iter().zip(b));
    match op {
        BinaryOp::Add => it.for_each(|(o, (&x, &y))| *o = x + y),
        BinaryOp::Sub => it.for_each(|(o, (&x, &y))| *o = x - y),
        BinaryOp::Mul => it.for_each(|(o, (&x, &y))| *o = x * y),
        BinaryOp::Div => it.for_each(|(o, (&x, &y))| *o = x / y),
        _ => it.for_each(|(o, (&x, &y))| *o = binary(op, x, y)),
    }
}

/// out[idx] = x[idx · strides] over `out_shape`.
pub fn copy_strided(x: &[f32], strides: &[usize], out_shape: &[usize], out: &mut [f32]) {
    let rank = out_shape.len();
    with_counter(rank, |index| {
        for o in out.iter_mut() {
            *o = x[index.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>()];
            for d in (0..rank).rev() {
                index[d] += 1;
                if index[d] < out_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
    })
}
