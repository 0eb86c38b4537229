//! The CPU path warmed up while the worker is idle (`webgrad_nn::warm_up`): once the first model
//! is built on the CPU, slices of a throwaway model of its shapes train until
//! `PAGE_BUDGET_S` have passed, so the engine has optimised the hot code before the first epoch.
//! Only while nothing else happens: each slice is short (messages wait at most that long), and
//! warming stops for good once the model has trained a step (by then the code is hot anyway).
//! Race and sweep lanes, which start training at once beside each other, do not warm up.

use webgrad_nn::warm_up::{PAGE_BUDGET_S, Warmer};

use super::TrainerState;

/// One slice's length: what a message waits at most while the worker warms up (seconds).
const SLICE_S: f64 = 0.04;

/// The throwaway model's batch at most (its set is 4 batches): the kernels are the same at any
/// larger batch, and a full-batch experiment must not double its memory.
const MAX_BATCH: usize = 256;

/// Models with more parameters than this are not warmed up (their copy would double a large
/// model's memory; its own first steps are long enough to be optimised early anyway).
const MAX_PARAMETERS: usize = 4_000_000;

/// Nor inputs wider than this (the synthetic set holds 4 batches of them).
const MAX_INPUT: usize = 16_384;

#[derive(Default)]
pub struct Warming {
    warmer: Option<Warmer>,
    /// Warming is over (its budget spent, the model trained, or it could not start).
    finished: bool,
}

impl Warming {
    /// Runs one slice of warm-up if there is one to run; returns whether it did (the loop then
    /// checks its messages again without sleeping).
    pub async fn idle_slice(&mut self, state: &TrainerState) -> bool {
        if self.finished || state.ephemeral {
            return false;
        }
        let Some(t) = &state.trainer else { return false };
        if t.optimizer.step > 0 || !state.devices.is_cpu(&state.device) {
            // a model that trains (or a GPU one) needs no throwaway steps beside it
            self.finish();
            return false;
        }
        if self.warmer.is_none() {
            let config = &t.model.config;
            if config.parameter_count() > MAX_PARAMETERS || config.input > MAX_INPUT {
                self.finish();
                return false;
            }
            let batch = t.config.batch_size.min(MAX_BATCH);
            match Warmer::new(&state.device, config.input, &config.hidden, batch) {
                Ok(w) => self.warmer = Some(w),
                Err(_) => {
                    self.finish();
                    return false;
                }
            }
        }
        let Some(w) = self.warmer.as_mut() else { return false };
        let slice = SLICE_S.min(PAGE_BUDGET_S - w.done.secs);
        let ran = w.run_for(slice, u64::MAX, &webgrad_nn::bench::now).await;
        if ran.is_err() || w.done.secs >= PAGE_BUDGET_S {
            self.finish();
        }
        true
    }

    fn finish(&mut self) {
        (self.warmer, self.finished) = (None, true);
    }
}
