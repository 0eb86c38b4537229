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

/// splitmix64 (Steele, Lea and Flood 2014): a seeded stream of u64, one per call, simple enough
/// for the Python scripts that write test fixtures to reproduce draw for draw
/// (`tests/golden/make_differential.py`).
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The top 53 bits of the next draw: an integer below 2⁵³.
    pub fn next_53(&mut self) -> u64 {
        self.next_u64() >> 11
    }
}
