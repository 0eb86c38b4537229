//! Resolves `--dataset` into (train, test) splits plus the preprocessing to record.

use std::path::Path;

use webgrad_data::{self as data, Dataset, Standardizer};
use webgrad_nn::Preprocessing;

use crate::CliResult;

pub struct DataSpec<'a> {
    pub name: &'a str,
    pub labels: Option<&'a str>,
    pub samples: usize,
    pub noise: f32,
    pub test_fraction: f32,
    pub seed: u64,
}

pub struct Loaded {
    pub train: Dataset,
    pub test: Dataset,
    pub preprocessing: Preprocessing,
}

/// The label file that sits beside an MNIST-style image file.
fn default_labels_path(images: &str) -> Option<String> {
    images.contains("images-idx3").then(|| images.replace("images-idx3", "labels-idx1"))
}

fn read(path: &str) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{path}: cannot read: {e}"))
}

pub fn load(spec: &DataSpec<'_>) -> CliResult<Loaded> {
    if !(0.0..1.0).contains(&spec.test_fraction) {
        return Err(format!("--test-fraction {} is not in [0, 1)", spec.test_fraction));
    }
    let pixels = Preprocessing { scale: Some(1.0 / 255.0), standardize: None };
    match spec.name {
        "mnist" => {
            let dir = data::find_mnist_dir()
                .ok_or("the bundled MNIST files were not found (looked in $WEBGRAD_ASSETS/mnist and assets/mnist)")?;
            let (train, test) = data::load_mnist_dir(&dir).map_err(|e| e.to_string())?;
            Ok(Loaded { train, test, preprocessing: pixels })
        }
        name if data::synthetic::NAMES.contains(&name) => {
            if !(0.0..=1.0).contains(&spec.noise) {
                return Err(format!("--noise {} is not in [0, 1]", spec.noise));
            }
            let all = data::synthetic::by_name(name, spec.samples, spec.noise, spec.seed).map_err(|e| e.to_string())?;
            let (train, test) =
                data::train_test_split(&all, spec.test_fraction, spec.seed).map_err(|e| e.to_string())?;
            Ok(Loaded { train, test, preprocessing: Preprocessing::default() })
        }
        path if Path::new(path).is_file() => {
            let labels = match spec.labels {
                Some(l) => l.to_string(),
                None => {
                    default_labels_path(path).ok_or_else(|| format!("{path}: give the label file with --labels"))?
                }
            };
            let all = data::load_idx_classification(&read(path)?, path, &read(&labels)?, &labels, path, 1.0 / 255.0)
                .map_err(|e| e.to_string())?;
            let (train, test) =
                data::stratified_train_test_split(&all, spec.test_fraction, spec.seed).map_err(|e| e.to_string())?;
            Ok(Loaded { train, test, preprocessing: pixels })
        }
        other => Err(format!(
            "--dataset '{other}' is neither a built-in set (mnist, {}) nor a readable file",
            data::synthetic::NAMES.join(", ")
        )),
    }
}

/// Fits standardisation on the training split and applies it to both splits.
pub fn standardize(loaded: &mut Loaded) -> CliResult<()> {
    let s = Standardizer::fit(&loaded.train);
    s.apply(&mut loaded.train).map_err(|e| e.to_string())?;
    s.apply(&mut loaded.test).map_err(|e| e.to_string())?;
    loaded.preprocessing.standardize = Some(s);
    Ok(())
}
