use super::*;
use webgrad_nn::monitor::{AlertKind, Cleared};

fn app() -> App {
    App::new(Experiment::defaults_for("iris"), None)
}

fn sent(effects: &[Effect]) -> Vec<&ToWorker> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn texts<'a>(effects: &'a [Effect], id: &str) -> Vec<&'a str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::View(View::Text(i, t)) if *i == id => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn ready(app: &mut App, resume: Option<Resume>) -> Vec<Effect> {
    update(app, Msg::Worker(FromWorker::Ready { backend: "cpu".into(), notice: None, resume }))
}

/// The worker built the oldest pending Reset's model (or loaded its files) on the table `name`.
fn loaded(app: &mut App, name: &str) -> Vec<Effect> {
    let mut effects = update(
        app,
        Msg::Worker(FromWorker::DataLoaded { summary: files::table(name), model: "nn.Sequential()".into() }),
    );
    effects.extend(update(app, Msg::Worker(FromWorker::Answered { built: true })));
    effects
}

/// The worker refused the oldest pending Reset or file load, saying `why`.
fn refused(app: &mut App, why: &str) -> Vec<Effect> {
    let mut effects = update(app, Msg::Worker(FromWorker::Error { message: why.into() }));
    effects.extend(update(app, Msg::Worker(FromWorker::Answered { built: false })));
    effects
}

#[test]
fn the_first_ready_resets_with_the_form_and_shows_the_link_error_after() {
    let mut app = App::new(Experiment::defaults_for("iris"), Some("the link's settings were not applied".into()));
    let effects = ready(&mut app, None);
    assert!(app.ready);
    assert_eq!(sent(&effects), [&ToWorker::Reset { experiment: Experiment::defaults_for("iris") }]);
    // the reset clears the error line; the link's error comes after it
    assert_eq!(texts(&effects, "error"), ["", "the link's settings were not applied"]);
    assert!(app.link_error.is_none());
}

#[test]
fn ready_with_a_saved_checkpoint_resumes_it() {
    let mut app = app();
    let saved = Experiment::defaults_for("spiral");
    let effects = ready(&mut app, Some(Resume { experiment: saved.clone(), epoch: 3, step: 90 }));
    assert_eq!(sent(&effects), [&ToWorker::Resume]);
    assert_eq!(app.form, Ok(saved.clone()));
    assert!(effects.contains(&Effect::View(View::Experiment(saved))));
}

#[test]
fn a_link_to_another_experiment_wins_over_the_stored_checkpoint() {
    let linked = Experiment::defaults_for("xor");
    let saved = Experiment::defaults_for("spiral");
    let mut app = App::new(linked.clone(), None);
    app.linked = Some(linked.to_query());
    let effects = ready(&mut app, Some(Resume { experiment: saved, epoch: 3, step: 90 }));
    assert_eq!(sent(&effects), [&ToWorker::Reset { experiment: linked.clone() }]);
    assert_eq!(app.form, Ok(linked.clone()));
    assert!(texts(&effects, "error").last().unwrap().contains("a checkpoint of another experiment (after epoch 3)"));
    // the same experiment in the link (a reload) resumes
    let mut app = App::new(linked.clone(), None);
    app.linked = Some(linked.to_query());
    let effects = ready(&mut app, Some(Resume { experiment: linked.clone(), epoch: 3, step: 90 }));
    assert_eq!(sent(&effects), [&ToWorker::Resume]);
    assert_eq!(app.experiment, Some(linked));
}

/// There is one checkpoint per site: a reload whose address holds another model than the stored
/// checkpoint (another tab saved it since) starts the address's experiment; the same model with
/// another learning rate (changed mid-run, the address first) resumes. Before, a reload always
/// resumed, rewriting the address to the other tab's experiment.
#[test]
fn a_reload_resumes_only_a_checkpoint_of_its_own_model() {
    let here = Experiment::defaults_for("xor");
    let mut app = App::new(here.clone(), None);
    app.reloaded = Some(here.clone());
    let effects = ready(&mut app, Some(Resume { experiment: Experiment::defaults_for("spiral"), epoch: 2, step: 40 }));
    assert_eq!(sent(&effects), [&ToWorker::Reset { experiment: here.clone() }]);
    assert!(texts(&effects, "error").last().unwrap().contains("saved in another tab or window"));
    let mut app = App::new(here.clone(), None);
    app.reloaded = Some(here.clone());
    let saved = Experiment { lr: here.lr * 2.0, ..here.clone() };
    let effects = ready(&mut app, Some(Resume { experiment: saved.clone(), epoch: 2, step: 40 }));
    assert_eq!(sent(&effects), [&ToWorker::Resume]);
    assert_eq!(app.experiment, Some(saved));
}

#[test]
fn a_new_learning_rate_goes_into_the_link() {
    let mut app = app();
    ready(&mut app, None);
    loaded(&mut app, "iris");
    let mut form = app.form.clone().unwrap();
    form.lr = 0.3;
    let effects = update(&mut app, Msg::LrChanged { lr: Ok(0.3), form: Ok(form.clone()) });
    assert_eq!(sent(&effects), [&ToWorker::SetLr { lr: 0.3 }]);
    assert!(effects.iter().any(|e| matches!(e, Effect::View(View::Link(e, _)) if e.lr == 0.3)));
    assert_eq!(app.experiment.as_ref().map(|e| e.lr), Some(0.3));
}

#[test]
fn train_pressed_before_the_worker_is_ready_starts_once_it_is() {
    let mut app = app();
    let mut edited = Experiment::defaults_for("iris");
    edited.epochs = 2;
    update(&mut app, Msg::Edited(Ok(edited.clone())));
    // the worker would drop it: nothing goes out yet
    assert!(sent(&update(&mut app, Msg::Train)).is_empty());
    let effects = ready(&mut app, None);
    assert_eq!(sent(&effects), [&ToWorker::Reset { experiment: edited }, &ToWorker::Play]);
    // once only
    assert!(sent(&ready(&mut app, None)).iter().all(|m| !matches!(m, ToWorker::Play)));
    // a form that cannot be set up does not start
    let mut app = self::app();
    update(&mut app, Msg::Step);
    update(&mut app, Msg::Edited(Err("batch size 'x' is not a valid number".into())));
    assert!(sent(&ready(&mut app, None)).is_empty());
}

#[test]
fn train_after_an_edit_resets_first_and_an_invalid_form_sends_nothing() {
    let mut app = app();
    ready(&mut app, None);
    assert_eq!(sent(&update(&mut app, Msg::Train)), [&ToWorker::Play]);
    let mut edited = Experiment::defaults_for("iris");
    edited.lr = 0.5;
    update(&mut app, Msg::Edited(Ok(edited.clone())));
    assert!(app.dirty);
    assert_eq!(sent(&update(&mut app, Msg::Step)), [&ToWorker::Reset { experiment: edited }, &ToWorker::Step]);
    assert!(!app.dirty);
    update(&mut app, Msg::Edited(Err("batch size 'x' is not a valid number".into())));
    let effects = update(&mut app, Msg::Train);
    assert!(sent(&effects).is_empty());
    assert_eq!(texts(&effects, "error"), ["batch size 'x' is not a valid number"]);
}

#[test]
fn a_reset_forgets_the_curves() {
    let mut app = app();
    ready(&mut app, None);
    let progress = FromWorker::Progress {
        step: 2,
        epoch: 0,
        losses: vec![(1, 1.0), (2, 0.5)],
        samples_per_sec: 10.0,
        train_ms: 200.0,
        samples: 0,
        boundary: None,
    };
    update(&mut app, Msg::Worker(progress));
    assert_eq!(app.losses.steps(), 2);
    update(&mut app, Msg::Reset(Ok(Experiment::defaults_for("iris"))));
    assert_eq!((app.losses.steps(), app.step), (0, 0));
}

/// A slice of `samples` rows trained in `ms` ms, ending at `step`.
fn slice(step: u64, samples: u64, ms: f64) -> Msg {
    let losses = vec![(step, 0.5)];
    let rate = if ms >= 5.0 { samples as f64 * 1000.0 / ms } else { 0.0 };
    Msg::Worker(FromWorker::Progress {
        step,
        epoch: 1,
        losses,
        samples_per_sec: rate,
        train_ms: ms,
        samples,
        boundary: None,
    })
}

#[test]
fn the_speed_of_slices_too_short_to_time_alone_is_their_sum() {
    let mut app = app();
    ready(&mut app, None);
    // Iris: an epoch of 120 rows in 1 ms a slice: the rate so far until 0.1 s of them add up
    let effects = update(&mut app, slice(8, 120, 1.0));
    assert_eq!(texts(&effects, "stats"), ["1 epoch done, step 8 — loss 0.5000 — 120000 samples/s"]);
    let effects = update(&mut app, slice(16, 120, 3.0));
    assert_eq!(texts(&effects, "stats"), ["1 epoch done, step 16 — loss 0.5000 — 60000 samples/s"]);
    // the 98th slice makes 100 ms: 11,760 rows in 0.1 s; the slices after it start the next window
    for i in 3..100 {
        update(&mut app, slice(8 * i, 120, 1.0));
    }
    let effects = update(&mut app, slice(800, 120, 1.0));
    assert_eq!(texts(&effects, "stats"), ["1 epoch done, step 800 — loss 0.5000 — 117600 samples/s"]);
    // after a whole window, a slice too short to time alone keeps the last reading
    let effects = update(&mut app, slice(808, 120, 1.0));
    assert_eq!(texts(&effects, "stats"), ["1 epoch done, step 808 — loss 0.5000 — 117600 samples/s"]);
    // the next window starts afresh: a slower slice of its own is read once it is long enough
    // the next window: (3 × 120 + 6,400 rows) / (3 + 200 ms)
    let effects = update(&mut app, slice(809, 6400, 200.0));
    assert_eq!(texts(&effects, "stats"), ["1 epoch done, step 809 — loss 0.5000 — 33300 samples/s"]);
    // a slice that trained nothing (a view refresh) keeps the reading
    let effects = update(&mut app, slice(809, 0, 0.0));
    assert_eq!(texts(&effects, "stats"), ["1 epoch done, step 809 — loss 0.5000 — 33300 samples/s"]);
    update(&mut app, Msg::Reset(Ok(Experiment::defaults_for("iris"))));
    assert_eq!(app.samples_per_sec, 0.0);
}

#[test]
fn chosen_files_take_the_tabular_defaults_and_show_once_loaded() {
    let mut app = App::new(Experiment::defaults_for("mnist"), None);
    ready(&mut app, None);
    loaded(&mut app, "mnist");
    let names = vec!["x.npy".to_string(), "y.npy".to_string()];
    let missing = MissingPolicy::FillMean;
    let effects = update(&mut app, Msg::FilesChosen { names, label: None, missing, dataset: "mnist".into() });
    let Some(Effect::PostNewFiles(e)) = effects.iter().find(|e| matches!(e, Effect::PostNewFiles(_))) else {
        panic!("no files posted: {effects:?}")
    };
    assert_eq!(e.data, DataChoice::File { name: "x.npy + y.npy".into(), label: None, missing });
    assert_eq!(e.layers, Experiment::defaults_for("file").layers);
    // kept for a restart only once loaded (tests/files.rs)
    assert!(!app.has_files);
    let summary = DataSummary {
        name: "x.npy + y.npy".into(),
        train_rows: 48,
        test_rows: 12,
        features: 784,
        class_names: vec!["a".into(), "b".into()],
        points: Vec::new(),
        plane: false,
        inputs: Vec::new(),
        preview: None,
        image_shape: Some((28, 28)),
        head: webgrad_nn::Head::Softmax { classes: 2 },
        missing_cells: None,
    };
    let loaded = FromWorker::DataLoaded { summary, model: "nn.Sequential()".into() };
    let mut effects = update(&mut app, Msg::Worker(loaded));
    effects.extend(update(&mut app, Msg::Worker(FromWorker::Answered { built: true })));
    assert!(app.has_files && effects.contains(&Effect::KeepPostedFiles));
    assert_eq!(
        app.form.as_ref().map(|f| f.data.clone()),
        Ok(DataChoice::File { name: "x.npy + y.npy".into(), label: None, missing })
    );
    assert_eq!(
        texts(&effects, "data-summary"),
        ["x.npy + y.npy: 48 training rows, 12 test rows, 784 features, 2 classes."]
    );
    assert!(texts(&effects, "param-count")[0].contains("parameters"));
}

/// A Reset the worker refuses (a model over the memory budget) leaves the stats line saying what
/// the worker kept rather than "Loading…" for ever; an error at another time leaves it alone.
#[test]
fn a_refused_reset_says_what_was_kept() {
    let mut app = app();
    let effects = ready(&mut app, None);
    assert_eq!(texts(&effects, "stats"), ["Loading the data and building the model…"]);
    let refused = || Msg::Worker(FromWorker::Error { message: "training needs 11.3 GB; the limit is 3.5 GB".into() });
    let effects = update(&mut app, refused());
    assert_eq!(texts(&effects, "error"), ["training needs 11.3 GB; the limit is 3.5 GB"]);
    assert_eq!(
        texts(&effects, "stats"),
        ["Nothing is loaded yet: change what the message above says and press Reset."]
    );
    assert!(texts(&update(&mut app, refused()), "stats").is_empty(), "not after a reset");
    // with data and a model loaded, the worker keeps them
    let summary = DataSummary {
        name: "iris".into(),
        train_rows: 120,
        test_rows: 30,
        features: 4,
        class_names: vec!["a".into(), "b".into(), "c".into()],
        points: Vec::new(),
        plane: false,
        inputs: Vec::new(),
        preview: None,
        image_shape: None,
        head: webgrad_nn::Head::Softmax { classes: 3 },
        missing_cells: None,
    };
    update(&mut app, Msg::Worker(FromWorker::DataLoaded { summary, model: "nn.Sequential()".into() }));
    update(&mut app, Msg::Reset(Ok(Experiment::defaults_for("iris"))));
    let effects = update(&mut app, refused());
    assert_eq!(
        texts(&effects, "stats"),
        ["The model before is kept: change what the message above says and press Reset."]
    );
}

#[test]
fn a_learning_rate_must_be_positive() {
    let mut app = app();
    let form = || Ok(Experiment::defaults_for("iris"));
    assert_eq!(sent(&update(&mut app, Msg::LrChanged { lr: Ok(0.1), form: form() })), [&ToWorker::SetLr { lr: 0.1 }]);
    assert!(!app.dirty, "a new learning rate applies without a reset");
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let effects = update(&mut app, Msg::LrChanged { lr: Ok(bad), form: form() });
        assert!(sent(&effects).is_empty());
        assert!(texts(&effects, "error")[0].contains("must be a positive number"));
    }
}

#[test]
fn an_epoch_adds_its_scores_and_shows_its_metrics() {
    let mut app = app();
    ready(&mut app, None);
    let names = vec!["a".to_string(), "b".to_string()];
    let report = webgrad_nn::metrics::classification_report(&[0, 1, 1], &[0, 1, 0], &names);
    let epoch = FromWorker::Epoch {
        epoch: 1,
        train_loss: 0.5,
        test_loss: 0.25,
        report: Report::Classification(report.clone()),
        train_score: Some(0.75),
        test_score: 2.0 / 3.0,
        train_running: true,
    };
    let effects = update(&mut app, Msg::Worker(epoch));
    assert_eq!(app.scores, [(1, Some(0.75), 2.0 / 3.0)]);
    assert!(app.train_running);
    assert_eq!(app.test_losses, [(0, 0.25)]);
    assert!(!app.regression);
    assert!(effects.contains(&Effect::View(View::Classification(report))));
    assert_eq!(texts(&effects, "accuracy"), ["Test accuracy: 66.67 % (test loss 0.2500) after epoch 1"]);
    let regression = FromWorker::Epoch {
        epoch: 2,
        train_loss: 0.5,
        test_loss: 0.25,
        report: Report::Regression(webgrad_nn::metrics::RegressionReport { mse: 0.25, mae: 0.5, r2: 0.9 }),
        train_score: None,
        test_score: 0.9,
        train_running: false,
    };
    let effects = update(&mut app, Msg::Worker(regression));
    assert!(app.regression);
    assert!(!app.train_running);
    assert_eq!(texts(&effects, "accuracy"), ["Test MSE 0.2500, MAE 0.5000, R² 0.9000 after epoch 2"]);
}

#[test]
fn a_click_on_a_link_opens_its_editor_and_a_value_goes_to_the_worker() {
    let mut app = App::new(Experiment::defaults_for("spiral"), None);
    // 2 inputs → 3 units → 1 output; weights[l][o·shown + i]
    let layers = vec![vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], vec![0.7, 0.8, 0.9]];
    let units = vec![vec![0, 1], vec![0, 1, 2], vec![0]];
    update(&mut app, Msg::Worker(FromWorker::Weights { sizes: vec![2, 3, 1], units, layers }));
    let g = crate::diagram_units::Geometry { width: 300.0, height: 220.0, shown: vec![2, 3, 1] };
    // the middle of the link from input 2 to layer 1 unit 3: weight [2, 1] = 0.6
    let (a, b) = (g.node(0, 1), g.node(1, 2));
    let (x, y) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let hover = update(&mut app, Msg::DiagramPointer { x, y, width: 300.0, height: 220.0, click: false });
    assert!(hover.contains(&Effect::View(View::Text(
        "diagram-tip",
        "from input 2 to layer 1 unit 3: weight 0.6000. Click to change it.".into()
    ))));
    assert_eq!(app.weight_link, None);
    let click = update(&mut app, Msg::DiagramPointer { x, y, width: 300.0, height: 220.0, click: true });
    assert_eq!(app.weight_link, Some((0, 2, 1)));
    assert!(click.contains(&Effect::View(View::Value("weight-value", "0.6".into()))));
    let set = update(&mut app, Msg::SetWeight(Ok(-1.5)));
    assert!(set.contains(&Effect::Send(ToWorker::SetWeight { layer: 0, to: 2, from: 1, value: -1.5 })));
    // not a number: an error, nothing sent
    let bad = update(&mut app, Msg::SetWeight(Ok(f32::NAN)));
    assert!(!bad.iter().any(|e| matches!(e, Effect::Send(_))));
    // far from every link: the hint
    let away = update(&mut app, Msg::DiagramPointer { x: 150.0, y: 2.0, width: 300.0, height: 220.0, click: true });
    assert!(away.contains(&Effect::View(View::Text("diagram-tip", weights::HINT.into()))));
}

#[test]
fn regenerate_draws_the_next_sample_and_keeps_the_model_seed() {
    let mut app = App::new(Experiment::defaults_for("spiral"), None);
    app.ready = true;
    let out = update(&mut app, Msg::Regenerate);
    let form = app.form.clone().unwrap();
    assert_eq!(form.seed, 1);
    assert!(matches!(form.data, DataChoice::Synthetic { seed: 2, .. }), "{:?}", form.data);
    assert!(sent(&out).iter().any(|m| matches!(m, ToWorker::Reset { experiment } if *experiment == form)));
    // data that is not generated has nothing to regenerate
    let mut iris = App::new(Experiment::defaults_for("iris"), None);
    assert!(update(&mut iris, Msg::Regenerate).is_empty());
}

#[test]
fn a_click_on_the_plane_adds_a_point_where_it_lands() {
    let mut app = App::new(Experiment::defaults_for("spiral"), None);
    let boundary = Boundary { size: 2, extent: [-1.0, 1.0, -1.0, 1.0], values: vec![0.5; 4] };
    update(
        &mut app,
        Msg::Worker(FromWorker::Progress {
            step: 0,
            epoch: 0,
            losses: Vec::new(),
            samples_per_sec: 0.0,
            train_ms: 0.0,
            samples: 0,
            boundary: Some(boundary),
        }),
    );
    let click = |target| Msg::PlaneClick { x: 240.0, y: 80.0, width: 320.0, height: 320.0, target };
    let out = update(&mut app, click(Ok(1.0)));
    assert_eq!(sent(&out), [&ToWorker::AddPoint { x: 0.5, y: 0.5, target: 1.0 }]);
    let out = update(&mut app, click(Err("value '' is not a valid number".into())));
    assert!(sent(&out).is_empty());
    assert_eq!(texts(&out, "error"), ["value '' is not a valid number"]);
}

fn health_reading(last_step: u64, dead: f64) -> webgrad_nn::Reading {
    use webgrad_nn::monitor::LayerReading;
    let layer = |activation, dead_fraction| LayerReading {
        activation,
        dead_fraction,
        saturated_fraction: None,
        grad_norm: 0.5,
        update_ratio: 1e-3,
    };
    webgrad_nn::Reading {
        first_step: last_step - 99,
        last_step,
        sampled_steps: 5,
        samples: 6400,
        layers: vec![layer(Some(webgrad_nn::ActivationName::Relu), Some(dead)), layer(None, None)],
    }
}

#[test]
fn health_readings_draw_and_alerts_stack_newest_first_until_a_reset() {
    let mut app = app();
    ready(&mut app, None);
    let effects = update(
        &mut app,
        Msg::Worker(FromWorker::Health { reading: health_reading(100, 0.1), alerts: vec![], cleared: vec![] }),
    );
    assert!(effects.contains(&Effect::View(View::Hidden("health-figure", false))));
    assert!(effects.contains(&Effect::Render));
    assert!(!effects.iter().any(|e| matches!(e, Effect::View(View::Alerts(_)))), "no alert, no list change");
    // eight conditions (one per layer) begin one after the other: the newest six are shown
    let mut shown = Vec::new();
    for i in 2..=9 {
        let alerts = vec![alert(AlertKind::DeadUnits, i as usize, &format!("alert {i}"))];
        let effects = update(
            &mut app,
            Msg::Worker(FromWorker::Health { reading: health_reading(100 * i, 0.9), alerts, cleared: vec![] }),
        );
        shown = alerts_shown(&effects);
    }
    assert_eq!(app.health.len(), 9);
    let want: Vec<String> = (4..=9).rev().map(|i| format!("alert {i}")).collect();
    assert_eq!(shown, want);
    let effects = update(&mut app, Msg::Reset(Ok(Experiment::defaults_for("iris"))));
    assert!(app.health.is_empty() && app.alerts.is_empty());
    assert!(effects.contains(&Effect::View(View::Alerts(Vec::new()))));
    assert!(effects.contains(&Effect::View(View::Hidden("health-figure", true))));
}

fn alert(kind: AlertKind, layer: usize, message: &str) -> webgrad_nn::Alert {
    webgrad_nn::Alert { kind, layer, since_step: 0, message: message.into() }
}

/// The lines of the last alert list among `effects`, with whether each is over.
fn alert_lines(effects: &[Effect]) -> Vec<(String, bool)> {
    let lists = effects.iter().rev().find_map(|e| match e {
        Effect::View(View::Alerts(a)) => Some(a.clone()),
        _ => None,
    });
    lists.expect("the alert list changed")
}

/// The texts of the last alert list among `effects`.
fn alerts_shown(effects: &[Effect]) -> Vec<String> {
    alert_lines(effects).into_iter().map(|l| l.0).collect()
}

/// A condition that clears and begins again (an update size hovering about its threshold)
/// keeps one line, its latest, with how often it began; another layer's or kind's has its own.
#[test]
fn an_alert_that_comes_back_replaces_its_line_and_counts() {
    let mut app = app();
    ready(&mut app, None);
    let say = |app: &mut App, step: u64, alerts| {
        let reading = health_reading(step, 0.1);
        alerts_shown(&update(app, Msg::Worker(FromWorker::Health { reading, alerts, cleared: vec![] })))
    };
    say(&mut app, 100, vec![alert(AlertKind::LargeUpdates, 2, "output layer: 16 % since step 1")]);
    say(&mut app, 200, vec![alert(AlertKind::DeadUnits, 1, "layer 2: dead since step 101")]);
    say(&mut app, 300, vec![alert(AlertKind::LargeUpdates, 2, "output layer: 18 % since step 201")]);
    let shown = say(&mut app, 400, vec![alert(AlertKind::LargeUpdates, 2, "output layer: 13 % since step 301")]);
    assert_eq!(
        shown,
        ["output layer: 13 % since step 301. Seen 3 times this run.", "layer 2: dead since step 101"].map(String::from)
    );
    // the same kind on another layer is another line
    let shown = say(&mut app, 500, vec![alert(AlertKind::LargeUpdates, 0, "layer 1: 12 % since step 401")]);
    assert_eq!(shown.len(), 3);
    assert_eq!(shown[0], "layer 1: 12 % since step 401");
    assert_eq!(app.alerts[1].times, 3);
    // a condition that cleared stays listed, muted, with the last step it held at; a new onset
    // of it is a live line again
    let cleared = vec![Cleared { kind: AlertKind::DeadUnits, layer: 1, last_step: 1200 }];
    let effects = update(
        &mut app,
        Msg::Worker(FromWorker::Health { reading: health_reading(1500, 0.1), alerts: vec![], cleared }),
    );
    let lines = alert_lines(&effects);
    assert_eq!(lines[2], ("layer 2: dead since step 101. Over after step 1,200.".to_string(), true));
    assert!(!lines[0].1 && !lines[1].1);
    let shown = say(&mut app, 1600, vec![alert(AlertKind::DeadUnits, 1, "layer 2: dead since step 1501")]);
    assert_eq!(shown[0], "layer 2: dead since step 1501. Seen 2 times this run.");
}

#[test]
fn a_rollback_takes_the_curves_back_and_says_why() {
    let mut app = app();
    ready(&mut app, None);
    let losses = (1..=300).map(|s| (s, 1.0)).collect();
    update(
        &mut app,
        Msg::Worker(FromWorker::Progress {
            step: 300,
            epoch: 3,
            losses,
            samples_per_sec: 1.0,
            train_ms: 0.0,
            samples: 0,
            boundary: None,
        }),
    );
    for i in 1..=3 {
        update(
            &mut app,
            Msg::Worker(FromWorker::Health { reading: health_reading(100 * i, 0.1), alerts: vec![], cleared: vec![] }),
        );
    }
    let message = "step 290: the output of layer 2's linear map became non-finite (NaN) — the weights from before \
                   step 250 are kept; lower the learning rate (now 5) and continue"
        .to_string();
    let effects = update(&mut app, Msg::Worker(FromWorker::RolledBack { step: 249, epoch: 2, message }));
    assert_eq!((app.step, app.epoch), (249, 2));
    assert_eq!(app.losses.last().map(|l| l.0), Some(249));
    assert_eq!(app.health.latest().map(|h| h.0), Some(200));
    let error = texts(&effects, "error");
    assert!(error[0].contains("At step 290: the output of layer 2's linear map became non-finite"), "{error:?}");
    assert!(app.alerts[0].message.contains("lower the learning rate (now 5)"));
    // a second rollback takes the first one's line
    let message = "step 320: the loss became non-finite (inf) — lower the learning rate (now 5)".to_string();
    let effects = update(&mut app, Msg::Worker(FromWorker::RolledBack { step: 310, epoch: 3, message }));
    let shown = alerts_shown(&effects);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].ends_with("(now 5). Seen 2 times this run."), "{shown:?}");
}

#[test]
fn the_device_line_says_why_the_cpu_has_one_thread_and_a_failed_threaded_worker_is_replaced() {
    let mut app = app();
    // the threaded worker: its backend names the threads, nothing is added
    let said = |app: &mut App, backend: &str| {
        let effects =
            update(app, Msg::Worker(FromWorker::Ready { backend: backend.into(), notice: None, resume: None }));
        texts(&effects, "backend-status").concat()
    };
    assert_eq!(said(&mut app, "cpu (simd128, 4 threads)"), "Training device: cpu (simd128, 4 threads).");
    // it failed before its Ready: the page replaces it (the shell starts the single-thread
    // worker, since a reason is set) and says why beside the CPU, not beside a GPU
    app.ready = false;
    let effects = update(&mut app, Msg::ThreadsFailed { reason: "initThreadPool failed".into() });
    assert!(effects.iter().any(|e| matches!(e, Effect::ReplaceWorker)));
    assert_eq!(app.restarts, 0, "a fallback is not a failure of training");
    assert_eq!(
        said(&mut app, "cpu (simd128)"),
        "Training device: cpu (simd128). One CPU thread: the threaded worker did not start (initThreadPool failed)."
    );
    let gpu = update(
        &mut app,
        Msg::Worker(FromWorker::Device {
            backend: "webgpu (SwiftShader)".into(),
            notice: "Auto chose it.".into(),
            buffer_limit: Some(1 << 20),
        }),
    );
    assert_eq!(texts(&gpu, "backend-status"), ["Training device: webgpu (SwiftShader). Auto chose it."]);

    // a threaded worker that fails after its Ready is replaced by a single-thread one
    let mut app = self::app();
    said(&mut app, "cpu (simd128, 4 threads)");
    let effects = update(&mut app, Msg::Worker(FromWorker::Crashed { message: "unreachable".into() }));
    assert!(effects.iter().any(|e| matches!(e, Effect::ReplaceWorker)));
    assert_eq!(
        said(&mut app, "cpu (simd128)"),
        "Training device: cpu (simd128). One CPU thread: the threaded worker failed (unreachable), so its replacement has one thread."
    );
}

#[test]
fn a_stopped_race_leaves_the_link() {
    let mut app = app();
    ready(&mut app, None);
    loaded(&mut app, "iris");
    update(&mut app, Msg::RaceStart(Ok(crate::app::race::RacePreset::Optimizers)));
    assert!(app.chart.race.is_some());
    let effects = update(&mut app, Msg::RaceStop);
    assert_eq!(app.chart.race, None);
    assert!(effects.iter().any(|e| matches!(e, Effect::View(View::Link(_, chart)) if chart.race.is_none())));
}

#[test]
fn embed_shows_the_experiment_the_controls_describe() {
    let mut app = app();
    ready(&mut app, None);
    let mut edited = Experiment::defaults_for("iris");
    edited.epochs = 7;
    update(&mut app, Msg::Edited(Ok(edited)));
    let effects = update(&mut app, Msg::Embed { page_url: "https://x/".into(), show: [true; 5] });
    let code = effects.iter().find_map(|e| match e {
        Effect::View(View::EmbedCode(c)) => Some(c.clone()),
        _ => None,
    });
    assert!(code.unwrap().contains("epochs=7"), "an edit not yet trained is what the embed shows");
    update(&mut app, Msg::Edited(Err("batch size 'x' is not a valid number".into())));
    let effects = update(&mut app, Msg::Embed { page_url: "https://x/".into(), show: [true; 5] });
    assert!(texts(&effects, "error")[0].contains("batch size 'x' is not a valid number"));
}

mod files;
mod pending;
mod race_sweep;
mod restore;
mod summary;
