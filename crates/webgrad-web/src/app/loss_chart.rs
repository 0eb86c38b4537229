//! The loss chart: train loss per step (thin line, plus an exponential moving average) and test
//! loss per epoch (dots), on a linear or log y axis. Pure drawing: the numbers come from the worker.

use web_sys::HtmlCanvasElement;

use super::dom::ctx2d;

use crate::loss_history::{LossHistory, axis_ends};

const PAD: f64 = 36.0;

/// `smoothing` ∈ [0, 1): the weight of the past in the smoothed line's moving average
/// (TensorBoard's slider; 0 = the raw loss). The raw loss is drawn as its per-bucket min–max
/// envelope (`LossHistory`), so a long run draws as fast as a short one and keeps its spikes.
pub fn draw(canvas: &HtmlCanvasElement, train: &LossHistory, test: &[(u64, f64)], log_scale: bool, smoothing: f64) {
    let c = ctx2d(canvas);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    c.clear_rect(0.0, 0.0, w, h);
    let buckets = train.buckets();
    let ys = buckets
        .iter()
        .flat_map(|b| [b.min as f64, b.max as f64])
        .chain(test.iter().map(|p| p.1))
        .filter(|v| v.is_finite() && (!log_scale || *v > 0.0));
    let (lo, hi) = ys.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = axis_ends(lo, hi, log_scale);
    let last_step = train.last().map(|p| p.0).unwrap_or(1);
    let max_step = last_step.max(test.last().map(|p| p.0).unwrap_or(1)) as f64;
    c.set_stroke_style_str("#d0d4da");
    c.stroke_rect(PAD, 8.0, w - PAD - 8.0, h - PAD - 8.0);
    if lo > hi {
        return;
    }
    let f = |v: f64| if log_scale { v.max(1e-12).log10() } else { v };
    let (flo, fhi) = (f(lo), f(hi).max(f(lo) + 1e-9));
    let x = |s: f64| PAD + (w - PAD - 8.0) * s / max_step.max(1.0);
    let y = |v: f64| 8.0 + (h - PAD - 16.0) * (1.0 - (f(v) - flo) / (fhi - flo));
    c.set_fill_style_str("#5f6368");
    c.set_font("11px system-ui");
    let _ = c.fill_text(&format!("{hi:.3}"), 2.0, 16.0);
    let _ = c.fill_text(&format!("{lo:.3}"), 2.0, h - PAD);
    let _ = c.fill_text(&format!("step {}", max_step as u64), w - 70.0, h - 10.0);
    // raw train loss: through each bucket's max and min at its last step
    c.set_stroke_style_str("#56b4e9");
    c.set_line_width(1.0);
    c.begin_path();
    for (i, b) in buckets.iter().enumerate() {
        let xs = x(b.last_step as f64);
        if i == 0 {
            c.move_to(xs, y(b.max as f64))
        } else {
            c.line_to(xs, y(b.max as f64))
        }
        if b.min != b.max {
            c.line_to(xs, y(b.min as f64));
        }
    }
    c.stroke();
    // smoothed train loss
    c.set_stroke_style_str("#0072b2");
    c.set_line_width(2.0);
    c.begin_path();
    for (i, (s, v)) in train.smoothed(smoothing).into_iter().enumerate() {
        if i == 0 { c.move_to(x(s as f64), y(v)) } else { c.line_to(x(s as f64), y(v)) }
    }
    c.stroke();
    // test loss per epoch
    c.set_fill_style_str("#e69f00");
    for &(s, v) in test {
        c.begin_path();
        let _ = c.arc(x(s as f64), y(v), 4.0, 0.0, std::f64::consts::TAU);
        c.fill();
    }
}

/// The compact loss chart of the phone toolbar: the smoothed train loss over the whole run, and
/// its last value ("avg": the toolbar's text has the last step's loss), without axes.
pub fn draw_mini(canvas: &HtmlCanvasElement, train: &LossHistory, smoothing: f64) {
    let c = ctx2d(canvas);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    c.clear_rect(0.0, 0.0, w, h);
    let line = train.smoothed(smoothing);
    let values = line.iter().map(|p| p.1).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let Some(&(last_step, last)) = line.last() else { return };
    if lo > hi {
        return;
    }
    let right = w - 84.0;
    let x = |s: u64| 2.0 + (right - 4.0) * s as f64 / last_step.max(1) as f64;
    let y = |v: f64| 4.0 + (h - 8.0) * (1.0 - (v - lo) / (hi - lo).max(1e-12));
    c.set_stroke_style_str("#0072b2");
    c.set_line_width(2.0);
    c.begin_path();
    for (i, &(s, v)) in line.iter().enumerate() {
        if i == 0 { c.move_to(x(s), y(v)) } else { c.line_to(x(s), y(v)) }
    }
    c.stroke();
    c.set_fill_style_str("#1d1d1f");
    c.set_font("13px system-ui");
    let _ = c.fill_text(&format!("avg {last:.4}"), right + 6.0, h / 2.0 + 4.0);
}

/// Train (blue) and test (orange) accuracy — or R² — per epoch, on a 0–100 % axis (R² from 0
/// to 1; below 0 is drawn at 0).
pub fn draw_scores(canvas: &HtmlCanvasElement, scores: &[(u64, Option<f64>, f64)], regression: bool) {
    let c = ctx2d(canvas);
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    c.clear_rect(0.0, 0.0, w, h);
    c.set_stroke_style_str("#d0d4da");
    c.set_line_width(1.0);
    c.stroke_rect(PAD, 8.0, w - PAD - 8.0, h - PAD - 8.0);
    c.set_fill_style_str("#5f6368");
    c.set_font("11px system-ui");
    let (top, bottom) = score_axis(regression);
    let _ = c.fill_text(top, 2.0, 16.0);
    let _ = c.fill_text(bottom, 2.0, h - PAD);
    let Some(&(last, _, _)) = scores.last() else { return };
    let _ = c.fill_text(&format!("epoch {last}"), w - 70.0, h - 10.0);
    let x = |e: u64| PAD + (w - PAD - 8.0) * e as f64 / last.max(1) as f64;
    let y = |v: f64| 8.0 + (h - PAD - 16.0) * (1.0 - v.clamp(0.0, 1.0));
    for (color, pick) in [("#0072b2", 1usize), ("#e69f00", 2)] {
        c.set_stroke_style_str(color);
        c.set_fill_style_str(color);
        c.set_line_width(2.0);
        c.begin_path();
        let points: Vec<(u64, f64)> = scores
            .iter()
            .filter_map(|&(e, tr, te)| if pick == 1 { tr.map(|v| (e, v)) } else { Some((e, te)) })
            .collect();
        for (i, &(e, v)) in points.iter().enumerate() {
            if i == 0 { c.move_to(x(e), y(v)) } else { c.line_to(x(e), y(v)) }
        }
        c.stroke();
        for &(e, v) in &points {
            c.begin_path();
            let _ = c.arc(x(e), y(v), 3.0, 0.0, std::f64::consts::TAU);
            c.fill();
        }
    }
}

/// The score axis' top and bottom labels: accuracy in percent, R² as the coefficient (values
/// below 0 sit on the bottom line).
pub fn score_axis(regression: bool) -> (&'static str, &'static str) {
    if regression { ("R² 1", "≤ 0") } else { ("100%", "0%") }
}

