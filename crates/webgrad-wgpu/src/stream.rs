//! The state of the command stream that `dispatch.rs` records into: the pipeline cache, the
//! pending encoder, the step being recorded (`plan.rs` replays it) and the creation counters.
//! Only data lives here, so that `context.rs` can hold it without depending on the code that
//! launches kernels.

use std::collections::HashMap;
use std::rc::Rc;

use webgrad_core::backend::UpdateRule;

#[derive(Default)]
pub(crate) struct Stream {
    /// compiled WGSL modules by kernel file
    pub modules: HashMap<&'static str, wgpu::ShaderModule>,
    /// pipelines by kernel, entry point and override constants
    pub pipelines: HashMap<String, Rc<wgpu::ComputePipeline>>,
    /// the encoder passes are recorded into until the next submit
    pub encoder: Option<wgpu::CommandEncoder>,
    /// passes in `encoder`
    pub passes: usize,
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
