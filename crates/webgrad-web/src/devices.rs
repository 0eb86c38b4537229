//! Which device trains: the CPU (wasm SIMD) or WebGPU, and the rule behind "Auto".
//!
//! Auto picks WebGPU only for a hardware adapter and a model of at least `GPU_MIN_PARAMETERS`
//! parameters: below that, launch and readback overhead make the GPU slower than the CPU
//! (docs/ARCHITECTURE.md §7), and a software adapter (SwiftShader) is always slower than the
//! SIMD path.

use std::rc::Rc;

use webgrad_core::cpu::microkernel::Kernel;
use webgrad_core::{CpuBackend, Device};
use webgrad_nn::BackendChoice;
use webgrad_wgpu::WgpuBackend;

pub const GPU_MIN_PARAMETERS: usize = 1_000_000;

/// An opened WebGPU device and whether its adapter is a software one.
struct Gpu {
    device: Device,
    backend: Rc<WgpuBackend>,
    software: bool,
}

pub struct Devices {
    cpu: Device,
    /// Opened on first use; the error is kept so it is not retried on every Reset.
    gpu: Option<Result<Gpu, String>>,
}

impl Default for Devices {
    fn default() -> Self {
        Self::new()
    }
}

impl Devices {
    pub fn new() -> Devices {
        Devices { cpu: webgrad_core::cpu(), gpu: None }
    }

    /// The CPU with GEMM micro-kernel `kernel` (the calibrated one, `cpu::calibrate`).
    pub fn with_kernel(kernel: &'static Kernel) -> Devices {
        Devices { cpu: Rc::new(CpuBackend::with_kernel(kernel)), gpu: None }
    }

    pub fn cpu(&self) -> Device {
        self.cpu.clone()
    }

    pub fn is_cpu(&self, d: &Device) -> bool {
        Rc::ptr_eq(d, &self.cpu)
    }

    /// After the GPU failed (device lost, out of memory): every later pick is the CPU, and
    /// says why.
    pub fn mark_gpu_failed(&mut self, reason: &str) {
        self.gpu = Some(Err(format!("it failed earlier in this visit: {reason}")));
    }

    /// Destroys the WebGPU device, as a driver reset or a lost GPU would (the end-to-end test
    /// of the CPU fallback sends this). Nothing happens without an opened device.
    pub fn destroy_gpu(&self) {
        if let Some(Ok(g)) = &self.gpu {
            g.backend.destroy_device();
        }
    }

    async fn gpu(&mut self) -> Result<&Gpu, String> {
        if self.gpu.is_none() {
            let opened = match WgpuBackend::new().await {
                Ok(b) => {
                    let software = b.adapter_info().device_type == wgpu::DeviceType::Cpu;
                    let backend = Rc::new(b);
                    Ok(Gpu { device: backend.clone(), backend, software })
                }
                Err(e) => Err(e.to_string()),
            };
            self.gpu = Some(opened);
        }
        self.gpu.as_ref().expect("set above").as_ref().map_err(String::clone)
    }

    /// The device for `choice` and a sentence saying why.
    pub async fn pick(&mut self, choice: BackendChoice, parameters: usize) -> (Device, String) {
        let cpu = self.cpu.clone();
        match choice {
            BackendChoice::Cpu => (cpu, "Training on the CPU (wasm SIMD), as chosen.".into()),
            BackendChoice::Gpu => match self.gpu().await {
                Ok(g) => (g.device.clone(), "Training on WebGPU, as chosen.".into()),
                Err(e) => (cpu, format!("WebGPU could not be used ({e}): training on the CPU (wasm SIMD).")),
            },
            BackendChoice::Auto => match self.gpu().await {
                Err(_) => (cpu, "Auto: WebGPU is not available here, so the CPU (wasm SIMD) trains.".into()),
                Ok(g) if g.software => (
                    cpu,
                    "Auto: the WebGPU adapter is a software one, slower than the CPU's SIMD path, so the CPU trains."
                        .into(),
                ),
                Ok(g) if parameters >= GPU_MIN_PARAMETERS => {
                    (g.device.clone(), format!("Auto: {parameters} parameters, large enough for the GPU to win."))
                }
                Ok(_) => (
                    cpu,
                    format!(
                        "Auto: {parameters} parameters is small; the CPU (wasm SIMD) is faster than launching GPU work."
                    ),
                ),
            },
        }
    }
}

/// Whether this browser gives us a WebGPU adapter (`navigator.gpu` exists even when it does not).
async fn webgpu_adapter_available() -> bool {
    use wasm_bindgen::JsCast;
    let Ok(navigator) = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()) else { return false };
    let Ok(gpu) = js_sys::Reflect::get(&navigator, &"gpu".into()) else { return false };
    if gpu.is_undefined() {
        return false;
    }
    let Ok(request) = js_sys::Reflect::get(&gpu, &"requestAdapter".into()) else { return false };
    let Ok(promise) = request.unchecked_into::<js_sys::Function>().call0(&gpu) else { return false };
    match wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&promise)).await {
        Ok(adapter) => !adapter.is_null() && !adapter.is_undefined(),
        Err(_) => false,
    }
}

/// What the page says about WebGPU when the worker is ready.
pub async fn gpu_notice() -> String {
    if webgpu_adapter_available().await {
        "WebGPU is available: choose it under Backend (Auto keeps small models on the CPU, where they are faster)."
            .into()
    } else {
        "WebGPU is not available in this browser: training on the CPU (wasm SIMD).".into()
    }
}
