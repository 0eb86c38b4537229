//! webgrad-nn: the model, loss, optimizer, schedule, metrics and checkpoint layer shared by the
//! CLI and the web app. Device-agnostic: everything runs through `webgrad_core::Tensor`.

pub mod backend_choice;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod gradcheck;
pub mod inspect;
pub mod io;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod monitor;
pub mod optim;
mod plan;
mod resident;
pub mod schedule;
mod snapshot;
pub mod torch_project;
pub mod train;
pub mod warm_up;

pub use backend_choice::BackendChoice;
pub use config::{ActivationName, Head, Init, LayerConfig, MlpConfig};
pub use io::{ModelFile, Preprocessing};
pub use loss::Loss;
pub use model::{Linear, Mlp};
pub use monitor::{Alert, Alerts, Divergence, Monitor, MonitorConfig, Reading};
pub use optim::{Optimizer, OptimizerConfig, OptimizerName};
pub use schedule::{Schedule, SchedulePreset, run_steps};
pub use snapshot::Snapshot;
pub use train::{
    Evaluation, LossSummary, LossTally, PendingLoss, Report, TrainConfig, Trainer, evaluate, evaluate_scaled,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Format(String),
    #[error(transparent)]
    Core(#[from] webgrad_core::Error),
    #[error(transparent)]
    Data(#[from] webgrad_data::DataError),
}

pub type Result<T> = std::result::Result<T, Error>;
