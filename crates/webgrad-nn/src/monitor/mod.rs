//! Health monitors, per layer, computed on the model's device while it trains (the CLI's
//! `--monitor`; the page's worker can drive the same type):
//!
//! - **dead ReLU units**: the fraction of a ReLU layer's units whose output was 0 on every
//!   sample of the window (counted from the training step's own forward pass: every row of
//!   every step, before dropout);
//! - **saturated units**: the fraction of a tanh or sigmoid layer's units whose pre-activation
//!   was at least [`MonitorConfig::saturation`] (3) in size on every sample of the window. It is
//!   counted from the outputs: tanh |z| ≥ 3 ⇔ |tanh z| ≥ tanh 3 ≈ 0.995; sigmoid |z| ≥ 3 ⇔
//!   σ(z) ≤ σ(−3) ≈ 0.047 or σ(z) ≥ σ(3) ≈ 0.953 (each compared in f32, so exactly at |z| = 3
//!   the last bit of the activation's rounding decides);
//! - **gradient norm**: the L2 norm of each linear layer's weight and bias gradients together
//!   (of the loss with its L1/L2 penalties, before clipping), averaged over the sampled steps;
//! - **update ratio**: ‖Δθ‖ / ‖θ‖ for the same weights and bias, θ before the step and Δθ what
//!   the optimizer step changed, averaged over the sampled steps.
//!
//! A *window* runs from one [`Monitor::end_window`] to the next. Units are counted at every
//! step; gradients and updates are looked at on the *sampled* steps, the window's first and then
//! every [`MonitorConfig::every`]-th (each costs a few passes over the weights). Everything is
//! summed with tensor ops on the device
//! (CPU SIMD code or WGSL kernels) into a few small buffers; [`Monitor::read`] starts one read of
//! them all, which does not wait for the device, and [`PendingReading::wait`] gives a
//! [`Reading`]. [`Alerts`] turns readings into sentences, and [`Monitor::recover`] takes a run
//! whose loss turned non-finite back to the weights from before the step that broke it, naming the
//! first layer and operation that went non-finite.
//!
//! The monitor keeps a copy of the trainer's state (weights and optimizer state) on the device at
//! the start of each of the last [`KEPT`] windows: that memory, plus one copy of the weights at a
//! sampled step, is what monitoring costs in memory. A recovery replays the steps since the oldest copy,
//! which reproduces them bit for bit only while nothing but `Monitor::step` changed the trainer
//! since then: after editing weights, settings or the data, call [`Monitor::forget`].

mod activity;
mod alerts;
mod diagnose;

use std::collections::VecDeque;
use std::rc::Rc;

pub(crate) use activity::Activity;
use activity::Units;

pub use alerts::{Alert, AlertKind, Alerts, Cleared};
pub use diagnose::{Culprit, Divergence, GROWTH, Growth, NonFinite, grouped};
use serde::{Deserialize, Serialize};
use webgrad_core::backend::ReadFuture;
use webgrad_core::{Device, Tensor, no_grad};
use webgrad_data::Dataset;

use crate::config::ActivationName;
use crate::model::Mlp;
use crate::snapshot::Snapshot;
use crate::train::{StepOutput, Trainer};
use crate::{Error, Result};

/// How many window starts keep a copy of the trainer's state (see the module doc).
pub const KEPT: usize = 2;

/// Settings of a [`Monitor`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// look at the gradients and update of one step in this many (the first step of a window,
    /// then every `every`-th); at least 1. Each such step costs a few passes over the weights
    /// (about half a step of the MNIST MLP at batch 64 on the CPU) in some 90 small ops, hence
    /// the defaults of [`MonitorConfig::for_device`]. Units are counted at every step regardless.
    pub every: u32,
    /// the |pre-activation| at or beyond which a tanh or sigmoid unit counts as saturated
    pub saturation: f32,
}

/// The default [`MonitorConfig::every`] on the CPU: one step in 20, which keeps monitoring to a
/// few percent of a training step of the MNIST MLP at batch 64 (the `mnist_mlp_b64_monitor`
/// benchmark row measures it; one step in 10 measured 6–12 % on a loaded 2-core machine).
pub const DEFAULT_EVERY: u32 = 20;

/// The default [`MonitorConfig::every`] on a GPU (any wgpu adapter), where each of a sampled
/// step's small ops is a dispatch of its own: one step in 50 (lavapipe: 5–8 %; one in 20,
/// 6–12 %).
pub const DEFAULT_EVERY_GPU: u32 = 50;

/// The default [`MonitorConfig::saturation`].
pub const SATURATION: f32 = 3.0;

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig { every: DEFAULT_EVERY, saturation: SATURATION }
    }
}

impl MonitorConfig {
    /// The defaults for a model on `device`: [`DEFAULT_EVERY_GPU`] on a device with buffer
    /// limits of its own (a GPU adapter), else [`DEFAULT_EVERY`] (the CPU).
    pub fn for_device(device: &Device) -> MonitorConfig {
        let every = if device.max_buffer_bytes().is_some() { DEFAULT_EVERY_GPU } else { DEFAULT_EVERY };
        MonitorConfig { every, ..MonitorConfig::default() }
    }
}

/// The sums of one window, on the device.
struct Window {
    /// completed optimizer steps when the window began (its first step is `start + 1`)
    start: u64,
    /// steps made in the window, and at how many of them gradients and updates were looked at
    steps: u64,
    sampled: u64,
    /// rows of the window's steps
    samples: usize,
    /// per linear layer: [1] Σ gradient norms and [1] Σ update ratios of the sampled steps
    grad: Vec<Option<Tensor>>,
    ratio: Vec<Option<Tensor>>,
}

/// Health monitors for one trainer (see the module doc).
pub struct Monitor {
    config: MonitorConfig,
    device: Device,
    /// per hidden layer: its activation and what is counted
    units: Vec<(ActivationName, Option<Units>)>,
    /// per linear layer: (in, out)
    shapes: Vec<(usize, usize)>,
    window: Option<Window>,
    /// the trainer's state at the start of the last `KEPT` windows, oldest first
    kept: VecDeque<Snapshot>,
    /// the unit sums the trainer's steps add to (`activity.rs`), once handed to a trainer
    activity: Option<Rc<Activity>>,
}

/// The sum of squares of `t`'s elements → []. A matrix [rows, cols] is summed over its rows
/// first, into [cols]: a vectorised loop on the CPU and one thread per column on the GPU, where a
/// single sum over all elements would be one long serial chain.
fn sum_sq(t: &Tensor) -> Tensor {
    let sq = t.mul(t);
    if sq.rank() == 2 { sq.sum_axis(0, false).sum() } else { sq.sum() }
}

/// `acc + x`, or `x` when there is no sum yet.
fn add_to(acc: &mut Option<Tensor>, x: Tensor) {
    *acc = Some(match acc.take() {
        Some(a) => a.add(&x),
        None => x,
    });
}

impl Monitor {
    /// A monitor for trainers of `model`'s shape on its device. Errors on `every` = 0 or a
    /// saturation threshold that is not a positive number.
    pub fn new(model: &Mlp, config: MonitorConfig) -> Result<Monitor> {
        if config.every == 0 {
            return Err(Error::Config("the monitor must look at one step in at least 1".into()));
        }
        if !(config.saturation.is_finite() && config.saturation > 0.0) {
            return Err(Error::Config(format!("saturation threshold {} must be a positive number", config.saturation)));
        }
        let device = model.device().clone();
        let units: Vec<_> =
            model.config.hidden.iter().map(|h| (h.activation, Units::of(h.activation, config.saturation))).collect();
        let shapes = model.config.linear_shapes();
        Ok(Monitor { config, device, units, shapes, window: None, kept: VecDeque::new(), activity: None })
    }

    pub fn config(&self) -> MonitorConfig {
        self.config
    }

    /// Steps made in the current window (0 when the next step starts a new one).
    pub fn steps_in_window(&self) -> u64 {
        self.window.as_ref().map_or(0, |w| w.steps)
    }

    /// Ends the window: the next step starts a new one, with new sums and a new copy of the
    /// trainer's state. Read the window first if its figures are wanted.
    pub fn end_window(&mut self) {
        self.window = None;
    }

    /// The trainer was changed outside [`Monitor::step`] (a weight or setting edited, rows
    /// added to the data): the kept states could not replay to where it is now, so they are
    /// dropped, and the next step starts a new window (and keeps a new state). Until then
    /// [`Monitor::recover`] has nothing to go back to.
    pub fn forget(&mut self) {
        self.kept.clear();
        self.window = None;
    }

    /// Stops `t`'s steps from counting units for this monitor (they count from the first
    /// `Monitor::step` on, in the step itself): what to call when monitoring is turned off.
    pub fn stop(&mut self, t: &mut Trainer) {
        if t.activity().is_some_and(|a| self.activity.as_ref().is_some_and(|m| Rc::ptr_eq(a, m))) {
            t.set_activity(None);
        }
        self.activity = None;
        self.window = None;
    }

    /// Makes `t`'s steps add their units' terms into this monitor's sums, with room for the
    /// batches of `data` (a new window begins when the sums are new).
    fn hand_sums_to(&mut self, t: &mut Trainer, data: &Dataset) -> Result<()> {
        let rows = t.config.batch_size.min(data.n).max(1);
        let ours = t.activity().is_some_and(|a| self.activity.as_ref().is_some_and(|m| Rc::ptr_eq(a, m)));
        let activity = match &self.activity {
            Some(a) if ours && a.rows() >= rows => return Ok(()),
            Some(a) if ours => a.grown(rows)?,
            _ => {
                self.window = None;
                let units: Vec<_> = self.units.iter().map(|u| u.1).collect();
                let widths: Vec<_> = self.shapes.iter().map(|s| s.1).collect();
                Activity::new(&self.device, &units, &widths, rows)?
            }
        };
        let activity = Rc::new(activity);
        t.set_activity(Some(activity.clone()));
        self.activity = Some(activity);
        Ok(())
    }

    /// Errors unless `t` trains a model of the shape this monitor was made for, on its device.
    /// Runs at every step, so it allocates nothing: `shapes` chain (each layer's input is the
    /// last one's output), so the first input and every output width decide them.
    fn check(&self, t: &Trainer) -> Result<()> {
        let (m, c) = (&t.model, &t.model.config);
        let outputs = c.hidden.iter().map(|h| h.width).chain([c.head.outputs()]);
        let fits = Rc::ptr_eq(&self.device, m.device())
            && self.shapes.first().map(|s| s.0) == Some(c.input)
            && self.shapes.iter().map(|s| s.1).eq(outputs)
            && c.hidden.iter().zip(&self.units).all(|(h, (a, _))| h.activation == *a);
        if fits { Ok(()) } else { Err(Error::Config("the monitor was made for another model or device".into())) }
    }

    /// One `Trainer::step`, monitored: at the first step of a window the trainer's state is
    /// copied on the device and the unit sums zeroed; the step itself adds its hidden outputs
    /// into those (`activity.rs`); at a step whose gradients and update are looked at (the
    /// window's first, then every `every`-th) the weights are copied before the step, and after
    /// it the gradient norms and update ratios are added. Nothing is read back.
    pub fn step(&mut self, t: &mut Trainer, data: &Dataset) -> Result<StepOutput> {
        self.check(t)?;
        self.hand_sums_to(t, data)?;
        if self.window.is_none() {
            if let Some(a) = &self.activity {
                a.zero();
            }
            self.kept.push_back(t.snapshot());
            while self.kept.len() > KEPT {
                self.kept.pop_front();
            }
            let n = self.shapes.len();
            self.window = Some(Window {
                start: t.optimizer.step,
                steps: 0,
                sampled: 0,
                samples: 0,
                grad: vec![None; n],
                ratio: vec![None; n],
            });
        }
        let w = self.window.as_ref().expect("set above");
        let sampled = w.steps.is_multiple_of(u64::from(self.config.every));
        // the weights before the step: [out, in] and [out] per linear layer
        let before: Option<Vec<(Tensor, Tensor)>> = sampled.then(|| {
            let copy = |p: &Tensor| Tensor::concat(&[p], 0);
            no_grad(|| t.model.layers.iter().map(|l| (copy(&l.weight), copy(&l.bias))).collect())
        });
        let out = t.step(data)?;
        let w = self.window.as_mut().expect("set above");
        w.steps += 1;
        w.samples += out.samples;
        if let Some(before) = before {
            w.sampled += 1;
            no_grad(|| Self::add_update(w, t, &before));
        }
        Ok(out)
    }

    /// Adds the last step's gradient norm and update ratio per linear layer into the window's
    /// sums (`before`: each layer's weight and bias before the step).
    fn add_update(w: &mut Window, t: &Trainer, before: &[(Tensor, Tensor)]) {
        let grads = t.last_grads();
        for (l, (layer, (w0, b0))) in t.model.layers.iter().zip(before).enumerate() {
            // ‖g‖² over the weight's and the bias's gradients (a missing one counts as zeros)
            let g_sq = [grads.get(2 * l), grads.get(2 * l + 1)]
                .into_iter()
                .flatten()
                .flatten()
                .map(sum_sq)
                .reduce(|a, b| a.add(&b))
                .unwrap_or_else(|| Tensor::zeros(w0.device(), &[]));
            add_to(&mut w.grad[l], g_sq.sqrt().reshape(&[1]));
            let d_sq = sum_sq(&layer.weight.sub(w0)).add(&sum_sq(&layer.bias.sub(b0)));
            // + 1e-30 keeps an all-zero layer's ratio 0 instead of 0 / 0 (and changes nothing
            // else: it is below half an ulp of any sum of squares ≥ 1e-22)
            let w_sq = sum_sq(w0).add(&sum_sq(b0)).add_scalar(1e-30);
            add_to(&mut w.ratio[l], d_sq.sqrt().div(&w_sq.sqrt()).reshape(&[1]));
        }
    }

    /// Starts reading the current window's figures (its steps so far), without waiting for the
    /// device and without ending the window; `None` before the window's first step.
    pub fn read(&self) -> Option<PendingReading> {
        let w = self.window.as_ref().filter(|w| w.sampled > 0)?;
        // [dead or saturated units per counted layer…, Σ grad norm per layer…, Σ ratio per layer…]
        let all = no_grad(|| {
            let mut parts: Vec<Tensor> = self.activity.as_ref().map_or_else(Vec::new, |a| a.zero_units());
            parts.extend(w.grad.iter().chain(&w.ratio).map(|s| s.clone().expect("every layer has a sum")));
            Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)
        });
        Some(PendingReading {
            read: self.device.take(all.buffer(), all.numel()),
            counted: self.activity.as_ref().map_or_else(|| vec![false; self.units.len()], |a| a.counted()),
            activations: self.units.iter().map(|u| u.0).collect(),
            widths: self.shapes.iter().map(|s| s.1).collect(),
            first_step: w.start + 1,
            last_step: w.start + w.steps,
            sampled_steps: w.sampled,
            samples: w.samples,
        })
    }
}

/// A started [`Monitor::read`].
pub struct PendingReading {
    read: ReadFuture<'static, Vec<f32>>,
    /// per hidden layer: whether its units were counted
    counted: Vec<bool>,
    activations: Vec<ActivationName>,
    /// per linear layer: its output width
    widths: Vec<usize>,
    first_step: u64,
    last_step: u64,
    sampled_steps: u64,
    samples: usize,
}

impl PendingReading {
    /// Waits for the figures.
    pub async fn wait(self) -> Result<Reading> {
        let values = self.read.await?;
        let n = self.widths.len();
        let counted = self.counted.iter().filter(|&&c| c).count();
        if values.len() != counted + 2 * n {
            return Err(Error::Format(format!(
                "a monitor reading of {} values, not {}",
                values.len(),
                counted + 2 * n
            )));
        }
        let steps = self.sampled_steps.max(1) as f64;
        let (mut next_count, mut layers) = (0, Vec::with_capacity(n));
        for l in 0..n {
            let act = self.activations.get(l).copied();
            let fraction = if self.counted.get(l) == Some(&true) {
                next_count += 1;
                Some(f64::from(values[next_count - 1]) / self.widths[l].max(1) as f64)
            } else {
                None
            };
            let saturating = matches!(act, Some(ActivationName::Tanh | ActivationName::Sigmoid));
            layers.push(LayerReading {
                activation: act,
                dead_fraction: fraction.filter(|_| act == Some(ActivationName::Relu)),
                saturated_fraction: fraction.filter(|_| saturating),
                grad_norm: f64::from(values[counted + l]) / steps,
                update_ratio: f64::from(values[counted + n + l]) / steps,
            });
        }
        Ok(Reading {
            first_step: self.first_step,
            last_step: self.last_step,
            sampled_steps: self.sampled_steps,
            samples: self.samples,
            layers,
        })
    }
}

/// The figures of one window (see the module doc).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// the window's first and last step (1-based optimizer step numbers)
    pub first_step: u64,
    pub last_step: u64,
    /// at how many of its steps gradients and updates were looked at
    pub sampled_steps: u64,
    /// the rows of all its steps (each unit was counted on every one)
    pub samples: usize,
    /// one per linear layer: the hidden layers first, the output layer last
    pub layers: Vec<LayerReading>,
}

/// One linear layer's figures in a [`Reading`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerReading {
    /// the hidden layer's activation; `None` for the output layer
    pub activation: Option<ActivationName>,
    /// ReLU layers: the fraction of units whose output was 0 on every sample of the window
    pub dead_fraction: Option<f64>,
    /// tanh and sigmoid layers: the fraction of units saturated on every sample of the window
    pub saturated_fraction: Option<f64>,
    /// the mean over the sampled steps of ‖(∂L/∂W, ∂L/∂b)‖₂
    pub grad_norm: f64,
    /// the mean over the sampled steps of ‖Δ(W, b)‖₂ / ‖(W, b)‖₂
    pub update_ratio: f64,
}

impl Reading {
    /// The hidden layers' figures (all but the output layer's).
    pub fn hidden(&self) -> &[LayerReading] {
        &self.layers[..self.layers.len().saturating_sub(1)]
    }

    /// False when a gradient norm or update ratio is NaN or infinite: training diverged
    /// during the window (see [`Monitor::recover`]).
    pub fn is_finite(&self) -> bool {
        self.layers.iter().all(|l| l.grad_norm.is_finite() && l.update_ratio.is_finite())
    }
}
