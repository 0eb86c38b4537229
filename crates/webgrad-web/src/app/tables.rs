//! The evaluation panel: per-class precision / recall / F1 and the confusion matrix as tables.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use webgrad_nn::metrics::{ClassStats, ClassificationReport};

use super::dom::{by_id, clear, document};

fn cell(tag: &str, text: &str) -> Element {
    let e = document().create_element(tag).expect("element");
    e.set_text_content(Some(text));
    e
}

fn row(cells: &[Element]) -> Element {
    let tr = document().create_element("tr").expect("tr");
    for c in cells {
        let _ = tr.append_child(c);
    }
    tr
}

fn stats_row(name: &str, s: &ClassStats) -> Element {
    row(&[
        cell("th", name),
        cell("td", &format!("{:.3}", s.precision)),
        cell("td", &format!("{:.3}", s.recall)),
        cell("td", &format!("{:.3}", s.f1)),
        cell("td", &s.support.to_string()),
    ])
}

pub fn show_classification(r: &ClassificationReport) {
    let per_class: Element = by_id("per-class");
    clear(&per_class);
    let caption = cell("caption", "Per-class metrics");
    let _ = per_class.append_child(&caption);
    let _ = per_class.append_child(&row(&[
        cell("th", "class"),
        cell("th", "precision"),
        cell("th", "recall"),
        cell("th", "F1"),
        cell("th", "support"),
    ]));
    for (name, s) in r.names.iter().zip(&r.per_class) {
        let _ = per_class.append_child(&stats_row(name, s));
    }
    let _ = per_class.append_child(&stats_row("macro avg", &r.macro_avg));
    let _ = per_class.append_child(&stats_row("weighted avg", &r.weighted_avg));

    let confusion: Element = by_id("confusion");
    clear(&confusion);
    let _ = confusion.append_child(&cell("caption", "Confusion matrix (rows: true class, columns: predicted)"));
    let mut header = vec![cell("th", "true \\ predicted")];
    header.extend(r.names.iter().map(|n| cell("th", n)));
    let _ = confusion.append_child(&row(&header));
    let max = r.confusion.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    for (t, (name, counts)) in r.names.iter().zip(&r.confusion).enumerate() {
        let mut cells = vec![cell("th", name)];
        for (p, &v) in counts.iter().enumerate() {
            let td = cell("td", "");
            // a button per cell: click (or Enter) shows the examples behind the count
            let button = cell("button", &v.to_string());
            let _ = button.set_attribute("type", "button");
            let _ = button.set_attribute("class", "cell");
            let _ = button.set_attribute("data-truth", &t.to_string());
            let _ = button.set_attribute("data-predicted", &p.to_string());
            let _ = button
                .set_attribute("aria-label", &format!("{v} examples of {} predicted as {}", r.names[t], r.names[p]));
            let _ = td.append_child(&button);
            let alpha = 0.85 * v as f64 / max;
            if let Some(h) = td.dyn_ref::<HtmlElement>() {
                let _ = h.style().set_property("background", &format!("rgba(0, 114, 178, {alpha:.3})"));
                if alpha > 0.45 {
                    let _ = h.style().set_property("color", "white");
                }
            }
            cells.push(td);
        }
        let _ = confusion.append_child(&row(&cells));
    }
    by_id::<HtmlElement>("per-class").set_hidden(false);
    by_id::<HtmlElement>("confusion").set_hidden(false);
}

pub fn hide() {
    by_id::<HtmlElement>("per-class").set_hidden(true);
    by_id::<HtmlElement>("confusion").set_hidden(true);
    by_id::<HtmlElement>("fit-figure").set_hidden(true);
}
