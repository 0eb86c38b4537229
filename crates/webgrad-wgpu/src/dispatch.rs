//! The command stream: pipelines are compiled once per (kernel, override constants) and cached;
//! every op records one compute pass into a pending encoder, which is submitted when a read or a
//! write needs it (or every `FLUSH_EVERY` passes), so a training step is a handful of submits.
//! Each op makes its own uniform buffer and bind group; while a step is being recorded
//! (`plan.rs`) they are also kept, with the pipeline and grid, so a replay makes none. The
//! stream's state is in `stream.rs`; the host sides of the kernels (`elementwise.rs`,
//! `gemm.rs`, `rows.rs`, `loss.rs`, `optim.rs`) launch through `Gpu::run` and size their grids
//! with the helpers below.
//!
//! Every kernel takes its parameters as a uniform at binding 0 and its storage buffers at
//! bindings 1.. in order. A 1-D launch of `groups` workgroups is split into a 2-D grid when it
//! exceeds the adapter's per-dimension limit (65,535); kernels recover the linear index with
//! `linear_group` (kernels/common.wgsl) and ignore the few surplus groups.

use std::borrow::Cow;
use std::rc::Rc;

use bytemuck::Pod;
use wgpu::util::DeviceExt;

use crate::context::Gpu;
use crate::stream::{PerStep, Recorded, Stream};

/// A WGSL entry point. `source` already has kernels/common.wgsl prepended.
pub(crate) struct Kernel {
    pub name: &'static str,
    pub source: &'static str,
    pub entry: &'static str,
}

/// Passes recorded before the pending encoder is submitted on its own.
const FLUSH_EVERY: usize = 256;

/// Threads per workgroup of the one-element-per-thread kernels.
pub(crate) const WG: usize = 256;

/// Workgroups that cover `n` items at `per_group` each. `n` counts elements of one binding,
/// which `MlpConfig::check_device` keeps within the adapter's binding size (≤ 4 GiB), so the
/// conversions here cannot fail for a model that was let onto the GPU.
pub(crate) fn groups(n: usize, per_group: usize) -> u32 {
    u32::try_from(n.div_ceil(per_group)).expect("wgpu: launch too large")
}

/// A size or index as the u32 the kernels take.
pub(crate) fn u32_of(v: usize) -> u32 {
    u32::try_from(v).expect("wgpu: an index exceeds u32")
}

/// One dispatch: `params` (a `#[repr(C)]` Pod struct, size a multiple of 16) and `buffers`
/// bound in order; `groups` workgroups along one (split) dimension.
struct Launch<'a> {
    pub kernel: &'a Kernel,
    pub constants: &'a [(&'static str, f64)],
    pub params: &'a [u8],
    pub buffers: &'a [&'a wgpu::Buffer],
    pub groups: u32,
    pub per_step: PerStep,
}

impl Gpu {
    /// Records one dispatch of `kernel` with `params` at binding 0 and `buffers` at 1...
    pub fn run<P: Pod>(
        &self,
        kernel: &Kernel,
        constants: &[(&'static str, f64)],
        params: &P,
        buffers: &[&wgpu::Buffer],
        groups: u32,
    ) {
        self.run_with(kernel, constants, bytemuck::bytes_of(params), buffers, groups, PerStep::Fixed);
    }

    /// As [`Gpu::run`], with what a replay must rewrite in the parameters.
    pub fn run_with(
        &self,
        kernel: &Kernel,
        constants: &[(&'static str, f64)],
        params: &[u8],
        buffers: &[&wgpu::Buffer],
        groups: u32,
        per_step: PerStep,
    ) {
        self.launch(Launch { kernel, constants, params, buffers, groups, per_step });
    }

    fn pipeline(
        &self,
        stream: &mut Stream,
        kernel: &Kernel,
        constants: &[(&'static str, f64)],
    ) -> Rc<wgpu::ComputePipeline> {
        let key = format!("{}:{}:{constants:?}", kernel.name, kernel.entry);
        if let Some(p) = stream.pipelines.get(&key) {
            return p.clone();
        }
        let module = stream.modules.entry(kernel.name).or_insert_with(|| {
            self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name),
                source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(kernel.source)),
            })
        });
        let pipeline = Rc::new(self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&key),
            layout: None,
            module,
            entry_point: Some(kernel.entry),
            compilation_options: wgpu::PipelineCompilationOptions { constants, ..Default::default() },
            cache: None,
        }));
        stream.pipelines.insert(key, pipeline.clone());
        pipeline
    }

    /// (x, y) with x·y ≥ groups and both within the per-dimension limit.
    pub fn grid(&self, groups: u32) -> (u32, u32) {
        let max = self.max_groups_per_dim.get();
        if groups <= max {
            return (groups, 1);
        }
        let y = groups.div_ceil(max);
        if y > max {
            // ruled out by the binding-size check before a model is built; an error, not a panic
            self.fail(format!("a launch of {groups} workgroups does not fit a 2-D grid"));
            return (max, max);
        }
        (groups.div_ceil(y), y)
    }

    /// Records one dispatch into the pending encoder (and into the recording, if one is going
    /// on). Nothing happens for zero groups.
    fn launch(&self, l: Launch<'_>) {
        if l.groups == 0 {
            return;
        }
        debug_assert!(l.params.len().is_multiple_of(16), "{}: params must be padded to 16 bytes", l.kernel.name);
        let max_binding = self.limits.max_storage_buffer_binding_size;
        if let Some(b) = l.buffers.iter().find(|b| b.size() > max_binding) {
            // ruled out by `MlpConfig::check_device`; an error on the next read, not a panic
            self.fail(format!(
                "{} binds a {} byte buffer; this adapter binds at most {max_binding} bytes",
                l.kernel.name,
                b.size()
            ));
            return;
        }
        let mut s = self.stream.borrow_mut();
        let pipeline = self.pipeline(&mut s, l.kernel, l.constants);
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(l.kernel.name),
            contents: l.params,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        entries.extend(
            l.buffers
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32 + 1, resource: b.as_entire_binding() }),
        );
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(l.kernel.name),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        self.count(|c| {
            c.buffers += 1;
            c.bind_groups += 1;
            c.dispatches += 1;
        });
        let grid = self.grid(l.groups);
        let encoder = s.encoder.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()));
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(l.kernel.name),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(grid.0, grid.1, 1);
        }
        s.passes += 1;
        if let Some(rec) = s.recording.as_mut() {
            rec.dispatches.push(Recorded { pipeline, bind_group, uniform, grid, per_step: l.per_step });
        }
        if s.passes >= FLUSH_EVERY {
            self.submit_stream(&mut s, None);
        }
    }

    /// Submits everything recorded so far, plus `then` (e.g. a readback copy) after it.
    pub fn submit(&self, then: Option<wgpu::CommandEncoder>) -> Option<wgpu::SubmissionIndex> {
        self.submit_stream(&mut self.stream.borrow_mut(), then)
    }

    fn submit_stream(&self, s: &mut Stream, then: Option<wgpu::CommandEncoder>) -> Option<wgpu::SubmissionIndex> {
        let recorded = s.encoder.take().map(|e| e.finish());
        s.passes = 0;
        let buffers: Vec<_> = recorded.into_iter().chain(then.map(|e| e.finish())).collect();
        if buffers.is_empty() {
            return None;
        }
        let index = self.queue.submit(buffers);
        self.count(|c| c.submits += 1);
        // frees what finished earlier without waiting (a no-op on WebGPU)
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::Poll);
        Some(index)
    }
}
