//! Shared by the test binaries: `dual_test!` turns `async fn name() { … }` into a native `#[test]`
//! (driven by pollster) and a `#[wasm_bindgen_test]` (headless Chromium), so one body is checked
//! on both targets.
#![allow(dead_code)]

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

/// Asserts |a − b| ≤ atol + rtol·|b| element-wise, naming the first offending index.
pub fn assert_close(got: &[f32], want: &[f32], atol: f32, rtol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= atol + rtol * w.abs() || (g.is_nan() && w.is_nan());
        assert!(ok, "{what}: element {i}: got {g}, want {w}");
    }
}
