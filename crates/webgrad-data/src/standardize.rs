//! Per-feature standardisation `x' = (x - mean) / std`, fitted on the training split only and
//! saved with the model (hence serde).

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use serde::{Deserialize, Serialize};

/// Per-column statistics, both `[d]`. Invariant: every `std` is finite and `> 0` (a constant
/// column gets std 1, so applying never divides by zero).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Column means and population standard deviations (divide by n), accumulated in f64 with
    /// two passes. Pass the **training** split: statistics of the test split must not leak into
    /// preprocessing. A column whose std is 0 (or below the smallest normal f32) gets std 1; an
    /// empty dataset gives the identity (mean 0, std 1).
    pub fn fit(ds: &Dataset) -> Standardizer {
        let (n, d) = (ds.n, ds.d);
        let mut mean = vec![0f64; d];
        for i in 0..n {
            for (m, &x) in mean.iter_mut().zip(ds.row(i)) {
                *m += x as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut var = vec![0f64; d];
        for i in 0..n {
            for ((v, &m), &x) in var.iter_mut().zip(&mean).zip(ds.row(i)) {
                *v += (x as f64 - m) * (x as f64 - m);
            }
        }
        let std = var
            .iter()
            .map(|&v| {
                let s = (v / n.max(1) as f64).sqrt() as f32;
                if s >= f32::MIN_POSITIVE && s.is_finite() { s } else { 1.0 }
            })
            .collect();
        Standardizer { mean: mean.into_iter().map(|m| m as f32).collect(), std }
    }

    /// Standardises every row in place. Errors (changing nothing) if the dataset's `d` differs
    /// from the fitted width.
    pub fn apply(&self, ds: &mut Dataset) -> Result<()> {
        if ds.d != self.mean.len() {
            let msg = format!("standardizer was fitted on {} features, dataset has {}", self.mean.len(), ds.d);
            return Err(DataError::invalid(&ds.name, msg));
        }
        for row in ds.features.chunks_exact_mut(ds.d) {
            self.apply_row(row);
        }
        Ok(())
    }

    /// Standardises one row `[d]` in place (e.g. a point of a decision-boundary heatmap).
    /// Panics if `row.len() != d`.
    pub fn apply_row(&self, row: &mut [f32]) {
        assert_eq!(row.len(), self.mean.len(), "Standardizer::apply_row: row length");
        for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
            *x = (*x - m) / s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Targets, numbered_names};
    use crate::split::train_test_split;

    fn column_stats(ds: &Dataset, c: usize) -> (f64, f64) {
        let xs: Vec<f64> = (0..ds.n).map(|i| ds.row(i)[c] as f64).collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
        (m, v.sqrt())
    }

    #[test]
    fn fit_on_train_gives_zero_mean_unit_std_there() {
        // Column 0: 100 + 10·i (non-trivial mean and scale); column 1: constant 3;
        // column 2: a second scale.
        let n = 400;
        let features: Vec<f32> = (0..n).flat_map(|i| [100.0 + 10.0 * i as f32, 3.0, -0.01 * (i % 7) as f32]).collect();
        let targets = Targets::Classes { labels: vec![0; n], classes: 1, names: numbered_names(1) };
        let ds = Dataset::new("s", features, n, 3, targets, None).unwrap();
        let (mut train, mut test) = train_test_split(&ds, 0.3, 1).unwrap();

        let st = Standardizer::fit(&train);
        for c in 0..3 {
            let (m, s) = column_stats(&train, c);
            assert!((st.mean[c] as f64 - m).abs() <= 1e-6 * m.abs().max(1.0), "col {c}");
            if c == 1 {
                assert_eq!((st.mean[1], st.std[1]), (3.0, 1.0));
            } else {
                assert!((st.std[c] as f64 - s).abs() <= 1e-5 * s, "col {c}");
            }
        }
        // The stats are the train split's, not the whole set's or the test split's.
        let (m_all, _) = column_stats(&ds, 0);
        let (m_test, _) = column_stats(&test, 0);
        assert!((st.mean[0] as f64 - m_all).abs() > 1e-3);
        assert!((st.mean[0] as f64 - m_test).abs() > 1e-3);

        st.apply(&mut train).unwrap();
        for c in [0, 2] {
            let (m, s) = column_stats(&train, c);
            assert!(m.abs() < 1e-5 && (s - 1.0).abs() < 1e-5, "col {c}: mean {m} std {s}");
        }
        assert!(train.features.iter().skip(1).step_by(3).all(|&v| v == 0.0));
        st.apply(&mut test).unwrap();
        assert!(test.features.iter().all(|v| v.is_finite()));

        let mut row = [110.0, 3.0, 0.0];
        st.apply_row(&mut row);
        assert_eq!(row[0], (110.0 - st.mean[0]) / st.std[0]);

        let json = serde_json::to_string(&st).unwrap();
        assert_eq!(serde_json::from_str::<Standardizer>(&json).unwrap(), st);
    }

    #[test]
    fn apply_rejects_width_mismatch() {
        let st = Standardizer { mean: vec![0.0; 2], std: vec![1.0; 2] };
        let targets = Targets::Regression { values: vec![0.0], outputs: 1 };
        let mut ds = Dataset::new("w", vec![1.0, 2.0, 3.0], 1, 3, targets, None).unwrap();
        let e = st.apply(&mut ds).unwrap_err().to_string();
        assert_eq!(e, "w: standardizer was fitted on 2 features, dataset has 3");
        assert_eq!(ds.features, vec![1.0, 2.0, 3.0]);
    }
}
