//! Races and sweeps end whatever their workers do: a run whose loss breaks (the worker rolls
//! back and stops) ends as diverged, and a worker that is gone takes no more runs.

use super::*;
use crate::app::race::RacePreset;
use crate::app::sweep::{RunStatus, SweepSpec};

fn lane(app: &mut App, lane: usize, msg: FromWorker) -> Vec<Effect> {
    update(app, Msg::RaceWorker { lane, msg })
}

fn rolled_back() -> FromWorker {
    FromWorker::RolledBack { step: 12, epoch: 1, message: "step 13: the loss became non-finite (inf)".into() }
}

fn epoch(epoch: u64) -> FromWorker {
    scored(epoch, 0.8)
}

fn scored(epoch: u64, test_score: f64) -> FromWorker {
    let names = vec!["a".to_string(), "b".to_string()];
    let report = webgrad_nn::metrics::classification_report(&[0, 1], &[0, 1], &names);
    let report = Report::Classification(report);
    FromWorker::Epoch {
        epoch,
        train_loss: 0.5,
        test_loss: 0.5,
        report,
        train_score: None,
        test_score,
        train_running: false,
    }
}

fn resets_to(effects: &[Effect], worker: usize) -> usize {
    effects.iter().filter(|e| matches!(e, Effect::SendLane(w, ToWorker::Reset { .. }) if *w == worker)).count()
}

/// Before, a lane that rolled back stayed "training" and the race never named a winner.
#[test]
fn a_race_lane_that_diverges_ends_and_the_race_names_its_winner() {
    let mut app = app();
    ready(&mut app, None);
    loaded(&mut app, "iris");
    update(&mut app, Msg::RaceStart(Ok(RacePreset::Optimizers)));
    let epochs = app.race.as_ref().unwrap().lanes[0].experiment.as_ref().unwrap().epochs as u64;
    for l in 0..2 {
        for e in 1..=epochs {
            lane(&mut app, l, epoch(e));
        }
    }
    assert!(!app.race.as_ref().unwrap().finished());
    // its first epoch scored best, then its loss broke: it does not win on that score
    lane(&mut app, 2, scored(1, 0.99));
    let effects = lane(&mut app, 2, rolled_back());
    let race = app.race.as_ref().unwrap();
    assert!(race.finished(), "the diverged lane is done");
    assert!(race.lanes[2].error.as_deref().unwrap().starts_with("diverged: step 13"), "{:?}", race.lanes[2].error);
    let winner = texts(&effects, "race-winner").concat();
    let diverged = &race.lanes[2].label;
    assert!(!winner.is_empty() && !winner.starts_with(diverged.as_str()), "{winner}");
}

/// Before, a run that rolled back stayed running forever and its worker took no other run.
#[test]
fn a_sweep_run_that_diverges_fails_and_its_worker_takes_the_next() {
    let mut app = app();
    ready(&mut app, None);
    loaded(&mut app, "iris");
    let spec = SweepSpec::parse("0.01 100 0.1", "", "", "");
    update(&mut app, Msg::SweepStart { spec, cores: 2 });
    assert_eq!(app.sweep.as_ref().unwrap().workers, 1);
    assert_eq!(
        resets_to(&lane(&mut app, 0, FromWorker::Ready { backend: "cpu".into(), notice: None, resume: None }), 0),
        1
    );
    let effects = lane(&mut app, 0, rolled_back());
    let sweep = app.sweep.as_ref().unwrap();
    assert!(
        matches!(&sweep.runs[0].status, RunStatus::Failed(why) if why.starts_with("diverged: ")),
        "{:?}",
        sweep.runs[0]
    );
    assert!(matches!(sweep.runs[1].status, RunStatus::Running { worker: 0, .. }));
    assert_eq!(resets_to(&effects, 0), 1, "the worker gets the next run");
}

/// Before, a crashed worker (or one that never started) was given the next run, which then
/// never reported, so the sweep never finished.
#[test]
fn a_sweep_gives_no_run_to_a_worker_that_is_gone_and_ends_when_all_are() {
    let mut app = app();
    ready(&mut app, None);
    loaded(&mut app, "iris");
    let spec = SweepSpec::parse("0.01 0.03 0.1 0.3", "", "", "");
    update(&mut app, Msg::SweepStart { spec, cores: 3 });
    assert_eq!(app.sweep.as_ref().unwrap().workers, 2);
    let ready_msg = || FromWorker::Ready { backend: "cpu".into(), notice: None, resume: None };
    lane(&mut app, 0, ready_msg());
    lane(&mut app, 1, ready_msg());
    let effects = lane(&mut app, 0, FromWorker::Crashed { message: "unreachable".into() });
    assert_eq!(resets_to(&effects, 0), 0, "no run for a crashed worker");
    let sweep = app.sweep.as_ref().unwrap();
    assert!(matches!(&sweep.runs[0].status, RunStatus::Failed(why) if why == "unreachable"));
    assert_eq!(sweep.runs[2].status, RunStatus::Waiting);
    assert!(!sweep.finished());
    // the other worker fails too: the runs still waiting fail and the sweep ends
    let effects = lane(&mut app, 1, FromWorker::Crashed { message: "the worker script did not start".into() });
    let sweep = app.sweep.as_ref().unwrap();
    assert!(sweep.finished(), "{:?}", sweep.runs);
    assert!(matches!(&sweep.runs[3].status, RunStatus::Failed(why) if why.contains("no worker left")));
    assert!(effects.contains(&Effect::StopRace));
}
