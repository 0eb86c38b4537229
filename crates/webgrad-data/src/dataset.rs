//! The in-memory dataset: a dense `[n, d]` f32 feature matrix plus one target per row.

use crate::error::{DataError, Result};

/// What the model predicts for each row.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// One class label per row. Invariants: `labels.len() == n`, every label `< classes`,
    /// `names.len() == classes`.
    Classes { labels: Vec<u32>, classes: usize, names: Vec<String> },
    /// `outputs` real values per row, row-major `[n, outputs]`. Invariants:
    /// `values.len() == n * outputs`, `outputs >= 1`, all values finite.
    Regression { values: Vec<f32>, outputs: usize },
}

/// The target of one new row (`Dataset::with_row`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RowTarget<'a> {
    Class(u32),
    Values(&'a [f32]),
}

/// A validated dataset. Built only through [`Dataset::new`] (or derived from one), so the
/// invariants below always hold:
/// `features.len() == n * d`, `d >= 1`, every feature finite, the targets' invariants, and
/// `image_shape == Some((rows, cols))` only when `rows * cols == d`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Names this dataset in error messages, e.g. "mnist-train" or "circle".
    pub name: String,
    /// `[n, d]`, row-major.
    pub features: Vec<f32>,
    pub n: usize,
    pub d: usize,
    pub targets: Targets,
    /// `(rows, cols)` when each row is an image stored row by row.
    pub image_shape: Option<(usize, usize)>,
}

impl Targets {
    /// These targets as the task `classification` asks: class labels as they are; one value per
    /// row that is a whole number from 0 (a NumPy file of float 0.0/1.0 labels) as class ids
    /// 0..=max. Errors name the first value that is not a class id (`src`: the targets' file).
    pub fn into_classes(self, src: &str) -> Result<Targets> {
        let Targets::Regression { values, outputs } = self else { return Ok(self) };
        if outputs != 1 {
            let msg = format!("classification needs one label per row, these targets have {outputs} per row");
            return Err(crate::DataError::invalid(src, msg));
        }
        let max = crate::csv::MAX_CLASSES as f32;
        if let Some(i) = values.iter().position(|&v| !(v >= 0.0 && v < max && v.fract() == 0.0)) {
            let msg = format!("label {} (item {i}) is not a class id (a whole number in 0..{max})", values[i]);
            return Err(crate::DataError::invalid(src, msg));
        }
        let labels: Vec<u32> = values.iter().map(|&v| v as u32).collect();
        let classes = labels.iter().max().map_or(0, |&m| m as usize + 1);
        if classes < 2 {
            let msg =
                format!("every label is {}; classification needs at least 2 classes", values.first().unwrap_or(&0.0));
            return Err(crate::DataError::invalid(src, msg));
        }
        Ok(Targets::Classes { labels, classes, names: crate::numbered_names(classes) })
    }

    /// These targets as the task `regression` asks: values as they are; class ids as their
    /// numbers (one output). Class names that are not the numbers (string labels) are an error.
    pub fn into_values(self, src: &str) -> Result<Targets> {
        let Targets::Classes { labels, names, .. } = self else { return Ok(self) };
        if names.iter().enumerate().any(|(i, n)| *n != i.to_string()) {
            let msg = "regression needs numeric targets; these labels are names".to_string();
            return Err(crate::DataError::invalid(src, msg));
        }
        Ok(Targets::Regression { values: labels.iter().map(|&l| l as f32).collect(), outputs: 1 })
    }

    /// The class names (empty for regression targets).
    pub fn class_names(&self) -> &[String] {
        match self {
            Targets::Classes { names, .. } => names,
            Targets::Regression { .. } => &[],
        }
    }
}

/// Class names "0", "1", …, for datasets whose classes are just numbers.
pub fn numbered_names(classes: usize) -> Vec<String> {
    (0..classes).map(|c| c.to_string()).collect()
}

impl Dataset {
    /// Checks every invariant listed on [`Dataset`]; the error names the dataset and, for a bad
    /// value, its row and column.
    pub fn new(
        name: impl Into<String>,
        features: Vec<f32>,
        n: usize,
        d: usize,
        targets: Targets,
        image_shape: Option<(usize, usize)>,
    ) -> Result<Dataset> {
        let name = name.into();
        let src = name.as_str();
        if d == 0 {
            return Err(DataError::invalid(src, "d = 0: a dataset needs at least one feature"));
        }
        if n.checked_mul(d) != Some(features.len()) {
            let msg = format!("expected n * d = {n} * {d} features, found {}", features.len());
            return Err(DataError::invalid(src, msg));
        }
        if let Some((rows, cols)) = image_shape
            && rows.checked_mul(cols) != Some(d)
        {
            let msg = format!("image shape {rows}x{cols} does not hold d = {d} features");
            return Err(DataError::invalid(src, msg));
        }
        if let Some(i) = features.iter().position(|v| !v.is_finite()) {
            let (row, col, value) = (i / d, i % d, features[i]);
            return Err(DataError::NonFinite { src: name, row, col, what: "feature", value });
        }
        match &targets {
            Targets::Classes { labels, classes, names } => {
                if labels.len() != n {
                    let msg = format!("expected {n} labels (one per row), found {}", labels.len());
                    return Err(DataError::invalid(src, msg));
                }
                if names.len() != *classes {
                    let msg = format!("expected {classes} class names, found {}", names.len());
                    return Err(DataError::invalid(src, msg));
                }
                if let Some(row) = labels.iter().position(|&l| l as usize >= *classes) {
                    let msg = format!("row {row}: label {} out of range (expected 0..{classes})", labels[row]);
                    return Err(DataError::invalid(src, msg));
                }
            }
            Targets::Regression { values, outputs } => {
                if *outputs == 0 {
                    return Err(DataError::invalid(src, "regression with 0 outputs"));
                }
                if n.checked_mul(*outputs) != Some(values.len()) {
                    let msg = format!("expected n * outputs = {n} * {outputs} target values, found {}", values.len());
                    return Err(DataError::invalid(src, msg));
                }
                if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                    let (row, col, value) = (i / outputs, i % outputs, values[i]);
                    return Err(DataError::NonFinite { src: name, row, col, what: "target", value });
                }
            }
        }
        Ok(Dataset { name, features, n, d, targets, image_shape })
    }

    /// This dataset with one row more: `row` `[d]` with `target`, checked as every row is (the
    /// error names the dataset). The data is copied: rows are added one at a time, by a click
    /// on the 2-D plane.
    pub fn with_row(&self, row: &[f32], target: RowTarget<'_>) -> Result<Dataset> {
        let src = self.name.as_str();
        if row.len() != self.d {
            return Err(DataError::invalid(src, format!("a new row has {} features, expected {}", row.len(), self.d)));
        }
        let n = self.n.checked_add(1).ok_or_else(|| DataError::invalid(src, "too many rows"))?;
        let mut features = Vec::with_capacity(self.features.len().saturating_add(self.d));
        features.extend_from_slice(&self.features);
        features.extend_from_slice(row);
        let targets = match (&self.targets, target) {
            (Targets::Classes { labels, classes, names }, RowTarget::Class(label)) => {
                let mut labels = labels.clone();
                labels.push(label);
                Targets::Classes { labels, classes: *classes, names: names.clone() }
            }
            (Targets::Regression { values, outputs }, RowTarget::Values(v)) => {
                if v.len() != *outputs {
                    let msg = format!("a new row has {} target values, expected {outputs}", v.len());
                    return Err(DataError::invalid(src, msg));
                }
                let mut values = values.clone();
                values.extend_from_slice(v);
                Targets::Regression { values, outputs: *outputs }
            }
            (Targets::Classes { .. }, RowTarget::Values(_)) => {
                return Err(DataError::invalid(src, "a new row needs a class, not values"));
            }
            (Targets::Regression { .. }, RowTarget::Class(_)) => {
                return Err(DataError::invalid(src, "a new row needs target values, not a class"));
            }
        };
        Dataset::new(self.name.clone(), features, n, self.d, targets, self.image_shape)
    }

    /// Row `i` of the features, `[d]`. Panics if `i >= n`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.d..(i + 1) * self.d]
    }

    /// The labels, `[n]`, or `None` for a regression dataset.
    pub fn labels(&self) -> Option<&[u32]> {
        match &self.targets {
            Targets::Classes { labels, .. } => Some(labels),
            Targets::Regression { .. } => None,
        }
    }

    /// Width of the model's output layer: the number of classes, or of regression outputs.
    pub fn num_outputs(&self) -> usize {
        match &self.targets {
            Targets::Classes { classes, .. } => *classes,
            Targets::Regression { outputs, .. } => *outputs,
        }
    }

    /// Rows per class, `[classes]`; empty for a regression dataset.
    pub fn class_counts(&self) -> Vec<usize> {
        match &self.targets {
            Targets::Classes { labels, classes, .. } => {
                let mut counts = vec![0; *classes];
                for &l in labels {
                    counts[l as usize] += 1;
                }
                counts
            }
            Targets::Regression { .. } => Vec::new(),
        }
    }

    /// The rows at `indices`, in that order (repeats allowed), keeping name, targets' kind,
    /// class names and image shape. Panics if an index is `>= n`.
    pub fn subset(&self, indices: &[u32]) -> Dataset {
        let mut features = Vec::with_capacity(indices.len() * self.d);
        for &i in indices {
            features.extend_from_slice(self.row(i as usize));
        }
        let targets = match &self.targets {
            Targets::Classes { labels, classes, names } => Targets::Classes {
                labels: indices.iter().map(|&i| labels[i as usize]).collect(),
                classes: *classes,
                names: names.clone(),
            },
            Targets::Regression { values, outputs } => {
                let mut v = Vec::with_capacity(indices.len() * outputs);
                for &i in indices {
                    let i = i as usize;
                    v.extend_from_slice(&values[i * outputs..(i + 1) * outputs]);
                }
                Targets::Regression { values: v, outputs: *outputs }
            }
        };
        Dataset {
            name: self.name.clone(),
            features,
            n: indices.len(),
            d: self.d,
            targets,
            image_shape: self.image_shape,
        }
    }

    /// Copies the rows at `indices` into reused buffers: `x` becomes `[len, d]`; for a
    /// classification dataset `y_labels` becomes `[len]` and `y_values` is left empty, for a
    /// regression dataset `y_values` becomes `[len, outputs]` and `y_labels` is left empty.
    /// Allocates nothing once the buffers are large enough. Panics if an index is `>= n`.
    pub fn gather_batch(&self, indices: &[u32], x: &mut Vec<f32>, y_labels: &mut Vec<u32>, y_values: &mut Vec<f32>) {
        self.gather_rows(indices, x);
        self.gather_targets(indices, y_labels, y_values);
    }

    /// The features half of [`Dataset::gather_batch`]: `x` (cleared first) becomes `[len, d]`.
    pub fn gather_rows(&self, indices: &[u32], x: &mut Vec<f32>) {
        x.clear();
        for &i in indices {
            x.extend_from_slice(self.row(i as usize));
        }
    }

    /// The targets half of [`Dataset::gather_batch`]: `y_labels` or `y_values` of rows `indices`
    /// (both cleared first).
    pub fn gather_targets(&self, indices: &[u32], y_labels: &mut Vec<u32>, y_values: &mut Vec<f32>) {
        y_labels.clear();
        y_values.clear();
        match &self.targets {
            Targets::Classes { labels, .. } => {
                y_labels.extend(indices.iter().map(|&i| labels[i as usize]));
            }
            Targets::Regression { values, outputs } => {
                for &i in indices {
                    let i = i as usize;
                    y_values.extend_from_slice(&values[i * outputs..(i + 1) * outputs]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        let targets = Targets::Classes { labels: vec![0, 1, 1], classes: 2, names: numbered_names(2) };
        Dataset::new("tiny", vec![1., 2., 3., 4., 5., 6.], 3, 2, targets, None).unwrap()
    }

    #[test]
    fn a_new_row_is_checked_like_every_row() {
        let more = tiny().with_row(&[7., 8.], RowTarget::Class(0)).unwrap();
        assert_eq!((more.n, more.row(3), more.labels().unwrap()), (4, &[7f32, 8.][..], &[0u32, 1, 1, 0][..]));
        let err = |r: Result<Dataset>| r.unwrap_err().to_string();
        assert_eq!(err(tiny().with_row(&[7.], RowTarget::Class(0))), "tiny: a new row has 1 features, expected 2");
        assert_eq!(
            err(tiny().with_row(&[7., 8.], RowTarget::Class(2))),
            "tiny: row 3: label 2 out of range (expected 0..2)"
        );
        assert!(err(tiny().with_row(&[f32::NAN, 8.], RowTarget::Class(0))).contains("row 3, column 0: feature is NaN"));
        assert!(err(tiny().with_row(&[7., 8.], RowTarget::Values(&[1.0]))).contains("needs a class"));
        let reg =
            Dataset::new("reg", vec![0., 1.], 2, 1, Targets::Regression { values: vec![5., 6.], outputs: 1 }, None)
                .unwrap();
        let more = reg.with_row(&[2.], RowTarget::Values(&[7.])).unwrap();
        assert_eq!(more.targets, Targets::Regression { values: vec![5., 6., 7.], outputs: 1 });
        assert!(err(reg.with_row(&[2.], RowTarget::Values(&[f32::INFINITY]))).contains("target is inf"));
    }

    #[test]
    fn new_rejects_non_finite_naming_row_and_column() {
        let targets = Targets::Classes { labels: vec![0, 0], classes: 1, names: numbered_names(1) };
        let err = Dataset::new("bad", vec![0., 1., 2., f32::NAN, 4., 5.], 2, 3, targets, None).unwrap_err().to_string();
        assert_eq!(err, "bad: row 1, column 0: feature is NaN (expected a finite number)");

        let targets = Targets::Regression { values: vec![0., 1., f32::INFINITY, 3.], outputs: 2 };
        let err = Dataset::new("reg", vec![0., 1.], 2, 1, targets, None).unwrap_err().to_string();
        assert_eq!(err, "reg: row 1, column 0: target is inf (expected a finite number)");
    }

    #[test]
    fn new_rejects_inconsistent_sizes_and_labels() {
        let t = |labels: Vec<u32>| Targets::Classes { labels, classes: 2, names: numbered_names(2) };
        let e = Dataset::new("a", vec![0.; 5], 3, 2, t(vec![0, 0, 0]), None).unwrap_err();
        assert_eq!(e.to_string(), "a: expected n * d = 3 * 2 features, found 5");
        let e = Dataset::new("b", vec![0.; 6], 3, 2, t(vec![0, 0]), None).unwrap_err();
        assert_eq!(e.to_string(), "b: expected 3 labels (one per row), found 2");
        let e = Dataset::new("c", vec![0.; 6], 3, 2, t(vec![0, 2, 0]), None).unwrap_err();
        assert_eq!(e.to_string(), "c: row 1: label 2 out of range (expected 0..2)");
        let e = Dataset::new("d", vec![0.; 6], 3, 2, t(vec![0, 1, 0]), Some((2, 2))).unwrap_err();
        assert_eq!(e.to_string(), "d: image shape 2x2 does not hold d = 2 features");
        let e = Dataset::new("e", vec![], 3, 0, t(vec![0, 1, 0]), None).unwrap_err();
        assert!(e.to_string().starts_with("e: d = 0"), "{e}");
    }

    #[test]
    fn subset_gather_and_counts() {
        let ds = tiny();
        assert_eq!(ds.class_counts(), vec![1, 2]);
        assert_eq!(ds.num_outputs(), 2);
        let s = ds.subset(&[2, 0, 2]);
        assert_eq!(s.features, vec![5., 6., 1., 2., 5., 6.]);
        assert_eq!(s.labels().unwrap(), &[1, 0, 1]);
        assert_eq!(s.n, 3);

        let (mut x, mut yl, mut yv) = (vec![9.0; 10], vec![7], vec![1.0]);
        ds.gather_batch(&[1, 2], &mut x, &mut yl, &mut yv);
        assert_eq!((x, yl, yv), (vec![3., 4., 5., 6.], vec![1, 1], vec![]));

        let targets = Targets::Regression { values: vec![1., 10., 2., 20.], outputs: 2 };
        let reg = Dataset::new("r", vec![0.5, 1.5], 2, 1, targets, None).unwrap();
        let (mut x, mut yl, mut yv) = (vec![], vec![3], vec![]);
        reg.gather_batch(&[1, 1, 0], &mut x, &mut yl, &mut yv);
        assert_eq!((x, yl, yv), (vec![1.5, 1.5, 0.5], vec![], vec![2., 20., 2., 20., 1., 10.]));
        assert_eq!(reg.subset(&[1]).targets, Targets::Regression { values: vec![2., 20.], outputs: 2 });
        assert_eq!(reg.num_outputs(), 2);
        assert!(reg.class_counts().is_empty());
    }
}
