//! The worker's life as the page sees it: ready (the first Reset, a restore or a resume goes
//! out only then), failed (a replacement restores the data and the last checkpoint), resumed;
//! and the device line that says where training runs.

use super::*;

/// The worker failed: a replacement gets the data and the last checkpoint back (see `Ready`).
/// A threaded worker (no `one_thread_reason` yet) is replaced by a single-thread one, so a
/// failure that only threads cause does not repeat.
pub(super) fn worker_failed(app: &mut App, reason: &str, out: &mut Vec<Effect>) {
    (app.ready, app.running, app.restoring) = (false, false, true);
    // files being read and a Reset being built went with the worker: the replacement restores
    // the data and model before
    app.pending.clear();
    if app.one_thread_reason.is_none() {
        app.one_thread_reason =
            Some(format!("the threaded worker failed ({reason}), so its replacement has one thread"));
    }
    app.restarts += 1;
    out.push(Effect::Render);
    if app.restarts > MAX_RESTARTS {
        return out.push(text(
            "error",
            format!(
                "The training worker failed again ({reason}); it was restarted {MAX_RESTARTS} times already. Reload the page."
            ),
        ));
    }
    out.push(Effect::ReplaceWorker);
    let what = match &app.checkpoint {
        Some((_, epoch)) => format!("restoring the data and the model saved after epoch {epoch}…"),
        None => "reloading the data (no epoch had finished, so the model starts afresh)…".to_string(),
    };
    out.push(text("error", format!("The training worker failed ({reason}). A new one was started; {what}")));
    out.push(text("stats", "Restarting the training worker…"));
}

/// What a replacement worker continues from: the checkpoint's experiment, else the last one.
pub(super) fn restore(app: &mut App, out: &mut Vec<Effect>) {
    let experiment = app.checkpoint.as_ref().map(|c| c.0.clone()).or_else(|| app.experiment.clone());
    let Some(experiment) = experiment else {
        app.restoring = false;
        reset(app, out);
        return;
    };
    let with_files = matches!(experiment.data, DataChoice::File { .. }) && app.has_files;
    out.push(Effect::PostRestore { experiment, with_files, with_checkpoint: app.checkpoint.is_some() });
}

pub(super) fn worker_ready(
    app: &mut App,
    backend: String,
    notice: Option<String>,
    resume: Option<Resume>,
    out: &mut Vec<Effect>,
) {
    app.ready = true;
    // a worker drops what was sent before it ran: none of it will be answered
    app.pending.clear();
    out.push(text("backend-status", device_line(app, &backend, notice.as_deref())));
    out.push(Effect::Render);
    // The worker drops messages that arrive before its wasm runs, so the first Reset
    // goes out only now, and a Train or Step pressed before it right after.
    let set_up = match resume {
        _ if app.restoring => {
            restore(app, out);
            true
        }
        // the link the page was opened with names another experiment: that one starts (the
        // stored checkpoint goes once it is ready), and the page says what happened to it
        Some(r) if app.linked.as_ref().is_some_and(|q| *q != r.experiment.to_query()) => {
            app.link_error = Some(format!(
                "This browser kept a checkpoint of another experiment (after epoch {}); the link's experiment starts instead and replaces it.",
                r.epoch
            ));
            reset(app, out)
        }
        // a reload whose address holds another model than the checkpoint (another tab's)
        Some(r) if app.reloaded.as_ref().is_some_and(|e| !same_model(e, &r.experiment)) => {
            app.link_error = Some(format!(
                "This browser's checkpoint (after epoch {}) is of another experiment, saved in another tab or window; this page's experiment starts instead and replaces it.",
                r.epoch
            ));
            reset(app, out)
        }
        Some(r) => {
            app.experiment = Some(r.experiment.clone());
            out.push(Effect::View(View::Link(r.experiment.clone(), app.chart.clone())));
            show_form(app, r.experiment, out);
            out.push(text("stats", format!("Resuming the checkpoint saved after epoch {}…", r.epoch)));
            out.push(Effect::Send(ToWorker::Resume));
            true
        }
        None => reset(app, out),
    };
    if let (Some(start), true) = (app.start_when_ready.take(), set_up) {
        out.push(Effect::Send(start));
    }
    if let Some(e) = app.link_error.take() {
        out.push(text("error", e));
    }
    // a link with a race starts it again
    if let (Some(preset), None) = (app.chart.race, &app.race) {
        race_msgs::start(app, Ok(preset), out);
    } else if let (Some(spec), None) = (app.chart.sweep.clone(), &app.sweep) {
        for (id, text) in
            ["sweep-lrs", "sweep-widths", "sweep-batches", "sweep-optimizers"].into_iter().zip(spec.texts())
        {
            out.push(Effect::View(View::Value(id, text)));
        }
        let cores = app.cores;
        sweep_msgs::start(app, Ok(spec), cores, out);
    }
}

/// Whether two experiments build the same model on the same data: what only a Reset changes
/// (a learning rate, a penalty or a dropout rate changes mid-run, and the address with it).
fn same_model(a: &Experiment, b: &Experiment) -> bool {
    let layers = |e: &Experiment| e.layers.iter().map(|l| (l.width, l.activation)).collect::<Vec<_>>();
    a.data == b.data && layers(a) == layers(b)
}

/// "Training device: cpu (simd128, 4 threads). …", and on the CPU with one thread, why.
pub(super) fn device_line(app: &App, backend: &str, notice: Option<&str>) -> String {
    let mut line = format!("Training device: {backend}.");
    if let Some(n) = notice {
        line = format!("{line} {n}");
    }
    if let (Some(why), true) = (&app.one_thread_reason, backend.starts_with("cpu")) {
        line = format!("{line} One CPU thread: {why}.");
    }
    line
}

pub(super) fn resumed(app: &mut App, epoch: u64, step: u64, out: &mut Vec<Effect>) {
    (app.step, app.epoch, app.dirty) = (step, epoch, false);
    if app.restoring {
        app.restoring = false;
        // the steps trained between the checkpoint and the failure are gone
        app.losses.truncate_after(step);
        app.test_losses.retain(|p| p.0 <= step);
        app.scores.retain(|s| s.0 <= epoch);
        Rc::make_mut(&mut app.health).truncate_after(step);
        app.health_version = app.health_version.wrapping_add(1);
        out.push(text(
            "error",
            format!(
                "The training worker failed and was replaced. Restored: the data and the model after epoch {epoch} (step {step}); press Train to continue."
            ),
        ));
    }
    let epochs = if epoch == 1 { "epoch" } else { "epochs" };
    out.push(text(
        "stats",
        format!("Resumed from the checkpoint: {epoch} {epochs} done, step {step}. Press Train to continue."),
    ));
    out.push(text("announcer", format!("Resumed training after epoch {epoch}.")));
    out.push(Effect::Render);
}
