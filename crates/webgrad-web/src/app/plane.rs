//! The 2-D view: the model's output as a heatmap (an ImageData upscaled by the canvas) with the
//! data points on top — TensorFlow Playground's signature view.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{HtmlCanvasElement, ImageData};

use super::state::ChartOptions;
use crate::protocol::{Boundary, Point};

/// The boundary as a heatmap and the points over it; with `options.discretize` each cell shows
/// the predicted class (regression: above or below the grid's middle value), and without
/// `options.show_test` the test points (squares) are left out.
pub fn draw(canvas: &HtmlCanvasElement, boundary: &Boundary, points: &[Point], regression: bool, options: &ChartOptions) {
    let c = super::dom::ctx2d(canvas);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    let n = boundary.size;
    // regression outputs are mapped into [0, 1] by their range on the grid
    let (lo, hi) = boundary.values.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let graded = |v: f32| if regression { (v - lo) / (hi - lo).max(1e-6) } else { v };
    let norm = |v: f32| {
        let t = graded(v);
        if options.discretize { if t >= 0.5 { 1.0 } else { 0.0 } } else { t }
    };
    let rgba = super::heatmap::rgba(&boundary.values, norm);
    if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), n as u32, n as u32) {
        // draw the n×n image scaled to the canvas through a temporary canvas
        let doc = super::dom::document();
        if let Some(tmp) = doc.create_element("canvas").ok().and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok()) {
            tmp.set_width(n as u32);
            tmp.set_height(n as u32);
            let _ = super::dom::ctx2d(&tmp).put_image_data(&img, 0.0, 0.0);
            c.set_image_smoothing_enabled(true);
            let _ = c.draw_image_with_html_canvas_element_and_dw_and_dh(&tmp, 0.0, 0.0, w, h);
        }
    }
    for p in points.iter().filter(|p| options.show_test || !p.test) {
        let (px, py) = boundary.canvas_point((p.x, p.y), (w, h));
        // a regression's points carry no class: dark, so they do not read as "low" or "high"
        c.set_fill_style_str(match (regression, p.class) {
            (true, _) => "#1d1d1f",
            (false, 1) => "#0072b2",
            _ => "#e69f00",
        });
        c.set_stroke_style_str("#ffffff");
        c.begin_path();
        if p.test {
            c.rect(px - 3.0, py - 3.0, 6.0, 6.0);
        } else {
            let _ = c.arc(px, py, 3.0, 0.0, std::f64::consts::TAU);
        }
        c.fill();
        c.stroke();
    }
}
