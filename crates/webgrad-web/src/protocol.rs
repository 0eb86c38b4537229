//! Messages between the page and the training worker (serialised with serde-wasm-bindgen).
//! The experiment they carry, with its defaults and link codec, is `experiment.rs`.

use serde::{Deserialize, Serialize};
use webgrad_nn::Report;

pub use crate::experiment::*;
pub use webgrad_data::MissingPolicy;

crate::browser_only!(pub mod by_hand);

/// One test image: grey levels 0–255 `[rows, cols]`, its true and predicted class names and
/// the predicted class's probability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GalleryItem {
    pub pixels: Bytes,
    pub rows: usize,
    pub cols: usize,
    pub truth: String,
    pub predicted: String,
    pub confidence: f32,
}

/// Where a saved checkpoint stands, and the experiment it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub experiment: Experiment,
    pub epoch: u64,
    pub step: u64,
}

/// The first rows of a loaded table, as text, for the preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Bytes that cross to and from the worker as a `Uint8Array` (not an array of numbers).
pub type Bytes = serde_bytes::ByteBuf;

// One message per user action, serialised straight away: its size does not matter.
#[allow(clippy::large_enum_variant)]
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
    /// Check the model's gradients by central differences with step `eps` on the next batch
    /// (`Trainer::check_gradients`); answered by `FromWorker::GradCheck`.
    GradCheck {
        eps: f32,
    },
    /// This worker is a race's lane: it keeps no checkpoint (neither in the browser's storage
    /// nor posted to the page), which belong to the playground's own worker, and trains with
    /// the baseline SIMD kernel (the same arithmetic in every lane, whatever its calibration).
    RaceLane,
    /// One training step, inspected: the math of the step for unit `unit` of linear layer
    /// `layer` (0-based; the output layer last); answered by `FromWorker::Inspection`.
    InspectStep {
        layer: usize,
        unit: usize,
    },
    /// Change the learning rate from the next step on.
    SetLr {
        lr: f64,
    },
    /// Set one weight of the model, from the network diagram: linear layer `layer`'s
    /// weight[to, from] (PyTorch layout [out, in]). It takes effect on the next step.
    SetWeight {
        layer: usize,
        to: usize,
        from: usize,
        value: f32,
    },
    /// Add a training point to 2-D data at (x, y) in the plane's coordinates; `target` is its
    /// class id, or its value for regression data.
    AddPoint {
        x: f32,
        y: f32,
        target: f32,
    },
    /// Restore the checkpoint announced in `Ready` (its data is loaded again).
    Resume,
    /// Show the test examples of one confusion-matrix cell (class ids).
    ShowCell {
        truth: u32,
        predicted: u32,
    },
    /// Stop a file or URL load that is in progress (the previous data stays).
    CancelLoad,
    /// Classify a drawing: one ink byte per canvas pixel, `[height, width]`.
    Predict {
        ink: Bytes,
        width: usize,
        height: usize,
    },
    /// Send the model back as safetensors (PyTorch names; the JSON description is embedded).
    Export,
    /// Send back a PyTorch project (`webgrad_nn::torch_project`) that continues this run, zipped.
    ExportTorch,
    /// Destroy the WebGPU device, as a lost GPU would: training goes on on the CPU from the
    /// last weights read back (the end-to-end test of that fallback sends this).
    DestroyGpu,
    /// Replace the model with one from a safetensors file (keeps the data; evaluates it).
    Import {
        name: String,
        bytes: Bytes,
    },
    /// A new worker (the previous one failed): load the experiment's data and continue from
    /// `checkpoint` (the last `FromWorker::Checkpoint`), or start it afresh without one. Data
    /// from local files comes with the files instead (see `app::shell`).
    Restore {
        experiment: Experiment,
        checkpoint: Option<Bytes>,
    },
    /// Panic in the worker, as a bug would (the end-to-end test of the worker restart sends it).
    Panic,
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
    /// 2-D data: the page shows the plane (the points and the model's output over it).
    #[serde(default)]
    pub plane: bool,
    /// A plane's model inputs as functions of the point, e.g. ["x₁", "x₂²"] (empty otherwise).
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The first rows, for data from files.
    pub preview: Option<Preview>,
    /// `(rows, cols)` when every row is an image (MNIST: 28×28).
    pub image_shape: Option<(usize, usize)>,
    /// The output head the targets call for (`Head::for_targets`).
    pub head: webgrad_nn::Head,
    /// What became of a table's missing cells, as a sentence ("3 rows with a missing value
    /// left out."); `None` where it had none or they were refused.
    #[serde(default)]
    pub missing_cells: Option<String>,
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

impl Boundary {
    /// The data coordinates (x, y) of canvas pixel (px, py) on a `width` × `height` drawing of
    /// the extent (y grows upwards in the data, downwards on the canvas).
    pub fn data_point(&self, (px, py): (f64, f64), (width, height): (f64, f64)) -> (f32, f32) {
        let [x0, x1, y0, y1] = self.extent.map(f64::from);
        ((x0 + px / width * (x1 - x0)) as f32, (y1 - py / height * (y1 - y0)) as f32)
    }

    /// The canvas pixel of data point (x, y): the inverse of `data_point`.
    pub fn canvas_point(&self, (x, y): (f32, f32), (width, height): (f64, f64)) -> (f64, f64) {
        let [x0, x1, y0, y1] = self.extent.map(f64::from);
        ((f64::from(x) - x0) / (x1 - x0) * width, (1.0 - (f64::from(y) - y0) / (y1 - y0)) * height)
    }
}

/// Units of one hidden layer drawn as pictures of their output over the input plane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitLayer {
    /// The layer's activation, as the model names it ("tanh").
    pub activation: String,
    /// All units of the layer; `maps` holds the first `UNIT_MAPS_PER_LAYER` of them.
    pub width: usize,
    /// Grid side: each map is `size × size` values, row-major, top row first (as `Boundary::values`).
    pub size: usize,
    pub maps: Vec<Vec<f32>>,
}

/// While training, the unit pictures and the activation histograms (with the gallery of test
/// images) are sent at most this often (each is many canvases for the page to draw; the
/// boundary alone follows every slice).
pub const UNIT_MAPS_EVERY_MS: f64 = 250.0;
pub const HISTOGRAMS_EVERY_MS: f64 = 500.0;

/// Units per layer drawn as pictures (a 2-D playground's layers are narrower than this).
pub const UNIT_MAPS_PER_LAYER: usize = 16;
/// First-layer units whose incoming weights are drawn as images (image data).
pub const INPUT_WEIGHT_UNITS: usize = 32;

/// How the outputs of one hidden layer are spread, over a sample of test rows: `counts[b]`
/// outputs fell in bin b of `bins` equal bins spanning [lo, hi] (the last bin includes hi).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerHistogram {
    /// The layer's activation, as the model names it ("relu").
    pub activation: String,
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u32>,
    /// Outputs that are exactly 0 (a ReLU's "off"), and outputs that are not numbers (left out of the bins).
    pub zeros: u32,
    pub not_finite: u32,
}

/// Bins of each activation histogram.
pub const HISTOGRAM_BINS: usize = 30;

impl LayerHistogram {
    /// One sentence on layer `layer` (1-based), e.g. "Layer 2 · relu: outputs from 0 to 3.21;
    /// 62 % are exactly 0."
    pub fn summary(&self, layer: usize) -> String {
        let total: u64 = self.counts.iter().map(|&c| u64::from(c)).sum::<u64>() + u64::from(self.not_finite);
        let share = |n: u32| if total == 0 { 0.0 } else { 100.0 * f64::from(n) / total as f64 };
        let mut s = format!("Layer {layer} · {}: outputs from {:.3} to {:.3}", self.activation, self.lo, self.hi);
        if self.zeros > 0 {
            s.push_str(&format!("; {:.0} % are exactly 0", share(self.zeros)));
        }
        if self.not_finite > 0 {
            s.push_str(&format!("; {:.0} % are not numbers", share(self.not_finite)));
        }
        s.push('.');
        s
    }

    pub fn of(activation: &str, values: &[f32], bins: usize) -> LayerHistogram {
        let finite = || values.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 0.0) };
        let count =
            |f: &dyn Fn(f32) -> bool| u32::try_from(values.iter().filter(|&&v| f(v)).count()).unwrap_or(u32::MAX);
        let mut h = LayerHistogram {
            activation: activation.to_string(),
            lo,
            hi,
            counts: vec![0; bins.max(1)],
            zeros: count(&|v| v == 0.0),
            not_finite: count(&|v| !v.is_finite()),
        };
        for v in finite() {
            if let Some(b) = h.bin_of(v) {
                h.counts[b] = h.counts[b].saturating_add(1);
            }
        }
        h
    }

    /// The bin that holds v (None outside [lo, hi] or for a value that is not a number).
    pub fn bin_of(&self, v: f32) -> Option<usize> {
        if !(self.lo..=self.hi).contains(&v) {
            return None;
        }
        let bins = self.counts.len().max(1);
        let width = (self.hi - self.lo) / bins as f32;
        Some(if width > 0.0 { (((v - self.lo) / width) as usize).min(bins - 1) } else { 0 })
    }
}

impl UnitLayer {
    /// The layer's output `[size², width]` row-major, as one map per unit for the first
    /// `UNIT_MAPS_PER_LAYER` units.
    pub fn from_outputs(activation: &str, outputs: &[f32], size: usize, width: usize) -> UnitLayer {
        let shown = width.min(UNIT_MAPS_PER_LAYER);
        let maps = (0..shown).map(|u| outputs.iter().skip(u).step_by(width.max(1)).copied().collect()).collect();
        UnitLayer { activation: activation.to_string(), width, size, maps }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker started; `backend` names the device it trains on, `notice` says why when it
    /// is not the GPU.
    Ready {
        backend: String,
        notice: Option<String>,
        /// A checkpoint saved by an earlier visit, to resume.
        resume: Option<Resume>,
    },
    /// The checkpoint was restored: training continues from here.
    Resumed {
        epoch: u64,
        step: u64,
    },
    /// A Reset or a load of chosen files is over: one for each such message, in the order
    /// they came; `built` when its model was built, false when it was refused (an Error said
    /// why, and what was loaded and trained before stays).
    Answered {
        built: bool,
    },
    /// The data loaded and the model built on it: `model` is its nn.Sequential (the page
    /// counts its parameters with the model's own formula, from `summary.head`).
    DataLoaded {
        summary: DataSummary,
        model: String,
    },
    /// The device that trains the current model, and why (e.g. why Auto chose the CPU);
    /// `buffer_limit`: a GPU's largest buffer in bytes (none on the CPU), which the page checks
    /// a model against while it is edited.
    Device {
        backend: String,
        notice: String,
        buffer_limit: Option<u64>,
    },
    /// Training progress since the last message: per-step losses of this slice.
    Progress {
        step: u64,
        epoch: u64,
        losses: Vec<(u64, f32)>,
        samples_per_sec: f64,
        /// the milliseconds the slice trained (0 when nothing was trained)
        #[serde(default)]
        train_ms: f64,
        /// the rows it trained on (a race lane's speed is their sum over its training time: a
        /// slice too short to time has no rate of its own)
        #[serde(default)]
        samples: u64,
        boundary: Option<Boundary>,
    },
    /// An epoch finished and was evaluated on the test split.
    Epoch {
        epoch: u64,
        train_loss: f64,
        test_loss: f64,
        report: Report,
        /// Accuracy (classification) or R² (regression) on the training split and on the test
        /// split, for the accuracy curve. The training score is either `train_running`, or
        /// scored after the epoch on the split's first rows (`TRAIN_SCORE_ROWS`).
        train_score: Option<f64>,
        test_score: f64,
        /// The training score is the accuracy over the epoch's batches as they were trained
        /// (each batch scored by the weights of its step, as Keras reports it): it costs
        /// nothing, and lags the weights at the epoch's end a little.
        #[serde(default)]
        train_running: bool,
    },
    Running {
        running: bool,
    },
    /// Loading a file or URL: bytes read of `total` (when known), rows parsed so far.
    LoadProgress {
        name: String,
        bytes: u64,
        total: Option<u64>,
        rows: u64,
    },
    /// The model as a safetensors file (with its JSON description in the metadata) and the JSON.
    Exported {
        safetensors: Bytes,
        json: String,
    },
    /// The PyTorch project of `ToWorker::ExportTorch`: a `.zip` archive named `name`.
    ExportedTorch {
        zip: Bytes,
        name: String,
    },
    /// A model was imported; `model` is its nn.Sequential, and an `Epoch` evaluation follows.
    /// `note`: what the user should know of how it reads the data (its numbered classes read
    /// the data's worded ones by their order, a table read in its columns' layout). `summary`:
    /// the data as the model now sees it (its missing cells hold the model's fill values; a
    /// table laid out as the model's columns has their features).
    Imported {
        name: String,
        model: String,
        layers: Vec<HiddenLayer>,
        note: Option<String>,
        summary: DataSummary,
    },
    /// What each hidden unit of a plane's model computes over the boundary's extent (see
    /// `UnitLayer`): with the boundary when the model is at rest, and at most every
    /// `UNIT_MAPS_EVERY_MS` while it trains.
    UnitMaps {
        layers: Vec<UnitLayer>,
    },
    /// A training point was added (`ToWorker::AddPoint`); the training split now has `train_rows`.
    PointAdded {
        point: Point,
        train_rows: usize,
    },
    /// Square image data: the first hidden layer's incoming weights as one image per unit
    /// (`maps[u]` = unit u's weights in pixel order; the first `INPUT_WEIGHT_UNITS` units),
    /// after every epoch (at most every `HISTOGRAMS_EVERY_MS`, and after the last).
    InputWeights(UnitLayer),
    /// Each hidden layer's outputs over a sample of test rows, as histograms (after every epoch,
    /// as `InputWeights`).
    Activations {
        layers: Vec<LayerHistogram>,
    },
    /// The network diagram: `sizes` = units per layer (input first); `units[l]` = the units of
    /// layer l it shows (at most `DIAGRAM_MAX_UNITS`); `layers[l]` = the weights between the shown
    /// units, [units[l+1].len(), units[l].len()] row-major.
    Weights {
        sizes: Vec<usize>,
        units: Vec<Vec<usize>>,
        layers: Vec<Vec<f32>>,
    },
    /// Test images with their predictions, mistakes first (image datasets, after each epoch).
    Gallery {
        /// What the gallery shows, e.g. "mistakes first" or "true 3, predicted 5 (12 images)".
        title: String,
        items: Vec<GalleryItem>,
    },
    /// Regression on the test split: (true, predicted) of the first output for up to
    /// `views::FIT_POINTS` rows spread evenly over the split, for the predicted-vs-true plot.
    Fit {
        points: Vec<(f32, f32)>,
        /// How many outputs the model has (the plot shows the first).
        outputs: usize,
    },
    /// The test rows of a confusion-matrix cell (tabular data; images come as a `Gallery`).
    CellRows {
        title: String,
        preview: Preview,
    },
    /// Class probabilities for the last drawing, in class order.
    Prediction {
        probabilities: Vec<(String, f32)>,
    },
    /// The health monitors of one window of steps (`worker::health`): per linear layer, its
    /// dead or saturated units, gradient norm and update ratio; and the alerts that began with
    /// it (each with its kind and layer, so the page lists one line per condition), and the
    /// conditions said before that it found cleared.
    Health {
        reading: webgrad_nn::Reading,
        alerts: Vec<webgrad_nn::Alert>,
        cleared: Vec<webgrad_nn::monitor::Cleared>,
    },
    /// The loss turned non-finite: training stopped and went back to the weights from before the
    /// step that broke it, now at optimizer `step` in `epoch`; `message` names the layer and
    /// operation and says what to do.
    RolledBack {
        step: u64,
        epoch: u64,
        message: String,
    },
    /// A model was built (Reset): a hash of its initial weights' bits (FNV-1a, hex), so that
    /// a race can show its lanes start alike.
    ModelBuilt {
        weights_hash: String,
    },
    /// A race lane's weights after an epoch, in `Mlp::parameters` order (models of at most
    /// `worker::LANE_WEIGHTS` parameters), for comparing lanes.
    LaneWeights {
        epoch: u64,
        weights: Vec<f32>,
    },
    /// One step's math (`ToWorker::InspectStep`).
    Inspection(webgrad_nn::inspect::StepInspection),
    /// A gradient check's findings (`ToWorker::GradCheck`).
    GradCheck(webgrad_nn::gradcheck::GradCheck),
    /// Something went wrong; what was loaded or trained is kept.
    Error {
        message: String,
    },
    /// The state after an epoch, which the page keeps: if the worker fails, a new one continues
    /// from it (`ToWorker::Restore`).
    Checkpoint {
        experiment: Experiment,
        epoch: u64,
        bytes: Bytes,
    },
    /// The worker panicked (a bug): its last words. The page replaces it and restores.
    Crashed {
        message: String,
    },
}

/// [`FromWorker::Checkpoint`] with borrowed bytes: serialises to the same message, without
/// copying a checkpoint that may be megabytes.
#[derive(Serialize)]
pub struct CheckpointRef<'a> {
    kind: &'static str,
    pub experiment: &'a Experiment,
    pub epoch: u64,
    #[serde(with = "serde_bytes")]
    pub bytes: &'a [u8],
}

impl<'a> CheckpointRef<'a> {
    pub fn new(experiment: &'a Experiment, epoch: u64, bytes: &'a [u8]) -> Self {
        CheckpointRef { kind: "checkpoint", experiment, epoch, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webgrad_nn::{ActivationName, BackendChoice, OptimizerName, SchedulePreset};

    #[test]
    fn a_canvas_pixel_and_its_data_point_map_to_each_other() {
        let b = Boundary { size: 2, extent: [-2.0, 2.0, -1.0, 3.0], values: vec![0.0; 4] };
        assert_eq!(b.data_point((0.0, 0.0), (320.0, 320.0)), (-2.0, 3.0));
        assert_eq!(b.data_point((160.0, 320.0), (320.0, 320.0)), (0.0, -1.0));
        let (px, py) = b.canvas_point((1.0, 0.5), (320.0, 320.0));
        assert_eq!(b.data_point((px, py), (320.0, 320.0)), (1.0, 0.5));
    }

    #[test]
    fn a_histogram_counts_every_finite_output_once() {
        let h = LayerHistogram::of("relu", &[0.0, 0.0, 1.0, 2.0, 3.0, 4.0, f32::NAN], 4);
        assert_eq!((h.lo, h.hi), (0.0, 4.0));
        assert_eq!(h.counts, [2, 1, 1, 2]);
        assert_eq!((h.zeros, h.not_finite), (2, 1));
        assert_eq!((h.bin_of(0.0), h.bin_of(4.0), h.bin_of(4.5), h.bin_of(f32::NAN)), (Some(0), Some(3), None, None));
        // one value everywhere: all in the first bin
        assert_eq!(LayerHistogram::of("tanh", &[0.5; 3], 5).counts, [3, 0, 0, 0, 0]);
        assert_eq!(LayerHistogram::of("tanh", &[], 2).counts, [0, 0]);
        assert_eq!(
            h.summary(2),
            "Layer 2 · relu: outputs from 0.000 to 4.000; 29 % are exactly 0; 14 % are not numbers."
        );
        assert_eq!(
            LayerHistogram::of("tanh", &[-0.5, 0.5], 2).summary(1),
            "Layer 1 · tanh: outputs from -0.500 to 0.500."
        );
    }

    #[test]
    fn unit_maps_are_the_columns_of_a_layers_output() {
        // 4 grid cells (size 2) × 3 units: unit u's value at cell i is 10·i + u
        let outputs: Vec<f32> = (0..4).flat_map(|i| (0..3).map(move |u| (10 * i + u) as f32)).collect();
        let layer = UnitLayer::from_outputs("tanh", &outputs, 2, 3);
        assert_eq!(layer.maps, [vec![0.0, 10.0, 20.0, 30.0], vec![1.0, 11.0, 21.0, 31.0], vec![2.0, 12.0, 22.0, 32.0]]);
        // a wide layer shows its first UNIT_MAPS_PER_LAYER units and keeps its width
        let wide = UnitLayer::from_outputs("relu", &vec![0.0; 4 * 40], 2, 40);
        assert_eq!((wide.width, wide.maps.len()), (40, UNIT_MAPS_PER_LAYER));
    }

    #[test]
    fn a_borrowed_checkpoint_is_the_same_message() {
        let experiment = Experiment::defaults_for("spiral");
        let bytes = vec![1u8, 2, 250];
        let owned =
            FromWorker::Checkpoint { experiment: experiment.clone(), epoch: 7, bytes: Bytes::from(bytes.clone()) };
        let borrowed = CheckpointRef::new(&experiment, 7, &bytes);
        assert_eq!(serde_json::to_value(&borrowed).unwrap(), serde_json::to_value(&owned).unwrap());
        let back: FromWorker = serde_json::from_value(serde_json::to_value(&borrowed).unwrap()).unwrap();
        assert_eq!(back, owned);
    }

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
                    inputs: crate::experiment::plain_inputs(),
                },
                layers: vec![
                    HiddenLayer::new(8, ActivationName::Tanh, 0.25),
                    HiddenLayer::new(8, ActivationName::Tanh, 0.25),
                ],
                optimizer: OptimizerName::Adam,
                hyper: vec![("beta2".into(), 0.98), ("eps".into(), 1e-6)],
                lr: 0.03,
                batch: 10,
                epochs: 100,
                seed: 1,
                backend: BackendChoice::Gpu,
                normalise: webgrad_data::ScalingKind::MinMax,
                weight_decay: Some(0.05),
                l1: 0.0,
                l2: 1e-4,
                schedule: SchedulePreset::Cosine,
            },
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<ToWorker>(&json).unwrap(), m);
        let ToWorker::Reset { experiment } = m else { unreachable!() };
        assert_eq!(Experiment::from_query(&experiment.to_query()).unwrap(), experiment);
    }
}
