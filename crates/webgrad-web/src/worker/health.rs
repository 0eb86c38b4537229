//! The layers' health while the page trains (`webgrad_nn::monitor`): every training step goes
//! through the monitor, which sums each layer's dead or saturated units, gradient norm and update
//! ratio on the device. A window is [`WINDOW`] steps or what is left of the epoch; at its end the
//! slice ends, the window is read (one small read, as the loss) and posted as
//! `FromWorker::Health` with the alerts that began with it. When the loss or a window turns
//! non-finite, the monitor traces the first layer and operation that did, and puts the trainer
//! back to the weights from before the step that broke it (`FromWorker::RolledBack`).

use webgrad_data::Dataset;
use webgrad_nn::monitor::{Alert, Alerts, Cleared, Divergence, Monitor, MonitorConfig, Reading};
use webgrad_nn::train::StepOutput;

use super::*;

/// Steps per window (a window also ends with its epoch): one health point per window.
pub(super) const WINDOW: u64 = 100;

/// The monitor of the current trainer and the alerts said so far.
pub(super) struct Health {
    monitor: Monitor,
    alerts: Alerts,
}

/// How a window ended.
pub(super) enum WindowEnd {
    /// its figures, the alerts that began with it and the conditions it found cleared
    Read(Reading, Vec<Alert>, Vec<Cleared>),
    /// a gradient norm or update ratio was NaN or infinite
    NonFinite,
    /// nothing to read (no step since the last window), or the read failed
    Nothing,
}

impl Health {
    /// Monitors for `t`'s model with the defaults of its device (one step in 20 on the CPU, 50
    /// on a GPU, looked at closely); `None` if the monitor cannot be made (it always can with
    /// these settings).
    pub fn new(t: &Trainer) -> Option<Health> {
        let monitor = Monitor::new(&t.model, MonitorConfig::for_device(t.model.device())).ok()?;
        Some(Health { monitor, alerts: Alerts::default() })
    }

    /// One monitored training step.
    pub fn step(&mut self, t: &mut Trainer, data: &Dataset) -> webgrad_nn::Result<StepOutput> {
        self.monitor.step(t, data)
    }

    pub fn window_full(&self) -> bool {
        self.monitor.steps_in_window() >= WINDOW
    }

    /// Reads the window (waiting for the device), ends it, and says what began with it;
    /// `lr` is the learning rate now, for the remedies.
    pub async fn end_window(&mut self, lr: f64) -> WindowEnd {
        let read = self.monitor.read();
        self.monitor.end_window();
        let Some(read) = read else { return WindowEnd::Nothing };
        match read.wait().await {
            Ok(r) if !r.is_finite() => WindowEnd::NonFinite,
            Ok(r) => {
                let said = self.alerts.update(&r, lr);
                WindowEnd::Read(r, said, self.alerts.cleared().to_vec())
            }
            // a failed read fails the loss read of the same slice too, which says why
            Err(_) => WindowEnd::Nothing,
        }
    }

    /// The trainer or its data changed outside a step (a weight, the learning rate, a point):
    /// the states kept from before cannot replay to it (`Monitor::forget`).
    pub fn forget(&mut self) {
        self.monitor.forget();
    }

    /// After a non-finite loss: the divergence traced and the trainer put back
    /// (`Monitor::recover`); `None` when no step since the kept state went non-finite.
    pub async fn recover(&mut self, t: &mut Trainer, data: &Dataset) -> Result<Option<Divergence>, String> {
        self.monitor.recover(t, data).await.map_err(|e| e.to_string())
    }
}

impl TrainerState {
    /// After a slice: when its window is full or its epoch ended, the window's figures go to the
    /// page; a non-finite one is a divergence.
    pub(super) async fn check_health(&mut self, epoch_ended: bool, post: &Post) {
        let Some(h) = self.health.as_mut() else { return };
        if !(epoch_ended || h.window_full()) {
            return;
        }
        let lr = self.trainer.as_ref().map_or(0.0, |t| t.optimizer.current_lr());
        match h.end_window(lr).await {
            WindowEnd::Read(reading, alerts, cleared) => post(FromWorker::Health { reading, alerts, cleared }),
            WindowEnd::NonFinite => {
                let step = self.trainer.as_ref().map_or(0, |t| t.optimizer.step);
                self.diverged(step, f64::NAN, post).await;
            }
            WindowEnd::Nothing => {}
        }
    }

    /// Training diverged (a non-finite loss at `step`, or a window's figures): the monitor
    /// puts the weights from before the step that broke it back and names the layer and
    /// operation; without it (or when it finds nothing to go back to) training just stops.
    pub(super) async fn diverged(&mut self, step: u64, loss: f64, post: &Post) -> (f64, bool) {
        let fallback = format!("training diverged at step {step} (loss {loss}); lower the learning rate and Reset");
        let recovered = match (self.health.as_mut(), self.trainer.as_mut(), self.data.as_ref()) {
            (Some(h), Some(t), Some(data)) => h.recover(t, &data.train).await,
            _ => Ok(None),
        };
        let (Ok(Some(d)), Some(t), Some(data)) = (recovered, self.trainer.as_ref(), self.data.as_ref()) else {
            self.fail(fallback, post);
            return (0.0, false);
        };
        self.epoch_loss = LossTally::default();
        let (step, epoch) = (t.optimizer.step, t.cursor.epoch);
        post(FromWorker::RolledBack { step, epoch, message: d.message() });
        at_rest(&t.model, step, epoch, data, post).await;
        if let Some(w) = diagram_weights(&t.model, true).await {
            post(w);
        }
        self.set_running(false, post);
        (0.0, false)
    }
}
