//! The data crate's integration tests, one module per format or concern, in one test binary;
//! the ones marked for the browser run there too.

mod conform;
mod csv;
mod fuzz_found;
mod idx;
mod mnist;
mod npy;
mod portable;
mod robust;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
