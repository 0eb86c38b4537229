//! Building the model and its trainer from the page's experiment.

use super::*;

/// A trainer for `model` with the experiment's optimizer and run settings.
pub(super) fn make_trainer(model: Mlp, e: &Experiment, train_rows: usize) -> Result<Trainer, String> {
    let opt = optimizer_config(e)?;
    let loss = Loss::for_head(&model.config.head);
    let config = TrainConfig { l1: e.l1, l2: e.l2, ..TrainConfig::new(e.batch, e.epochs, e.seed, loss) };
    let total = webgrad_nn::run_steps(e.epochs, train_rows.div_ceil(e.batch.max(1)));
    Trainer::new(model, Optimizer::new(opt, e.schedule.schedule(total)), config).map_err(|err| err.to_string())
}

/// The model the experiment describes for this data (not yet checked against any limit).
pub(super) fn model_config(e: &Experiment, train: &Dataset) -> MlpConfig {
    let hidden = e.layers.iter().map(HiddenLayer::config).collect();
    MlpConfig { input: train.d, hidden, head: Head::for_targets(&train.targets), init: Init::GlorotUniform }
}

/// The experiment's optimizer with its settings, checked.
fn optimizer_config(e: &Experiment) -> Result<OptimizerConfig, String> {
    let mut opt = e.optimizer.config();
    opt.set_lr(e.lr);
    if let Some(wd) = e.weight_decay {
        opt.set_weight_decay(wd);
    }
    for (name, value) in &e.hyper {
        opt.set_hyperparameter(name, *value)?;
    }
    opt.validate()?;
    Ok(opt)
}

/// A fresh model and trainer for the experiment on `train`; what does not fit the memory budget
/// (or a batch larger than the data) is refused before anything is allocated.
pub(super) fn build_trainer(device: &Device, e: &Experiment, train: &Dataset) -> Result<Trainer, String> {
    let config = model_config(e, train);
    check_trainable(&config, e, train)?;
    let model = Mlp::new(device, config, e.seed).map_err(|err| err.to_string())?;
    make_trainer(model, e, train.n)
}

/// Whether `config` can be trained here with the experiment's batch and optimizer: the memory
/// of a monitored training step (and the data) within the budget, a batch the data holds.
pub(super) fn check_trainable(config: &MlpConfig, e: &Experiment, train: &Dataset) -> Result<(), String> {
    config.check_training(e.batch, optimizer_config(e)?.rule().state_slots(), true, train)
}
