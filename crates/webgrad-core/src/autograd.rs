//! Reverse mode. `Op` is what a node remembers; `grad_rule` holds every gradient rule, one arm
//! per op, each with its derivation. Rules are written with tensor ops under `no_grad`, so every
//! backend gets them for free.

use std::collections::HashMap;

use crate::backend::{Activation, BinaryOp, UnaryOp};
use crate::tensor::{Tensor, no_grad};

/// How a tensor was computed. Inputs live in the node; the output is passed to the rule.
#[derive(Clone)]
pub enum Op {
    Unary(UnaryOp),
    /// Add, Sub, Mul, Div with broadcasting.
    Binary(BinaryOp),
    Matmul {
        trans_a: bool,
        trans_b: bool,
    },
    /// inputs [x, w, (b)]; act's derivative is read from the output (see `act_grad_from_output`).
    Linear {
        act: Activation,
    },
    Sum {
        axis: usize,
        keepdim: bool,
    },
    Max {
        axis: usize,
        keepdim: bool,
    },
    Reshape,
    Transpose,
    BroadcastTo,
    Softmax {
        axis: usize,
    },
    LogSoftmax {
        axis: usize,
    },
    /// inputs [x, labels]
    GatherRows,
    /// inputs [cond, a, b], all of one shape
    Where,
    /// inputs [x, mask]
    Dropout,
    Concat {
        axis: usize,
    },
    Slice {
        axis: usize,
        start: usize,
    },
    /// inputs [logits, labels]
    SoftmaxXent {
        smoothing: f32,
        probs: Tensor,
    },
}

/// Declares `OpKind` and `OpKind::ALL` from one list, so the two cannot drift apart.
macro_rules! op_kinds {
    ($($kind:ident),* $(,)?) => {
        /// Every differentiable op a user can call, for tests and `webgrad gradcheck` to enumerate.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum OpKind {
            $($kind),*
        }

        impl OpKind {
            pub const ALL: [OpKind; [$(OpKind::$kind),*].len()] = [$(OpKind::$kind),*];
        }
    };
}

op_kinds! {
    Matmul, Linear, Add, Sub, Mul, Div, Neg, Exp, Log, Sqrt, Powf, Abs, Clamp, Affine, Relu, LeakyRelu,
    Sigmoid, Tanh, Gelu, Softmax, LogSoftmax, Sum, Mean, Max, SumAll, MeanAll, MaxAll, Reshape,
    Transpose, BroadcastTo, GatherRows, Where, Dropout, Concat, Slice, SoftmaxCrossEntropy,
}

impl Op {
    /// Activations whose derivative is a function of the output alone (so the fused linear op
    /// need not keep the pre-activation).
    pub fn act_grad_from_output(act: Activation) -> bool {
        matches!(act, Activation::Identity | Activation::Relu | Activation::Sigmoid | Activation::Tanh)
    }
}

/// Gradients of the inputs of `op` given its inputs, its output `y`, and dL/dy = `g`.
/// `None` for inputs that take no gradient (labels, masks, conditions). The costly rules
/// (matmul, linear, binary) skip the gradients of inputs that do not require one (e.g. dx of
/// a first layer whose input is data), which `backward` would drop anyway.
fn grad_rule(op: &Op, inputs: &[Tensor], y: &Tensor, g: &Tensor) -> Vec<Option<Tensor>> {
    let x = &inputs[0];
    let needs = |i: usize| inputs[i].requires_grad();
    match op {
        // d f(x) = f'(x) dx, with f' from x and y (e.g. exp' = y, tanh' = 1 - y²)
        Op::Unary(u) => {
            let buf = x.device().unary_backward(*u, x.buffer(), y.buffer(), g.buffer(), x.numel());
            vec![Some(Tensor::make_const(x, buf))]
        }
        Op::Binary(b) => {
            let (a, bb) = (&inputs[0], &inputs[1]);
            let (ga, gb): (&dyn Fn() -> Tensor, &dyn Fn() -> Tensor) = match b {
                // d(a+b) = da + db
                BinaryOp::Add => (&|| g.clone(), &|| g.clone()),
                // d(a-b) = da - db
                BinaryOp::Sub => (&|| g.clone(), &|| g.neg()),
                // d(ab) = b da + a db
                BinaryOp::Mul => (&|| g.mul(bb), &|| g.mul(a)),
                // d(a/b) = da/b - (a/b²) db = da/b - y/b db
                BinaryOp::Div => (&|| g.div(bb), &|| g.mul(y).div(bb).neg()),
                _ => unreachable!("comparisons are never recorded"),
            };
            // broadcasting copies values, so its adjoint sums them back
            vec![needs(0).then(|| ga().sum_to(a.shape())), needs(1).then(|| gb().sum_to(bb.shape()))]
        }
        // C = A'B' (A' = op(A), B' = op(B)): dA' = G B'ᵀ, dB' = A'ᵀ G
        Op::Matmul { trans_a: ta, trans_b: tb } => {
            let (a, b) = (&inputs[0], &inputs[1]);
            let ga = needs(0).then(|| if *ta { b.matmul_t(g, *tb, true) } else { g.matmul_t(b, false, !tb) });
            let gb = needs(1).then(|| if *tb { g.matmul_t(a, true, *ta) } else { a.matmul_t(g, !ta, false) });
            vec![ga, gb]
        }
        // y = act(x Wᵀ + b): dpre = g·act'(y); dx = dpre W; dW = dpreᵀ x; db = Σ_rows dpre
        Op::Linear { act } => {
            let (w, dpre) = (&inputs[1], activation_grad(*act, y, g));
            let mut grads = vec![needs(0).then(|| dpre.matmul(w)), needs(1).then(|| dpre.matmul_t(x, true, false))];
            if inputs.len() == 3 {
                grads.push(needs(2).then(|| dpre.sum_axis(0, false)));
            }
            grads
        }
        // every summed element receives g
        Op::Sum { axis, keepdim } => vec![Some(keep(g, *axis, *keepdim).broadcast_to(x.shape()))],
        // d max = dx at the arg-max; ties share it equally
        Op::Max { axis, keepdim } => {
            let mask = x.eq_mask(&keep(y, *axis, *keepdim));
            let count = mask.sum_axis(*axis, true);
            vec![Some(keep(g, *axis, *keepdim).div(&count).mul(&mask))]
        }
        Op::Reshape => vec![Some(g.reshape(x.shape()))],
        Op::Transpose => vec![Some(g.transpose())],
        Op::BroadcastTo => vec![Some(g.sum_to(x.shape()))],
        // dx_i = y_i (g_i - Σ_j g_j y_j)
        Op::Softmax { axis } => vec![Some(y.mul(&g.sub(&g.mul(y).sum_axis(*axis, true))))],
        // y = x - logΣexp(x): dx_i = g_i - softmax_i Σ_j g_j
        Op::LogSoftmax { axis } => vec![Some(g.sub(&y.exp().mul(&g.sum_axis(*axis, true))))],
        // y_i = x[i, l_i]: dx = onehot(l) ⊙ g_i
        Op::GatherRows => {
            let c = x.shape()[1];
            vec![Some(Tensor::one_hot(&inputs[1], c).mul(&g.reshape(&[g.numel(), 1]))), None]
        }
        // y = c ? a : b: da = c ? g : 0, db = c ? 0 : g
        Op::Where => {
            let zero = Tensor::zeros(g.device(), &[]);
            vec![None, Some(Tensor::where_(x, g, &zero)), Some(Tensor::where_(x, &zero, g))]
        }
        // y = x ⊙ mask (mask = 0 or 1/(1-p))
        Op::Dropout => vec![Some(g.mul(&inputs[1])), None],
        // each part gets its slice of g
        Op::Concat { axis } => {
            let mut start = 0;
            inputs
                .iter()
                .map(|p| {
                    let len = p.shape()[*axis];
                    start += len;
                    Some(g.slice(*axis, start - len, len))
                })
                .collect()
        }
        // g lands at its place, zeros elsewhere
        Op::Slice { axis, start } => {
            let (len, total) = (g.shape()[*axis], x.shape()[*axis]);
            let zeros = |n: usize| {
                let mut s = x.shape().to_vec();
                s[*axis] = n;
                Tensor::zeros(g.device(), &s)
            };
            let (before, after) = (zeros(*start), zeros(total - start - len));
            vec![Some(Tensor::concat(&[&before, g, &after], *axis))]
        }
        // L = mean_i -Σ_c t_ic log p_ic: dL/dlogits = (p - t)/n
        Op::SoftmaxXent { smoothing, probs } => {
            let (n, c) = (x.shape()[0], x.shape()[1]);
            let buf =
                x.device().softmax_xent_backward(probs.buffer(), inputs[1].buffer(), g.buffer(), n, c, *smoothing);
            vec![Some(Tensor::make_const(x, buf)), None]
        }
    }
}

/// g · act'(y) for the activations of `Op::act_grad_from_output`.
fn activation_grad(act: Activation, y: &Tensor, g: &Tensor) -> Tensor {
    if act == Activation::Identity {
        return g.clone();
    }
    // relu'(x) = [x > 0] = [y > 0], so passing y for x is exact for all four.
    let buf = y.device().unary_backward(UnaryOp::Act(act), y.buffer(), y.buffer(), g.buffer(), y.numel());
    Tensor::make_const(y, buf)
}

/// g with the reduced axis restored as size 1 (so it broadcasts against the input).
fn keep(g: &Tensor, axis: usize, keepdim: bool) -> Tensor {
    if keepdim {
        return g.clone();
    }
    let mut s = g.shape().to_vec();
    s.insert(axis, 1);
    g.reshape(&s)
}

impl Tensor {
    /// A constant of `like`'s shape on its device wrapping `buf`.
    pub(crate) fn make_const(like: &Tensor, buf: crate::backend::Buffer) -> Tensor {
        Tensor::make(like.device(), buf, like.shape().to_vec(), crate::tensor::DType::F32, None, false)
    }

    /// Back-propagates from this one-element tensor, adding dL/dp into every parameter's
    /// `grad()` (accumulating across calls until `zero_grad`).
    pub fn backward(&self) {
        assert_eq!(self.numel(), 1, "backward() needs a one-element loss, got {:?}", self.shape());
        no_grad(|| {
            let seed = Tensor::full(self.device(), 1.0, self.shape());
            self.backward_with(seed)
        })
    }

    fn backward_with(&self, seed: Tensor) {
        let order = topological_order(self);
        let mut grads: HashMap<u64, Tensor> = HashMap::new();
        grads.insert(self.id(), seed);
        for t in order.iter().rev() {
            let Some(g) = grads.remove(&t.id()) else { continue };
            match &t.0.node {
                Some(node) => {
                    for (input, gi) in node.inputs.iter().zip(grad_rule(&node.op, &node.inputs, t, &g)) {
                        if let (true, Some(gi)) = (input.requires_grad(), gi) {
                            let total = match grads.remove(&input.id()) {
                                Some(prev) => prev.add(&gi),
                                None => gi,
                            };
                            grads.insert(input.id(), total);
                        }
                    }
                }
                None => {
                    let total = match t.grad() {
                        Some(prev) => prev.add(&g),
                        None => g,
                    };
                    t.set_grad(Some(total));
                }
            }
        }
    }
}

/// Tensors that need a gradient, each after all of its inputs (iterative DFS, no recursion).
fn topological_order(root: &Tensor) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(Tensor, bool)> = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !t.requires_grad() || !seen.insert(t.id()) {
            continue;
        }
        stack.push((t.clone(), true));
        if let Some(node) = &t.0.node {
            for input in &node.inputs {
                stack.push((input.clone(), false));
            }
        }
    }
    order
}
