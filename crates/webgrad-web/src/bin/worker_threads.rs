//! The training Web Worker with a thread pool (`--features threads`, built by `cargo xtask
//! threads-worker` with atomics and a shared memory). It has no start function: every pool thread
//! instantiates this same module, so the loader (`web/worker_threads_loader.js`) starts the pool with
//! `initThreadPool(n)` first and then calls `webgrad_worker_start` on the worker's own thread.

#[cfg(target_arch = "wasm32")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Starts the training worker on this (the loader's) thread.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn webgrad_worker_start() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(webgrad_web::worker::run());
}

fn main() {}
