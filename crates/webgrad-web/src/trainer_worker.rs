//! The training worker: owns the data, the model and the device. One async loop drains the
//! message queue, then trains for a slice of time (~12 ms) and posts what happened, so it can be
//! paused or re-tuned between any two slices. CPU readbacks complete at once (`ready_now`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use webgrad_core::{Device, Tensor, no_grad};
use webgrad_data::{Dataset, Targets, synthetic, train_test_split};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, ModelFile, Optimizer, OptimizerConfig,
    Preprocessing, Schedule, TrainConfig, Trainer, evaluate, io,
};

use crate::byte_source::ByteSource;
use crate::data_loader;
use crate::devices::{Devices, model_parameters};
use crate::js::{now_ms, ready_now, sleep};
use crate::protocol::*;
use crate::storage;

const SLICE_MS: f64 = 12.0;
const FRAME_MS: f64 = 16.0;
/// Steps recorded on the GPU before the slice reads its loss (bounds the queued work).
const GPU_STEPS_PER_SLICE: usize = 8;
const BOUNDARY_SIZE: usize = 48;
const MNIST_FILES: [&str; 4] = webgrad_data::MNIST_FILES;

struct Loaded {
    choice: DataChoice,
    train: Dataset,
    test: Dataset,
    preview: Option<Preview>,
}

/// What arrives from the page: a protocol message, or files (which serde cannot carry).
enum Inbox {
    Msg(Result<ToWorker, String>),
    Files { files: Vec<(String, web_sys::Blob)>, experiment: Experiment },
}

type Queue = Rc<RefCell<VecDeque<Inbox>>>;

/// True (once) when a CancelLoad is waiting in the queue.
fn take_cancel(queue: &Queue) -> bool {
    let mut q = queue.borrow_mut();
    match q.iter().position(|m| matches!(m, Inbox::Msg(Ok(ToWorker::CancelLoad)))) {
        Some(i) => {
            q.remove(i);
            true
        }
        None => false,
    }
}

fn progress_poster<'a>(name: &'a str, post: &'a Post) -> impl FnMut(webgrad_data::Progress, Option<u64>) + 'a {
    move |p, total| post(FromWorker::LoadProgress { name: name.to_string(), bytes: p.bytes, total, rows: p.rows })
}

/// Parses picked or dropped files into splits.
async fn load_files(
    files: &[(String, web_sys::Blob)],
    e: &Experiment,
    post: &Post,
    queue: &Queue,
) -> Result<Loaded, String> {
    let label = match &e.data {
        DataChoice::File { label, .. } => label.clone(),
        _ => None,
    };
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let name = names.join(" + ");
    let mut parts = Vec::new();
    for source in data_loader::sources(files)? {
        let src = source.name.clone();
        let parsed =
            data_loader::parse_source(source, &label, progress_poster(&src, post), || take_cancel(queue)).await?;
        parts.push((src, parsed));
    }
    let f = data_loader::to_splits(&name, parts, e.seed)?;
    Ok(Loaded { choice: DataChoice::File { name, label }, train: f.train, test: f.test, preview: f.preview })
}

struct TrainerState {
    device: Device,
    devices: Devices,
    experiment: Option<Experiment>,
    data: Option<Loaded>,
    trainer: Option<Trainer>,
    running: bool,
    epoch_loss: (f64, usize),
    /// The last test evaluation (for confusion-matrix drill-down).
    last_eval: Option<webgrad_nn::Evaluation>,
}

type Post = dyn Fn(FromWorker);

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let resp =
        wasm_bindgen_futures::JsFuture::from(scope.fetch_with_str(url)).await.map_err(|e| format!("{url}: {e:?}"))?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let buf = wasm_bindgen_futures::JsFuture::from(resp.array_buffer().map_err(|e| format!("{url}: {e:?}"))?)
        .await
        .map_err(|e| format!("{url}: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

async fn load(choice: &DataChoice, seed: u64, post: &Post, queue: &Queue) -> Result<Loaded, String> {
    let (train, test) = match choice {
        DataChoice::Mnist => {
            let mut files = Vec::new();
            for f in MNIST_FILES {
                files.push(fetch_bytes(&format!("assets/mnist/{f}")).await?);
            }
            webgrad_data::load_mnist_bytes(&files[0], &files[1], &files[2], &files[3]).map_err(|e| e.to_string())?
        }
        DataChoice::Synthetic { name, samples, noise, test_fraction, seed } => {
            let all = synthetic::by_name(name, *samples, *noise, *seed).map_err(|e| e.to_string())?;
            train_test_split(&all, *test_fraction, *seed).map_err(|e| e.to_string())?
        }
        DataChoice::Url { url, label } => {
            if url.trim().is_empty() {
                return Err("enter the URL of a CSV/TSV file".into());
            }
            let source = ByteSource::fetch(url).await?;
            let parsed =
                data_loader::parse_source(source, label, progress_poster(url, post), || take_cancel(queue)).await?;
            let f = data_loader::to_splits(url, vec![(url.clone(), parsed)], seed)?;
            return Ok(Loaded { choice: choice.clone(), train: f.train, test: f.test, preview: f.preview });
        }
        DataChoice::File { name, .. } => {
            return Err(format!("{name} is no longer loaded (a reload forgets local files): choose it again"));
        }
    };
    Ok(Loaded { choice: choice.clone(), train, test, preview: None })
}

fn summary(train: &Dataset, test: &Dataset, preview: Option<Preview>) -> DataSummary {
    let class_names = match &train.targets {
        Targets::Classes { names, .. } => names.clone(),
        Targets::Regression { .. } => Vec::new(),
    };
    let mut points = Vec::new();
    if train.d == 2 {
        for (ds, is_test) in [(train, false), (test, true)] {
            for i in 0..ds.n {
                let class = ds.labels().map_or(0, |l| l[i]);
                points.push(Point { x: ds.row(i)[0], y: ds.row(i)[1], class, test: is_test });
            }
        }
    }
    DataSummary {
        name: train.name.trim_end_matches("-train").to_string(),
        train_rows: train.n,
        test_rows: test.n,
        features: train.d,
        class_names,
        points,
        preview,
        image_shape: train.image_shape,
    }
}

/// A trainer for `model` with the experiment's optimizer and run settings.
fn make_trainer(model: Mlp, e: &Experiment, train_rows: usize) -> Result<Trainer, String> {
    let mut opt = OptimizerConfig::by_name(&e.optimizer)?;
    opt.set_lr(e.lr);
    if let Some(wd) = e.weight_decay {
        opt.set_weight_decay(wd);
    }
    let loss = Loss::for_head(&model.config.head);
    let config = TrainConfig {
        batch_size: e.batch,
        epochs: e.epochs,
        seed: e.seed,
        shuffle: true,
        loss,
        l1: e.l1,
        l2: e.l2,
        early_stopping_patience: None,
    };
    let total = (e.epochs * train_rows.div_ceil(e.batch.max(1))) as u64;
    let schedule = match e.schedule.as_str() {
        "cosine" => {
            Schedule::Cosine { warmup_steps: total / 20, warmup_start_factor: 0.1, total_steps: total, min_lr: 0.0 }
        }
        "step" => Schedule::Step { step_size: (total / 3).max(1), gamma: 0.5 },
        // lr · γ^total = 1 % of lr
        "exp" => Schedule::Exponential { gamma: 0.01f64.powf(1.0 / total.max(1) as f64) },
        _ => Schedule::Constant,
    };
    Trainer::new(model, Optimizer::new(opt, schedule), config).map_err(|err| err.to_string())
}

fn build_trainer(device: &Device, e: &Experiment, train: &Dataset) -> Result<Trainer, String> {
    let activation = ActivationName::parse(&e.activation)?;
    let head = match &train.targets {
        Targets::Classes { classes, .. } => Head::Softmax { classes: (*classes).max(2) },
        Targets::Regression { outputs, .. } => Head::Linear { outputs: *outputs },
    };
    let config = MlpConfig {
        input: train.d,
        hidden: e.hidden.iter().map(|&width| LayerConfig { width, activation, dropout: e.dropout }).collect(),
        head,
        init: Init::GlorotUniform,
    };
    let model = Mlp::new(device, config, e.seed).map_err(|err| err.to_string())?;
    make_trainer(model, e, train.n)
}

/// How the data was preprocessed, recorded in exported models.
fn preprocessing(choice: &DataChoice) -> Preprocessing {
    match choice {
        DataChoice::Mnist => Preprocessing { scale: Some(1.0 / 255.0), standardize: None },
        DataChoice::Synthetic { .. } | DataChoice::File { .. } | DataChoice::Url { .. } => Preprocessing::default(),
    }
}

fn dataset_name(choice: &DataChoice) -> String {
    match choice {
        DataChoice::Mnist => "mnist".into(),
        DataChoice::Synthetic { name, .. } | DataChoice::File { name, .. } => name.clone(),
        DataChoice::Url { url, .. } => url.clone(),
    }
}

/// Model output over a grid spanning the 2-D data (probability of class 1, or the value).
async fn boundary(model: &Mlp, data: &Dataset) -> Option<Boundary> {
    if data.d != 2 || data.n == 0 {
        return None;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for i in 0..data.n {
        let r = data.row(i);
        (x0, x1, y0, y1) = (x0.min(r[0]), x1.max(r[0]), y0.min(r[1]), y1.max(r[1]));
    }
    let pad = 0.05 * (x1 - x0).max(y1 - y0);
    let extent = [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
    let n = BOUNDARY_SIZE;
    let mut grid = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            let x = extent[0] + (c as f32 + 0.5) / n as f32 * (extent[1] - extent[0]);
            let y = extent[3] - (r as f32 + 0.5) / n as f32 * (extent[3] - extent[2]);
            grid.extend([x, y]);
        }
    }
    let y = no_grad(|| {
        let x = Tensor::from_slice(model.device(), &grid, &[n * n, 2]).ok()?;
        let y = model.forward(&x, false, 0);
        Some(match model.config.head {
            Head::Softmax { .. } => y.softmax(1).slice(1, 1, 1),
            _ => y.slice(1, 0, 1),
        })
    })?;
    let values = y.to_vec().await.ok()?;
    Some(Boundary { size: n, extent, values })
}

impl TrainerState {
    /// Builds a fresh trainer on `loaded` (new data) or on the data already here (`Ok(None)`).
    /// On any error, what was loaded and trained before stays as it was.
    async fn handle_reset(&mut self, e: Experiment, loaded: Result<Option<Loaded>, String>, post: &Post) {
        let (loaded, is_new) = match loaded {
            Ok(Some(l)) => (l, true),
            Ok(None) => match self.data.take() {
                Some(l) => (l, false),
                None => return,
            },
            Err(message) => {
                post(FromWorker::Error { message: format!("could not load the data: {message}") });
                return;
            }
        };
        let params = model_parameters(&e, &loaded.train);
        let (device, notice) = self.devices.pick(&e.backend, params).await;
        self.device = device;
        post(FromWorker::Device { backend: self.device.name(), notice });
        match build_trainer(&self.device, &e, &loaded.train) {
            Ok(t) => {
                self.running = false;
                post(FromWorker::Running { running: false });
                post(FromWorker::DataLoaded {
                    summary: summary(&loaded.train, &loaded.test, loaded.preview.clone()),
                    parameters: t.model.config.parameter_count(),
                    model: t.model.config.torch_expression(),
                });
                post(FromWorker::Progress {
                    step: 0,
                    epoch: 0,
                    losses: Vec::new(),
                    samples_per_sec: 0.0,
                    boundary: boundary(&t.model, &loaded.train).await,
                });
                if let Some(w) = diagram_weights(&t.model).await {
                    post(w);
                }
                self.trainer = Some(t);
                self.epoch_loss = (0.0, 0);
                self.data = Some(loaded);
                self.experiment = Some(e);
            }
            Err(message) => {
                post(FromWorker::Error { message });
                if !is_new {
                    self.data = Some(loaded);
                }
            }
        }
    }

    /// Trains until the time budget is spent, an epoch ends, or a single step was asked for.
    /// Returns the milliseconds it took and whether an epoch ended.
    async fn train_slice(&mut self, budget_ms: f64, single_step: bool, post: &Post) -> (f64, bool) {
        let on_cpu = self.devices.is_cpu(&self.device);
        let (Some(t), Some(data)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            post(FromWorker::Error { message: "choose a dataset and a model first (Reset)".into() });
            self.running = false;
            return (0.0, false);
        };
        if t.cursor.epoch as usize >= t.config.epochs {
            self.running = false;
            post(FromWorker::Running { running: false });
            return (0.0, false);
        }
        let started = now_ms();
        let (mut losses, mut samples, mut finished_epoch) = (Vec::new(), 0usize, false);
        // On the GPU nothing is read per step: the slice reads its last loss once at the end.
        let (mut last_loss, mut gpu_steps) = (None, 0);
        while now_ms() - started < budget_ms {
            let out = match t.step(&data.train) {
                Ok(out) => out,
                Err(e) => {
                    post(FromWorker::Error { message: e.to_string() });
                    self.running = false;
                    return (0.0, false);
                }
            };
            samples += out.samples;
            finished_epoch = out.epoch_finished;
            if !on_cpu {
                last_loss = Some((t.optimizer.step, out.loss));
                gpu_steps += 1;
                if finished_epoch || single_step || gpu_steps >= GPU_STEPS_PER_SLICE {
                    break;
                }
                continue;
            }
            let loss = ready_now(out.loss.item()).and_then(Result::ok).unwrap_or(f32::NAN);
            if !loss.is_finite() {
                post(FromWorker::Error {
                    message: format!(
                        "training diverged at step {} (loss {loss}); lower the learning rate and Reset",
                        t.optimizer.step
                    ),
                });
                self.running = false;
                post(FromWorker::Running { running: false });
                return (0.0, false);
            }
            losses.push((t.optimizer.step, loss));
            self.epoch_loss.0 += loss as f64 * out.samples as f64;
            self.epoch_loss.1 += out.samples;
            if finished_epoch || single_step {
                break;
            }
        }
        if let Some((step, loss)) = last_loss {
            // the slice's loss stands for all of its samples in the epoch mean
            match loss.item().await {
                Ok(l) if l.is_finite() => {
                    losses.push((step, l));
                    self.epoch_loss.0 += l as f64 * samples as f64;
                    self.epoch_loss.1 += samples;
                }
                Ok(l) => {
                    post(FromWorker::Error {
                        message: format!(
                            "training diverged at step {step} (loss {l}); lower the learning rate and Reset"
                        ),
                    });
                    self.running = false;
                    post(FromWorker::Running { running: false });
                    return (0.0, false);
                }
                Err(e) => {
                    post(FromWorker::Error {
                        message: format!("the GPU failed: {e}. Choose the CPU backend and Reset."),
                    });
                    self.running = false;
                    post(FromWorker::Running { running: false });
                    return (0.0, false);
                }
            }
        }
        let elapsed = (now_ms() - started).max(1e-3) / 1000.0;
        post(FromWorker::Progress {
            step: t.optimizer.step,
            epoch: t.cursor.epoch,
            losses,
            samples_per_sec: samples as f64 / elapsed,
            boundary: boundary(&t.model, &data.train).await,
        });
        if let Some(w) = diagram_weights(&t.model).await {
            post(w);
        }
        if finished_epoch {
            let (sum, n) = std::mem::take(&mut self.epoch_loss);
            match evaluate(&t.model, &data.test, t.config.loss).await {
                Ok(ev) => {
                    if let Some(items) = gallery(&data.test, &ev, None) {
                        post(FromWorker::Gallery { title: "Test images, mistakes first".into(), items });
                    }
                    let train_score = train_score(&t.model, &data.train, t.config.loss).await;
                    post(FromWorker::Epoch {
                        epoch: t.cursor.epoch,
                        train_loss: sum / n.max(1) as f64,
                        test_loss: ev.loss,
                        test_score: score(&ev.report),
                        train_score,
                        report: ev.report.clone(),
                    });
                    self.last_eval = Some(ev);
                }
                Err(e) => post(FromWorker::Error { message: e.to_string() }),
            }
            if t.cursor.epoch as usize >= t.config.epochs {
                self.running = false;
                post(FromWorker::Running { running: false });
            }
        }
        (now_ms() - started, finished_epoch)
    }

    /// After an epoch: the checkpoint goes to the browser's storage, so a reload resumes.
    /// (Data from a local file is not kept, so those runs are not checkpointed.)
    async fn autosave(&self) {
        let (Some(t), Some(data), Some(e)) = (&self.trainer, &self.data, &self.experiment) else { return };
        if matches!(data.choice, DataChoice::File { .. }) {
            return;
        }
        let names = match &data.train.targets {
            Targets::Classes { names, .. } => names.clone(),
            Targets::Regression { .. } => Vec::new(),
        };
        let file = ModelFile::new(&t.model.config, names, preprocessing(&data.choice), &dataset_name(&data.choice));
        if let (Ok(bytes), Ok(json)) = (webgrad_nn::checkpoint::save(t, &file).await, serde_json::to_string(e)) {
            // storage may be unavailable (private window): training goes on without it
            let _ = storage::save_checkpoint(&bytes, &json).await;
        }
    }

    /// Restores the saved checkpoint: reloads its data, then the model, optimizer and cursor.
    async fn resume(&mut self, saved: Option<(Vec<u8>, Experiment)>, post: &Post, queue: &Queue) {
        let Some((bytes, e)) = saved else {
            return post(FromWorker::Error { message: "there is no checkpoint to resume".into() });
        };
        let loaded = match load(&e.data, e.seed, post, queue).await {
            Ok(l) => l,
            Err(message) => return post(FromWorker::Error { message: format!("could not resume: {message}") }),
        };
        let (device, notice) = self.devices.pick(&e.backend, model_parameters(&e, &loaded.train)).await;
        post(FromWorker::Device { backend: device.name(), notice });
        match webgrad_nn::checkpoint::load(&device, &bytes, "the saved checkpoint") {
            Ok((t, _)) => {
                post(FromWorker::DataLoaded {
                    summary: summary(&loaded.train, &loaded.test, loaded.preview.clone()),
                    parameters: t.model.config.parameter_count(),
                    model: t.model.config.torch_expression(),
                });
                post(FromWorker::Progress {
                    step: t.optimizer.step,
                    epoch: t.cursor.epoch,
                    losses: Vec::new(),
                    samples_per_sec: 0.0,
                    boundary: boundary(&t.model, &loaded.train).await,
                });
                post(FromWorker::Resumed { epoch: t.cursor.epoch, step: t.optimizer.step });
                self.device = device;
                self.trainer = Some(t);
                self.data = Some(loaded);
                self.experiment = Some(e);
                self.epoch_loss = (0.0, 0);
            }
            Err(err) => post(FromWorker::Error { message: format!("could not resume: {err}") }),
        }
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

/// Whether this browser gives us a WebGPU adapter (`navigator.gpu` exists even when it does not).
async fn webgpu_adapter_available() -> bool {
    let Ok(navigator) = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()) else { return false };
    let Ok(gpu) = js_sys::Reflect::get(&navigator, &"gpu".into()) else { return false };
    if gpu.is_undefined() {
        return false;
    }
    let Ok(request) = js_sys::Reflect::get(&gpu, &"requestAdapter".into()) else { return false };
    let Ok(promise) = request.unchecked_into::<js_sys::Function>().call0(&gpu) else { return false };
    match wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&promise)).await {
        Ok(adapter) => !adapter.is_null() && !adapter.is_undefined(),
        Err(_) => false,
    }
}

/// Accuracy for classification, R² for regression.
fn score(report: &webgrad_nn::Report) -> f64 {
    match report {
        webgrad_nn::Report::Classification(r) => r.accuracy,
        webgrad_nn::Report::Regression(r) => r.r2,
    }
}

/// Rows of the training split scored for the accuracy curve (bounded so an epoch's end stays short).
const TRAIN_SCORE_ROWS: usize = 10_000;

async fn train_score(model: &Mlp, train: &Dataset, loss: Loss) -> Option<f64> {
    let ev = if train.n > TRAIN_SCORE_ROWS {
        let first: Vec<u32> = (0..TRAIN_SCORE_ROWS as u32).collect();
        evaluate(model, &train.subset(&first), loss).await
    } else {
        evaluate(model, train, loss).await
    };
    ev.ok().map(|e| score(&e.report))
}

/// Models up to this size have their weights drawn in the network diagram.
const DIAGRAM_MAX_PARAMETERS: usize = 20_000;

/// The weights for the diagram, or None for a model too big to draw link by link.
async fn diagram_weights(model: &Mlp) -> Option<FromWorker> {
    if model.config.parameter_count() > DIAGRAM_MAX_PARAMETERS {
        return None;
    }
    let mut sizes = vec![model.config.input];
    let mut layers = Vec::new();
    for layer in &model.layers {
        sizes.push(layer.weight.shape()[0]);
        layers.push(layer.weight.to_vec().await.ok()?);
    }
    Some(FromWorker::Weights { sizes, layers })
}

/// Softmax of one row of logits.
fn probabilities(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|&z| (z - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

const GALLERY_SIZE: usize = 36;

/// Test rows of one confusion cell (true class, predicted class).
fn cell_rows(test: &Dataset, ev: &webgrad_nn::Evaluation, (t, p): (u32, u32)) -> Vec<usize> {
    let Some(labels) = test.labels() else { return Vec::new() };
    (0..test.n).filter(|&i| labels[i] == t && ev.predicted.get(i) == Some(&p)).collect()
}

/// Up to GALLERY_SIZE test images (image datasets only): the rows of one confusion cell, or
/// all rows with the mistakes first.
fn gallery(test: &Dataset, ev: &webgrad_nn::Evaluation, cell: Option<(u32, u32)>) -> Option<Vec<GalleryItem>> {
    let (rows, cols) = test.image_shape?;
    let Targets::Classes { labels, names, .. } = &test.targets else { return None };
    let k = ev.outputs.len() / test.n.max(1);
    let (wrong, right): (Vec<usize>, Vec<usize>) = match cell {
        Some(c) => (cell_rows(test, ev, c), Vec::new()),
        None => (0..test.n).partition(|&i| ev.predicted.get(i) != Some(&labels[i])),
    };
    let name = |c: u32| names.get(c as usize).cloned().unwrap_or_else(|| c.to_string());
    let items = wrong
        .into_iter()
        .chain(right)
        .take(GALLERY_SIZE)
        .map(|i| {
            let predicted = ev.predicted[i];
            let p = probabilities(&ev.outputs[i * k..(i + 1) * k]);
            GalleryItem {
                pixels: Bytes::from(
                    test.row(i).iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect::<Vec<u8>>(),
                ),
                rows,
                cols,
                truth: name(labels[i]),
                predicted: name(predicted),
                confidence: p.get(predicted as usize).copied().unwrap_or(0.0),
            }
        })
        .collect();
    Some(items)
}

impl TrainerState {
    /// The examples behind one confusion-matrix cell: images as a gallery, rows as a table.
    fn show_cell(&self, truth: u32, predicted: u32, post: &Post) {
        let (Some(ev), Some(data)) = (&self.last_eval, &self.data) else { return };
        let Targets::Classes { names, .. } = &data.test.targets else { return };
        let name = |c: u32| names.get(c as usize).cloned().unwrap_or_else(|| c.to_string());
        let rows = cell_rows(&data.test, ev, (truth, predicted));
        let title = format!("True {}, predicted {} ({} examples)", name(truth), name(predicted), rows.len());
        if let Some(items) = gallery(&data.test, ev, Some((truth, predicted))) {
            return post(FromWorker::Gallery { title, items });
        }
        let mut columns: Vec<String> = match &data.preview {
            Some(p) => p.columns[..p.columns.len() - 1].to_vec(),
            None => (1..=data.test.d).map(|c| format!("x{c}")).collect(),
        };
        columns.push("label".into());
        let rows = rows
            .iter()
            .take(50)
            .map(|&i| data.test.row(i).iter().map(|v| format!("{v}")).chain([name(truth)]).collect())
            .collect();
        post(FromWorker::CellRows { title, preview: Preview { columns, rows } });
    }

    /// Classifies a drawing with the current model (MNIST-style preprocessing of the ink).
    async fn predict(&self, ink: &[u8], width: usize, height: usize, post: &Post) {
        let (Some(t), Some(data)) = (&self.trainer, &self.data) else { return };
        if data.train.image_shape != Some((28, 28)) || ink.len() != width * height {
            return post(FromWorker::Error { message: "drawing works with 28×28 image data such as MNIST".into() });
        }
        let Some(pixels) = webgrad_data::drawing::mnist_from_drawing(ink, width, height) else {
            return post(FromWorker::Prediction { probabilities: Vec::new() });
        };
        let logits =
            no_grad(|| Tensor::from_slice(t.model.device(), &pixels, &[1, 784]).map(|x| t.model.forward(&x, false, 0)));
        let Ok(logits) = logits else { return };
        match logits.to_vec().await {
            Ok(z) => {
                let names = match &data.train.targets {
                    Targets::Classes { names, .. } => names.clone(),
                    Targets::Regression { .. } => Vec::new(),
                };
                let probabilities = probabilities(&z)
                    .into_iter()
                    .enumerate()
                    .map(|(c, p)| (names.get(c).cloned().unwrap_or_else(|| c.to_string()), p))
                    .collect();
                post(FromWorker::Prediction { probabilities })
            }
            Err(e) => post(FromWorker::Error { message: e.to_string() }),
        }
    }

    async fn export(&self, post: &Post) {
        let (Some(t), Some(data)) = (&self.trainer, &self.data) else {
            return post(FromWorker::Error { message: "there is no model to export yet".into() });
        };
        let names = match &data.train.targets {
            Targets::Classes { names, .. } => names.clone(),
            Targets::Regression { .. } => Vec::new(),
        };
        let file = ModelFile::new(&t.model.config, names, preprocessing(&data.choice), &dataset_name(&data.choice));
        match io::save_weights(&t.model, &file).await {
            Ok(bytes) => post(FromWorker::Exported { safetensors: Bytes::from(bytes), json: file.to_json() }),
            Err(e) => post(FromWorker::Error { message: format!("export failed: {e}") }),
        }
    }

    /// Loads a model file in place of the current model; the data and the old model stay if
    /// the file is bad or does not fit the data.
    async fn import(&mut self, name: &str, bytes: &[u8], post: &Post) {
        self.running = false;
        post(FromWorker::Running { running: false });
        let (Some(data), Some(e)) = (&self.data, &self.experiment) else {
            return post(FromWorker::Error { message: "load a dataset before importing a model".into() });
        };
        let (model, file) = match io::load_model(&self.device, bytes, None, name) {
            Ok(m) => m,
            Err(err) => return post(FromWorker::Error { message: err.to_string() }),
        };
        if let Err(err) = webgrad_nn::train::check_fit(&model, &data.train) {
            return post(FromWorker::Error { message: format!("{name}: {err}") });
        }
        let (train_ev, test_ev) = match (
            evaluate(&model, &data.train, Loss::for_head(&model.config.head)).await,
            evaluate(&model, &data.test, Loss::for_head(&model.config.head)).await,
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(err), _) | (_, Err(err)) => return post(FromWorker::Error { message: err.to_string() }),
        };
        let activation = file.model.hidden.first().map_or("relu", |l| l.activation.name()).to_string();
        post(FromWorker::Progress {
            step: 0,
            epoch: 0,
            losses: Vec::new(),
            samples_per_sec: 0.0,
            boundary: boundary(&model, &data.train).await,
        });
        post(FromWorker::Imported {
            name: name.into(),
            parameters: model.config.parameter_count(),
            model: model.config.torch_expression(),
            hidden: model.config.hidden.iter().map(|l| l.width).collect(),
            activation,
        });
        post(FromWorker::Epoch {
            epoch: 0,
            train_loss: train_ev.loss,
            test_loss: test_ev.loss,
            train_score: Some(score(&train_ev.report)),
            test_score: score(&test_ev.report),
            report: test_ev.report.clone(),
        });
        if let Some(items) = gallery(&data.test, &test_ev, None) {
            post(FromWorker::Gallery { title: "Test images, mistakes first".into(), items });
        }
        self.last_eval = Some(test_ev);
        match make_trainer(model, e, data.train.n) {
            Ok(t) => {
                self.trainer = Some(t);
                self.epoch_loss = (0.0, 0);
            }
            Err(message) => post(FromWorker::Error { message }),
        }
    }
}

async fn gpu_notice() -> String {
    if webgpu_adapter_available().await {
        "WebGPU is available; this build still trains on the CPU (wasm SIMD) — the GPU backend is not wired in yet."
            .into()
    } else {
        "WebGPU is not available in this browser: training on the CPU (wasm SIMD).".into()
    }
}

/// Decodes a message from the page: files (a `files` array of File objects plus the
/// experiment) or a serde `ToWorker`.
fn incoming(data: JsValue) -> Inbox {
    let files = js_sys::Reflect::get(&data, &"files".into()).ok().filter(js_sys::Array::is_array);
    let Some(files) = files else {
        return Inbox::Msg(serde_wasm_bindgen::from_value::<ToWorker>(data).map_err(|err| err.to_string()));
    };
    let experiment = js_sys::Reflect::get(&data, &"experiment".into())
        .map_err(|_| "no experiment".to_string())
        .and_then(|e| serde_wasm_bindgen::from_value::<Experiment>(e).map_err(|err| err.to_string()));
    match experiment {
        Ok(experiment) => {
            let files = js_sys::Array::from(&files)
                .iter()
                .filter_map(|f| f.dyn_into::<web_sys::File>().ok())
                .map(|f| (f.name(), web_sys::Blob::from(f)))
                .collect();
            Inbox::Files { files, experiment }
        }
        Err(e) => Inbox::Msg(Err(e)),
    }
}

/// The worker's main loop (never returns).
pub async fn run() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let queue: Queue = Rc::default();
    let inbox = queue.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        inbox.borrow_mut().push_back(incoming(e.data()));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let out = scope.clone();
    let post = move |m: FromWorker| {
        if let Ok(v) = serde_wasm_bindgen::to_value(&m) {
            let _ = out.post_message(&v);
        }
    };
    let devices = Devices::new();
    let device = devices.cpu();
    let mut saved = saved_checkpoint().await;
    let resume = saved.as_ref().map(|s| s.2.clone());
    post(FromWorker::Ready { backend: device.name(), notice: Some(gpu_notice().await), resume });
    let mut state = TrainerState {
        device,
        devices,
        experiment: None,
        data: None,
        trainer: None,
        running: false,
        epoch_loss: (0.0, 0),
        last_eval: None,
    };
    loop {
        let messages: Vec<_> = queue.borrow_mut().drain(..).collect();
        for m in messages {
            let m = match m {
                Inbox::Msg(m) => m,
                Inbox::Files { files, mut experiment } => {
                    let loaded = load_files(&files, &experiment, &post, &queue).await;
                    if let Ok(l) = &loaded {
                        experiment.data = l.choice.clone();
                    }
                    state.handle_reset(experiment, loaded.map(Some), &post).await;
                    continue;
                }
            };
            match m {
                Err(message) => post(FromWorker::Error { message: format!("bad message from the page: {message}") }),
                Ok(ToWorker::ShowCell { truth, predicted }) => state.show_cell(truth, predicted, &post),
                Ok(ToWorker::Resume) => {
                    let s = saved.take().map(|(bytes, e, _)| (bytes, e));
                    state.resume(s, &post, &queue).await;
                }
                Ok(ToWorker::Reset { experiment }) => {
                    saved = None;
                    storage::clear_checkpoint().await;
                    let same = state.data.as_ref().is_some_and(|d| d.choice == experiment.data);
                    let loaded = if same {
                        Ok(None)
                    } else {
                        load(&experiment.data, experiment.seed, &post, &queue).await.map(Some)
                    };
                    state.handle_reset(experiment, loaded, &post).await;
                }
                // a cancel that arrives when nothing is loading has nothing to stop
                Ok(ToWorker::CancelLoad) => {}
                Ok(ToWorker::Predict { ink, width, height }) => state.predict(&ink, width, height, &post).await,
                Ok(ToWorker::Play) => {
                    state.running = true;
                    post(FromWorker::Running { running: true });
                }
                Ok(ToWorker::Pause) => {
                    state.running = false;
                    post(FromWorker::Running { running: false });
                }
                Ok(ToWorker::Step) => {
                    if state.train_slice(f64::INFINITY, true, &post).await.1 {
                        state.autosave().await;
                    }
                }
                Ok(ToWorker::Export) => state.export(&post).await,
                Ok(ToWorker::Import { name, bytes }) => state.import(&name, &bytes, &post).await,
                Ok(ToWorker::SetLr { lr }) => {
                    if let Some(t) = state.trainer.as_mut() {
                        t.optimizer.config.set_lr(lr);
                    }
                }
            }
        }
        if state.running {
            // At most one epoch per slice, and a small dataset's epoch is far shorter than a
            // frame: pace those to ~60 epochs/s so a person can watch the boundary form.
            let (took, epoch_ended) = state.train_slice(SLICE_MS, false, &post).await;
            if epoch_ended {
                state.autosave().await;
            }
            sleep((FRAME_MS - took).max(0.0) as i32).await;
        } else {
            sleep(25).await;
        }
    }
}
