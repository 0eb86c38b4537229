//! webgrad-wgpu: `WgpuBackend`, the `webgrad_core::Backend` on wgpu — WebGPU in the browser,
//! Vulkan (lavapipe in CI), Metal or DX12 natively. Every primitive is a WGSL compute kernel
//! (`src/kernels/*.wgsl`); `Tensor`, autograd and the nn library run on it unchanged.
//!
//! ```no_run
//! # async fn demo() -> webgrad_core::Result<()> {
//! let device = webgrad_wgpu::WgpuBackend::device().await?;
//! let x = webgrad_core::Tensor::from_slice(&device, &[1.0, -2.0], &[2])?;
//! assert_eq!(x.relu().to_vec().await?, [1.0, 0.0]);
//! # Ok(()) }
//! ```

mod adapters;
mod backend;
mod buffer;
mod context;
mod dispatch;
mod elementwise;
mod gemm;
mod kernels;
mod loss;
mod optim;
mod plan;
mod rows;
mod stream;

pub use adapters::{AdapterReport, adapters};
pub use backend::WgpuBackend;
pub use gemm::GemmKernel;
pub use stream::GpuStats;
