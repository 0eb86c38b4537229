//! Image datasets: the gallery of test predictions (mistakes first) and the drawing canvas
//! whose ink goes to the worker, which answers with class probabilities.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{Element, HtmlCanvasElement, ImageData, PointerEvent};

use super::dom::{by_id, clear, ctx2d, document, on, on_event, set_hidden};
use crate::protocol::GalleryItem;

/// A grey image (0 = background) drawn dark on white into a new canvas.
fn image_canvas(pixels: &[u8], rows: usize, cols: usize) -> Option<HtmlCanvasElement> {
    let canvas: HtmlCanvasElement = document().create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(cols as u32);
    canvas.set_height(rows as u32);
    let rgba: Vec<u8> = pixels.iter().flat_map(|&v| [255 - v, 255 - v, 255 - v, 255]).collect();
    let img = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), cols as u32, rows as u32).ok()?;
    ctx2d(&canvas).put_image_data(&img, 0.0, 0.0).ok()?;
    Some(canvas)
}

pub fn show_gallery(items: &[GalleryItem]) {
    let gallery: Element = by_id("gallery");
    clear(&gallery);
    set_hidden("gallery", false);
    set_hidden("gallery-help", true);
    for item in items {
        let Ok(item_box) = document().create_element("div") else { continue };
        item_box.set_class_name("item");
        let _ = item_box.set_attribute("role", "listitem");
        let wrong = item.truth != item.predicted;
        if wrong {
            let _ = item_box.class_list().add_1("wrong");
        }
        let label = format!("true {}, predicted {} ({:.0} %)", item.truth, item.predicted, 100.0 * item.confidence);
        let _ = item_box.set_attribute("aria-label", &label);
        if let Some(c) = image_canvas(&item.pixels, item.rows, item.cols) {
            let _ = item_box.append_child(&c);
        }
        if let Ok(caption) = document().create_element("div") {
            caption.set_class_name("caption");
            let arrow = if wrong { format!("{} → {}", item.truth, item.predicted) } else { item.predicted.clone() };
            caption.set_text_content(Some(&format!("{arrow} {:.0}%", 100.0 * item.confidence)));
            let _ = item_box.append_child(&caption);
        }
        let _ = gallery.append_child(&item_box);
    }
}

/// The class probabilities of the drawn digit, best first in bold, each with a bar. Class names
/// come from the data file, so they are set as text only (never parsed as HTML).
pub fn show_prediction(probabilities: &[(String, f32)]) {
    let list: Element = by_id("prediction");
    clear(&list);
    let best = probabilities.iter().map(|p| p.1).fold(0.0f32, f32::max);
    for (name, p) in probabilities {
        let (Ok(li), Ok(bar)) = (document().create_element("li"), document().create_element("span")) else { continue };
        let text = format!("{name}: {:.1} %", 100.0 * p);
        let label = if *p == best { document().create_element("strong").ok() } else { None };
        match label {
            Some(strong) => {
                strong.set_text_content(Some(&text));
                let _ = li.append_child(&strong);
            }
            None => li.set_text_content(Some(&text)),
        }
        bar.set_class_name("bar");
        if let Some(bar) = bar.dyn_ref::<web_sys::HtmlElement>() {
            let _ = bar.style().set_property("width", &format!("{:.0}px", 120.0 * p));
        }
        let _ = li.append_child(&bar);
        let _ = list.append_child(&li);
    }
}

/// Wires the drawing canvas; `send(ink, width, height)` is called when a stroke ends and every
/// ~150 ms while drawing, so the prediction follows the pen.
pub fn wire_drawing(send: impl Fn(Vec<u8>, usize, usize) + 'static) {
    let canvas: HtmlCanvasElement = by_id("draw");
    let c = ctx2d(&canvas);
    c.set_line_width(20.0);
    c.set_line_cap("round");
    c.set_line_join("round");
    c.set_stroke_style_str("black");
    let drawing = Rc::new(Cell::new(false));
    let last_sent = Rc::new(Cell::new(0.0f64));
    let send = Rc::new(send);
    let ink = {
        let canvas = canvas.clone();
        move || -> Option<(Vec<u8>, usize, usize)> {
            let (w, h) = (canvas.width() as usize, canvas.height() as usize);
            let data = ctx2d(&canvas).get_image_data(0.0, 0.0, w as f64, h as f64).ok()?.data();
            Some((data.iter().skip(3).step_by(4).copied().collect(), w, h))
        }
    };
    let position = |e: &web_sys::Event| {
        let e = e.dyn_ref::<PointerEvent>()?;
        let canvas: HtmlCanvasElement = by_id("draw");
        let rect = canvas.get_bounding_client_rect();
        let sx = canvas.width() as f64 / rect.width().max(1.0);
        let sy = canvas.height() as f64 / rect.height().max(1.0);
        Some(((e.client_x() as f64 - rect.left()) * sx, (e.client_y() as f64 - rect.top()) * sy))
    };
    {
        let (c, drawing) = (c.clone(), drawing.clone());
        on_event("draw", "pointerdown", move |e| {
            if let Some((x, y)) = position(&e) {
                drawing.set(true);
                c.begin_path();
                c.move_to(x, y);
                c.line_to(x + 0.1, y + 0.1);
                c.stroke();
            }
        });
    }
    {
        let (c, drawing, send, ink, last_sent) =
            (c.clone(), drawing.clone(), send.clone(), ink.clone(), last_sent.clone());
        on_event("draw", "pointermove", move |e| {
            if !drawing.get() {
                return;
            }
            if let Some((x, y)) = position(&e) {
                c.line_to(x, y);
                c.stroke();
            }
            let now = js_sys::Date::now();
            if now - last_sent.get() > 150.0
                && let Some((v, w, h)) = ink()
            {
                last_sent.set(now);
                send(v, w, h);
            }
        });
    }
    for event in ["pointerup", "pointerleave"] {
        let (drawing, send, ink) = (drawing.clone(), send.clone(), ink.clone());
        on_event("draw", event, move |_| {
            if drawing.replace(false)
                && let Some((v, w, h)) = ink()
            {
                send(v, w, h);
            }
        });
    }
    on("clear-drawing", "click", move || {
        let canvas: HtmlCanvasElement = by_id("draw");
        ctx2d(&canvas).clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
        clear(&by_id::<Element>("prediction"));
    });
}
