//! A race's messages: starting one from the form (a worker per lane), its lanes' workers
//! reporting, and stopping it. The lanes' state is `app::race`; the shell owns their workers.

use super::*;
use crate::app::race::{LANE_STEPS, Race, RacePreset};

pub(super) fn start(app: &mut App, preset: Result<RacePreset, String>, out: &mut Vec<Effect>) {
    let (preset, e) = match (preset, &app.form) {
        (Ok(p), Ok(e)) => (p, e.clone()),
        (Err(why), _) => return out.push(text("error", why)),
        (_, Err(why)) => return out.push(text("error", why.clone())),
    };
    if matches!(e.data, DataChoice::File { .. }) {
        return out.push(text("error", "a race loads its data in each lane: choose a built-in dataset or a URL"));
    }
    let race = Race::new(preset, &e);
    app.sweep = None;
    out.push(Effect::StartRace(race.lanes.len()));
    (app.chart.race, app.chart.sweep) = (Some(preset), None);
    out.push(Effect::View(View::Link(e, app.chart.clone())));
    out.push(hidden("race-results", false));
    out.push(text("race-winner", ""));
    out.push(text("announcer", format!("Race started: {} lanes.", race.lanes.len())));
    app.race = Some(Rc::new(race));
    app.race_version = app.race_version.wrapping_add(1);
    out.push(Effect::Render);
}

pub(super) fn stop(app: &mut App, out: &mut Vec<Effect>) {
    out.push(Effect::StopRace);
    // a stopped race no longer starts again from the link
    app.chart.race = None;
    if let Some(e) = &app.experiment {
        out.push(Effect::View(View::Link(e.clone(), app.chart.clone())));
    }
    if let Some(race) = app.race.as_mut() {
        for l in &mut Rc::make_mut(race).lanes {
            if !l.done() {
                l.running = false;
                l.error.get_or_insert_with(|| "stopped by you".into());
            }
        }
    }
    app.race_version = app.race_version.wrapping_add(1);
    out.push(Effect::Render);
}

pub(super) fn lane_message(app: &mut App, lane: usize, msg: FromWorker, out: &mut Vec<Effect>) {
    // the lane workers are a sweep's pool while a sweep runs
    if app.sweep.is_some() && app.race.is_none() {
        return super::sweep_msgs::worker_message(app, lane, msg, out);
    }
    let Some(race) = app.race.as_mut() else { return };
    let race = Rc::make_mut(race);
    let was_finished = race.finished();
    let regression = &mut race.regression;
    let Some(l) = race.lanes.get_mut(lane) else { return };
    match msg {
        FromWorker::Ready { .. } => {
            if let Some(experiment) = l.experiment.clone() {
                out.push(Effect::SendLane(lane, ToWorker::RaceLane));
                out.push(Effect::SendLane(lane, ToWorker::Reset { experiment }));
            }
        }
        FromWorker::DataLoaded { summary, .. } => {
            *regression = summary.class_names.is_empty();
            out.push(Effect::SendLane(lane, ToWorker::Play));
        }
        FromWorker::ModelBuilt { weights_hash } => l.weights_hash = Some(weights_hash),
        FromWorker::LaneWeights { epoch, weights } => race.lane_weights(lane, epoch, weights),
        FromWorker::Device { backend, .. } => l.backend = backend,
        FromWorker::Progress { losses, samples, train_ms, .. } => {
            let room = LANE_STEPS.saturating_sub(l.losses.len());
            l.losses.extend(losses.into_iter().take(room));
            l.progressed(samples, train_ms);
        }
        FromWorker::Epoch { epoch, test_loss, test_score, .. } => l.epochs.push((epoch, test_loss, test_score)),
        FromWorker::Running { running } => l.running = running,
        FromWorker::Error { message } | FromWorker::Crashed { message } => l.error = Some(message),
        // the lane's worker went back to the weights before the loss broke and stopped there
        FromWorker::RolledBack { message, .. } => {
            l.running = false;
            l.error = Some(format!("diverged: {message}"));
        }
        _ => return,
    }
    if !was_finished
        && race.finished()
        && let Some(w) = race.winner()
    {
        // the lanes' workers stay (idle) until the next race: their last messages still count
        out.push(text("race-winner", w.clone()));
        out.push(text("announcer", w));
    }
    app.race_version = app.race_version.wrapping_add(1);
    out.push(Effect::Render);
}
