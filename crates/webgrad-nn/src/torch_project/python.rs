//! The settings block of `train.py`: the model, optimizer, schedule, loss and data of one
//! experiment as Python code a PyTorch user reads and edits.

use std::fmt::Write;

use crate::config::{Head, MlpConfig};
use crate::loss::Loss;
use crate::optim::OptimizerConfig;
use crate::schedule::Schedule;

use super::{ProjectData, TrainingSettings};

/// A Python float literal (Rust's shortest round-trip form is valid Python: `0.001`, `1e-8`).
fn float(x: f64) -> String {
    float_literal(format!("{x:?}"))
}

/// An f32 setting as the user typed it (`0.1`, not `0.10000000149011612`).
fn float32(x: f32) -> String {
    float_literal(format!("{x:?}"))
}

/// Rust's float text as Python source: `inf`, `-inf` and `NaN` are not Python literals.
fn float_literal(s: String) -> String {
    match s.as_str() {
        "inf" => "math.inf".into(),
        "-inf" => "-math.inf".into(),
        "NaN" => "math.nan".into(),
        _ => s,
    }
}

fn boolean(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A Python string literal (JSON's escapes are Python's for these strings).
fn string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn model(cfg: &MlpConfig) -> String {
    let modules: Vec<String> = cfg.torch_modules().iter().map(|m| format!("        nn.{m},\n")).collect();
    format!("def MODEL():\n    return nn.Sequential(\n{}    )\n", modules.concat())
}

/// `make_optimizer` and the names of its state tensors (`inspect::slot_names`, PyTorch's keys).
fn optimizer(cfg: &OptimizerConfig) -> String {
    let call = match *cfg {
        OptimizerConfig::Sgd { lr, momentum, dampening, nesterov, weight_decay } => format!(
            "torch.optim.SGD(params, lr={}, momentum={}, dampening={}, weight_decay={}, nesterov={})",
            float(lr),
            float(momentum),
            float(dampening),
            float(weight_decay),
            boolean(nesterov)
        ),
        OptimizerConfig::Adam { lr, beta1, beta2, eps, weight_decay }
        | OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay } => format!(
            "torch.optim.{}(params, lr={}, betas=({}, {}), eps={}, weight_decay={})",
            if matches!(cfg, OptimizerConfig::Adam { .. }) { "Adam" } else { "AdamW" },
            float(lr),
            float(beta1),
            float(beta2),
            float(eps),
            float(weight_decay)
        ),
        OptimizerConfig::RmsProp { lr, alpha, eps, momentum, centered, weight_decay } => format!(
            "torch.optim.RMSprop(params, lr={}, alpha={}, eps={}, weight_decay={}, momentum={}, centered={})",
            float(lr),
            float(alpha),
            float(eps),
            float(weight_decay),
            float(momentum),
            boolean(centered)
        ),
        OptimizerConfig::Adagrad { lr, lr_decay, eps, weight_decay } => format!(
            "torch.optim.Adagrad(params, lr={}, lr_decay={}, weight_decay={}, eps={})",
            float(lr),
            float(lr_decay),
            float(weight_decay),
            float(eps)
        ),
    };
    let slots: Vec<String> = crate::inspect::slot_names(cfg).iter().map(|s| string(s)).collect();
    // SGD keeps no step count; the others do (Adam's bias corrections, Adagrad's lr decay)
    let counts_steps = !matches!(cfg, OptimizerConfig::Sgd { .. });
    format!(
        "def make_optimizer(params):\n    return {call}\n\n\n\
         # PyTorch's names of the optimizer's state tensors in weights.safetensors, in webgrad's order\n\
         OPTIMIZER_SLOTS = [{}]\nOPTIMIZER_COUNTS_STEPS = {}\n",
        slots.join(", "),
        boolean(counts_steps)
    )
}

/// `lr_factor(t)`: the learning rate of optimizer step t (0-based) over the base rate, as
/// webgrad's `Schedule::lr_at` computes it.
fn schedule(schedule: &Schedule, base_lr: f64) -> String {
    let body = match *schedule {
        Schedule::Constant => "    \"\"\"A constant learning rate.\"\"\"\n    return 1.0\n".to_string(),
        Schedule::Step { step_size, gamma } => format!(
            "    \"\"\"torch.optim.lr_scheduler.StepLR(step_size={s}, gamma={g}).\"\"\"\n    return ({g}) ** (t // {s})\n",
            s = step_size.max(1),
            g = float(gamma)
        ),
        Schedule::Exponential { gamma } => format!(
            "    \"\"\"torch.optim.lr_scheduler.ExponentialLR(gamma={g}).\"\"\"\n    return ({g}) ** t\n",
            g = float(gamma)
        ),
        Schedule::Cosine { warmup_steps, warmup_start_factor, total_steps, min_lr } => format!(
            "    \"\"\"LinearLR(start_factor={f}, total_iters={w}) for the warm-up, then a cosine from the base\n    \
             rate down to {m} at step {t} (CosineAnnealingLR), staying there.\"\"\"\n    \
             if t < {w}:\n        return {f} + (1 - {f}) * t / {w}\n    \
             span = max({t} - {w}, 1)\n    \
             done = min(t - {w}, span)\n    \
             return ({m} + ({b} - {m}) * (1 + math.cos(math.pi * done / span)) / 2) / {b}\n",
            f = float(warmup_start_factor),
            w = warmup_steps,
            t = total_steps,
            m = float(min_lr),
            b = float(base_lr)
        ),
    };
    format!("def lr_factor(t):\n{body}")
}

fn loss(loss: &Loss, head: &Head) -> String {
    let (module, kind) = match *loss {
        Loss::CrossEntropy { label_smoothing } => {
            (format!("nn.CrossEntropyLoss(label_smoothing={})", float32(label_smoothing)), "ce")
        }
        Loss::BceWithLogits => ("nn.BCEWithLogitsLoss()".into(), "bce"),
        Loss::Mse => ("nn.MSELoss()".into(), "mse"),
        Loss::Huber { delta } => (format!("nn.HuberLoss(delta={})", float32(delta)), "huber"),
    };
    format!("LOSS = {module}\nLOSS_KIND = {}\nHEAD_OUTPUTS = {}\n", string(kind), head.outputs())
}

fn data(data: &ProjectData) -> String {
    match data {
        ProjectData::Idx { files } => {
            let keys = ["train_images", "train_labels", "test_images", "test_labels"];
            let items: Vec<String> = keys
                .iter()
                .zip(files.iter())
                .map(|(k, (name, _))| format!("    {}: {},\n", string(k), string(name)))
                .collect();
            format!(
                "# IDX files beside this script (or in --data-dir)\nDATA = {{\n    \"kind\": \"idx\",\n{}}}\n",
                items.concat()
            )
        }
        ProjectData::Splits { train_targets_standardized, label, .. } => format!(
            "# data/*.npy: webgrad's training and test splits as model inputs (--csv trains on another file)\n\
             DATA = {{\"kind\": \"npy\", \"train_y_standardized\": {}, \"label\": {}}}\n",
            boolean(*train_targets_standardized),
            label.as_deref().map_or("None".into(), string)
        ),
    }
}

/// The whole block, in the order the template's code reads it.
pub(super) fn settings(file: &crate::io::ModelFile, training: &TrainingSettings, data_block: &ProjectData) -> String {
    let t = &training.train;
    let mut out = String::new();
    let _ = writeln!(out, "# ---- the experiment as webgrad ran it (written by webgrad's export; edit freely) ----");
    // a name from a file, a link or someone's checkpoint: a string literal, never code
    let _ = writeln!(out, "DATASET = {}  # what webgrad trained on\n\n", string(&file.dataset));
    out += &model(&file.model);
    out += "\n\n";
    out += &optimizer(&training.optimizer);
    out += "\n\n";
    out += &schedule(&training.schedule, training.optimizer.lr());
    out += "\n\n";
    out += &loss(&t.loss, &file.model.head);
    let _ = writeln!(out, "L1 = {}  # coefficient of Σ|W| added to the loss", float32(t.l1));
    let _ = writeln!(out, "L2 = {}  # coefficient of ΣW² added to the loss", float32(t.l2));
    let _ = writeln!(out, "CLIP_GRAD_NORM = {}", training.clip_grad_norm.map_or("None".into(), float32));
    let _ = writeln!(out, "BATCH_SIZE = {}", t.batch_size);
    let _ = writeln!(out, "EPOCHS = {}", t.epochs);
    let _ = writeln!(out, "SEED = {}", t.seed);
    let _ = writeln!(out, "SHUFFLE = {}", boolean(t.shuffle));
    let _ = writeln!(out, "START_STEP = {}  # optimizer steps webgrad had taken", training.optimizer_step);
    let _ = writeln!(
        out,
        "CURSOR = ({}, {})  # (epoch, step) of webgrad's next batch",
        training.cursor.epoch, training.cursor.step
    );
    out += &data(data_block);
    out += "# ---- end of the experiment's settings ----";
    out
}
