//! The page. One `App` state; worker messages and control events go through its methods,
//! which update the state and re-render. No math here: numbers come from the worker.

mod controls;
mod diagram;
mod dom;
mod fit_plot;
mod hyper;
mod images;
mod layers;
mod loss_chart;
mod plane;
mod tables;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlCanvasElement, MessageEvent, Worker};
use webgrad_nn::Report;

use crate::loss_history::{LossHistory, thin_epochs};
use crate::protocol::*;
use controls::*;

/// Per-epoch points kept for the charts (thinned past twice this; see `thin_epochs`).
const EPOCH_POINTS: usize = 512;
use dom::*;

#[derive(Default)]
struct App {
    running: bool,
    ready: bool,
    /// Controls changed since the worker last built the model: the next Train/Step resets first.
    dirty: bool,
    losses: LossHistory,
    test_losses: Vec<(u64, f64)>,
    summary: Option<DataSummary>,
    boundary: Option<Boundary>,
    step: u64,
    epoch: u64,
    samples_per_sec: f64,
    /// (epoch, train score, test score): accuracy, or R² for regression.
    scores: Vec<(u64, Option<f64>, f64)>,
    regression: bool,
    /// The experiment sent with files that are still loading (shown once they load).
    pending_files: Option<Experiment>,
    /// What a replacement worker needs if this one fails: the last experiment sent, the last
    /// files sent (local data cannot be fetched again) and the last checkpoint the worker
    /// posted (after every epoch).
    experiment: Option<Experiment>,
    files: Option<js_sys::Array>,
    /// (experiment, epoch, bytes): the bytes stay the browser's (a `Uint8Array`), never copied
    /// into wasm memory or decoded through serde, since a checkpoint may be megabytes.
    checkpoint: Option<(Experiment, u64, js_sys::Uint8Array)>,
    /// A replacement worker is starting or restoring; `restarts` counts them in this visit.
    restoring: bool,
    restarts: u32,
    /// Why the link's settings were not applied: shown once the first experiment is loaded
    /// (the Reset that loads it clears the error line).
    link_error: Option<String>,
}

/// After this many worker failures in one visit the page stops replacing it (a crash loop).
const MAX_RESTARTS: u32 = 3;

struct Page {
    app: RefCell<App>,
    worker: RefCell<Worker>,
    /// Which worker's messages count: a replaced worker's late messages are ignored.
    generation: std::cell::Cell<u32>,
    /// A render is scheduled for the next animation frame (`request_render`).
    render_pending: std::cell::Cell<bool>,
    slowest_update_ms: std::cell::Cell<f64>,
}

impl Page {
    fn send(&self, m: &ToWorker) {
        if let Ok(v) = serde_wasm_bindgen::to_value(m) {
            self.post(&v);
        }
    }

    fn post(&self, v: &JsValue) {
        let _ = self.worker.borrow().post_message(v);
    }

    /// Sends Reset with the current controls; false (and an error shown) if they are invalid.
    fn reset(&self) -> bool {
        match experiment_from_controls() {
            Ok(experiment) => {
                set_text("error", "");
                remember_in_url(&experiment);
                {
                    let mut app = self.app.borrow_mut();
                    app.losses.clear();
                    app.test_losses.clear();
                    app.scores.clear();
                    app.dirty = false;
                    app.step = 0;
                    app.epoch = 0;
                }
                tables::hide();
                set_text("accuracy", "Train for an epoch to see the test metrics.");
                set_text("stats", "Loading the data and building the model…");
                self.app.borrow_mut().experiment = Some(experiment.clone());
                self.send(&ToWorker::Reset { experiment });
                true
            }
            Err(e) => {
                set_text("error", &e);
                false
            }
        }
    }

    /// Draws the charts once in the next animation frame, however many messages arrive before
    /// it: a fast small model posts hundreds a second, and the page must not fall behind.
    fn request_render(self: &Rc<Self>) {
        if self.render_pending.replace(true) {
            return;
        }
        let page = self.clone();
        let frame = Closure::once_into_js(move || {
            page.render_pending.set(false);
            let started = crate::js::now_ms();
            render(&page.app.borrow());
            page.record_update_time(started);
        });
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(frame.unchecked_ref());
        }
    }

    /// Keeps the slowest message update or render so far on the loss chart, as
    /// `data-slowest-update-ms` (the e2e tests read it: the page's own work stays under 50 ms).
    fn record_update_time(&self, started_ms: f64) {
        let took = crate::js::now_ms() - started_ms;
        if took > self.slowest_update_ms.get() {
            self.slowest_update_ms.set(took);
            let _ =
                by_id::<web_sys::Element>("loss-chart").set_attribute("data-slowest-update-ms", &format!("{took:.1}"));
        }
    }

    fn on_worker(self: &Rc<Self>, msg: FromWorker) {
        // The worker drops messages that arrive before its wasm is running, so the first Reset
        // goes out only once it says Ready.
        let first_ready = match &msg {
            FromWorker::Ready { resume, .. } => Some(resume.clone()),
            _ => None,
        };
        let started = crate::js::now_ms();
        self.apply(msg);
        self.record_update_time(started);
        self.request_render();
        let restoring = self.app.borrow().restoring;
        match &first_ready {
            Some(_) if restoring => self.restore(),
            Some(Some(r)) => {
                show_experiment(&r.experiment);
                remember_in_url(&r.experiment);
                set_text("stats", &format!("Resuming the checkpoint saved after epoch {}…", r.epoch));
                self.send(&ToWorker::Resume);
            }
            Some(None) => {
                self.reset();
            }
            None => {}
        }
        if first_ready.is_some()
            && let Some(e) = self.app.borrow_mut().link_error.take()
        {
            set_text("error", &e);
        }
    }

    /// Sends a replacement worker what it needs to continue: the last checkpoint with its
    /// experiment (and the files, for local data), or the last experiment to start afresh.
    fn restore(&self) {
        let (checkpoint, experiment, files) = {
            let app = self.app.borrow();
            let experiment = app.checkpoint.as_ref().map(|c| c.0.clone()).or_else(|| app.experiment.clone());
            (app.checkpoint.as_ref().map(|c| c.2.clone()), experiment, app.files.clone())
        };
        let Some(experiment) = experiment else {
            self.app.borrow_mut().restoring = false;
            self.reset();
            return;
        };
        match (&experiment.data, files) {
            (DataChoice::File { .. }, Some(files)) => {
                let msg = files_message(&files, &experiment);
                if let Some(c) = &checkpoint {
                    let _ = js_sys::Reflect::set(&msg, &"checkpoint".into(), c);
                }
                self.post(&msg);
            }
            _ => {
                let Ok(msg) = serde_wasm_bindgen::to_value(&ToWorker::Restore { experiment, checkpoint: None }) else {
                    return;
                };
                if let Some(c) = &checkpoint {
                    let _ = js_sys::Reflect::set(&msg, &"checkpoint".into(), c);
                }
                self.post(&msg);
            }
        }
    }

    /// The worker failed (a panic it reported, or an error event: a trap, out of memory): it is
    /// replaced by a new one, which gets the data and the last checkpoint back (`restore`).
    fn restart_worker(self: &Rc<Self>, reason: &str) {
        self.worker.borrow().terminate();
        self.generation.set(self.generation.get() + 1);
        let restarts = {
            let mut app = self.app.borrow_mut();
            (app.ready, app.running, app.restoring) = (false, false, true);
            app.restarts += 1;
            app.restarts
        };
        render(&self.app.borrow());
        if restarts > MAX_RESTARTS {
            set_text(
                "error",
                &format!(
                    "The training worker failed again ({reason}); it was restarted {MAX_RESTARTS} times already. Reload the page."
                ),
            );
            return;
        }
        match spawn_worker(self) {
            Ok(worker) => *self.worker.borrow_mut() = worker,
            Err(_) => {
                return set_text(
                    "error",
                    &format!("The training worker failed ({reason}) and could not be restarted. Reload the page."),
                );
            }
        }
        let what = match &self.app.borrow().checkpoint {
            Some((_, epoch, _)) => format!("restoring the data and the model saved after epoch {epoch}…"),
            None => "reloading the data (no epoch had finished, so the model starts afresh)…".to_string(),
        };
        set_text("error", &format!("The training worker failed ({reason}). A new one was started; {what}"));
        set_text("stats", "Restarting the training worker…");
    }

    fn apply(&self, msg: FromWorker) {
        let mut app = self.app.borrow_mut();
        match msg {
            FromWorker::Resumed { epoch, step } => {
                app.step = step;
                app.epoch = epoch;
                app.dirty = false;
                if app.restoring {
                    app.restoring = false;
                    // the steps trained between the checkpoint and the failure are gone
                    app.losses.truncate_after(step);
                    app.test_losses.retain(|p| p.0 <= step);
                    app.scores.retain(|s| s.0 <= epoch);
                    set_text(
                        "error",
                        &format!(
                            "The training worker failed and was replaced. Restored: the data and the model after epoch {epoch} (step {step}); press Train to continue."
                        ),
                    );
                }
                set_text(
                    "stats",
                    &format!(
                        "Resumed from the checkpoint: {epoch} {} done, step {step}. Press Train to continue.",
                        if epoch == 1 { "epoch" } else { "epochs" }
                    ),
                );
                set_text("announcer", &format!("Resumed training after epoch {epoch}."));
            }
            FromWorker::Ready { backend, notice, .. } => {
                app.ready = true;
                let text = match notice {
                    Some(n) => format!("Training device: {backend}. {n}"),
                    None => format!("Training device: {backend}."),
                };
                set_text("backend-status", &text);
            }
            FromWorker::LoadProgress { name, bytes, total, rows } => {
                set_hidden("load-box", false);
                let progress = by_id::<web_sys::HtmlProgressElement>("load-progress");
                let mb = |b: u64| b as f64 / 1e6;
                match total {
                    Some(t) if t > 0 => {
                        progress.set_max(t as f64);
                        progress.set_value(bytes as f64);
                        set_text("load-status", &format!("{name}: {:.1} of {:.1} MB, {rows} rows", mb(bytes), mb(t)));
                    }
                    _ => {
                        let _ = progress.remove_attribute("value");
                        set_text("load-status", &format!("{name}: {:.1} MB, {rows} rows", mb(bytes)));
                    }
                }
            }
            FromWorker::Weights { sizes, units, layers } => {
                set_hidden("diagram-figure", false);
                diagram::draw(&by_id::<HtmlCanvasElement>("diagram"), &sizes, &units, &layers);
            }
            FromWorker::Gallery { title, items } => {
                set_text("images-heading", &title);
                images::show_gallery(&items);
                set_hidden("images-panel", false);
            }
            FromWorker::Fit { points, outputs } => {
                set_hidden("fit-figure", false);
                fit_plot::draw(&by_id::<HtmlCanvasElement>("fit-plot"), &points);
                let which = if outputs > 1 { format!(" (the first of {outputs} outputs)") } else { String::new() };
                set_text(
                    "fit-caption",
                    &format!(
                        "{} test rows{which}: true value across, prediction up. On the dashed line the prediction is exact.",
                        points.len()
                    ),
                );
            }
            FromWorker::CellRows { title, preview } => show_table("cell-examples", &title, &preview),
            FromWorker::Prediction { probabilities } => images::show_prediction(&probabilities),
            FromWorker::Device { backend, notice } => {
                set_text("backend-status", &format!("Training device: {backend}. {notice}"))
            }
            FromWorker::DataLoaded { summary, parameters: _, model } => {
                // a new model: the last checkpoint belonged to the one before (a resumed model
                // posts its checkpoint again right after)
                if app.restoring && app.checkpoint.is_none() {
                    app.restoring = false;
                    set_text(
                        "error",
                        "The training worker failed and was replaced. Restored: the data; no epoch had finished, so the model starts afresh.",
                    );
                }
                app.checkpoint = None;
                set_hidden("load-box", true);
                show_preview(summary.preview.as_ref());
                if let Some(e) = app.pending_files.take() {
                    show_experiment(&e);
                }
                let classes = if summary.class_names.is_empty() {
                    "regression".to_string()
                } else {
                    format!("{} classes", summary.class_names.len())
                };
                set_text(
                    "data-summary",
                    &format!(
                        "{}: {} training rows, {} test rows, {} features, {classes}.",
                        summary.name, summary.train_rows, summary.test_rows, summary.features
                    ),
                );
                update_param_count(Some(&summary), true);
                set_text("model-expression", &model);
                set_hidden("boundary-figure", summary.features != 2);
                let regression = summary.class_names.is_empty();
                set_text(
                    "boundary-caption",
                    if regression {
                        "Model output over the plane: orange = low, blue = high; circles are training points, squares test points."
                    } else {
                        "Model output over the plane: orange = class 0, blue = class 1; circles are training points, squares test points."
                    },
                );
                set_hidden("confusion-help", regression);
                // shown again by the first Weights message
                set_hidden("diagram-figure", true);
                set_hidden("images-panel", summary.image_shape != Some((28, 28)));
                set_text("stats", "Ready. Press Train.");
                app.summary = Some(summary);
            }
            FromWorker::Progress { step, epoch, losses, samples_per_sec, boundary } => {
                for (step, loss) in losses {
                    app.losses.push(step, loss);
                }
                app.step = step;
                app.epoch = epoch;
                if samples_per_sec > 0.0 {
                    app.samples_per_sec = samples_per_sec;
                }
                if boundary.is_some() {
                    app.boundary = boundary;
                }
                let epochs = if epoch == 1 { "epoch" } else { "epochs" };
                set_text(
                    "stats",
                    &format!("{epoch} {epochs} done, step {step} — {:.0} samples/s", app.samples_per_sec),
                );
            }
            FromWorker::Epoch { epoch, train_loss, test_loss, report, train_score, test_score } => {
                let at = app.step;
                app.test_losses.push((at, test_loss));
                app.scores.push((epoch, train_score, test_score));
                thin_epochs(&mut app.test_losses, EPOCH_POINTS);
                thin_epochs(&mut app.scores, EPOCH_POINTS);
                app.regression = matches!(report, Report::Regression(_));
                let summary = match &report {
                    Report::Classification(r) => {
                        tables::show_classification(r);
                        set_text(
                            "accuracy",
                            &format!(
                                "Test accuracy: {:.2} % (test loss {test_loss:.4}) after epoch {epoch}",
                                100.0 * r.accuracy
                            ),
                        );
                        format!(
                            "Epoch {epoch}: train loss {train_loss:.4}, test loss {test_loss:.4}, test accuracy {:.1} percent.",
                            100.0 * r.accuracy
                        )
                    }
                    Report::Regression(r) => {
                        set_text(
                            "accuracy",
                            &format!("Test MSE {:.4}, MAE {:.4}, R² {:.3} after epoch {epoch}", r.mse, r.mae, r.r2),
                        );
                        format!(
                            "Epoch {epoch}: train loss {train_loss:.4}, test MSE {:.4}, R squared {:.3}.",
                            r.mse, r.r2
                        )
                    }
                };
                set_text("announcer", &summary);
            }
            FromWorker::Running { running } => app.running = running,
            FromWorker::Exported { safetensors, json } => {
                let links = by_id::<web_sys::Element>("export-links");
                clear(&links);
                for a in [
                    download_link("webgrad-model.safetensors", &safetensors, "application/octet-stream"),
                    download_link("webgrad-model.json", json.as_bytes(), "application/json"),
                ]
                .into_iter()
                .flatten()
                {
                    let _ = links.append_child(&a);
                }
                set_text("announcer", "The model is ready to download.");
            }
            FromWorker::Imported { name, parameters: _, model, layers } => {
                layers::show(&layers);
                update_param_count(app.summary.as_ref(), true);
                set_text("model-expression", &model);
                set_text("error", "");
                app.dirty = false;
                app.losses.clear();
                app.test_losses.clear();
                app.scores.clear();
                set_text("announcer", &format!("Imported {name}."));
                set_text("stats", &format!("Imported {name}: evaluated on this data. Train to continue."));
            }
            FromWorker::Error { message } => {
                app.pending_files = None;
                app.restoring = false;
                set_hidden("load-box", true);
                set_text("error", &message);
            }
            FromWorker::Checkpoint { experiment, epoch, bytes } => {
                app.checkpoint = Some((experiment, epoch, js_sys::Uint8Array::from(&bytes[..])))
            }
            // handled by the message listener (it replaces the worker)
            FromWorker::Crashed { .. } => {}
        }
    }
}

/// The message that carries files to the worker (File objects travel by structured clone,
/// which serde cannot express): `{files, experiment}`.
fn files_message(files: &js_sys::Array, experiment: &Experiment) -> js_sys::Object {
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"files".into(), files);
    if let Ok(e) = serde_wasm_bindgen::to_value(experiment) {
        let _ = js_sys::Reflect::set(&msg, &"experiment".into(), &e);
    }
    msg
}

/// Sends picked or dropped files to the worker (File objects travel by structured clone).
fn send_files(page: &Page, files: web_sys::FileList) {
    if files.length() == 0 {
        return;
    }
    let list = js_sys::Array::new();
    let mut names = Vec::new();
    for i in 0..files.length() {
        if let Some(f) = files.get(i) {
            names.push(f.name());
            list.push(&f);
        }
    }
    let mut experiment = match experiment_from_controls() {
        Ok(e) => e,
        Err(e) => return set_text("error", &e),
    };
    let defaults = Experiment::defaults_for("file");
    experiment.data = DataChoice::File { name: names.join(" + "), label: label_choice() };
    // a new kind of data gets the tabular defaults unless the person already left MNIST/2-D
    if select_value("dataset") != "file" {
        (experiment.layers, experiment.lr, experiment.batch, experiment.epochs) =
            (defaults.layers, defaults.lr, defaults.batch, defaults.epochs);
        experiment.normalise = defaults.normalise;
    }
    let msg = files_message(&list, &experiment);
    set_text("error", "");
    set_hidden("load-box", false);
    set_text("load-status", &format!("Reading {}…", names.join(" + ")));
    page.post(&msg);
    let mut app = page.app.borrow_mut();
    app.files = Some(list);
    app.experiment = Some(experiment.clone());
    app.pending_files = Some(experiment);
}

fn render(app: &App) {
    set_disabled("train", !app.ready || app.running);
    set_disabled("pause", !app.running);
    set_disabled("step", !app.ready || app.running);
    let smoothing = input_value("smoothing").parse::<f64>().unwrap_or(0.95).clamp(0.0, 0.999);
    loss_chart::draw(
        &by_id::<HtmlCanvasElement>("loss-chart"),
        &app.losses,
        &app.test_losses,
        checked("log-scale"),
        smoothing,
    );
    let caption = match (app.losses.first(), app.losses.last()) {
        (Some(first), Some(last)) => {
            format!("Loss: first {:.4}, last {:.4} ({} steps).", first.1, last.1, app.losses.steps())
        }
        _ => "Loss: no steps yet.".to_string(),
    };
    set_text("loss-summary", &caption);
    loss_chart::draw_scores(&by_id::<HtmlCanvasElement>("score-chart"), &app.scores);
    let what = if app.regression { "R²" } else { "Accuracy" };
    let score_caption = match app.scores.last() {
        Some((e, Some(tr), te)) => {
            format!("{what} after epoch {e}: train {:.2} %, test {:.2} %.", 100.0 * tr, 100.0 * te)
        }
        Some((e, None, te)) => format!("{what} after epoch {e}: test {:.2} %.", 100.0 * te),
        None => format!("{what}: no epoch finished yet."),
    };
    set_text("score-summary", &score_caption);
    if let (Some(b), Some(s)) = (&app.boundary, &app.summary)
        && s.features == 2
    {
        plane::draw(&by_id::<HtmlCanvasElement>("boundary"), b, &s.points, s.class_names.is_empty());
    }
}

/// A module whose one function returns `f32x4.relaxed_madd` of three zero vectors: it
/// validates only where relaxed SIMD is supported. Sections: type `() -> v128`, one function,
/// code: no locals, 3 × `v128.const` (0xfd 0x0c + 16 bytes), relaxed_madd (0xfd 0x85 0x02), end.
#[rustfmt::skip]
const RELAXED_SIMD_PROBE: [u8; 82] = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // magic, version
    1, 5, 1, 0x60, 0, 1, 0x7b, // type section: func () -> v128
    3, 2, 1, 0, // function section: one function of type 0
    10, 61, 1, 59, 0, // code section: one body of 59 bytes, no locals
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd, end
];

/// The worker build to load: the relaxed-SIMD one where the browser validates relaxed SIMD.
fn worker_script() -> &'static str {
    let probe = js_sys::Uint8Array::from(&RELAXED_SIMD_PROBE[..]);
    match js_sys::WebAssembly::validate(&probe.into()) {
        Ok(true) => "./worker_relaxed_loader.js",
        _ => "./worker_loader.js",
    }
}

/// A `FromWorker::Checkpoint` message read without serde: its bytes stay a `Uint8Array` (an
/// MNIST checkpoint is 1.3 MB; decoding it through serde took ~50 ms of the main thread).
fn checkpoint_message(data: &JsValue) -> Option<(Experiment, u64, js_sys::Uint8Array)> {
    let get = |key: &str| js_sys::Reflect::get(data, &key.into()).ok();
    if get("kind")?.as_string()? != "checkpoint" {
        return None;
    }
    let experiment = serde_wasm_bindgen::from_value(get("experiment")?).ok()?;
    let epoch = get("epoch")?.as_f64()? as u64;
    let bytes = get("bytes")?.dyn_into::<js_sys::Uint8Array>().ok()?;
    Some((experiment, epoch, bytes))
}

/// A new training worker, listened to.
fn spawn_worker(page: &Rc<Page>) -> Result<Worker, JsValue> {
    let worker = Worker::new_with_options(worker_script(), &web_sys::WorkerOptions::new())?;
    listen_to_worker(page, &worker);
    Ok(worker)
}

/// Routes the worker's messages to the page while it is the current one; a panic it reports
/// or an error event (a trap, memory exhausted) replaces it.
fn listen_to_worker(page: &Rc<Page>, worker: &Worker) {
    let generation = page.generation.get();
    let p = page.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if p.generation.get() != generation {
            return;
        }
        let data = e.data();
        if let Some(checkpoint) = checkpoint_message(&data) {
            p.app.borrow_mut().checkpoint = Some(checkpoint);
            return;
        }
        match serde_wasm_bindgen::from_value::<FromWorker>(data) {
            Ok(FromWorker::Crashed { message }) => p.restart_worker(&message),
            Ok(msg) => p.on_worker(msg),
            Err(err) => set_text("error", &format!("unexpected message from the worker: {err}")),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let p = page.clone();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        e.prevent_default();
        if p.generation.get() == generation {
            p.restart_worker(&e.message());
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
}

pub fn start() -> Result<(), JsValue> {
    // A shared link carries the experiment in the fragment; apply it before the first Reset.
    let hash = web_sys::window().map(|w| w.location().hash().unwrap_or_default()).unwrap_or_default();
    let (linked, link_error) = match hash.trim_start_matches('#') {
        "" => (None, None),
        query => match Experiment::from_query(query) {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(format!("the link's settings were not applied: {e}"))),
        },
    };
    if let Some(e) = &link_error {
        set_text("error", e);
    }
    show_experiment(&linked.unwrap_or_else(|| Experiment::defaults_for("mnist")));
    let options = web_sys::WorkerOptions::new();
    let worker = Worker::new_with_options(worker_script(), &options)?;
    let app = App { link_error, ..App::default() };
    let page = Rc::new(Page {
        app: RefCell::new(app),
        worker: RefCell::new(worker),
        generation: 0.into(),
        render_pending: false.into(),
        slowest_update_ms: 0.0.into(),
    });
    listen_to_worker(&page, &page.worker.borrow());

    let p = page.clone();
    on("train", "click", move || {
        if p.app.borrow().dirty && !p.reset() {
            return;
        }
        p.send(&ToWorker::Play);
    });
    let p = page.clone();
    on("pause", "click", move || p.send(&ToWorker::Pause));
    let p = page.clone();
    on("step", "click", move || {
        if p.app.borrow().dirty && !p.reset() {
            return;
        }
        p.send(&ToWorker::Step);
    });
    let p = page.clone();
    on("reset", "click", move || {
        p.reset();
    });
    let p = page.clone();
    on("dataset", "change", move || {
        let mut e = Experiment::defaults_for(&select_value("dataset"));
        e.seed = input_value("seed").trim().parse().unwrap_or(1);
        show_experiment(&e);
        p.reset();
    });
    let p = page.clone();
    on("export", "click", move || p.send(&ToWorker::Export));
    let p = page.clone();
    on("data-file", "change", move || {
        let input = by_id::<web_sys::HtmlInputElement>("data-file");
        if let Some(files) = input.files() {
            send_files(&p, files);
        }
        input.set_value("");
    });
    let p = page.clone();
    on_event("drop-zone", "drop", move |e| {
        e.prevent_default();
        let _ = by_id::<web_sys::Element>("drop-zone").class_list().remove_1("over");
        if let Some(files) = e.dyn_ref::<web_sys::DragEvent>().and_then(|d| d.data_transfer()).and_then(|t| t.files()) {
            send_files(&p, files);
        }
    });
    on_event("drop-zone", "dragover", |e| {
        e.prevent_default();
        let _ = by_id::<web_sys::Element>("drop-zone").class_list().add_1("over");
    });
    on_event("drop-zone", "dragleave", |_| {
        let _ = by_id::<web_sys::Element>("drop-zone").class_list().remove_1("over");
    });
    let p = page.clone();
    on("load-url", "click", move || {
        let mut e = Experiment::defaults_for("url");
        e.data = DataChoice::Url { url: input_value("data-url").trim().to_string(), label: label_choice() };
        e.seed = input_value("seed").trim().parse().unwrap_or(1);
        show_experiment(&e);
        set_hidden("load-box", false);
        set_text("load-status", "Connecting…");
        p.reset();
    });
    let p = page.clone();
    on("cancel-load", "click", move || p.send(&ToWorker::CancelLoad));
    let p = page.clone();
    on_event("confusion", "click", move |e| {
        let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let Some(button) = target.and_then(|t| t.closest("button.cell").ok().flatten()) else { return };
        let attr = |name: &str| button.get_attribute(name).and_then(|v| v.parse::<u32>().ok());
        if let (Some(truth), Some(predicted)) = (attr("data-truth"), attr("data-predicted")) {
            p.send(&ToWorker::ShowCell { truth, predicted });
        }
    });
    let p = page.clone();
    images::wire_drawing(move |ink, width, height| p.send(&ToWorker::Predict { ink: Bytes::from(ink), width, height }));
    let p = page.clone();
    on("import", "change", move || {
        let input = by_id::<web_sys::HtmlInputElement>("import");
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let (name, p) = (file.name(), p.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buf) => {
                    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                    p.send(&ToWorker::Import { name, bytes: Bytes::from(bytes) });
                }
                Err(_) => set_text("error", &format!("{name}: the file could not be read")),
            }
        });
        input.set_value("");
    });
    for id in ["samples", "noise", "train-ratio", "seed", "normalisation"] {
        let p = page.clone();
        on(id, "change", move || {
            p.reset();
        });
    }
    on("optimizer", "change", || hyper::show(&select_value("optimizer"), &[]));
    on_event("hyper-fields", "change", {
        let p = page.clone();
        move |_| p.app.borrow_mut().dirty = true
    });
    for id in ["optimizer", "batch", "epochs", "backend", "weight-decay", "l1", "l2", "schedule"] {
        let p = page.clone();
        on(id, "change", move || {
            p.app.borrow_mut().dirty = true;
            update_param_count(p.app.borrow().summary.as_ref(), false);
        });
    }
    let p = page.clone();
    layers::wire(move || {
        p.app.borrow_mut().dirty = true;
        update_param_count(p.app.borrow().summary.as_ref(), false);
    });
    on("noise", "input", || set_text("noise-value", &input_value("noise")));
    on("train-ratio", "input", || set_text("train-ratio-value", &format!("{} %", input_value("train-ratio"))));
    let p = page.clone();
    on("lr", "change", move || match parse_num::<f64>("lr", "learning rate") {
        Ok(lr) if lr > 0.0 && lr.is_finite() => {
            set_text("error", "");
            p.send(&ToWorker::SetLr { lr });
        }
        _ => set_text("error", &format!("learning rate '{}' must be a positive number", input_value("lr"))),
    });
    let p = page.clone();
    on("log-scale", "change", move || render(&p.app.borrow()));
    let p = page.clone();
    on("smoothing", "input", move || {
        set_text("smoothing-value", &input_value("smoothing"));
        render(&p.app.borrow());
    });
    Ok(())
}
