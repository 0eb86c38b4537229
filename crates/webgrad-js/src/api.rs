//! The wasm-bindgen surface: `Mlp` with `fit`, `evaluate`, `predict`, `exportSafetensors` and
//! `load`, and the TypeScript interfaces of its plain objects. A model's state sits behind an
//! `Rc<RefCell>` so each promise owns what it needs; a call while `fit` runs is refused ("busy").

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Float64Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use webgrad_core::{Device, Tensor, no_grad};
use webgrad_nn::{
    Head, Loss, Mlp as Model, MlpConfig, ModelFile, Optimizer, OptimizerConfig, Preprocessing, Report, Schedule,
    TrainConfig, Trainer, evaluate, io,
};

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
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  onEpoch?: (epoch: number, logs: EpochLogs) => void;
}
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
}

fn err(message: impl std::fmt::Display) -> JsValue {
    JsError::new(&message.to_string()).into()
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

/// Numbers from a typed array or an array of numbers.
fn numbers(value: &JsValue, what: &str) -> Result<Vec<f64>, JsValue> {
    if !(value.is_instance_of::<js_sys::Array>() || js_sys::ArrayBuffer::is_view(value)) {
        return Err(err(format!("{what}: expected a typed array or an array of numbers")));
    }
    Ok(Float64Array::new(value).to_vec())
}

fn loss_of(config: &MlpConfig) -> Loss {
    Loss::for_head(&config.head)
}

/// Lets the page (or the worker's message loop) run between epochs.
async fn yield_to_event_loop() {
    let tick = Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Ok(set_timeout) = Reflect::get(&global, &"setTimeout".into()) {
            let _ = set_timeout.unchecked_into::<Function>().call2(&global, &resolve, &0.into());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(tick).await;
}

#[wasm_bindgen]
impl Mlp {
    /// A model with fresh weights (Glorot-uniform, from `spec.seed`) and its optimizer.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "ModelSpec")] spec: JsValue) -> Result<Mlp, JsValue> {
        let spec: ModelSpec = serde_wasm_bindgen::from_value(spec).map_err(|e| err(format!("spec: {e}")))?;
        let (config, optimizer) = spec.build().map_err(err)?;
        let model = Model::new(&device(), config.clone(), spec.seed).map_err(err)?;
        let optimizer = Optimizer::new(optimizer, Schedule::Constant);
        let state = State { parts: Some((model, optimizer)), fits: 0, seed: spec.seed };
        Ok(Mlp { state: Rc::new(RefCell::new(state)), config })
    }

    /// A model from a safetensors file written by `exportSafetensors` (or webgrad's page or CLI),
    /// with a fresh Adam optimizer.
    pub fn load(bytes: &Uint8Array) -> Result<Mlp, JsValue> {
        let (model, file) = io::load_model(&device(), &bytes.to_vec(), None, "model.safetensors").map_err(err)?;
        let optimizer = Optimizer::new(OptimizerConfig::by_name("adam").map_err(err)?, Schedule::Constant);
        let config = file.model;
        let state = State { parts: Some((model, optimizer)), fits: 0, seed: 1 };
        Ok(Mlp { state: Rc::new(RefCell::new(state)), config })
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

    /// Trains on rows `x` (`[rows, inputs]`, row-major) with targets `y` (class indices, or
    /// `[rows, outputs]` values); resolves to each epoch's logs. Yields to the event loop after
    /// every epoch, after calling `options.onEpoch`.
    #[wasm_bindgen(unchecked_return_type = "Promise<EpochLogs[]>")]
    pub fn fit(
        &self,
        x: &Float32Array,
        #[wasm_bindgen(unchecked_param_type = "ArrayLike<number>")] y: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "FitOptions")] options: Option<Object>,
    ) -> Promise {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let prepared = (|| {
            let on_epoch = match options.is_object() {
                true => Reflect::get(&options, &"onEpoch".into())?.dyn_into::<Function>().ok(),
                false => None,
            };
            let opts: FitOptions = match options.is_undefined() || options.is_null() {
                true => FitOptions::default(),
                false => {
                    let plain = Object::assign(&Object::new(), options.unchecked_ref());
                    let _ = Reflect::delete_property(&plain, &"onEpoch".into());
                    serde_wasm_bindgen::from_value(plain.into()).map_err(|e| err(format!("options: {e}")))?
                }
            };
            let data = spec::dataset(&self.config, x.to_vec(), &numbers(y, "fit")?, "fit").map_err(err)?;
            opts.check(data.n).map_err(err)?;
            Ok::<_, JsValue>((opts, on_epoch, data))
        })();
        let state = self.state.clone();
        let loss = loss_of(&self.config);
        future_to_promise(async move {
            let (opts, on_epoch, data) = prepared?;
            // what Trainer::new checks, checked before the model leaves the state (batch ≥ 1 is
            // FitOptions::check's), so a refused fit keeps the trained weights; and the memory a
            // step takes (a wide layer at a large batch), which would abort the module otherwise
            if let Some((model, optimizer)) = state.borrow().parts.as_ref() {
                optimizer.config.validate().map_err(err)?;
                let slots = optimizer.config.rule().state_slots();
                model.config.check_training(opts.batch_size, slots, false, &data).map_err(err)?;
            }
            let (model, optimizer) = take(&state)?;
            let seed = {
                let mut s = state.borrow_mut();
                s.fits += 1;
                s.seed.wrapping_add(s.fits)
            };
            let mut config = TrainConfig::new(opts.batch_size, opts.epochs, seed, loss);
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
            let result = run_epochs(&mut trainer, &data, opts.epochs, on_epoch.as_ref()).await;
            // the model comes back however fit ended (an error keeps the steps made)
            put_back(&state, (trainer.model, trainer.optimizer));
            result
        })
    }

    /// Loss and metrics on rows `x` with targets `y` (accuracy, or MSE, MAE and R²).
    #[wasm_bindgen(unchecked_return_type = "Promise<Evaluation>")]
    pub fn evaluate(
        &self,
        x: &Float32Array,
        #[wasm_bindgen(unchecked_param_type = "ArrayLike<number>")] y: &JsValue,
    ) -> Promise {
        let data =
            numbers(y, "evaluate").and_then(|y| spec::dataset(&self.config, x.to_vec(), &y, "evaluate").map_err(err));
        let (state, loss) = (self.state.clone(), loss_of(&self.config));
        future_to_promise(async move {
            let data = data?;
            let parts = take(&state)?;
            let ev = evaluate(&parts.0, &data, loss).await;
            put_back(&state, parts);
            let ev = ev.map_err(err)?;
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
    /// the predicted values `[rows, outputs]`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Float32Array>")]
    pub fn predict(&self, x: &Float32Array) -> Promise {
        let (state, config, x) = (self.state.clone(), self.config.clone(), x.to_vec());
        future_to_promise(async move {
            let d = config.input;
            if x.is_empty() || !x.len().is_multiple_of(d) {
                return Err(err(format!(
                    "predict: x holds {} numbers, not a whole number of rows of {d} inputs",
                    x.len()
                )));
            }
            let parts = take(&state)?;
            let out = predict_rows(&parts.0, &x, d).await;
            put_back(&state, parts);
            let mut out = out.map_err(err)?;
            if let Head::Softmax { classes } = config.head {
                spec::softmax_rows(&mut out, classes);
            }
            Ok(Float32Array::from(out.as_slice()).into())
        })
    }

    /// The weights as a safetensors file with PyTorch's `nn.Sequential` state_dict names and the
    /// model description embedded (what webgrad's page imports and PyTorch loads).
    #[wasm_bindgen(js_name = exportSafetensors, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn export_safetensors(&self) -> Promise {
        let (state, config) = (self.state.clone(), self.config.clone());
        future_to_promise(async move {
            let names = match config.head {
                Head::Softmax { classes } => webgrad_data::numbered_names(classes),
                _ => Vec::new(),
            };
            let file = ModelFile::new(&config, names, Preprocessing::default(), "webgrad-js");
            let parts = take(&state)?;
            let bytes = io::save_weights(&parts.0, &file).await;
            put_back(&state, parts);
            let bytes = bytes.map_err(err)?;
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }
}

/// The model's raw outputs for `x` (rows of `d` inputs), a batch of `PREDICT_ROWS` rows at a
/// time as `evaluate` goes: one forward pass over all of them would hold rows × width values
/// per layer (10,000 rows through 65,536 units: 2.6 GB).
async fn predict_rows(model: &webgrad_nn::Mlp, x: &[f32], d: usize) -> webgrad_nn::Result<Vec<f32>> {
    const PREDICT_ROWS: usize = 1024;
    let mut out = Vec::new();
    for rows in x.chunks(PREDICT_ROWS * d) {
        let input = Tensor::from_slice(model.device(), rows, &[rows.len() / d, d])?;
        out.extend(no_grad(|| model.forward(&input, false, 0)).to_vec().await?);
    }
    Ok(out)
}

/// The epochs of `fit`: steps to each epoch's end, its mean loss read, `on_epoch` called, a
/// turn of the event loop.
async fn run_epochs(
    trainer: &mut Trainer,
    data: &webgrad_data::Dataset,
    epochs: usize,
    on_epoch: Option<&Function>,
) -> Result<JsValue, JsValue> {
    webgrad_nn::train::check_fit(&trainer.model, data).map_err(err)?;
    let history = js_sys::Array::new();
    for epoch in 1..=epochs {
        while !trainer.step(data).map_err(err)?.epoch_finished {}
        let Some(summary) = trainer.take_loss().wait().await.map_err(err)? else { continue };
        if !summary.mean.is_finite() {
            return Err(err(format!("epoch {epoch}: the loss is {} (try a lower lr)", summary.mean)));
        }
        let logs = Object::new();
        Reflect::set(&logs, &"epoch".into(), &(epoch as f64).into())?;
        Reflect::set(&logs, &"loss".into(), &summary.mean.into())?;
        if let Some(acc) = summary.accuracy {
            Reflect::set(&logs, &"accuracy".into(), &acc.into())?;
        }
        if let Some(f) = on_epoch {
            f.call2(&JsValue::UNDEFINED, &(epoch as f64).into(), &logs)?;
        }
        history.push(&logs);
        yield_to_event_loop().await;
    }
    Ok(history.into())
}
