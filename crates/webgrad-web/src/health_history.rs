//! The health monitors' readings as the page keeps them (one per window of steps, from the
//! worker's `FromWorker::Health`), and the arithmetic of their sparklines: which values, where
//! they go in a small box, and each figure in words. No DOM here (`app::health` draws).

use webgrad_nn::monitor::{LayerReading, Reading};

/// Readings kept per run; past twice this, every other one is dropped (the last stays).
pub const HEALTH_POINTS: usize = 256;

/// The three figures drawn per layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// dead ReLU or saturated tanh/sigmoid units: a share in [0, 1]
    UnitsOff,
    /// ‖∂L/∂(W, b)‖₂
    GradNorm,
    /// ‖Δ(W, b)‖₂ / ‖(W, b)‖₂ per step
    UpdateRatio,
}

pub const FIGURES: [Figure; 3] = [Figure::UnitsOff, Figure::GradNorm, Figure::UpdateRatio];

impl Figure {
    /// The figure of one layer's reading; `None` where it does not apply (units of an identity
    /// layer or of the output layer).
    pub fn of(self, l: &LayerReading) -> Option<f64> {
        match self {
            Figure::UnitsOff => l.dead_fraction.or(l.saturated_fraction),
            Figure::GradNorm => Some(l.grad_norm),
            Figure::UpdateRatio => Some(l.update_ratio),
        }
    }

    /// Shares are drawn on a fixed 0–100 % axis; the norms and ratios, which span decades, on
    /// a log axis.
    fn log_axis(self) -> bool {
        self != Figure::UnitsOff
    }
}

/// The readings of the current run, oldest first, each with the last step of its window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthHistory {
    points: Vec<(u64, Vec<LayerReading>)>,
}

impl HealthHistory {
    /// Adds a window's reading (a reading of another model's shape starts the history afresh).
    pub fn push(&mut self, r: Reading) {
        if self.points.last().is_some_and(|p| p.1.len() != r.layers.len()) {
            self.points.clear();
        }
        self.points.push((r.last_step, r.layers));
        if self.points.len() > 2 * HEALTH_POINTS {
            let last = self.points.len() - 1;
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                (i - 1) % 2 == 0 || i - 1 == last
            });
        }
    }

    /// Forgets the readings of windows that ended after `step` (training went back to it).
    pub fn truncate_after(&mut self, step: u64) {
        self.points.retain(|p| p.0 <= step);
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The last reading: its window's last step and its layers.
    pub fn latest(&self) -> Option<(u64, &[LayerReading])> {
        self.points.last().map(|p| (p.0, p.1.as_slice()))
    }

    /// (step, value) of one layer's figure over the run, where it applies.
    pub fn series(&self, layer: usize, figure: Figure) -> Vec<(u64, f64)> {
        self.points.iter().filter_map(|p| Some((p.0, figure.of(p.1.get(layer)?)?))).collect()
    }
}

/// "layer 2 (relu)" for hidden layer index 1, "output layer" for the last of `layers`.
pub fn layer_label(index: usize, l: &LayerReading) -> String {
    match l.activation {
        Some(a) => format!("layer {} ({})", index + 1, a.name()),
        None => "output layer".to_string(),
    }
}

/// One figure in words, for the text beside its sparkline: "85 % dead", "12 % saturated",
/// "0.31", "0.12 %"; "n/a" where it does not apply, "not a number" once it diverged.
pub fn figure_text(l: &LayerReading, figure: Figure) -> String {
    let Some(v) = figure.of(l) else { return "n/a".into() };
    if !v.is_finite() {
        return "not a number".into();
    }
    match figure {
        Figure::UnitsOff => {
            let what = if l.dead_fraction.is_some() { "dead" } else { "saturated" };
            format!("{:.0} % {what}", 100.0 * v)
        }
        Figure::GradNorm if v == 0.0 => "0".into(),
        Figure::UpdateRatio if v == 0.0 => "0 %".into(),
        Figure::GradNorm if (0.01..1000.0).contains(&v) => format!("{v:.3}"),
        Figure::GradNorm => format!("{v:.1e}"),
        Figure::UpdateRatio if v >= 1e-4 => format!("{:.2} %", 100.0 * v),
        Figure::UpdateRatio => format!("{:.1e} %", 100.0 * v),
    }
}

/// Where a sparkline's points go in a `width` × `height` box (y down), 2 px in from each
/// edge: x by step from the series' first to its last, y by value — shares from 0 to 100 %,
/// the others on a log axis over the series' range, widened to at least a decade. Values that
/// are not finite (or not positive, on a log axis) are left out.
pub fn sparkline(series: &[(u64, f64)], figure: Figure, width: f64, height: f64) -> Vec<(f64, f64)> {
    let log = figure.log_axis();
    let y_of = |v: f64| if log { v.log10() } else { v };
    let points: Vec<(u64, f64)> =
        series.iter().filter(|p| p.1.is_finite() && (!log || p.1 > 0.0)).map(|&(s, v)| (s, y_of(v))).collect();
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return Vec::new() };
    let (lo, hi) = if log {
        let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        let widen = (1.0 - (hi - lo)).max(0.0) / 2.0;
        (lo - widen, hi + widen)
    } else {
        (0.0, 1.0)
    };
    let steps = (last.0 - first.0).max(1) as f64;
    let (inner_w, inner_h) = ((width - 4.0).max(0.0), (height - 4.0).max(0.0));
    points
        .iter()
        .map(|&(s, v)| {
            let x = if last.0 == first.0 { width / 2.0 } else { 2.0 + inner_w * (s - first.0) as f64 / steps };
            (x, 2.0 + inner_h * (1.0 - (v - lo) / (hi - lo)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use webgrad_nn::ActivationName;

    fn layer(activation: Option<ActivationName>, dead: Option<f64>, grad: f64, ratio: f64) -> LayerReading {
        LayerReading { activation, dead_fraction: dead, saturated_fraction: None, grad_norm: grad, update_ratio: ratio }
    }

    fn reading(last_step: u64, dead: f64) -> Reading {
        let relu = Some(ActivationName::Relu);
        Reading {
            first_step: last_step.saturating_sub(99),
            last_step,
            sampled_steps: 5,
            samples: 6400,
            layers: vec![layer(relu, Some(dead), 0.5, 1e-3), layer(None, None, 0.8, 2e-3)],
        }
    }

    #[test]
    fn history_is_bounded_keeps_the_last_and_goes_back() {
        let mut h = HealthHistory::default();
        for i in 1..=3 * HEALTH_POINTS as u64 {
            h.push(reading(100 * i, 0.1));
        }
        assert!(h.len() <= 2 * HEALTH_POINTS, "{}", h.len());
        assert_eq!(h.latest().unwrap().0, 100 * 3 * HEALTH_POINTS as u64);
        let before = h.len();
        h.truncate_after(5_000);
        let last = h.latest().unwrap().0;
        assert!((4_000..=5_000).contains(&last) && h.len() < before, "windows after the step are gone: {last}");
        assert_eq!(h.series(0, Figure::UnitsOff).len(), h.len());
        assert!(h.series(1, Figure::UnitsOff).is_empty(), "the output layer has no units to count");
        // a model of another shape starts afresh
        h.push(Reading { layers: vec![layer(None, None, 1.0, 1e-3)], ..reading(100, 0.0) });
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn figures_in_words() {
        let relu = Some(ActivationName::Relu);
        let l = layer(relu, Some(0.85), 0.3125, 0.0012);
        assert_eq!(figure_text(&l, Figure::UnitsOff), "85 % dead");
        assert_eq!(figure_text(&l, Figure::GradNorm), "0.312");
        assert_eq!(figure_text(&l, Figure::UpdateRatio), "0.12 %");
        let tanh = LayerReading { saturated_fraction: Some(0.5), dead_fraction: None, ..layer(None, None, 2e4, 1e-7) };
        assert_eq!(figure_text(&tanh, Figure::UnitsOff), "50 % saturated");
        assert_eq!(figure_text(&tanh, Figure::GradNorm), "2.0e4");
        assert_eq!(figure_text(&tanh, Figure::UpdateRatio), "1.0e-5 %");
        assert_eq!(figure_text(&layer(None, None, f64::NAN, 0.0), Figure::GradNorm), "not a number");
        assert_eq!(figure_text(&layer(None, None, 0.0, 0.0), Figure::GradNorm), "0");
        assert_eq!(figure_text(&layer(None, None, 0.0, 0.0), Figure::UpdateRatio), "0 %");
        assert_eq!(figure_text(&layer(None, None, 1.0, 0.0), Figure::UnitsOff), "n/a");
        assert_eq!(layer_label(1, &l), "layer 2 (relu)");
        assert_eq!(layer_label(2, &layer(None, None, 1.0, 0.0)), "output layer");
    }

    #[test]
    fn sparklines_span_the_box() {
        // shares: 0 at the bottom, 100 % at the top, whatever the series holds
        let shares = sparkline(&[(100, 0.0), (200, 0.5), (300, 1.0)], Figure::UnitsOff, 104.0, 24.0);
        assert_eq!(shares, vec![(2.0, 22.0), (52.0, 12.0), (102.0, 2.0)]);
        // a log axis over the series' range: 0.01 at the bottom, 10 at the top; NaN left out
        let norms = sparkline(&[(1, 0.01), (2, f64::NAN), (3, 10.0)], Figure::GradNorm, 104.0, 24.0);
        assert_eq!(norms, vec![(2.0, 22.0), (102.0, 2.0)]);
        // a flat series sits in the middle of a decade; one point in the middle of the box
        let flat = sparkline(&[(5, 0.3), (9, 0.3)], Figure::UpdateRatio, 104.0, 24.0);
        assert!(flat.iter().all(|p| (p.1 - 12.0).abs() < 1e-9), "{flat:?}");
        assert_eq!(sparkline(&[(5, 0.3)], Figure::GradNorm, 104.0, 24.0), vec![(52.0, 12.0)]);
        assert!(sparkline(&[(5, f64::INFINITY)], Figure::GradNorm, 104.0, 24.0).is_empty());
    }
}
