//! Feature scaling fitted on the training split only and saved with the model (hence serde):
//! none, standardisation ([`Standardizer`]) or min-max to [0, 1]; and whether regression
//! targets are standardised ([`TargetScaling`]).

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Targets};
use crate::error::Result;
use crate::standardize::Standardizer;

/// Which scaling to fit; spelled `none`, `standardize`, `minmax` everywhere (CLI flags, the
/// page, links, saved experiments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalingKind {
    #[default]
    None,
    Standardize,
    MinMax,
}

impl ScalingKind {
    pub const ALL: [ScalingKind; 3] = [ScalingKind::None, ScalingKind::Standardize, ScalingKind::MinMax];

    pub fn name(self) -> &'static str {
        match self {
            ScalingKind::None => "none",
            ScalingKind::Standardize => "standardize",
            ScalingKind::MinMax => "minmax",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<ScalingKind, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown normalisation '{s}' (expected none, standardize or minmax)"))
    }

    /// A dataset's default: the 2-D sets as they are (already on a common scale), everything
    /// else — MNIST (after /255), Iris, files — standardised.
    pub fn default_for(dataset: &str) -> ScalingKind {
        if crate::synthetic::NAMES.contains(&dataset) { ScalingKind::None } else { ScalingKind::Standardize }
    }
}

/// Whether regression targets are standardised for training (per output, fitted on the
/// training split: [`Standardizer::fit_targets`]); spelled `none`, `standardize` (CLI flag
/// `--target-scaling`, saved settings). The default standardises: a network whose output starts
/// near 0 fits targets around 90 ± 11 far better as `z = (y − 90) / 11`, and its predictions are
/// mapped back (`y = z · std + mean`) wherever they are shown. Class labels are never scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetScaling {
    None,
    #[default]
    Standardize,
}

impl TargetScaling {
    pub const ALL: [TargetScaling; 2] = [TargetScaling::None, TargetScaling::Standardize];

    pub fn name(self) -> &'static str {
        match self {
            TargetScaling::None => "none",
            TargetScaling::Standardize => "standardize",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<TargetScaling, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown target scaling '{s}' (expected none or standardize)"))
    }

    /// The statistics to train with: the training split's per-output mean and std when this
    /// standardises and `train` holds regression targets, else `None` (pass the **training**
    /// split's targets).
    pub fn fit(self, train: &Targets) -> Option<Standardizer> {
        match self {
            TargetScaling::None => None,
            TargetScaling::Standardize => Standardizer::fit_targets(train),
        }
    }
}

/// A fitted scaling. `MinMax` maps each training column onto [0, 1] by
/// `x' = (x - min) / (max - min)` (a constant column maps to 0); rows outside the training
/// range (test rows, new data) map outside [0, 1], as scikit-learn's `MinMaxScaler` does.
/// Invariant: `min` and `max` have one entry per feature and `min <= max`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Scaling {
    #[default]
    None,
    Standardize(Standardizer),
    MinMax {
        min: Vec<f32>,
        max: Vec<f32>,
    },
}

impl Scaling {
    /// Fits on `train` (pass the **training** split: test statistics must not leak). An empty
    /// dataset gives min = max = 0.
    pub fn fit(kind: ScalingKind, train: &Dataset) -> Scaling {
        match kind {
            ScalingKind::None => Scaling::None,
            ScalingKind::Standardize => Scaling::Standardize(Standardizer::fit(train)),
            ScalingKind::MinMax => {
                let mut min = vec![f32::INFINITY; train.d];
                let mut max = vec![f32::NEG_INFINITY; train.d];
                for row in train.features.chunks_exact(train.d) {
                    for ((lo, hi), &x) in min.iter_mut().zip(max.iter_mut()).zip(row) {
                        *lo = lo.min(x);
                        *hi = hi.max(x);
                    }
                }
                if train.n == 0 {
                    min.fill(0.0);
                    max.fill(0.0);
                }
                Scaling::MinMax { min, max }
            }
        }
    }

    /// The same map written as `(x - mean) / std`: min-max is `mean = min`, `std = max - min`
    /// (1 for a constant column, or where the range overflows f32). `None` for no scaling. This is
    /// how a min-max scaling is stored where only a [`Standardizer`] fits (a model's JSON); it
    /// computes bit-identical results.
    pub fn as_standardizer(&self) -> Option<Standardizer> {
        match self {
            Scaling::None => None,
            Scaling::Standardize(s) => Some(s.clone()),
            Scaling::MinMax { min, max } => {
                let std = min
                    .iter()
                    .zip(max)
                    .map(|(&lo, &hi)| {
                        let r = hi - lo;
                        if r.is_finite() && r >= f32::MIN_POSITIVE { r } else { 1.0 }
                    })
                    .collect();
                Some(Standardizer { mean: min.clone(), std })
            }
        }
    }

    /// Scales every row in place. Errors (changing nothing) if the widths differ.
    pub fn apply(&self, ds: &mut Dataset) -> Result<()> {
        match self.as_standardizer() {
            Some(s) => s.apply(ds),
            None => Ok(()),
        }
    }

    /// Scales one row `[d]` in place. Panics if `row.len() != d`.
    pub fn apply_row(&self, row: &mut [f32]) {
        if let Some(s) = self.as_standardizer() {
            s.apply_row(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Targets, numbered_names};
    use crate::split::train_test_split;

    fn ds(features: Vec<f32>, d: usize) -> Dataset {
        let n = features.len() / d;
        let targets = Targets::Classes { labels: vec![0; n], classes: 1, names: numbered_names(1) };
        Dataset::new("m", features, n, d, targets, None).unwrap()
    }

    #[test]
    fn min_max_maps_the_training_range_onto_unit_interval() {
        // Column 0: 10..=109; column 1 constant; column 2 negative.
        let all = ds((0..100).flat_map(|i| [10.0 + i as f32, 4.0, -0.5 * i as f32]).collect(), 3);
        let (mut train, mut test) = train_test_split(&all, 0.3, 2).unwrap();
        let s = Scaling::fit(ScalingKind::MinMax, &train);
        let Scaling::MinMax { min, max } = &s else { panic!("{s:?}") };
        fn col(d: &Dataset, c: usize) -> impl Iterator<Item = f32> + '_ {
            (0..d.n).map(move |i| d.row(i)[c])
        }
        assert_eq!(min[0], col(&train, 0).fold(f32::INFINITY, f32::min));
        assert_eq!(max[2], col(&train, 2).fold(f32::NEG_INFINITY, f32::max));
        assert_eq!((min[1], max[1]), (4.0, 4.0));
        s.apply(&mut train).unwrap();
        for c in [0, 2] {
            assert_eq!(col(&train, c).fold(f32::INFINITY, f32::min), 0.0);
            assert_eq!(col(&train, c).fold(f32::NEG_INFINITY, f32::max), 1.0);
        }
        assert!(col(&train, 1).all(|v| v == 0.0));
        // Test rows use the training range.
        let raw_test = test.clone();
        s.apply(&mut test).unwrap();
        for i in 0..test.n {
            let expect = (raw_test.row(i)[0] - min[0]) / (max[0] - min[0]);
            assert_eq!(test.row(i)[0], expect);
        }
        let mut row = [min[0], 4.0, max[2]];
        s.apply_row(&mut row);
        assert_eq!(row, [0.0, 0.0, 1.0]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Scaling>(&json).unwrap(), s);

        let st = Scaling::fit(ScalingKind::Standardize, &train);
        assert!(matches!(st, Scaling::Standardize(_)));
        assert_eq!(Scaling::fit(ScalingKind::None, &train).as_standardizer(), None);
        let mut narrow = ds(vec![1.0, 2.0], 2);
        assert!(s.apply(&mut narrow).is_err());
        assert_eq!(narrow.features, vec![1.0, 2.0]);
    }
}
