//! Requests on the current model: drill into a confusion cell, classify a drawing, export,
//! import.

use super::*;
use webgrad_nn::torch_project::{self, ProjectData, TrainingSettings};

impl TrainerState {
    /// The examples behind one confusion-matrix cell: images as a gallery, rows as a table.
    pub(super) fn show_cell(&self, truth: u32, predicted: u32, post: &Post) {
        let (Some(ev), Some(data)) = (&self.last_eval, &self.data) else { return };
        let Targets::Classes { names, .. } = &data.test.targets else { return };
        let name = |c: u32| names.get(c as usize).cloned().unwrap_or_else(|| c.to_string());
        let rows = cell_rows(&data.test, ev, (truth, predicted));
        let title = format!("True {}, predicted {} ({} examples)", name(truth), name(predicted), rows.len());
        if let Some(items) = gallery(data.raw_test(), ev, Some((truth, predicted))) {
            return post(FromWorker::Gallery { title, items });
        }
        // the features' names in the layout the rows are in now: a table laid out as an
        // imported model's columns is no longer in its file's (the preview's) order
        let laid_out = data.table.columns.as_ref().map(|c| c.iter().flat_map(|c| c.feature_names()).collect::<Vec<_>>());
        let mut columns: Vec<String> = match (laid_out, &data.preview) {
            (Some(names), _) if names.len() == data.test.d => names,
            (_, Some(p)) => p.columns[..p.columns.len() - 1].to_vec(),
            _ => (1..=data.test.d).map(|c| format!("x{c}")).collect(),
        };
        columns.push("label".into());
        let rows = rows
            .iter()
            .take(50)
            .map(|&i| data.raw_test().row(i).iter().map(|v| format!("{v}")).chain([name(truth)]).collect())
            .collect();
        post(FromWorker::CellRows { title, preview: Preview { columns, rows } });
    }

    /// Sets linear layer `layer`'s weight[to, from] (see `ToWorker::SetWeight`), then sends the
    /// diagram and the pictures of the changed model. A weight that does not exist or is not a
    /// finite number is refused with a message; the model is unchanged.
    pub(super) async fn set_weight(&mut self, (layer, to, from): (usize, usize, usize), value: f32, post: &Post) {
        let (Some(t), Some(data)) = (&self.trainer, &self.data) else { return };
        let refuse = |why: String| post(FromWorker::Error { message: format!("could not set the weight: {why}") });
        let Some(linear) = t.model.layers.get(layer) else {
            return refuse(format!("the model has {} linear layers, not {}", t.model.layers.len(), layer + 1));
        };
        let &[outs, ins] = linear.weight.shape() else { return refuse("a weight is not a matrix".into()) };
        if to >= outs || from >= ins {
            return refuse(format!("linear layer {} is {outs} × {ins}; there is no weight [{to}, {from}]", layer + 1));
        }
        if !value.is_finite() {
            return refuse(format!("{value} is not a finite number"));
        }
        let mut weights = match linear.weight.to_vec().await {
            Ok(w) => w,
            Err(e) => return refuse(e.to_string()),
        };
        weights[to * ins + from] = value;
        if let Err(e) = linear.weight.assign(&weights) {
            return refuse(e.to_string());
        }
        if let Some(h) = self.health.as_mut() {
            h.forget();
        }
        at_rest(&t.model, t.optimizer.step, t.cursor.epoch, data, post).await;
        if let Some(w) = diagram_weights(&t.model, true).await {
            post(w);
        }
    }

    /// Checks the current model's gradients on the next batch (`Trainer::check_gradients`),
    /// 32 weights per layer; the batch position and the weights stay as they were.
    pub(super) async fn grad_check(&mut self, eps: f32, post: &Post) {
        self.grad_check_tampered(eps, post, |_, _| ()).await
    }

    /// [`Self::grad_check`] with the analytic gradients passed through `tamper` (parameter index,
    /// its gradient): the page's check of a wrong backward pass, in the tests.
    pub(super) async fn grad_check_tampered(&mut self, eps: f32, post: &Post, tamper: impl Fn(usize, &mut [f32])) {
        let (Some(t), Some(data)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            return post(FromWorker::Error { message: "choose a dataset and a model first (Reset)".into() });
        };
        let step = t.optimizer.step;
        match t.check_gradients_tampered(&data.train, eps, 32, step, tamper).await {
            Ok(c) => post(FromWorker::GradCheck(c)),
            Err(e) => post(FromWorker::Error { message: format!("the gradient check failed: {e}") }),
        }
    }

    /// One step, inspected (`webgrad_nn::inspect`): what it starts from is read, the step made
    /// as a Step is (monitored, its loss and pictures posted), and what it did read back.
    pub(super) async fn inspect_step(&mut self, layer: usize, unit: usize, post: &Post) {
        let (Some(t), Some(data)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            return post(FromWorker::Error { message: "choose a dataset and a model first (Reset)".into() });
        };
        let before = match t.inspect_before(&data.train, layer, unit).await {
            Ok(b) => b,
            Err(e) => return post(FromWorker::Error { message: format!("could not inspect the step: {e}") }),
        };
        self.set_running(false, post);
        self.train(f64::INFINITY, true, post).await;
        let Some(t) = self.trainer.as_ref() else { return };
        match before.finish(t).await {
            Ok(s) => post(FromWorker::Inspection(s)),
            // no step was made (the last epoch is done, or it failed and said why)
            Err(_) => post(FromWorker::Error {
                message: "no step was made to inspect: raise Epochs (or Reset) to train further".into(),
            }),
        }
    }

    /// A race lane's weights after its epoch (`FromWorker::LaneWeights`), small models only.
    pub(super) async fn post_lane_weights(&self) {
        let Some(t) = &self.trainer else { return };
        if t.model.config.parameter_count() > LANE_WEIGHTS {
            return;
        }
        let mut weights = Vec::with_capacity(t.model.config.parameter_count());
        for p in t.model.parameters() {
            match p.to_vec().await {
                Ok(v) => weights.extend(v),
                Err(_) => return,
            }
        }
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        if let Ok(v) = serde_wasm_bindgen::to_value(&FromWorker::LaneWeights { epoch: t.cursor.epoch, weights }) {
            let _ = scope.post_message(&v);
        }
    }

    /// Adds a training point (see `Loaded::add_point`), then tells the page and redraws the
    /// plane (the boundary's extent covers the new point).
    pub(super) async fn add_point(&mut self, x: f32, y: f32, target: f32, post: &Post) {
        let Some(data) = self.data.as_mut() else { return };
        match data.add_point(x, y, target) {
            Ok(point) => post(FromWorker::PointAdded { point, train_rows: data.train.n }),
            Err(message) => return post(FromWorker::Error { message: format!("could not add the point: {message}") }),
        }
        if let Some(h) = self.health.as_mut() {
            h.forget();
        }
        if let (Some(t), Some(data)) = (&self.trainer, &self.data) {
            at_rest(&t.model, t.optimizer.step, t.cursor.epoch, data, post).await;
        }
    }

    /// Classifies a drawing with the current model (MNIST-style preprocessing of the ink).
    pub(super) async fn predict(&self, ink: &[u8], width: usize, height: usize, post: &Post) {
        let (Some(t), Some(data)) = (&self.trainer, &self.data) else { return };
        if data.train.image_shape != Some((28, 28)) || ink.len() != width * height {
            return post(FromWorker::Error { message: "drawing works with 28×28 image data such as MNIST".into() });
        }
        let Some(mut pixels) = webgrad_data::drawing::mnist_from_drawing(ink, width, height) else {
            return post(FromWorker::Prediction { probabilities: Vec::new() });
        };
        data.normalise_row(&mut pixels);
        let logits =
            no_grad(|| Tensor::from_slice(t.model.device(), &pixels, &[1, 784]).map(|x| t.model.forward(&x, false, 0)));
        let Ok(logits) = logits else { return };
        match logits.to_vec().await {
            Ok(z) => {
                let names = data.train.targets.class_names().to_vec();
                let probabilities = probabilities(&z)
                    .into_iter()
                    .enumerate()
                    .map(|(c, p)| (names.get(c).cloned().unwrap_or_else(|| c.to_string()), p))
                    .collect();
                post(FromWorker::Prediction { probabilities })
            }
            Err(e) => post(FromWorker::Error { message: e.to_string() }),
        }
    }

    pub(super) async fn export(&self, post: &Post) {
        let (Some(t), Some(data)) = (&self.trainer, &self.data) else {
            return post(FromWorker::Error { message: "there is no model to export yet".into() });
        };
        let names = data.train.targets.class_names().to_vec();
        let file = ModelFile::new(&t.model.config, names, data.preprocessing(), &dataset_name(&data.choice));
        match io::save_weights(&t.model, &file).await {
            Ok(bytes) => post(FromWorker::Exported { safetensors: Bytes::from(bytes), json: file.to_json() }),
            Err(e) => post(FromWorker::Error { message: format!("export failed: {e}") }),
        }
    }

    /// The run as a PyTorch project, zipped: a checkpoint (weights, optimizer state, schedule
    /// position), `train.py` with this run's settings, and the data — MNIST's IDX files, or the
    /// splits exactly as the model trains on them.
    pub(super) async fn export_torch(&self, post: &Post) {
        let (Some(t), Some(data)) = (&self.trainer, &self.data) else {
            return post(FromWorker::Error { message: "there is no model to export yet".into() });
        };
        let dataset = dataset_name(&data.choice);
        let names = data.train.targets.class_names().to_vec();
        let file = ModelFile::new(&t.model.config, names, data.preprocessing(), &dataset);
        let failed = |e: String| post(FromWorker::Error { message: format!("export as a PyTorch project failed: {e}") });
        let weights = match webgrad_nn::checkpoint::save(t, &file).await {
            Ok(bytes) => bytes,
            Err(e) => return failed(e.to_string()),
        };
        let project_data = if matches!(data.choice, DataChoice::Mnist) {
            let mut files = Vec::with_capacity(4);
            for name in MNIST_FILES {
                match super::data::fetch_bytes(&format!("assets/mnist/{name}")).await {
                    Ok(bytes) => files.push((name.to_string(), bytes)),
                    Err(e) => return failed(e),
                }
            }
            let Ok(files) = <[(String, Vec<u8>); 4]>::try_from(files) else { return failed("MNIST files".into()) };
            ProjectData::Idx { files }
        } else {
            let standardized = data.target_standardizer().is_some();
            let label = match &data.choice {
                DataChoice::Url { label, .. } | DataChoice::File { label, .. } => label.clone(),
                _ => None,
            };
            ProjectData::Splits { train: &data.train, test: &data.test, train_targets_standardized: standardized, label }
        };
        let settings = TrainingSettings::of(t);
        let folder = torch_project::folder_name(&dataset);
        let zipped = torch_project::files(&file, weights, &settings, &project_data)
            .and_then(|files| torch_project::zip(&files, &folder));
        match zipped {
            Ok(zip) => post(FromWorker::ExportedTorch { zip: Bytes::from(zip), name: format!("{folder}.zip") }),
            Err(e) => failed(e.to_string()),
        }
    }

    /// Loads a model file in place of the current model; the data and the old model stay if
    /// the file is bad or does not fit the data. A table whose columns the model records in
    /// another layout is read in the model's first (`Loaded::conformed`), and comes back as it
    /// was if the import fails.
    pub(super) async fn import(&mut self, name: &str, bytes: &[u8], post: &Post) {
        self.set_running(false, post);
        let columns = io::embedded_model_file(bytes, name).ok().flatten().and_then(|f| f.preprocessing.columns);
        let laid_out = match (columns, self.data.as_ref()) {
            (Some(want), Some(data)) => match data.conformed(&want) {
                Ok(laid_out) => laid_out,
                Err(why) => return post(FromWorker::Error { message: format!("{name}: {why}") }),
            },
            _ => None,
        };
        let (before, layout_note) = match laid_out {
            Some((data, note)) => (self.data.replace(data), Some(note)),
            None => (None, None),
        };
        if let Err(message) = self.import_model(name, bytes, layout_note, post).await {
            if before.is_some() {
                self.data = before;
            }
            post(FromWorker::Error { message });
        }
    }

    /// `import` once the data is in the model's layout; `layout_note` says how it was laid out.
    async fn import_model(&mut self, name: &str, bytes: &[u8], layout_note: Option<String>, post: &Post) -> Result<(), String> {
        let (Some(data), Some(e)) = (self.data.as_mut(), self.experiment.as_ref()) else {
            return Err("load a dataset before importing a model".into());
        };
        // before the weights are read: on a GPU, every buffer of the described model must fit
        // one of its buffers; and, as a Reset's model, it must train within the memory budget
        // (the page goes on training what it imports)
        if let Ok(Some(file)) = io::embedded_model_file(bytes, name) {
            let fits = file.model.check_device(&self.device, e.batch);
            if let Err(why) = fits.and_then(|()| check_trainable(&file.model, e, &data.train)) {
                return Err(format!("{name}: {why}"));
            }
        }
        let (model, file) = match io::load_model(&self.device, bytes, None, name) {
            Ok(m) => m,
            Err(err) => return Err(err.to_string()),
        };
        if let Err(why) = data.check_model_file(&file) {
            return Err(format!("{name}: {why}"));
        }
        if let Err(err) = webgrad_nn::train::check_fit(&model, &data.train) {
            return Err(format!("{name}: {err}"));
        }
        // the model sees the data filled and scaled with the values and statistics it was
        // trained with; on an error the old model stays, with the data as before
        let (before, fills_before) = (data.scalings(), data.fills());
        let adopted =
            data.adopt_fills(file.preprocessing.fill_missing.as_deref()).and_then(|()| data.adopt_scalings(&file.preprocessing));
        if let Err(why) = adopted {
            let _ = data.adopt_fills(fills_before.as_deref());
            return Err(format!("{name}: {why}"));
        }
        let loss = Loss::for_head(&model.config.head);
        let evaluated = match (
            evaluate(&model, &data.train, loss).await,
            evaluate_scaled(&model, &data.test, loss, data.target_standardizer()).await,
        ) {
            (Ok(a), Ok(b)) => make_trainer(model, e, data.train.n).map(|t| (t, a, b)),
            (Err(err), _) | (_, Err(err)) => Err(err.to_string()),
        };
        let (t, train_ev, test_ev) = match evaluated {
            Ok(done) => done,
            Err(message) => {
                let _ = data.rescale(before);
                let _ = data.adopt_fills(fills_before.as_deref());
                return Err(message);
            }
        };
        let model = &t.model;
        at_rest(model, 0, 0, data, post).await;
        let layers: Vec<HiddenLayer> =
            model.config.hidden.iter().map(|l| HiddenLayer::new(l.width, l.activation, l.dropout)).collect();
        post(FromWorker::Imported {
            name: name.into(),
            model: model.config.torch_expression(),
            layers: layers.clone(),
            note: [layout_note, import_note(&file, data, fills_before.as_deref())].into_iter().flatten().reduce(|a, b| format!("{a}; {b}")),
            summary: summary(data),
        });
        post(FromWorker::Epoch {
            epoch: 0,
            train_loss: train_ev.loss,
            test_loss: test_ev.loss,
            train_score: Some(score(&train_ev.report)),
            train_running: false,
            test_score: score(&test_ev.report),
            report: test_ev.report.clone(),
        });
        if let Some(fit) = fit_points(&data.test, &test_ev) {
            post(fit);
        }
        if let Some(items) = gallery(data.raw_test(), &test_ev, None) {
            post(FromWorker::Gallery { title: "Test images, mistakes first".into(), items });
        }
        self.last_eval = Some(test_ev);
        // what a replacement worker or a reload continues from, not the model before: the
        // experiment takes its layers (as the page's form does), and it is checkpointed now
        if let Some(e) = self.experiment.as_mut() {
            e.layers = layers;
        }
        // on the GPU, the imported weights are what the CPU would continue from
        self.install(t).await;
        self.after_epoch().await;
        Ok(())
    }
}

/// What the page says about an imported model's reading of the data: classes read by index,
/// and missing cells filled with the model's values rather than this data's own means.
fn import_note(file: &ModelFile, data: &Loaded, fills_before: Option<&[f32]>) -> Option<String> {
    let classes = webgrad_data::classes_by_index_note(&file.class_names, data.train.targets.class_names());
    let fills = (data.fills().as_deref() != fills_before && file.preprocessing.fill_missing.is_some())
        .then(|| "missing cells hold the values it was trained with, its training rows' means".to_string());
    match (classes, fills) {
        (Some(c), Some(f)) => Some(format!("{c}; {f}")),
        (c, f) => c.or(f),
    }
}
