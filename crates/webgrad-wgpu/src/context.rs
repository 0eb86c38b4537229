//! Instance → adapter → device, following docs/TOOLCHAIN.md §3 (the same code on Vulkan
//! natively and on WebGPU in the browser). The device asks for the adapter's own buffer-size
//! limits, so large datasets fit when the hardware allows, and for 8 storage buffers per stage
//! (the WebGPU default; the fused RMSprop update binds 5).

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use webgrad_core::{Error, Result};

use crate::stream::{GpuStats, Stream};

/// Storage buffers the widest kernel binds (RMSprop: param, grad, square_avg, momentum, grad_avg).
pub(crate) const STORAGE_BUFFERS_NEEDED: u32 = 5;

pub(crate) struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub limits: wgpu::Limits,
    /// Workgroups per grid dimension before a launch is split into 2-D: the device's
    /// `max_compute_workgroups_per_dimension`, lowered only by the test hook
    /// `WgpuBackend::set_grid_dimension_limit`.
    pub max_groups_per_dim: Cell<u32>,
    pub info: wgpu::AdapterInfo,
    /// The first validation / out-of-memory error or the loss of the device (wgpu reports them
    /// asynchronously, through `on_uncaptured_error` and the device-lost callback); every read
    /// turns it into `Error::Device`.
    pub errors: Arc<Mutex<Option<String>>>,
    /// The pending encoder, the pipeline cache and the recording (`stream.rs`; `dispatch.rs`
    /// records into it).
    pub stream: RefCell<Stream>,
    pub stats: Cell<GpuStats>,
    /// Unmapped MAP_READ buffers of finished readbacks, reused by later ones of the same size.
    pub staging: RefCell<Vec<wgpu::Buffer>>,
}

pub(crate) async fn open() -> Result<Gpu> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Device(format!("no WebGPU/Vulkan adapter: {e}")))?;
    let offered = adapter.limits();
    if offered.max_storage_buffers_per_shader_stage < STORAGE_BUFFERS_NEEDED {
        return Err(Error::Device(format!(
            "the adapter allows {} storage buffers per shader stage; webgrad needs {STORAGE_BUFFERS_NEEDED}",
            offered.max_storage_buffers_per_shader_stage
        )));
    }
    let required_limits = wgpu::Limits {
        max_storage_buffers_per_shader_stage: offered.max_storage_buffers_per_shader_stage.min(8),
        max_storage_buffer_binding_size: offered.max_storage_buffer_binding_size,
        max_buffer_size: offered.max_buffer_size,
        ..wgpu::Limits::downlevel_defaults()
    };
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("webgrad"),
            required_features: wgpu::Features::empty(),
            required_limits,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Device(format!("the adapter refused a device: {e}")))?;
    let errors = Arc::new(Mutex::new(None));
    let sink = errors.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        let message = match e {
            wgpu::Error::OutOfMemory { .. } => format!("the GPU ran out of memory ({e})"),
            e => e.to_string(),
        };
        note(&sink, message);
    }));
    let sink = errors.clone();
    device.set_device_lost_callback(move |reason, message| {
        note(&sink, format!("the GPU device was lost ({reason:?}: {message})"));
    });
    let limits = device.limits();
    let max_groups_per_dim = Cell::new(limits.max_compute_workgroups_per_dimension);
    Ok(Gpu {
        device,
        queue,
        limits,
        max_groups_per_dim,
        info: adapter.get_info(),
        errors,
        stream: Default::default(),
        stats: Default::default(),
        staging: Default::default(),
    })
}

/// Keeps the first error only: what follows it is usually its consequence.
fn note(sink: &Mutex<Option<String>>, message: String) {
    let mut first = sink.lock().unwrap_or_else(|p| p.into_inner());
    if first.is_none() {
        *first = Some(message);
    }
}

impl Gpu {
    /// The first error the device reported, as `Error::Device` (it stays reported: once a
    /// command was invalid, later results cannot be trusted either).
    pub fn check_errors(&self) -> Result<()> {
        match &*self.errors.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(Error::Device(format!("the GPU reported an error: {e}"))),
            None => Ok(()),
        }
    }

    /// Records an error found on the host side (see `errors`); the first one stays.
    pub fn fail(&self, message: String) {
        note(&self.errors, message);
    }

    /// Updates the creation counters.
    pub fn count(&self, f: impl FnOnce(&mut GpuStats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    /// "wgpu (llvmpipe (LLVM 15.0.6, 256 bits), Vulkan)"; browsers hide the adapter name.
    pub fn describe(&self) -> String {
        let backend = match self.info.backend {
            wgpu::Backend::Vulkan => "Vulkan",
            wgpu::Backend::Metal => "Metal",
            wgpu::Backend::Dx12 => "DX12",
            wgpu::Backend::Gl => "GL",
            wgpu::Backend::BrowserWebGpu => "WebGPU",
            wgpu::Backend::Noop => "no-op",
        };
        let name = if self.info.name.is_empty() { "unnamed adapter" } else { &self.info.name };
        format!("wgpu ({name}, {backend})")
    }
}
