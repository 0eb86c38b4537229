//! Draws the inspector (`inspect_view` says what): the step's summary, a table with a row per
//! layer and its outputs' histogram, and the chosen unit's formulas next to their numbers, all as
//! text.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::*;
use super::histograms;
use super::inspect_view::InspectorView;

pub fn show(v: &InspectorView) {
    set_text("inspect-summary", &v.summary);
    let doc = document();
    let table = by_id::<Element>("inspect-layers");
    clear(&table);
    let add = |parent: &Element, tag: &str, text: &str| -> Option<Element> {
        let e = doc.create_element(tag).ok()?;
        e.set_text_content(Some(text));
        parent.append_child(&e).ok()?;
        Some(e)
    };
    let Ok(head) = doc.create_element("tr") else { return };
    for title in ["layer", "outputs: mean ± std, range", "zeros", "‖∂L/∂W‖", "‖ΔW‖ / ‖W‖", "outputs"] {
        if let Some(th) = add(&head, "th", title) {
            let _ = th.set_attribute("scope", "col");
        }
    }
    let _ = table.append_child(&head);
    for r in &v.layers {
        let Ok(tr) = doc.create_element("tr") else { return };
        if let Some(th) = add(&tr, "th", &r.name) {
            let _ = th.set_attribute("scope", "row");
        }
        for c in &r.cells {
            add(&tr, "td", c);
        }
        if let (Some(td), Some(canvas)) = (
            add(&tr, "td", ""),
            doc.create_element("canvas").ok().and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok()),
        ) {
            canvas.set_width(300);
            canvas.set_height(60);
            canvas.set_class_name("inspect-histogram");
            let _ = canvas.set_attribute("role", "img");
            let _ = canvas.set_attribute("aria-label", &format!("histogram of {}'s outputs on the batch", r.name));
            histograms::draw(&canvas, &r.histogram);
            let _ = td.append_child(&canvas);
        }
        let _ = table.append_child(&tr);
    }
    set_hidden("inspect-layers", false);
    set_text("inspect-unit-title", &v.unit_title);
    let list = by_id::<Element>("inspect-formulas");
    clear(&list);
    for (formula, numbers) in &v.lines {
        let Ok(row) = doc.create_element("tr") else { return };
        if let Some(th) = add(&row, "th", formula) {
            let _ = th.set_attribute("scope", "row");
            th.set_class_name("code");
        }
        add(&row, "td", numbers);
        let _ = list.append_child(&row);
    }
    set_hidden("inspect-formulas", false);
}
