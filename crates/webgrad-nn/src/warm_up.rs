//! Warming up compiled code before the first real step. A browser's wasm engine (V8) runs each
//! function as quickly compiled baseline code first and optimises it only after it has run for a
//! while, so a fresh worker's first MNIST epoch ran at about 57 % of the later ones (and a long
//! function is not replaced while it runs: V8 has no on-stack replacement for wasm). Training a
//! throwaway copy of the model's shapes on synthetic data for a short time, while the page still
//! loads, gets the hot functions (GEMM kernels and packing, activations, softmax, the optimizer)
//! optimised before the user presses Train. Natively it costs the same few steps and gains
//! nothing, so only the browser worker and its benchmark call it.

use webgrad_core::Device;
use webgrad_data::{Dataset, Targets};

use crate::Result;
use crate::config::{Head, Init, LayerConfig, MlpConfig};
use crate::train::Trainer;

/// How long the page's worker warms up the CPU path once its first model is built (seconds).
/// Measured on MNIST b64 in a fresh worker at default browser flags (`bench_wasm`'s first row,
/// 2 cores): the first epoch ran at 52 % of the later ones without it, 76–90 % after 0.3 s, and
/// 98–100 % after 1 s.
pub const PAGE_BUDGET_S: f64 = 1.0;

/// Rows of the synthetic set: a few batches, so the epoch-end path runs too.
const BATCHES: usize = 4;

/// What a warm-up did: steps trained and the time they took (seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmUp {
    pub steps: u64,
    pub secs: f64,
}

/// A throwaway MLP with a model's input width and hidden layers (10 classes, Adam) and a
/// synthetic set of a few batches, trained in slices (the page's worker runs one slice at a time
/// while it has nothing else to do). Nothing of it is kept; every other model's results are
/// unchanged (the same kernels, however the engine compiled them).
pub struct Warmer {
    trainer: Trainer,
    data: Dataset,
    /// What all slices so far did.
    pub done: WarmUp,
}

impl Warmer {
    pub fn new(device: &Device, input: usize, hidden: &[LayerConfig], batch: usize) -> Result<Warmer> {
        const CLASSES: usize = 10;
        let rows = batch.max(1).saturating_mul(BATCHES);
        let len = rows.checked_mul(input).ok_or_else(|| crate::Error::Config("warm-up set too large".into()))?;
        // values in [0, 1) from a fixed LCG: any finite data exercises the same code
        let mut state = 0x2545_f491_u32;
        let features = (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32
            })
            .collect();
        let labels = (0..rows).map(|i| (i % CLASSES) as u32).collect();
        let names = (0..CLASSES).map(|c| c.to_string()).collect();
        let targets = Targets::Classes { labels, classes: CLASSES, names };
        let data = Dataset::new("warm-up", features, rows, input, targets, None)?;
        let head = Head::Softmax { classes: CLASSES };
        let config = MlpConfig { input, hidden: hidden.to_vec(), head, init: Init::GlorotUniform };
        let trainer = crate::bench::adam_trainer(device, config, batch)?;
        Ok(Warmer { trainer, data, done: WarmUp { steps: 0, secs: 0.0 } })
    }

    /// Trains step after step (each loss read back) until `budget_s` seconds have passed on
    /// `now` (a clock in seconds, as `bench::now`) or `max_steps` are done in this slice.
    pub async fn run_for(&mut self, budget_s: f64, max_steps: u64, now: &dyn Fn() -> f64) -> Result<WarmUp> {
        let started = now();
        let mut steps = 0;
        while steps < max_steps && now() - started < budget_s {
            let out = self.trainer.step(&self.data)?;
            out.loss.item().await?;
            steps += 1;
        }
        let slice = WarmUp { steps, secs: now() - started };
        self.done = WarmUp { steps: self.done.steps + steps, secs: self.done.secs + slice.secs };
        Ok(slice)
    }
}

/// A whole warm-up in one go ([`Warmer`]): `input` features, `hidden` layers, at `batch`, for
/// `budget_s` seconds or `max_steps` steps.
pub async fn warm_up(
    device: &Device,
    input: usize,
    hidden: &[LayerConfig],
    batch: usize,
    budget_s: f64,
    max_steps: u64,
    now: &dyn Fn() -> f64,
) -> Result<WarmUp> {
    Warmer::new(device, input, hidden, batch)?.run_for(budget_s, max_steps, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ActivationName;
    use crate::loss::Loss;
    use crate::model::Mlp;
    use crate::optim::{Optimizer, OptimizerConfig};
    use crate::schedule::Schedule;
    use crate::train::TrainConfig;

    #[test]
    fn a_warm_up_trains_until_its_budget_or_step_limit_and_leaves_other_models_alone() {
        let device = webgrad_core::cpu();
        let hidden = [LayerConfig { width: 16, activation: ActivationName::Relu, dropout: 0.0 }];
        // a model trained before and after a warm-up gives the same bits
        let losses = || {
            let config = MlpConfig {
                input: 5,
                hidden: hidden.to_vec(),
                head: Head::Softmax { classes: 3 },
                init: Init::GlorotUniform,
            };
            let model = Mlp::new(&device, config, 7).unwrap();
            let adam = OptimizerConfig::Adam { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
            let mut t = Trainer::new(
                model,
                Optimizer::new(adam, Schedule::Constant),
                TrainConfig::new(4, 1, 3, Loss::CrossEntropy { label_smoothing: 0.0 }),
            )
            .unwrap();
            let targets = Targets::Classes {
                labels: vec![0, 1, 2, 0, 1, 2, 0, 1],
                classes: 3,
                names: vec!["a".into(), "b".into(), "c".into()],
            };
            let data =
                Dataset::new("t", (0..40).map(|i| (i as f32 * 0.37).sin()).collect(), 8, 5, targets, None).unwrap();
            (0..6)
                .map(|_| pollster::block_on(t.step(&data).unwrap().loss.item()).unwrap().to_bits())
                .collect::<Vec<_>>()
        };
        let before = losses();
        let clock = std::cell::Cell::new(0.0);
        let tick = || {
            clock.set(clock.get() + 1.0);
            clock.get()
        };
        // a clock that moves 1 s per reading: the budget ends it
        let by_time = pollster::block_on(warm_up(&device, 5, &hidden, 8, 10.0, 1000, &tick)).unwrap();
        assert!((4..=10).contains(&by_time.steps), "{by_time:?}");
        // the step limit ends it
        let by_steps = pollster::block_on(warm_up(&device, 5, &hidden, 8, f64::INFINITY, 7, &|| 0.0)).unwrap();
        assert_eq!(by_steps.steps, 7);
        assert_eq!(losses(), before);
    }
}
