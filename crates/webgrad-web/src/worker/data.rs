//! Where the worker's data comes from: the bundled MNIST, the 2-D generators, a URL or picked
//! files, each streamed through the incremental parsers, and what the page is told about it.

use super::*;
use webgrad_data::{InputFeature, RowTarget, Scaling, Standardizer, TargetScaling};

use super::fills::Gaps;
use crate::data_loader::{FromFile, MissingCells};
use crate::experiment::plain_inputs;

/// What the worker fits on the training split as loaded: the feature normalisation and whether
/// regression targets are standardised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Normalisation {
    pub features: ScalingKind,
    pub targets: TargetScaling,
}

impl Normalisation {
    /// The experiment's feature normalisation; regression targets standardised (the page has no
    /// control for that yet, so always `TargetScaling::default()`).
    pub fn of(e: &Experiment) -> Normalisation {
        Normalisation { features: e.normalise, targets: TargetScaling::default() }
    }
}

/// The target scaling a checkpoint's model was trained with: standardised when its description
/// records target statistics, else none (a classifier, or a model saved before target scaling
/// existed). A checkpoint without a readable description gets the default (and fails later).
pub(super) fn saved_target_scaling(bytes: &[u8]) -> TargetScaling {
    match io::embedded_model_file(bytes, "the checkpoint") {
        Ok(Some(file)) if file.preprocessing.target_standardize.is_none() => TargetScaling::None,
        _ => TargetScaling::default(),
    }
}

/// The data the worker trains on. `train` / `test` are normalised as the experiment asks;
/// while a normalisation is applied, `normalised` keeps it (fitted on the training split as
/// loaded) with the splits as loaded, so another choice starts from the originals and pictures
/// of rows show the original values. While regression targets are standardised,
/// `targets_scaled` keeps the statistics (fitted on the training split) and that split's
/// targets as loaded: `train`, and the training split kept in `normalised`, then hold the
/// standardised targets the model trains on, while `test` keeps the targets' own units (it is
/// evaluated with `evaluate_scaled`, which maps the predictions back).
pub(super) struct Loaded {
    pub choice: DataChoice,
    pub train: Dataset,
    pub test: Dataset,
    pub preview: Option<Preview>,
    pub normalised: Option<(Scaling, Dataset, Dataset)>,
    pub targets_scaled: Option<(Standardizer, Targets)>,
    /// 2-D data: the points as loaded, which the plane shows; `train` / `test` then hold the
    /// model's inputs, `plane.inputs` of each point (normalised as asked).
    pub plane: Option<Plane>,
    /// A table's feature columns and fill values, or 8-bit IDX pixels' scale, recorded with a
    /// model (see `data_loader::FromFile::table`); the default for other data.
    pub table: Preprocessing,
    /// What became of a table's missing cells (`FromFile::missing_cells`).
    pub missing_cells: Option<MissingCells>,
    /// A table's filled cells: where they are and the page's own fill values (`fills.rs`).
    pub gaps: Gaps,
}

/// The statistics `Loaded` scales its splits as loaded with: `features` both splits' inputs,
/// `targets` the training split's regression targets.
pub(super) struct Scalings {
    features: Scaling,
    targets: Option<Standardizer>,
}

/// A 2-D set's points `[n, 2]` as loaded (targets as loaded) and the features of each point the
/// model sees.
pub(super) struct Plane {
    pub train: Dataset,
    pub test: Dataset,
    pub inputs: Vec<InputFeature>,
}

impl Loaded {
    /// Data as loaded; 2-D data is also a plane whose model sees each point as it is.
    fn new(choice: DataChoice, train: Dataset, test: Dataset) -> Loaded {
        let (table, gaps) = (Preprocessing::default(), [Vec::new(), Vec::new()]);
        Loaded::from_file(choice, FromFile { train, test, preview: None, table, missing_cells: None, gaps })
    }

    pub(super) fn from_file(choice: DataChoice, f: FromFile) -> Loaded {
        let FromFile { train, test, preview, table, missing_cells, gaps } = f;
        let plane = (train.d == 2).then(|| Plane { train: train.clone(), test: test.clone(), inputs: plain_inputs() });
        let gaps = Gaps::new(gaps, table.fill_missing.clone());
        let (normalised, targets_scaled) = (None, None);
        Loaded { choice, train, test, preview, normalised, targets_scaled, plane, table, missing_cells, gaps }
    }

    /// 2-D points whose model sees `inputs` of each point.
    fn with_inputs(choice: DataChoice, train: Dataset, test: Dataset, inputs: &[InputFeature]) -> Result<Loaded, String> {
        let expand = |d: &Dataset| webgrad_data::features::expand(d, inputs).map_err(|e| e.to_string());
        let (model_train, model_test) = (expand(&train)?, expand(&test)?);
        let plane = Some(Plane { train, test, inputs: inputs.to_vec() });
        let (table, missing_cells, gaps) = (Preprocessing::default(), None, Gaps::default());
        let (normalised, targets_scaled, preview) = (None, None, None);
        let (train, test) = (model_train, model_test);
        Ok(Loaded { choice, train, test, preview, normalised, targets_scaled, plane, table, missing_cells, gaps })
    }

    /// The model's input row for the plane's point (x, y): its features, normalised as the
    /// training rows are (None for data that is not a plane).
    pub fn plane_input(&self, x: f32, y: f32) -> Option<Vec<f32>> {
        let plane = self.plane.as_ref()?;
        let mut row = webgrad_data::features::expand_points(&[x, y], &plane.inputs);
        self.normalise_row(&mut row);
        Some(row)
    }

    pub fn normalisation(&self) -> Normalisation {
        let features = match self.normalised.as_ref().map(|n| &n.0) {
            None | Some(Scaling::None) => ScalingKind::None,
            Some(Scaling::Standardize(_)) => ScalingKind::Standardize,
            Some(Scaling::MinMax { .. }) => ScalingKind::MinMax,
        };
        let targets = if self.targets_scaled.is_some() { TargetScaling::Standardize } else { TargetScaling::None };
        Normalisation { features, targets }
    }

    /// The statistics the training split's targets are standardised with, if they are.
    pub fn target_standardizer(&self) -> Option<&Standardizer> {
        self.targets_scaled.as_ref().map(|t| &t.0)
    }

    /// Normalises the features and scales the targets as `n` says, each fitted on the training
    /// split as loaded (a model file's statistics adopted on import give way to these). Nothing
    /// changes on error.
    pub fn normalise(&mut self, n: Normalisation) -> Result<(), String> {
        let features = Scaling::fit(n.features, self.normalised.as_ref().map_or(&self.train, |l| &l.1));
        let targets = n.targets.fit(self.targets_scaled.as_ref().map_or(&self.train.targets, |t| &t.1));
        self.rescale(Scalings { features, targets })
    }

    /// Re-normalises both splits as loaded with `scaling`. Nothing changes on error.
    fn scale_features(&mut self, scaling: Scaling) -> Result<(), String> {
        if Some(&scaling) == self.normalised.as_ref().map(|n| &n.0) || scaling == Scaling::None && self.normalised.is_none() {
            return Ok(());
        }
        let (raw_train, raw_test) = match &self.normalised {
            Some((_, train, test)) => (train, test),
            None => (&self.train, &self.test),
        };
        let (mut train, mut test) = (raw_train.clone(), raw_test.clone());
        scaling.apply(&mut train).map_err(|e| e.to_string())?;
        scaling.apply(&mut test).map_err(|e| e.to_string())?;
        let old_train = std::mem::replace(&mut self.train, train);
        let old_test = std::mem::replace(&mut self.test, test);
        self.normalised = match (self.normalised.take(), scaling) {
            (_, Scaling::None) => None,
            (Some((_, raw_train, raw_test)), scaling) => Some((scaling, raw_train, raw_test)),
            (None, scaling) => Some((scaling, old_train, old_test)),
        };
        Ok(())
    }

    /// Standardises the training split's regression targets as loaded with `fitted`, or
    /// restores them (`None`); class labels stay as they are. Nothing changes on error.
    fn standardize_targets(&mut self, fitted: Option<Standardizer>) -> Result<(), String> {
        if fitted.as_ref() == self.target_standardizer() {
            return Ok(());
        }
        let raw = match &self.targets_scaled {
            Some((_, raw)) => raw.clone(),
            None => self.train.targets.clone(),
        };
        let targets = match &fitted {
            Some(s) => s.standardized_targets(&raw, &self.train.name).map_err(|e| e.to_string())?,
            None => raw.clone(),
        };
        if let Some((_, raw_train, _)) = &mut self.normalised {
            raw_train.targets = targets.clone();
        }
        self.train.targets = targets;
        self.targets_scaled = fitted.map(|s| (s, raw));
        Ok(())
    }

    /// Adds one training point to a plane at (x, y), in the data's coordinates, with `target`:
    /// a class id, or a single regression target in its own units. The model's row is the
    /// point's features, normalised as the others. Refused, with nothing changed, for data
    /// that is not a plane and for a target the data cannot hold.
    pub fn add_point(&mut self, x: f32, y: f32, target: f32) -> Result<Point, String> {
        let (Some(plane), Some(row)) = (self.plane.as_ref(), self.plane_input(x, y)) else {
            return Err(format!("points can be added to 2-D data only; this data has {} features", self.train.d));
        };
        let raw_row = webgrad_data::features::expand_points(&[x, y], &plane.inputs);
        // the target as the model trains on it (`z`), and as loaded
        let mut z = [target];
        let (model_target, raw_targets) = match (&self.train.targets, &self.targets_scaled) {
            (Targets::Classes { classes, .. }, _) => {
                if !(target >= 0.0 && target.fract() == 0.0 && (target as usize) < *classes) {
                    return Err(format!("class {target} is not one of the data's {classes} classes"));
                }
                (RowTarget::Class(target as u32), None)
            }
            (Targets::Regression { outputs: 1, .. }, scaled) => {
                let raw = match scaled {
                    Some((s, Targets::Regression { values, outputs })) => {
                        s.apply_row(&mut z);
                        let values = values.iter().copied().chain([target]).collect();
                        Some(Targets::Regression { values, outputs: *outputs })
                    }
                    _ => None,
                };
                (RowTarget::Values(&z), raw)
            }
            (Targets::Regression { outputs, .. }, _) => {
                return Err(format!("points can be added to data with one target; this data has {outputs}"));
            }
        };
        let loaded_target = match model_target {
            RowTarget::Class(c) => RowTarget::Class(c),
            RowTarget::Values(_) => RowTarget::Values(std::slice::from_ref(&target)),
        };
        let err = |e: webgrad_data::DataError| e.to_string();
        let train = self.train.with_row(&row, model_target).map_err(err)?;
        let plane_train = plane.train.with_row(&[x, y], loaded_target).map_err(err)?;
        let normalised_train = match &self.normalised {
            Some((_, raw_train, _)) => Some(raw_train.with_row(&raw_row, model_target).map_err(err)?),
            None => None,
        };
        self.train = train;
        if let Some(p) = self.plane.as_mut() {
            p.train = plane_train;
        }
        if let (Some((_, raw_train, _)), Some(t)) = (self.normalised.as_mut(), normalised_train) {
            *raw_train = t;
        }
        if let (Some((_, raw)), Some(targets)) = (&mut self.targets_scaled, raw_targets) {
            *raw = targets;
        }
        let class = if let RowTarget::Class(c) = model_target { c } else { 0 };
        Ok(Point { x, y, class, test: false })
    }

    /// The test split with its values as loaded (for pictures and tables of its rows).
    pub fn raw_test(&self) -> &Dataset {
        self.normalised.as_ref().map_or(&self.test, |n| &n.2)
    }

    /// Scales one new row (e.g. a drawing) the way the training rows were.
    pub fn normalise_row(&self, row: &mut [f32]) {
        if let Some((scaling, ..)) = &self.normalised {
            scaling.apply_row(row);
        }
    }

    /// How the data was preprocessed, recorded in exported models and checkpoints: a plane's
    /// input features of each point, MNIST's pixels / 255, then the normalisation (as
    /// `(x - mean) / std`), and the target standardisation the model's outputs are mapped back
    /// with.
    pub fn preprocessing(&self) -> Preprocessing {
        let input_features = self.plane.as_ref().map(|p| p.inputs.iter().map(|f| f.name().to_string()).collect());
        let scale = matches!(self.choice, DataChoice::Mnist).then_some(1.0 / 255.0).or(self.table.scale);
        let standardize = self.normalised.as_ref().and_then(|n| n.0.as_standardizer());
        let target_standardize = self.target_standardizer().cloned();
        Preprocessing { input_features, scale, standardize, target_standardize, ..self.table.clone() }
    }

    /// The feature scaling and target standardisation in force, to go back to with `rescale`.
    pub fn scalings(&self) -> Scalings {
        let features = self.normalised.as_ref().map_or(Scaling::None, |n| n.0.clone());
        Scalings { features, targets: self.target_standardizer().cloned() }
    }

    /// Scales the splits as loaded with `s`: both splits' features, the training split's
    /// targets. Nothing changes on error.
    pub fn rescale(&mut self, s: Scalings) -> Result<(), String> {
        let before = self.scalings().features;
        self.scale_features(s.features)?;
        if let Err(e) = self.standardize_targets(s.targets) {
            let _ = self.scale_features(before);
            return Err(e);
        }
        Ok(())
    }

    /// Scales the data with the statistics a model file was trained with (its inputs'
    /// standardisation, which a min–max is recorded as, and its targets'), where this data's
    /// were fitted on another split or file: the model then sees its inputs as in training,
    /// and its predictions map back to the targets' units as it learnt them. Refused, with
    /// nothing changed, where the file's inputs were scaled otherwise than this data's: normalised
    /// or not (as the page's normalisation is chosen), or a recorded factor (MNIST's 1/255) that
    /// is not this data's.
    pub fn adopt_scalings(&mut self, file: &Preprocessing) -> Result<(), String> {
        let ours = self.preprocessing().scale;
        if let Some(theirs) = file.scale.filter(|&s| Some(s) != ours) {
            let ours = ours.map_or("are not".to_string(), |s| format!("are scaled by {s}"));
            return Err(format!("the model's inputs were scaled by {theirs} but this data's {ours}"));
        }
        let features = match (&file.standardize, self.normalisation().features) {
            (None, ScalingKind::None) => Scaling::None,
            (Some(_), ScalingKind::None) => {
                return Err("the model was trained on normalised inputs but this data is not normalised; \
                     choose Standardise or Min–max first (the model's own statistics are then used)"
                    .into());
            }
            (None, _) => {
                return Err("the model was trained on inputs as loaded but this data is normalised; \
                     choose Normalisation: None first"
                    .into());
            }
            (Some(stats), _) => {
                stats.check(self.train.d, "the model's input standardisation")?;
                Scaling::Standardize(stats.clone())
            }
        };
        self.rescale(Scalings { features, targets: file.target_standardize.clone() })
    }

    /// Errors unless a model file fits this data as loaded: its classes are the data's at the
    /// same indices (`class_difference`: a model of cat, dog, fish must not read a table's
    /// cat, fish as cat, dog), and its input features and table columns are the data's.
    pub fn check_model_file(&self, file: &ModelFile) -> Result<(), String> {
        if let Targets::Classes { names, .. } = &self.train.targets
            && let Some(why) = webgrad_data::class_difference(&file.class_names, names)
        {
            return Err(format!("{why}; load data with the model's classes"));
        }
        self.check_input_features(&file.preprocessing)
    }

    /// Errors unless a model file's input features are this data's (a plane's model with x1²
    /// must not read x2 in that place): files without them fit data whose own features they
    /// take, a plane's default x1, x2 included.
    /// A table's model must also have been trained on this table's columns and categories.
    fn check_input_features(&self, file: &Preprocessing) -> Result<(), String> {
        if let (Some(theirs), Some(ours)) = (&file.columns, &self.table.columns)
            && let Some(why) = webgrad_data::layout_difference(theirs, ours)
        {
            return Err(format!("{why}; load a table of the model's columns"));
        }
        let ours: Vec<String> = match &self.plane {
            Some(p) => p.inputs.iter().map(|f| f.name().to_string()).collect(),
            None => Vec::new(),
        };
        let plain = ours.is_empty() || ours == ["x1", "x2"];
        match &file.input_features {
            Some(theirs) if *theirs != ours => Err(format!(
                "the model takes the input features {} but the data gives {}; choose those inputs first",
                theirs.join(", "),
                if ours.is_empty() { "its own features".to_string() } else { ours.join(", ") }
            )),
            None if !plain => Err(format!(
                "the model takes the data's own features but the inputs chosen are {}; choose x1 and x2 only",
                ours.join(", ")
            )),
            _ => Ok(()),
        }
    }
}

/// Parses picked or dropped files into splits.
pub(super) async fn load_files(
    files: &[(String, web_sys::Blob)],
    e: &Experiment,
    post: &Post,
    cancel: &Cancel,
) -> Result<Loaded, String> {
    let (label, missing) = match &e.data {
        DataChoice::File { label, missing, .. } => (label.clone(), *missing),
        _ => (None, MissingPolicy::default()),
    };
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let name = names.join(" + ");
    let mut parts = Vec::new();
    for source in data_loader::sources(files)? {
        let src = source.name.clone();
        let options = data_loader::csv_options(&label, missing);
        let parsed = data_loader::parse_source(source, options, progress_poster(&src, post), || cancel.get()).await?;
        parts.push((src, parsed));
    }
    let f = data_loader::to_splits(&name, parts, e.seed)?;
    Ok(Loaded::from_file(DataChoice::File { name, label, missing }, f))
}

pub(super) async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let resp =
        wasm_bindgen_futures::JsFuture::from(scope.fetch_with_str(url)).await.map_err(|e| format!("{url}: {e:?}"))?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let buf = wasm_bindgen_futures::JsFuture::from(resp.array_buffer().map_err(|e| format!("{url}: {e:?}"))?)
        .await
        .map_err(|e| format!("{url}: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

pub(super) async fn load(choice: &DataChoice, seed: u64, post: &Post, cancel: &Cancel) -> Result<Loaded, String> {
    let (train, test) = match choice {
        DataChoice::Mnist => {
            let mut files = Vec::new();
            for f in MNIST_FILES {
                files.push(fetch_bytes(&format!("assets/mnist/{f}")).await?);
            }
            webgrad_data::load_mnist_bytes(&files[0], &files[1], &files[2], &files[3]).map_err(|e| e.to_string())?
        }
        DataChoice::Iris => {
            let table = webgrad_data::Parsed::Table(webgrad_data::tabular::iris().map_err(|e| e.to_string())?);
            let f = data_loader::to_splits("iris", vec![("iris".into(), table)], seed)?;
            return Ok(Loaded::from_file(choice.clone(), f));
        }
        DataChoice::Synthetic { name, samples, noise, test_fraction, seed, inputs } => {
            let all = synthetic::by_name(name, *samples, *noise, *seed).map_err(|e| e.to_string())?;
            let (train, test) = train_test_split(&all, *test_fraction, *seed).map_err(|e| e.to_string())?;
            return Loaded::with_inputs(choice.clone(), train, test, inputs);
        }
        DataChoice::Url { url, label, missing } => {
            if url.trim().is_empty() {
                return Err("enter the URL of a CSV/TSV file".into());
            }
            let source = ByteSource::fetch(url).await?;
            let options = data_loader::csv_options(label, *missing);
            let parsed = data_loader::parse_source(source, options, progress_poster(url, post), || cancel.get()).await?;
            let f = data_loader::to_splits(url, vec![(url.clone(), parsed)], seed)?;
            return Ok(Loaded::from_file(choice.clone(), f));
        }
        DataChoice::File { name, .. } => {
            return Err(format!("{name} is no longer loaded (a reload forgets local files): choose it again"));
        }
    };
    Ok(Loaded::new(choice.clone(), train, test))
}

pub(super) fn summary(loaded: &Loaded) -> DataSummary {
    let (train, test) = (&loaded.train, &loaded.test);
    let mut points = Vec::new();
    if let Some(plane) = &loaded.plane {
        for (ds, is_test) in [(&plane.train, false), (&plane.test, true)] {
            for i in 0..ds.n {
                let class = ds.labels().map_or(0, |l| l[i]);
                points.push(Point { x: ds.row(i)[0], y: ds.row(i)[1], class, test: is_test });
            }
        }
    }
    DataSummary {
        name: train.name.trim_end_matches("-train").to_string(),
        train_rows: train.n,
        test_rows: test.n,
        features: train.d,
        class_names: train.targets.class_names().to_vec(),
        points,
        plane: loaded.plane.is_some(),
        inputs: loaded.plane.iter().flat_map(|p| p.inputs.iter().map(|f| f.label().to_string())).collect(),
        preview: loaded.preview.clone(),
        image_shape: train.image_shape,
        head: webgrad_nn::Head::for_targets(&train.targets),
        missing_cells: loaded.missing_cells_sentence(),
    }
}

pub(super) fn dataset_name(choice: &DataChoice) -> String {
    match choice {
        DataChoice::Mnist => "mnist".into(),
        DataChoice::Iris => "iris".into(),
        DataChoice::Synthetic { name, .. } | DataChoice::File { name, .. } => name.clone(),
        DataChoice::Url { url, .. } => url.clone(),
    }
}
