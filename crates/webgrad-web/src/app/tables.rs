//! The evaluation panel: per-class precision / recall / F1 and the confusion matrix as tables.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use webgrad_nn::metrics::{ClassStats, ClassificationReport, MAX_CONFUSION_CLASSES};

use super::dom::{by_id, clear, document, set_text};

fn cell(tag: &str, text: &str) -> Element {
    let e = document().create_element(tag).expect("element");
    e.set_text_content(Some(text));
    e
}

/// A header cell for a class name: long names are cut by the style sheet, so the full name is
/// also its title (shown on hover).
fn name_cell(name: &str) -> Element {
    let th = cell("th", name);
    let _ = th.set_attribute("title", name);
    th
}

/// Above this many classes the confusion matrix is a compact heatmap (counts on focus and in
/// each cell's accessible name).
const COMPACT_ABOVE: usize = 20;

/// The background of a confusion cell holding `share` ∈ [0, 1] of the largest count, and its
/// text colour: white to navy, skipping the middle band where neither dark nor white text has a
/// 4.5:1 contrast (WCAG AA).
fn heat(share: f64) -> (String, &'static str) {
    const NAVY: [f64; 3] = [8.0, 48.0, 107.0];
    let (mix, ink) = if share <= 0.5 { (1.1 * share, "#1d1d1f") } else { (0.7 + 0.6 * (share - 0.5), "white") };
    let [r, g, b] = NAVY.map(|n| (255.0 - mix * (255.0 - n)).round());
    (format!("rgb({r}, {g}, {b})"), ink)
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
        name_cell(name),
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
    by_id::<HtmlElement>("per-class").set_hidden(false);
    if r.confusion.is_empty() {
        // over MAX_CONFUSION_CLASSES classes the report holds no matrix
        let c = r.names.len();
        let why = format!(
            "With {c} classes the confusion matrix ({c} × {c} cells) is not drawn: it is drawn for up to {MAX_CONFUSION_CLASSES} classes."
        );
        set_text("confusion-help", &why);
        by_id::<HtmlElement>("confusion").set_hidden(true);
        return;
    }
    set_text("confusion-help", "Choose a cell of the confusion matrix to see its examples.");
    let _ = confusion.class_list().toggle_with_force("compact", r.names.len() > COMPACT_ABOVE);
    let _ = confusion.append_child(&cell("caption", "Confusion matrix (rows: true class, columns: predicted)"));
    // a compact matrix numbers its columns (class ids in the per-class table's order); the
    // full name is each column's title
    let compact = r.names.len() > COMPACT_ABOVE;
    let mut header = vec![cell("th", if compact { "true \\ predicted (class number)" } else { "true \\ predicted" })];
    header.extend(r.names.iter().enumerate().map(|(c, n)| {
        let th = name_cell(n);
        if compact {
            th.set_text_content(Some(&c.to_string()));
        }
        th
    }));
    let _ = confusion.append_child(&row(&header));
    let max = r.confusion.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    for (t, (name, counts)) in r.names.iter().zip(&r.confusion).enumerate() {
        let mut cells = vec![name_cell(name)];
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
            if let Some(h) = td.dyn_ref::<HtmlElement>() {
                let (background, ink) = heat(v as f64 / max);
                let _ = h.style().set_property("background", &background);
                let _ = h.style().set_property("color", ink);
            }
            cells.push(td);
        }
        let _ = confusion.append_child(&row(&cells));
    }
    by_id::<HtmlElement>("confusion").set_hidden(false);
}

pub fn hide() {
    by_id::<HtmlElement>("per-class").set_hidden(true);
    by_id::<HtmlElement>("confusion").set_hidden(true);
    by_id::<HtmlElement>("fit-figure").set_hidden(true);
}
