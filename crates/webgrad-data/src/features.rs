//! TensorFlow Playground's input features for 2-D data: the model sees chosen functions of the
//! point (x₁, x₂) — x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂ — instead of the point itself, so a
//! student can see which features make a dataset easy (with x₁² and x₂², `circle` needs no
//! hidden layer).

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFeature {
    X1,
    X2,
    X1Squared,
    X2Squared,
    X1X2,
    SinX1,
    SinX2,
}

impl InputFeature {
    /// Every feature, in TensorFlow Playground's order.
    pub const ALL: [InputFeature; 7] = [
        InputFeature::X1,
        InputFeature::X2,
        InputFeature::X1Squared,
        InputFeature::X2Squared,
        InputFeature::X1X2,
        InputFeature::SinX1,
        InputFeature::SinX2,
    ];

    /// The point itself: what a 2-D model sees unless told otherwise.
    pub const PLAIN: [InputFeature; 2] = [InputFeature::X1, InputFeature::X2];

    /// The name in links and files: "x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2".
    pub fn name(self) -> &'static str {
        match self {
            Self::X1 => "x1",
            Self::X2 => "x2",
            Self::X1Squared => "x1sq",
            Self::X2Squared => "x2sq",
            Self::X1X2 => "x1x2",
            Self::SinX1 => "sinx1",
            Self::SinX2 => "sinx2",
        }
    }

    /// As a person writes it: "x₁²".
    pub fn label(self) -> &'static str {
        match self {
            Self::X1 => "x₁",
            Self::X2 => "x₂",
            Self::X1Squared => "x₁²",
            Self::X2Squared => "x₂²",
            Self::X1X2 => "x₁x₂",
            Self::SinX1 => "sin x₁",
            Self::SinX2 => "sin x₂",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<InputFeature, String> {
        Self::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
            format!("'{s}' is not an input feature (one of {})", names.join(", "))
        })
    }

    /// The feature's value at the point (x1, x2).
    pub fn of(self, x1: f32, x2: f32) -> f32 {
        match self {
            Self::X1 => x1,
            Self::X2 => x2,
            Self::X1Squared => x1 * x1,
            Self::X2Squared => x2 * x2,
            Self::X1X2 => x1 * x2,
            Self::SinX1 => x1.sin(),
            Self::SinX2 => x2.sin(),
        }
    }
}

/// The `features` of each row of 2-D points `[n, 2]`, as `[n, features.len()]` row-major.
pub fn expand_points(points: &[f32], features: &[InputFeature]) -> Vec<f32> {
    points.chunks_exact(2).flat_map(|p| features.iter().map(move |f| f.of(p[0], p[1]))).collect()
}

/// `data` (2-D points) with each row replaced by the chosen features of its point; the targets
/// are kept. At least one feature, none twice; errors name the dataset.
pub fn expand(data: &Dataset, features: &[InputFeature]) -> Result<Dataset> {
    let src = data.name.as_str();
    if data.d != 2 {
        return Err(DataError::invalid(
            src,
            format!("input features need 2-D points, this data has {} features", data.d),
        ));
    }
    if features.is_empty() {
        return Err(DataError::invalid(src, "choose at least one input feature"));
    }
    if let Some(f) = features.iter().enumerate().find_map(|(i, f)| features[..i].contains(f).then_some(f)) {
        return Err(DataError::invalid(src, format!("input feature {} is chosen twice", f.name())));
    }
    let x = expand_points(&data.features, features);
    Dataset::new(data.name.clone(), x, data.n, features.len(), data.targets.clone(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Targets, numbered_names};

    #[test]
    fn features_equal_a_direct_computation() {
        let (x1, x2) = (0.7f32, -1.3f32);
        let want = [x1, x2, x1 * x1, x2 * x2, x1 * x2, x1.sin(), x2.sin()];
        let got: Vec<f32> = InputFeature::ALL.iter().map(|f| f.of(x1, x2)).collect();
        assert_eq!(got, want);
        let targets = Targets::Classes { labels: vec![0, 1], classes: 2, names: numbered_names(2) };
        let data = Dataset::new("pts", vec![x1, x2, 2.0, 3.0], 2, 2, targets, None).unwrap();
        let crossed = expand(&data, &[InputFeature::X1Squared, InputFeature::X1X2]).unwrap();
        assert_eq!((crossed.n, crossed.d), (2, 2));
        assert_eq!(crossed.features, [x1 * x1, x1 * x2, 4.0, 6.0]);
        assert_eq!(crossed.targets, data.targets);
    }

    #[test]
    fn names_round_trip_and_bad_choices_are_refused() {
        for f in InputFeature::ALL {
            assert_eq!(InputFeature::parse(f.name()), Ok(f));
        }
        assert!(InputFeature::parse("cos").unwrap_err().contains("'cos' is not an input feature"));
        let targets = Targets::Classes { labels: vec![0], classes: 1, names: numbered_names(1) };
        let data = Dataset::new("pts", vec![1.0, 2.0], 1, 2, targets.clone(), None).unwrap();
        assert!(expand(&data, &[]).unwrap_err().to_string().contains("at least one"));
        let twice = expand(&data, &[InputFeature::X1, InputFeature::X1]).unwrap_err().to_string();
        assert!(twice.contains("x1 is chosen twice"), "{twice}");
        let three = Dataset::new("three", vec![1.0, 2.0, 3.0], 1, 3, targets, None).unwrap();
        assert!(expand(&three, &InputFeature::PLAIN).unwrap_err().to_string().contains("need 2-D points"));
    }
}
