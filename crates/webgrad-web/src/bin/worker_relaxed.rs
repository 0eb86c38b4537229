//! The training Web Worker built with relaxed SIMD (`--features relaxed-simd`): the page loads
//! it instead of `worker` where the browser supports relaxed SIMD (see `app::worker_script`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        wasm_bindgen_futures::spawn_local(webgrad_web::worker::run());
    }
}
