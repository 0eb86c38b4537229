//! `webgrad export-torch model.safetensors --out DIR`: a PyTorch project that continues training
//! the model (`webgrad_nn::torch_project`). A checkpoint (`train --checkpoint`) carries its
//! optimizer, optimizer state, schedule and position; a model file (`train --save`) gets the
//! CLI's default training settings.

use std::path::Path;

use clap::Args;
use webgrad_core::Device;
use webgrad_nn::torch_project::{self, ProjectData, TrainingSettings};
use webgrad_nn::{Mlp, ModelFile, checkpoint, io};

use crate::data;
use crate::{CliResult, atomic};

crate::args::with_data_flags! {
#[derive(Args)]
pub struct ExportArgs {
    /// A model file (train --save) or a checkpoint (train --checkpoint), safetensors.
    pub model: String,
    /// The folder to write (created if missing; files of the same names are replaced).
    #[arg(long)]
    pub out: String,
    /// Seed the data were generated and split with, as in training [default: the seed recorded
    /// with the model or checkpoint, else 1]
    #[arg(long, help_heading = "Data")]
    pub seed: Option<u64>,
}
}

/// A saved model (`train --save`, its JSON beside it or embedded) or a checkpoint (`train
/// --checkpoint`): the file's bytes, the model on `device`, its description, and how it trains
/// (a checkpoint's own settings; the defaults for a model file).
pub fn read_model(path: &str, device: &Device) -> CliResult<(Vec<u8>, Mlp, ModelFile, TrainingSettings)> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    if checkpoint::metadata_entry(&bytes, "webgrad.checkpoint").is_some() {
        let (trainer, file) = checkpoint::load(device, &bytes, path).map_err(|e| e.to_string())?;
        let settings = TrainingSettings::of(&trainer);
        return Ok((bytes, trainer.model, file, settings));
    }
    let json_path = path.strip_suffix(".safetensors").map(|s| format!("{s}.json"));
    let json = json_path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    let (model, file) = io::load_model(device, &bytes, json.as_deref(), path).map_err(|e| e.to_string())?;
    let settings = TrainingSettings::defaults(&model.config);
    Ok((bytes, model, file, settings))
}

pub fn run(mut a: ExportArgs) -> CliResult<()> {
    let (bytes, model, file, settings) = read_model(&a.model, &webgrad_core::cpu())?;

    // a checkpoint knows the seed its data were generated and split with
    if a.seed.is_none() && settings.recorded {
        a.seed = Some(settings.train.seed);
    }
    let (dataset, flags) = data::saved_flags(&file.dataset, a.dataset.as_ref(), &a.given_flags());
    let loaded;
    let project_data = if dataset == "mnist" {
        let dir = webgrad_data::find_mnist_dir()
            .ok_or("the bundled MNIST files were not found (looked in $WEBGRAD_ASSETS/mnist and assets/mnist)")?;
        let files = webgrad_data::MNIST_FILES.map(|name| {
            std::fs::read(dir.join(name))
                .map(|b| (name.to_string(), b))
                .map_err(|e| format!("{}: cannot read: {e}", dir.join(name).display()))
        });
        let [a_, b, c, d] = files;
        // the model must take MNIST's rows and classes, as `eval` checks (before, a project for
        // another model was written and failed later inside PyTorch)
        let (train, _) = webgrad_data::load_mnist_dir(&dir).map_err(|e| e.to_string())?;
        webgrad_nn::train::check_fit(&model, &train).map_err(|e| format!("{}: {e}", a.model))?;
        ProjectData::Idx { files: [a_?, b?, c?, d?] }
    } else {
        let l = a.load_as_saved(&dataset, &flags, &file)?;
        webgrad_nn::train::check_fit(&model, &l.train).map_err(|e| format!("{}: {e}", a.model))?;
        loaded = l;
        ProjectData::Splits {
            train: &loaded.train,
            test: &loaded.test,
            train_targets_standardized: false,
            label: flags[1].clone(),
        }
    };

    let files = torch_project::files(&file, bytes, &settings, &project_data).map_err(|e| e.to_string())?;
    let out = Path::new(&a.out);
    for (name, contents) in &files {
        let path = out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: cannot create: {e}", parent.display()))?;
        }
        atomic::write(&path.to_string_lossy(), contents)?;
    }
    println!(
        "wrote {} files to {}: {}",
        files.len(),
        a.out,
        files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
    );
    println!("continue in PyTorch: cd {} && python train.py   (or torchrun --nproc-per-node N train.py)", a.out);
    Ok(())
}
