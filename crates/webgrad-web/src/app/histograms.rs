//! Each hidden layer's outputs over a sample of test rows as a histogram (the worker counts
//! them: `LayerHistogram`), with one sentence per layer saying the range and the share of
//! outputs that are exactly 0 or not numbers.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::*;
use crate::protocol::LayerHistogram;

const WIDTH: u32 = 300;
const HEIGHT: u32 = 60;

pub fn show(layers: &[LayerHistogram]) {
    let host = by_id::<Element>("activation-histograms");
    clear(&host);
    let doc = document();
    for (l, h) in layers.iter().enumerate() {
        let Some(canvas) = doc.create_element("canvas").ok().and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_width(WIDTH);
        canvas.set_height(HEIGHT);
        let _ = canvas.set_attribute("role", "img");
        let _ = canvas.set_attribute("aria-label", &format!("histogram of layer {}'s outputs", l + 1));
        draw(&canvas, h);
        let Ok(summary) = doc.create_element("p") else { return };
        summary.set_class_name("help");
        summary.set_text_content(Some(&h.summary(l + 1)));
        let _ = host.append_child(&canvas);
        let _ = host.append_child(&summary);
    }
}

/// Bars of `h.counts` (square-root heights), the tallest reaching the top; a bar for the bin holding 0 is drawn darker
/// (a ReLU layer's "off" outputs pile up there).
pub fn draw(canvas: &HtmlCanvasElement, h: &LayerHistogram) {
    let c = ctx2d(canvas);
    let (w, ht) = (f64::from(WIDTH), f64::from(HEIGHT));
    c.clear_rect(0.0, 0.0, w, ht);
    // heights on a square-root scale, so a bar of 0s does not flatten the rest
    let max = (h.counts.iter().copied().max().unwrap_or(0).max(1) as f64).sqrt();
    let bar = w / h.counts.len().max(1) as f64;
    let zero_bin = h.bin_of(0.0);
    for (b, &count) in h.counts.iter().enumerate() {
        let height = (ht - 4.0) * (count as f64).sqrt() / max;
        c.set_fill_style_str(if Some(b) == zero_bin { "#1d1d1f" } else { "#0072b2" });
        c.fill_rect(b as f64 * bar + 1.0, ht - height, (bar - 2.0).max(1.0), height);
    }
}
