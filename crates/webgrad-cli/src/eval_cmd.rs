//! `webgrad eval model.safetensors --dataset …`: metrics and confusion matrix of a saved model
//! on the dataset's test split (the whole file for an IDX file given with --all).

use clap::Args;
use webgrad_nn::{Loss, evaluate_scaled};

use crate::data;
use crate::{CliResult, report};

crate::args::with_data_flags! {
#[derive(Args)]
pub struct EvalArgs {
    /// The saved model (safetensors; its JSON is read from beside it or from its metadata), or a
    /// checkpoint (`train --checkpoint`).
    pub model: String,
    /// cpu | gpu (or wgpu) [default: cpu]
    #[arg(long)]
    pub backend: Option<String>,
    /// Seed the data were generated and split with, as in training [default: the seed recorded
    /// with the model or checkpoint, else 1]
    #[arg(long, help_heading = "Data")]
    pub seed: Option<u64>,
    /// Write the model outputs [rows, outputs] as a NumPy .npy file: logits for classification;
    /// for regression the predictions in the targets' units (mapped back when the model was
    /// trained on standardised targets).
    #[arg(long)]
    pub save_outputs: Option<String>,
}
}

pub fn run(a: EvalArgs) -> CliResult<()> {
    let (_, model, file, _) = crate::export_cmd::read_model(&a.model, &crate::device(a.backend.as_deref())?)?;
    // The model records its dataset with the data flags it was trained with; flags given here win.
    let (dataset, flags) = data::saved_flags(&file.dataset, a.dataset.as_ref(), &a.given_flags());
    // a table laid out as the model's columns, its classes numbered as the model's
    let loaded = a.load_as_saved(&dataset, &flags, &file)?;
    let loss = Loss::for_head(&model.config.head);
    webgrad_nn::train::check_fit(&model, &loaded.test).map_err(|e| format!("{}: {e}", a.model))?;
    // a model trained on standardised targets: predictions and metrics in the targets' units
    let target = file.preprocessing.target_standardize.as_ref();
    let ev = pollster::block_on(evaluate_scaled(&model, &loaded.test, loss, target)).map_err(|e| e.to_string())?;
    if let Some(path) = &a.save_outputs {
        let k = model.config.head.outputs();
        crate::atomic::write(path, &webgrad_data::npy_write::f32_matrix(loaded.test.n, k, &ev.outputs))?;
    }
    // the expression of the validated model, not the file's `torch` text (escape sequences)
    println!("model {}: {}", a.model, file.model.torch_expression());
    report::print_evaluation(&ev, &format!("{} ({} rows)", loaded.test.name, loaded.test.n), target);
    Ok(())
}
