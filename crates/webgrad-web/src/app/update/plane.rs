//! The 2-D plane as a place to add data: a click adds a training point of the chosen class (or
//! value) where it lands; the worker adds it and says so, and the page's summary follows.

use super::*;

/// "spiral: 250 training rows, 250 test rows, 2 features, 2 classes."
pub(super) fn summary_text(summary: &DataSummary) -> String {
    let classes = if summary.class_names.is_empty() {
        "regression".to_string()
    } else {
        format!("{} classes", summary.class_names.len())
    };
    let features = if summary.features == 1 { "feature" } else { "features" };
    let missing = summary.missing_cells.as_ref().map(|m| format!(" {m}")).unwrap_or_default();
    format!(
        "{}: {} training rows, {} test rows, {} {features}, {classes}.{missing}",
        shortened(&summary.name),
        summary.train_rows,
        summary.test_rows,
        summary.features
    )
}

/// A name of at most 80 characters: a longer one (a URL with its query, a data: URL) keeps its
/// first 50 and last 25 around an ellipsis.
fn shortened(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 80 {
        return name.to_string();
    }
    let (head, tail): (String, String) = (chars[..50].iter().collect(), chars[chars.len() - 25..].iter().collect());
    format!("{head}…{tail}")
}

/// The new-point controls of 2-D data: a class chooser (the data's class names), or a value.
pub(super) fn show_point_controls(summary: &DataSummary, out: &mut Vec<Effect>) {
    let regression = summary.class_names.is_empty();
    out.push(hidden("add-point", !summary.plane));
    out.push(hidden("new-point-class-box", regression));
    out.push(hidden("new-point-value-box", !regression));
    let classes = summary.class_names.iter().enumerate().map(|(i, name)| (i.to_string(), name.clone())).collect();
    out.push(Effect::View(View::Options("new-point-class", classes)));
}

/// A click on the plane at `point` (canvas pixels of a canvas of `size`): a training point
/// there, in the data's coordinates, with `target`.
pub(super) fn click(
    app: &mut App,
    point: (f64, f64),
    size: (f64, f64),
    target: Result<f32, String>,
    out: &mut Vec<Effect>,
) {
    let Some(b) = &app.boundary else { return };
    match target {
        Ok(target) if target.is_finite() => {
            let (x, y) = b.data_point(point, size);
            out.push(Effect::Send(ToWorker::AddPoint { x, y, target }));
        }
        Ok(target) => out.push(text("error", format!("a new point's value must be a finite number, not {target}"))),
        Err(e) => out.push(text("error", e)),
    }
}

/// The worker added `point`: the plane shows it and the summary counts it.
pub(super) fn point_added(app: &mut App, point: Point, train_rows: usize, out: &mut Vec<Effect>) {
    let Some(summary) = app.summary.as_mut() else { return };
    let summary = Rc::make_mut(summary);
    summary.points.push(point);
    summary.train_rows = train_rows;
    out.push(text("data-summary", summary_text(summary)));
    out.push(text("error", ""));
    out.push(Effect::Render);
}

/// The data as an imported model sees it: its missing cells hold the model's values, a table
/// is laid out as the model's columns. The summary (and a plane's points) follow.
pub(super) fn summary_changed(app: &mut App, summary: DataSummary, out: &mut Vec<Effect>) {
    out.push(text("data-summary", summary_text(&summary)));
    show_point_controls(&summary, out);
    app.summary = Some(Rc::new(summary));
}
