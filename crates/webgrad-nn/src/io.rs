//! Models leave as safetensors with PyTorch's `nn.Sequential` state_dict names and layouts,
//! plus a JSON description (`ModelFile`) of the architecture and preprocessing. The JSON is
//! also stored in the safetensors `__metadata__` under "webgrad", so one file is enough.

use std::collections::HashMap;

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use webgrad_core::Device;
use webgrad_data::features::InputFeature;
use webgrad_data::{FeatureColumn, Standardizer, layout_width, repeated_name};

use crate::config::{Head, MlpConfig};
use crate::model::Mlp;
use crate::{Error, Result};

pub const FORMAT: &str = "webgrad-mlp/1";
pub const METADATA_KEY: &str = "webgrad";

/// How raw features become model inputs, x' = (x·scale − mean) / std, and, for a regression
/// model trained on standardised targets, how its outputs become predictions, y = z·std + mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Preprocessing {
    /// CSV tables: the feature columns the model was trained on, in order (numbers, or text
    /// one-hot encoded into the recorded categories), so that another file with these columns
    /// is laid out the same way (`webgrad_data::Table::conform`). Their widths add up to the
    /// model's inputs. `None`: not a table, or a file written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<FeatureColumn>>,
    /// CSV tables read with missing cells filled: the fill value of each feature, `[features]`,
    /// the means of the training rows (`webgrad_data::Imputer`), used for another file's
    /// missing cells instead of a new fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_missing: Option<Vec<f32>>,
    /// 2-D data (TensorFlow Playground's input toggles): the model's inputs are these features
    /// of each point (x1, x2), in this order, computed before anything else
    /// (`webgrad_data::features`): `x1`, `x2`, `x1sq` (x1²), `x2sq`, `x1x2`, `sinx1`, `sinx2`.
    /// `None`: the data's own features.
    #[serde(default)]
    pub input_features: Option<Vec<String>>,
    /// Applied first to the data's features (MNIST pixels: 1/255).
    #[serde(default)]
    pub scale: Option<f32>,
    /// Fitted on the training split only.
    #[serde(default)]
    pub standardize: Option<Standardizer>,
    /// Regression only: the model was trained on targets standardised per output,
    /// z = (y − mean) / std with one mean and std per output (`[outputs]` each), fitted on the
    /// training split; a prediction in the targets' units is `output · std + mean`
    /// ([`Preprocessing::outputs_to_predictions`]). `None` (classification, files written before
    /// it existed, `--target-scaling none`): the outputs are the predictions.
    #[serde(default)]
    pub target_standardize: Option<Standardizer>,
}

impl Preprocessing {
    /// Maps model outputs `[n, outputs]` to predictions in the targets' units, in place (nothing
    /// to do without `target_standardize`). Panics if the length is not a multiple of the
    /// standardizer's width: check the file first ([`ModelFile::from_json`] does).
    pub fn outputs_to_predictions(&self, outputs: &mut [f32]) {
        if let Some(s) = &self.target_standardize {
            s.invert_rows(outputs);
        }
    }

    /// The input features, parsed (see [`Preprocessing::input_features`]); an error names the
    /// unknown one.
    pub fn parsed_input_features(&self) -> std::result::Result<Option<Vec<InputFeature>>, String> {
        let Some(names) = &self.input_features else { return Ok(None) };
        let parsed: std::result::Result<Vec<_>, _> = names.iter().map(|n| InputFeature::parse(n)).collect();
        parsed.map(Some).map_err(|e| format!("preprocessing.input_features: {e}"))
    }

    /// Checks what a file may get wrong: input features that are known, each once, one per
    /// model input; an input standardizer with one finite mean and one finite, positive std
    /// per model input; a target standardizer with a linear head and the same per output.
    pub fn check(&self, model: &MlpConfig) -> std::result::Result<(), String> {
        if let Some(features) = self.parsed_input_features()? {
            if features.len() != model.input {
                return Err(format!(
                    "preprocessing.input_features names {} features but the model takes {} inputs",
                    features.len(),
                    model.input
                ));
            }
            if let Some(f) = features.iter().enumerate().find_map(|(i, f)| features[..i].contains(f).then_some(f)) {
                return Err(format!("preprocessing.input_features names {} twice", f.name()));
            }
        }
        self.check_columns(model)?;
        if let Some(s) = self.scale.filter(|s| !(s.is_finite() && *s != 0.0)) {
            return Err(format!("preprocessing.scale is {s} (expected a finite number other than 0)"));
        }
        if let Some(s) = &self.standardize {
            s.check(model.input, "preprocessing.standardize")?;
        }
        let Some(s) = &self.target_standardize else { return Ok(()) };
        match model.head {
            Head::Linear { outputs } => s.check(outputs, "preprocessing.target_standardize"),
            _ => Err("preprocessing.target_standardize is for regression models (a linear head) only".into()),
        }
    }
}

impl Preprocessing {
    /// Recorded columns as wide as the model's raw inputs (a 2-D table's points when input
    /// features are recorded, else the model's inputs), each with at least one category and
    /// named once; a finite fill value per raw input.
    fn check_columns(&self, model: &MlpConfig) -> std::result::Result<(), String> {
        let raw = if self.input_features.is_some() { 2 } else { model.input };
        if let Some(columns) = &self.columns {
            if let Some(c) = columns.iter().find(|c| c.categories.as_ref().is_some_and(Vec::is_empty)) {
                return Err(format!("preprocessing.columns: column '{}' has no categories", c.name));
            }
            let width = layout_width(columns);
            if width != Some(raw) {
                let w = width.map_or("too many".into(), |w| w.to_string());
                return Err(format!("preprocessing.columns make {w} features but the model's data has {raw}"));
            }
            if let Some(name) = repeated_name(columns) {
                return Err(format!("preprocessing.columns names '{name}' twice"));
            }
        }
        match &self.fill_missing {
            Some(fill) if fill.len() != raw || !fill.iter().all(|v| v.is_finite()) => Err(format!(
                "preprocessing.fill_missing needs {raw} finite values, one per feature of the data (it has {})",
                fill.len()
            )),
            _ => Ok(()),
        }
    }
}

/// The JSON that travels with the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub model: MlpConfig,
    /// `nn.Sequential(...)` that loads these weights with `strict=True`.
    pub torch: String,
    #[serde(default)]
    pub class_names: Vec<String>,
    #[serde(default)]
    pub preprocessing: Preprocessing,
    #[serde(default)]
    pub dataset: String,
}

impl ModelFile {
    pub fn new(model: &MlpConfig, class_names: Vec<String>, preprocessing: Preprocessing, dataset: &str) -> Self {
        ModelFile {
            format: FORMAT.into(),
            model: model.clone(),
            torch: model.torch_expression(),
            class_names,
            preprocessing,
            dataset: dataset.into(),
        }
    }

    /// The description as JSON; its `torch` text is always the expression of its architecture
    /// (`MlpConfig::torch_expression`), never text a file brought.
    pub fn to_json(&self) -> String {
        let file = ModelFile { torch: self.model.torch_expression(), ..self.clone() };
        serde_json::to_string_pretty(&file).expect("ModelFile serialises")
    }

    pub fn from_json(json: &str, source: &str) -> Result<Self> {
        let file: ModelFile = serde_json::from_str(json)
            .map_err(|e| Error::Format(format!("{source}: not a webgrad model description: {e}")))?;
        if file.format != FORMAT {
            return Err(Error::Format(format!("{source}: format '{}' is not {FORMAT}", file.format)));
        }
        file.validate(source)?;
        // the file's `torch` text is only a copy of what its architecture says: a hostile one
        // (code for whoever `eval`s it) goes no further than this
        let torch = file.model.torch_expression();
        Ok(ModelFile { torch, ..file })
    }

    /// Checks the model description and its preprocessing (see [`Preprocessing::check`]).
    pub fn validate(&self, source: &str) -> Result<()> {
        self.model.validate().map_err(|e| Error::Format(format!("{source}: {e}")))?;
        self.preprocessing.check(&self.model).map_err(|e| Error::Format(format!("{source}: {e}")))
    }
}

/// f32 values as safetensors stores them (little-endian).
pub fn f32_le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// f32 tensors by name → safetensors bytes (little-endian f32).
pub fn serialize(
    tensors: &[(String, Vec<usize>, Vec<f32>)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> =
        tensors.iter().map(|(name, shape, v)| (name.clone(), shape.clone(), f32_le_bytes(v))).collect();
    serialize_le_bytes(&bytes, metadata)
}

/// Tensors already in safetensors' f32 byte order → the file (the one copy besides them).
pub fn serialize_le_bytes(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>> {
    let views = tensors
        .iter()
        .map(|(name, shape, b)| {
            Ok((name.clone(), TensorView::new(Dtype::F32, shape.clone(), b).map_err(|e| Error::Format(e.to_string()))?))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, metadata).map_err(|e| Error::Format(e.to_string()))
}

/// Reads the model's weights back and writes them with the ModelFile JSON in the metadata.
pub async fn save_weights(model: &Mlp, file: &ModelFile) -> Result<Vec<u8>> {
    let mut tensors = Vec::new();
    for (name, t) in model.named_parameters() {
        tensors.push((name, t.shape().to_vec(), t.to_vec().await?));
    }
    serialize(&tensors, Some(HashMap::from([(METADATA_KEY.to_string(), file.to_json())])))
}

pub fn parse<'a>(bytes: &'a [u8], source: &str) -> Result<SafeTensors<'a>> {
    SafeTensors::deserialize(bytes).map_err(|e| Error::Format(format!("{source}: not a safetensors file: {e}")))
}

/// The ModelFile stored in a safetensors file's metadata, if any.
pub fn embedded_model_file(bytes: &[u8], source: &str) -> Result<Option<ModelFile>> {
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::Format(format!("{source}: not a safetensors file: {e}")))?;
    match meta.metadata().as_ref().and_then(|m| m.get(METADATA_KEY)) {
        Some(json) => Ok(Some(ModelFile::from_json(json, source)?)),
        None => Ok(None),
    }
}

/// An f32 tensor's values, checked against the expected shape.
pub fn read_f32(st: &SafeTensors<'_>, name: &str, shape: &[usize], source: &str) -> Result<Vec<f32>> {
    let view = st.tensor(name).map_err(|_| Error::Format(format!("{source}: tensor '{name}' is missing")))?;
    if view.dtype() != Dtype::F32 {
        return Err(Error::Format(format!("{source}: tensor '{name}' is {:?}, expected F32", view.dtype())));
    }
    if view.shape() != shape {
        return Err(Error::Format(format!(
            "{source}: tensor '{name}' has shape {:?}, the model needs {shape:?}",
            view.shape()
        )));
    }
    let values: Vec<f32> = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::Format(format!("{source}: tensor '{name}' holds a non-finite value at element {i}")));
    }
    Ok(values)
}

/// The parameters a model of `config` has, as (state_dict name, shape), in order.
pub fn expected_tensors(config: &MlpConfig) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for (index, (fan_in, fan_out)) in config.linear_indices().into_iter().zip(config.linear_shapes()) {
        out.push((format!("{index}.weight"), vec![fan_out, fan_in]));
        out.push((format!("{index}.bias"), vec![fan_out]));
    }
    out
}

/// Checks that `bytes` hold every tensor a model of `config` needs, as F32 of the right shape,
/// without building the model: a description that promises more than the file holds is refused
/// before anything is allocated.
pub fn check_tensors(config: &MlpConfig, bytes: &[u8], source: &str) -> Result<()> {
    let st = parse(bytes, source)?;
    for (name, shape) in expected_tensors(config) {
        let view = st.tensor(&name).map_err(|_| Error::Format(format!("{source}: tensor '{name}' is missing")))?;
        if view.dtype() != Dtype::F32 || view.shape() != shape.as_slice() {
            return Err(Error::Format(format!(
                "{source}: tensor '{name}' is {:?} {:?}, the model description needs F32 {shape:?}",
                view.dtype(),
                view.shape()
            )));
        }
    }
    Ok(())
}

/// Loads weights into `model` the way `load_state_dict(strict=True)` does: every parameter must
/// be present with its exact shape, and no other tensor outside `ignored_prefix` may be there.
/// Checks everything before writing anything, so a bad file changes nothing.
pub fn load_weights(model: &Mlp, bytes: &[u8], source: &str, ignored_prefix: Option<&str>) -> Result<()> {
    let st = parse(bytes, source)?;
    let params = model.named_parameters();
    let mut values = Vec::new();
    for (name, t) in &params {
        values.push(read_f32(&st, name, t.shape(), source)?);
    }
    let expected: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    let unexpected: Vec<String> = st
        .names()
        .into_iter()
        .filter(|n| !expected.contains(n) && !ignored_prefix.is_some_and(|p| n.starts_with(p)))
        .map(String::from)
        .collect();
    if !unexpected.is_empty() {
        return Err(Error::Format(format!("{source}: unexpected tensors {unexpected:?} (the model has {expected:?})")));
    }
    for ((_, t), v) in params.iter().zip(values) {
        t.assign(&v)?;
    }
    Ok(())
}

/// A model from its safetensors bytes and JSON (the JSON may instead be embedded).
pub fn load_model(device: &Device, bytes: &[u8], json: Option<&str>, source: &str) -> Result<(Mlp, ModelFile)> {
    let file = match json {
        Some(j) => ModelFile::from_json(j, source)?,
        None => embedded_model_file(bytes, source)?
            .ok_or_else(|| Error::Format(format!("{source}: no model description (pass the .json saved beside it)")))?,
    };
    check_tensors(&file.model, bytes, source)?;
    let model = Mlp::new(device, file.model.clone(), 0)?;
    load_weights(&model, bytes, source, None)?;
    Ok((model, file))
}
