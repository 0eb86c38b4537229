//! `WgpuBackend`: the `Backend` trait on one wgpu device. Each method allocates its output and
//! records one or a few compute passes (see `dispatch.rs`); nothing waits for the GPU except
//! the futures of `read` / `read_u32` / `take`, which await the mapping. Steps can be recorded
//! and replayed (`plan.rs`). The methods hand over to the host sides of the kernels
//! (`elementwise.rs`, `gemm.rs`, `rows.rs`, `loss.rs`, `optim.rs`), which know nothing of this
//! type: the modules depend one way, context → dispatch → kernels' host sides → backend.

use std::cell::Cell;
use std::rc::Rc;

use webgrad_core::backend::{
    Backend, BinaryOp, Buffer, GemmSpec, ParamSlot, ReadFuture, Recorder, ReduceOp, StepHyper, StepPlan, UnaryOp,
    UpdateRule,
};
use webgrad_core::{Device, Result};

use crate::buffer::{Elem, f32_raw, gpu_buf, try_gpu_buf, u32_raw};
use crate::context::{self, Gpu};
use crate::dispatch::{WG, groups, u32_of};
use crate::gemm::GemmKernel;
use crate::stream::GpuStats;
use crate::{elementwise, gemm, kernels, loss, optim, plan, rows};

pub struct WgpuBackend {
    /// Shared with recorded plans and pending readbacks, which outlive a borrow of the backend.
    pub(crate) gpu: Rc<Gpu>,
    /// Two distinct 1-float storage buffers bound where a kernel's optional input or state slot
    /// is switched off (no bias, no momentum buffer): never read or written then.
    pub(crate) spare: [wgpu::Buffer; 2],
    /// gemm_direct.wgsl (`GemmKernel::DEFAULT`), or gemm.wgsl where a test or bench asks.
    pub(crate) gemm_kernel: Cell<GemmKernel>,
}

impl WgpuBackend {
    /// Opens the preferred adapter (WebGPU in the browser; Vulkan/Metal/DX12 natively, honouring
    /// `WGPU_BACKEND`). Fails with "no WebGPU/Vulkan adapter: …" where there is none.
    pub async fn new() -> Result<WgpuBackend> {
        let gpu = Rc::new(context::open().await?);
        let spare = [0, 1].map(|_| gpu.alloc(1, Elem::F32).raw);
        let gemm_kernel = Cell::new(GemmKernel::DEFAULT);
        Ok(WgpuBackend { gpu, spare, gemm_kernel })
    }

    /// The backend as a `Device` for tensors.
    pub async fn device() -> Result<Device> {
        Ok(Rc::new(WgpuBackend::new().await?))
    }

    /// The adapter in use (name, backend, device type).
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.gpu.info
    }

    /// The limits the device was created with.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.gpu.limits
    }

    /// Test hook: launches of more than `max` workgroups (at least 1, at most the device's
    /// limit) are split into a 2-D grid, as past 65,535 they must be. This lets a test reach the
    /// split with a few dozen workgroups; the real limit needs 65,536 GEMM tiles, which take
    /// about a minute on a software adapter (SwiftShader in headless Chromium).
    #[doc(hidden)]
    pub fn set_grid_dimension_limit(&mut self, max: u32) {
        self.gpu.max_groups_per_dim.set(max.clamp(1, self.gpu.limits.max_compute_workgroups_per_dimension));
    }

    /// The GEMM kernel in use (`GemmKernel::DEFAULT` unless a test hook changed it).
    pub fn gemm_kernel(&self) -> GemmKernel {
        self.gemm_kernel.get()
    }

    /// Test hook: runs GEMMs with `kernel` from now on, so that either kernel can be checked
    /// against the CPU on any adapter.
    #[doc(hidden)]
    pub fn set_gemm_kernel(&self, kernel: GemmKernel) {
        self.gemm_kernel.set(kernel);
    }

    /// How many buffers, bind groups, dispatches and submits this backend has made so far.
    pub fn stats(&self) -> GpuStats {
        self.gpu.stats.get()
    }

    /// Test hook: destroys the device, as a driver reset or a lost GPU would. Every later read
    /// fails with "the GPU device was lost"; nothing panics.
    #[doc(hidden)]
    pub fn destroy_device(&self) {
        self.gpu.device.destroy();
    }
}

impl Backend for WgpuBackend {
    fn name(&self) -> String {
        self.gpu.describe()
    }

    fn upload(&self, data: &[f32]) -> Buffer {
        self.gpu.upload_bytes(bytemuck::cast_slice(data), data.len(), Elem::F32)
    }

    fn upload_u32(&self, data: &[u32]) -> Buffer {
        self.gpu.upload_bytes(bytemuck::cast_slice(data), data.len(), Elem::U32)
    }

    fn zeros(&self, len: usize) -> Buffer {
        self.gpu.alloc_buf(len)
    }

    /// In place (see `Gpu::write_bytes`). A recorded step that contains a write cannot be
    /// replayed: the replay would not redo it.
    fn write(&self, buf: &Buffer, data: &[f32]) {
        self.gpu.write_bytes(gpu_buf(buf, Elem::F32), bytemuck::cast_slice(data));
        if let Some(rec) = self.gpu.stream.borrow_mut().recording.as_mut() {
            rec.replayable = false;
        }
    }

    fn read<'a>(&'a self, buf: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<f32>> {
        match try_gpu_buf(buf, Elem::F32) {
            Ok(b) => Box::pin(self.gpu.start_read(b, len, false)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn read_u32<'a>(&'a self, buf: &'a Buffer, len: usize) -> ReadFuture<'a, Vec<u32>> {
        match try_gpu_buf(buf, Elem::U32) {
            Ok(b) => Box::pin(self.gpu.start_read(b, len, false)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn take(&self, buf: &Buffer, len: usize) -> ReadFuture<'static, Vec<f32>> {
        match try_gpu_buf(buf, Elem::F32) {
            Ok(b) => Box::pin(self.gpu.start_read(b, len, true)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn accumulate(&self, acc: &Buffer, x: &Buffer, len: usize, scale: f32) {
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        struct AccParams {
            n: u32,
            scale: f32,
            pad: [u32; 2],
        }
        let params = AccParams { n: u32_of(len), scale, pad: [0; 2] };
        let bufs = [f32_raw(x, len), f32_raw(acc, len)];
        self.gpu.run(&kernels::ACCUMULATE, &[], &params, &bufs, groups(len, WG));
    }

    fn accumulate_hits(&self, acc: &Buffer, logits: &Buffer, labels: &Buffer, n: usize, c: usize) {
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        struct HitParams {
            n: u32,
            c: u32,
            pad: [u32; 2],
        }
        let params = HitParams { n: u32_of(n), c: u32_of(c), pad: [0; 2] };
        let bufs = [f32_raw(logits, n * c), u32_raw(labels, n), f32_raw(acc, 1)];
        self.gpu.run(&kernels::ACCUMULATE_HITS, &[], &params, &bufs, 1);
    }

    fn unary(&self, op: UnaryOp, x: &Buffer, len: usize) -> Buffer {
        elementwise::unary(&self.gpu, op, x, len)
    }

    fn unary_backward(&self, op: UnaryOp, x: &Buffer, y: &Buffer, g: &Buffer, len: usize) -> Buffer {
        elementwise::unary_backward(&self.gpu, op, x, y, g, len)
    }

    fn binary(&self, op: BinaryOp, a: (&Buffer, &[usize]), b: (&Buffer, &[usize]), out_shape: &[usize]) -> Buffer {
        elementwise::binary(&self.gpu, op, a, b, out_shape)
    }

    fn select(&self, cond: &Buffer, a: &Buffer, b: &Buffer, len: usize) -> Buffer {
        elementwise::select(&self.gpu, cond, a, b, len)
    }

    fn copy_strided(&self, x: &Buffer, strides: &[usize], out_shape: &[usize]) -> Buffer {
        elementwise::copy_strided(&self.gpu, x, strides, out_shape)
    }

    fn reduce(&self, op: ReduceOp, x: &Buffer, outer: usize, axis: usize, inner: usize) -> Buffer {
        rows::reduce(&self.gpu, op, x, (outer, axis, inner))
    }

    fn softmax(&self, x: &Buffer, dims: (usize, usize, usize), log: bool) -> Buffer {
        rows::softmax(&self.gpu, x, dims, log)
    }

    fn gemm(&self, a: &Buffer, b: &Buffer, bias: Option<&Buffer>, spec: &GemmSpec) -> Buffer {
        gemm::gemm(&self.gpu, self.gemm_kernel.get(), &self.spare[0], a, b, bias, spec)
    }

    fn one_hot(&self, labels: &Buffer, n: usize, classes: usize) -> Buffer {
        rows::one_hot(&self.gpu, labels, n, classes)
    }

    fn gather_rows(&self, x: &Buffer, labels: &Buffer, n: usize, classes: usize) -> Buffer {
        rows::gather_rows(&self.gpu, x, labels, n, classes)
    }

    fn gather_table(&self, table: &Buffer, rows: &Buffer, start: &Buffer, n: usize, width: usize) -> Buffer {
        rows::gather_table(&self.gpu, (table, Elem::F32), rows, start, n, width)
    }

    fn gather_table_u32(&self, table: &Buffer, rows: &Buffer, start: &Buffer, n: usize) -> Buffer {
        rows::gather_table(&self.gpu, (table, Elem::U32), rows, start, n, 1)
    }

    /// A table is one storage binding, so it must fit the binding size the device was created
    /// with (the adapter's own, see `context.rs`) and its largest buffer. On a CPU adapter
    /// (SwiftShader, lavapipe) "device" buffers are host memory too, so the copy gains nothing:
    /// there gathering on the device measured slower than writing each batch (`cargo xtask
    /// bench`, rows `mnist_mlp_b…_device_data` against `…_host_data`), so such an adapter
    /// declines.
    fn resident_table_limit(&self) -> Option<usize> {
        if self.gpu.info.device_type == wgpu::DeviceType::Cpu {
            return None;
        }
        let limits = &self.gpu.limits;
        let bytes = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        Some(usize::try_from(bytes / 4).unwrap_or(usize::MAX))
    }

    fn max_buffer_bytes(&self) -> Option<u64> {
        let limits = &self.gpu.limits;
        Some(limits.max_storage_buffer_binding_size.min(limits.max_buffer_size))
    }

    fn concat(&self, parts: &[(&Buffer, usize)], outer: usize, inner: usize) -> Buffer {
        rows::concat(&self.gpu, parts, outer, inner)
    }

    fn slice(&self, x: &Buffer, dims: (usize, usize, usize), start: usize, len: usize) -> Buffer {
        rows::slice(&self.gpu, x, dims, start, len)
    }

    fn dropout_mask(&self, len: usize, p: f32, seed: u32) -> Buffer {
        rows::dropout_mask(&self.gpu, len, p, seed)
    }

    fn softmax_xent(&self, logits: &Buffer, labels: &Buffer, n: usize, c: usize, smoothing: f32) -> (Buffer, Buffer) {
        loss::softmax_xent(&self.gpu, logits, labels, (n, c), smoothing)
    }

    fn softmax_xent_backward(
        &self,
        probs: &Buffer,
        labels: &Buffer,
        g: &Buffer,
        n: usize,
        c: usize,
        smoothing: f32,
    ) -> Buffer {
        loss::softmax_xent_backward(&self.gpu, probs, labels, g, (n, c), smoothing)
    }

    fn optimizer_step(&self, rule: &UpdateRule, hyper: StepHyper, params: &[ParamSlot<'_>]) {
        optim::optimizer_step(&self.gpu, &self.spare, rule, hyper, params)
    }

    fn recorder(&self) -> Option<&dyn Recorder> {
        Some(self)
    }
}

impl Recorder for WgpuBackend {
    fn start_recording(&self, dropout_seed: u32) {
        plan::start_recording(&self.gpu, dropout_seed);
    }

    fn finish_recording(&self) -> Option<Box<dyn StepPlan>> {
        plan::finish_recording(&self.gpu)
    }

    /// In place, like `write`; labels are per-step inputs of a plan, so this keeps a recording
    /// replayable.
    fn write_u32(&self, buf: &Buffer, data: &[u32]) {
        self.gpu.write_bytes(gpu_buf(buf, Elem::U32), bytemuck::cast_slice(data));
    }
}
