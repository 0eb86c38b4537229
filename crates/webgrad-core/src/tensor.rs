//! `Tensor`: a cheap handle (`Rc`) to a flat, row-major buffer on one device, its shape, and —
//! when it was computed from tensors that need gradients — the op that made it (the tape is the
//! graph of these nodes; see `autograd.rs`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use crate::autograd::Op;
use crate::backend::{Buffer, Device};
use crate::shape::{checked_numel, numel};
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    F32,
    /// Class labels and indices. U32 tensors never require gradients.
    U32,
}

#[derive(Clone)]
pub struct Tensor(pub(crate) Rc<Inner>);

pub(crate) struct Inner {
    pub id: u64,
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub buf: Buffer,
    pub device: Device,
    /// How this tensor was computed; `None` for leaves and for results computed without grad.
    pub node: Option<Node>,
    pub requires_grad: bool,
    /// Accumulated gradient of a leaf that requires grad (summed over `backward` calls).
    pub grad: RefCell<Option<Tensor>>,
}

pub(crate) struct Node {
    pub op: Op,
    pub inputs: Vec<Tensor>,
}

/// The next tensor's id: one counter for all threads, since a training step may run on a pool
/// thread (`cpu::threads::on_pool`) with tensors made on the caller's.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Whether ops record themselves for `backward` (false inside [`no_grad`]).
pub fn grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Runs `f` without recording any op (evaluation, optimizer math, gradient rules).
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|g| g.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|g| g.replace(false)));
    f()
}

impl Tensor {
    pub(crate) fn make(
        device: &Device,
        buf: Buffer,
        shape: Vec<usize>,
        dtype: DType,
        node: Option<Node>,
        requires_grad: bool,
    ) -> Tensor {
        Tensor(Rc::new(Inner {
            id: next_id(),
            shape,
            dtype,
            buf,
            device: device.clone(),
            node,
            requires_grad,
            grad: RefCell::new(None),
        }))
    }

    /// The result of `op` on `inputs`: records a node when grad is enabled and an input needs it.
    pub(crate) fn from_op(device: &Device, buf: Buffer, shape: Vec<usize>, op: Op, inputs: Vec<Tensor>) -> Tensor {
        let track = grad_enabled() && inputs.iter().any(|t| t.requires_grad());
        let node = track.then_some(Node { op, inputs });
        Tensor::make(device, buf, shape, DType::F32, node, track)
    }

    /// A constant f32 tensor. Errors when `data.len()` does not match the shape.
    pub fn from_slice(device: &Device, data: &[f32], shape: &[usize]) -> Result<Tensor> {
        if data.len() != checked_numel(shape)? {
            return Err(Error::Shape(format!("{} values do not fill shape {shape:?}", data.len())));
        }
        Ok(Tensor::make(device, device.upload(data), shape.to_vec(), DType::F32, None, false))
    }

    /// A leaf that accumulates gradients (a model parameter).
    pub fn parameter(device: &Device, data: &[f32], shape: &[usize]) -> Result<Tensor> {
        let t = Tensor::from_slice(device, data, shape)?;
        Ok(Tensor::make(device, t.0.buf.clone(), shape.to_vec(), DType::F32, None, true))
    }

    /// [`Tensor::parameter`] of values the caller gives up (on the CPU they are not copied).
    pub fn parameter_from_vec(device: &Device, data: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        if data.len() != checked_numel(shape)? {
            return Err(Error::Shape(format!("{} values do not fill shape {shape:?}", data.len())));
        }
        Ok(Tensor::make(device, device.upload_vec(data), shape.to_vec(), DType::F32, None, true))
    }

    /// A 1-D u32 tensor of class labels / indices.
    pub fn labels(device: &Device, data: &[u32]) -> Tensor {
        Tensor::make(device, device.upload_u32(data), vec![data.len()], DType::U32, None, false)
    }

    pub fn zeros(device: &Device, shape: &[usize]) -> Tensor {
        Tensor::make(device, device.zeros(numel(shape)), shape.to_vec(), DType::F32, None, false)
    }

    pub fn full(device: &Device, value: f32, shape: &[usize]) -> Tensor {
        Tensor::make(device, device.upload(&vec![value; numel(shape)]), shape.to_vec(), DType::F32, None, false)
    }

    pub fn scalar(device: &Device, value: f32) -> Tensor {
        Tensor::full(device, value, &[])
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    pub fn rank(&self) -> usize {
        self.0.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.0.shape)
    }

    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    pub fn device(&self) -> &Device {
        &self.0.device
    }

    /// The device buffer (for fused optimizer updates and backends).
    pub fn buffer(&self) -> &Buffer {
        &self.0.buf
    }

    pub fn id(&self) -> u64 {
        self.0.id
    }

    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// The accumulated gradient of a parameter, if `backward` reached it.
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.borrow().clone()
    }

    pub fn zero_grad(&self) {
        self.0.grad.replace(None);
    }

    pub(crate) fn set_grad(&self, g: Option<Tensor>) {
        self.0.grad.replace(g);
    }

    /// Same values, cut from the graph.
    pub fn detach(&self) -> Tensor {
        Tensor::make(&self.0.device, self.0.buf.clone(), self.0.shape.clone(), self.0.dtype, None, false)
    }

    /// Overwrites the values in place (loading weights). The length must match.
    pub fn assign(&self, data: &[f32]) -> Result<()> {
        if data.len() != self.numel() || self.dtype() != DType::F32 {
            return Err(Error::Shape(format!("cannot assign {} values to {:?}", data.len(), self.shape())));
        }
        self.0.device.write(&self.0.buf, data);
        Ok(())
    }

    /// Reads the values back (async: WebGPU cannot block).
    pub async fn to_vec(&self) -> Result<Vec<f32>> {
        if self.dtype() != DType::F32 {
            return Err(Error::Shape("to_vec on a u32 tensor; use to_vec_u32".into()));
        }
        self.0.device.read(&self.0.buf, self.numel()).await
    }

    pub async fn to_vec_u32(&self) -> Result<Vec<u32>> {
        if self.dtype() != DType::U32 {
            return Err(Error::Shape("to_vec_u32 on an f32 tensor".into()));
        }
        self.0.device.read_u32(&self.0.buf, self.numel()).await
    }

    /// Reads a one-element tensor.
    pub async fn item(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(Error::Shape(format!("item() on shape {:?}", self.shape())));
        }
        Ok(self.to_vec().await?[0])
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={:?}, dtype={:?}, grad={})", self.shape(), self.dtype(), self.requires_grad())
    }
}

/// Drops a long chain of nodes iteratively (the default recursive drop overflows the stack on
/// a graph of tens of thousands of ops).
impl Drop for Inner {
    fn drop(&mut self) {
        let Some(node) = self.node.take() else { return };
        let mut stack = node.inputs;
        while let Some(t) = stack.pop() {
            if let Ok(mut inner) = Rc::try_unwrap(t.0)
                && let Some(n) = inner.node.take()
            {
                stack.extend(n.inputs);
            }
        }
    }
}
