//! The training loop shared by the CLI and the web worker: one `step` = gather a batch, forward,
//! loss (+ penalties), backward, one fused optimizer update, and the step's loss × rows added
//! into a sum on the device. Nothing is read back here: the caller reads the mean loss of the
//! last k steps with `take_loss` every k steps, which starts the read and does not wait for it.
//!
//! All randomness after initialisation is counter-based: the batch order of epoch e is the
//! permutation drawn from `Rng::with_stream(seed, e)`, and the dropout mask of step t is
//! `hash(seed, t)`. So (seed, cursor, optimizer state, weights) is the complete training state,
//! and a checkpoint of it resumes bit for bit.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use webgrad_core::backend::{ReadFuture, StepHyper};
use webgrad_core::{Tensor, no_grad, rng};
use webgrad_data::{Batcher, Cursor, Dataset, Standardizer, Targets};

use crate::config::{Head, MlpConfig};
use crate::loss::{self, Loss};
use crate::metrics::{self, ClassificationReport, RegressionReport};
use crate::model::Mlp;
use crate::monitor::Activity;
use crate::optim::Optimizer;
use crate::plan::{Plans, Recorded};
use crate::resident::Resident;
use crate::{Error, Result};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
    #[serde(default = "default_true")]
    pub shuffle: bool,
    pub loss: Loss,
    /// coefficient of Σ|w| added to the loss (weights only, not biases)
    #[serde(default)]
    pub l1: f32,
    /// coefficient of Σw² added to the loss (weights only); see also the optimizer's weight decay
    #[serde(default)]
    pub l2: f32,
    /// stop after this many evaluations without improvement of the test loss
    #[serde(default)]
    pub early_stopping_patience: Option<u32>,
}

impl TrainConfig {
    /// Shuffled batches, no L1/L2 penalty, no early stopping.
    pub fn new(batch_size: usize, epochs: usize, seed: u64, loss: Loss) -> TrainConfig {
        TrainConfig { batch_size, epochs, seed, shuffle: true, loss, l1: 0.0, l2: 0.0, early_stopping_patience: None }
    }
}

fn default_true() -> bool {
    true
}

/// What one step did. `loss` stays on the device until someone reads it. On a device that
/// replays recorded steps (the CPU and the GPU) the next step rewrites the same loss buffer: read
/// it, or copy it with a tensor op, before stepping again — or read the mean of many steps
/// with [`Trainer::take_loss`], which needs neither.
pub struct StepOutput {
    pub loss: Tensor,
    pub samples: usize,
    pub epoch_finished: bool,
}

/// The mean data loss (and, for classification, the accuracy) of the steps between two
/// [`Trainer::take_loss`] calls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossSummary {
    /// Σ (step loss × step rows) / Σ rows; NaN or infinite when training diverged
    pub mean: f64,
    /// the fraction of those rows the model classified correctly as it stepped on them (before
    /// each step's update; see `loss::hits`); `None` for regression
    pub accuracy: Option<f64>,
    pub steps: u64,
    pub samples: usize,
    /// the optimizer step count after the last of these steps
    pub last_step: u64,
}

/// The running mean of [`LossSummary`]s, each weighted by its rows: an epoch's train loss and
/// accuracy, from the reads made during it (the CLI and the web worker both keep one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LossTally {
    /// Σ mean × rows of the summaries added
    sum: f64,
    samples: usize,
    /// Σ accuracy × rows, when the summaries had an accuracy (classification)
    hits: Option<f64>,
}

impl LossTally {
    pub fn add(&mut self, s: &LossSummary) {
        self.sum += s.mean * s.samples as f64;
        self.samples += s.samples;
        if let Some(acc) = s.accuracy {
            *self.hits.get_or_insert(0.0) += acc * s.samples as f64;
        }
    }

    /// The mean loss over the rows added (0 when none were).
    pub fn mean(&self) -> f64 {
        self.sum / self.samples.max(1) as f64
    }

    /// The fraction of the rows added that were classified correctly; `None` for regression.
    pub fn accuracy(&self) -> Option<f64> {
        self.hits.map(|h| h / self.samples.max(1) as f64)
    }

    /// The rows added.
    pub fn samples(&self) -> usize {
        self.samples
    }
}

/// A started read of the loss sum (see [`Trainer::take_loss`]).
pub struct PendingLoss {
    read: Option<ReadFuture<'static, Vec<f32>>>,
    hits: Option<ReadFuture<'static, Vec<f32>>>,
    steps: u64,
    samples: usize,
    last_step: u64,
}

impl PendingLoss {
    /// Waits for the sum; `None` when no step was made since the previous `take_loss`.
    pub async fn wait(self) -> Result<Option<LossSummary>> {
        let Some(read) = self.read else { return Ok(None) };
        let sum = read.await?.first().copied().unwrap_or(f32::NAN);
        let (steps, samples, last_step) = (self.steps, self.samples, self.last_step);
        let accuracy = match self.hits {
            Some(hits) => Some(f64::from(hits.await?.first().copied().unwrap_or(f32::NAN)) / samples.max(1) as f64),
            None => None,
        };
        Ok(Some(LossSummary { mean: f64::from(sum) / samples.max(1) as f64, accuracy, steps, samples, last_step }))
    }
}

pub struct Trainer {
    pub model: Mlp,
    pub optimizer: Optimizer,
    pub config: TrainConfig,
    pub cursor: Cursor,
    batcher: Option<Batcher>,
    /// the batch's rows in the data set (host data), and their features ([rows, d]) where a
    /// step goes op by op (a replayed step copies the rows straight into its input buffer)
    rows: Vec<u32>,
    x: Vec<f32>,
    labels: Vec<u32>,
    values: Vec<f32>,
    /// recorded steps to replay (see `plan.rs`), when `planning`
    plans: Plans,
    planning: bool,
    /// [1] Σ (data loss × batch rows) and [1] Σ correctly classified rows (`loss::hits`) of the
    /// steps since the last `take_loss`, on the model's device (made again if the model moves to
    /// another device); every step adds to them.
    loss_sum: Option<(Tensor, Tensor)>,
    /// steps and rows added into `loss_sum` since the last `take_loss`
    unread: (u64, usize),
    /// the training set on the model's device, when batches are picked there (`resident.rs`)
    resident: Option<Resident>,
    /// `set_resident_data`: `None` lets the device decide
    resident_choice: Option<bool>,
    /// the last step's hidden outputs and gradients (see `last_hidden`, `last_grads`)
    last_hidden: Vec<Tensor>,
    last_grads: Vec<Option<Tensor>>,
    /// unit sums the health monitor gave, which every step adds its hidden outputs to
    activity: Option<Rc<Activity>>,
}

/// Checks that a dataset fits a model: feature count, and targets that match the head.
pub fn check_fit(model: &Mlp, data: &Dataset) -> Result<()> {
    check_config_fits(&model.config, data)
}

/// [`check_fit`] before the model is built (a checkpoint's description against the data it
/// is about to train on).
pub fn check_config_fits(cfg: &MlpConfig, data: &Dataset) -> Result<()> {
    if data.d != cfg.input {
        return Err(Error::Config(format!(
            "{}: {} features per row, but the model takes {}",
            data.name, data.d, cfg.input
        )));
    }
    match (&cfg.head, &data.targets) {
        (Head::Softmax { classes }, Targets::Classes { classes: c, .. }) if c <= classes => Ok(()),
        (Head::Sigmoid, Targets::Classes { classes: c, .. }) if *c <= 2 => Ok(()),
        (Head::Linear { outputs }, Targets::Regression { outputs: o, .. }) if o == outputs => Ok(()),
        (head, Targets::Classes { classes, .. }) => {
            Err(Error::Config(format!("{}: {classes} classes do not fit the model head {head:?}", data.name)))
        }
        (head, Targets::Regression { outputs, .. }) => Err(Error::Config(format!(
            "{}: {outputs} regression targets do not fit the model head {head:?}",
            data.name
        ))),
    }
}

impl Trainer {
    pub fn new(model: Mlp, optimizer: Optimizer, config: TrainConfig) -> Result<Trainer> {
        if config.batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        optimizer.config.validate().map_err(Error::Config)?;
        optimizer.schedule.validate().map_err(Error::Config)?;
        config.loss.check(&model.config.head).map_err(Error::Config)?;
        for (name, value) in [("L1", config.l1), ("L2", config.l2)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::Config(format!("{name} penalty {value} must be a number ≥ 0")));
            }
        }
        if let Some(c) = optimizer.clip_grad_norm.filter(|c| !(c.is_finite() && *c > 0.0)) {
            return Err(Error::Config(format!("gradient clipping norm {c} must be a positive number")));
        }
        Ok(Trainer {
            model,
            optimizer,
            config,
            cursor: Cursor::default(),
            batcher: None,
            rows: Vec::new(),
            x: Vec::new(),
            labels: Vec::new(),
            values: Vec::new(),
            plans: Plans::default(),
            planning: true,
            loss_sum: None,
            unread: (0, 0),
            resident: None,
            resident_choice: None,
            last_hidden: Vec::new(),
            last_grads: Vec::new(),
            activity: None,
        })
    }

    /// The unit sums each step adds to (see `monitor/activity.rs`), or none. Recorded plans are
    /// dropped, so the next step records with (or without) them.
    pub(crate) fn set_activity(&mut self, activity: Option<Rc<Activity>>) {
        self.activity = activity;
        self.plans = Plans::default();
    }

    pub(crate) fn activity(&self) -> Option<&Rc<Activity>> {
        self.activity.as_ref()
    }

    /// Each hidden layer's output in the last step, after its activation and before dropout:
    /// `[rows, width_l]` per hidden layer, computed with the weights from before that step.
    /// Empty before the first step. The next step rewrites these buffers (a replayed plan) or
    /// makes new ones: use them before stepping again.
    pub fn last_hidden(&self) -> &[Tensor] {
        &self.last_hidden
    }

    /// The gradient of the last step's loss (with its L1/L2 penalties, before clipping) for
    /// each parameter, in `Mlp::parameters` order (`None` where none reached it). Like
    /// [`Trainer::last_hidden`], valid until the next step.
    pub fn last_grads(&self) -> &[Option<Tensor>] {
        &self.last_grads
    }

    /// The dropout seed of the next step (a pure function of the seed and the step count).
    pub(crate) fn next_dropout_seed(&self) -> u32 {
        rng::hash_u32((self.config.seed as u32) ^ rng::hash_u32(self.optimizer.step as u32))
    }

    /// Forgets the steps summed for `take_loss` (after the state was rolled back).
    pub(crate) fn reset_loss_sum(&mut self) {
        if let Some((sum, hits)) = &self.loss_sum {
            sum.device().write(sum.buffer(), &[0.0]);
            hits.device().write(hits.buffer(), &[0.0]);
        }
        self.unread = (0, 0);
    }

    /// The rows the next step will train on, gathered from `data` on the host into `x`
    /// ([rows, d]), `labels` and `values` (as `Dataset::gather_batch`); returns the row count.
    pub(crate) fn gather_next(
        &mut self,
        data: &Dataset,
        x: &mut Vec<f32>,
        labels: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) -> Result<usize> {
        let cfg = &self.config;
        if self.batcher.as_ref().is_none_or(|b| b.n() != data.n) {
            self.batcher = Some(Batcher::new(data.n, cfg.batch_size, cfg.shuffle, false, cfg.seed)?);
        }
        let batcher = self.batcher.as_mut().expect("set above");
        let indices = batcher.batch(self.cursor).ok_or_else(|| {
            Error::Config(format!("cursor {:?} is past the end of an epoch of {}", self.cursor, data.name))
        })?;
        data.gather_batch(indices, x, labels, values);
        Ok(indices.len())
    }

    /// Starts reading the mean loss of the steps since the last call, and restarts the sum at
    /// zero. Returns at once; the read is ordered after those steps, and steps made before the
    /// result is awaited run meanwhile (on the GPU nothing waits for the CPU).
    pub fn take_loss(&mut self) -> PendingLoss {
        let (steps, samples) = std::mem::take(&mut self.unread);
        let (mut read, mut hits) = (None, None);
        if let Some((sum, hit_sum)) = self.loss_sum.as_ref().filter(|_| steps > 0) {
            read = Some(sum.device().take(sum.buffer(), 1));
            let classifies = matches!(self.config.loss, Loss::CrossEntropy { .. } | Loss::BceWithLogits);
            hits = classifies.then(|| hit_sum.device().take(hit_sum.buffer(), 1));
        }
        PendingLoss { read, hits, steps, samples, last_step: self.optimizer.step }
    }

    /// The loss-sum and hit-sum buffers on the model's device (new ones when the model changed
    /// device).
    fn loss_sum(&mut self) -> (Tensor, Tensor) {
        let device = self.model.device();
        match &self.loss_sum {
            Some(sums) if Rc::ptr_eq(sums.0.device(), device) => sums.clone(),
            _ => {
                let sums = (Tensor::zeros(device, &[1]), Tensor::zeros(device, &[1]));
                self.loss_sum = Some(sums.clone());
                self.unread = (0, 0);
                sums
            }
        }
    }

    /// Whether steps are recorded and replayed on devices that can (on by default). Off, every
    /// step runs op by op, which computes the same bits, only slower.
    pub fn set_planning(&mut self, on: bool) {
        self.planning = on;
        self.plans = Plans::default();
    }

    /// Whether the training set is uploaded to the model's device once and each batch picked
    /// there (`Some(true)`), copied from host memory each step (`Some(false)`), or — `None`, the
    /// default — on the device when it asks for it (a GPU, `Backend::resident_table_limit`)
    /// and the set fits in one of its buffers. Both give the same bits.
    /// Calling it also drops an uploaded copy, so the next step uploads the set again: do so
    /// after changing a dataset's values in place (a new or reallocated dataset is noticed).
    pub fn set_resident_data(&mut self, choice: Option<bool>) {
        self.resident_choice = choice;
        self.resident = None;
        self.plans = Plans::default();
    }

    /// Whether the last step picked its batch from the training set on the device.
    pub fn data_is_resident(&self) -> bool {
        self.resident.is_some()
    }

    /// Makes `resident` hold `data` when it should (see `set_resident_data`), uploading it if
    /// it does not yet; plans recorded on another upload, or on host batches, are dropped.
    /// Returns whether batches come from the device.
    fn prepare_resident(&mut self, data: &Dataset) -> Result<bool> {
        let device = self.model.device().clone();
        let loss = self.config.loss;
        let wanted = match (self.resident_choice, Resident::fits_device(&device, data)) {
            (Some(false), _) => false,
            (Some(true), Some(false)) => {
                return Err(Error::Config(format!(
                    "{}: {} values do not fit in one buffer of {} (keep the data on the host)",
                    data.name,
                    data.features.len(),
                    device.name()
                )));
            }
            (Some(true), _) => true,
            (None, fits) => fits == Some(true),
        };
        let wanted = wanted && device.recorder().is_some();
        if !wanted {
            if self.resident.take().is_some() {
                self.plans = Plans::default();
            }
            return Ok(false);
        }
        if self.resident.as_ref().is_some_and(|r| r.holds(&device, data, loss)) {
            return Ok(true);
        }
        self.plans = Plans::default();
        self.resident = None;
        self.resident = Some(Resident::upload(&device, data, loss)?);
        Ok(true)
    }

    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.config.batch_size)
    }

    /// One optimizer step on the next batch of `data` (which must stay the same dataset
    /// between steps; `check_fit` it first).
    pub fn step(&mut self, data: &Dataset) -> Result<StepOutput> {
        let cfg = &self.config;
        if data.n == 0 {
            return Err(Error::Config(format!("{}: no rows to train on", data.name)));
        }
        if self.batcher.as_ref().is_none_or(|b| b.n() != data.n) {
            self.batcher = Some(Batcher::new(data.n, cfg.batch_size, cfg.shuffle, false, cfg.seed)?);
        }
        let resident = self.prepare_resident(data)?;
        let batcher = self.batcher.as_mut().expect("set above");
        let next = batcher.advance(self.cursor);
        let past_end =
            || Error::Config(format!("cursor {:?} is past the end of an epoch of {}", self.cursor, data.name));
        let len = match self.resident.as_mut() {
            Some(r) => {
                let writer = self.model.device().recorder().expect("resident data only on devices that record");
                r.seek(batcher, self.cursor, writer).ok_or_else(past_end)?
            }
            None => {
                let indices = batcher.batch(self.cursor).ok_or_else(past_end)?;
                self.rows.clear();
                self.rows.extend_from_slice(indices);
                data.gather_targets(indices, &mut self.labels, &mut self.values);
                if self.config.loss == Loss::BceWithLogits {
                    // 0/1 targets as floats, in the values buffer a classification batch leaves empty
                    self.values.clear();
                    self.values.extend(self.labels.iter().map(|&l| l as f32));
                }
                indices.len()
            }
        };
        let epoch_finished = next.epoch != self.cursor.epoch;
        let dropout_seed = self.next_dropout_seed();
        let loss_sum = self.loss_sum();
        let loss = match self.plans.find(len, data.d, &self.config, &self.model, &self.optimizer) {
            Some(planned) => {
                let device = self.model.device();
                let recorder = device.recorder().expect("plans exist only on devices that record");
                // a resident batch is gathered by the plan itself, at the offset `seek` wrote
                if !resident {
                    device.write_rows(planned.x.buffer(), &data.features, data.d, &self.rows, &mut self.x);
                    match self.config.loss {
                        Loss::CrossEntropy { .. } => recorder.write_u32(planned.targets.buffer(), &self.labels),
                        _ => device.write(planned.targets.buffer(), &self.values),
                    }
                }
                let hyper = StepHyper { lr: self.optimizer.current_lr(), step: self.optimizer.step + 1 };
                planned.plan.replay(hyper, dropout_seed);
                self.optimizer.step += 1;
                // the same buffers, rewritten by the replay (clone_from: no allocation)
                self.last_hidden.clone_from(&planned.hidden);
                self.last_grads.clone_from(&planned.grads);
                planned.loss.clone()
            }
            None => {
                if !resident {
                    data.gather_rows(&self.rows, &mut self.x);
                }
                self.step_op_by_op(len, data.d, dropout_seed, &loss_sum)?
            }
        };
        self.unread.0 += 1;
        self.unread.1 += len;
        self.cursor = next;
        Ok(StepOutput { loss, samples: len, epoch_finished })
    }

    /// The step through the tensor API (forward, backward, optimizer), recorded as a plan for the
    /// next steps of the same shape when the device can record (with the loss accumulation into
    /// `loss_sum`, which a replay redoes). Returns the detached data loss.
    ///
    /// Never inlined into `step`: it runs once per shape, and V8 compiles wasm functions whole.
    /// Inlined, it made `step` a 27 KB function whose optimised code V8 dropped whenever a new
    /// trainer's first step met a call it had not seen (a "wrong call target" deopt) and then
    /// recompiled on another core: with two threads training, that stalled one (measured: one
    /// MNIST b64 epoch in the browser at 97k–102k samples/s among epochs at 155k–175k).
    #[inline(never)]
    fn step_op_by_op(&mut self, len: usize, d: usize, dropout_seed: u32, sums: &(Tensor, Tensor)) -> Result<Tensor> {
        let device = self.model.device().clone();
        let recorder = device.recorder().filter(|_| self.planning);
        if let Some(r) = recorder {
            r.start_recording(dropout_seed);
        }
        let ran = self.forward_backward_update(len, d, dropout_seed, &sums.1);
        if let Ok((_, _, loss)) = &ran {
            device.accumulate(sums.0.buffer(), loss.buffer(), 1, len as f32);
        }
        let plan = recorder.and_then(|r| r.finish_recording());
        let (x, targets, loss) = ran?;
        if let Some(plan) = plan {
            let state = Recorded { len, d, config: &self.config, model: &self.model, opt: &self.optimizer };
            let kept = (self.last_hidden.clone(), self.last_grads.clone());
            self.plans.insert(plan, (x, targets, loss.clone()), kept, state);
        }
        Ok(loss)
    }

    /// Returns the input and target tensors it made and the detached data loss; when
    /// classifying, adds the rows classified correctly (before the update) into `hit_sum`.
    fn forward_backward_update(
        &mut self,
        len: usize,
        d: usize,
        dropout_seed: u32,
        hit_sum: &Tensor,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let cfg = &self.config;
        let device = self.model.device().clone();
        let (x, gathered) = match &self.resident {
            Some(r) => {
                let (x, targets) = r.batch(len);
                (x, Some(targets))
            }
            None => (Tensor::from_slice(&device, &self.x, &[len, d])?, None),
        };
        let mut hidden = Vec::with_capacity(self.model.config.hidden.len());
        let out = self.model.forward_keeping(&x, true, dropout_seed, Some(&mut hidden));
        self.last_hidden = hidden;
        if let Some(activity) = &self.activity {
            // inside the recording: a replay adds again
            activity.add(&self.last_hidden);
        }
        let targets = match gathered {
            Some(targets) => targets,
            None => targets(&out, cfg.loss, &self.labels, &self.values)?,
        };
        let data_loss = loss_of(&out, cfg.loss, &targets);
        loss::add_hits(hit_sum, &out, cfg.loss, &targets);
        let weights = self.model.weights();
        let mut total = data_loss.clone();
        for p in [loss::l1_penalty(&weights, cfg.l1), loss::l2_penalty(&weights, cfg.l2)].into_iter().flatten() {
            total = total.add(&p);
        }
        self.model.zero_grad();
        total.backward();
        let params = self.model.parameters();
        self.last_grads = params.iter().map(|p| p.grad().map(|g| g.detach())).collect();
        self.optimizer.step(&params);
        Ok((x, targets, data_loss.detach()))
    }
}

/// The targets of a batch as a tensor: u32 labels for cross-entropy, else f32 values shaped like
/// the outputs (for BCE, `values` holds the 0/1 labels as floats).
fn targets(out: &Tensor, loss: Loss, labels: &[u32], values: &[f32]) -> Result<Tensor> {
    Ok(match loss {
        Loss::CrossEntropy { .. } => Tensor::labels(out.device(), labels),
        _ => Tensor::from_slice(out.device(), values, out.shape())?,
    })
}

fn loss_of(out: &Tensor, loss: Loss, targets: &Tensor) -> Tensor {
    match loss {
        Loss::CrossEntropy { label_smoothing } => loss::cross_entropy(out, targets, label_smoothing),
        Loss::BceWithLogits => loss::bce_with_logits(out, targets),
        Loss::Mse => loss::mse(out, targets),
        Loss::Huber { delta } => loss::huber(out, targets, delta),
    }
}

/// The data loss of model outputs against a batch's labels (classification) or values.
pub(crate) fn batch_loss(out: &Tensor, loss: Loss, labels: &[u32], values: &[f32]) -> Result<Tensor> {
    if loss == Loss::BceWithLogits {
        let t: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
        return Ok(loss_of(out, loss, &targets(out, loss, labels, &t)?));
    }
    Ok(loss_of(out, loss, &targets(out, loss, labels, values)?))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Report {
    Classification(ClassificationReport),
    Regression(RegressionReport),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// mean data loss over all rows, in the units the model trains on (for a model trained on
    /// standardised targets, against the standardised targets: comparable with its train loss)
    pub loss: f64,
    /// metrics of the predictions; a regression's MSE, MAE and R² in the targets' own units
    pub report: Report,
    /// model outputs [n, outputs] (logits for classification heads; for regression, the
    /// predictions in the targets' units, `z · std + mean` when the targets were standardised)
    pub outputs: Vec<f32>,
    /// predicted class per row (classification only)
    pub predicted: Vec<u32>,
}

/// Evaluates without dropout or gradients, in batches, reading back once per batch.
pub async fn evaluate(model: &Mlp, data: &Dataset, loss: Loss) -> Result<Evaluation> {
    evaluate_scaled(model, data, loss, None).await
}

/// [`evaluate`] for a model trained on standardised regression targets: `target` holds the
/// training split's per-output statistics (`None`: trained on the targets as they are), and
/// `data` holds its targets in their own units. Each batch's targets are standardised for the
/// loss, and the outputs are mapped back, `y = z · std + mean`, for `outputs` and the report.
/// Errors if `target` is given for class labels or does not have one mean and std per output.
pub async fn evaluate_scaled(
    model: &Mlp,
    data: &Dataset,
    loss: Loss,
    target: Option<&Standardizer>,
) -> Result<Evaluation> {
    check_fit(model, data)?;
    const BATCH: usize = 1024;
    let device = model.device().clone();
    let k = model.config.head.outputs();
    if let Some(s) = target {
        if !matches!(data.targets, Targets::Regression { .. }) {
            return Err(Error::Config(format!("{}: target standardisation is for regression targets", data.name)));
        }
        s.check(k, "the target standardizer").map_err(|e| Error::Config(format!("{}: {e}", data.name)))?;
    }
    let (mut x, mut labels, mut values) = (Vec::new(), Vec::new(), Vec::new());
    let capacity = data.n.checked_mul(k).ok_or_else(|| Error::Config(format!("{}: too many outputs", data.name)))?;
    // every row's outputs are kept: their bytes, not only their count, must fit
    let bytes = webgrad_core::budget::product(&[4, data.n as u64, k as u64]);
    webgrad_core::budget::check(&format!("{}: the outputs of {} rows", data.name, data.n), bytes, "")
        .and_then(|()| webgrad_core::budget::check_allocation(&format!("{}: the outputs", data.name), bytes))
        .map_err(Error::Config)?;
    let (mut outputs, mut loss_sum) = (Vec::with_capacity(capacity), 0.0f64);
    let indices: Vec<u32> = (0..data.n as u32).collect();
    for chunk in indices.chunks(BATCH) {
        data.gather_batch(chunk, &mut x, &mut labels, &mut values);
        if let Some(s) = target {
            // values: [len, k], the loss is taken against z = (y − mean) / std
            values.chunks_exact_mut(k).for_each(|row| s.apply_row(row));
        }
        let (out, l) = no_grad(|| -> Result<(Tensor, Tensor)> {
            let xt = Tensor::from_slice(&device, &x, &[chunk.len(), data.d])?;
            let out = model.forward(&xt, false, 0);
            let l = batch_loss(&out, loss, &labels, &values)?;
            Ok((out, l))
        })?;
        let mut out = out.to_vec().await?;
        if let Some(s) = target {
            s.invert_rows(&mut out);
        }
        outputs.extend(out);
        loss_sum += l.item().await? as f64 * chunk.len() as f64;
    }
    let (report, predicted) = match &data.targets {
        Targets::Classes { labels, names, .. } => {
            let predicted = match model.config.head {
                Head::Sigmoid => outputs.iter().map(|&z| u32::from(z > 0.0)).collect(),
                _ => metrics::argmax_rows(&outputs, k),
            };
            let mut names = names.clone();
            if let Head::Softmax { classes } = model.config.head {
                names.extend((names.len()..classes).map(|c| c.to_string()));
            }
            (Report::Classification(metrics::classification_report(&predicted, labels, &names)), predicted)
        }
        Targets::Regression { values, .. } => {
            (Report::Regression(metrics::regression_report(&outputs, values)), Vec::new())
        }
    };
    Ok(Evaluation { loss: loss_sum / data.n.max(1) as f64, report, outputs, predicted })
}
