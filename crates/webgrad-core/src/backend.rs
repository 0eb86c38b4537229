//! The `Backend` trait: the primitives every device implements, plus the fused ops that matter
//! for speed (GEMM with bias+activation epilogue, softmax-cross-entropy, optimizer updates).
//!
//! Buffers are opaque, device-owned handles (`Rc<dyn Any>`); a backend downcasts its own. All
//! buffers are flat and row-major; shapes travel as arguments. Every op writes a new buffer except
//! `write` and `optimizer_step`, which update in place. Reading back is async (WebGPU can't block).
//! A device may also record a training step and replay it (`Backend::recorder`).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::Result;

pub type Buffer = Rc<dyn Any>;
pub type ReadFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + 'a>>;

/// The output of a future that is already complete (the CPU's reads are), without awaiting;
/// `None` if it is still pending.
pub fn ready_now<F: Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}
pub type Device = Rc<dyn Backend>;

/// Pointwise activations, also used as the GEMM epilogue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Identity,
    Relu,
    LeakyRelu(f32),
    Sigmoid,
    Tanh,
    /// tanh approximation is not used: exact erf GELU, as PyTorch's default `nn.GELU()`.
    Gelu,
}

/// Elementwise unary ops. Parameters are part of the op so that one kernel serves all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Powf(f32),
    /// clamp(x, lo, hi)
    Clamp(f32, f32),
    /// a * x + b
    Affine(f32, f32),
    Act(Activation),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// Comparisons give 1.0 or 0.0 and have no gradient.
    Gt,
    Ge,
    Lt,
    Eq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Max,
}

/// C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]), then `act`.
/// `trans_a`: A is stored [k, m]; `trans_b`: B is stored [n, k] (PyTorch's Linear weight layout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GemmSpec {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub trans_a: bool,
    pub trans_b: bool,
    pub act: Activation,
}

/// Optimizer update rules, with PyTorch's exact semantics (torch.optim, single-tensor path).
/// Hyperparameters are f64 like PyTorch's Python floats; scalar coefficients are derived in f64
/// and applied to f32 tensors, as PyTorch does.
/// State slots per parameter, in order, are given by [`UpdateRule::state_slots`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UpdateRule {
    /// slots: [momentum_buffer] when momentum != 0
    Sgd { momentum: f64, dampening: f64, nesterov: bool, weight_decay: f64 },
    /// slots: [exp_avg, exp_avg_sq]; `decoupled` = AdamW (p *= 1 - lr·wd), else L2 added to g.
    Adam { beta1: f64, beta2: f64, eps: f64, weight_decay: f64, decoupled: bool },
    /// slots: [square_avg] (+ [momentum_buffer] if momentum != 0) (+ [grad_avg] if centered)
    RmsProp { alpha: f64, eps: f64, momentum: f64, centered: bool, weight_decay: f64 },
    /// slots: [sum]
    Adagrad { lr_decay: f64, eps: f64, weight_decay: f64 },
}

impl UpdateRule {
    pub fn state_slots(&self) -> usize {
        match *self {
            UpdateRule::Sgd { momentum, .. } => usize::from(momentum != 0.0),
            UpdateRule::Adam { .. } => 2,
            UpdateRule::RmsProp { momentum, centered, .. } => 1 + usize::from(momentum != 0.0) + usize::from(centered),
            UpdateRule::Adagrad { .. } => 1,
        }
    }
}

/// Per-step values of an update: learning rate now and the 1-based step count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepHyper {
    pub lr: f64,
    pub step: u64,
}

/// One parameter in an optimizer step: its value, gradient and state slots (all `len` long).
pub struct ParamSlot<'a> {
    pub param: &'a Buffer,
    pub grad: &'a Buffer,
    pub state: &'a [Buffer],
    pub len: usize,
}

/// The device primitives. Object safe; `Tensor` holds a `Device = Rc<dyn Backend>`.
pub trait Backend {
    /// Human-readable device description, e.g. "cpu (avx2+fma)".
    fn name(&self) -> String;

    /// Whether its reads (`read`, `take`, …) complete at once, so that `ready_now` gets their
    /// value: the CPU's do; a GPU's wait for the device.
    fn reads_at_once(&self) -> bool {
        false
    }

    fn upload(&self, data: &[f32]) -> Buffer;
    /// [`Backend::upload`] of values the caller gives up: the CPU keeps the vector itself (a
    /// model's initial weights are not held twice while it is built).
    fn upload_vec(&self, data: Vec<f32>) -> Buffer {
        self.upload(&data)
    }
    fn upload_u32(&self, data: &[u32]) -> Buffer;
    fn zeros(&self, len: usize) -> Buffer;
    /// Overwrites the first `data.len()` elements of an f32 buffer in place.
    fn write(&self, buf: &Buffer, data: &[f32]);
    /// [`Backend::write`] of rows `rows` of `table` (`width` values each), one after another: a
    /// training batch gathered from its data set. Through `staging` (cleared first) by default;
    /// the CPU copies the rows straight into the buffer, a copy of the batch fewer per step.
    /// Every row must lie within `table`, and the buffer must hold `rows.len() · width` values.
    fn write_rows(&self, buf: &Buffer, table: &[f32], width: usize, rows: &[u32], staging: &mut Vec<f32>) {
        staging.clear();
        for &r in rows {
            let start = r as usize * width;
            staging.extend_from_slice(&table[start..start + width]);
        }
        self.write(buf, staging);
    }
    fn read<'a>(&'a self, buf: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<f32>>;
    fn read_u32<'a>(&'a self, buf: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<u32>>;

    fn unary(&self, op: UnaryOp, x: &Buffer, len: usize) -> Buffer;
    /// g · d op(x)/dx, given the input `x` and output `y = op(x)`.
    fn unary_backward(&self, op: UnaryOp, x: &Buffer, y: &Buffer, g: &Buffer, len: usize) -> Buffer;
    /// out[idx] = a[idx · a_strides] op b[idx · b_strides] over `out_shape`
    /// (strides are 0 on broadcast dims; both stride lists have `out_shape.len()` entries).
    fn binary(&self, op: BinaryOp, a: (&Buffer, &[usize]), b: (&Buffer, &[usize]), out_shape: &[usize]) -> Buffer;
    /// out = cond != 0 ? a : b, all `len` long.
    fn select(&self, cond: &Buffer, a: &Buffer, b: &Buffer, len: usize) -> Buffer;
    /// Strided copy: out[idx] = x[idx · strides] over `out_shape` (broadcast_to, permute).
    fn copy_strided(&self, x: &Buffer, strides: &[usize], out_shape: &[usize]) -> Buffer;
    /// x viewed as [outer, axis, inner] → [outer, inner].
    fn reduce(&self, op: ReduceOp, x: &Buffer, outer: usize, axis: usize, inner: usize) -> Buffer;
    /// x viewed as [outer, axis, inner]; (log-)softmax along `axis`.
    fn softmax(&self, x: &Buffer, dims: (usize, usize, usize), log: bool) -> Buffer;

    fn gemm(&self, a: &Buffer, b: &Buffer, bias: Option<&Buffer>, spec: &GemmSpec) -> Buffer;

    /// [n] labels → [n, classes] of 0/1. Labels ≥ classes give an all-zero row.
    fn one_hot(&self, labels: &Buffer, n: usize, classes: usize) -> Buffer;
    /// out[i] = x[i, labels[i]] for x [n, classes].
    fn gather_rows(&self, x: &Buffer, labels: &Buffer, n: usize, classes: usize) -> Buffer;
    /// Rows of a table that stays on the device, picked through a list of row numbers at an
    /// offset that is itself read on the device: out[i, :] = table[rows[start[0] + i], :] for
    /// i < n, `table` viewed as [table_rows, width] f32. A row number past the table, or
    /// start[0] + i past the list, gives a zero row. The training set is such a table and the
    /// epoch's shuffle the list: a recorded step replays on the next batch once the offset in
    /// `start` (a 1-element u32 buffer) is rewritten (`Recorder::write_u32`).
    fn gather_table(&self, table: &Buffer, rows: &Buffer, start: &Buffer, n: usize, width: usize) -> Buffer;
    /// As [`Backend::gather_table`] for a u32 table of one column (class labels): out[i] =
    /// table[rows[start[0] + i]], 0 out of range.
    fn gather_table_u32(&self, table: &Buffer, rows: &Buffer, start: &Buffer, n: usize) -> Buffer;
    /// How many elements a table for `gather_table` may hold when the training data should
    /// live on this device; `None` (the default) where it is in host memory already (the CPU),
    /// so a copy gains nothing and a trainer copies each batch instead.
    fn resident_table_limit(&self) -> Option<usize> {
        None
    }
    /// The most bytes one buffer (one storage binding) may hold on this device; `None` (the
    /// default) where buffers are host memory, bounded only by the memory budget (the CPU).
    fn max_buffer_bytes(&self) -> Option<u64> {
        None
    }
    /// Concatenates parts viewed as [outer, axis_i, inner] along the middle dim.
    fn concat(&self, parts: &[(&Buffer, usize)], outer: usize, inner: usize) -> Buffer;
    /// x viewed as [outer, axis, inner] → [outer, len, inner] starting at `start`.
    fn slice(&self, x: &Buffer, dims: (usize, usize, usize), start: usize, len: usize) -> Buffer;
    /// Inverted-dropout multiplier: 0 with probability p, else 1/(1-p); element i uses
    /// `rng::hash_uniform(seed, i)`, so every device draws the same mask.
    fn dropout_mask(&self, len: usize, p: f32, seed: u32) -> Buffer;

    /// Fused softmax cross-entropy, mean over the batch, with label smoothing ε:
    /// target = (1-ε)·onehot + ε/C. Returns (loss: 1 element, probs: [n, c]).
    fn softmax_xent(&self, logits: &Buffer, labels: &Buffer, n: usize, c: usize, smoothing: f32) -> (Buffer, Buffer);
    /// d loss / d logits = g · (probs − target) / n, where `g` is a 1-element buffer.
    fn softmax_xent_backward(
        &self,
        probs: &Buffer,
        labels: &Buffer,
        g: &Buffer,
        n: usize,
        c: usize,
        smoothing: f32,
    ) -> Buffer;

    /// Fused in-place update of every parameter (and its state slots) with one rule.
    fn optimizer_step(&self, rule: &UpdateRule, hyper: StepHyper, params: &[ParamSlot<'_>]);

    /// In place: acc[i] += scale · x[i] for i < `len` (a computing call: a recorded step
    /// accumulates again on every replay). Sums the step losses on the device.
    fn accumulate(&self, acc: &Buffer, x: &Buffer, len: usize, scale: f32);
    /// In place: acc[0] += the number of rows r < n of logits [n, c] whose label's logit is the
    /// row's maximum (logits[r, labels[r]] ≥ every logit of the row; a tie counts, a label ≥ c
    /// or a NaN in the row does not). A computing call, like `accumulate`: the step's accuracy
    /// summed on the device.
    fn accumulate_hits(&self, acc: &Buffer, logits: &Buffer, labels: &Buffer, n: usize, c: usize);
    /// Reads the first `len` floats of `buf` and sets them to zero, both ordered after every
    /// call made so far. The read is started before this returns and the future owns all it
    /// needs, so the caller can go on stepping while the values travel: the GPU does not wait.
    fn take(&self, buf: &Buffer, len: usize) -> ReadFuture<'static, Vec<f32>>;

    /// Step recording ("plan once, replay many"), for devices that support it; `None` (the
    /// default) makes every training step run op by op.
    fn recorder(&self) -> Option<&dyn Recorder> {
        None
    }
}

/// A device that can record the calls of one training step and replay them later on the same
/// buffers, so that a replayed step allocates nothing and skips the graph bookkeeping.
///
/// What a plan replays: every computing call made between `start_recording` and
/// `finish_recording`, in order, each writing the buffer it wrote when recorded. Uploads and
/// `zeros` made while recording are constants (or optimizer state): they are not redone. So
/// whatever changes from step to step must be written into the recorded input buffers before a
/// replay (`Backend::write`, `Recorder::write_u32`), and a replay overwrites every recorded
/// output, including the loss and gradient buffers of the previous replay.
pub trait Recorder {
    /// Starts recording every computing call made on this device. `dropout_seed` is the seed
    /// the step derives its dropout masks from (see [`StepPlan::replay`]).
    fn start_recording(&self, dropout_seed: u32);
    /// Stops recording. `None` when the step cannot be replayed (a `write` happened while
    /// recording) or when nothing was being recorded.
    fn finish_recording(&self) -> Option<Box<dyn StepPlan>>;
    /// Overwrites the first `data.len()` labels of a u32 buffer in place.
    fn write_u32(&self, buf: &Buffer, data: &[u32]);
}

/// A recorded step (see [`Recorder`]).
pub trait StepPlan {
    /// Re-runs the recorded calls. The optimizer update uses `hyper`; every dropout mask is drawn
    /// with its recorded seed shifted by `dropout_seed − the recording's dropout_seed` (wrapping),
    /// which is what a step that derives its per-layer seeds by adding offsets to one seed needs.
    fn replay(&self, hyper: StepHyper, dropout_seed: u32);
}
