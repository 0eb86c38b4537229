//! A failed worker is replaced: the replacement restores the data and the last checkpoint, and
//! the page's curves and health go back to where the restored model is.

use super::*;

#[test]
fn a_failed_worker_is_replaced_three_times_then_the_page_gives_up() {
    let mut app = app();
    ready(&mut app, None);
    update(&mut app, Msg::CheckpointSaved { experiment: Experiment::defaults_for("iris"), epoch: 2 });
    for _ in 0..MAX_RESTARTS {
        let effects = update(&mut app, Msg::WorkerFailed { reason: "unreachable".into() });
        assert!(effects.contains(&Effect::ReplaceWorker));
        assert!(texts(&effects, "error")[0].contains("restoring the data and the model saved after epoch 2"));
        assert!(!app.ready && app.restoring);
    }
    let effects = update(&mut app, Msg::Worker(FromWorker::Crashed { message: "panicked".into() }));
    assert!(!effects.contains(&Effect::ReplaceWorker));
    assert!(texts(&effects, "error")[0].contains("restarted 3 times already"));
}

#[test]
fn a_replacement_worker_restores_the_checkpoint_and_forgets_later_steps() {
    let mut app = app();
    ready(&mut app, None);
    let losses = (1..=250).map(|s| (s, 1.0 / s as f32)).collect();
    update(
        &mut app,
        Msg::Worker(FromWorker::Progress {
            step: 250,
            epoch: 1,
            losses,
            samples_per_sec: 1.0,
            train_ms: 0.0,
            samples: 0,
            boundary: None,
        }),
    );
    for step in [100, 200] {
        let reading = health_reading(step, 0.1);
        update(&mut app, Msg::Worker(FromWorker::Health { reading, alerts: vec![], cleared: vec![] }));
    }
    let saved = Experiment::defaults_for("iris");
    update(&mut app, Msg::CheckpointSaved { experiment: saved.clone(), epoch: 1 });
    update(&mut app, Msg::WorkerFailed { reason: "trap".into() });
    let effects = ready(&mut app, None);
    assert_eq!(effects.iter().filter(|e| matches!(e, Effect::PostRestore { .. })).count(), 1);
    assert!(effects.contains(&Effect::PostRestore { experiment: saved, with_files: false, with_checkpoint: true }));
    assert!(sent(&effects).is_empty(), "no Reset: the replacement continues");
    let effects = update(&mut app, Msg::Worker(FromWorker::Resumed { epoch: 1, step: 150 }));
    assert!(!app.restoring);
    assert_eq!(app.losses.last().map(|l| l.0), Some(150));
    // the health readings go back with the curves (before, the one up to step 200 stayed)
    assert_eq!(app.health.latest().map(|h| h.0), Some(100));
    assert!(texts(&effects, "error")[0].contains("after epoch 1 (step 150)"));
}

/// A replacement worker with no checkpoint to restore builds the model afresh: the curves and
/// health of the model before go (before, its losses stayed and the new ones followed them).
#[test]
fn a_replacement_worker_without_a_checkpoint_starts_the_curves_afresh() {
    let mut app = app();
    ready(&mut app, None);
    loaded(&mut app, "iris");
    let losses = (1..=10).map(|s| (s, 1.0 / s as f32)).collect();
    let progress = FromWorker::Progress {
        step: 10,
        epoch: 0,
        losses,
        samples_per_sec: 1.0,
        train_ms: 0.0,
        samples: 0,
        boundary: None,
    };
    update(&mut app, Msg::Worker(progress));
    let reading = health_reading(100, 0.1);
    update(&mut app, Msg::Worker(FromWorker::Health { reading, alerts: vec![], cleared: vec![] }));
    update(&mut app, Msg::WorkerFailed { reason: "trap".into() });
    ready(&mut app, None);
    let effects = update(
        &mut app,
        Msg::Worker(FromWorker::DataLoaded { summary: files::table("iris"), model: "nn.Sequential()".into() }),
    );
    assert!(texts(&effects, "error")[0].contains("the model starts afresh"));
    assert_eq!((app.losses.steps(), app.step), (0, 0));
    assert!(app.health.latest().is_none());
}
