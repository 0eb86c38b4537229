//! Plan once, replay many (docs/ARCHITECTURE.md §4): on a device with a `Recorder` (the CPU and
//! the GPU), the first step of a given shape runs op by op while the device records it; later
//! steps of that shape write their batch into the recorded input buffers and replay the
//! recording. A replay runs the same kernels on the same buffers in the same order, so it
//! computes bit for bit what the op-by-op step would, without building a graph and without
//! allocating.
//!
//! A plan is only replayed while everything that shaped its recording is unchanged: the batch
//! size and feature count, the model's configuration and parameter buffers, the optimizer's rule,
//! state buffers and clipping, the loss and the penalties. The learning rate (schedules), step
//! count and dropout seed are per-step inputs of the replay.

use std::rc::Rc;

use webgrad_core::backend::UpdateRule;
use webgrad_core::{Buffer, StepPlan, Tensor};

use crate::config::MlpConfig;
use crate::model::Mlp;
use crate::optim::Optimizer;
use crate::train::TrainConfig;

/// How many shapes keep a plan: the full batch and the shorter last batch of an epoch.
const KEEP: usize = 2;

/// A recorded step and the buffers its inputs and loss live in.
pub(crate) struct Planned {
    pub plan: Box<dyn StepPlan>,
    /// [len, d] features
    pub x: Tensor,
    /// labels (u32, cross-entropy) or target values (f32)
    pub targets: Tensor,
    /// the data loss (detached), rewritten by every replay
    pub loss: Tensor,
    /// each hidden layer's output before dropout and each parameter's gradient (detached), as
    /// `Trainer::last_hidden` / `last_grads` expose them; rewritten by every replay
    pub hidden: Vec<Tensor>,
    pub grads: Vec<Option<Tensor>>,
    key: Key,
}

/// What a recording depends on (see the module doc).
struct Key {
    len: usize,
    d: usize,
    config: TrainConfig,
    model: MlpConfig,
    rule: UpdateRule,
    clip: Option<f32>,
    /// parameter buffers, then every optimizer state buffer, by address
    buffers: Vec<*const ()>,
}

fn addr(b: &Buffer) -> *const () {
    Rc::as_ptr(b) as *const ()
}

/// Every buffer the plan updates in place, in a fixed order (no allocation).
fn buffers<'a>(model: &'a Mlp, opt: &'a Optimizer) -> impl Iterator<Item = *const ()> + 'a {
    let params = model.layers.iter().flat_map(|l| [addr(l.weight.buffer()), addr(l.bias.buffer())]);
    params.chain(opt.state.iter().flatten().map(addr))
}

impl Key {
    fn new(len: usize, d: usize, config: &TrainConfig, model: &Mlp, opt: &Optimizer) -> Key {
        Key {
            len,
            d,
            config: config.clone(),
            model: model.config.clone(),
            rule: opt.config.rule(),
            clip: opt.clip_grad_norm,
            buffers: buffers(model, opt).collect(),
        }
    }

    fn fits(&self, len: usize, d: usize, config: &TrainConfig, model: &Mlp, opt: &Optimizer) -> bool {
        self.len == len
            && self.d == d
            && self.rule == opt.config.rule()
            && self.clip == opt.clip_grad_norm
            && self.config.loss == config.loss
            && self.config.l1 == config.l1
            && self.config.l2 == config.l2
            && self.model == model.config
            && self.buffers.iter().copied().eq(buffers(model, opt))
    }
}

/// The plans of one trainer, most recently recorded last.
#[derive(Default)]
pub(crate) struct Plans(Vec<Planned>);

impl Plans {
    /// The plan recorded for a step like this one, if any still fits.
    pub fn find(&self, len: usize, d: usize, config: &TrainConfig, model: &Mlp, opt: &Optimizer) -> Option<&Planned> {
        self.0.iter().find(|p| p.key.fits(len, d, config, model, opt))
    }

    /// Keeps a new recording (made with the trainer in the state it has now, after the step),
    /// dropping plans that no longer fit anything and the oldest beyond `KEEP`.
    pub fn insert(
        &mut self,
        plan: Box<dyn StepPlan>,
        io: (Tensor, Tensor, Tensor),
        kept: (Vec<Tensor>, Vec<Option<Tensor>>),
        state: Recorded<'_>,
    ) {
        let Recorded { len, d, config, model, opt } = state;
        self.0.retain(|p| p.key.d == d && p.key.buffers.iter().copied().eq(buffers(model, opt)));
        if self.0.len() >= KEEP {
            self.0.remove(0);
        }
        let (x, targets, loss) = io;
        let (hidden, grads) = kept;
        self.0.push(Planned { plan, x, targets, loss, hidden, grads, key: Key::new(len, d, config, model, opt) });
    }
}

/// The trainer's state a recording was made in.
pub(crate) struct Recorded<'a> {
    pub len: usize,
    pub d: usize,
    pub config: &'a TrainConfig,
    pub model: &'a Mlp,
    pub opt: &'a Optimizer,
}
