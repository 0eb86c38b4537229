//! Messages between the page and the training worker (serialised with serde-wasm-bindgen).

use serde::{Deserialize, Serialize};
use webgrad_nn::Report;

/// Which data to train on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataChoice {
    /// The bundled 8,000 / 2,000 MNIST digits.
    Mnist,
    /// A TensorFlow-Playground generator: circle, xor, gauss, spiral (classification), plane.
    Synthetic { name: String, samples: usize, noise: f32, test_fraction: f32, seed: u64 },
}

/// What the model and the run look like (everything a shared link has to reproduce).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub data: DataChoice,
    pub hidden: Vec<usize>,
    pub activation: String,
    pub optimizer: String,
    pub lr: f64,
    pub batch: usize,
    pub epochs: usize,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToWorker {
    /// Load data (if it changed) and build a fresh model and optimizer.
    Reset {
        experiment: Experiment,
    },
    /// Train continuously until paused or `epochs` are done.
    Play,
    Pause,
    /// One optimizer step on one batch.
    Step,
    /// Change the learning rate from the next step on.
    SetLr {
        lr: f64,
    },
}

/// A labelled 2-D point for the scatter / decision-boundary view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
    pub class: u32,
    pub test: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub name: String,
    pub train_rows: usize,
    pub test_rows: usize,
    pub features: usize,
    pub class_names: Vec<String>,
    /// Present for 2-D sets: every point, for the scatter plot.
    pub points: Vec<Point>,
}

/// The model's output over a grid covering the 2-D data: `values[r * size + c]` is the
/// probability of class 1 (or the regression output) at the cell centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    pub size: usize,
    /// [x_min, x_max, y_min, y_max]
    pub extent: [f32; 4],
    pub values: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker started; `backend` names the device it trains on, `notice` says why when it
    /// is not the GPU.
    Ready {
        backend: String,
        notice: Option<String>,
    },
    DataLoaded {
        summary: DataSummary,
        parameters: usize,
        model: String,
    },
    /// Training progress since the last message: per-step losses of this slice.
    Progress {
        step: u64,
        epoch: u64,
        losses: Vec<(u64, f32)>,
        samples_per_sec: f64,
        boundary: Option<Boundary>,
    },
    /// An epoch finished and was evaluated on the test split.
    Epoch {
        epoch: u64,
        train_loss: f64,
        test_loss: f64,
        report: Report,
    },
    Running {
        running: bool,
    },
    /// Something went wrong; what was loaded or trained is kept.
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_json() {
        let m = ToWorker::Reset {
            experiment: Experiment {
                data: DataChoice::Synthetic {
                    name: "spiral".into(),
                    samples: 500,
                    noise: 0.1,
                    test_fraction: 0.5,
                    seed: 1,
                },
                hidden: vec![8, 8],
                activation: "tanh".into(),
                optimizer: "adam".into(),
                lr: 0.03,
                batch: 10,
                epochs: 100,
                seed: 1,
            },
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<ToWorker>(&json).unwrap(), m);
    }
}
