//! The health monitors beside the loss curve: a table with a row per linear layer and, per
//! figure (units off, gradient norm, update size), a sparkline over the run with the latest
//! value in words; and the alerts as a list. `health_history` computes every number and
//! position; this module only draws them.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::*;
use crate::health_history::{FIGURES, Figure, HealthHistory, figure_text, layer_label, sparkline};

/// CSS pixels of a sparkline (its canvas is drawn at twice this for sharp lines).
const SPARK_W: f64 = 96.0;
const SPARK_H: f64 = 24.0;

fn figure_name(f: Figure) -> &'static str {
    match f {
        Figure::UnitsOff => "units off",
        Figure::GradNorm => "gradient norm",
        Figure::UpdateRatio => "update size",
    }
}

/// Draws the sparklines of `h`; `version` names what is drawn: nothing happens when the
/// table already shows it.
pub fn draw(h: &HealthHistory, version: u64) {
    let table = by_id::<Element>("health-table");
    if !moved_on(&table, version) {
        return;
    }
    let Some((step, layers)) = h.latest() else {
        let _ = table.set_attribute("data-shape", "");
        return clear(&table);
    };
    let labels: Vec<String> = layers.iter().enumerate().map(|(i, l)| layer_label(i, l)).collect();
    let shape = labels.join(",");
    if table.get_attribute("data-shape").as_deref() != Some(shape.as_str()) {
        build(&table, &labels);
        let _ = table.set_attribute("data-shape", &shape);
    }
    let (Ok(canvases), Ok(values)) =
        (table.query_selector_all("canvas.spark"), table.query_selector_all("span.spark-value"))
    else {
        return;
    };
    let mut index = 0;
    for (l, layer) in layers.iter().enumerate() {
        for figure in FIGURES {
            if let Some(canvas) = canvases.item(index).and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok()) {
                line(&canvas, &sparkline(&h.series(l, figure), figure, SPARK_W, SPARK_H));
            }
            if let Some(v) = values.item(index) {
                v.set_text_content(Some(&figure_text(layer, figure)));
            }
            index += 1;
        }
    }
    set_text("health-step", &format!("Last window ended at step {}; {} windows so far.", step, h.len()));
}

/// The table's head and one row per layer: its name, then a sparkline and a value per figure.
fn build(table: &Element, labels: &[String]) {
    clear(table);
    let doc = document();
    let Ok(head) = doc.create_element("tr") else { return };
    for title in ["layer", "units off", "gradient norm", "update size"] {
        if let Ok(th) = doc.create_element("th") {
            th.set_text_content(Some(title));
            let _ = th.set_attribute("scope", "col");
            let _ = head.append_child(&th);
        }
    }
    let _ = table.append_child(&head);
    for label in labels {
        let Ok(row) = doc.create_element("tr") else { return };
        if let Ok(th) = doc.create_element("th") {
            th.set_text_content(Some(label));
            let _ = th.set_attribute("scope", "row");
            let _ = row.append_child(&th);
        }
        for figure in FIGURES {
            let (Ok(td), Ok(canvas), Ok(value)) =
                (doc.create_element("td"), doc.create_element("canvas"), doc.create_element("span"))
            else {
                return;
            };
            if let Ok(c) = canvas.clone().dyn_into::<HtmlCanvasElement>() {
                c.set_width((2.0 * SPARK_W) as u32);
                c.set_height((2.0 * SPARK_H) as u32);
            }
            canvas.set_class_name("spark");
            let _ = canvas.set_attribute("role", "img");
            let _ = canvas.set_attribute("aria-label", &format!("{label}: {} over the run", figure_name(figure)));
            value.set_class_name("spark-value");
            let _ = td.append_child(&canvas);
            let _ = td.append_child(&value);
            let _ = row.append_child(&td);
        }
        let _ = table.append_child(&row);
    }
}

/// A sparkline through `points` (CSS pixels of a SPARK_W × SPARK_H box), its last point marked.
fn line(canvas: &HtmlCanvasElement, points: &[(f64, f64)]) {
    let c = ctx2d(canvas);
    let _ = c.set_transform(2.0, 0.0, 0.0, 2.0, 0.0, 0.0);
    c.clear_rect(0.0, 0.0, SPARK_W, SPARK_H);
    c.set_stroke_style_str("#e3e6ea");
    c.stroke_rect(0.5, 0.5, SPARK_W - 1.0, SPARK_H - 1.0);
    let Some(&(lx, ly)) = points.last() else { return };
    c.set_stroke_style_str("#0072b2");
    c.set_line_width(1.5);
    c.begin_path();
    for (i, &(x, y)) in points.iter().enumerate() {
        if i == 0 { c.move_to(x, y) } else { c.line_to(x, y) }
    }
    c.stroke();
    c.set_fill_style_str("#0072b2");
    c.begin_path();
    let _ = c.arc(lx, ly, 2.0, 0.0, std::f64::consts::TAU);
    c.fill();
}

/// The alerts, newest first, as list items of plain text (they quote nothing from a file, but
/// text is all they need); a line whose condition is over is muted (class `over`).
pub fn show_alerts(alerts: &[(String, bool)]) {
    let list = by_id::<Element>("health-alerts");
    clear(&list);
    let doc = document();
    for (a, over) in alerts {
        if let Ok(li) = doc.create_element("li") {
            li.set_text_content(Some(a));
            if *over {
                li.set_class_name("over");
            }
            let _ = list.append_child(&li);
        }
    }
    set_hidden("health-alerts", alerts.is_empty());
}
