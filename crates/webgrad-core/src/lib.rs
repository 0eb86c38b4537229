//! webgrad-core: f32 tensors on a run-time chosen device, define-by-run reverse-mode autograd,
//! and the CPU backend (scalar reference + SIMD). Knows nothing of files, the web or wgpu.

pub mod autograd;
pub mod backend;
pub mod budget;
pub mod cpu;
mod error;
pub mod gradcheck;
mod ops;
pub mod rng;
pub mod shape;
mod tensor;
pub mod testing;

pub use autograd::OpKind;
pub use backend::{Activation, Backend, Buffer, Device, Recorder, StepPlan, UpdateRule, ready_now};
pub use cpu::CpuBackend;
pub use error::{Error, Result};
pub use rng::Rng;
pub use tensor::{DType, Tensor, grad_enabled, no_grad};

/// The default CPU device (best SIMD kernel for this machine).
pub fn cpu() -> Device {
    std::rc::Rc::new(CpuBackend::new())
}
