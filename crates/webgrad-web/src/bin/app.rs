//! Entry point of the page (trunk builds it and loads it from index.html).

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        if let Err(e) = webgrad_web::app::start() {
            web_sys::console::error_1(&e);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("the webgrad page runs in a browser: `cargo xtask run` serves it (see README)");
}
