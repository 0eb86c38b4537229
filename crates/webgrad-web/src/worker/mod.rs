//! The training worker: owns the data, the model and the device. One async loop drains the
//! message queue, then trains for a slice of time (~50 ms) and posts what happened (`slice_done`), so it can be
//! paused or re-tuned between any two slices. Losses are read with `Trainer::take_loss` on every
//! device: after each step on the CPU (where the read completes at once: `cpu_slice`, on a pool
//! thread where the worker has threads), once per slice on the GPU.
//! `data` loads, `model` builds, `views` computes what the page draws, `actions` answers requests
//! on the current model.

mod actions;
mod cpu_slice;
mod data;
mod fills;
#[cfg(test)]
mod grad_check_test;
mod health;
mod layout;
mod model;
mod slice_done;
mod views;
mod warm;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use webgrad_core::{Device, Tensor, no_grad};
use webgrad_data::{Dataset, ScalingKind, Targets, synthetic, train_test_split};
use webgrad_nn::{
    Head, Init, Loss, LossTally, Mlp, MlpConfig, ModelFile, Optimizer, OptimizerConfig, Preprocessing, TrainConfig,
    Trainer, evaluate, evaluate_scaled, io,
};

use crate::byte_source::ByteSource;
use crate::data_loader;
use crate::devices::Devices;
use crate::js::{now_ms, sleep, yield_to_events};
use crate::protocol::by_hand::{self, FileLoad};
use crate::protocol::*;
use crate::storage;

use cpu_slice::End;
use data::*;
use health::Health;
use model::*;
use views::*;

/// A slice of CPU training; the worker reads its messages between slices (so Pause waits at most
/// this long). Each slice posts its progress and the page draws a frame for it, and on a 2-core
/// computer that frame's work takes CPU from the training: the page's default MNIST setup trained
/// at about 50k samples/s in 12 ms slices, 62k in 50 ms ones (and 70k with the page hidden).
const SLICE_MS: f64 = 50.0;
/// How long the worker times its GEMM kernels before its first model (`cpu::calibrate`).
const CALIBRATION_MS: f64 = 40.0;
const FRAME_MS: f64 = 16.0;
/// Steps recorded on the GPU before the slice reads their loss (bounds the queued work).
const GPU_STEPS_PER_SLICE: usize = 8;
const BOUNDARY_SIZE: usize = 48;
/// Grid side of each hidden unit's picture (coarser than the boundary: many are sent at once).
const UNIT_MAP_SIZE: usize = 24;
const MNIST_FILES: [&str; 4] = webgrad_data::MNIST_FILES;
/// A race lane posts its weights after each epoch for models up to this many parameters.
const LANE_WEIGHTS: usize = 1 << 20;

/// What arrives from the page: a protocol message, or a file load (`protocol::by_hand`).
enum Inbox {
    Msg(Result<ToWorker, String>),
    Files(FileLoad),
}

type Queue = Rc<RefCell<VecDeque<Inbox>>>;

/// Set as soon as a CancelLoad arrives, while a load runs (the loader polls it between chunks);
/// cleared when the queued CancelLoad itself is handled, so a cancel that arrives when nothing
/// is loading stops nothing later.
type Cancel = Rc<Cell<bool>>;

fn progress_poster<'a>(name: &'a str, post: &'a Post) -> impl FnMut(webgrad_data::Progress, Option<u64>) + 'a {
    move |p, total| post(FromWorker::LoadProgress { name: name.to_string(), bytes: p.bytes, total, rows: p.rows })
}
struct TrainerState {
    device: Device,
    devices: Devices,
    experiment: Option<Experiment>,
    data: Option<Loaded>,
    trainer: Option<Trainer>,
    running: bool,
    /// the loss reads of this epoch (its train loss)
    epoch_loss: LossTally,
    /// The last test evaluation (for confusion-matrix drill-down).
    last_eval: Option<webgrad_nn::Evaluation>,
    /// While training on the GPU: a checkpoint of the trainer read back at the start and after
    /// every epoch, from which the CPU continues if the GPU fails.
    last_good: Option<Vec<u8>>,
    /// When the unit pictures, and the histograms and weight images, were last sent (ms).
    unit_maps_at: f64,
    histograms_at: f64,
    /// The health monitors of the current trainer (every step goes through them).
    health: Option<Health>,
    /// A race's lane (`ToWorker::RaceLane`): no checkpoints kept or posted.
    ephemeral: bool,
}

type Post = dyn Fn(FromWorker);

/// `Experiment::normalise` → what to fit ("none" and anything unknown: nothing).
impl TrainerState {
    /// Nothing loaded or built yet, on the CPU (a Reset picks the experiment's device).
    fn new(devices: Devices) -> TrainerState {
        TrainerState {
            device: devices.cpu(),
            devices,
            experiment: None,
            data: None,
            trainer: None,
            running: false,
            epoch_loss: LossTally::default(),
            last_eval: None,
            last_good: None,
            unit_maps_at: 0.0,
            histograms_at: 0.0,
            health: None,
            ephemeral: false,
        }
    }

    /// Builds a fresh trainer on `loaded` (new data) or on the data already here (`Ok(None)`);
    /// true when it did. On any error, what was loaded and trained before stays as it was.
    async fn handle_reset(&mut self, e: Experiment, loaded: Result<Option<Loaded>, String>, post: &Post) -> bool {
        let (mut loaded, is_new) = match loaded {
            Ok(Some(l)) => (l, true),
            Ok(None) => match self.data.take() {
                Some(l) => (l, false),
                None => return false,
            },
            Err(message) => {
                post(FromWorker::Error { message: format!("could not load the data: {message}") });
                return false;
            }
        };
        // a Reset's model is fitted on this data's own statistics, an imported model's given back
        let (previous_scalings, previous_fills) = (loaded.scalings(), loaded.fills());
        let _ = loaded.adopt_fills(None);
        if let Err(message) = loaded.normalise(Normalisation::of(&e)) {
            post(FromWorker::Error { message: format!("could not normalise the data: {message}") });
            let _ = loaded.adopt_fills(previous_fills.as_deref());
            if !is_new {
                self.data = Some(loaded);
            }
            return false;
        }
        let config = model_config(&e, &loaded.train);
        let (device, notice) = self.devices.pick(e.backend, config.parameter_count()).await;
        let (device, notice) = self.fit_device(device, notice, &config, e.batch);
        // the model kept if the build fails trains on the device it is on
        let previous_device = std::mem::replace(&mut self.device, device);
        post(FromWorker::Device { backend: self.device.name(), notice, buffer_limit: self.device.max_buffer_bytes() });
        match build_trainer(&self.device, &e, &loaded.train) {
            Ok(t) => {
                self.set_running(false, post);
                let diagram = diagram_weights(&t.model, true).await;
                self.model_ready(t, e, loaded, post, |_, _| diagram.into_iter().for_each(post)).await;
                true
            }
            Err(message) => {
                post(FromWorker::Error { message });
                if self.trainer.is_some() {
                    self.device = previous_device;
                    let (backend, buffer_limit) = (self.device.name(), self.device.max_buffer_bytes());
                    let notice = "The model before goes on training here.".to_string();
                    post(FromWorker::Device { backend, notice, buffer_limit });
                }
                if !is_new {
                    // the model trained so far goes on with the data as it saw it
                    let _ = loaded.rescale(previous_scalings);
                    let _ = loaded.adopt_fills(previous_fills.as_deref());
                    self.data = Some(loaded);
                }
                false
            }
        }
    }

    /// This worker is a race's or a sweep's lane: it keeps no checkpoint, and trains on the CPU
    /// with the baseline SIMD kernel rather than the one its calibration timed fastest. Lanes
    /// calibrate at the same time on shared cores and could pick different kernels, which round
    /// differently: the same run in two lanes must give the same losses step for step.
    fn become_lane(&mut self) {
        self.ephemeral = true;
        if self.trainer.is_none() {
            self.devices = Devices::with_kernel(webgrad_core::cpu::calibrate::baseline());
            self.device = self.devices.cpu();
        }
    }

    /// Trains one slice and, when it ended an epoch, checkpoints (`after_epoch`); returns the
    /// milliseconds the slice took and whether it ended an epoch.
    async fn train(&mut self, budget_ms: f64, single_step: bool, post: &Post) -> (f64, bool) {
        let (took, epoch_ended) = self.train_slice(budget_ms, single_step, post).await;
        self.check_health(epoch_ended, post).await;
        if epoch_ended {
            self.after_epoch().await;
        }
        (took, epoch_ended)
    }

    /// Trains until the time budget is spent, an epoch ends, or a single step was asked for.
    /// Returns the milliseconds it took and whether an epoch ended.
    async fn train_slice(&mut self, budget_ms: f64, single_step: bool, post: &Post) -> (f64, bool) {
        let on_cpu = self.devices.is_cpu(&self.device);
        let (Some(t), Some(data)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            self.fail("choose a dataset and a model first (Reset)".into(), post);
            return (0.0, false);
        };
        if t.cursor.epoch >= t.config.epochs as u64 {
            self.set_running(false, post);
            return (0.0, false);
        }
        let started = now_ms();
        if on_cpu {
            let health = self.health.as_mut();
            let slice = cpu_slice::run(t, health, &data.train, &mut self.epoch_loss, budget_ms, single_step);
            return match slice.end {
                End::Done { epoch_finished } => {
                    self.slice_done(started, slice.losses, slice.samples, epoch_finished, post).await
                }
                End::Failed(message) => {
                    self.fail(message, post);
                    (0.0, false)
                }
                End::Diverged { step, loss } => self.diverged(step, loss, post).await,
            };
        }
        let (mut losses, mut samples, mut steps) = (Vec::new(), 0usize, 0usize);
        loop {
            let stepped = match self.health.as_mut() {
                Some(h) => h.step(t, &data.train),
                None => t.step(&data.train),
            };
            let out = match stepped {
                Ok(out) => out,
                Err(e) => {
                    self.fail(e.to_string(), post);
                    return (0.0, false);
                }
            };
            samples += out.samples;
            steps += 1;
            // a full monitor window ends the slice too (`check_health` reads it)
            let end = out.epoch_finished
                || single_step
                || now_ms() - started >= budget_ms
                || steps >= GPU_STEPS_PER_SLICE
                || self.health.as_ref().is_some_and(Health::window_full);
            // The device sums the steps' losses; the slice reads the mean of its steps once, at
            // its last step, so that nothing waits for the device in between (the CPU's slice,
            // `cpu_slice`, reads every step).
            if end {
                match t.take_loss().wait().await {
                    Ok(Some(s)) if s.mean.is_finite() => {
                        losses.push((s.last_step, s.mean as f32));
                        self.epoch_loss.add(&s);
                    }
                    Ok(Some(s)) => return self.diverged(s.last_step, s.mean, post).await,
                    Ok(None) => {}
                    Err(e) => {
                        self.fall_back_to_cpu(&e.to_string(), post).await;
                        return (0.0, false);
                    }
                }
            }
            if end {
                return self.slice_done(started, losses, samples, out.epoch_finished, post).await;
            }
        }
    }

    /// `device` if every buffer of `config` fits one of its buffers, else the CPU, saying why
    /// (a GPU's `max_buffer_size` or storage-binding size is smaller than the memory budget).
    fn fit_device(&self, device: Device, notice: String, config: &MlpConfig, batch: usize) -> (Device, String) {
        match config.check_device(&device, batch) {
            Ok(()) => (device, notice),
            Err(why) => (self.devices.cpu(), format!("{why}: training on the CPU (wasm SIMD) instead.")),
        }
    }

    /// The unit pictures, and once an epoch has finished the weight images and histograms, of
    /// the model as it is now (on Pause: the throttled ones may be a little behind).
    async fn pictures_now(&mut self, post: &Post) {
        let (Some(t), Some(data)) = (self.trainer.as_ref(), self.data.as_ref()) else { return };
        let extent = boundary(&t.model, data).await.map(|b| b.extent);
        unit_maps(&t.model, data, extent).await.into_iter().for_each(|layers| post(FromWorker::UnitMaps { layers }));
        if t.cursor.epoch > 0 {
            epoch_pictures(&t.model, data, post).await;
        }
        (self.unit_maps_at, self.histograms_at) = (now_ms(), now_ms());
    }

    /// A new learning rate from the next step on (the monitor's kept states cannot replay it).
    fn set_lr(&mut self, lr: f64) {
        if let Some(t) = self.trainer.as_mut() {
            t.optimizer.config.set_lr(lr);
        }
        // the checkpoints record it: a reload resumes at the rate it trained at
        if let Some(e) = self.experiment.as_mut() {
            e.lr = lr;
        }
        if let Some(h) = self.health.as_mut() {
            h.forget();
        }
    }

    /// Starts or stops training, and tells the page.
    fn set_running(&mut self, running: bool, post: &Post) {
        self.running = running;
        post(FromWorker::Running { running });
    }

    /// Stops training with an error.
    fn fail(&mut self, message: String, post: &Post) {
        post(FromWorker::Error { message });
        self.set_running(false, post);
    }

    /// A model is ready to train on `loaded` (after a Reset or a resume): the page gets the data
    /// summary, the model and where it stands, then what `and_then` posts, and the state holds
    /// them.
    async fn model_ready(
        &mut self,
        t: Trainer,
        e: Experiment,
        loaded: Loaded,
        post: &Post,
        and_then: impl FnOnce(&Trainer, &Experiment),
    ) {
        post(FromWorker::DataLoaded {
            summary: summary(&loaded),
            model: t.model.config.torch_expression(),
        });
        at_rest(&t.model, t.optimizer.step, t.cursor.epoch, &loaded, post).await;
        if let Some(weights_hash) = weights_hash(&t.model).await {
            post(FromWorker::ModelBuilt { weights_hash });
        }
        // the weight images and histograms come after the first epoch (many canvases: the page
        // opens faster without them)
        and_then(&t, &e);
        self.data = Some(loaded);
        self.experiment = Some(e);
        self.install(t).await;
    }

    /// Trains `t` from now on (its epoch's loss counted afresh); on the GPU, its state is read
    /// back as the one the CPU would continue from.
    async fn install(&mut self, t: Trainer) {
        self.health = Health::new(&t);
        self.trainer = Some(t);
        self.epoch_loss = LossTally::default();
        self.keep_last_good(None).await;
    }

    /// The trainer as checkpoint bytes (weights, optimizer state, cursor), read back from its
    /// device, with the experiment in the metadata (one unit: see `storage`).
    async fn checkpoint_bytes(&self) -> Option<Vec<u8>> {
        let (Some(t), Some(data), Some(e)) = (&self.trainer, &self.data, &self.experiment) else { return None };
        let names = data.train.targets.class_names().to_vec();
        let file = ModelFile::new(&t.model.config, names, data.preprocessing(), &dataset_name(&data.choice));
        let extra =
            std::collections::HashMap::from([(storage::EXPERIMENT_KEY.to_string(), serde_json::to_string(e).ok()?)]);
        webgrad_nn::checkpoint::save_with_metadata(t, &file, extra).await.ok()
    }

    /// On the GPU, keeps the current state as the one the CPU would continue from: `bytes`,
    /// when just read, else read now. A failed read keeps the state read before it, never `None`.
    async fn keep_last_good(&mut self, bytes: Option<Vec<u8>>) {
        if self.devices.is_cpu(&self.device) {
            self.last_good = None;
            return;
        }
        let bytes = match bytes {
            Some(b) => Some(b),
            None => self.checkpoint_bytes().await,
        };
        if bytes.is_some() {
            self.last_good = bytes;
        }
    }

    /// The GPU failed (device lost, out of memory): training goes on on the CPU from the last
    /// state read back from it (the start of this epoch), and the page is told why. Without
    /// such a state, training stops with the reason.
    async fn fall_back_to_cpu(&mut self, reason: &str, post: &Post) {
        self.devices.mark_gpu_failed(reason);
        let cpu = self.devices.cpu();
        let restored = self.last_good.take().map(|b| webgrad_nn::checkpoint::load(&cpu, &b, "the last good weights"));
        match restored {
            Some(Ok((t, _))) => {
                let (epoch, step) = (t.cursor.epoch, t.optimizer.step);
                self.device = cpu;
                self.install(t).await;
                post(FromWorker::Device {
                    backend: self.device.name(),
                    buffer_limit: None,
                    notice: format!(
                        "The GPU failed ({reason}). Training goes on on the CPU (wasm SIMD) from the weights \
                         read back after epoch {epoch} (step {step})."
                    ),
                });
            }
            _ => self.fail(format!("the GPU failed: {reason}. Choose the CPU backend and Reset."), post),
        }
    }

    /// After an epoch, one checkpoint read back from the device serves three times: the
    /// browser's storage gets it, so a reload resumes (data from a local file is not kept, so
    /// those runs are not stored); the page keeps it, so a replacement worker continues from it
    /// if this one fails; and on the GPU it is the state the CPU continues from if the GPU fails.
    async fn after_epoch(&mut self) {
        if self.ephemeral {
            return self.post_lane_weights().await;
        }
        let bytes = self.checkpoint_bytes().await;
        if let (Some(bytes), Some(data), Some(e), Some(t)) = (&bytes, &self.data, &self.experiment, &self.trainer) {
            if !matches!(data.choice, DataChoice::File { .. }) {
                // storage may be unavailable (private window): training goes on without it
                storage::save_checkpoint_soon(bytes.clone());
            }
            post_checkpoint(&CheckpointRef::new(e, t.cursor.epoch, bytes));
        }
        if bytes.is_some() {
            self.keep_last_good(bytes).await;
        }
    }

    async fn resume(&mut self, saved: Option<(Vec<u8>, Experiment)>, post: &Post, cancel: &Cancel) {
        let Some((bytes, e)) = saved else {
            return post(FromWorker::Error { message: "there is no checkpoint to resume".into() });
        };
        match load(&e.data, e.seed, post, cancel).await {
            Ok(loaded) => self.resume_on(bytes, e, loaded, post).await,
            Err(message) => post(FromWorker::Error { message: format!("could not resume: {message}") }),
        }
    }

    /// Continues from checkpoint `bytes` on `loaded`. The checkpoint's model is checked against
    /// the data first: one that does not fit (another tab's data, a changed link) is said so and
    /// the experiment starts afresh; nothing runs the model on data of another shape.
    async fn resume_on(&mut self, bytes: Vec<u8>, e: Experiment, mut loaded: Loaded, post: &Post) {
        // the targets as the checkpoint's model was trained on them (standardised or not)
        let normalisation = Normalisation { targets: saved_target_scaling(&bytes), ..Normalisation::of(&e) };
        if let Err(message) = loaded.normalise(normalisation) {
            return post(FromWorker::Error { message: format!("could not resume: {message}") });
        }
        // a table the checkpoint's model read in its own layout (an imported model's) is laid
        // out so again; where it cannot be, the checks below say why
        let columns = io::embedded_model_file(&bytes, "the saved checkpoint").ok().flatten().and_then(|f| f.preprocessing.columns);
        if let Some(Ok(Some((laid_out, _)))) = columns.map(|want| loaded.conformed(&want)) {
            loaded = laid_out;
        }
        let fits = io::embedded_model_file(&bytes, "the saved checkpoint")
            .map_err(|err| err.to_string())
            .and_then(|f| f.ok_or_else(|| "it has no model description".to_string()))
            .and_then(|f| {
                webgrad_nn::train::check_config_fits(&f.model, &loaded.train).map_err(|err| err.to_string())?;
                loaded.check_model_file(&f)?;
                // the fill values and statistics the model trained with where they apply (a
                // model imported from another file recorded that file's), else the ones just fitted
                let _ = loaded.adopt_fills(f.preprocessing.fill_missing.as_deref());
                let _ = loaded.adopt_scalings(&f.preprocessing);
                Ok(f.model)
            });
        let config = match fits {
            Ok(config) => config,
            Err(why) => {
                post(FromWorker::Error {
                    message: format!(
                        "the saved checkpoint does not fit its data ({why}); starting the experiment afresh"
                    ),
                });
                storage::clear_checkpoint().await;
                self.handle_reset(e, Ok(Some(loaded)), post).await;
                return;
            }
        };
        let (device, notice) = self.devices.pick(e.backend, model_config(&e, &loaded.train).parameter_count()).await;
        let (device, notice) = self.fit_device(device, notice, &config, e.batch);
        post(FromWorker::Device { backend: device.name(), notice, buffer_limit: device.max_buffer_bytes() });
        match webgrad_nn::checkpoint::load(&device, &bytes, "the saved checkpoint") {
            Ok((t, _)) => {
                self.device = device;
                let resumed = |t: &Trainer, e: &Experiment| {
                    post(FromWorker::Resumed { epoch: t.cursor.epoch, step: t.optimizer.step });
                    // the page keeps it: a replacement worker would continue from here
                    post_checkpoint(&CheckpointRef::new(e, t.cursor.epoch, &bytes));
                };
                self.model_ready(t, e, loaded, post, resumed).await;
            }
            Err(err) => post(FromWorker::Error { message: format!("could not resume: {err}") }),
        }
    }
}

/// Posts a checkpoint to the page straight from its bytes (no copy in wasm memory).
fn post_checkpoint(c: &CheckpointRef<'_>) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    if let Ok(v) = serde_wasm_bindgen::to_value(c) {
        let _ = scope.post_message(&v);
    }
}

/// The checkpoint an earlier visit saved, with where it stands.
async fn saved_checkpoint() -> Option<(Vec<u8>, Experiment, Resume)> {
    let (bytes, json) = storage::load_checkpoint().await.ok().flatten()?;
    let experiment: Experiment = serde_json::from_str(&json).ok()?;
    let (t, _) = webgrad_nn::checkpoint::load(&webgrad_core::cpu(), &bytes, "the saved checkpoint").ok()?;
    let resume = Resume { experiment: experiment.clone(), epoch: t.cursor.epoch, step: t.optimizer.step };
    Some((bytes, experiment, resume))
}

/// Decodes a message from the page: a file load or a serde `ToWorker`.
fn incoming(data: JsValue) -> Inbox {
    match by_hand::read_file_load(&data) {
        Some(Ok(load)) => Inbox::Files(load),
        Some(Err(e)) => Inbox::Msg(Err(e)),
        None => Inbox::Msg(serde_wasm_bindgen::from_value::<ToWorker>(data).map_err(|err| err.to_string())),
    }
}

/// A panic (a bug) is printed to the console and posted to the page as `Crashed`, which then
/// replaces this worker and restores its state (`app::update`, `Msg::WorkerFailed`).
fn report_panics_to_the_page() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        if let Ok(v) = serde_wasm_bindgen::to_value(&FromWorker::Crashed { message: info.to_string() }) {
            let _ = scope.post_message(&v);
        }
    }));
}


/// Files picked on the page: parsed, then a fresh model on them, or the checkpoint that came
/// with them resumed (a replacement worker). A load the page waits for (`FileLoad::answer`; not
/// a restore's) is answered with whether its model was built.
async fn files_arrived(state: &mut TrainerState, load: FileLoad, post: &Post, cancel: &Cancel) {
    let FileLoad { files, mut experiment, checkpoint, answer } = load;
    let loaded = load_files(&files, &experiment, post, cancel).await;
    if let Ok(l) = &loaded {
        experiment.data = l.choice.clone();
    }
    let built = match (checkpoint, loaded) {
        (Some(bytes), Ok(l)) => {
            state.resume_on(bytes, experiment, l, post).await;
            true
        }
        (_, loaded) => state.handle_reset(experiment, loaded.map(Some), post).await,
    };
    if answer {
        post(FromWorker::Answered { built });
    }
}
/// The worker's main loop (never returns).
pub async fn run() {
    report_panics_to_the_page();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let queue: Queue = Rc::default();
    let cancel: Cancel = Rc::default();
    let (inbox, cancel_flag) = (queue.clone(), cancel.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let m = incoming(e.data());
        if matches!(m, Inbox::Msg(Ok(ToWorker::CancelLoad))) {
            cancel_flag.set(true);
        }
        inbox.borrow_mut().push_back(m);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let out = scope.clone();
    let post = move |m: FromWorker| match serde_wasm_bindgen::to_value(&m) {
        Ok(v) => {
            let _ = out.post_message(&v);
        }
        // a message serde cannot carry is a bug: said on the console (the e2e tests fail on it)
        Err(e) => web_sys::console::error_1(&format!("the worker could not send a message: {e}").into()),
    };
    // the relaxed-SIMD build keeps its fused multiply-add only where it is faster on this CPU
    let calibration = webgrad_core::cpu::calibrate::calibrate(&now_ms, CALIBRATION_MS);
    let mut state = TrainerState::new(Devices::with_kernel(calibration.kernel));
    let mut saved = saved_checkpoint().await;
    let resume = saved.as_ref().map(|s| s.2.clone());
    post(FromWorker::Ready { backend: state.device.name(), notice: Some(crate::devices::gpu_notice().await), resume });
    let mut warming = warm::Warming::default();
    loop {
        let messages: Vec<_> = queue.borrow_mut().drain(..).collect();
        for m in messages {
            let m = match m {
                Inbox::Msg(m) => m,
                Inbox::Files(load) => {
                    files_arrived(&mut state, load, &post, &cancel).await;
                    continue;
                }
            };
            match m {
                Err(message) => post(FromWorker::Error { message: format!("bad message from the page: {message}") }),
                Ok(ToWorker::ShowCell { truth, predicted }) => state.show_cell(truth, predicted, &post),
                Ok(ToWorker::Resume) => {
                    let s = saved.take().map(|(bytes, e, _)| (bytes, e));
                    state.resume(s, &post, &cancel).await;
                }
                Ok(ToWorker::Reset { experiment }) => {
                    let same = state.data.as_ref().is_some_and(|d| d.choice == experiment.data);
                    let loaded = if same {
                        Ok(None)
                    } else {
                        load(&experiment.data, experiment.seed, &post, &cancel).await.map(Some)
                    };
                    // the stored checkpoint goes only once the new experiment is ready, and never
                    // for a race lane or sweep run: the checkpoint is the playground's
                    let built = state.handle_reset(experiment, loaded, &post).await;
                    if built && !state.ephemeral {
                        saved = None;
                        storage::clear_checkpoint().await;
                    }
                    post(FromWorker::Answered { built });
                }
                Ok(ToWorker::Restore { experiment, checkpoint }) => match checkpoint {
                    Some(bytes) => match load(&experiment.data, experiment.seed, &post, &cancel).await {
                        Ok(loaded) => state.resume_on(bytes.into_vec(), experiment, loaded, &post).await,
                        Err(message) => post(FromWorker::Error { message: format!("could not restore: {message}") }),
                    },
                    None => {
                        let loaded = load(&experiment.data, experiment.seed, &post, &cancel).await.map(Some);
                        state.handle_reset(experiment, loaded, &post).await;
                    }
                },
                Ok(ToWorker::Panic) => panic!("the page asked the worker to panic (a test of the restart)"),
                // the load it stopped (if any) is over: a later load must not see it
                Ok(ToWorker::CancelLoad) => cancel.set(false),
                Ok(ToWorker::Predict { ink, width, height }) => state.predict(&ink, width, height, &post).await,
                Ok(ToWorker::Play) => state.set_running(true, &post),
                Ok(ToWorker::Pause) => {
                    state.set_running(false, &post);
                    state.pictures_now(&post).await;
                }
                Ok(ToWorker::Step) => {
                    state.train(f64::INFINITY, true, &post).await;
                }
                Ok(ToWorker::DestroyGpu) => state.devices.destroy_gpu(),
                Ok(ToWorker::Export) => state.export(&post).await,
                Ok(ToWorker::ExportTorch) => state.export_torch(&post).await,
                Ok(ToWorker::Import { name, bytes }) => state.import(&name, &bytes, &post).await,
                Ok(ToWorker::AddPoint { x, y, target }) => state.add_point(x, y, target, &post).await,
                Ok(ToWorker::SetWeight { layer, to, from, value }) => {
                    state.set_weight((layer, to, from), value, &post).await
                }
                Ok(ToWorker::RaceLane) => state.become_lane(),
                Ok(ToWorker::GradCheck { eps }) => state.grad_check(eps, &post).await,
                Ok(ToWorker::InspectStep { layer, unit }) => state.inspect_step(layer, unit, &post).await,
                Ok(ToWorker::SetLr { lr }) => state.set_lr(lr),
            }
        }
        if state.running {
            // At most one epoch per slice, and a small dataset's epoch is far shorter than a
            // frame: a slice that ended its epoch early is paced to ~60 epochs/s so a person can
            // watch the boundary form. Other slices only let the page's messages in (a slice
            // cut short by a monitor window goes on at once).
            let (took, epoch_ended) = state.train(SLICE_MS, false, &post).await;
            if epoch_ended && took < FRAME_MS {
                sleep((FRAME_MS - took) as i32).await;
            } else {
                yield_to_events().await;
            }
        } else if warming.idle_slice(&state).await {
            // back to the messages at once (a zero timeout lets them arrive)
            sleep(0).await;
        } else {
            sleep(25).await;
        }
    }
}
