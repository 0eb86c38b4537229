//! The GPU backend's integration tests, one module per area, in one test binary (the GPU stack
//! links once, not once per file). Natively they run on Vulkan (lavapipe in CI), in the browser
//! on WebGPU. In binaries of their own: `no_adapter` (it changes the environment), `in_worker`
//! (a dedicated worker, not the page) and the benchmarks.

mod common;
mod device_loss;
mod elementwise;
mod fused;
mod gemm;
mod gradcheck;
mod indexing;
mod limits;
mod mnist_parity;
mod monitor;
mod plan;
mod reduce_softmax;
mod transcendentals;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
