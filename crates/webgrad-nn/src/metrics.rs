//! Evaluation metrics on host vectors (read back once per evaluation, never per step).

use serde::{Deserialize, Serialize};

/// Index of the largest value in each row of a [n, c] matrix (first one on ties).
pub fn argmax_rows(values: &[f32], c: usize) -> Vec<u32> {
    values
        .chunks(c)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (j, &v)| if v > best.1 { (j, v) } else { best })
                .0 as u32
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassStats {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// number of true examples of the class
    pub support: u64,
}

/// Classes up to which a report holds its confusion matrix: c² counts grow past any use (a
/// table of 128 × 128 is already more than a page or a terminal shows), and past memory (65,536
/// classes, the most a CSV may name, would be 34 GB).
pub const MAX_CONFUSION_CLASSES: usize = 128;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    pub names: Vec<String>,
    /// confusion[true][predicted]; empty over [`MAX_CONFUSION_CLASSES`] classes
    pub confusion: Vec<Vec<u64>>,
    pub accuracy: f64,
    pub per_class: Vec<ClassStats>,
    /// unweighted mean over the classes that occur in the truth or the predictions (sklearn's
    /// report lists only those: a model's class absent from both, e.g. in a file holding some
    /// of its classes, does not pull the mean down)
    pub macro_avg: ClassStats,
    /// mean weighted by support
    pub weighted_avg: ClassStats,
}

/// Precision, recall and F1 per class (0 where undefined, as sklearn's `zero_division=0`), from
/// per-class counts (memory linear in the classes); the confusion matrix too up to
/// [`MAX_CONFUSION_CLASSES`] classes.
pub fn classification_report(predicted: &[u32], truth: &[u32], names: &[String]) -> ClassificationReport {
    let c = names.len();
    // per class: true positives, predictions of it, true examples of it
    let (mut hits, mut predictions, mut supports) = (vec![0u64; c], vec![0u64; c], vec![0u64; c]);
    let mut confusion = if c <= MAX_CONFUSION_CLASSES { vec![vec![0u64; c]; c] } else { Vec::new() };
    for (&p, &t) in predicted.iter().zip(truth) {
        let (p, t) = (p as usize, t as usize);
        if p < c && t < c {
            predictions[p] += 1;
            supports[t] += 1;
            hits[t] += u64::from(p == t);
            if let Some(row) = confusion.get_mut(t) {
                row[p] += 1;
            }
        }
    }
    let total: u64 = supports.iter().sum();
    let correct: u64 = hits.iter().sum();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_class: Vec<ClassStats> = (0..c)
        .map(|k| {
            let (tp, predicted_k, support) = (hits[k], predictions[k], supports[k]);
            let (precision, recall) = (ratio(tp, predicted_k), ratio(tp, support));
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            ClassStats { precision, recall, f1, support }
        })
        .collect();
    let avg = |weight: &dyn Fn(usize) -> f64| {
        let w: f64 = (0..c).map(weight).sum();
        let mean = |f: fn(&ClassStats) -> f64| {
            if w == 0.0 { 0.0 } else { per_class.iter().enumerate().map(|(k, s)| weight(k) * f(s)).sum::<f64>() / w }
        };
        ClassStats { precision: mean(|s| s.precision), recall: mean(|s| s.recall), f1: mean(|s| s.f1), support: total }
    };
    ClassificationReport {
        names: names.to_vec(),
        accuracy: ratio(correct, total),
        macro_avg: avg(&|k| f64::from(u8::from(supports[k] + predictions[k] > 0))),
        weighted_avg: avg(&|k| supports[k] as f64),
        per_class,
        confusion,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionReport {
    pub mse: f64,
    pub mae: f64,
    /// 1 − SS_res / SS_tot over all outputs (0 when the targets are constant)
    pub r2: f64,
}

/// (true, predicted) of the first output for at most `max_points` rows spread evenly over the
/// data (every ⌈n / max_points⌉-th row), for a predicted-vs-true plot. `predicted` and `truth`
/// are [n, outputs].
pub fn predicted_vs_true(predicted: &[f32], truth: &[f32], outputs: usize, max_points: usize) -> Vec<(f32, f32)> {
    let k = outputs.max(1);
    let n = truth.len().min(predicted.len()) / k;
    let stride = n.div_ceil(max_points.max(1)).max(1);
    (0..n).step_by(stride).map(|i| (truth[i * k], predicted[i * k])).collect()
}

pub fn regression_report(predicted: &[f32], truth: &[f32]) -> RegressionReport {
    let n = truth.len().max(1) as f64;
    let mean = truth.iter().map(|&t| t as f64).sum::<f64>() / n;
    let (mut se, mut ae, mut tot) = (0.0, 0.0, 0.0);
    for (&p, &t) in predicted.iter().zip(truth) {
        let d = p as f64 - t as f64;
        se += d * d;
        ae += d.abs();
        tot += (t as f64 - mean).powi(2);
    }
    RegressionReport { mse: se / n, mae: ae / n, r2: if tot == 0.0 { 0.0 } else { 1.0 - se / tot } }
}

/// Stops when the monitored loss has not improved by `min_delta` for `patience` evaluations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    pub patience: u32,
    pub min_delta: f64,
    pub best: Option<f64>,
    pub bad_epochs: u32,
}

impl EarlyStopping {
    pub fn new(patience: u32, min_delta: f64) -> Self {
        EarlyStopping { patience, min_delta, best: None, bad_epochs: 0 }
    }

    /// Records one evaluation; true when training should stop.
    pub fn update(&mut self, loss: f64) -> bool {
        match self.best {
            Some(best) if loss > best - self.min_delta => self.bad_epochs += 1,
            _ => {
                self.best = Some(loss);
                self.bad_epochs = 0;
            }
        }
        self.bad_epochs >= self.patience
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicted_vs_true_pairs_the_first_output_and_thins_large_sets() {
        let n = 2_500;
        // two outputs per row: the plot uses the first
        let truth: Vec<f32> = (0..n).flat_map(|i| [i as f32, -1.0]).collect();
        let predicted: Vec<f32> = (0..n).flat_map(|i| [2.0 * i as f32, 7.0]).collect();
        let points = predicted_vs_true(&predicted, &truth, 2, 1_000);
        assert_eq!(points.len(), 834); // every 3rd of 2,500 rows
        assert_eq!(points[1], (3.0, 6.0));
        assert!(points.iter().all(|&(t, p)| p == 2.0 * t));
        assert_eq!(predicted_vs_true(&[1.0, 2.0], &[3.0, 4.0], 1, 1_000), vec![(3.0, 1.0), (4.0, 2.0)]);
        assert!(predicted_vs_true(&[], &[], 1, 10).is_empty());
    }

    #[test]
    fn report_matches_hand_computation() {
        // truth:     0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let r = classification_report(&[0, 0, 1, 1, 2, 2], &[0, 0, 0, 1, 1, 2], &names);
        assert_eq!(r.confusion, vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // class 0: p = 2/2, r = 2/3; class 1: p = 1/2, r = 1/2; class 2: p = 1/2, r = 1
        assert!((r.per_class[0].recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.per_class[2].precision - 0.5).abs() < 1e-12);
        let f1 = [0.8, 0.5, 2.0 / 3.0];
        assert!((r.macro_avg.f1 - f1.iter().sum::<f64>() / 3.0).abs() < 1e-12);
        assert!((r.weighted_avg.f1 - (3.0 * f1[0] + 2.0 * f1[1] + f1[2]) / 6.0).abs() < 1e-12);
        assert_eq!(argmax_rows(&[0.1, 0.9, 0.5, 0.2, 0.2, 0.1], 3), vec![1, 0]);
        // a class neither true nor predicted (d) is left out of the macro mean, as sklearn's
        // report leaves it out; one only predicted (c, precision 0) counts
        let four: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let r = classification_report(&[0, 1, 2], &[0, 1, 1], &four);
        let f1 = [1.0, 2.0 / 3.0, 0.0];
        assert!((r.macro_avg.f1 - f1.iter().sum::<f64>() / 3.0).abs() < 1e-12, "{:?}", r.macro_avg);
        assert!((r.weighted_avg.f1 - (f1[0] + 2.0 * f1[1]) / 3.0).abs() < 1e-12);
    }

    /// Over `MAX_CONFUSION_CLASSES` classes the per-class figures come from per-class counts
    /// alone (the same as with the matrix) and no c × c matrix is held: 65,536 classes, the most
    /// a CSV may name, would be 34 GB of it.
    #[test]
    fn many_classes_keep_their_metrics_without_a_matrix() {
        let c = 65_536;
        let names: Vec<String> = (0..c).map(|k| k.to_string()).collect();
        // 3 of class 7 (two right, one taken for 9), 1 of class 65,535 taken for 7
        let r = classification_report(&[7, 7, 9, 7], &[7, 7, 7, 65_535], &names);
        assert!(r.confusion.is_empty());
        assert!((r.accuracy - 0.5).abs() < 1e-12);
        let s7 = &r.per_class[7];
        assert!((s7.precision - 2.0 / 3.0).abs() < 1e-12 && (s7.recall - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((s7.support, r.per_class[65_535].support, r.per_class[9].support), (3, 1, 0));
        // at the limit the matrix is there, and the figures agree with it
        let names: Vec<String> = (0..MAX_CONFUSION_CLASSES).map(|k| k.to_string()).collect();
        let r = classification_report(&[7, 7, 9, 7], &[7, 7, 7, 127], &names);
        assert_eq!((r.confusion[7][7], r.confusion[7][9], r.confusion[127][7]), (2, 1, 1));
        assert!((r.per_class[7].precision - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn regression_and_early_stopping() {
        let r = regression_report(&[1.0, 2.0, 3.0], &[1.0, 2.0, 5.0]);
        assert!((r.mse - 4.0 / 3.0).abs() < 1e-12 && (r.mae - 2.0 / 3.0).abs() < 1e-12);
        // SS_tot = (1-8/3)² + (2-8/3)² + (5-8/3)² = 78/9
        assert!((r.r2 - (1.0 - 4.0 / (78.0 / 9.0))).abs() < 1e-12);
        let mut es = EarlyStopping::new(2, 0.0);
        assert!(!es.update(1.0) && !es.update(0.5) && !es.update(0.6) && es.update(0.7));
    }
}
