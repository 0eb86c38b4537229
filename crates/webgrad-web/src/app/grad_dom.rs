//! Draws a gradient check (`grad_view` says what): the summary line and a table with a row per
//! layer: its verdict and a strip of coloured cells, one per weight checked.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::*;
use super::grad_view::{cell_colour, rows, summary};
use webgrad_nn::gradcheck::GradCheck;

const CELL: f64 = 12.0;

pub fn show(c: &GradCheck) {
    set_text("gradcheck-summary", &summary(c));
    let table = by_id::<Element>("gradcheck-table");
    clear(&table);
    let doc = document();
    let cell = |tag: &str, text: &str, parent: &Element| {
        if let Ok(e) = doc.create_element(tag) {
            e.set_text_content(Some(text));
            let _ = parent.append_child(&e);
            Some(e)
        } else {
            None
        }
    };
    let Ok(head) = doc.create_element("tr") else { return };
    for title in ["layer", "weights", "median rel. error", "largest", "verdict", "each weight"] {
        if let Some(th) = cell("th", title, &head) {
            let _ = th.set_attribute("scope", "col");
        }
    }
    let _ = table.append_child(&head);
    for (l, r) in rows(c).iter().enumerate() {
        let Ok(tr) = doc.create_element("tr") else { return };
        if let Some(th) = cell("th", &r[0], &tr) {
            let _ = th.set_attribute("scope", "row");
        }
        for text in &r[1..] {
            cell("td", text, &tr);
        }
        if let Some(td) = cell("td", "", &tr) {
            td.append_child(&cells(c, l, &r[0])).ok();
        }
        let _ = table.append_child(&tr);
    }
    set_hidden("gradcheck-table", false);
}

/// One coloured cell per weight checked in layer `l`.
fn cells(c: &GradCheck, l: usize, name: &str) -> Element {
    let checks = &c.layers[l];
    let canvas = document().create_element("canvas").expect("a canvas");
    if let Ok(cv) = canvas.clone().dyn_into::<HtmlCanvasElement>() {
        cv.set_width((CELL * checks.len().max(1) as f64) as u32);
        cv.set_height(CELL as u32);
        let ctx = ctx2d(&cv);
        for (i, w) in checks.iter().enumerate() {
            ctx.set_fill_style_str(cell_colour(w.rel_err));
            ctx.fill_rect(CELL * i as f64 + 1.0, 1.0, CELL - 2.0, CELL - 2.0);
        }
    }
    canvas.set_class_name("grad-cells");
    let _ = canvas.set_attribute("role", "img");
    let _ = canvas.set_attribute("aria-label", &format!("{name}: the relative error of each of {} weights", checks.len()));
    canvas
}
