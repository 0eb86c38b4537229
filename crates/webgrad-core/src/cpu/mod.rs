//! `CpuBackend`: buffers are `Vec<f32>` / `Vec<u32>` behind `Rc`. GEMM runs the packed kernel of
//! the best SIMD level this machine has (AVX-512 or AVX2+FMA natively when detected, simd128 on
//! wasm32); `CpuBackend::reference()` runs the scalar oracle instead, which tests compare against.
//!
//! Every computing op builds a `plan::Call` (its kernel and buffers) and runs it; while a step is
//! being recorded (`Recorder`) the calls are also kept, and the resulting `CpuPlan` replays them
//! on the same buffers without allocating.

mod buf;
pub mod calibrate;
pub mod elementwise;
pub mod gemm;
pub mod microkernel;
mod optim;
mod plan;
pub mod rows;
pub mod threads;
mod transpose;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::Error;
use crate::backend::*;
use crate::shape::numel;
use buf::CpuBuf;
use microkernel::Kernel;
use plan::{Call, CpuPlan, Ctx, Slot};

struct CpuLabels(RefCell<Vec<u32>>);

fn new_buf(len: usize) -> Rc<CpuBuf> {
    Rc::new(CpuBuf::new(vec![0.0; len]))
}

fn f(b: &Buffer) -> Rc<CpuBuf> {
    b.clone()
        .downcast::<CpuBuf>()
        .unwrap_or_else(|_| panic!("an f32 buffer of another device was passed to the CPU backend"))
}

fn u(b: &Buffer) -> Rc<CpuLabels> {
    b.clone()
        .downcast::<CpuLabels>()
        .unwrap_or_else(|_| panic!("a label buffer of another device was passed to the CPU backend"))
}

/// Which GEMM runs: the scalar oracle or a packed micro-kernel.
#[derive(Clone, Copy)]
enum GemmImpl {
    Reference,
    Packed(&'static Kernel),
}

pub struct CpuBackend {
    gemm: GemmImpl,
    /// GEMM packing buffers, shared with the plans this backend records.
    scratch: Rc<RefCell<gemm::Scratch>>,
    /// The calls of the step being recorded, if one is.
    recording: RefCell<Option<Recording>>,
}

struct Recording {
    calls: Vec<Call>,
    dropout_seed: u32,
    /// Cleared by a call a replay would not redo (an in-place `write`).
    replayable: Cell<bool>,
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
        CpuBackend { gemm: GemmImpl::Reference, scratch: Default::default(), recording: Default::default() }
    }

    /// Packed GEMM with a chosen micro-kernel (tests run every kernel the machine has).
    pub fn with_kernel(kernel: &'static Kernel) -> Self {
        CpuBackend { gemm: GemmImpl::Packed(kernel), scratch: Default::default(), recording: Default::default() }
    }

    /// Name of the GEMM micro-kernel in use ("avx512f", "avx2+fma", "simd128", "scalar", "reference").
    pub fn kernel_name(&self) -> &'static str {
        match self.gemm {
            GemmImpl::Reference => "reference",
            GemmImpl::Packed(k) => k.name,
        }
    }

    /// Runs a call now (with the optimizer's `hyper` when it is an update), and keeps it when a
    /// step is being recorded.
    fn exec(&self, call: Call, hyper: Option<StepHyper>) {
        call.run(&Ctx { gemm: self.gemm, scratch: &self.scratch, hyper, seed_shift: 0 });
        if let Some(rec) = self.recording.borrow_mut().as_mut() {
            rec.calls.push(call);
        }
    }
}

fn ready<'a, T: 'a>(v: T) -> ReadFuture<'a, T> {
    Box::pin(std::future::ready(Ok(v)))
}

impl Backend for CpuBackend {
    fn name(&self) -> String {
        match threads::count() {
            1 => format!("cpu ({})", self.kernel_name()),
            n => format!("cpu ({}, {n} threads)", self.kernel_name()),
        }
    }

    fn reads_at_once(&self) -> bool {
        true
    }

    fn upload(&self, data: &[f32]) -> Buffer {
        Rc::new(CpuBuf::new(data.to_vec()))
    }

    fn upload_vec(&self, data: Vec<f32>) -> Buffer {
        Rc::new(CpuBuf::new(data))
    }

    fn upload_u32(&self, data: &[u32]) -> Buffer {
        Rc::new(CpuLabels(RefCell::new(data.to_vec())))
    }

    fn zeros(&self, len: usize) -> Buffer {
        new_buf(len)
    }

    fn write(&self, b: &Buffer, data: &[f32]) {
        f(b).write()[..data.len()].copy_from_slice(data);
        if let Some(rec) = self.recording.borrow().as_ref() {
            rec.replayable.set(false);
        }
    }

    fn write_rows(&self, b: &Buffer, table: &[f32], width: usize, rows: &[u32], _staging: &mut Vec<f32>) {
        if width > 0 {
            let buf = f(b);
            let mut out = buf.write();
            // saturating: a batch too large for the buffer fails the slice rather than wrapping
            for (dst, &r) in out[..rows.len().saturating_mul(width)].chunks_exact_mut(width).zip(rows) {
                let start = r as usize * width;
                dst.copy_from_slice(&table[start..start + width]);
            }
        }
        if let Some(rec) = self.recording.borrow().as_ref() {
            rec.replayable.set(false);
        }
    }

    fn read<'a>(&'a self, b: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<f32>> {
        match b.downcast_ref::<CpuBuf>() {
            Some(cb) => ready(cb.read()[..len].to_vec()),
            None => Box::pin(std::future::ready(Err(Error::Device("not a CPU f32 buffer".into())))),
        }
    }

    fn read_u32<'a>(&'a self, b: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<u32>> {
        match b.downcast_ref::<CpuLabels>() {
            Some(l) => ready(l.0.borrow()[..len].to_vec()),
            None => Box::pin(std::future::ready(Err(Error::Device("not a CPU label buffer".into())))),
        }
    }

    fn unary(&self, op: UnaryOp, x: &Buffer, len: usize) -> Buffer {
        let out = new_buf(len);
        self.exec(Call::Unary { op, x: f(x), len, out: out.clone() }, None);
        out
    }

    fn unary_backward(&self, op: UnaryOp, x: &Buffer, y: &Buffer, g: &Buffer, len: usize) -> Buffer {
        let out = new_buf(len);
        self.exec(Call::UnaryBackward { op, x: f(x), y: f(y), g: f(g), len, out: out.clone() }, None);
        out
    }

    fn binary(&self, op: BinaryOp, a: (&Buffer, &[usize]), b: (&Buffer, &[usize]), out_shape: &[usize]) -> Buffer {
        let out = new_buf(out_shape.iter().product());
        let (sa, sb, shape) = (a.1.to_vec(), b.1.to_vec(), out_shape.to_vec());
        self.exec(Call::Binary { op, a: f(a.0), sa, b: f(b.0), sb, shape, out: out.clone() }, None);
        out
    }

    fn select(&self, cond: &Buffer, a: &Buffer, b: &Buffer, len: usize) -> Buffer {
        let out = new_buf(len);
        self.exec(Call::Select { cond: f(cond), a: f(a), b: f(b), len, out: out.clone() }, None);
        out
    }

    fn copy_strided(&self, x: &Buffer, strides: &[usize], out_shape: &[usize]) -> Buffer {
        let out = new_buf(out_shape.iter().product());
        let (strides, shape) = (strides.to_vec(), out_shape.to_vec());
        self.exec(Call::CopyStrided { x: f(x), strides, shape, out: out.clone() }, None);
        out
    }

    fn reduce(&self, op: ReduceOp, x: &Buffer, outer: usize, axis: usize, inner: usize) -> Buffer {
        let out = new_buf(numel(&[outer, inner]));
        self.exec(Call::Reduce { op, x: f(x), dims: (outer, axis, inner), out: out.clone() }, None);
        out
    }

    fn softmax(&self, x: &Buffer, dims: (usize, usize, usize), log: bool) -> Buffer {
        let out = new_buf(numel(&[dims.0, dims.1, dims.2]));
        self.exec(Call::Softmax { x: f(x), dims, log, out: out.clone() }, None);
        out
    }

    fn gemm(&self, a: &Buffer, b: &Buffer, bias: Option<&Buffer>, spec: &GemmSpec) -> Buffer {
        let out = new_buf(numel(&[spec.m, spec.n]));
        self.exec(Call::Gemm { a: f(a), b: f(b), bias: bias.map(f), spec: *spec, out: out.clone() }, None);
        out
    }

    fn one_hot(&self, labels: &Buffer, n: usize, classes: usize) -> Buffer {
        let out = new_buf(numel(&[n, classes]));
        self.exec(Call::OneHot { labels: u(labels), n, classes, out: out.clone() }, None);
        out
    }

    fn gather_rows(&self, x: &Buffer, labels: &Buffer, n: usize, classes: usize) -> Buffer {
        let out = new_buf(n);
        self.exec(Call::GatherRows { x: f(x), labels: u(labels), n, classes, out: out.clone() }, None);
        out
    }

    fn gather_table(&self, table: &Buffer, rows: &Buffer, start: &Buffer, n: usize, width: usize) -> Buffer {
        let out = new_buf(numel(&[n, width]));
        let (table, rows, start) = (f(table), u(rows), u(start));
        self.exec(Call::GatherTable { table, rows, start, n, width, out: out.clone() }, None);
        out
    }

    fn gather_table_u32(&self, table: &Buffer, rows: &Buffer, start: &Buffer, n: usize) -> Buffer {
        let out = Rc::new(CpuLabels(RefCell::new(vec![0; n])));
        let (table, rows, start) = (u(table), u(rows), u(start));
        self.exec(Call::GatherTableU32 { table, rows, start, n, out: out.clone() }, None);
        out
    }

    fn concat(&self, parts: &[(&Buffer, usize)], outer: usize, inner: usize) -> Buffer {
        let out = new_buf(numel(&[outer, inner, parts.iter().map(|p| p.1).sum::<usize>()]));
        let parts = parts.iter().map(|&(b, axis)| (f(b), axis)).collect();
        self.exec(Call::Concat { parts, outer, inner, out: out.clone() }, None);
        out
    }

    fn slice(&self, x: &Buffer, dims: (usize, usize, usize), start: usize, len: usize) -> Buffer {
        let out = new_buf(numel(&[dims.0, len, dims.2]));
        self.exec(Call::Slice { x: f(x), dims, start, len, out: out.clone() }, None);
        out
    }

    fn dropout_mask(&self, len: usize, p: f32, seed: u32) -> Buffer {
        let out = new_buf(len);
        self.exec(Call::DropoutMask { len, p, seed, out: out.clone() }, None);
        out
    }

    fn softmax_xent(&self, logits: &Buffer, labels: &Buffer, n: usize, c: usize, smoothing: f32) -> (Buffer, Buffer) {
        let (loss, probs) = (new_buf(1), new_buf(numel(&[n, c])));
        let call = Call::SoftmaxXent {
            logits: f(logits),
            labels: u(labels),
            n,
            c,
            smoothing,
            loss: loss.clone(),
            probs: probs.clone(),
        };
        self.exec(call, None);
        (loss, probs)
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
        let out = new_buf(numel(&[n, c]));
        let call = Call::SoftmaxXentBackward {
            probs: f(probs),
            labels: u(labels),
            g: f(g),
            n,
            c,
            smoothing,
            out: out.clone(),
        };
        self.exec(call, None);
        out
    }

    fn optimizer_step(&self, rule: &UpdateRule, hyper: StepHyper, params: &[ParamSlot<'_>]) {
        let slots = params
            .iter()
            .map(|s| Slot {
                param: f(s.param),
                grad: f(s.grad),
                state: s.state.iter().map(f).collect(),
                len: s.len,
                strips_k: None,
            })
            .collect();
        self.exec(Call::OptimizerStep { rule: *rule, slots }, Some(hyper));
    }

    fn accumulate(&self, acc: &Buffer, x: &Buffer, len: usize, scale: f32) {
        self.exec(Call::Accumulate { acc: f(acc), x: f(x), len, scale }, None);
    }

    fn accumulate_hits(&self, acc: &Buffer, logits: &Buffer, labels: &Buffer, n: usize, c: usize) {
        self.exec(Call::AccumulateHits { acc: f(acc), logits: f(logits), labels: u(labels), n, c }, None);
    }

    fn take(&self, b: &Buffer, len: usize) -> ReadFuture<'static, Vec<f32>> {
        let Some(cb) = b.downcast_ref::<CpuBuf>() else {
            return Box::pin(std::future::ready(Err(Error::Device("not a CPU f32 buffer".into()))));
        };
        let mut v = cb.write();
        let Some(head) = v.get_mut(..len) else {
            let msg = format!("take of {len} elements from a buffer of {}", v.len());
            return Box::pin(std::future::ready(Err(Error::Device(msg))));
        };
        let values = head.to_vec();
        head.fill(0.0);
        ready(values)
    }

    fn recorder(&self) -> Option<&dyn Recorder> {
        Some(self)
    }
}

impl Recorder for CpuBackend {
    fn start_recording(&self, dropout_seed: u32) {
        let rec = Recording { calls: Vec::new(), dropout_seed, replayable: Cell::new(true) };
        *self.recording.borrow_mut() = Some(rec);
    }

    fn finish_recording(&self) -> Option<Box<dyn StepPlan>> {
        let mut rec = self.recording.borrow_mut().take()?;
        rec.replayable.get().then(|| {
            plan::keep_strips(&mut rec.calls);
            let plan = CpuPlan {
                calls: rec.calls,
                dropout_seed: rec.dropout_seed,
                gemm: self.gemm,
                scratch: self.scratch.clone(),
            };
            Box::new(plan) as Box<dyn StepPlan>
        })
    }

    fn write_u32(&self, buf: &Buffer, data: &[u32]) {
        u(buf).0.borrow_mut()[..data.len()].copy_from_slice(data);
    }
}
