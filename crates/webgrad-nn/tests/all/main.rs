//! The model and training crate's integration tests, one module per area, in one test binary
//! (the stack links once, not once per file); the ones marked for the browser run there too. In
//! binaries of their own: `alloc` and `checkpoint_peak` (each installs a counting global
//! allocator), `heap_wasm` (a dedicated worker) and the benchmark.

mod differential;
mod inspect;
mod model_gradcheck;
mod monitor;
#[cfg(not(target_arch = "wasm32"))]
mod monitor_case;
mod plan;
mod portable;
mod target_scaling;
mod torch_project;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
