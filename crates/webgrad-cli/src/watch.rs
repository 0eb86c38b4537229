//! `webgrad train --monitor`: the health monitors of `webgrad_nn::monitor` around the training
//! loop. A window is [`WINDOW`] steps, or what is left of the epoch; at its end its figures are
//! read (they go into the epoch table) and turned into alerts. Every `--log-json` line carries
//! the figures of the window so far. When the loss or a window's figures turn non-finite the run
//! is traced back to its first non-finite layer and operation, and stops with that sentence; the
//! weights from before the step that broke it go to `--checkpoint`, if given, to resume from
//! with a lower `--lr`.

use webgrad_data::Dataset;
use webgrad_nn::monitor::{Alerts, LayerReading, Monitor, MonitorConfig, PendingReading, Reading};
use webgrad_nn::{ModelFile, Trainer, checkpoint};

use crate::CliResult;

/// Steps per monitor window (a window also ends with its epoch).
pub const WINDOW: u64 = 100;

pub struct Watch {
    pub monitor: Monitor,
    alerts: Alerts,
    /// the figures of the last window that ended (the epoch table shows its epoch's last)
    pub last: Option<Reading>,
}

/// How a window ended.
pub enum WindowEnd {
    /// its figures were finite; the alerts that began with it and the conditions it found
    /// cleared, as sentences
    Alerts(Vec<String>),
    /// a gradient norm or update ratio was NaN or infinite
    NonFinite,
}

impl Watch {
    /// Monitors for `trainer`'s model, looking at one step in `every` (`--monitor-every`).
    pub fn new(trainer: &Trainer, every: Option<u32>) -> CliResult<Watch> {
        let defaults = MonitorConfig::for_device(trainer.model.device());
        let every = every.unwrap_or(defaults.every);
        if every == 0 {
            return Err("--monitor-every must be at least 1".into());
        }
        let config = MonitorConfig { every, ..defaults };
        let monitor = Monitor::new(&trainer.model, config).map_err(|e| e.to_string())?;
        Ok(Watch { monitor, alerts: Alerts::default(), last: None })
    }

    /// Whether the window should end after a step (full, or the epoch finished).
    pub fn window_full(&self, epoch_finished: bool) -> bool {
        epoch_finished || self.monitor.steps_in_window() >= WINDOW
    }

    /// Reads the window (waiting for the device), ends it, and says what began with it.
    pub fn end_window(&mut self, trainer: &Trainer) -> CliResult<WindowEnd> {
        let Some(read) = self.monitor.read() else {
            self.monitor.end_window();
            return Ok(WindowEnd::Alerts(Vec::new()));
        };
        self.monitor.end_window();
        let reading = pollster::block_on(read.wait()).map_err(|e| e.to_string())?;
        if !reading.is_finite() {
            return Ok(WindowEnd::NonFinite);
        }
        let lr = trainer.optimizer.current_lr();
        let mut said: Vec<String> = self.alerts.update(&reading, lr).into_iter().map(|a| a.message).collect();
        said.extend(self.alerts.cleared().iter().map(|c| c.message(reading.layers.len())));
        self.last = Some(reading);
        Ok(WindowEnd::Alerts(said))
    }

    /// After a non-finite loss (`fallback` says so): traces it with `Monitor::recover`, which
    /// leaves the trainer at the weights from before the step that broke it, saves that state to
    /// `checkpoint` when given, and returns the sentence to stop with.
    pub fn diverged(
        &mut self,
        trainer: &mut Trainer,
        train: &Dataset,
        checkpoint: Option<&str>,
        model_file: &ModelFile,
        fallback: String,
    ) -> String {
        let d = match pollster::block_on(self.monitor.recover(trainer, train)) {
            Ok(Some(d)) => d,
            Ok(None) => return fallback,
            Err(e) => return format!("{fallback} (the monitor could not trace it: {e})"),
        };
        let lower = d.lr / 10.0;
        let kept = match checkpoint {
            Some(path) => {
                let saved = pollster::block_on(checkpoint::save(trainer, model_file)).map_err(|e| e.to_string());
                match saved.and_then(|bytes| crate::atomic::write(path, &bytes)) {
                    Ok(()) => format!("they are in {path}: add --resume {path} --lr {lower} to go on"),
                    Err(e) => format!("they could not be saved: {e}"),
                }
            }
            None => "add --checkpoint FILE to keep them for --resume".into(),
        };
        format!("{} ({kept})", d.message())
    }
}

/// The figures of `r` as fields of a `--log-json` line (each starting with a comma): one array
/// entry per hidden layer, null where the figure does not apply. `hidden`: the hidden layer count,
/// for the nulls when there is no reading.
pub fn json_fields(r: Option<&Reading>, hidden: usize) -> String {
    let layers = r.map_or(&[][..], Reading::hidden);
    let array = |f: fn(&LayerReading) -> Option<f64>| {
        let values: Vec<Option<f32>> = match layers.len() {
            0 => vec![None; hidden],
            _ => layers.iter().map(|l| f(l).map(|v| v as f32)).collect(),
        };
        serde_json::to_string(&values).expect("numbers and nulls serialise")
    };
    format!(
        ",\"dead_fraction\":{},\"saturated_fraction\":{},\"grad_norm\":{},\"update_ratio\":{}",
        array(|l| l.dead_fraction),
        array(|l| l.saturated_fraction),
        array(|l| Some(l.grad_norm)),
        array(|l| Some(l.update_ratio))
    )
}

/// The epoch table's monitor column: per hidden layer (joined by "/") the dead or saturated
/// share, the gradient norm and the update ratio of the epoch's last window.
pub fn table_cell(r: Option<&Reading>) -> String {
    let Some(r) = r else { return "-".into() };
    let layers = r.hidden();
    let join = |f: &dyn Fn(&LayerReading) -> String| layers.iter().map(f).collect::<Vec<_>>().join("/");
    let share = |f: Option<f64>| f.map_or("-".into(), |f| format!("{:.0}%", 100.0 * f));
    let mut parts = Vec::new();
    if layers.iter().any(|l| l.dead_fraction.is_some()) {
        parts.push(format!("dead {}", join(&|l| share(l.dead_fraction))));
    }
    if layers.iter().any(|l| l.saturated_fraction.is_some()) {
        parts.push(format!("sat {}", join(&|l| share(l.saturated_fraction))));
    }
    parts.push(format!("gn {}", join(&|l| format!("{:.1e}", l.grad_norm))));
    parts.push(format!("upd {}", join(&|l| format!("{:.1e}", l.update_ratio))));
    parts.join("  ")
}

/// A started read of the window so far for a `--log-json` line (`None` when not logging or not
/// monitoring).
pub fn peek(watch: Option<&Watch>, logging: bool) -> Option<PendingReading> {
    watch.filter(|_| logging).and_then(|w| w.monitor.read())
}
