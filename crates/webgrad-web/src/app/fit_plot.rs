//! The predicted-vs-true plot of a regression: one dot per test row (true value across,
//! prediction up) and the dashed diagonal where the prediction is exact. Pure drawing: the
//! points come from the worker.

use web_sys::HtmlCanvasElement;

const PAD: f64 = 40.0;

pub fn draw(canvas: &HtmlCanvasElement, points: &[(f32, f32)]) {
    let c = super::dom::ctx2d(canvas);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    c.clear_rect(0.0, 0.0, w, h);
    // one range for both axes, so the diagonal is y = x
    let finite = points.iter().flat_map(|&(t, p)| [t as f64, p as f64]).filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    c.set_stroke_style_str("#d0d4da");
    c.stroke_rect(PAD, 8.0, w - PAD - 8.0, h - PAD - 8.0);
    if lo > hi {
        return;
    }
    let margin = ((hi - lo) * 0.05).max(1e-6);
    let (lo, hi) = (lo - margin, hi + margin);
    let x = |v: f64| PAD + (w - PAD - 8.0) * (v - lo) / (hi - lo);
    let y = |v: f64| 8.0 + (h - PAD - 8.0) * (1.0 - (v - lo) / (hi - lo));
    c.set_stroke_style_str("#5f6368");
    let _ = c.set_line_dash(&js_sys::Array::of2(&4.0.into(), &4.0.into()));
    c.begin_path();
    c.move_to(x(lo), y(lo));
    c.line_to(x(hi), y(hi));
    c.stroke();
    let _ = c.set_line_dash(&js_sys::Array::new());
    c.set_fill_style_str("rgba(0, 114, 178, 0.55)");
    for &(t, p) in points {
        if t.is_finite() && p.is_finite() {
            c.begin_path();
            let _ = c.arc(x(t as f64), y(p as f64), 2.5, 0.0, std::f64::consts::TAU);
            c.fill();
        }
    }
    c.set_fill_style_str("#5f6368");
    c.set_font("11px system-ui, sans-serif");
    let label = |v: f64| format!("{v:.3}");
    let _ = c.fill_text(&label(lo), PAD, h - PAD + 14.0);
    let _ = c.fill_text(&label(hi), w - 50.0, h - PAD + 14.0);
    let _ = c.fill_text(&label(hi), 2.0, 18.0);
    let _ = c.fill_text(&label(lo), 2.0, h - PAD);
    let _ = c.fill_text("true value →", w / 2.0 - 30.0, h - 6.0);
    c.save();
    let _ = c.translate(12.0, h / 2.0 + 30.0);
    let _ = c.rotate(-std::f64::consts::FRAC_PI_2);
    let _ = c.fill_text("predicted →", 0.0, 0.0);
    c.restore();
}
