//! Without an adapter `WgpuBackend::new` fails with an error that says so (and does not panic).
//! `WGPU_BACKEND=metal` selects a backend this Linux build lacks; the test is alone in its
//! binary, so changing the environment races with nothing.
#![cfg(all(not(target_arch = "wasm32"), target_os = "linux"))]

use webgrad_wgpu::WgpuBackend;

#[test]
fn missing_adapter_is_a_clear_error() {
    // SAFETY: the only test in this binary; no other thread reads the environment.
    unsafe { std::env::set_var("WGPU_BACKEND", "metal") };
    let err = pollster::block_on(WgpuBackend::new()).err().expect("no adapter without Metal");
    let msg = err.to_string();
    assert!(msg.contains("no WebGPU/Vulkan adapter"), "unclear error: {msg}");
}
