//! Per-column standardisation `x' = (x - mean) / std`, fitted on the training split only and
//! saved with the model (hence serde): of the features, and of regression targets (the model
//! then trains on standardised targets and its outputs are mapped back, `y = z · std + mean`).

use crate::dataset::{Dataset, Targets};
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
        Standardizer::fit_columns(&ds.features, ds.d)
    }

    /// [`Standardizer::fit`] on regression targets: one mean and std per output, from the
    /// `[n, outputs]` values. `None` for class labels. Pass the **training** split's targets.
    pub fn fit_targets(targets: &Targets) -> Option<Standardizer> {
        match targets {
            Targets::Regression { values, outputs } => Some(Standardizer::fit_columns(values, *outputs)),
            Targets::Classes { .. } => None,
        }
    }

    /// The statistics of the columns of `values`, `[n, width]` row-major (`width >= 1`; a
    /// trailing partial row is ignored), as [`Standardizer::fit`] describes.
    fn fit_columns(values: &[f32], width: usize) -> Standardizer {
        let width = width.max(1);
        let n = values.len() / width;
        let rows = || values.chunks_exact(width);
        let mut mean = vec![0f64; width];
        for row in rows() {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut var = vec![0f64; width];
        for row in rows() {
            for ((v, &m), &x) in var.iter_mut().zip(&mean).zip(row) {
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

    /// Standardises a regression dataset's targets in place, `z = (y - mean) / std` per output
    /// (the statistics of [`Standardizer::fit_targets`]); the features are left alone. Errors,
    /// changing nothing, as [`Standardizer::standardized_targets`] does.
    pub fn apply_targets(&self, ds: &mut Dataset) -> Result<()> {
        ds.targets = self.standardized_targets(&ds.targets, &ds.name)?;
        Ok(())
    }

    /// `targets` with every value standardised, `z = (y - mean) / std` per output. Errors
    /// (naming `src`) for class labels, for a different number of outputs, or where a value
    /// would leave the f32 range.
    pub fn standardized_targets(&self, targets: &Targets, src: &str) -> Result<Targets> {
        let Targets::Regression { values, outputs } = targets else {
            return Err(DataError::invalid(src, "target standardisation needs regression targets, not classes"));
        };
        let outputs = *outputs;
        if outputs != self.mean.len() {
            let msg = format!("target standardizer was fitted on {} outputs, dataset has {outputs}", self.mean.len());
            return Err(DataError::invalid(src, msg));
        }
        let mut z = values.clone();
        z.chunks_exact_mut(outputs).for_each(|row| self.apply_row(row));
        if let Some(i) = z.iter().position(|v| !v.is_finite()) {
            let (row, col, value) = (i / outputs, i % outputs, values[i]);
            let msg = format!("row {row}, output {col}: target {value:?} is too far from the mean to standardise");
            return Err(DataError::invalid(src, msg));
        }
        Ok(Targets::Regression { values: z, outputs })
    }

    /// Maps standardised values back in place, `y = z · std + mean` per column: `values` is
    /// `[n, width]` row-major (model outputs trained on standardised targets). Panics if its
    /// length is not a multiple of the fitted width.
    pub fn invert_rows(&self, values: &mut [f32]) {
        let width = self.mean.len();
        assert!(width > 0 && values.len().is_multiple_of(width), "Standardizer::invert_rows: length");
        for row in values.chunks_exact_mut(width) {
            for ((z, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *z = *z * s + m;
            }
        }
    }

    /// Checks the invariant of a standardizer read from a file: `mean` and `std` of one length
    /// `width`, every mean finite, every std finite and > 0. `what` names it in the message.
    pub fn check(&self, width: usize, what: &str) -> std::result::Result<(), String> {
        if self.mean.len() != width || self.std.len() != width {
            let (m, s) = (self.mean.len(), self.std.len());
            return Err(format!("{what} has {m} means and {s} stds, expected {width} of each"));
        }
        if let Some(i) = self.mean.iter().position(|m| !m.is_finite()) {
            return Err(format!("{what}: mean {i} is {} (expected a finite number)", self.mean[i]));
        }
        if let Some(i) = self.std.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(format!("{what}: std {i} is {} (expected a finite number > 0)", self.std[i]));
        }
        Ok(())
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
    fn targets_fit_on_train_only_and_map_back() {
        // Two outputs: around 90 ± 11 and a constant 5 (std 0 → 1).
        let n = 300;
        let values: Vec<f32> = (0..n).flat_map(|i| [90.0 + 11.0 * ((i * 37 % 101) as f32 / 50.0 - 1.0), 5.0]).collect();
        let features: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let targets = Targets::Regression { values, outputs: 2 };
        let ds = Dataset::new("t", features, n, 1, targets, None).unwrap();
        let (mut train, test) = train_test_split(&ds, 0.25, 3).unwrap();
        let Targets::Regression { values: raw, .. } = train.targets.clone() else { unreachable!() };

        let st = Standardizer::fit_targets(&train.targets).unwrap();
        let column = |v: &[f32], c: usize| -> Vec<f32> { v.iter().skip(c).step_by(2).copied().collect() };
        let stats = |xs: Vec<f32>| {
            let m = xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64;
            (m, (xs.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt())
        };
        let (m, s) = stats(column(&raw, 0));
        assert!((st.mean[0] as f64 - m).abs() < 1e-4 && (st.std[0] as f64 - s).abs() < 1e-4, "{st:?}");
        assert_eq!((st.mean[1], st.std[1]), (5.0, 1.0));
        // the training split's statistics, not the test split's
        let Targets::Regression { values: test_values, .. } = &test.targets else { unreachable!() };
        assert!((stats(column(test_values, 0)).0 - m).abs() > 1e-3);
        assert_eq!(crate::TargetScaling::Standardize.fit(&train.targets), Some(st.clone()));
        assert_eq!(crate::TargetScaling::None.fit(&train.targets), None);

        st.apply_targets(&mut train).unwrap();
        let Targets::Regression { values: z, outputs: 2 } = &train.targets else { unreachable!() };
        let (zm, zs) = stats(column(z, 0));
        assert!(zm.abs() < 1e-5 && (zs - 1.0).abs() < 1e-5, "{zm} {zs}");
        assert!(column(z, 1).iter().all(|&v| v == 0.0));
        // the features are left alone; mapping back gives y = z·std + mean, per output
        assert_eq!(train.features, train_test_split(&ds, 0.25, 3).unwrap().0.features);
        let mut back = z.clone();
        st.invert_rows(&mut back);
        for (i, (&b, &zi)) in back.iter().zip(z).enumerate() {
            assert_eq!(b, zi * st.std[i % 2] + st.mean[i % 2]);
            assert!((b - raw[i]).abs() <= 1e-4 * raw[i].abs(), "{b} vs {}", raw[i]);
        }
        let json = serde_json::to_string(&st).unwrap();
        assert_eq!(serde_json::from_str::<Standardizer>(&json).unwrap(), st);
        assert_eq!(st.check(2, "targets"), Ok(()));
    }

    #[test]
    fn target_standardisation_refuses_what_it_cannot_do() {
        let classes = Targets::Classes { labels: vec![0, 1], classes: 2, names: numbered_names(2) };
        assert_eq!(Standardizer::fit_targets(&classes), None);
        let mut ds = Dataset::new("c", vec![1.0, 2.0], 2, 1, classes, None).unwrap();
        let one = Standardizer { mean: vec![0.0], std: vec![1.0] };
        let e = one.apply_targets(&mut ds).unwrap_err().to_string();
        assert_eq!(e, "c: target standardisation needs regression targets, not classes");

        let targets = Targets::Regression { values: vec![1.0, 2.0, 3.0, 4.0], outputs: 2 };
        let mut ds = Dataset::new("r", vec![0.0, 1.0], 2, 1, targets.clone(), None).unwrap();
        let e = one.apply_targets(&mut ds).unwrap_err().to_string();
        assert_eq!(e, "r: target standardizer was fitted on 1 outputs, dataset has 2");
        // a spread wider than f32 can hold: refused, nothing changed
        let huge = Targets::Regression { values: vec![-3e38, 3e38], outputs: 1 };
        let mut wide = Dataset::new("w", vec![0.0, 1.0], 2, 1, huge.clone(), None).unwrap();
        let tiny = Standardizer { mean: vec![0.0], std: vec![1e-3] };
        let e = tiny.apply_targets(&mut wide).unwrap_err().to_string();
        assert!(e.starts_with("w: row 0, output 0: target -3e38 is too far"), "{e}");
        assert_eq!(wide.targets, huge);
        assert_eq!(ds.targets, targets);

        let bad = Standardizer { mean: vec![0.0, f32::NAN], std: vec![1.0, 1.0] };
        assert_eq!(bad.check(1, "x").unwrap_err(), "x has 2 means and 2 stds, expected 1 of each");
        assert_eq!(bad.check(2, "x").unwrap_err(), "x: mean 1 is NaN (expected a finite number)");
        let zero = Standardizer { mean: vec![0.0], std: vec![0.0] };
        assert_eq!(zero.check(1, "x").unwrap_err(), "x: std 0 is 0 (expected a finite number > 0)");
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
