//! New data and a new model on it (`FromWorker::DataLoaded`): the summary, the controls that
//! depend on the data, and the views of the previous model hidden until the new one's arrive.

use super::*;

pub(super) fn data_loaded(app: &mut App, summary: DataSummary, model: String, out: &mut Vec<Effect>) {
    // a new model: the last checkpoint belonged to the one before (a resumed model posts its
    // checkpoint again right after)
    if app.restoring && app.checkpoint.is_none() {
        app.restoring = false;
        // the model starts afresh: its curves and health start with it
        forget_curves(app, out);
        out.push(text(
            "error",
            "The training worker failed and was replaced. Restored: the data; no epoch had finished, so the model starts afresh.",
        ));
    }
    app.checkpoint = None;
    app.resetting = false;
    out.push(hidden("load-box", true));
    out.push(Effect::View(View::Preview(summary.preview.clone())));
    out.push(text("data-summary", plane::summary_text(&summary)));
    plane::show_point_controls(&summary, out);
    out.push(text("model-expression", model));
    out.push(hidden("boundary-figure", !summary.plane));
    let regression = summary.class_names.is_empty();
    let (low, high) = match summary.class_names.as_slice() {
        [] => ("low".to_string(), "high".to_string()),
        [first, second, ..] => (format!("class {first}"), format!("class {second}")),
        [only] => (format!("class {only}"), "class 1".to_string()),
    };
    out.push(text(
        "boundary-caption",
        format!(
            "Model output over the plane: orange = {low}, blue = {high}; circles are training points, squares test points."
        ),
    ));
    out.push(hidden("confusion-help", regression));
    // shown again by the first Weights message, and the unit pictures by the first boundary
    out.push(hidden("diagram-figure", true));
    out.push(hidden("neurons-figure", true));
    out.push(hidden("activations-figure", true));
    app.boundary = None;
    app.unit_pictures = None;
    app.diagram = None;
    app.weight_link = None;
    out.push(hidden("weight-edit", true));
    let digits = summary.image_shape == Some((28, 28));
    out.push(hidden("images-panel", !digits));
    out.push(hidden("draw-panel", !digits));
    out.push(text("stats", "Ready. Press Train."));
    app.summary = Some(Rc::new(summary));
    model_size(app, true, out);
    out.push(Effect::Render);
}

/// The worker answered the oldest Reset or file load still pending (`FromWorker::Answered`):
/// a built one becomes the experiment a restart, a reload and the link continue from (files:
/// the data a replacement worker gets back, and the form); a refused one leaves the model
/// before, and the form is what Train builds next.
pub(super) fn answered(app: &mut App, built: bool, out: &mut Vec<Effect>) {
    match app.pending.pop_front() {
        Some(Pending::Reset(e)) if built => {
            out.push(Effect::View(View::Link(e.clone(), app.chart.clone())));
            app.experiment = Some(e);
        }
        Some(Pending::Files(e)) if built => {
            (app.experiment, app.has_files) = (Some(e.clone()), true);
            out.push(Effect::KeepPostedFiles);
            show_form(app, e, out);
        }
        Some(Pending::Reset(_)) => app.dirty = true,
        // refused files: the worker kept the data before, the shell the files before; a
        // restart's own load (nothing pending here) has its own messages
        Some(Pending::Files(_)) | None => {}
    }
}
