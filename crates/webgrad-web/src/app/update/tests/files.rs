//! Files chosen by hand: they become the data a replacement worker gets back only once the
//! worker has loaded them.

use super::*;

/// A table of 8 + 2 rows named `name`, as the worker summarises it.
pub(super) fn table(name: &str) -> DataSummary {
    DataSummary {
        name: name.into(),
        train_rows: 8,
        test_rows: 2,
        features: 2,
        class_names: vec!["a".into(), "b".into()],
        points: Vec::new(),
        plane: false,
        inputs: Vec::new(),
        preview: None,
        image_shape: None,
        head: webgrad_nn::Head::Softmax { classes: 2 },
        missing_cells: None,
    }
}

fn choose(app: &mut App, name: &str) -> Vec<Effect> {
    let msg = Msg::FilesChosen {
        names: vec![name.into()],
        label: None,
        missing: MissingPolicy::Error,
        dataset: "file".into(),
    };
    update(app, msg)
}

fn file_named(e: &Option<Experiment>) -> Option<String> {
    match e.as_ref().map(|e| &e.data) {
        Some(DataChoice::File { name, .. }) => Some(name.clone()),
        _ => None,
    }
}

/// A file the worker refuses keeps the files before for a restart: after a crash the
/// replacement gets a.csv back with a.csv's checkpoint (before, b.csv's files went with a.csv's
/// checkpoint, failed to load, and the training on a.csv was lost).
#[test]
fn a_refused_file_leaves_the_files_before_for_a_replacement_worker() {
    let mut app = App::new(Experiment::defaults_for("mnist"), None);
    ready(&mut app, None);
    loaded(&mut app, "mnist");
    let effects = choose(&mut app, "a.csv");
    assert!(effects.iter().any(|e| matches!(e, Effect::PostNewFiles(_))));
    assert!(!app.has_files && app.experiment.as_ref().is_some_and(|e| e.data == DataChoice::Mnist));
    let effects = loaded(&mut app, "a.csv");
    assert!(effects.contains(&Effect::KeepPostedFiles));
    assert!(app.has_files);
    assert_eq!(file_named(&app.experiment).as_deref(), Some("a.csv"));
    let a = app.experiment.clone().unwrap();
    update(
        &mut app,
        Msg::Worker(FromWorker::Checkpoint { experiment: a.clone(), epoch: 1, bytes: Bytes::from(vec![1]) }),
    );

    choose(&mut app, "b.csv");
    let effects = refused(&mut app, "b.csv: row 3, column 'x' is missing");
    assert!(!effects.contains(&Effect::KeepPostedFiles));
    assert_eq!(file_named(&app.experiment).as_deref(), Some("a.csv"));

    update(&mut app, Msg::Worker(FromWorker::Crashed { message: "unreachable".into() }));
    let effects = ready(&mut app, None);
    let restore = effects.iter().find(|e| matches!(e, Effect::PostRestore { .. }));
    assert_eq!(restore, Some(&Effect::PostRestore { experiment: a, with_files: true, with_checkpoint: true }));
}

/// Files still being read when the worker fails are dropped: the data the replacement restores
/// does not take their experiment or files.
#[test]
fn files_being_read_when_the_worker_fails_are_not_kept() {
    let mut app = App::new(Experiment::defaults_for("mnist"), None);
    ready(&mut app, None);
    loaded(&mut app, "mnist");
    choose(&mut app, "c.csv");
    update(&mut app, Msg::Worker(FromWorker::Crashed { message: "unreachable".into() }));
    let effects = ready(&mut app, None);
    assert!(effects.iter().any(|e| matches!(e, Effect::PostRestore { with_files: false, .. })), "{effects:?}");
    // the replacement restores (its own load: nothing of the page's is pending)
    let effects =
        update(&mut app, Msg::Worker(FromWorker::DataLoaded { summary: table("mnist"), model: String::new() }));
    assert!(!effects.contains(&Effect::KeepPostedFiles));
    assert!(!app.has_files && app.experiment.as_ref().is_some_and(|e| e.data == DataChoice::Mnist));
}

/// One load of files at a time: files chosen while others load are refused with a message and
/// not posted (the shell holds one set aside); a Reset sent meanwhile is answered after them,
/// and each answer goes to its own request (before, the first answer was taken for the last
/// request).
#[test]
fn files_chosen_while_files_load_are_refused_and_each_answer_goes_to_its_request() {
    let mut app = App::new(Experiment::defaults_for("mnist"), None);
    ready(&mut app, None);
    let posted = |effects: &[Effect]| effects.iter().any(|e| matches!(e, Effect::PostNewFiles(_)));
    // files chosen while the first Reset builds are answered after it
    assert!(posted(&choose(&mut app, "a.csv")));
    let effects = choose(&mut app, "b.csv");
    assert!(!posted(&effects));
    assert_eq!(
        texts(&effects, "error"),
        ["The data chosen before is still loading; choose these files again once it has loaded."]
    );
    let spiral = Experiment::defaults_for("spiral");
    update(&mut app, Msg::Reset(Ok(spiral.clone())));
    loaded(&mut app, "mnist");
    assert!(app.experiment.as_ref().is_some_and(|e| e.data == DataChoice::Mnist) && !app.has_files);
    let effects = loaded(&mut app, "a.csv");
    assert!(effects.contains(&Effect::KeepPostedFiles));
    assert_eq!(file_named(&app.experiment).as_deref(), Some("a.csv"));
    refused(&mut app, "could not build the model");
    assert_eq!(file_named(&app.experiment).as_deref(), Some("a.csv"));
    assert!(app.dirty && app.has_files);
    assert!(posted(&choose(&mut app, "b.csv")));
}
