//! `CpuBackend`: buffers are `Vec<f32>` / `Vec<u32>` behind `Rc`. GEMM runs the packed kernel of
//! the best SIMD level this machine has (AVX2+FMA natively when detected, simd128 on wasm32);
//! `CpuBackend::reference()` runs the scalar oracle instead, which tests compare against.

pub mod elementwise;
pub mod gemm;
pub mod microkernel;
mod optim;
pub mod rows;

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use crate::Error;
use crate::backend::*;
use microkernel::Kernel;

struct CpuBuf(RefCell<Vec<f32>>);
struct CpuLabels(Vec<u32>);

fn buf(v: Vec<f32>) -> Buffer {
    Rc::new(CpuBuf(RefCell::new(v)))
}

fn cpu_buf(b: &Buffer) -> &CpuBuf {
    b.downcast_ref::<CpuBuf>().expect("an f32 buffer of another device was passed to the CPU backend")
}

fn f(b: &Buffer) -> Ref<'_, Vec<f32>> {
    cpu_buf(b).0.borrow()
}

fn f_mut(b: &Buffer) -> RefMut<'_, Vec<f32>> {
    cpu_buf(b).0.borrow_mut()
}

fn u(b: &Buffer) -> &[u32] {
    &b.downcast_ref::<CpuLabels>().expect("a label buffer of another device was passed to the CPU backend").0
}

/// Which GEMM runs: the scalar oracle or a packed micro-kernel.
enum GemmImpl {
    Reference,
    Packed(&'static Kernel),
}

pub struct CpuBackend {
    gemm: GemmImpl,
    scratch: RefCell<gemm::Scratch>,
}

impl Default for CpuBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl CpuBackend {
    /// The fast backend: packed GEMM with the best micro-kernel this machine supports.
    pub fn new() -> Self {
        Self::with_kernel(microkernel::best())
    }

    /// Scalar reference implementation of every primitive: the oracle for kernel tests.
    pub fn reference() -> Self {
        CpuBackend { gemm: GemmImpl::Reference, scratch: Default::default() }
    }

    /// Packed GEMM with a chosen micro-kernel (tests run every kernel the machine has).
    pub fn with_kernel(kernel: &'static Kernel) -> Self {
        CpuBackend { gemm: GemmImpl::Packed(kernel), scratch: Default::default() }
    }

    /// Name of the GEMM micro-kernel in use ("avx2+fma", "simd128", "scalar", "reference").
    pub fn kernel_name(&self) -> &'static str {
        match self.gemm {
            GemmImpl::Reference => "reference",
            GemmImpl::Packed(k) => k.name,
        }
    }
}

fn ready<'a, T: 'a>(v: T) -> ReadFuture<'a, T> {
    Box::pin(std::future::ready(Ok(v)))
}

impl Backend for CpuBackend {
    fn name(&self) -> String {
        format!("cpu ({})", self.kernel_name())
    }

    fn upload(&self, data: &[f32]) -> Buffer {
        buf(data.to_vec())
    }

    fn upload_u32(&self, data: &[u32]) -> Buffer {
        Rc::new(CpuLabels(data.to_vec()))
    }

    fn zeros(&self, len: usize) -> Buffer {
        buf(vec![0.0; len])
    }

    fn write(&self, b: &Buffer, data: &[f32]) {
        f_mut(b)[..data.len()].copy_from_slice(data);
    }

    fn read<'a>(&'a self, b: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<f32>> {
        match b.downcast_ref::<CpuBuf>() {
            Some(cb) => ready(cb.0.borrow()[..len].to_vec()),
            None => Box::pin(std::future::ready(Err(Error::Device("not a CPU f32 buffer".into())))),
        }
    }

    fn read_u32<'a>(&'a self, b: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<u32>> {
        match b.downcast_ref::<CpuLabels>() {
            Some(l) => ready(l.0[..len].to_vec()),
            None => Box::pin(std::future::ready(Err(Error::Device("not a CPU label buffer".into())))),
        }
    }

    fn unary(&self, op: UnaryOp, x: &Buffer, len: usize) -> Buffer {
        let mut out = vec![0.0; len];
        elementwise::unary_slice(op, &f(x)[..len], &mut out);
        buf(out)
    }

    fn unary_backward(&self, op: UnaryOp, x: &Buffer, y: &Buffer, g: &Buffer, len: usize) -> Buffer {
        let (x, y, g) = (f(x), f(y), f(g));
        let out = (0..len).map(|i| g[i] * elementwise::unary_grad(op, x[i], y[i])).collect();
        buf(out)
    }

    fn binary(&self, op: BinaryOp, a: (&Buffer, &[usize]), b: (&Buffer, &[usize]), out_shape: &[usize]) -> Buffer {
        let mut out = vec![0.0; out_shape.iter().product()];
        if !out.is_empty() {
            elementwise::binary_strided(op, (&f(a.0), a.1), (&f(b.0), b.1), out_shape, &mut out);
        }
        buf(out)
    }

    fn select(&self, cond: &Buffer, a: &Buffer, b: &Buffer, len: usize) -> Buffer {
        let (c, a, b) = (f(cond), f(a), f(b));
        buf((0..len).map(|i| if c[i] != 0.0 { a[i] } else { b[i] }).collect())
    }

    fn copy_strided(&self, x: &Buffer, strides: &[usize], out_shape: &[usize]) -> Buffer {
        let mut out = vec![0.0; out_shape.iter().product()];
        if !out.is_empty() {
            elementwise::copy_strided(&f(x), strides, out_shape, &mut out);
        }
        buf(out)
    }

    fn reduce(&self, op: ReduceOp, x: &Buffer, outer: usize, axis: usize, inner: usize) -> Buffer {
        let mut out = vec![0.0; outer * inner];
        rows::reduce(op, &f(x), (outer, axis, inner), &mut out);
        buf(out)
    }

    fn softmax(&self, x: &Buffer, dims: (usize, usize, usize), log: bool) -> Buffer {
        let mut out = vec![0.0; dims.0 * dims.1 * dims.2];
        rows::softmax(&f(x), dims, log, &mut out);
        buf(out)
    }

    fn gemm(&self, a: &Buffer, b: &Buffer, bias: Option<&Buffer>, spec: &GemmSpec) -> Buffer {
        let mut c = vec![0.0; spec.m * spec.n];
        let bias = bias.map(f);
        let (a, b, bias) = (f(a), f(b), bias.as_deref().map(|v| v.as_slice()));
        match self.gemm {
            GemmImpl::Reference => gemm::reference(&a, &b, bias, spec, &mut c),
            GemmImpl::Packed(k) => gemm::packed(k, &mut self.scratch.borrow_mut(), &a, &b, bias, spec, &mut c),
        }
        buf(c)
    }

    fn one_hot(&self, labels: &Buffer, n: usize, classes: usize) -> Buffer {
        let mut out = vec![0.0; n * classes];
        rows::one_hot(&u(labels)[..n], classes, &mut out);
        buf(out)
    }

    fn gather_rows(&self, x: &Buffer, labels: &Buffer, n: usize, classes: usize) -> Buffer {
        let mut out = vec![0.0; n];
        rows::gather_rows(&f(x), &u(labels)[..n], classes, &mut out);
        buf(out)
    }

    fn concat(&self, parts: &[(&Buffer, usize)], outer: usize, inner: usize) -> Buffer {
        let guards: Vec<_> = parts.iter().map(|(b, _)| f(b)).collect();
        let views: Vec<(&[f32], usize)> = guards.iter().zip(parts).map(|(g, p)| (g.as_slice(), p.1)).collect();
        let mut out = Vec::with_capacity(outer * inner * parts.iter().map(|p| p.1).sum::<usize>());
        rows::concat(&views, outer, inner, &mut out);
        buf(out)
    }

    fn slice(&self, x: &Buffer, dims: (usize, usize, usize), start: usize, len: usize) -> Buffer {
        let mut out = Vec::with_capacity(dims.0 * len * dims.2);
        rows::slice(&f(x), dims, start, len, &mut out);
        buf(out)
    }

    fn dropout_mask(&self, len: usize, p: f32, seed: u32) -> Buffer {
        let keep = 1.0 / (1.0 - p);
        buf((0..len as u32).map(|i| if crate::rng::hash_uniform(seed, i) < p { 0.0 } else { keep }).collect())
    }

    fn softmax_xent(&self, logits: &Buffer, labels: &Buffer, n: usize, c: usize, smoothing: f32) -> (Buffer, Buffer) {
        let mut probs = vec![0.0; n * c];
        let loss = rows::softmax_xent(&f(logits), &u(labels)[..n], n, c, smoothing, &mut probs);
        (buf(vec![loss]), buf(probs))
    }

    fn softmax_xent_backward(
        &self,
        probs: &Buffer,
        labels: &Buffer,
        g: &Buffer,
        n: usize,
        c: usize,
        smoothing: f32,
    ) -> Buffer {
        let mut out = vec![0.0; n * c];
        rows::softmax_xent_backward(&f(probs), &u(labels)[..n], f(g)[0], (n, c), smoothing, &mut out);
        buf(out)
    }

    fn optimizer_step(&self, rule: &UpdateRule, hyper: StepHyper, params: &[ParamSlot<'_>]) {
        for slot in params {
            let mut p = f_mut(slot.param);
            let g = f(slot.grad);
            let mut guards: Vec<RefMut<'_, Vec<f32>>> = slot.state.iter().map(f_mut).collect();
            let mut state: Vec<&mut [f32]> = guards.iter_mut().map(|s| &mut s[..slot.len]).collect();
            optim::step(rule, hyper, &mut p[..slot.len], &g[..slot.len], &mut state);
        }
    }
}
