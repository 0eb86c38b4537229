//! The page. One `App` state; worker messages and control events go through its methods,
//! which update the state and re-render. No math here: numbers come from the worker.

mod dom;
mod loss_chart;
mod plane;
mod tables;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlCanvasElement, MessageEvent, Worker};
use webgrad_nn::{Head, LayerConfig, MlpConfig, Report};

use crate::protocol::*;
use dom::*;

#[derive(Default)]
struct App {
    running: bool,
    ready: bool,
    /// Controls changed since the worker last built the model: the next Train/Step resets first.
    dirty: bool,
    losses: Vec<(u64, f32)>,
    test_losses: Vec<(u64, f64)>,
    summary: Option<DataSummary>,
    boundary: Option<Boundary>,
    step: u64,
    epoch: u64,
    samples_per_sec: f64,
}

/// Defaults that suit each kind of data (applied when the dataset changes).
fn defaults_for(dataset: &str) -> (&'static str, &'static str, &'static str, &'static str, &'static str) {
    // hidden, activation, lr, batch, epochs
    if dataset == "mnist" { ("128,64", "relu", "0.001", "64", "5") } else { ("16,16,16", "relu", "0.03", "10", "100") }
}

fn parse_hidden(text: &str) -> Result<Vec<usize>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if (1..=4096).contains(&n) => Ok(n),
            _ => Err(format!("hidden layer width '{}' must be a whole number from 1 to 4096", w.trim())),
        })
        .collect()
}

fn parse_num<T: std::str::FromStr>(id: &str, what: &str) -> Result<T, String> {
    input_value(id).trim().parse::<T>().map_err(|_| format!("{what} '{}' is not a valid number", input_value(id)))
}

/// The experiment the controls describe, or the first thing wrong with them.
fn experiment_from_controls() -> Result<Experiment, String> {
    let dataset = select_value("dataset");
    let seed: u64 = parse_num("seed", "seed")?;
    let data = if dataset == "mnist" {
        DataChoice::Mnist
    } else {
        let samples: usize = parse_num("samples", "samples")?;
        if !(20..=20_000).contains(&samples) {
            return Err(format!("samples must be between 20 and 20,000, got {samples}"));
        }
        let noise = parse_num::<f32>("noise", "noise")? / 100.0;
        let test_fraction = 1.0 - parse_num::<f32>("train-ratio", "training share")? / 100.0;
        DataChoice::Synthetic { name: dataset, samples, noise, test_fraction, seed }
    };
    let lr: f64 = parse_num("lr", "learning rate")?;
    if !(lr > 0.0 && lr.is_finite()) {
        return Err(format!("learning rate must be positive, got {lr}"));
    }
    let batch: usize = parse_num("batch", "batch size")?;
    let epochs: usize = parse_num("epochs", "epochs")?;
    if batch == 0 || epochs == 0 {
        return Err("batch size and epochs must be at least 1".into());
    }
    Ok(Experiment {
        data,
        hidden: parse_hidden(&input_value("hidden"))?,
        activation: select_value("activation"),
        optimizer: select_value("optimizer"),
        lr,
        batch,
        epochs,
        seed,
    })
}

struct Page {
    app: RefCell<App>,
    worker: Worker,
}

impl Page {
    fn send(&self, m: &ToWorker) {
        if let Ok(v) = serde_wasm_bindgen::to_value(m) {
            let _ = self.worker.post_message(&v);
        }
    }

    /// Sends Reset with the current controls; false (and an error shown) if they are invalid.
    fn reset(&self) -> bool {
        match experiment_from_controls() {
            Ok(experiment) => {
                set_text("error", "");
                {
                    let mut app = self.app.borrow_mut();
                    app.losses.clear();
                    app.test_losses.clear();
                    app.dirty = false;
                    app.step = 0;
                    app.epoch = 0;
                }
                tables::hide();
                set_text("accuracy", "Train for an epoch to see the test metrics.");
                set_text("stats", "Loading the data and building the model…");
                self.send(&ToWorker::Reset { experiment });
                true
            }
            Err(e) => {
                set_text("error", &e);
                false
            }
        }
    }

    fn on_worker(&self, msg: FromWorker) {
        // The worker drops messages that arrive before its wasm is running, so the first Reset
        // goes out only once it says Ready.
        let first_ready = matches!(msg, FromWorker::Ready { .. });
        self.apply(msg);
        if first_ready {
            self.reset();
        }
    }

    fn apply(&self, msg: FromWorker) {
        let mut app = self.app.borrow_mut();
        match msg {
            FromWorker::Ready { backend, notice } => {
                app.ready = true;
                let text = match notice {
                    Some(n) => format!("Training device: {backend}. {n}"),
                    None => format!("Training device: {backend}."),
                };
                set_text("backend-status", &text);
            }
            FromWorker::DataLoaded { summary, parameters, model } => {
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
                set_text("param-count", &format!("{parameters} parameters"));
                set_text("model-expression", &model);
                set_hidden("boundary-figure", summary.features != 2);
                set_text("stats", "Ready. Press Train.");
                app.summary = Some(summary);
            }
            FromWorker::Progress { step, epoch, losses, samples_per_sec, boundary } => {
                app.losses.extend(losses);
                app.step = step;
                app.epoch = epoch;
                if samples_per_sec > 0.0 {
                    app.samples_per_sec = samples_per_sec;
                }
                if boundary.is_some() {
                    app.boundary = boundary;
                }
                set_text("stats", &format!("{epoch} epochs done, step {step} — {:.0} samples/s", app.samples_per_sec));
            }
            FromWorker::Epoch { epoch, train_loss, test_loss, report } => {
                let at = app.step;
                app.test_losses.push((at, test_loss));
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
            FromWorker::Error { message } => set_text("error", &message),
        }
        render(&app);
    }
}

fn render(app: &App) {
    set_disabled("train", !app.ready || app.running);
    set_disabled("pause", !app.running);
    set_disabled("step", !app.ready || app.running);
    loss_chart::draw(&by_id::<HtmlCanvasElement>("loss-chart"), &app.losses, &app.test_losses, checked("log-scale"));
    let caption = match (app.losses.first(), app.losses.last()) {
        (Some(first), Some(last)) => {
            format!("Loss: first {:.4}, last {:.4} ({} steps).", first.1, last.1, app.losses.len())
        }
        _ => "Loss: no steps yet.".to_string(),
    };
    set_text("loss-summary", &caption);
    if let (Some(b), Some(s)) = (&app.boundary, &app.summary)
        && s.features == 2
    {
        plane::draw(&by_id::<HtmlCanvasElement>("boundary"), b, &s.points, s.class_names.is_empty());
    }
}

/// Live parameter count for the controls (the same formula the model uses).
fn update_param_count(summary: Option<&DataSummary>) {
    let Some(s) = summary else { return };
    let Ok(hidden) = parse_hidden(&input_value("hidden")) else { return };
    let head = if s.class_names.is_empty() {
        Head::Linear { outputs: 1 }
    } else {
        Head::Softmax { classes: s.class_names.len().max(2) }
    };
    let cfg = MlpConfig {
        input: s.features,
        hidden: hidden
            .into_iter()
            .map(|width| LayerConfig { width, activation: webgrad_nn::ActivationName::Relu, dropout: 0.0 })
            .collect(),
        head,
        init: webgrad_nn::Init::GlorotUniform,
    };
    set_text("param-count", &format!("{} parameters (Reset or Train to apply)", cfg.parameter_count()));
}

pub fn start() -> Result<(), JsValue> {
    let options = web_sys::WorkerOptions::new();
    let worker = Worker::new_with_options("./worker_loader.js", &options)?;
    let page = Rc::new(Page { app: RefCell::new(App::default()), worker });

    let p = page.clone();
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            match serde_wasm_bindgen::from_value::<FromWorker>(e.data()) {
                Ok(msg) => p.on_worker(msg),
                Err(err) => set_text("error", &format!("unexpected message from the worker: {err}")),
            }
        });
    page.worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        set_text("error", &format!("the training worker failed: {}", e.message()));
    });
    page.worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();

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
        let dataset = select_value("dataset");
        set_hidden("synthetic-options", dataset == "mnist");
        let (hidden, act, lr, batch, epochs) = defaults_for(&dataset);
        set_input_value("hidden", hidden);
        set_select_value("activation", act);
        set_input_value("lr", lr);
        set_input_value("batch", batch);
        set_input_value("epochs", epochs);
        p.reset();
    });
    for id in ["samples", "noise", "train-ratio", "seed"] {
        let p = page.clone();
        on(id, "change", move || {
            p.reset();
        });
    }
    for id in ["hidden", "activation", "optimizer", "batch", "epochs"] {
        let p = page.clone();
        on(id, "change", move || {
            p.app.borrow_mut().dirty = true;
            update_param_count(p.app.borrow().summary.as_ref());
        });
    }
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
    Ok(())
}
