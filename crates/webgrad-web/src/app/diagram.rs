//! The network diagram: one column of nodes per layer, links coloured by the sign of their
//! weight (blue positive, orange negative) and drawn thicker and darker the larger it is.
//! Layers wider than the worker's limit show the units it chose (`units`) and a "+N" note.

use web_sys::HtmlCanvasElement;

use crate::diagram_units::Geometry;

/// `sizes` = units per layer, input first; `units[l]` = the units of layer l drawn;
/// `layers[l]` = weights between them, [units[l+1].len(), units[l].len()]; `inputs` = the
/// inputs' names (drawn when there is one per input node).
pub fn draw(canvas: &HtmlCanvasElement, sizes: &[usize], units: &[Vec<usize>], layers: &[Vec<f32>], inputs: &[String]) {
    let c = super::dom::ctx2d(canvas);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    c.clear_rect(0.0, 0.0, w, h);
    let shown = |l: usize| units.get(l).map_or(0, Vec::len);
    let geometry = Geometry { width: w, height: h, shown: (0..sizes.len()).map(shown).collect() };
    let x = |l: usize| geometry.node(l, 0).0;
    let y = |l: usize, i: usize| geometry.node(l, i).1;
    let max = layers.iter().flatten().fold(1e-6f32, |m, v| m.max(v.abs())) as f64;
    for (l, weights) in layers.iter().enumerate() {
        let fan_in = shown(l);
        for o in 0..shown(l + 1) {
            for i in 0..fan_in {
                let Some(&v) = weights.get(o * fan_in + i) else { continue };
                let v = v as f64;
                let strength = (v.abs() / max).sqrt();
                c.set_stroke_style_str(&if v >= 0.0 {
                    format!("rgba(0, 114, 178, {strength:.3})")
                } else {
                    format!("rgba(230, 159, 0, {strength:.3})")
                });
                c.set_line_width(0.5 + 2.5 * strength);
                c.begin_path();
                c.move_to(x(l), y(l, i));
                c.line_to(x(l + 1), y(l + 1, o));
                c.stroke();
            }
        }
    }
    c.set_font("11px system-ui");
    for (l, &size) in sizes.iter().enumerate() {
        for i in 0..shown(l) {
            c.set_fill_style_str("#ffffff");
            c.set_stroke_style_str("#5f6368");
            c.set_line_width(1.0);
            c.begin_path();
            let _ = c.arc(x(l), y(l, i), 5.0, 0.0, std::f64::consts::TAU);
            c.fill();
            c.stroke();
        }
        c.set_fill_style_str("#5f6368");
        let label = if size > shown(l) { format!("{size} (+{})", size - shown(l)) } else { size.to_string() };
        let _ = c.fill_text(&label, x(l) - 10.0, h - 4.0);
    }
    // the inputs' names left of their nodes (a plane's features, e.g. "x₁²")
    if inputs.len() == shown(0) {
        c.set_text_align("right");
        for (i, name) in inputs.iter().enumerate() {
            let _ = c.fill_text_with_max_width(name, x(0) - 8.0, y(0, i) + 4.0, x(0) - 10.0);
        }
        c.set_text_align("start");
    }
}

/// Where a pointer event on canvas `id` is, in canvas pixels, with the canvas's pixel size
/// (canvases are drawn at a fixed size and scaled by CSS): (x, y, width, height).
pub fn canvas_point(id: &str, event: &web_sys::Event) -> Option<(f64, f64, f64, f64)> {
    use wasm_bindgen::JsCast;
    let e = event.dyn_ref::<web_sys::MouseEvent>()?;
    let canvas = super::dom::by_id::<HtmlCanvasElement>(id);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    let (cw, ch) = (canvas.client_width() as f64, canvas.client_height() as f64);
    if cw <= 0.0 || ch <= 0.0 {
        return None;
    }
    Some((e.offset_x() as f64 * w / cw, e.offset_y() as f64 * h / ch, w, h))
}
