//! "Export as a PyTorch project": a folder a PyTorch user continues training from.
//!
//! - `train.py`: [`TEMPLATE`] with its settings block ([`python::settings`]) filled in — the
//!   `nn.Sequential`, the `torch.optim` optimizer with every setting, the schedule as a function of
//!   the optimizer step, the loss and penalties, batch size, epochs and seed — and the code to load
//!   the data, apply the recorded preprocessing, train (one process or `torchrun` with
//!   DistributedDataParallel) and write `trained.safetensors` that webgrad imports again;
//! - `weights.safetensors`: the weights under their state_dict names, and for a checkpoint the
//!   optimizer state as `optimizer.<parameter>.<slot>` (PyTorch's slot names in `train.py`);
//! - `model.json`: the model description with its preprocessing (webgrad's [`ModelFile`]);
//! - the data: MNIST's IDX files beside the script, or any other data as `data/*.npy`, the
//!   training and test splits exactly as webgrad trained on them;
//! - `README.md`: how to run it.
//!
//! Pure: the CLI writes the files to a folder, the page zips them ([`zip`]).

mod python;

use std::io::Write;

use webgrad_data::{Cursor, Dataset, Targets, npy_write};

use crate::config::MlpConfig;
use crate::io::ModelFile;
use crate::loss::Loss;
use crate::optim::{OptimizerConfig, OptimizerName};
use crate::schedule::Schedule;
use crate::train::{TrainConfig, Trainer};
use crate::{Error, Result};

/// The body of `train.py`; `# @CONFIG@` is replaced by the settings block.
pub const TEMPLATE: &str = include_str!("train.py");
const MARKER: &str = "# @CONFIG@";

/// How webgrad trained, or would train, the model: what `train.py` continues with.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingSettings {
    pub optimizer: OptimizerConfig,
    pub schedule: Schedule,
    pub clip_grad_norm: Option<f32>,
    /// Optimizer steps taken (the schedule's position; Adam's bias corrections).
    pub optimizer_step: u64,
    pub train: TrainConfig,
    /// Where the next batch is.
    pub cursor: Cursor,
    /// How webgrad trained (a checkpoint, a live trainer), not the defaults for a weights-only file.
    pub recorded: bool,
}

impl TrainingSettings {
    /// The settings a trainer runs with, at its current step.
    pub fn of(trainer: &Trainer) -> TrainingSettings {
        let opt = &trainer.optimizer;
        TrainingSettings {
            optimizer: opt.config.clone(),
            schedule: opt.schedule,
            clip_grad_norm: opt.clip_grad_norm,
            optimizer_step: opt.step,
            train: trainer.config.clone(),
            cursor: trainer.cursor,
            recorded: true,
        }
    }

    /// For a file with weights only: the CLI's defaults (Adam at PyTorch's defaults, constant
    /// rate, batch 64, 5 epochs, seed 1, the head's loss), from step 0.
    pub fn defaults(model: &MlpConfig) -> TrainingSettings {
        TrainingSettings {
            optimizer: OptimizerName::Adam.config(),
            schedule: Schedule::Constant,
            clip_grad_norm: None,
            optimizer_step: 0,
            train: TrainConfig::new(64, 5, 1, Loss::for_head(&model.head)),
            cursor: Cursor::default(),
            recorded: false,
        }
    }
}

/// The data the project trains on.
pub enum ProjectData<'a> {
    /// MNIST-style IDX files `(file name, bytes)` copied beside `train.py`: training images,
    /// training labels, test images, test labels (read raw; `model.json`'s preprocessing applies).
    Idx { files: [(String, Vec<u8>); 4] },
    /// The splits as model inputs (`[n, d]` after input features, scaling and standardisation),
    /// written as `data/{train,test}_{x,y}.npy`; targets are class indices (i64) or values
    /// `[n, outputs]` (f32), the training split's standardised when `train_targets_standardized`.
    /// `label`: the label column(s) of the source CSV, the default for `train.py --csv`.
    Splits { train: &'a Dataset, test: &'a Dataset, train_targets_standardized: bool, label: Option<String> },
}

/// Everything the project holds, `(path inside the folder, bytes)`, `train.py` first.
/// `weights` is a webgrad model file or checkpoint (safetensors); `settings` says how it trains.
pub fn files(
    file: &ModelFile,
    weights: Vec<u8>,
    settings: &TrainingSettings,
    data: &ProjectData,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = vec![
        ("train.py".to_string(), train_py(file, settings, data).into_bytes()),
        ("model.json".to_string(), file.to_json().into_bytes()),
        ("weights.safetensors".to_string(), weights),
        ("README.md".to_string(), readme(file, settings, data).into_bytes()),
    ];
    match data {
        ProjectData::Idx { files } => out.extend(files.iter().cloned()),
        ProjectData::Splits { train, test, .. } => {
            for (split, ds) in [("train", train), ("test", test)] {
                let rows = ds.n;
                if Some(ds.features.len()) != rows.checked_mul(ds.d) {
                    return Err(Error::Config(format!(
                        "{}: {} values for {rows} rows of {}",
                        ds.name,
                        ds.features.len(),
                        ds.d
                    )));
                }
                out.push((format!("data/{split}_x.npy"), npy_write::f32_matrix(rows, ds.d, &ds.features)));
                let (count, expected) = match &ds.targets {
                    Targets::Classes { labels, .. } => (labels.len(), Some(rows)),
                    Targets::Regression { values, outputs } => (values.len(), rows.checked_mul(*outputs)),
                };
                if Some(count) != expected {
                    return Err(Error::Config(format!("{}: {count} targets for {rows} rows", ds.name)));
                }
                let y = match &ds.targets {
                    Targets::Classes { labels, .. } => npy_write::i64_vector(labels),
                    Targets::Regression { values, outputs } => npy_write::f32_matrix(rows, *outputs, values),
                };
                out.push((format!("data/{split}_y.npy"), y));
            }
        }
    }
    Ok(out)
}

/// `train.py` for this experiment: the template with its settings block.
pub fn train_py(file: &ModelFile, settings: &TrainingSettings, data: &ProjectData) -> String {
    TEMPLATE.replacen(MARKER, &python::settings(file, settings, data), 1)
}

fn readme(file: &ModelFile, settings: &TrainingSettings, data: &ProjectData) -> String {
    let data_line = match data {
        ProjectData::Idx { files } => format!(
            "The data are the IDX files beside `train.py` ({}); `--data-dir DIR` reads them from elsewhere.",
            files.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
        ProjectData::Splits { train, test, .. } => format!(
            "`data/` holds the training split ({} rows) and the test split ({} rows) exactly as webgrad \
             trained on them, already as model inputs. `python train.py --csv FILE --label COLUMN` trains on a \
             numeric CSV file instead, preprocessed as `model.json` says.",
            train.n, test.n
        ),
    };
    let batch = settings.train.batch_size;
    let started = if !settings.recorded {
        format!(
            "Training starts from the exported weights. The file held weights only, so the optimizer, schedule, \
             batch size ({batch}) and epochs are webgrad's defaults (Adam at PyTorch's defaults, a constant rate); \
             a checkpoint (`webgrad train --checkpoint`, or the page's export) carries the run's own settings and \
             the optimizer's state."
        )
    } else if settings.optimizer_step == 0 {
        format!(
            "Training starts from the exported weights, before any optimizer step, with the webgrad run's \
             optimizer, schedule, loss, batch size ({batch}) and seed."
        )
    } else {
        format!(
            "Training goes on where webgrad stopped: the weights, the optimizer's state and the schedule after {} \
             optimizer steps, with the webgrad run's optimizer, loss, batch size ({batch}) and seed.",
            settings.optimizer_step
        )
    };
    format!(
        "# {dataset}: a webgrad model, continued in PyTorch\n\n\
         `{torch}`\n\n\
         ```bash\n\
         pip install torch safetensors numpy\n\
         python train.py                        # CUDA if there is one, else the CPU\n\
         torchrun --nproc-per-node 4 train.py   # DistributedDataParallel over 4 GPUs or processes\n\
         ```\n\n\
         {started} The settings are at the top of `train.py`, plain PyTorch, to change as you grow the model. Under `torchrun` every process takes `--batch-size` rows per step (the global batch is that \
         times the number of processes) from its share of each epoch's permutation.\n\n\
         {data_line}\n\n\
         - `weights.safetensors`: the weights under their `nn.Sequential` state_dict names (and a checkpoint's \
         optimizer state as `optimizer.<parameter>.<slot>`).\n\
         - `model.json`: the architecture, the class names and the preprocessing webgrad fitted (input features, \
         scale, standardisation of inputs and regression targets).\n\
         - `trained.safetensors` (written at the end): the trained weights with `model.json` embedded — webgrad's \
         page imports it (Import) and `webgrad eval trained.safetensors` evaluates it.\n\n\
         `python train.py --no-shuffle --print-steps 3` takes the rows in order from where webgrad stopped and \
         prints the first losses, to compare step by step with webgrad (`webgrad train --no-shuffle`).\n",
        dataset = file.dataset.replace(|c: char| c.is_control(), " "),
        // from the validated model, not the file's own `torch` string (a file could say anything)
        torch = file.model.torch_expression(),
    )
}

/// The project's folder (and `.zip`) name, `webgrad-<stem>-pytorch`, from a dataset's name, a
/// file name or a URL: the stem is the last path segment without its extensions, in letters,
/// digits, '-' and '_' only, at most 40 characters ("data" if none is left).
pub fn folder_name(dataset: &str) -> String {
    let path = dataset.split(['?', '#', ' ']).next().unwrap_or("");
    let last = path.split(['/', '\\']).rfind(|s| !s.is_empty()).unwrap_or("");
    let stem = last.split('.').next().unwrap_or("");
    let clean: String = stem.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(40).collect();
    format!("webgrad-{}-pytorch", if clean.is_empty() { "data" } else { &clean })
}

/// The files as a `.zip` archive (deflate), all inside `folder/`.
pub fn zip(files: &[(String, Vec<u8>)], folder: &str) -> Result<Vec<u8>> {
    let fail = |e: &dyn std::fmt::Display| Error::Format(format!("writing the zip archive: {e}"));
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(files.iter().any(|(_, b)| b.len() >= u32::MAX as usize));
    for (name, bytes) in files {
        writer.start_file(format!("{folder}/{name}"), options).map_err(|e| fail(&e))?;
        writer.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(writer.finish().map_err(|e| fail(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn folder_names_are_safe() {
        assert_eq!(super::folder_name("mnist"), "webgrad-mnist-pytorch");
        assert_eq!(super::folder_name("https://example.org/x/pets.csv.gz?raw=1"), "webgrad-pets-pytorch");
        assert_eq!(super::folder_name("data/houses.csv --label price"), "webgrad-houses-pytorch");
        assert_eq!(super::folder_name("<img src=x>.csv"), "webgrad-img-pytorch");
        assert_eq!(super::folder_name("../"), "webgrad-data-pytorch");
    }
}
