//! Seeded train/test splits. The test part has `round(n * test_fraction)` rows (per class for
//! the stratified split); the two parts are disjoint and together hold every row exactly once.
//! The parts are named "<name>-train" and "<name>-test".

use crate::dataset::{Dataset, Targets};
use crate::error::{DataError, Result};
use webgrad_core::Rng;

fn check_fraction(ds: &Dataset, test_fraction: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&test_fraction) {
        let msg = format!("test fraction {test_fraction} is not in [0, 1]");
        return Err(DataError::invalid(&ds.name, msg));
    }
    Ok(())
}

fn test_count(n: usize, test_fraction: f32) -> usize {
    ((n as f64 * test_fraction as f64).round() as usize).min(n)
}

fn named(mut ds: Dataset, base: &str, part: &str) -> Dataset {
    ds.name = format!("{base}-{part}");
    ds
}

/// Shuffles the row indices with `Rng::new(seed)`, then puts the first `round(n·f)` of them in
/// the test part and the rest in the train part (both in shuffled order). Returns
/// `(train, test)`.
pub fn train_test_split(ds: &Dataset, test_fraction: f32, seed: u64) -> Result<(Dataset, Dataset)> {
    let (train, test) = train_test_indices(ds, test_fraction, seed)?;
    Ok((named(ds.subset(&train), &ds.name, "train"), named(ds.subset(&test), &ds.name, "test")))
}

/// The row indices [`train_test_split`] puts in each part, `(train, test)`.
pub fn train_test_indices(ds: &Dataset, test_fraction: f32, seed: u64) -> Result<(Vec<u32>, Vec<u32>)> {
    check_fraction(ds, test_fraction)?;
    let mut order = Rng::new(seed).permutation(ds.n);
    let train = order.split_off(test_count(ds.n, test_fraction));
    Ok((train, order))
}

/// Like [`train_test_split`] but each class contributes `round(count_c · f)` rows to the test
/// part, so both parts keep the class proportions (to within one row per class). Classes are
/// shuffled one after the other with one `Rng::new(seed)`, then each part is shuffled again so
/// that classes are mixed. Errors for a regression dataset.
pub fn stratified_train_test_split(ds: &Dataset, test_fraction: f32, seed: u64) -> Result<(Dataset, Dataset)> {
    let (train, test) = stratified_train_test_indices(ds, test_fraction, seed)?;
    Ok((named(ds.subset(&train), &ds.name, "train"), named(ds.subset(&test), &ds.name, "test")))
}

/// The row indices [`stratified_train_test_split`] puts in each part, `(train, test)`.
pub fn stratified_train_test_indices(ds: &Dataset, test_fraction: f32, seed: u64) -> Result<(Vec<u32>, Vec<u32>)> {
    check_fraction(ds, test_fraction)?;
    let Some(labels) = ds.labels() else {
        return Err(DataError::invalid(&ds.name, "a stratified split needs class labels, found regression targets"));
    };
    let mut by_class: Vec<Vec<u32>> = vec![Vec::new(); ds.num_outputs()];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l as usize].push(i as u32);
    }
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut rows in by_class {
        rng.shuffle(&mut rows);
        let (t, r) = rows.split_at(test_count(rows.len(), test_fraction));
        test.extend_from_slice(t);
        train.extend_from_slice(r);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    Ok((train, test))
}

/// Splits `ds` into `(train, test)` with the rows listed in `train` and in `test` (in that
/// order), as [`Dataset::subset`] twice would, but without a second copy of the features: the
/// rows are permuted in place, then the test rows are moved out (peak memory: the dataset plus
/// the test part). Parts are named "<name>-train" and "<name>-test". Errors unless `train` and
/// `test` together list every row exactly once.
pub fn split_rows(ds: Dataset, train: &[u32], test: &[u32]) -> Result<(Dataset, Dataset)> {
    let n = ds.n;
    let mut seen = vec![false; n];
    let covers = train.len() + test.len() == n
        && train.iter().chain(test).all(|&i| (i as usize) < n && !std::mem::replace(&mut seen[i as usize], true));
    if !covers {
        return Err(DataError::invalid(&ds.name, "split_rows: train and test must list every row exactly once"));
    }
    let order: Vec<u32> = train.iter().chain(test).copied().collect();
    let Dataset { name, mut features, d, targets, image_shape, .. } = ds;
    // New row k is old row order[k]: follow each cycle of the permutation with one row buffer.
    let mut done = seen;
    done.fill(false);
    let mut tmp = vec![0f32; d];
    for start in 0..n {
        if done[start] {
            continue;
        }
        tmp.copy_from_slice(&features[start * d..(start + 1) * d]);
        let mut k = start;
        loop {
            done[k] = true;
            let src = order[k] as usize;
            if src == start {
                features[k * d..(k + 1) * d].copy_from_slice(&tmp);
                break;
            }
            features.copy_within(src * d..(src + 1) * d, k * d);
            k = src;
        }
    }
    let test_features = features.split_off(train.len() * d);
    features.shrink_to_fit();
    let (train_targets, test_targets) = match targets {
        Targets::Classes { labels, classes, names } => {
            let pick = |rows: &[u32]| rows.iter().map(|&i| labels[i as usize]).collect();
            (
                Targets::Classes { labels: pick(train), classes, names: names.clone() },
                Targets::Classes { labels: pick(test), classes, names },
            )
        }
        Targets::Regression { values, outputs } => {
            let pick = |rows: &[u32]| {
                rows.iter().flat_map(|&i| &values[i as usize * outputs..(i as usize + 1) * outputs]).copied().collect()
            };
            (Targets::Regression { values: pick(train), outputs }, Targets::Regression { values: pick(test), outputs })
        }
    };
    let part = |features, n, targets, suffix: &str| Dataset {
        name: format!("{name}-{suffix}"),
        features,
        n,
        d,
        targets,
        image_shape,
    };
    Ok((part(features, train.len(), train_targets, "train"), part(test_features, test.len(), test_targets, "test")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::numbered_names;

    /// Row i has the single feature i, so a split's features name its rows.
    fn indexed(labels: Vec<u32>, classes: usize) -> Dataset {
        let n = labels.len();
        let features = (0..n).map(|i| i as f32).collect();
        let targets = Targets::Classes { labels, classes, names: numbered_names(classes) };
        Dataset::new("idx", features, n, 1, targets, None).unwrap()
    }

    fn rows(ds: &Dataset) -> Vec<usize> {
        ds.features.iter().map(|&v| v as usize).collect()
    }

    #[test]
    fn split_sizes_disjoint_cover_and_seeded() {
        let ds = indexed((0..103).map(|i| i % 3).collect(), 3);
        let (train, test) = train_test_split(&ds, 0.2, 5).unwrap();
        assert_eq!((train.n, test.n), (82, 21));
        assert_eq!((train.name.as_str(), test.name.as_str()), ("idx-train", "idx-test"));
        let mut all: Vec<usize> = rows(&train).into_iter().chain(rows(&test)).collect();
        all.sort();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        // Labels travel with their rows.
        for (v, &l) in test.features.iter().zip(test.labels().unwrap()) {
            assert_eq!(*v as u32 % 3, l);
        }
        let (train2, test2) = train_test_split(&ds, 0.2, 5).unwrap();
        assert_eq!((&train, &test), (&train2, &test2));
        let (_, test3) = train_test_split(&ds, 0.2, 6).unwrap();
        assert_ne!(test.features, test3.features);
        // Shuffled, not the first rows.
        assert_ne!(rows(&test), (0..21).collect::<Vec<_>>());
    }

    #[test]
    fn split_rows_equals_two_subsets() {
        let ds = indexed((0..37).map(|i| (i * 7 % 3) as u32).collect(), 3);
        let (train_rows, test_rows) = stratified_train_test_indices(&ds, 0.3, 11).unwrap();
        let (train, test) = split_rows(ds.clone(), &train_rows, &test_rows).unwrap();
        assert_eq!(train, named(ds.subset(&train_rows), "idx", "train"));
        assert_eq!(test, named(ds.subset(&test_rows), "idx", "test"));
        let reg = Dataset::new(
            "r",
            vec![1., 2., 3.],
            3,
            1,
            Targets::Regression { values: vec![10., 20., 30.], outputs: 1 },
            None,
        )
        .unwrap();
        let (a, b) = split_rows(reg.clone(), &[2, 0], &[1]).unwrap();
        assert_eq!((a.features, b.features), (vec![3., 1.], vec![2.]));
        assert_eq!(a.targets, Targets::Regression { values: vec![30., 10.], outputs: 1 });
        assert!(split_rows(reg.clone(), &[0, 0], &[1]).is_err());
        assert!(split_rows(reg, &[0], &[1]).is_err());
    }

    #[test]
    fn split_rejects_bad_fraction() {
        let ds = indexed(vec![0, 1], 2);
        let e = train_test_split(&ds, 1.5, 0).unwrap_err().to_string();
        assert_eq!(e, "idx: test fraction 1.5 is not in [0, 1]");
        assert!(train_test_split(&ds, f32::NAN, 0).is_err());
        let (train, test) = train_test_split(&ds, 0.0, 0).unwrap();
        assert_eq!((train.n, test.n), (2, 0));
    }

    #[test]
    fn stratified_keeps_proportions() {
        // Classes of 500, 300 and 200 rows (imbalanced).
        let labels: Vec<u32> = (0..1000)
            .map(|i| {
                if i < 500 {
                    0
                } else if i < 800 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let ds = indexed(labels, 3);
        let (train, test) = stratified_train_test_split(&ds, 0.25, 9).unwrap();
        assert_eq!(test.class_counts(), vec![125, 75, 50]);
        assert_eq!(train.class_counts(), vec![375, 225, 150]);
        let mut all: Vec<usize> = rows(&train).into_iter().chain(rows(&test)).collect();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        // Classes are mixed, not in blocks.
        let tl = test.labels().unwrap();
        assert!(tl.windows(2).filter(|w| w[0] != w[1]).count() > 10);

        let reg = Targets::Regression { values: vec![0.0; 2], outputs: 1 };
        let reg = Dataset::new("r", vec![0.0; 2], 2, 1, reg, None).unwrap();
        let e = stratified_train_test_split(&reg, 0.5, 0).unwrap_err().to_string();
        assert!(e.starts_with("r: a stratified split needs class labels"), "{e}");
    }
}
