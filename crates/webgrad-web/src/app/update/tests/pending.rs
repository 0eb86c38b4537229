//! What the page records only once the worker has done it: a Reset's experiment, and an
//! imported model's layers.

use super::files::table;
use super::*;

fn links(effects: &[Effect]) -> Vec<&Experiment> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::View(View::Link(e, _)) => Some(e),
            _ => None,
        })
        .collect()
}

/// A Reset the worker refuses leaves the experiment a restart uses and the link of the model it
/// kept; Train then builds the form again. Before, both switched to the refused experiment at
/// once.
#[test]
fn a_refused_reset_keeps_the_experiment_and_link_before() {
    let iris = Experiment::defaults_for("iris");
    let mut app = App::new(iris.clone(), None);
    ready(&mut app, None);
    assert_eq!(app.experiment, None);
    let effects = loaded(&mut app, "iris");
    assert_eq!(links(&effects), [&iris]);
    assert_eq!(app.experiment.as_ref(), Some(&iris));

    let too_big = Experiment { batch: 100_000, ..iris.clone() };
    let effects = update(&mut app, Msg::Reset(Ok(too_big.clone())));
    assert_eq!(sent(&effects), [&ToWorker::Reset { experiment: too_big.clone() }]);
    assert!(links(&effects).is_empty());
    let effects = refused(&mut app, "batch size 100000 is larger than the 120 training rows");
    assert!(links(&effects).is_empty());
    assert_eq!(app.experiment.as_ref(), Some(&iris));
    // the form is what Train builds, and the worker says again why it cannot
    let effects = update(&mut app, Msg::Train);
    assert_eq!(sent(&effects), [&ToWorker::Reset { experiment: too_big }, &ToWorker::Play]);
}

/// An accepted Reset changes the experiment and the link once its model is built; a Reset
/// sent before the worker ran (which drops it) is never taken for a later answer.
#[test]
fn an_accepted_reset_takes_effect_once_built() {
    let iris = Experiment::defaults_for("iris");
    let mut app = App::new(iris.clone(), None);
    update(&mut app, Msg::Reset(Ok(Experiment::defaults_for("xor"))));
    update(&mut app, Msg::Edited(Ok(iris)));
    ready(&mut app, None);
    loaded(&mut app, "iris");
    assert_eq!(app.experiment, Some(Experiment::defaults_for("iris")));
    let spiral = Experiment::defaults_for("spiral");
    update(&mut app, Msg::Reset(Ok(spiral.clone())));
    assert_eq!(app.experiment, Some(Experiment::defaults_for("iris")));
    let effects = loaded(&mut app, "spiral");
    assert_eq!(links(&effects), [&spiral]);
    assert_eq!(app.experiment, Some(spiral));
}

/// An imported model's layers become the experiment's, so a restart before its first epoch (or
/// a race) builds its architecture.
#[test]
fn an_import_gives_the_experiment_its_layers() {
    let mut app = App::new(Experiment::defaults_for("iris"), None);
    ready(&mut app, None);
    loaded(&mut app, "iris");
    let layers = vec![HiddenLayer::new(5, webgrad_nn::ActivationName::Tanh, 0.0)];
    let imported = FromWorker::Imported {
        name: "m.safetensors".into(),
        model: "nn.Sequential()".into(),
        layers: layers.clone(),
        note: None,
        summary: table("iris"),
    };
    update(&mut app, Msg::Worker(imported));
    assert_eq!(app.experiment.as_ref().map(|e| e.layers.clone()), Some(layers.clone()));
    assert_eq!(app.form.as_ref().map(|e| e.layers.clone()), Ok(layers));
}
