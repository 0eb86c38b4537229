//! Carries out the views an update asks for, and draws the charts once per animation frame
//! from a snapshot of the state (taken and released before any DOM call).

use std::rc::Rc;

use web_sys::{Element, HtmlCanvasElement, HtmlProgressElement};

use super::dom::*;
use super::state::{App, ChartOptions};
use super::update::View;
use super::{controls, diagram, fit_plot, grad_dom, health, inspect_dom, race_dom, sweep_dom, images, histograms, layers, loss_chart, neurons, plane, tables};
use crate::health_history::HealthHistory;
use crate::loss_history::LossHistory;
use super::neurons::Pictures;
use crate::protocol::{Boundary, DataSummary, UnitLayer};

pub fn show(view: View) {
    match view {
        View::Text(id, text) => set_text(id, &text),
        View::Hidden(id, hidden) => set_hidden(id, hidden),
        View::LoadProgress(progress) => {
            let bar = by_id::<HtmlProgressElement>("load-progress");
            match progress {
                Some((value, max)) => {
                    bar.set_max(max);
                    bar.set_value(value);
                }
                None => {
                    let _ = bar.remove_attribute("value");
                }
            }
        }
        View::Experiment(e) => controls::show_experiment(&e),
        View::Link(e, options) => controls::remember_in_url(&e, options),
        View::Layers(l) => layers::show(&l),
        View::Preview(p) => controls::show_preview(p.as_ref()),
        View::Table { id, title, preview } => controls::show_table(id, &title, &preview),
        View::Classification(report) => tables::show_classification(&report),
        View::HideEvaluation => tables::hide(),
        View::Diagram(d, inputs) => {
            diagram::draw(&by_id::<HtmlCanvasElement>("diagram"), &d.sizes, &d.units, &d.layers, &inputs)
        }
        View::Value(id, value) => set_input_value(id, &value),
        View::Options(id, options) => controls::set_options(id, &options),
        View::Activations(layers) => histograms::show(&layers),
        View::Alerts(alerts) => health::show_alerts(&alerts),
        View::Meter(id, value, max) => {
            let bar = by_id::<HtmlProgressElement>(id);
            bar.set_max(max.max(1.0));
            bar.set_value(value);
        }
        View::GradCheck(c) => grad_dom::show(&c),
        View::Inspection(s) => inspect_dom::show(&super::inspect_view::view(&s)),
        View::Gallery(items) => images::show_gallery(&items),
        View::Fit(points) => fit_plot::draw(&by_id::<HtmlCanvasElement>("fit-plot"), &points),
        View::Prediction(p) => images::show_prediction(&p),
        View::ExportLinks { safetensors, json } => {
            let links = by_id::<Element>("export-links");
            controls::clear_download_links(&links);
            for a in [
                controls::download_link("webgrad-model.safetensors", &safetensors, "application/octet-stream"),
                controls::download_link("webgrad-model.json", json.as_bytes(), "application/json"),
            ]
            .into_iter()
            .flatten()
            {
                let _ = links.append_child(&a);
            }
        }
        View::EmbedCode(code) => {
            by_id::<web_sys::HtmlTextAreaElement>("embed-code").set_value(&code);
            set_hidden("embed-box", false);
        }
        View::TorchProject { zip, name } => {
            let links = by_id::<Element>("export-links");
            controls::clear_download_links(&links);
            if let Some(a) = controls::download_link(&name, &zip, "application/zip") {
                let _ = links.append_child(&a);
            }
        }
    }
}

/// What one frame draws: copies of the curves (each at most ~1,000 points) and shared
/// references to the data and the boundary.
pub struct Charts {
    ready: bool,
    running: bool,
    options: ChartOptions,
    losses: LossHistory,
    test_losses: Vec<(u64, f64)>,
    scores: Vec<(u64, Option<f64>, f64)>,
    train_running: bool,
    regression: bool,
    plane: Option<(Rc<Boundary>, Rc<DataSummary>)>,
    unit_pictures: Option<Rc<(Vec<UnitLayer>, Pictures)>>,
    pictures_version: u64,
    focused_unit: (usize, usize),
    health: Rc<HealthHistory>,
    health_version: u64,
    race: Option<(Rc<super::race::Race>, u64)>,
    sweep: Option<(Rc<super::sweep::Sweep>, u64)>,
}

impl Charts {
    pub fn of(app: &App) -> Charts {
        let plane = match (&app.boundary, &app.summary) {
            (Some(b), Some(s)) if s.plane => Some((b.clone(), s.clone())),
            _ => None,
        };
        Charts {
            ready: app.ready,
            running: app.running,
            options: app.chart.clone(),
            losses: app.losses.clone(),
            test_losses: app.test_losses.clone(),
            scores: app.scores.clone(),
            train_running: app.train_running,
            regression: app.regression,
            plane,
            unit_pictures: app.unit_pictures.clone(),
            pictures_version: app.pictures_version,
            focused_unit: app.focused_unit,
            health: app.health.clone(),
            health_version: app.health_version,
            race: app.race.clone().map(|r| (r, app.race_version)),
            sweep: app.sweep.clone().map(|s| (s, app.sweep_version)),
        }
    }
}

pub fn render(c: &Charts) {
    set_disabled("train", !c.ready || c.running);
    set_disabled("pause", !c.running);
    set_disabled("step", !c.ready || c.running);
    loss_chart::draw(
        &by_id::<HtmlCanvasElement>("loss-chart"),
        &c.losses,
        &c.test_losses,
        c.options.log_scale,
        c.options.smoothing,
    );
    let caption = match (c.losses.first(), c.losses.last()) {
        (Some(first), Some(last)) => {
            format!("Loss: first {:.4}, last {:.4} ({} steps).", first.1, last.1, c.losses.steps())
        }
        _ => "Loss: no steps yet.".to_string(),
    };
    set_text("loss-summary", &caption);
    // the phone toolbar's compact chart, drawn only where the layout shows it
    let mini = by_id::<HtmlCanvasElement>("mini-loss");
    if mini.client_width() > 0 {
        loss_chart::draw_mini(&mini, &c.losses, c.options.smoothing);
    }
    loss_chart::draw_scores(&by_id::<HtmlCanvasElement>("score-chart"), &c.scores, c.regression);
    let what = if c.regression { "R²" } else { "Accuracy" };
    let value = |s: f64| if c.regression { format!("{s:.4}") } else { format!("{:.2} %", 100.0 * s) };
    let score_caption = match c.scores.last() {
        Some((e, Some(tr), te)) => {
            let how = if c.train_running { " (over the epoch's batches, as it learned)" } else { "" };
            format!("{what} after epoch {e}: train {}{how}, test {}.", value(*tr), value(*te))
        }
        Some((e, None, te)) => format!("{what} after epoch {e}: test {}.", value(*te)),
        None => format!("{what}: no epoch finished yet."),
    };
    set_text("score-summary", &score_caption);
    if let Some((b, s)) = &c.plane {
        plane::draw(&by_id::<HtmlCanvasElement>("boundary"), b, &s.points, s.class_names.is_empty(), &c.options);
    }
    health::draw(&c.health, c.health_version);
    if let Some((race, version)) = &c.race {
        race_dom::draw(race, *version);
    }
    if let Some((sweep, version)) = &c.sweep {
        sweep_dom::draw(sweep, *version);
    }
    if let Some(p) = &c.unit_pictures {
        neurons::draw(&p.0, c.focused_unit, p.1, c.pictures_version);
    }
}
