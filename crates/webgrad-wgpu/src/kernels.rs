//! The WGSL kernels (`src/kernels/*.wgsl`), each with `common.wgsl` prepended. The header of
//! every file gives its bindings, dispatch grid and invariants.

use webgrad_core::backend::Activation;

use crate::dispatch::Kernel;

/// The activation code of common.wgsl's `activate` and its parameter (leaky slope).
pub(crate) fn act_code(act: Activation) -> (u32, f32) {
    match act {
        Activation::Identity => (0, 0.0),
        Activation::Relu => (1, 0.0),
        Activation::LeakyRelu(a) => (2, a),
        Activation::Sigmoid => (3, 0.0),
        Activation::Tanh => (4, 0.0),
        Activation::Gelu => (5, 0.0),
    }
}

macro_rules! kernel {
    ($name:ident, $file:literal) => {
        kernel!($name, $file, "main");
    };
    ($name:ident, $file:literal, $entry:literal) => {
        pub(crate) const $name: Kernel = Kernel {
            name: $file,
            source: concat!(include_str!("kernels/common.wgsl"), include_str!(concat!("kernels/", $file))),
            entry: $entry,
        };
    };
}

kernel!(UNARY, "unary.wgsl");
kernel!(UNARY_BACKWARD, "unary_backward.wgsl");
kernel!(BINARY, "binary.wgsl");
kernel!(COPY_STRIDED, "copy_strided.wgsl");
kernel!(SELECT, "select.wgsl");
kernel!(REDUCE_TREE, "reduce.wgsl", "tree");
kernel!(REDUCE_SERIAL, "reduce.wgsl", "serial");
kernel!(SOFTMAX, "softmax.wgsl");
kernel!(GEMM, "gemm.wgsl");
kernel!(GEMM_DIRECT, "gemm_direct.wgsl");
kernel!(ONE_HOT, "one_hot.wgsl");
kernel!(GATHER_ROWS, "gather_rows.wgsl");
kernel!(GATHER_TABLE, "gather_table.wgsl");
kernel!(COPY_BLOCK, "copy_block.wgsl");
kernel!(DROPOUT, "dropout.wgsl");
kernel!(XENT_ROWS, "xent.wgsl");
kernel!(XENT_ROWS_SERIAL, "xent.wgsl", "serial");
kernel!(XENT_MEAN, "xent_mean.wgsl");
kernel!(XENT_MEAN_SERIAL, "xent_mean.wgsl", "serial");
kernel!(XENT_BACKWARD, "xent_backward.wgsl");
kernel!(SGD, "sgd.wgsl");
kernel!(ADAM, "adam.wgsl");
kernel!(RMSPROP, "rmsprop.wgsl");
kernel!(ADAGRAD, "adagrad.wgsl");
kernel!(ACCUMULATE, "accumulate.wgsl");
kernel!(ACCUMULATE_HITS, "accumulate_hits.wgsl");
