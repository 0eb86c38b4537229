//! A sweep's messages: starting one from its form (a pool of workers, the race's lane workers),
//! each worker taking the next waiting run when its run is done, sorting, cancelling, and
//! loading a run into the playground. The state is `app::sweep`.

use super::*;
use crate::app::sweep::{SortBy, Sweep, SweepSpec, pool_size};

pub(super) fn start(app: &mut App, spec: Result<SweepSpec, String>, cores: usize, out: &mut Vec<Effect>) {
    let (spec, e) = match (spec, &app.form) {
        (Ok(spec), Ok(e)) if !matches!(e.data, DataChoice::File { .. }) => (spec, e.clone()),
        (Ok(_), Ok(_)) => {
            return out
                .push(text("error", "a sweep loads its data in each worker: choose a built-in dataset or a URL"));
        }
        (Err(why), _) => return out.push(text("error", why)),
        (_, Err(why)) => return out.push(text("error", why.clone())),
    };
    let runs = match spec.runs(&e) {
        Ok(r) => r,
        Err(why) => return out.push(text("error", why)),
    };
    (app.chart.race, app.chart.sweep) = (None, Some(spec));
    out.push(Effect::View(View::Link(e, app.chart.clone())));
    let workers = pool_size(cores, runs.len());
    app.race = None;
    out.push(Effect::StartRace(workers));
    out.push(hidden("sweep-results", false));
    out.push(text("announcer", format!("Sweep started: {} runs on {workers} workers.", runs.len())));
    app.sweep = Some(Rc::new(Sweep::new(runs, workers)));
    changed(app, out);
}

pub(super) fn cancel(app: &mut App, out: &mut Vec<Effect>) {
    if let Some(s) = app.sweep.as_mut() {
        Rc::make_mut(s).cancelled = true;
        out.push(Effect::StopRace);
        // a cancelled sweep no longer starts again from the link
        app.chart.sweep = None;
        if let Some(e) = &app.experiment {
            out.push(Effect::View(View::Link(e.clone(), app.chart.clone())));
        }
        changed(app, out);
    }
}

pub(super) fn sort(app: &mut App, by: SortBy, out: &mut Vec<Effect>) {
    if let Some(s) = app.sweep.as_mut() {
        Rc::make_mut(s).sort = by;
        changed(app, out);
    }
}

/// Puts run `i`'s experiment into the playground and builds it there.
pub(super) fn load(app: &mut App, i: usize, out: &mut Vec<Effect>) {
    let Some(e) = app.sweep.as_ref().and_then(|s| s.runs.get(i)).map(|r| r.experiment.clone()) else { return };
    // the run's link is the run, not the whole grid again
    app.chart.sweep = None;
    show_form(app, e, out);
    reset(app, out);
    out.push(text("announcer", format!("Run {} loaded into the playground.", i + 1)));
}

/// A message from pool worker `worker`.
pub(super) fn worker_message(app: &mut App, worker: usize, msg: FromWorker, out: &mut Vec<Effect>) {
    let Some(s) = app.sweep.as_mut() else { return };
    let s = Rc::make_mut(s);
    let next = |s: &mut Sweep, out: &mut Vec<Effect>| {
        if let Some((_, experiment)) = s.take_next(worker) {
            out.push(Effect::SendLane(worker, ToWorker::Reset { experiment }));
        }
    };
    match msg {
        FromWorker::Ready { .. } => {
            out.push(Effect::SendLane(worker, ToWorker::RaceLane));
            next(s, out);
        }
        FromWorker::DataLoaded { summary, .. } => {
            s.regression = summary.class_names.is_empty();
            out.push(Effect::SendLane(worker, ToWorker::Play));
        }
        FromWorker::Epoch { epoch, test_loss, test_score, .. } => {
            if s.epoch_done(worker, epoch, test_loss, test_score) {
                next(s, out);
            }
        }
        FromWorker::Error { message } => {
            s.failed(worker, message);
            next(s, out);
        }
        // the worker went back to the weights before the loss broke and stopped there
        FromWorker::RolledBack { message, .. } => {
            s.failed(worker, format!("diverged: {message}"));
            next(s, out);
        }
        // the worker is gone (or never started): its run failed and it takes no other
        FromWorker::Crashed { message } => {
            s.failed(worker, message);
            s.retire(worker);
        }
        _ => return,
    }
    if s.finished() {
        out.push(Effect::StopRace);
    }
    changed(app, out);
}

/// The sweep changed: its status line and progress, and a redraw.
fn changed(app: &mut App, out: &mut Vec<Effect>) {
    let Some(s) = &app.sweep else { return };
    let (done, total) = (s.done_count(), s.runs.len());
    let status = match (s.cancelled, s.finished()) {
        (true, _) => format!("Cancelled: {done} of {total} runs done."),
        (false, true) => format!("All {total} runs done on {} workers. Sort the table, or load a run.", s.workers),
        (false, false) => format!("{done} of {total} runs done, {} workers training.", s.workers),
    };
    out.push(text("sweep-status", status));
    out.push(Effect::View(View::Meter("sweep-progress", done as f64, total as f64)));
    app.sweep_version = app.sweep_version.wrapping_add(1);
    out.push(Effect::Render);
}
