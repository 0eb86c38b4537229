//! The page's gradient check in words and colours (no DOM): per layer, how many weights were
//! checked, the median and largest relative error and a verdict; a colour per weight; the ε of
//! the slider, which moves on a log scale. The numbers come from the worker
//! (`Trainer::check_gradients`).

use webgrad_nn::gradcheck::GradCheck;

/// A median relative error under this says the layer's gradient agrees with the differences.
pub const AGREES: f64 = 1e-3;
/// Over this the layer's gradient disagrees: a backward pass wrong by a few percent shows here.
pub const DISAGREES: f64 = 1e-2;

/// The slider's value is log₁₀ ε.
pub fn eps_of_slider(log10: f64) -> f32 {
    10f64.powf(log10.clamp(-8.0, 0.0)) as f32
}

/// One weight's cell: Okabe–Ito bluish green (agrees), yellow (between), vermillion (disagrees).
pub fn cell_colour(rel_err: f64) -> &'static str {
    match rel_err {
        e if e < AGREES => "#009e73",
        e if e < DISAGREES => "#f0e442",
        _ => "#d55e00",
    }
}

/// Below this step float32 round-off of the outputs dominates the difference quotient; above
/// [`LARGE_EPS`] truncation and ReLU kinks do.
pub const SMALL_EPS: f32 = 1e-4;
pub const LARGE_EPS: f32 = 3e-2;

fn verdict(median: f64, eps: f32) -> &'static str {
    match median {
        m if m < AGREES => "agrees",
        m if m < DISAGREES => "close: round-off or ReLU kinks (try another ε)",
        _ if eps < SMALL_EPS => "disagrees at this tiny ε: float32 round-off, not the gradient (try ε ≈ 3e-3)",
        _ if eps > LARGE_EPS => "disagrees at this large ε: truncation and ReLU kinks (try ε ≈ 3e-3)",
        _ => "disagrees: this layer's backward pass looks wrong",
    }
}

/// The table's rows: layer, weights checked, median and largest relative error, verdict.
pub fn rows(c: &GradCheck) -> Vec<[String; 5]> {
    let last = c.layers.len().saturating_sub(1);
    (0..c.layers.len())
        .map(|l| {
            let name = if l == last { "output layer".to_string() } else { format!("layer {}", l + 1) };
            if c.layers[l].is_empty() {
                // only weights with a gradient are checked: none here is not an agreement
                let why = "nothing to check: no weight has a gradient on this batch (are its units dead?)";
                return [name, "0".into(), "–".into(), "–".into(), why.into()];
            }
            let median = c.median_rel_err(l);
            [
                name,
                c.layers[l].len().to_string(),
                format!("{median:.1e}"),
                format!("{:.1e}", c.max_rel_err(l)),
                verdict(median, c.eps).to_string(),
            ]
        })
        .collect()
}

/// One line on what was checked.
pub fn summary(c: &GradCheck) -> String {
    format!(
        "ε = {:.1e}: loss {:.4} on the next batch of {} rows; each weight set to w ± ε, the loss read again, and \
         (L(w + ε) − L(w − ε)) / 2ε compared with autograd's ∂L/∂w.",
        c.eps, c.loss, c.rows
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use webgrad_nn::gradcheck::WeightCheck;

    fn check(errs: &[&[f64]]) -> GradCheck {
        let w = |layer, rel_err| WeightCheck { layer, row: 0, col: Some(0), analytic: 1.0, numeric: 1.0, rel_err };
        let layers = errs.iter().enumerate().map(|(l, e)| e.iter().map(|&r| w(l, r)).collect()).collect();
        GradCheck { loss: 0.5123, eps: 3e-3, rows: 64, layers }
    }

    #[test]
    fn rows_give_a_verdict_per_layer() {
        let c = check(&[&[1e-5, 2e-4, 0.5], &[0.09, 0.091, 0.092]]);
        let r = rows(&c);
        assert_eq!(r[0], ["layer 1", "3", "2.0e-4", "5.0e-1", "agrees"].map(String::from));
        assert_eq!(r[1][0], "output layer");
        assert_eq!(r[1][4], "disagrees: this layer's backward pass looks wrong");
        let tiny = GradCheck { eps: 1e-6, ..c.clone() };
        assert!(rows(&tiny)[1][4].starts_with("disagrees at this tiny ε: float32 round-off"));
        let large = GradCheck { eps: 0.1, ..c.clone() };
        assert!(rows(&large)[1][4].starts_with("disagrees at this large ε: truncation"));
        assert!(summary(&c).starts_with("ε = 3.0e-3: loss 0.5123 on the next batch of 64 rows"));
    }

    #[test]
    fn colours_and_the_log_slider() {
        assert_eq!(cell_colour(5e-5), "#009e73");
        assert_eq!(cell_colour(5e-3), "#f0e442");
        assert_eq!(cell_colour(0.09), "#d55e00");
        assert!((eps_of_slider(-2.5) - 3.1623e-3).abs() < 1e-7);
        assert_eq!(eps_of_slider(3.0), 1.0);
    }

    /// Before, a layer none of whose weights had a gradient read "0 | 0.0e0 | 0.0e0 | agrees".
    #[test]
    fn a_layer_with_no_weight_checked_does_not_agree() {
        let r = rows(&check(&[&[], &[1e-5]]));
        assert_eq!(r[0][1..4], ["0", "–", "–"]);
        assert!(r[0][4].starts_with("nothing to check"), "{}", r[0][4]);
        assert_eq!(r[1][4], "agrees");
    }
}
