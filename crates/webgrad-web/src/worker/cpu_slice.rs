//! A slice of CPU training: steps run back to back without awaiting (the CPU's reads complete at
//! once), on a thread of the pool where the worker has one (`threads::on_pool`): the pool wakes
//! once per slice rather than once per split GEMM, and its other threads stay awake for the
//! slice, so a split GEMM's other half starts at once. Nothing here reaches the page: the slice
//! returns what happened and the worker posts it.

use webgrad_core::cpu::threads;
use webgrad_data::Dataset;
use webgrad_nn::{LossTally, Trainer};

use super::health::Health;
use crate::js::now_ms;

/// How a slice ended.
pub(super) enum End {
    /// the time budget was spent, a single step was asked for, an epoch or a monitor window ended
    Done { epoch_finished: bool },
    /// a step or a read failed (the message)
    Failed(String),
    /// a step's loss was not finite (that step, that loss)
    Diverged { step: u64, loss: f64 },
}

/// What a slice did: each step's (step, loss), the samples it trained on, how it ended.
pub(super) struct Slice {
    pub losses: Vec<(u64, f32)>,
    pub samples: usize,
    pub end: End,
}

/// Trains on `data` until `budget_ms` are spent (timed from the slice's first step), an epoch or
/// a monitor window ends, or after one step if `single_step`; every step's loss is read and added
/// to `tally`. `t` must be on the CPU.
pub(super) fn run(
    t: &mut Trainer,
    mut health: Option<&mut Health>,
    data: &Dataset,
    tally: &mut LossTally,
    budget_ms: f64,
    single_step: bool,
) -> Slice {
    let steps = || {
        // the pool thread's clock: each worker's performance.now() counts from its own start
        let started = now_ms();
        let mut slice = Slice { losses: Vec::new(), samples: 0, end: End::Done { epoch_finished: false } };
        loop {
            let stepped = match health.as_deref_mut() {
                Some(h) => h.step(t, data),
                None => t.step(data),
            };
            let out = match stepped {
                Ok(out) => out,
                Err(e) => return Slice { end: End::Failed(e.to_string()), ..slice },
            };
            slice.samples += out.samples;
            match webgrad_core::ready_now(t.take_loss().wait()) {
                Some(Ok(Some(s))) if s.mean.is_finite() => {
                    slice.losses.push((s.last_step, s.mean as f32));
                    tally.add(&s);
                }
                Some(Ok(Some(s))) => return Slice { end: End::Diverged { step: s.last_step, loss: s.mean }, ..slice },
                Some(Ok(None)) => {}
                Some(Err(e)) => return Slice { end: End::Failed(e.to_string()), ..slice },
                None => return Slice { end: End::Failed("a CPU read did not complete at once".into()), ..slice },
            }
            // a full monitor window ends the slice too (the worker's `check_health` reads it)
            if out.epoch_finished
                || single_step
                || now_ms() - started >= budget_ms
                || health.as_deref().is_some_and(Health::window_full)
            {
                slice.end = End::Done { epoch_finished: out.epoch_finished };
                return slice;
            }
        }
    };
    // SAFETY: the trainer, the monitors, the data and the tally hold no JS value (the clock's are
    // made and dropped on the pool thread), and the pool thread keeps nothing of them.
    unsafe { threads::on_pool(steps) }
}
