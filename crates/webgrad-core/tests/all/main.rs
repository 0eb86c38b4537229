//! The tensor core's integration tests in one test binary, natively and in the browser. The
//! relaxed-SIMD kernels are checked by running `kernels` with `--features relaxed-simd`.

mod autograd;
mod common;
mod gradcheck;
mod kernels;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
