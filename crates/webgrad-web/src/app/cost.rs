//! What a model costs before Train is pressed, for the form's experiment on the loaded data's
//! shape: parameters and training memory, the FLOPs of one step (forward and backward), the time
//! an epoch should take on the current device (from the FLOP rate its last run measured) and
//! whether it fits the memory budget and the device's largest buffer. The model's own formulas
//! (`MlpConfig`); no DOM here.

use webgrad_nn::{Init, MlpConfig};

use super::state::thousands;
use crate::protocol::{DataSummary, Experiment, HiddenLayer};

/// The device the worker trains on: its name and, for a GPU, its largest buffer in bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceInfo {
    pub backend: String,
    pub buffer_limit: Option<u64>,
}

/// FLOPs per second a run measured on a device (the model's step FLOPs × its samples/s).
#[derive(Clone, Debug, PartialEq)]
pub struct FlopRate {
    pub backend: String,
    pub flops_per_sec: f64,
}

/// The cost in words: `size` (parameters and memory), `step` (FLOPs and time), and why it does
/// not fit, if it does not.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    pub size: String,
    pub step: String,
    pub fits: Result<(), String>,
}

/// The experiment's model on the loaded data's shape and the worker's head.
pub fn model_config(summary: &DataSummary, e: &Experiment) -> MlpConfig {
    let hidden = e.layers.iter().map(HiddenLayer::config).collect();
    MlpConfig { input: summary.features, hidden, head: summary.head.clone(), init: Init::GlorotUniform }
}

/// FLOPs of one sample's training step (forward + backward) of `cfg`.
pub fn flops_per_sample(cfg: &MlpConfig) -> f64 {
    let (forward, backward) = cfg.step_flops(1);
    forward as f64 + backward as f64
}

fn bytes(b: u64) -> String {
    match b as f64 {
        b if b < 1e6 => format!("{:.0} KB", (b / 1e3).max(1.0)),
        b if b < 1e9 => format!("{:.1} MB", b / 1e6),
        b => format!("{:.1} GB", b / 1e9),
    }
}

/// 2.1e9 → "2.1 G"; for FLOP counts and rates.
fn si(v: f64) -> String {
    match v {
        v if v >= 1e12 => format!("{:.1} T", v / 1e12),
        v if v >= 1e9 => format!("{:.1} G", v / 1e9),
        v if v >= 1e6 => format!("{:.1} M", v / 1e6),
        v if v >= 1e3 => format!("{:.1} k", v / 1e3),
        v => format!("{v:.0} "),
    }
}

/// "About 2.0 s", "About 40 ms", "Under 1 ms".
fn about_seconds(s: f64) -> String {
    match s {
        s if s < 0.0005 => "Under 1 ms".into(),
        s => format!("About {}", seconds(s)),
    }
}

fn seconds(s: f64) -> String {
    match s {
        s if s < 0.1 => format!("{:.0} ms", 1000.0 * s),
        s if s < 120.0 => format!("{s:.1} s"),
        s => format!("{:.0} min", s / 60.0),
    }
}

/// The cost of training `e`'s model on data like `summary`, on `device` when known, timed with
/// `rate` when it was measured on that device. `applied`: the worker's model has this shape.
pub fn cost(
    summary: &DataSummary,
    e: &Experiment,
    applied: bool,
    device: Option<&DeviceInfo>,
    rate: Option<&FlopRate>,
) -> Cost {
    let cfg = model_config(summary, e);
    let batch = e.batch.max(1);
    let slots = e.optimizer.config().rule().state_slots();
    // the page always monitors the layers' health (as the worker's `check_training` counts it)
    let memory = cfg.training_memory_bytes(batch, slots).saturating_add(cfg.monitor_memory_bytes(batch, slots));
    let note = if applied { "" } else { " — Reset or Train to apply" };
    let size = format!(
        "{} parameters · about {} to train (batch {batch}, {}){note}",
        thousands(cfg.parameter_count()),
        bytes(memory),
        e.optimizer.name()
    );
    let (forward, backward) = cfg.step_flops(batch);
    let mut step = format!(
        "One step: {}FLOP forward + {}FLOP backward; weights {}, a batch's activations {}.",
        si(forward as f64),
        si(backward as f64),
        bytes(cfg.parameter_bytes()),
        bytes(cfg.activation_memory_bytes(batch))
    );
    let epoch_flops = flops_per_sample(&cfg) * summary.train_rows as f64;
    match (device, rate) {
        (Some(d), Some(r)) if r.backend == d.backend && r.flops_per_sec > 0.0 => {
            step += &format!(
                " {} per epoch of {} rows on {}, at the {}FLOP/s its last run measured.",
                about_seconds(epoch_flops / r.flops_per_sec),
                thousands(summary.train_rows),
                d.backend,
                si(r.flops_per_sec)
            )
        }
        (Some(d), _) => {
            step += &format!(" Train once on {} to measure its speed and see the time per epoch.", d.backend)
        }
        (None, _) => {}
    }
    let data = 4u64.saturating_mul(summary.train_rows as u64).saturating_mul(summary.features as u64);
    // as the worker's `check_training` checks it when Train is pressed: the batch, then memory
    let fits = cfg.validate().and_then(|()| webgrad_nn::config::check_batch(e.batch, summary.train_rows));
    let fits = fits.and_then(|()| cfg.check_memory(batch, slots, true, data)).and_then(|()| {
        match device.and_then(|d| d.buffer_limit.map(|l| (l, &d.backend))) {
            Some((limit, name)) => cfg.check_buffer_limit(limit, name, batch),
            None => Ok(()),
        }
    });
    Cost { size, step, fits }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mnist() -> DataSummary {
        DataSummary {
            name: "mnist".into(),
            train_rows: 8000,
            test_rows: 2000,
            features: 784,
            class_names: (0..10).map(|c| c.to_string()).collect(),
            points: Vec::new(),
            plane: false,
            inputs: Vec::new(),
            preview: None,
            image_shape: Some((28, 28)),
            head: webgrad_nn::Head::Softmax { classes: 10 },
            missing_cells: None,
        }
    }

    #[test]
    fn the_mnist_mlp_costs_what_its_formulas_say() {
        let e = Experiment::defaults_for("mnist");
        let c = cost(&mnist(), &e, true, None, None);
        // 784·128+128 + 128·64+64 + 64·10+10
        assert!(c.size.starts_with("109,386 parameters · about "), "{}", c.size);
        assert!(c.size.ends_with("(batch 64, adam)"), "{}", c.size);
        assert!(cost(&mnist(), &e, false, None, None).size.ends_with("Reset or Train to apply"));
        // forward 2·64·109,184 = 14.0 M; backward 2·64·(2·109,184 − 100,352) = 15.1 M; weights
        // 4·109,386 B; activations 4·2·64·(784 + 128 + 64 + 2·10) B
        assert_eq!(
            c.step,
            "One step: 14.0 MFLOP forward + 15.1 MFLOP backward; weights 438 KB, a batch's activations 510 KB."
        );
        assert_eq!(c.fits, Ok(()));
    }

    #[test]
    fn time_per_epoch_comes_from_the_rate_measured_on_the_same_device() {
        let e = Experiment::defaults_for("mnist");
        let cpu = DeviceInfo { backend: "cpu (simd128)".into(), buffer_limit: None };
        let per_epoch = flops_per_sample(&model_config(&mnist(), &e)) * 8000.0;
        // a rate that makes one epoch take 2 s
        let rate = FlopRate { backend: cpu.backend.clone(), flops_per_sec: per_epoch / 2.0 };
        let c = cost(&mnist(), &e, true, Some(&cpu), Some(&rate));
        assert!(
            c.step.ends_with(
                "About 2.0 s per epoch of 8,000 rows on cpu (simd128), at the 1.8 GFLOP/s its last run measured."
            ),
            "{}",
            c.step
        );
        // a tiny model's epoch: not "About 0 ms"
        let fast = FlopRate { backend: cpu.backend.clone(), flops_per_sec: per_epoch * 10_000.0 };
        let c = cost(&mnist(), &e, true, Some(&cpu), Some(&fast));
        assert!(c.step.contains(" Under 1 ms per epoch of 8,000 rows"), "{}", c.step);
        let gpu = DeviceInfo { backend: "wgpu".into(), buffer_limit: Some(1 << 30) };
        let c = cost(&mnist(), &e, true, Some(&gpu), Some(&rate));
        assert!(c.step.ends_with("Train once on wgpu to measure its speed and see the time per epoch."), "{}", c.step);
    }

    #[test]
    fn a_model_over_a_limit_does_not_fit_and_says_why() {
        let mut e = Experiment::defaults_for("mnist");
        // a 4096-wide first layer: the evaluation's 2,304 rows × 4,096 units, 37.7 MB, in one buffer
        e.layers[0].width = 4096;
        let small_gpu = DeviceInfo { backend: "wgpu (a small adapter)".into(), buffer_limit: Some(8 << 20) };
        let c = cost(&mnist(), &e, true, Some(&small_gpu), None);
        let why = c.fits.unwrap_err();
        assert!(
            why.starts_with("the model's largest buffer needs 37.7 MB on wgpu (a small adapter); the limit is"),
            "{why}"
        );
        assert_eq!(cost(&mnist(), &e, true, None, None).fits, Ok(()), "the CPU has no buffer limit");
        // a batch over the training rows is refused by Train for that, before its memory
        e.batch = 1 << 20;
        let c = cost(&mnist(), &e, true, None, None);
        assert_eq!(c.fits, Err("batch size 1048576 is larger than the 8000 training rows".into()));
        assert!(c.size.contains(" GB to train"), "{}", c.size);
        // two layers of 65,536 units: 4.3G weights, over the budget of any machine
        e.batch = 8000;
        e.layers[0].width = 65_536;
        e.layers[1].width = 65_536;
        let c = cost(&mnist(), &e, true, None, None);
        assert!(c.fits.as_ref().is_err_and(|w| w.starts_with("training needs")), "{:?} {}", c.fits, c.size);
    }
}
