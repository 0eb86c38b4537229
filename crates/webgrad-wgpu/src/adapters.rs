//! Every adapter wgpu finds, with the limits that decide what webgrad can train on it
//! (`webgrad devices`). Natively the build has Vulkan, Metal and DX12 (each only on its own
//! platform); `WGPU_BACKEND` narrows the search as it does for `--backend gpu`.

use crate::context::STORAGE_BUFFERS_NEEDED;

/// One adapter: what it is, its limits, and whether webgrad can use it.
#[derive(Clone, Debug)]
pub struct AdapterReport {
    pub name: String,
    /// "Vulkan", "Metal", "Dx12", "BrowserWebGpu", …
    pub backend: String,
    /// "DiscreteGpu", "IntegratedGpu", "Cpu" (a software rasteriser such as lavapipe), …
    pub device_type: String,
    pub driver: String,
    /// The largest buffer, and the largest storage binding, in bytes (with the widest layer
    /// and batch, these bound the models `MlpConfig::check_device` accepts).
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
    /// `Err(why)` where webgrad cannot train on it.
    pub usable: Result<(), String>,
    /// The adapter `--backend gpu` opens (wgpu's high-performance choice); at most one is.
    pub preferred: bool,
}

/// The adapters of every backend this build has, the preferred one marked.
pub async fn adapters() -> Vec<AdapterReport> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let preferred = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        })
        .await
        .ok()
        .map(|a| a.get_info());
    let found = instance.enumerate_adapters(wgpu::Backends::all()).await;
    // the first adapter that reports the same as wgpu's choice: two identical GPUs whose backend
    // gives no PCI bus id are indistinguishable, and only one of them is opened
    let chosen = found.iter().position(|a| preferred.as_ref() == Some(&a.get_info()));
    found
        .iter()
        .enumerate()
        .map(|(i, adapter)| {
            let (info, limits) = (adapter.get_info(), adapter.limits());
            let usable = if limits.max_storage_buffers_per_shader_stage < STORAGE_BUFFERS_NEEDED {
                Err(format!(
                    "{} storage buffers per shader stage; webgrad needs {STORAGE_BUFFERS_NEEDED}",
                    limits.max_storage_buffers_per_shader_stage
                ))
            } else {
                Ok(())
            };
            AdapterReport {
                preferred: chosen == Some(i),
                name: info.name,
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: [info.driver, info.driver_info]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
                max_buffer_size: limits.max_buffer_size,
                max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
                max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
                max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
                max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
                usable,
            }
        })
        .collect()
}
