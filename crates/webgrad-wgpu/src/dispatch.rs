//! The command stream: pipelines are compiled once per (kernel, override constants) and cached;
//! every op records one compute pass into a pending encoder, which is submitted when a read or a
//! write needs it (or every `FLUSH_EVERY` passes), so a training step is a handful of submits.
//!
//! Every kernel takes its parameters as a uniform at binding 0 and its storage buffers at
//! bindings 1.. in order. A 1-D launch of `groups` workgroups is split into a 2-D grid when it
//! exceeds the adapter's per-dimension limit (65,535); kernels recover the linear index with
//! `linear_group` (kernels/common.wgsl) and ignore the few surplus groups.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

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
}

/// One dispatch: `params` (a `#[repr(C)]` Pod struct, size a multiple of 16) and `buffers`
/// bound in order; `groups` workgroups along one (split) dimension.
pub(crate) struct Launch<'a> {
    pub kernel: &'a Kernel,
    pub constants: &'a [(&'static str, f64)],
    pub params: &'a [u8],
    pub buffers: &'a [&'a wgpu::Buffer],
    pub groups: u32,
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
        let max = self.max_groups_per_dim;
        if groups <= max {
            return (groups, 1);
        }
        let y = groups.div_ceil(max);
        assert!(y <= max, "wgpu: a launch of {groups} workgroups does not fit a 2-D grid");
        (groups.div_ceil(y), y)
    }

    /// Records one dispatch into the pending encoder. Nothing happens for zero groups.
    pub fn launch(&self, stream: &RefCell<Stream>, l: Launch<'_>) {
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
        let mut s = stream.borrow_mut();
        let pipeline = self.pipeline(&mut s, l.kernel, l.constants);
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(l.kernel.name),
            contents: l.params,
            usage: wgpu::BufferUsages::UNIFORM,
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
        let (x, y) = self.grid(l.groups);
        let encoder = s.encoder.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()));
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(l.kernel.name),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
        s.passes += 1;
        if s.passes >= FLUSH_EVERY {
            self.submit(&mut s, None);
        }
    }

    /// Submits everything recorded so far, plus `then` (e.g. a readback copy) after it.
    pub fn submit(&self, s: &mut Stream, then: Option<wgpu::CommandEncoder>) {
        let recorded = s.encoder.take().map(|e| e.finish());
        s.passes = 0;
        let buffers: Vec<_> = recorded.into_iter().chain(then.map(|e| e.finish())).collect();
        if !buffers.is_empty() {
            self.queue.submit(buffers);
            // frees what finished earlier without waiting (a no-op on WebGPU)
            #[cfg(not(target_arch = "wasm32"))]
            let _ = self.device.poll(wgpu::PollType::Poll);
        }
    }
}
