//! A checkpoint is one safetensors file: the weights under their PyTorch names, the optimizer
//! state as `optimizer.<param name>.<slot>`, and in the metadata the model description (with its
//! preprocessing: the fitted feature and target statistics, which a resumed run applies instead
//! of fitting again), the optimizer/schedule/training settings, the step count and the data
//! cursor. Since all later randomness is counter-based (see `train.rs`), that is the whole state:
//! resuming gives the same losses, bit for bit on the CPU, as a run that never stopped.

use std::collections::HashMap;

use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use webgrad_core::Device;
use webgrad_data::Cursor;

use crate::io::{self, ModelFile};
use crate::model::Mlp;
use crate::optim::{Optimizer, OptimizerConfig};
use crate::schedule::Schedule;
use crate::train::{TrainConfig, Trainer};
use crate::{Error, Result};

pub const FORMAT: &str = "webgrad-checkpoint/1";
const KEY: &str = "webgrad.checkpoint";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Meta {
    format: String,
    model: ModelFile,
    optimizer: OptimizerConfig,
    schedule: Schedule,
    clip_grad_norm: Option<f32>,
    optimizer_step: u64,
    train: TrainConfig,
    cursor: Cursor,
}

fn slot_name(param: &str, slot: usize) -> String {
    format!("optimizer.{param}.{slot}")
}

pub async fn save(trainer: &Trainer, model_file: &ModelFile) -> Result<Vec<u8>> {
    save_with_metadata(trainer, model_file, HashMap::new()).await
}

/// [`save`], with more string entries in the file's metadata (the page keeps its experiment
/// there, so checkpoint and experiment are one file, written at once). `extra` keys must not
/// start with "webgrad" followed by nothing else or ".checkpoint" (those are the checkpoint's own).
pub async fn save_with_metadata(
    trainer: &Trainer,
    model_file: &ModelFile,
    extra: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let opt = &trainer.optimizer;
    let meta = Meta {
        format: FORMAT.into(),
        model: model_file.clone(),
        optimizer: opt.config.clone(),
        schedule: opt.schedule,
        clip_grad_norm: opt.clip_grad_norm,
        optimizer_step: opt.step,
        train: trainer.config.clone(),
        cursor: trainer.cursor,
    };
    let json = serde_json::to_string(&meta).expect("checkpoint metadata serialises");
    let mut metadata = extra;
    metadata.insert(KEY.to_string(), json);
    metadata.insert(io::METADATA_KEY.to_string(), model_file.to_json());

    // Every tensor of the file: (name, the parameter it belongs to, None for the weights or the
    // optimizer slot).
    let params = trainer.model.named_parameters();
    let mut entries: Vec<(String, usize, Option<usize>)> = Vec::new();
    for (i, (name, _)) in params.iter().enumerate() {
        entries.push((name.clone(), i, None));
        let slots = opt.state.get(i).map_or(0, Vec::len);
        entries.extend((0..slots).map(|slot| (slot_name(name, slot), i, Some(slot))));
    }
    // The file is laid out by safetensors with every tensor zero (all views share one zero
    // buffer of the largest tensor), then each tensor is read back from the device into its
    // place: the state is held once, as the file, plus the tensor being read.
    let byte_len =
        |i: usize| params[i].1.numel().checked_mul(4).ok_or_else(|| Error::Format("a tensor's size overflows".into()));
    let largest = (0..params.len()).map(byte_len).try_fold(0, |m, b| b.map(|b| m.max(b)))?;
    let zeros = vec![0u8; largest];
    let views = entries
        .iter()
        .map(|(name, i, _)| {
            let view = TensorView::new(Dtype::F32, params[*i].1.shape().to_vec(), &zeros[..byte_len(*i)?]);
            Ok((name.clone(), view.map_err(|e| Error::Format(e.to_string()))?))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut file = safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Format(e.to_string()))?;
    drop(zeros);
    let (header_len, header) =
        safetensors::SafeTensors::read_metadata(&file).map_err(|e| Error::Format(e.to_string()))?;
    let data_start = 8 + header_len;
    let places = entries
        .iter()
        .map(|(name, _, _)| {
            let (a, b) = header
                .info(name)
                .map(|t| t.data_offsets)
                .ok_or_else(|| Error::Format(format!("{name} not laid out")))?;
            Ok(data_start + a..data_start + b)
        })
        .collect::<Result<Vec<_>>>()?;
    drop(header);
    let device = trainer.model.device();
    for ((_, i, slot), place) in entries.iter().zip(places) {
        let t = &params[*i].1;
        let values = match slot {
            None => t.to_vec().await?,
            Some(slot) => device.read(&opt.state[*i][*slot], t.numel()).await?,
        };
        for (dst, v) in file[place].chunks_exact_mut(4).zip(values) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
    }
    Ok(file)
}

/// One string entry of a safetensors file's metadata (`None` when the file or the key is not
/// there); reads only the header.
pub fn metadata_entry(bytes: &[u8], key: &str) -> Option<String> {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).ok()?;
    header.metadata().as_ref()?.get(key).cloned()
}

/// Rebuilds the trainer (model, optimizer with its state, settings, cursor) from a checkpoint.
pub fn load(device: &Device, bytes: &[u8], source: &str) -> Result<(Trainer, ModelFile)> {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::Format(format!("{source}: not a safetensors file: {e}")))?;
    let json = header.metadata().as_ref().and_then(|m| m.get(KEY)).ok_or_else(|| {
        Error::Format(format!(
            "{source}: not a webgrad checkpoint (no '{KEY}' metadata; is it a plain model file? use --init for weights)"
        ))
    })?;
    let meta: Meta =
        serde_json::from_str(json).map_err(|e| Error::Format(format!("{source}: bad checkpoint metadata: {e}")))?;
    if meta.format != FORMAT {
        return Err(Error::Format(format!("{source}: format '{}' is not {FORMAT}", meta.format)));
    }
    meta.model.validate(source)?;
    // counts no run reaches (2⁵³ steps): a damaged or crafted file, whose counters would
    // overflow as training counts on from them
    const MAX_COUNT: u64 = 1 << 53;
    if meta.optimizer_step > MAX_COUNT || meta.cursor.epoch > MAX_COUNT || meta.cursor.step as u64 > MAX_COUNT {
        return Err(Error::Format(format!(
            "{source}: the checkpoint's counters are out of range (optimizer step {}, epoch {}, step {})",
            meta.optimizer_step, meta.cursor.epoch, meta.cursor.step
        )));
    }
    io::check_tensors(&meta.model.model, bytes, source)?;
    let model = Mlp::new(device, meta.model.model.clone(), 0)?;
    io::load_weights(&model, bytes, source, Some("optimizer."))?;
    let st = io::parse(bytes, source)?;
    let mut optimizer = Optimizer::new(meta.optimizer, meta.schedule);
    optimizer.clip_grad_norm = meta.clip_grad_norm;
    optimizer.step = meta.optimizer_step;
    let slots = optimizer.config.rule().state_slots();
    if meta.optimizer_step > 0 && slots > 0 {
        let mut state = Vec::new();
        for (name, t) in model.named_parameters() {
            let mut bufs = Vec::new();
            for slot in 0..slots {
                bufs.push(device.upload(&io::read_f32(&st, &slot_name(&name, slot), t.shape(), source)?));
            }
            state.push(bufs);
        }
        optimizer.state = state;
    }
    // the file's settings (loss, optimizer, schedule, batch) checked as a new run's are
    let mut trainer =
        Trainer::new(model, optimizer, meta.train).map_err(|e| Error::Format(format!("{source}: {e}")))?;
    trainer.cursor = meta.cursor;
    Ok((trainer, meta.model))
}
