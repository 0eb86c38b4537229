//! Test support shared by the crates' test suites.

/// Turns `async fn name() { … }` items into a native `#[test]` (driven by `pollster`) and a
/// `#[wasm_bindgen_test]` (run in headless Chromium), so one body is checked on both targets.
/// The calling crate needs `pollster` (native) and `wasm-bindgen-test` (wasm32) as dev-dependencies.
#[macro_export]
macro_rules! dual_test {
    ($(async fn $name:ident() $body:block)*) => {$(
        #[cfg(not(target_arch = "wasm32"))]
        #[test]
        fn $name() {
            pollster::block_on(async $body)
        }
        #[cfg(target_arch = "wasm32")]
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn $name() $body
    )*};
}
