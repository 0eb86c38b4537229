//! Forward ops on `Tensor`. Each computes through the device and records an `Op` for autograd.
//! Shape mismatches are programmer errors and panic with the shapes in the message; code that
//! takes shapes from users (model configs, data files) validates them before calling these.

use crate::autograd::Op;
use crate::backend::{Activation, BinaryOp, GemmSpec, ReduceOp, UnaryOp};
use crate::shape::{broadcast_shapes, broadcast_strides, contiguous_strides, numel, split_at_axis};
use crate::tensor::{DType, Tensor};

fn check_axis(t: &Tensor, axis: usize) {
    assert!(axis < t.rank(), "axis {axis} out of range for shape {:?}", t.shape());
}

impl Tensor {
    fn unary_op(&self, op: UnaryOp) -> Tensor {
        let buf = self.device().unary(op, self.buffer(), self.numel());
        Tensor::from_op(self.device(), buf, self.shape().to_vec(), Op::Unary(op), vec![self.clone()])
    }

    pub fn neg(&self) -> Tensor {
        self.unary_op(UnaryOp::Neg)
    }
    pub fn exp(&self) -> Tensor {
        self.unary_op(UnaryOp::Exp)
    }
    pub fn log(&self) -> Tensor {
        self.unary_op(UnaryOp::Log)
    }
    pub fn sqrt(&self) -> Tensor {
        self.unary_op(UnaryOp::Sqrt)
    }
    pub fn abs(&self) -> Tensor {
        self.unary_op(UnaryOp::Abs)
    }
    pub fn powf(&self, p: f32) -> Tensor {
        self.unary_op(UnaryOp::Powf(p))
    }
    pub fn clamp(&self, lo: f32, hi: f32) -> Tensor {
        self.unary_op(UnaryOp::Clamp(lo, hi))
    }
    /// a·x + b
    pub fn affine(&self, a: f32, b: f32) -> Tensor {
        self.unary_op(UnaryOp::Affine(a, b))
    }
    pub fn add_scalar(&self, b: f32) -> Tensor {
        self.affine(1.0, b)
    }
    pub fn mul_scalar(&self, a: f32) -> Tensor {
        self.affine(a, 0.0)
    }
    pub fn activation(&self, act: Activation) -> Tensor {
        match act {
            Activation::Identity => self.clone(),
            _ => self.unary_op(UnaryOp::Act(act)),
        }
    }
    pub fn relu(&self) -> Tensor {
        self.activation(Activation::Relu)
    }
    pub fn leaky_relu(&self, slope: f32) -> Tensor {
        self.activation(Activation::LeakyRelu(slope))
    }
    pub fn sigmoid(&self) -> Tensor {
        self.activation(Activation::Sigmoid)
    }
    pub fn tanh(&self) -> Tensor {
        self.activation(Activation::Tanh)
    }
    pub fn gelu(&self) -> Tensor {
        self.activation(Activation::Gelu)
    }

    fn binary_op(&self, op: BinaryOp, other: &Tensor) -> Tensor {
        let out = broadcast_shapes(self.shape(), other.shape()).unwrap_or_else(|e| panic!("{op:?}: {e}"));
        let sa = broadcast_strides(self.shape(), &out);
        let sb = broadcast_strides(other.shape(), &out);
        let buf = self.device().binary(op, (self.buffer(), &sa), (other.buffer(), &sb), &out);
        match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                Tensor::from_op(self.device(), buf, out, Op::Binary(op), vec![self.clone(), other.clone()])
            }
            // comparisons are piecewise constant: no gradient, never recorded
            _ => Tensor::make(self.device(), buf, out, DType::F32, None, false),
        }
    }

    pub fn add(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Add, o)
    }
    pub fn sub(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Sub, o)
    }
    pub fn mul(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Mul, o)
    }
    pub fn div(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Div, o)
    }
    /// 1.0 where self > o, else 0.0 (broadcasting; no gradient).
    pub fn gt(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Gt, o)
    }
    pub fn ge(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Ge, o)
    }
    pub fn lt(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Lt, o)
    }
    pub fn eq_mask(&self, o: &Tensor) -> Tensor {
        self.binary_op(BinaryOp::Eq, o)
    }

    /// op(self)[m,k] · op(other)[k,n]; `trans_*` read the stored matrix transposed.
    pub fn matmul_t(&self, other: &Tensor, trans_a: bool, trans_b: bool) -> Tensor {
        assert!(
            self.rank() == 2 && other.rank() == 2,
            "matmul needs 2-D tensors, got {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        let (a0, a1, b0, b1) = (self.shape()[0], self.shape()[1], other.shape()[0], other.shape()[1]);
        let (m, k) = if trans_a { (a1, a0) } else { (a0, a1) };
        let (k2, n) = if trans_b { (b1, b0) } else { (b0, b1) };
        assert_eq!(
            k,
            k2,
            "matmul inner dims differ: {:?}{} · {:?}{}",
            self.shape(),
            if trans_a { "ᵀ" } else { "" },
            other.shape(),
            if trans_b { "ᵀ" } else { "" }
        );
        let spec = GemmSpec { m, k, n, trans_a, trans_b, act: Activation::Identity };
        let buf = self.device().gemm(self.buffer(), other.buffer(), None, &spec);
        Tensor::from_op(
            self.device(),
            buf,
            vec![m, n],
            Op::Matmul { trans_a, trans_b },
            vec![self.clone(), other.clone()],
        )
    }

    pub fn matmul(&self, other: &Tensor) -> Tensor {
        self.matmul_t(other, false, false)
    }

    /// Fused dense layer, PyTorch layout: act(x[N,in] · w[out,in]ᵀ + b[out]).
    pub fn linear(&self, w: &Tensor, b: Option<&Tensor>, act: Activation) -> Tensor {
        assert!(
            self.rank() == 2 && w.rank() == 2 && self.shape()[1] == w.shape()[1],
            "linear: x {:?} does not fit weight {:?}",
            self.shape(),
            w.shape()
        );
        let (m, k, n) = (self.shape()[0], self.shape()[1], w.shape()[0]);
        if let Some(b) = b {
            assert_eq!(b.shape(), [n], "linear: bias {:?} does not fit weight {:?}", b.shape(), w.shape());
        }
        // The fused backward derives act' from the output; other activations run as their own op.
        if !Op::act_grad_from_output(act) {
            return self.linear(w, b, Activation::Identity).activation(act);
        }
        let spec = GemmSpec { m, k, n, trans_a: false, trans_b: true, act };
        let buf = self.device().gemm(self.buffer(), w.buffer(), b.map(|b| b.buffer()), &spec);
        let mut inputs = vec![self.clone(), w.clone()];
        inputs.extend(b.cloned());
        Tensor::from_op(self.device(), buf, vec![m, n], Op::Linear { act }, inputs)
    }

    fn reduce_op(&self, op: ReduceOp, axis: usize, keepdim: bool) -> Tensor {
        check_axis(self, axis);
        let (outer, len, inner) = split_at_axis(self.shape(), axis);
        let buf = self.device().reduce(op, self.buffer(), outer, len, inner);
        let mut shape = self.shape().to_vec();
        if keepdim {
            shape[axis] = 1;
        } else {
            shape.remove(axis);
        }
        let rec = match op {
            ReduceOp::Sum => Op::Sum { axis, keepdim },
            ReduceOp::Max => Op::Max { axis, keepdim },
        };
        Tensor::from_op(self.device(), buf, shape, rec, vec![self.clone()])
    }

    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Tensor {
        self.reduce_op(ReduceOp::Sum, axis, keepdim)
    }
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Tensor {
        check_axis(self, axis);
        let n = self.shape()[axis];
        self.sum_axis(axis, keepdim).mul_scalar(1.0 / n as f32)
    }
    /// Max along an axis. Gradient is shared equally among tied maxima (torch.amax's rule).
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Tensor {
        self.reduce_op(ReduceOp::Max, axis, keepdim)
    }
    /// Sum of all elements → shape [].
    pub fn sum(&self) -> Tensor {
        self.reshape(&[self.numel()]).sum_axis(0, false)
    }
    pub fn mean(&self) -> Tensor {
        self.sum().mul_scalar(1.0 / self.numel().max(1) as f32)
    }
    pub fn max(&self) -> Tensor {
        self.reshape(&[self.numel()]).max_axis(0, false)
    }

    /// Same data, new shape (a view: no copy).
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        assert_eq!(numel(shape), self.numel(), "reshape {:?} → {shape:?} changes the element count", self.shape());
        if self.dtype() == DType::U32 {
            return Tensor::make(self.device(), self.buffer().clone(), shape.to_vec(), DType::U32, None, false);
        }
        Tensor::from_op(self.device(), self.buffer().clone(), shape.to_vec(), Op::Reshape, vec![self.clone()])
    }

    /// Swaps the last two dims (a copy).
    pub fn transpose(&self) -> Tensor {
        let r = self.rank();
        assert!(r >= 2, "transpose needs rank ≥ 2, got {:?}", self.shape());
        let mut strides = contiguous_strides(self.shape());
        strides.swap(r - 2, r - 1);
        let mut shape = self.shape().to_vec();
        shape.swap(r - 2, r - 1);
        let buf = self.device().copy_strided(self.buffer(), &strides, &shape);
        Tensor::from_op(self.device(), buf, shape, Op::Transpose, vec![self.clone()])
    }

    /// Materialises NumPy broadcasting to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        let out = broadcast_shapes(self.shape(), shape).unwrap_or_else(|e| panic!("broadcast_to: {e}"));
        assert_eq!(out, shape, "broadcast_to: {:?} does not broadcast to {shape:?}", self.shape());
        if self.shape() == shape {
            return self.clone();
        }
        let strides = broadcast_strides(self.shape(), shape);
        let buf = self.device().copy_strided(self.buffer(), &strides, shape);
        Tensor::from_op(self.device(), buf, shape.to_vec(), Op::BroadcastTo, vec![self.clone()])
    }

    /// Sums broadcast dims away so the result has `shape` (the adjoint of `broadcast_to`).
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        let mut t = self.clone();
        while t.rank() > shape.len() {
            t = t.sum_axis(0, false);
        }
        for (axis, &d) in shape.iter().enumerate() {
            if d == 1 && t.shape()[axis] != 1 {
                t = t.sum_axis(axis, true);
            }
        }
        t
    }

    pub fn softmax(&self, axis: usize) -> Tensor {
        self.softmax_impl(axis, false)
    }
    pub fn log_softmax(&self, axis: usize) -> Tensor {
        self.softmax_impl(axis, true)
    }
    fn softmax_impl(&self, axis: usize, log: bool) -> Tensor {
        check_axis(self, axis);
        let buf = self.device().softmax(self.buffer(), split_at_axis(self.shape(), axis), log);
        let op = if log { Op::LogSoftmax { axis } } else { Op::Softmax { axis } };
        Tensor::from_op(self.device(), buf, self.shape().to_vec(), op, vec![self.clone()])
    }

    /// out[i] = self[i, labels[i]] for self [n, c] → [n].
    pub fn gather_rows(&self, labels: &Tensor) -> Tensor {
        assert!(
            self.rank() == 2 && labels.shape() == [self.shape()[0]] && labels.dtype() == DType::U32,
            "gather_rows: x {:?}, labels {:?}",
            self.shape(),
            labels.shape()
        );
        let (n, c) = (self.shape()[0], self.shape()[1]);
        let buf = self.device().gather_rows(self.buffer(), labels.buffer(), n, c);
        Tensor::from_op(self.device(), buf, vec![n], Op::GatherRows, vec![self.clone(), labels.clone()])
    }

    /// Rows `rows[start[0] .. start[0] + n]` of a device-resident table, picked on the device
    /// (see `Backend::gather_table`): an f32 table [_, width] gives [n, width], a 1-D u32
    /// table (labels) gives [n] u32. A constant: batches of training data need no gradient.
    /// `rows` and `start` are 1-D u32; `start` holds one offset.
    pub fn gather_table(table: &Tensor, rows: &Tensor, start: &Tensor, n: usize) -> Tensor {
        assert!(rows.dtype() == DType::U32 && start.dtype() == DType::U32, "gather_table: u32 rows and start");
        assert!(table.rank() >= 1, "gather_table: a table of rank {}", table.rank());
        let device = table.device();
        match table.dtype() {
            DType::F32 => {
                let width = table.shape()[1..].iter().product();
                let buf = device.gather_table(table.buffer(), rows.buffer(), start.buffer(), n, width);
                let mut shape = table.shape().to_vec();
                shape[0] = n;
                Tensor::make(device, buf, shape, DType::F32, None, false)
            }
            DType::U32 => {
                let buf = device.gather_table_u32(table.buffer(), rows.buffer(), start.buffer(), n);
                Tensor::make(device, buf, vec![n], DType::U32, None, false)
            }
        }
    }

    /// [n] u32 labels → [n, classes] 0/1 floats (a constant).
    pub fn one_hot(labels: &Tensor, classes: usize) -> Tensor {
        assert!(labels.rank() == 1 && labels.dtype() == DType::U32, "one_hot needs 1-D u32 labels");
        let n = labels.shape()[0];
        let buf = labels.device().one_hot(labels.buffer(), n, classes);
        Tensor::make(labels.device(), buf, vec![n, classes], DType::F32, None, false)
    }

    /// cond ≠ 0 ? a : b, broadcasting all three; panics when their shapes do not broadcast.
    pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
        let shape = broadcast_shapes(cond.shape(), a.shape())
            .and_then(|s| broadcast_shapes(&s, b.shape()))
            .unwrap_or_else(|e| panic!("where: {e}"));
        let (c, a, b) = (cond.broadcast_to(&shape).detach(), a.broadcast_to(&shape), b.broadcast_to(&shape));
        let buf = a.device().select(c.buffer(), a.buffer(), b.buffer(), numel(&shape));
        let device = a.device().clone();
        Tensor::from_op(&device, buf, shape, Op::Where, vec![c, a, b])
    }

    /// Inverted dropout with a seeded counter-based mask; identity when `!train` or p == 0.
    pub fn dropout(&self, p: f32, seed: u32, train: bool) -> Tensor {
        assert!((0.0..1.0).contains(&p), "dropout probability {p} is not in [0, 1)");
        if !train || p == 0.0 {
            return self.clone();
        }
        let mask_buf = self.device().dropout_mask(self.numel(), p, seed);
        let mask = Tensor::make(self.device(), mask_buf, self.shape().to_vec(), DType::F32, None, false);
        let buf = self.device().binary(
            BinaryOp::Mul,
            (self.buffer(), &contiguous_strides(self.shape())),
            (mask.buffer(), &contiguous_strides(self.shape())),
            self.shape(),
        );
        Tensor::from_op(self.device(), buf, self.shape().to_vec(), Op::Dropout, vec![self.clone(), mask])
    }

    /// Joins tensors along `axis`; all other dims must agree.
    pub fn concat(parts: &[&Tensor], axis: usize) -> Tensor {
        let first = parts.first().expect("concat of nothing");
        check_axis(first, axis);
        for p in parts {
            let same = p.rank() == first.rank() && (0..p.rank()).all(|d| d == axis || p.shape()[d] == first.shape()[d]);
            assert!(same, "concat: {:?} does not fit {:?} along axis {axis}", p.shape(), first.shape());
        }
        let (outer, _, inner) = split_at_axis(first.shape(), axis);
        let views: Vec<_> = parts.iter().map(|p| (p.buffer(), p.shape()[axis])).collect();
        let buf = first.device().concat(&views, outer, inner);
        let mut shape = first.shape().to_vec();
        shape[axis] = parts.iter().map(|p| p.shape()[axis]).sum();
        Tensor::from_op(first.device(), buf, shape, Op::Concat { axis }, parts.iter().map(|&p| p.clone()).collect())
    }

    /// Elements start..start+len along `axis`.
    pub fn slice(&self, axis: usize, start: usize, len: usize) -> Tensor {
        check_axis(self, axis);
        assert!(
            start + len <= self.shape()[axis],
            "slice {start}..{} out of {:?} on axis {axis}",
            start + len,
            self.shape()
        );
        let buf = self.device().slice(self.buffer(), split_at_axis(self.shape(), axis), start, len);
        let mut shape = self.shape().to_vec();
        shape[axis] = len;
        Tensor::from_op(self.device(), buf, shape, Op::Slice { axis, start }, vec![self.clone()])
    }

    /// Fused softmax cross-entropy of logits [n, c] against u32 labels [n], mean over n, with
    /// label smoothing ε (PyTorch's `CrossEntropyLoss(label_smoothing=ε)`). → shape [].
    pub fn softmax_cross_entropy(&self, labels: &Tensor, smoothing: f32) -> Tensor {
        assert!(
            self.rank() == 2 && labels.shape() == [self.shape()[0]] && labels.dtype() == DType::U32,
            "cross entropy: logits {:?}, labels {:?}",
            self.shape(),
            labels.shape()
        );
        let (n, c) = (self.shape()[0], self.shape()[1]);
        let (loss, probs) = self.device().softmax_xent(self.buffer(), labels.buffer(), n, c, smoothing);
        let probs = Tensor::make(self.device(), probs, vec![n, c], DType::F32, None, false);
        Tensor::from_op(
            self.device(),
            loss,
            vec![],
            Op::SoftmaxXent { smoothing, probs },
            vec![self.clone(), labels.clone()],
        )
    }
}
