//! Entry point of the training Web Worker (trunk builds it with `data-type="worker"`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        wasm_bindgen_futures::spawn_local(webgrad_web::worker::run());
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("the webgrad worker runs in a browser: build it with trunk (see README)");
}
