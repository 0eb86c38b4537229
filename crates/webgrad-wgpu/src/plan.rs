//! Plan once, replay many on the GPU (docs/ARCHITECTURE.md §4). While a step is recorded,
//! `launch` keeps every dispatch it makes: pipeline, bind group, uniform buffer and grid
//! (`stream::Recorded`). A replay rewrites only the per-step values with `queue.write_buffer`
//! into those uniforms (the optimizer's lr and bias corrections, the dropout seeds), encodes
//! every recorded dispatch into one compute pass of one command encoder, and submits once: it
//! creates no buffer and no bind group.
//!
//! Order: a replay first submits whatever the stream still holds, so earlier ops run first;
//! `write_buffer` takes effect before the next submit and after every earlier one, so rewriting a
//! uniform cannot change a step already queued. WebGPU makes each dispatch of a compute pass see
//! the writes of the dispatches before it, so one pass keeps the recorded order.

use std::rc::Rc;

use webgrad_core::backend::{StepHyper, StepPlan};

use crate::context::Gpu;
use crate::optim::UpdateParams;
use crate::stream::{PerStep, Recorded, Recording};

/// A recorded step: its dispatches in order, and the dropout seed it was recorded with.
struct GpuPlan {
    gpu: Rc<Gpu>,
    dispatches: Vec<Recorded>,
    dropout_seed: u32,
}

impl StepPlan for GpuPlan {
    fn replay(&self, hyper: StepHyper, dropout_seed: u32) {
        let gpu = &self.gpu;
        gpu.submit(None);
        let shift = dropout_seed.wrapping_sub(self.dropout_seed);
        for d in &self.dispatches {
            match d.per_step {
                PerStep::Fixed => {}
                PerStep::DropoutSeed(mut words) => {
                    words[1] = words[1].wrapping_add(shift);
                    gpu.queue.write_buffer(&d.uniform, 0, bytemuck::cast_slice(&words));
                }
                PerStep::Update { rule, n } => {
                    gpu.queue.write_buffer(&d.uniform, 0, UpdateParams::new(&rule, hyper, n).bytes());
                }
            }
        }
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("replay") });
        {
            let mut pass = encoder
                .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("replay"), timestamp_writes: None });
            for d in &self.dispatches {
                pass.set_pipeline(&d.pipeline);
                pass.set_bind_group(0, &d.bind_group, &[]);
                pass.dispatch_workgroups(d.grid.0, d.grid.1, 1);
            }
        }
        gpu.count(|c| c.dispatches += self.dispatches.len() as u64);
        gpu.submit(Some(encoder));
    }
}

/// Starts keeping every dispatch `launch` makes (`Recorder::start_recording`).
pub(crate) fn start_recording(gpu: &Gpu, dropout_seed: u32) {
    let rec = Recording { dispatches: Vec::new(), dropout_seed, replayable: true };
    gpu.stream.borrow_mut().recording = Some(rec);
}

/// The recorded step as a plan, unless something in it cannot be replayed
/// (`Recorder::finish_recording`).
pub(crate) fn finish_recording(gpu: &Rc<Gpu>) -> Option<Box<dyn StepPlan>> {
    let rec = gpu.stream.borrow_mut().recording.take()?;
    rec.replayable.then(|| {
        let plan = GpuPlan { gpu: gpu.clone(), dispatches: rec.dispatches, dropout_seed: rec.dropout_seed };
        Box::new(plan) as Box<dyn StepPlan>
    })
}
