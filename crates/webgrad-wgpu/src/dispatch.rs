//! The command stream: pipelines are compiled once per (kernel, override constants) and cached;
//! every op records one compute pass into a pending encoder, which is submitted when a read or a
//! write needs it (or every `FLUSH_EVERY` passes), so a training step is a handful of submits.
//! Each op makes its own uniform buffer and bind group; while a step is being recorded
//! (`plan.rs`) they are also kept, with the pipeline and grid, so a replay makes none.
//!
//! Every kernel takes its parameters as a uniform at binding 0 and its storage buffers at
//! bindings 1.. in order. A 1-D launch of `groups` workgroups is split into a 2-D grid when it
//! exceeds the adapter's per-dimension limit (65,535); kernels recover the linear index with
//! `linear_group` (kernels/common.wgsl) and ignore the few surplus groups.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use webgrad_core::backend::UpdateRule;
use wgpu::util::DeviceExt;

use crate::context::Gpu;

/// A WGSL entry point. `source` already has kernels/common.wgsl prepended.
pub(crate) struct Kernel {
    pub name: &'static str,
    pub source: &'static str,
    pub entry: &'static str,
}

/// Passes recorded before the pending encoder is submitted on its own.
const FLUSH_EVERY: usize = 256;

#[derive(Default)]
pub(crate) struct Stream {
    modules: HashMap<&'static str, wgpu::ShaderModule>,
    pipelines: HashMap<String, Rc<wgpu::ComputePipeline>>,
    encoder: Option<wgpu::CommandEncoder>,
    passes: usize,
    /// The step being recorded, if one is (`Recorder::start_recording`).
    pub recording: Option<Recording>,
}

/// What a replay rewrites in a recorded dispatch's uniform before running it again.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PerStep {
    /// The same parameters every step.
    Fixed,
    /// dropout.wgsl's parameters as words [n, seed, p, keep]: a replay adds its seed shift to
    /// word 1.
    DropoutSeed([u32; 4]),
    /// An optimizer update of `n` elements: rebuilt from the replay's `StepHyper` (lr, bias
    /// corrections) by `optim::UpdateParams`.
    Update { rule: UpdateRule, n: u32 },
}

/// One recorded dispatch: everything `launch` made for it, kept for replays.
pub(crate) struct Recorded {
    pub pipeline: Rc<wgpu::ComputePipeline>,
    pub bind_group: wgpu::BindGroup,
    /// binding 0; COPY_DST, so a replay can rewrite per-step values in place
    pub uniform: wgpu::Buffer,
    pub grid: (u32, u32),
    pub per_step: PerStep,
}

/// The dispatches of the step being recorded, in order.
pub(crate) struct Recording {
    pub dispatches: Vec<Recorded>,
    pub dropout_seed: u32,
    /// Cleared by a call a replay would not redo (an in-place `write` of an f32 buffer).
    pub replayable: bool,
}

/// What the backend has created so far (`WgpuBackend::stats`): a replayed step must add no
/// buffer and no bind group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuStats {
    /// every buffer: tensors, uniforms, readback staging
    pub buffers: u64,
    pub bind_groups: u64,
    /// compute dispatches encoded (op by op or replayed)
    pub dispatches: u64,
    /// `queue.submit` calls
    pub submits: u64,
    /// bytes written into tensor buffers by `write` / `write_u32` (batches, offsets, labels);
    /// not counting uploads of new buffers or a replay's uniforms
    pub bytes_written: u64,
}

/// One dispatch: `params` (a `#[repr(C)]` Pod struct, size a multiple of 16) and `buffers`
/// bound in order; `groups` workgroups along one (split) dimension.
pub(crate) struct Launch<'a> {
    pub kernel: &'a Kernel,
    pub constants: &'a [(&'static str, f64)],
    pub params: &'a [u8],
    pub buffers: &'a [&'a wgpu::Buffer],
    pub groups: u32,
    pub per_step: PerStep,
}

impl Gpu {
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
        assert!(y <= max, "wgpu: a launch of {groups} workgroups does not fit a 2-D grid");
        (groups.div_ceil(y), y)
    }

    /// Records one dispatch into the pending encoder (and into the recording, if one is going
    /// on). Nothing happens for zero groups.
    pub fn launch(&self, l: Launch<'_>) {
        if l.groups == 0 {
            return;
        }
        debug_assert!(l.params.len().is_multiple_of(16), "{}: params must be padded to 16 bytes", l.kernel.name);
        let max_binding = self.limits.max_storage_buffer_binding_size;
        for b in l.buffers {
            assert!(
                b.size() <= max_binding,
                "wgpu: {} binds a {} byte buffer; this adapter binds at most {max_binding} bytes",
                l.kernel.name,
                b.size()
            );
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
