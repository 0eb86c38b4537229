//! The wasm-bindgen surface: `Mlp` with `fit`, `evaluate`, `predict`, `exportSafetensors` and
//! `load`, and the TypeScript interfaces of its plain objects. A model's state sits behind an
//! `Rc<RefCell>` so each promise owns what it needs; a call while `fit` runs is refused ("busy").

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Float32Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use webgrad_core::{Device, Tensor, budget, no_grad};
use webgrad_nn::{
    Head, Loss, Mlp as Model, MlpConfig, ModelFile, Optimizer, OptimizerConfig, Preprocessing, Report, Schedule,
    TrainConfig, Trainer, evaluate_scaled, io,
};

use crate::args::{self, Kind};
use crate::spec::{self, FitOptions, ModelSpec};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** `new Mlp(spec)`: give exactly one of `classes` (classification) and `outputs` (regression). */
export interface ModelSpec {
  inputs: number;
  /** hidden layer widths [default: [32, 32]] */
  hidden?: number[];
  activation?: "relu" | "leaky_relu" | "tanh" | "sigmoid" | "gelu" | "identity";
  classes?: number;
  outputs?: number;
  dropout?: number;
  optimizer?: "sgd" | "momentum" | "nesterov" | "adam" | "adamw" | "rmsprop" | "adagrad";
  /** [default: the optimizer's PyTorch default] */
  lr?: number;
  weightDecay?: number;
  /** initial weights and batch order [default: 1] */
  seed?: number;
}
export interface EpochLogs {
  epoch: number;
  /** mean training loss over the epoch */
  loss: number;
  /** classification: the share of the epoch's rows classified correctly as they were stepped on */
  accuracy?: number;
}
export interface FitOptions {
  /** [default: 10] */
  epochs?: number;
  /** [default: 32, or every row where there are fewer] */
  batchSize?: number;
  /** a new batch order every epoch [default: true] */
  shuffle?: boolean;
  /** called after every epoch; throwing from it stops fit (the model keeps its epochs so far) */
  onEpoch?: (epoch: number, logs: EpochLogs) => void;
  /** stops fit when aborted: fit rejects with the signal's reason, and the model keeps the
   * epochs finished before it (fit yields to the event loop at least every 50 ms) */
  signal?: AbortSignal;
}
/** What a model file says to do to the rows before the model sees them (webgrad's page and
 * CLI record it; `predict`, `evaluate` and `fit` apply the input features, scale and
 * standardisation, so give rows as the data had them, text columns one-hot encoded). */
export interface Preprocessing {
  /** CSV tables: the columns the model was trained on, in input order: a number is one input, a
   * text column one 0/1 input per category, in this order (rows give them already encoded) */
  columns?: { name: string; categories?: string[] }[];
  /** CSV tables: the value a missing cell of each input was filled with in training (the
   * training means); `predict`, `evaluate` and `fit` fill a NaN of your rows with it, and
   * refuse NaN where a model has none */
  fill_missing?: number[];
  /** 2-D data: the model's inputs are these features of each point (x1, x2) */
  input_features: string[] | null;
  /** multiplies every input first (MNIST pixels: 1/255) */
  scale: number | null;
  /** then (x - mean) / std per input */
  standardize: { mean: number[]; std: number[] } | null;
  /** regression: outputs are (y - mean) / std per output; predictions are mapped back */
  target_standardize: { mean: number[]; std: number[] } | null;
}
/** Targets: an array of numbers or a typed array of numbers (not BigInt, not a DataView). */
export type Targets = number[] | Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray
  | Int16Array | Uint16Array | Int32Array | Uint32Array;
export interface Evaluation {
  loss: number;
  accuracy?: number;
  mse?: number;
  mae?: number;
  r2?: number;
}
"#;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

struct State {
    /// The model and its optimizer; `None` while `fit` runs (it owns them then).
    parts: Option<(Model, Optimizer)>,
    /// `fit` calls so far: each shuffles with its own seed.
    fits: u64,
    seed: u64,
}

/// A multilayer perceptron that trains in the browser (wasm SIMD, on the calling thread).
#[wasm_bindgen]
pub struct Mlp {
    state: Rc<RefCell<State>>,
    config: MlpConfig,
    /// what the rows go through before the model (identity for a new model; a loaded file's own)
    prep: Rc<Preprocessing>,
    /// a classifier's class names (numbered for a new model)
    class_names: Vec<String>,
}

fn err(message: impl std::fmt::Display) -> JsValue {
    JsError::new(&message.to_string()).into()
}

/// A deserializer's message without the "Error: " its JavaScript error adds.
fn serde_message(e: serde_wasm_bindgen::Error) -> String {
    let text = e.to_string();
    text.strip_prefix("Error: ").map(str::to_string).unwrap_or(text)
}

fn busy() -> JsValue {
    err("the model is busy: a fit or another call is running (await it first)")
}

/// Takes the model and optimizer out of `state` for an asynchronous use (calls meanwhile are
/// told the model is busy; no borrow is held across an await). Give them back with `put_back`.
fn take(state: &RefCell<State>) -> Result<(Model, Optimizer), JsValue> {
    state.borrow_mut().parts.take().ok_or_else(busy)
}

fn put_back(state: &RefCell<State>, parts: (Model, Optimizer)) {
    state.borrow_mut().parts = Some(parts);
}

fn device() -> Device {
    webgrad_core::cpu()
}

fn loss_of(config: &MlpConfig) -> Loss {
    Loss::for_head(&config.head)
}

const SPEC_KINDS: [(&str, Kind); 10] = [
    ("inputs", Kind::Count),
    ("hidden", Kind::Counts),
    ("activation", Kind::Text),
    ("classes", Kind::Count),
    ("outputs", Kind::Count),
    ("dropout", Kind::Number),
    ("optimizer", Kind::Text),
    ("lr", Kind::Number),
    ("weightDecay", Kind::Number),
    ("seed", Kind::Seed),
];
const FIT_KINDS: [(&str, Kind); 5] = [
    ("epochs", Kind::Count),
    ("batchSize", Kind::Count),
    ("shuffle", Kind::Bool),
    ("onEpoch", Kind::Function),
    ("signal", Kind::Signal),
];

/// Lets the page (or the worker's message loop) run between epochs: one message through a
/// `MessageChannel`, which browsers neither clamp (nested `setTimeout`s wait 4 ms) nor throttle
/// in a hidden tab; `setTimeout` where there is none; no wait where neither exists.
async fn yield_to_event_loop() {
    let global = js_sys::global();
    let constructor = |name: &str| Reflect::get(&global, &name.into()).ok().and_then(|c| c.dyn_into::<Function>().ok());
    let mut ports: Option<(JsValue, JsValue)> = None;
    let tick = Promise::new(&mut |resolve, _| {
        let channel = constructor("MessageChannel").and_then(|c| Reflect::construct(&c, &Array::new()).ok());
        let port = |channel: &JsValue, name: &str| Reflect::get(channel, &name.into()).ok();
        if let Some((one, two)) = channel.as_ref().and_then(|c| Some((port(c, "port1")?, port(c, "port2")?))) {
            let posted = Reflect::set(&one, &"onmessage".into(), &resolve).is_ok()
                && Reflect::get(&two, &"postMessage".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok())
                    .is_some_and(|post| post.call1(&two, &JsValue::NULL).is_ok());
            ports = Some((one, two));
            if posted {
                return;
            }
        }
        let timed = constructor("setTimeout").is_some_and(|set| set.call2(&global, &resolve, &0.into()).is_ok());
        if !timed {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(tick).await;
    // an open port keeps Node's event loop alive
    for port in ports.iter().flat_map(|(a, b)| [a, b]) {
        if let Some(close) = Reflect::get(port, &"close".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
            let _ = close.call0(port);
        }
    }
}

#[wasm_bindgen]
impl Mlp {
    /// A model with fresh weights (Glorot-uniform, from `spec.seed`) and its optimizer.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "ModelSpec")] spec: JsValue) -> Result<Mlp, JsValue> {
        if spec.is_undefined() || spec.is_null() {
            return Err(err("new Mlp(spec): give the model, e.g. { inputs: 2, hidden: [16], classes: 2 }"));
        }
        let plain = args::plain(&spec, "spec", &SPEC_KINDS).map_err(err)?;
        let spec: ModelSpec =
            serde_wasm_bindgen::from_value(plain.into()).map_err(|e| err(format!("spec: {}", serde_message(e))))?;
        let (config, optimizer) = spec.build().map_err(err)?;
        crate::memory::check_free("the model", config.parameter_bytes()).map_err(err)?;
        let model = Model::new(&device(), config.clone(), spec.seed).map_err(err)?;
        let optimizer = Optimizer::new(optimizer, Schedule::Constant);
        let state = State { parts: Some((model, optimizer)), fits: 0, seed: spec.seed };
        let class_names = class_names_of(&config, Vec::new());
        Ok(Mlp { state: Rc::new(RefCell::new(state)), config, prep: Rc::default(), class_names })
    }

    /// A model from a safetensors file written by `exportSafetensors` (or webgrad's page or CLI),
    /// with a fresh Adam optimizer. It keeps the file's preprocessing (applied to the rows given
    /// to `predict`, `evaluate` and `fit`) and class names, and exports them again.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: JsValue,
    ) -> Result<Mlp, JsValue> {
        let bytes = args::file_bytes(&bytes, "Mlp.load").map_err(err)?;
        // the weights take about the file's size again
        crate::memory::check_free("the model", bytes.len() as u64).map_err(err)?;
        let (model, file) = io::load_model(&device(), &bytes, None, "model.safetensors").map_err(err)?;
        if file.model.head == Head::Sigmoid {
            // predict, fit and evaluate read a softmax's classes or a linear head's values
            let why = "Mlp.load: the model has a sigmoid head (one logit for two classes), which this package does not train or predict with; export it with a softmax head of 2 classes";
            return Err(err(why.to_string()));
        }
        let optimizer = Optimizer::new(OptimizerConfig::by_name("adam").map_err(err)?, Schedule::Constant);
        let class_names = class_names_of(&file.model, file.class_names);
        let state = State { parts: Some((model, optimizer)), fits: 0, seed: 1 };
        let prep = Rc::new(file.preprocessing);
        Ok(Mlp { state: Rc::new(RefCell::new(state)), config: file.model, prep, class_names })
    }

    /// The equivalent PyTorch module, e.g. `nn.Sequential(nn.Linear(2, 16), nn.Tanh(), …)`.
    #[wasm_bindgen(getter)]
    pub fn torch(&self) -> String {
        self.config.torch_expression()
    }

    #[wasm_bindgen(getter, js_name = parameterCount)]
    pub fn parameter_count(&self) -> usize {
        self.config.parameter_count()
    }

    /// The numbers of one row of `x` (2 — a point's x1, x2 — for a loaded model of 2-D input
    /// features).
    #[wasm_bindgen(getter)]
    pub fn inputs(&self) -> usize {
        spec::raw_width(&self.prep, &self.config)
    }

    /// A classifier's class names, index by index (`["0", "1", …]` for a new model); empty for
    /// a regression.
    #[wasm_bindgen(getter, js_name = classNames)]
    pub fn class_names(&self) -> Vec<String> {
        self.class_names.clone()
    }

    /// The preprocessing the rows go through (a loaded file's; all null for a new model).
    #[wasm_bindgen(getter, unchecked_return_type = "Preprocessing")]
    pub fn preprocessing(&self) -> Result<JsValue, JsValue> {
        use serde::Serialize;
        self.prep.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| err(serde_message(e)))
    }

    /// Trains on rows `x` (`[rows, inputs]`, row-major) with targets `y` (class indices, or
    /// `[rows, outputs]` values); resolves to each epoch's logs. Yields to the event loop after
    /// every epoch, after calling `options.onEpoch`. An epoch whose loss is not finite rejects,
    /// the model back at its weights from before that epoch.
    #[wasm_bindgen(unchecked_return_type = "Promise<EpochLogs[]>")]
    pub fn fit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] x: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Targets")] y: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FitOptions")] options: JsValue,
    ) -> Promise {
        let prepared = (|| {
            let plain = args::plain(&options, "options", &FIT_KINDS)?;
            let on_epoch = Reflect::get(&plain, &"onEpoch".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
            let signal = Reflect::get(&plain, &"signal".into()).ok().filter(|s| !s.is_undefined());
            for key in ["onEpoch", "signal"] {
                let _ = Reflect::delete_property(&plain, &key.into());
            }
            let opts: FitOptions =
                serde_wasm_bindgen::from_value(plain.into()).map_err(|e| format!("options: {}", serde_message(e)))?;
            let data = self.dataset(&x, &y, "fit", true)?;
            let batch = opts.batch(data.n)?;
            Ok::<_, String>((opts, batch, Callbacks { on_epoch, signal }, data))
        })();
        let state = self.state.clone();
        let loss = loss_of(&self.config);
        future_to_promise(async move {
            let (opts, batch, callbacks, data) = prepared.map_err(err)?;
            // aborted before it began: nothing is trained
            callbacks.check_abort()?;
            // what Trainer::new checks, checked before the model leaves the state, so a refused
            // fit keeps the trained weights; and the memory a step takes (a wide layer at a
            // large batch) with the copy kept to go back to, which would abort the module
            if let Some((model, optimizer)) = state.borrow().parts.as_ref() {
                optimizer.config.validate().map_err(err)?;
                let slots = optimizer.config.rule().state_slots();
                model.config.check_training(batch, slots, false, &data).map_err(err)?;
                check_kept_copy(&model.config, batch, slots, &data).map_err(err)?;
            }
            let (model, optimizer) = take(&state)?;
            let seed = {
                let mut s = state.borrow_mut();
                s.fits += 1;
                s.seed.wrapping_add(s.fits)
            };
            let mut config = TrainConfig::new(batch, opts.epochs, seed, loss);
            config.shuffle = opts.shuffle;
            let (model_config, optimizer_config) = (model.config.clone(), optimizer.config.clone());
            let mut trainer = match Trainer::new(model, optimizer, config) {
                Ok(t) => t,
                Err(e) => {
                    // Trainer::new consumed them: a fresh pair keeps the object usable
                    let fresh = Model::new(&device(), model_config, 1).map_err(err)?;
                    put_back(&state, (fresh, Optimizer::new(optimizer_config, Schedule::Constant)));
                    return Err(err(e));
                }
            };
            let result = run_epochs(&mut trainer, &data, opts.epochs, &callbacks).await;
            // the model comes back however fit ended (an error keeps the epochs made)
            put_back(&state, (trainer.model, trainer.optimizer));
            result
        })
    }

    /// Loss and metrics on rows `x` with targets `y` (accuracy, or MSE, MAE and R² in the
    /// targets' units).
    #[wasm_bindgen(unchecked_return_type = "Promise<Evaluation>")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] x: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Targets")] y: JsValue,
    ) -> Promise {
        // targets in their own units: evaluate_scaled standardises each batch's for the loss
        let data = self.dataset(&x, &y, "evaluate", false).and_then(|d| {
            // evaluate keeps every row's outputs
            let outputs = budget::product(&[4, d.n as u64, self.config.head.outputs() as u64]);
            args::copy_fits("evaluate: the outputs", outputs).map(|()| d)
        });
        let (state, loss, prep) = (self.state.clone(), loss_of(&self.config), self.prep.clone());
        future_to_promise(async move {
            let data = data.map_err(err)?;
            let parts = take(&state)?;
            let ev = evaluate_scaled(&parts.0, &data, loss, prep.target_standardize.as_ref()).await;
            put_back(&state, parts);
            let ev = ev.map_err(err)?;
            if !ev.loss.is_finite() {
                return Err(err(format!("evaluate: the loss is {} (the model's outputs are not finite)", ev.loss)));
            }
            let mut fields = vec![("loss", ev.loss)];
            match ev.report {
                Report::Classification(r) => fields.push(("accuracy", r.accuracy)),
                Report::Regression(r) => fields.extend([("mse", r.mse), ("mae", r.mae), ("r2", r.r2)]),
            }
            let out = Object::new();
            for (k, v) in fields {
                Reflect::set(&out, &k.into(), &v.into())?;
            }
            Ok(out.into())
        })
    }

    /// The model's outputs for rows `x`: class probabilities `[rows, classes]` (softmax), or
    /// the predicted values `[rows, outputs]` in the targets' units.
    #[wasm_bindgen(unchecked_return_type = "Promise<Float32Array>")]
    pub fn predict(&self, #[wasm_bindgen(unchecked_param_type = "Float32Array")] x: JsValue) -> Promise {
        let outputs = self.config.head.outputs();
        let x = args::float_rows(&x, "predict")
            .and_then(|raw| model_inputs(&self.prep, &self.config, raw, "predict"))
            .and_then(|x| {
                let bytes = budget::product(&[4, (x.len() / self.config.input.max(1)) as u64, outputs as u64]);
                args::copy_fits("predict: the outputs", bytes).map(|()| x)
            });
        let (state, config, prep) = (self.state.clone(), self.config.clone(), self.prep.clone());
        future_to_promise(async move {
            let x = x.map_err(err)?;
            let parts = take(&state)?;
            let out = predict_rows(&parts.0, &x, config.input).await;
            put_back(&state, parts);
            let mut out = out.map_err(err)?;
            if let Some(i) = out.iter().position(|v| !v.is_finite()) {
                let row = i / outputs.max(1);
                return Err(err(format!("predict: the model's output for row {row} is {} (not finite)", out[i])));
            }
            match config.head {
                Head::Softmax { classes } => spec::softmax_rows(&mut out, classes),
                _ => prep.outputs_to_predictions(&mut out),
            }
            Ok(Float32Array::from(out.as_slice()).into())
        })
    }

    /// The weights as a safetensors file with PyTorch's `nn.Sequential` state_dict names and the
    /// model description embedded (what webgrad's page imports and PyTorch loads), with the
    /// preprocessing and class names the model was loaded with.
    #[wasm_bindgen(js_name = exportSafetensors, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn export_safetensors(&self) -> Promise {
        let state = self.state.clone();
        let file = ModelFile::new(&self.config, self.class_names.clone(), (*self.prep).clone(), "webgrad-js");
        future_to_promise(async move {
            let parts = take(&state)?;
            let bytes = io::save_weights(&parts.0, &file).await;
            put_back(&state, parts);
            let bytes = bytes.map_err(err)?;
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }
}

impl Mlp {
    /// The rows `x` and targets `y` of `what` as a dataset for the model: checked, the
    /// preprocessing applied, and with `scale_targets` a regression's targets standardised as
    /// the model trains on them.
    fn dataset(
        &self,
        x: &JsValue,
        y: &JsValue,
        what: &str,
        scale_targets: bool,
    ) -> Result<webgrad_data::Dataset, String> {
        let raw = args::float_rows(x, what)?;
        let y = args::numbers(y, what)?;
        let x = model_inputs(&self.prep, &self.config, raw, what)?;
        let mut data = spec::dataset(&self.config, x, &y, what)?;
        if let Some(s) = self.prep.target_standardize.as_ref().filter(|_| scale_targets) {
            s.apply_targets(&mut data).map_err(|e| format!("{what}: {e}"))?;
        }
        if let webgrad_data::Targets::Classes { names, .. } = &mut data.targets {
            names.clone_from(&self.class_names);
        }
        Ok(data)
    }
}

/// `spec::model_inputs`, once the model inputs fit beside what is held: they can be wider than
/// the raw rows (up to 7 input features per 2-D point).
fn model_inputs(prep: &Preprocessing, config: &MlpConfig, raw: Vec<f32>, what: &str) -> Result<Vec<f32>, String> {
    let rows = raw.len() / spec::raw_width(prep, config).max(1);
    args::copy_fits(&format!("{what}: the model inputs"), budget::product(&[4, rows as u64, config.input as u64]))?;
    spec::model_inputs(prep, config, raw, what)
}

/// A classifier's class names: `names` (a file's), or numbered where there are none.
fn class_names_of(config: &MlpConfig, names: Vec<String>) -> Vec<String> {
    match config.head {
        Head::Softmax { classes } if names.is_empty() => webgrad_data::numbered_names(classes),
        _ => names,
    }
}

/// The memory of the copy `fit` keeps of the weights and optimizer state (to go back to when an
/// epoch's loss is not finite), on top of what a step needs, against the budget.
fn check_kept_copy(config: &MlpConfig, batch: usize, slots: usize, data: &webgrad_data::Dataset) -> Result<(), String> {
    let kept = budget::product(&[config.parameter_bytes(), 1 + slots as u64]);
    let data_bytes = budget::product(&[4, data.n as u64, data.d as u64]);
    let step = config.training_memory_bytes(batch, slots);
    budget::check(
        "training",
        budget::sum(&[step, kept, data_bytes]),
        &format!(
            " (a step at batch {batch}: {}; the copy kept to go back to: {}; the data: {})",
            budget::format_bytes(step),
            budget::format_bytes(kept),
            budget::format_bytes(data_bytes)
        ),
    )
}

/// The model's raw outputs for `x` (rows of `d` inputs), a batch of `PREDICT_ROWS` rows at a
/// time as `evaluate` goes: one forward pass over all of them would hold rows × width values
/// per layer (10,000 rows through 65,536 units: 2.6 GB).
async fn predict_rows(model: &webgrad_nn::Mlp, x: &[f32], d: usize) -> webgrad_nn::Result<Vec<f32>> {
    const PREDICT_ROWS: usize = 1024;
    let mut out = Vec::new();
    // saturating: on wasm32 a wide row (d ≥ 2²² inputs) would wrap the product to 0
    for rows in x.chunks(PREDICT_ROWS.saturating_mul(d).max(1)) {
        let input = Tensor::from_slice(model.device(), rows, &[rows.len() / d, d])?;
        out.extend(no_grad(|| model.forward(&input, false, 0)).to_vec().await?);
    }
    Ok(out)
}

/// What `fit` calls back: `onEpoch` after each epoch, and the `AbortSignal` it reads at
/// each turn of the event loop.
struct Callbacks {
    on_epoch: Option<Function>,
    signal: Option<JsValue>,
}

impl Callbacks {
    /// `Err(signal.reason)` once the signal is aborted (an "AbortError" where it has none).
    fn check_abort(&self) -> Result<(), JsValue> {
        let Some(signal) = &self.signal else { return Ok(()) };
        if !Reflect::get(signal, &"aborted".into()).is_ok_and(|a| a.is_truthy()) {
            return Ok(());
        }
        let reason = Reflect::get(signal, &"reason".into()).unwrap_or(JsValue::UNDEFINED);
        Err(if reason.is_undefined() { err("fit: aborted".to_string()) } else { reason })
    }
}

/// Longest run of training steps between two turns of the event loop, in ms: the page stays
/// responsive and an abort takes effect within it, even in a long epoch.
const MAX_BUSY_MS: f64 = 50.0;

/// The epochs of `fit`: steps to each epoch's end (a turn of the event loop every
/// [`MAX_BUSY_MS`], and the abort checked), its mean loss read, `onEpoch` called, a turn of
/// the event loop.
async fn run_epochs(
    trainer: &mut Trainer,
    data: &webgrad_data::Dataset,
    epochs: usize,
    callbacks: &Callbacks,
) -> Result<JsValue, JsValue> {
    webgrad_nn::train::check_fit(&trainer.model, data).map_err(err)?;
    let history = js_sys::Array::new();
    let mut busy_since = js_sys::Date::now();
    for epoch in 1..=epochs {
        // the state to go back to if this epoch's loss is not finite or the fit is aborted
        // mid-epoch (one copy at a time: the last epoch's goes at the end of its iteration)
        let before = trainer.snapshot();
        while !trainer.step(data).map_err(err)?.epoch_finished {
            if js_sys::Date::now() - busy_since >= MAX_BUSY_MS {
                yield_to_event_loop().await;
                busy_since = js_sys::Date::now();
                if let Err(reason) = callbacks.check_abort() {
                    // the model keeps whole epochs only
                    return match trainer.restore(&before).await {
                        Ok(()) => Err(reason),
                        Err(e) => Err(err(format!("fit: aborted in epoch {epoch}, whose steps stay: {e}"))),
                    };
                }
            }
        }
        let Some(summary) = trainer.take_loss().wait().await.map_err(err)? else { continue };
        if !summary.mean.is_finite() {
            let back = if trainer.restore(&before).await.is_ok() {
                format!("; the model is back at its weights from before epoch {epoch}")
            } else {
                String::new()
            };
            return Err(err(format!("epoch {epoch}: the loss is {} (try a lower lr){back}", summary.mean)));
        }
        let logs = Object::new();
        Reflect::set(&logs, &"epoch".into(), &(epoch as f64).into())?;
        Reflect::set(&logs, &"loss".into(), &summary.mean.into())?;
        if let Some(acc) = summary.accuracy {
            Reflect::set(&logs, &"accuracy".into(), &acc.into())?;
        }
        if let Some(f) = &callbacks.on_epoch {
            f.call2(&JsValue::UNDEFINED, &(epoch as f64).into(), &logs)?;
        }
        history.push(&logs);
        yield_to_event_loop().await;
        busy_since = js_sys::Date::now();
        // an abort after the last epoch leaves nothing to stop: the fit resolves
        if epoch < epochs {
            callbacks.check_abort()?;
        }
    }
    Ok(history.into())
}
