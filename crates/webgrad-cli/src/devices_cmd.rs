//! `webgrad devices`: where this machine can train — the CPU kernel, and every GPU adapter wgpu
//! finds (Vulkan, Metal or DX12, each on its own platform) with the limits that bound a model.

use crate::CliResult;

/// Bytes in GiB from 1 GiB up, else in MiB.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b => format!("{:.0} MiB", b as f64 / (1u64 << 20) as f64),
    }
}

pub fn run() -> CliResult<()> {
    println!("{} (--backend cpu, the default)", webgrad_core::cpu().name());
    let adapters = pollster::block_on(webgrad_wgpu::adapters());
    if adapters.is_empty() {
        println!(
            "gpu: no adapter found (wgpu looked for Vulkan, Metal and DX12, or what WGPU_BACKEND names): --backend gpu will fail. On Debian, \
             `apt-get install mesa-vulkan-drivers libvulkan1` gives a software Vulkan (lavapipe)."
        );
        return Ok(());
    }
    for (i, a) in adapters.iter().enumerate() {
        let chosen = if a.preferred { "  ← --backend gpu uses this one" } else { "" };
        println!("gpu {}: {} ({}, {}){chosen}", i + 1, a.name, a.backend, a.device_type);
        if !a.driver.is_empty() {
            println!("    driver: {}", a.driver);
        }
        println!(
            "    largest buffer {}, largest storage binding {}, {} storage buffers per stage, \
             {} workgroups per dimension, {} invocations per workgroup",
            size(a.max_buffer_size),
            size(a.max_storage_buffer_binding_size),
            a.max_storage_buffers_per_shader_stage,
            a.max_compute_workgroups_per_dimension,
            a.max_compute_invocations_per_workgroup
        );
        if let Err(why) = &a.usable {
            println!("    webgrad cannot train here: {why}");
        }
    }
    println!("WGPU_BACKEND=vulkan|metal|dx12 chooses the backend for --backend gpu.");
    Ok(())
}
