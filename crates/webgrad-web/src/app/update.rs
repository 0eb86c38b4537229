//! The page's one update: every event (a control, a button, a worker message, a worker failure)
//! is a `Msg`; `update` changes the `App` and returns the `Effect`s to carry out — messages to the
//! worker and views to show — which the shell runs after the state is released. No DOM here.

use std::rc::Rc;

use webgrad_nn::Report;

use super::cost::DeviceInfo;
use super::state::{App, ChartOptions, Diagram, EPOCH_POINTS, MAX_RESTARTS, Pending, Pictures};
use crate::loss_history::thin_epochs;
use crate::protocol::*;
use cost_lines::{measure_flop_rate, model_size};
use data::data_loaded;
use lifecycle::{device_line, resumed, worker_failed, worker_ready};

/// Everything that can happen to the page.
#[derive(Debug)]
pub enum Msg {
    /// A message from the current worker (`Checkpoint` and `Crashed` come as their own `Msg`s).
    Worker(FromWorker),
    /// The worker saved a checkpoint (its bytes stay with the shell).
    CheckpointSaved {
        experiment: Experiment,
        epoch: u64,
    },
    /// The worker failed: a panic it reported, a trap, memory exhausted.
    WorkerFailed {
        reason: String,
    },
    /// The threaded worker failed before it was ready (its module, its pool): the page says
    /// why and starts the single-thread worker instead.
    ThreadsFailed {
        reason: String,
    },
    /// A replacement worker could not be started.
    WorkerNotStarted {
        reason: String,
    },
    /// A control of the model or the run changed: the controls, read again.
    Edited(Result<Experiment, String>),
    /// A control of the data changed (samples, noise, split, seed, normalisation): load again.
    DataEdited(Result<Experiment, String>),
    DatasetChosen {
        dataset: String,
        seed: u64,
    },
    LoadUrl {
        url: String,
        label: Option<String>,
        missing: MissingPolicy,
        seed: u64,
    },
    /// Files were picked or dropped (the shell holds them); `dataset` is the data choice shown.
    FilesChosen {
        names: Vec<String>,
        label: Option<String>,
        missing: MissingPolicy,
        dataset: String,
    },
    /// A model file to import was read (or could not be).
    ImportRead {
        name: String,
        bytes: Result<Vec<u8>, String>,
    },
    /// The learning rate changed: it applies from the next step, without a reset.
    LrChanged {
        lr: Result<f64, String>,
        form: Result<Experiment, String>,
    },
    ChartOptions(ChartOptions),
    /// The pointer moved over the network diagram, or clicked it, at (x, y) in canvas pixels
    /// of a `width` × `height` canvas.
    DiagramPointer {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        click: bool,
    },
    /// The plane was clicked at (x, y) in canvas pixels of a `width` × `height` canvas; `target`
    /// is the class or value chosen for new points.
    PlaneClick {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        target: Result<f32, String>,
    },
    /// The weight editor's value, read when it was submitted.
    SetWeight(Result<f32, String>),
    /// A hidden unit's picture was hovered or focused: draw it large.
    FocusUnit {
        layer: usize,
        unit: usize,
    },
    /// A new sample of the 2-D dataset: the next data seed (the model's seed stays).
    Regenerate,
    /// Start a race of the form's experiment (`app::race`), or stop it.
    RaceStart(Result<super::race::RacePreset, String>),
    RaceStop,
    /// Start a sweep of the form's experiment over the grid; `cores` = the browser's
    /// `hardwareConcurrency`.
    SweepStart {
        spec: Result<super::sweep::SweepSpec, String>,
        cores: usize,
    },
    SweepCancel,
    SweepSort(super::sweep::SortBy),
    /// Load sweep run `i` (0-based) into the playground.
    SweepLoad(usize),
    /// A message from lane `lane`'s worker of the race.
    RaceWorker {
        lane: usize,
        msg: FromWorker,
    },
    /// Inspect the next step at unit `unit` of linear layer `layer` (0-based), read from the
    /// inspector's inputs (1-based there).
    InspectStep(Result<(usize, usize), String>),
    /// Check the model's gradients with this step (the button or the ε slider).
    GradCheck {
        eps: f32,
    },
    Train,
    Pause,
    Step,
    /// The Reset button, with the controls read again.
    Reset(Result<Experiment, String>),
    CancelLoad,
    Export,
    ExportTorch,
    /// "Embed": the page's address without its fragment, and which panels the embed shows
    /// (`state::PANELS` but share).
    Embed {
        page_url: String,
        show: [bool; 5],
    },
    ShowCell {
        truth: u32,
        predicted: u32,
    },
    Predict {
        ink: Vec<u8>,
        width: usize,
        height: usize,
    },
}

/// The unit pictures' captions: outputs over the plane (2-D data), incoming weights (images).
const UNIT_OUTPUTS_CAPTION: &str = "What each hidden unit computes: its output at every point of the input plane. \
    Blue = positive, orange = negative, white = zero; one colour scale per layer; a dashed border marks a unit \
    whose output is the same everywhere. Hover or focus a unit to see it large.";
const INPUT_WEIGHTS_CAPTION: &str = "What each first-layer unit looks for: its incoming weights, one per pixel. \
    Blue = positive (ink there raises the unit's input), orange = negative (ink there lowers it), white = zero; \
    each image scaled to its own largest weight. Redrawn after every epoch. Hover or focus a unit to see it large.";

/// What the shell does after an update.
#[derive(Debug, PartialEq)]
pub enum Effect {
    Send(ToWorker),
    /// Post the files just chosen with this experiment; they stay aside until the worker has
    /// loaded them (`KeepPostedFiles`).
    PostNewFiles(Experiment),
    /// The files last posted loaded: they become the data a replacement worker gets back.
    KeepPostedFiles,
    /// A replacement worker continues: from the kept files (for local data) or the experiment's
    /// own data, and from the kept checkpoint's bytes when `with_checkpoint`.
    PostRestore {
        experiment: Experiment,
        with_files: bool,
        with_checkpoint: bool,
    },
    /// Stop the worker and start a new one (which says `Ready`).
    ReplaceWorker,
    /// Stop any race workers and start this many (each says `Ready`).
    StartRace(usize),
    /// A message to one race lane's worker.
    SendLane(usize, ToWorker),
    StopRace,
    View(View),
    /// Draw the charts and buttons in the next animation frame.
    Render,
}

/// The DOM changes an update asks for (`views::show` carries them out).
#[derive(Debug, PartialEq)]
pub enum View {
    /// Set the text of the element with this id.
    Text(&'static str, String),
    Hidden(&'static str, bool),
    /// The load progress bar: (bytes, total), or unknown total.
    LoadProgress(Option<(f64, f64)>),
    /// Put an experiment into the controls.
    Experiment(Experiment),
    /// Keep the experiment and the chart options in the address bar.
    Link(Experiment, ChartOptions),
    /// The model's hidden layers into the layer builder.
    Layers(Vec<HiddenLayer>),
    Preview(Option<Preview>),
    Table {
        id: &'static str,
        title: String,
        preview: Preview,
    },
    Classification(webgrad_nn::metrics::ClassificationReport),
    HideEvaluation,
    /// The network diagram, with the names of its inputs (a plane's features).
    Diagram(Diagram, Vec<String>),
    Activations(Vec<LayerHistogram>),
    /// Set a `<progress>` element: (id, value, max).
    Meter(&'static str, f64, f64),
    /// The health alerts, newest first (replacing those shown): each line's text, and whether
    /// its condition is over (drawn muted).
    Alerts(Vec<(String, bool)>),
    GradCheck(webgrad_nn::gradcheck::GradCheck),
    Inspection(webgrad_nn::inspect::StepInspection),
    /// Set the value of the input with this id.
    Value(&'static str, String),
    /// Replace the options of the select with this id: (value, text) pairs.
    Options(&'static str, Vec<(String, String)>),
    Gallery(Vec<GalleryItem>),
    Fit(Vec<(f32, f32)>),
    Prediction(Vec<(String, f32)>),
    ExportLinks {
        safetensors: Bytes,
        json: String,
    },
    /// The `<iframe>` snippet into the embed-code box (as its value: text, never HTML).
    EmbedCode(String),
    /// A download link for the zipped PyTorch project named `name`.
    TorchProject {
        zip: Bytes,
        name: String,
    },
}

fn text(id: &'static str, s: impl Into<String>) -> Effect {
    Effect::View(View::Text(id, s.into()))
}

fn hidden(id: &'static str, hidden: bool) -> Effect {
    Effect::View(View::Hidden(id, hidden))
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut out = Vec::new();
    match msg {
        Msg::Worker(m) => worker_message(app, m, &mut out),
        Msg::CheckpointSaved { experiment, epoch } => app.checkpoint = Some((experiment, epoch)),
        Msg::WorkerFailed { reason } => worker_failed(app, &reason, &mut out),
        Msg::ThreadsFailed { reason } => {
            app.one_thread_reason = Some(format!("the threaded worker did not start ({reason})"));
            out.push(Effect::ReplaceWorker);
        }
        Msg::WorkerNotStarted { reason } => out.push(text(
            "error",
            format!("The training worker failed ({reason}) and could not be restarted. Reload the page."),
        )),
        Msg::Edited(form) => {
            app.form = form;
            app.dirty = true;
            model_size(app, false, &mut out);
        }
        Msg::DataEdited(form) => {
            app.form = form;
            reset(app, &mut out);
        }
        Msg::Regenerate => {
            if let Ok(mut e) = app.form.clone()
                && let DataChoice::Synthetic { seed, .. } = &mut e.data
            {
                *seed = seed.wrapping_add(1);
                show_form(app, e, &mut out);
                reset(app, &mut out);
            }
        }
        Msg::DatasetChosen { dataset, seed } => {
            let mut e = Experiment::defaults_for(&dataset);
            e.seed = seed;
            if let DataChoice::Synthetic { seed: data_seed, .. } = &mut e.data {
                *data_seed = seed;
            }
            show_form(app, e, &mut out);
            reset(app, &mut out);
        }
        Msg::LoadUrl { url, label, missing, seed } => {
            let mut e = Experiment::defaults_for("url");
            e.data = DataChoice::Url { url: url.trim().to_string(), label, missing };
            e.seed = seed;
            show_form(app, e, &mut out);
            out.push(hidden("load-box", false));
            out.push(text("load-status", "Connecting…"));
            reset(app, &mut out);
        }
        Msg::FilesChosen { names, label, missing, dataset } => {
            files_chosen(app, names, (label, missing), &dataset, &mut out)
        }
        Msg::ImportRead { name, bytes } => match bytes {
            Ok(bytes) => out.push(Effect::Send(ToWorker::Import { name, bytes: Bytes::from(bytes) })),
            Err(e) => out.push(text("error", format!("{name}: {e}"))),
        },
        Msg::LrChanged { lr, form } => lr_changed(app, lr, form, &mut out),
        Msg::ChartOptions(mut options) => {
            (options.race, options.sweep, options.hide) = (app.chart.race, app.chart.sweep.take(), app.chart.hide);
            app.chart = options;
            if let Some(e) = &app.experiment {
                out.push(Effect::View(View::Link(e.clone(), app.chart.clone())));
            }
            out.push(Effect::Render);
        }
        Msg::DiagramPointer { x, y, width, height, click } => {
            weights::pointer(app, (x, y), (width, height), click, &mut out)
        }
        Msg::SetWeight(value) => weights::set(app, value, &mut out),
        Msg::PlaneClick { x, y, width, height, target } => plane::click(app, (x, y), (width, height), target, &mut out),
        Msg::FocusUnit { layer, unit } => {
            app.focused_unit = (layer, unit);
            app.pictures_version = app.pictures_version.wrapping_add(1);
            out.push(Effect::Render);
        }
        Msg::Train | Msg::Step => {
            let start = if matches!(msg, Msg::Train) { ToWorker::Play } else { ToWorker::Step };
            if !app.ready {
                app.start_when_ready = Some(start);
                out.push(text("stats", "Training starts as soon as the worker is ready…"));
            } else if !app.dirty || reset(app, &mut out) {
                out.push(Effect::Send(start));
            }
        }
        Msg::Reset(form) => {
            app.form = form;
            reset(app, &mut out);
        }
        Msg::Pause => out.push(Effect::Send(ToWorker::Pause)),
        Msg::RaceStart(preset) => race_msgs::start(app, preset, &mut out),
        Msg::RaceStop => race_msgs::stop(app, &mut out),
        Msg::SweepStart { spec, cores } => sweep_msgs::start(app, spec, cores, &mut out),
        Msg::SweepCancel => sweep_msgs::cancel(app, &mut out),
        Msg::SweepSort(by) => sweep_msgs::sort(app, by, &mut out),
        Msg::SweepLoad(i) => sweep_msgs::load(app, i, &mut out),
        Msg::RaceWorker { lane, msg } => race_msgs::lane_message(app, lane, msg, &mut out),
        Msg::InspectStep(request) => tools::inspect(request, &mut out),
        Msg::GradCheck { eps } => tools::grad_check(eps, &mut out),
        Msg::Embed { page_url, show } => tools::embed(app, &page_url, show, &mut out),
        Msg::CancelLoad => out.push(Effect::Send(ToWorker::CancelLoad)),
        Msg::Export => out.push(Effect::Send(ToWorker::Export)),
        Msg::ExportTorch => out.push(Effect::Send(ToWorker::ExportTorch)),
        Msg::ShowCell { truth, predicted } => out.push(Effect::Send(ToWorker::ShowCell { truth, predicted })),
        Msg::Predict { ink, width, height } => {
            out.push(Effect::Send(ToWorker::Predict { ink: Bytes::from(ink), width, height }))
        }
    }
    out
}

/// Puts `e` into the controls; it is the form from now on.
fn show_form(app: &mut App, e: Experiment, out: &mut Vec<Effect>) {
    out.push(Effect::View(View::Experiment(e.clone())));
    app.form = Ok(e);
}

/// Sends Reset with the form's experiment; false (and the error shown) if it is invalid.
fn reset(app: &mut App, out: &mut Vec<Effect>) -> bool {
    let experiment = match &app.form {
        Ok(e) => e.clone(),
        Err(e) => {
            out.push(text("error", e.clone()));
            return false;
        }
    };
    out.push(text("error", ""));
    forget_curves(app, out);
    app.dirty = false;
    out.push(Effect::View(View::HideEvaluation));
    out.push(text("accuracy", "Train for an epoch to see the test metrics."));
    out.push(text("stats", "Loading the data and building the model…"));
    app.resetting = true;
    // the link and the experiment change once the worker has built the new model (`answered`):
    // a Reset it refuses leaves the model before, which a restart, a reload and the link must
    // keep describing
    app.pending.push_back(Pending::Reset(experiment.clone()));
    out.push(Effect::Send(ToWorker::Reset { experiment }));
    out.push(Effect::Render);
    true
}

/// A new model: the curves, health readings and alerts of the last one go.
fn forget_curves(app: &mut App, out: &mut Vec<Effect>) {
    app.clear_history();
    out.push(hidden("health-figure", true));
    out.push(Effect::View(View::Alerts(Vec::new())));
}

/// `reading`: the label column and what missing cells do.
fn files_chosen(
    app: &mut App,
    names: Vec<String>,
    reading: (Option<String>, MissingPolicy),
    dataset: &str,
    out: &mut Vec<Effect>,
) {
    if names.is_empty() {
        return;
    }
    // one load of files at a time (the shell holds one set aside until it loads), none while a
    // replacement worker restores the data before
    if app.pending.iter().any(|p| matches!(p, Pending::Files(_))) || app.restoring {
        let why = "The data chosen before is still loading; choose these files again once it has loaded.";
        return out.push(text("error", why));
    }
    let mut experiment = match &app.form {
        Ok(e) => e.clone(),
        Err(e) => return out.push(text("error", e.clone())),
    };
    let name = names.join(" + ");
    let (label, missing) = reading;
    experiment.data = DataChoice::File { name: name.clone(), label, missing };
    // a new kind of data gets the tabular defaults unless the person already left MNIST/2-D
    if dataset != "file" {
        let defaults = Experiment::defaults_for("file");
        (experiment.layers, experiment.lr, experiment.batch, experiment.epochs) =
            (defaults.layers, defaults.lr, defaults.batch, defaults.epochs);
        experiment.normalise = defaults.normalise;
    }
    out.push(text("error", ""));
    out.push(hidden("load-box", false));
    out.push(text("load-status", format!("Reading {name}…")));
    out.push(Effect::PostNewFiles(experiment.clone()));
    // the experiment and files change once the worker has loaded them (`answered`): a file
    // it refuses leaves the data before, which a replacement worker must get back
    app.pending.push_back(Pending::Files(experiment));
}

/// A new learning rate typed while the model is loaded: the worker trains at it from its next
/// step, and the link and an embed say it.
fn lr_changed(app: &mut App, lr: Result<f64, String>, form: Result<Experiment, String>, out: &mut Vec<Effect>) {
    app.form = form;
    match lr {
        Ok(lr) if lr > 0.0 && lr.is_finite() => {
            out.push(text("error", ""));
            out.push(Effect::Send(ToWorker::SetLr { lr }));
            // the worker sets it after a Reset it is still building, too
            for p in app.pending.iter_mut() {
                if let Pending::Reset(e) = p {
                    e.lr = lr;
                }
            }
            if let Some(e) = app.experiment.as_mut() {
                e.lr = lr;
                out.push(Effect::View(View::Link(e.clone(), app.chart.clone())));
            }
        }
        Ok(lr) => out.push(text("error", format!("learning rate '{lr}' must be a positive number"))),
        Err(e) => out.push(text("error", e)),
    }
}

/// The toolbar's line: "3 epochs done, step 750 — loss 0.0123 — 41000 samples/s" (the speed
/// once one was measured).
fn stats_line(app: &App) -> String {
    if app.step == 0 {
        return "Ready. Press Train.".to_string();
    }
    let (epoch, step) = (app.epoch, app.step);
    let epochs = if epoch == 1 { "epoch" } else { "epochs" };
    let loss = app.losses.last().map(|(_, l)| format!(" — loss {l:.4}")).unwrap_or_default();
    let speed = match app.samples_per_sec {
        r if r > 0.0 => format!(" — {r:.0} samples/s"),
        _ => String::new(),
    };
    format!("{epoch} {epochs} done, step {step}{loss}{speed}")
}

fn worker_message(app: &mut App, msg: FromWorker, out: &mut Vec<Effect>) {
    match msg {
        FromWorker::Ready { backend, notice, resume } => worker_ready(app, backend, notice, resume, out),
        FromWorker::Resumed { epoch, step } => resumed(app, epoch, step, out),
        FromWorker::LoadProgress { name, bytes, total, rows } => {
            out.push(hidden("load-box", false));
            let mb = |b: u64| b as f64 / 1e6;
            match total {
                Some(t) if t > 0 => {
                    out.push(Effect::View(View::LoadProgress(Some((bytes as f64, t as f64)))));
                    out.push(text("load-status", format!("{name}: {:.1} of {:.1} MB, {rows} rows", mb(bytes), mb(t))));
                }
                _ => {
                    out.push(Effect::View(View::LoadProgress(None)));
                    out.push(text("load-status", format!("{name}: {:.1} MB, {rows} rows", mb(bytes))));
                }
            }
        }
        FromWorker::UnitMaps { layers } => unit_pictures(app, layers, Pictures::Outputs, out),
        FromWorker::InputWeights(layer) => unit_pictures(app, vec![layer], Pictures::InputWeights, out),
        FromWorker::PointAdded { point, train_rows } => plane::point_added(app, point, train_rows, out),
        FromWorker::Activations { layers } => {
            out.push(hidden("activations-figure", layers.is_empty()));
            out.push(Effect::View(View::Activations(layers)));
        }
        FromWorker::Weights { sizes, units, layers } => {
            out.push(hidden("diagram-figure", false));
            let diagram = Diagram { sizes, units, layers };
            let inputs = app.summary.as_ref().map(|s| s.inputs.clone()).unwrap_or_default();
            out.push(Effect::View(View::Diagram(diagram.clone(), inputs)));
            app.diagram = Some(diagram);
        }
        FromWorker::Gallery { title, items } => {
            out.push(text("images-heading", title));
            out.push(Effect::View(View::Gallery(items)));
            out.push(hidden("images-panel", false));
        }
        FromWorker::Fit { points, outputs } => {
            let which = if outputs > 1 { format!(" (the first of {outputs} outputs)") } else { String::new() };
            let caption = format!(
                "{} test rows{which}: true value across, prediction up. On the dashed line the prediction is exact.",
                points.len()
            );
            out.push(hidden("fit-figure", false));
            out.push(Effect::View(View::Fit(points)));
            out.push(text("fit-caption", caption));
        }
        FromWorker::CellRows { title, preview } => {
            out.push(Effect::View(View::Table { id: "cell-examples", title, preview }))
        }
        FromWorker::Prediction { probabilities } => out.push(Effect::View(View::Prediction(probabilities))),
        FromWorker::Device { backend, notice, buffer_limit } => {
            out.push(text("backend-status", device_line(app, &backend, Some(&notice))));
            app.device = Some(DeviceInfo { backend, buffer_limit });
            model_size(app, !app.dirty, out);
        }
        FromWorker::DataLoaded { summary, model } => data_loaded(app, summary, model, out),
        FromWorker::Answered { built } => data::answered(app, built, out),
        FromWorker::Progress { step, epoch, losses, train_ms, samples, boundary, .. } => {
            for (step, loss) in losses {
                app.losses.push(step, loss);
            }
            (app.step, app.epoch) = (step, epoch);
            if let Some(rate) = app.speed.add(samples, train_ms) {
                app.samples_per_sec = rate;
                measure_flop_rate(app, rate);
            }
            if let Some(b) = boundary {
                app.boundary = Some(Rc::new(b));
            }
            out.push(text("stats", stats_line(app)));
            out.push(Effect::Render);
        }
        msg @ FromWorker::Epoch { .. } => epoch_finished(app, msg, out),
        FromWorker::Running { running } => {
            app.running = running;
            out.push(Effect::Render);
        }
        FromWorker::Exported { safetensors, json } => {
            out.push(Effect::View(View::ExportLinks { safetensors, json }));
            out.push(text("announcer", "The model is ready to download."));
        }
        FromWorker::ExportedTorch { zip, name } => {
            out.push(Effect::View(View::TorchProject { zip, name }));
            out.push(text("announcer", "The PyTorch project is ready to download."));
        }
        FromWorker::Imported { name, model, layers, note, summary } => {
            plane::summary_changed(app, summary, out);
            imported(app, name, model, layers, note, out)
        }
        FromWorker::Error { message } => {
            app.restoring = false;
            out.push(hidden("load-box", true));
            out.push(text("error", message));
            if std::mem::take(&mut app.resetting) {
                // the worker keeps what it had: the data and model before, or nothing yet
                let now = if app.summary.is_some() { "The model before is kept" } else { "Nothing is loaded yet" };
                out.push(text("stats", format!("{now}: change what the message above says and press Reset.")));
            }
        }
        FromWorker::Checkpoint { experiment, epoch, .. } => app.checkpoint = Some((experiment, epoch)),
        FromWorker::Crashed { message } => worker_failed(app, &message, out),
        // the playground's own model needs no proof of its start (races use it)
        FromWorker::ModelBuilt { .. } | FromWorker::LaneWeights { .. } => {}
        FromWorker::Inspection(s) => {
            out.push(text("announcer", format!("Step {} inspected.", s.step)));
            out.push(Effect::View(View::Inspection(s)));
        }
        FromWorker::GradCheck(c) => {
            out.push(text("announcer", "The gradient check is done."));
            out.push(Effect::View(View::GradCheck(c)));
        }
        FromWorker::Health { reading, alerts, cleared } => health::reading(app, reading, alerts, &cleared, out),
        FromWorker::RolledBack { step, epoch, message } => health::rolled_back(app, step, epoch, message, out),
    }
}

/// New unit pictures (`UnitMaps` or `InputWeights`): shown with their caption the first time,
/// drawn at the next frame; the unit in focus stays if it still exists.
fn unit_pictures(app: &mut App, layers: Vec<UnitLayer>, pictures: Pictures, out: &mut Vec<Effect>) {
    if app.unit_pictures.is_none() {
        let caption = match pictures {
            Pictures::Outputs => UNIT_OUTPUTS_CAPTION,
            Pictures::InputWeights => INPUT_WEIGHTS_CAPTION,
        };
        out.push(text("neurons-caption", caption));
        out.push(hidden("neurons-figure", false));
    }
    if layers.get(app.focused_unit.0).is_none_or(|l| l.maps.get(app.focused_unit.1).is_none()) {
        app.focused_unit = (0, 0);
    }
    app.unit_pictures = Some(Rc::new((layers, pictures)));
    app.pictures_version = app.pictures_version.wrapping_add(1);
    out.push(Effect::Render);
}

/// An epoch finished (`FromWorker::Epoch`): its test metrics, curves and announcement.
fn epoch_finished(app: &mut App, msg: FromWorker, out: &mut Vec<Effect>) {
    let FromWorker::Epoch { epoch, train_loss, test_loss, report, train_score, test_score, train_running } = msg else {
        return;
    };
    app.train_running = train_running;
    app.test_losses.push((app.step, test_loss));
    app.scores.push((epoch, train_score, test_score));
    thin_epochs(&mut app.test_losses, EPOCH_POINTS);
    thin_epochs(&mut app.scores, EPOCH_POINTS);
    app.regression = matches!(report, Report::Regression(_));
    let (accuracy, announce) = match report {
        Report::Classification(r) => {
            let percent = 100.0 * r.accuracy;
            out.push(Effect::View(View::Classification(r)));
            (
                format!("Test accuracy: {percent:.2} % (test loss {test_loss:.4}) after epoch {epoch}"),
                format!(
                    "Epoch {epoch}: train loss {train_loss:.4}, test loss {test_loss:.4}, test accuracy {percent:.1} percent."
                ),
            )
        }
        Report::Regression(r) => (
            format!("Test MSE {:.4}, MAE {:.4}, R² {:.4} after epoch {epoch}", r.mse, r.mae, r.r2),
            format!("Epoch {epoch}: train loss {train_loss:.4}, test MSE {:.4}, R squared {:.3}.", r.mse, r.r2),
        ),
    };
    out.push(text("accuracy", accuracy));
    out.push(text("announcer", announce));
    // the time per epoch, from the rate this run measured
    model_size(app, !app.dirty, out);
    out.push(Effect::Render);
}

fn imported(
    app: &mut App,
    name: String,
    model: String,
    layers: Vec<HiddenLayer>,
    note: Option<String>,
    out: &mut Vec<Effect>,
) {
    if let Ok(form) = &mut app.form {
        form.layers = layers.clone();
    }
    // the worker's experiment takes them too (and the link), and its checkpoint of the
    // imported model follows
    if let Some(e) = &mut app.experiment {
        e.layers = layers.clone();
        out.push(Effect::View(View::Link(e.clone(), app.chart.clone())));
    }
    out.push(Effect::View(View::Layers(layers)));
    model_size(app, true, out);
    out.push(text("model-expression", model));
    out.push(text("error", ""));
    app.dirty = false;
    forget_curves(app, out);
    out.push(text("announcer", format!("Imported {name}.")));
    let note = note.map(|n| format!(" Note: {n}.")).unwrap_or_default();
    out.push(text("stats", format!("Imported {name}: evaluated on this data. Train to continue.{note}")));
    out.push(Effect::Render);
}

mod cost_lines;
mod data;
mod health;
mod lifecycle;
mod plane;
mod race_msgs;
mod sweep_msgs;
mod tools;
mod weights;

#[cfg(test)]
mod tests;
