//! The throughput workloads of the benchmark suite, shared by the native `bench` example
//! (`cargo run --release -p webgrad-nn --example bench`) and the in-browser bench test
//! (`tests/bench_wasm.rs`), so both places time exactly the same code:
//!
//! - MNIST MLP 784-128-64-10 (ReLU, softmax cross-entropy, Adam lr 1e-3 eps 1e-8) on a given
//!   training set: one warm-up epoch, then samples/s as the median of epochs 2–4; and at batch
//!   64 with the health monitors on, beside the same run without them (`_monitor`: the overhead);
//! - the TensorFlow-Playground model 2-8-8-2 (tanh, batch 10) on the spiral set: steps/s;
//! - matmul `[m, k] · [k, n]`: GFLOP/s.
//!
//! Every training step reads its loss back (as a user-facing loop does), so no work can be
//! deferred past the clock. The caller supplies the clock and the machine load: `Instant` and
//! `/proc/loadavg` natively, `performance.now()` (and no load) in the browser.

use serde_json::json;
use webgrad_core::{Device, Rng, Tensor, no_grad};
use webgrad_data::Dataset;

use crate::config::{ActivationName, Head, Init, LayerConfig, MlpConfig};
use crate::loss::Loss;
use crate::model::Mlp;
use crate::monitor::{Monitor, MonitorConfig, Reading};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::schedule::Schedule;
use crate::train::{TrainConfig, Trainer};
use crate::{Error, Result};

/// Seconds from an arbitrary origin, monotonic: `Instant` natively, `performance.now()` in the
/// browser (windows and workers alike).
#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Seconds from an arbitrary origin, monotonic: `Instant` natively, `performance.now()` in the
/// browser (windows and workers alike).
#[cfg(target_arch = "wasm32")]
pub fn now() -> f64 {
    let get = |target: &js_sys::wasm_bindgen::JsValue, key: &str| {
        js_sys::Reflect::get(target, &key.into()).expect("performance.now is readable")
    };
    let performance = get(&js_sys::global(), "performance");
    let now = js_sys::Function::from(get(&performance, "now"));
    now.call0(&performance).expect("performance.now() runs").as_f64().expect("a number") / 1e3
}

/// Where a benchmark runs: its device, a label for the JSON rows, and how to read time and load.
pub struct BenchEnv<'a> {
    pub device: Device,
    /// e.g. "native" or "wasm"
    pub place: &'a str,
    /// Seconds from an arbitrary origin, monotonic.
    pub now: &'a dyn Fn() -> f64,
    /// The 1-, 5- and 15-minute load averages, where the platform has them.
    pub load: &'a dyn Fn() -> Option<[f64; 3]>,
    /// Seconds this thread has run on a CPU, where the platform tells (Linux: schedstat). On a
    /// shared machine wall time includes waits for the CPU; the rows then also give the rate
    /// per CPU-second, which other people's work does not dilute.
    pub cpu_time: Option<&'a dyn Fn() -> f64>,
}

/// One result: a workload, its headline value and unit, and details for the JSON line.
#[derive(Clone, Debug)]
pub struct BenchRow {
    pub workload: String,
    pub place: String,
    pub device: String,
    pub value: f64,
    pub unit: &'static str,
    /// Milliseconds per training step (training rows only).
    pub ms_per_step: Option<f64>,
    /// The load averages when the row finished.
    pub load: Option<[f64; 3]>,
    /// Extra fields of the JSON line (per-epoch figures, last loss, repeats…).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl BenchRow {
    /// The row as one JSON object on one line.
    pub fn to_json(&self) -> String {
        let mut obj = serde_json::Map::new();
        obj.insert("workload".into(), json!(self.workload));
        obj.insert("place".into(), json!(self.place));
        obj.insert("device".into(), json!(self.device));
        obj.insert("value".into(), json!(round(self.value, 1)));
        obj.insert("unit".into(), json!(self.unit));
        if let Some(ms) = self.ms_per_step {
            obj.insert("ms_per_step".into(), json!(round(ms, 4)));
        }
        obj.insert("load".into(), json!(self.load));
        obj.extend(self.details.clone());
        serde_json::Value::Object(obj).to_string()
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let s = 10f64.powi(digits);
    (x * s).round() / s
}

/// The median (the mean of the middle two for an even count); NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// A fixed-width table of rows (workload, value, ms/step, load).
pub fn table(rows: &[BenchRow]) -> String {
    let mut out = format!(
        "{:<24} {:<7} {:<22} {:>14} {:<10} {:>9} {:>16}\n",
        "workload", "place", "device", "value", "unit", "ms/step", "load 1/5/15 min"
    );
    for r in rows {
        let ms = r.ms_per_step.map(|m| format!("{m:.3}")).unwrap_or_else(|| "-".into());
        let load = r.load.map(|l| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2])).unwrap_or_else(|| "-".into());
        out += &format!(
            "{:<24} {:<7} {:<22} {:>14.1} {:<10} {:>9} {:>16}\n",
            r.workload, r.place, r.device, r.value, r.unit, ms, load
        );
    }
    out
}

fn mlp(input: usize, hidden: &[usize], act: ActivationName, classes: usize) -> MlpConfig {
    MlpConfig {
        input,
        hidden: hidden.iter().map(|&width| LayerConfig { width, activation: act, dropout: 0.0 }).collect(),
        head: Head::Softmax { classes },
        init: Init::GlorotUniform,
    }
}

fn adam() -> OptimizerConfig {
    OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
}

fn trainer(env: &BenchEnv<'_>, config: MlpConfig, batch: usize) -> Result<Trainer> {
    adam_trainer(&env.device, config, batch)
}

/// The benchmark's trainer of `config` (seed 1) on `device`: Adam at 1e-3, cross-entropy, at
/// `batch`, epochs without end (also the warm-up's, `warm_up.rs`).
pub(crate) fn adam_trainer(device: &Device, config: MlpConfig, batch: usize) -> Result<Trainer> {
    let model = Mlp::new(device, config, 1)?;
    let train = TrainConfig::new(batch, usize::MAX, 1, Loss::CrossEntropy { label_smoothing: 0.0 });
    Trainer::new(model, Optimizer::new(adam(), Schedule::Constant), train)
}

/// One step with the loss read back; errors on a non-finite loss.
async fn step(t: &mut Trainer, data: &Dataset) -> Result<(f32, bool)> {
    let out = t.step(data)?;
    let loss = finite(t, out.loss.item().await?)?;
    Ok((loss, out.epoch_finished))
}

/// `loss`, or an error if it is not finite (the run diverged at `t`'s step).
fn finite(t: &Trainer, loss: f32) -> Result<f32> {
    if !loss.is_finite() {
        return Err(Error::Config(format!("benchmark diverged at step {} (loss {loss})", t.optimizer.step)));
    }
    Ok(loss)
}

/// [`step`] for a device whose reads complete at once (`Backend::reads_at_once`), without awaiting.
fn step_now(t: &mut Trainer, data: &Dataset) -> Result<(f32, bool)> {
    let out = t.step(data)?;
    let loss =
        webgrad_core::ready_now(out.loss.item()).ok_or_else(|| Error::Config("a CPU read is pending".into()))??;
    Ok((finite(t, loss)?, out.epoch_finished))
}

/// One epoch of steps (the last one's loss): on the CPU on a pool thread, as the page's threaded
/// worker trains (`threads::on_pool`: the pool wakes once per epoch, not once per split GEMM).
async fn epoch(t: &mut Trainer, data: &Dataset) -> Result<f32> {
    let steps = |t: &mut Trainer| loop {
        let (loss, done) = step_now(t, data)?;
        if done {
            return Ok(loss);
        }
    };
    if t.model.device().reads_at_once() {
        // SAFETY: the CPU trainer holds no JS value, and the pool thread keeps nothing of it
        return unsafe { webgrad_core::cpu::threads::on_pool(|| steps(t)) };
    }
    loop {
        let (loss, done) = step(t, data).await?;
        if done {
            return Ok(loss);
        }
    }
}

/// MNIST MLP 784-128-64-10 on `train` (8,000 rows in the suite) at `batch`: epoch 1 warms up,
/// the row's value is the median samples/s of epochs 2–4.
pub async fn mnist_mlp(env: &BenchEnv<'_>, train: &Dataset, batch: usize) -> Result<BenchRow> {
    mnist_mlp_with(env, train, batch, Stepping::default()).await
}

/// How the trainer of [`mnist_mlp_with`] steps: the "befores" of plan once, replay many and of
/// the training set kept on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stepping {
    /// record a step and replay it (`Trainer::set_planning`); off, every step runs op by op
    /// and the row is named `…_op_by_op`
    pub planning: bool,
    /// where batches come from (`Trainer::set_resident_data`): `None` as the device prefers,
    /// `Some(false)` copied from host memory (the row is named `…_host_data`), `Some(true)`
    /// gathered from the training set on the device (`…_device_data`)
    pub resident: Option<bool>,
}

impl Default for Stepping {
    fn default() -> Self {
        Stepping { planning: true, resident: None }
    }
}

impl Stepping {
    /// The row name of the MNIST MLP at `batch` stepped this way, e.g. `mnist_mlp_b64_op_by_op`.
    pub fn workload(&self, batch: usize) -> String {
        let data = match self.resident {
            None => "",
            Some(false) => "_host_data",
            Some(true) => "_device_data",
        };
        format!("mnist_mlp_b{batch}{}{data}", if self.planning { "" } else { "_op_by_op" })
    }
}

/// [`mnist_mlp`] stepped as `how` says.
pub async fn mnist_mlp_with(env: &BenchEnv<'_>, train: &Dataset, batch: usize, how: Stepping) -> Result<BenchRow> {
    let mut t = trainer(env, mlp(train.d, &[128, 64], ActivationName::Relu, 10), batch)?;
    t.set_planning(how.planning);
    t.set_resident_data(how.resident);
    let (mut per_epoch, mut cpu_per_epoch, mut last_loss) = (Vec::new(), Vec::new(), f32::NAN);
    for _ in 0..4 {
        let (start, cpu_start) = ((env.now)(), env.cpu_time.map(|f| f()));
        last_loss = epoch(&mut t, train).await?;
        per_epoch.push((env.now)() - start);
        if let (Some(f), Some(c0)) = (env.cpu_time, cpu_start) {
            cpu_per_epoch.push(f() - c0);
        }
    }
    let steps = t.steps_per_epoch(train.n) as f64;
    let secs = median(&per_epoch[1..]);
    let mut details = serde_json::Map::new();
    details.insert("batch".into(), json!(batch));
    details.insert("first_epoch_samples_per_s".into(), json!(round(train.n as f64 / per_epoch[0], 1)));
    let rates: Vec<f64> = per_epoch.iter().map(|s| round(train.n as f64 / s, 1)).collect();
    details.insert("epoch_samples_per_s".into(), json!(rates));
    details.insert("last_loss".into(), json!(last_loss));
    details.insert("data_on_device".into(), json!(t.data_is_resident()));
    if cpu_per_epoch.len() == 4 {
        details.insert("cpu_samples_per_s".into(), json!(round(train.n as f64 / median(&cpu_per_epoch[1..]), 1)));
    }
    Ok(BenchRow {
        workload: how.workload(batch),
        place: env.place.into(),
        device: env.device.name(),
        value: train.n as f64 / secs,
        unit: "samples/s",
        ms_per_step: Some(1e3 * secs / steps),
        load: (env.load)(),
        details,
    })
}

/// The monitor's window in the MNIST row with monitoring, as `webgrad train --monitor` uses it:
/// 100 steps (and an epoch's end), read back and checked at its end.
pub const MONITOR_WINDOW: u64 = 100;

/// One monitored step with the loss read back; at the end of a window (or an epoch) the
/// monitor's figures are read too. Errors on a non-finite loss or figure.
async fn monitored_step(t: &mut Trainer, m: &mut Monitor, data: &Dataset) -> Result<(f32, bool)> {
    let out = m.step(t, data)?;
    let loss = finite(t, out.loss.item().await?)?;
    if m.steps_in_window() >= MONITOR_WINDOW || out.epoch_finished {
        if let Some(read) = m.read() {
            window_finite(t, read.wait().await?)?;
        }
        m.end_window();
    }
    Ok((loss, out.epoch_finished))
}

/// [`monitored_step`] for a device whose reads complete at once, without awaiting.
fn monitored_step_now(t: &mut Trainer, m: &mut Monitor, data: &Dataset) -> Result<(f32, bool)> {
    let pending = || Error::Config("a CPU read is pending".into());
    let out = m.step(t, data)?;
    let loss = finite(t, webgrad_core::ready_now(out.loss.item()).ok_or_else(pending)??)?;
    if m.steps_in_window() >= MONITOR_WINDOW || out.epoch_finished {
        if let Some(read) = m.read() {
            window_finite(t, webgrad_core::ready_now(read.wait()).ok_or_else(pending)??)?;
        }
        m.end_window();
    }
    Ok((loss, out.epoch_finished))
}

/// Errors if a window's figures are not finite (the run diverged by `t`'s step).
fn window_finite(t: &Trainer, r: Reading) -> Result<()> {
    if !r.is_finite() {
        return Err(Error::Config(format!("benchmark diverged by step {}", t.optimizer.step)));
    }
    Ok(())
}

/// Up to `steps` steps of `t` (through `m` when monitored), stopping at an epoch's end: the
/// last loss and whether the epoch ended. On the CPU on a pool thread, as [`epoch`].
async fn turn(t: &mut Trainer, mut m: Option<&mut Monitor>, data: &Dataset, steps: usize) -> Result<(f32, bool)> {
    let mut last = (f32::NAN, false);
    if t.model.device().reads_at_once() {
        let mut run = || {
            for _ in 0..steps {
                last = match m.as_deref_mut() {
                    Some(m) => monitored_step_now(t, m, data)?,
                    None => step_now(t, data)?,
                };
                if last.1 {
                    break;
                }
            }
            Ok(last)
        };
        // SAFETY: the CPU trainer and monitor hold no JS value, and the pool thread keeps
        // nothing of them
        return unsafe { webgrad_core::cpu::threads::on_pool(&mut run) };
    }
    for _ in 0..steps {
        last = match m.as_deref_mut() {
            Some(m) => monitored_step(t, m, data).await?,
            None => step(t, data).await?,
        };
        if last.1 {
            break;
        }
    }
    Ok(last)
}

/// [`mnist_mlp`] with the health monitors on (`monitor/`; the gradients and update of one step
/// in `every` looked at (`MonitorConfig::for_device` in the suite), units counted at every step,
/// windows of [`MONITOR_WINDOW`] steps), beside the same trainer without them. The two take turns
/// every 25 steps through each epoch (on the CPU each turn on a pool thread, as the page's
/// threaded worker trains), so both see the same machine load; after one warm-up
/// epoch each, 6 epochs each are timed. The row's value is the monitored samples/s (over those
/// epochs); `overhead_pct` is the median over the epochs of how much longer the monitored one
/// took (`cpu_overhead_pct`: the same in this thread's CPU time, where the platform tells).
pub async fn mnist_mlp_monitored(env: &BenchEnv<'_>, train: &Dataset, batch: usize, every: u32) -> Result<BenchRow> {
    const TURN: usize = 25;
    let config = || mlp(train.d, &[128, 64], ActivationName::Relu, 10);
    let mut plain = trainer(env, config(), batch)?;
    let mut watched = trainer(env, config(), batch)?;
    let mut m = Monitor::new(&watched.model, MonitorConfig { every, ..MonitorConfig::default() })?;
    let cpu_now = || env.cpu_time.map_or(f64::NAN, |f| f());
    // per timed epoch: [plain, monitored] wall and CPU seconds
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    let mut last_loss = f32::NAN;
    for epoch in 0..7 {
        let (mut w, mut c, mut done) = ([0.0f64; 2], [0.0f64; 2], [false; 2]);
        while !(done[0] && done[1]) {
            for which in 0..2 {
                if done[which] {
                    continue;
                }
                let (start, cpu_start) = ((env.now)(), cpu_now());
                let (loss, finished) = match which {
                    0 => turn(&mut plain, None, train, TURN).await?,
                    _ => turn(&mut watched, Some(&mut m), train, TURN).await?,
                };
                (last_loss, done[which]) = (loss, finished);
                w[which] += (env.now)() - start;
                c[which] += cpu_now() - cpu_start;
            }
        }
        if epoch > 0 {
            wall.push(w);
            cpu.push(c);
        }
    }
    let overhead =
        |t: &[[f64; 2]]| round(100.0 * (median(&t.iter().map(|x| x[1] / x[0]).collect::<Vec<_>>()) - 1.0), 1);
    let total = |t: &[[f64; 2]], i: usize| t.iter().map(|x| x[i]).sum::<f64>();
    let epochs = wall.len() as f64;
    let mut details = serde_json::Map::new();
    details.insert("batch".into(), json!(batch));
    details.insert("monitor_every".into(), json!(every));
    details.insert("plain_samples_per_s".into(), json!(round(epochs * train.n as f64 / total(&wall, 0), 1)));
    details.insert("overhead_pct".into(), json!(overhead(&wall)));
    if env.cpu_time.is_some() {
        details.insert("cpu_overhead_pct".into(), json!(overhead(&cpu)));
    }
    details.insert("last_loss".into(), json!(last_loss));
    let secs = total(&wall, 1) / epochs;
    Ok(BenchRow {
        workload: format!("mnist_mlp_b{batch}_monitor"),
        place: env.place.into(),
        device: env.device.name(),
        value: train.n as f64 / secs,
        unit: "samples/s",
        ms_per_step: Some(1e3 * secs / watched.steps_per_epoch(train.n) as f64),
        load: (env.load)(),
        details,
    })
}

/// Runs `f` `reps` times and returns the seconds it took.
async fn timed<F: AsyncFnMut() -> Result<()>>(env: &BenchEnv<'_>, reps: usize, mut f: F) -> Result<f64> {
    let start = (env.now)();
    for _ in 0..reps {
        f().await?;
    }
    Ok((env.now)() - start)
}

/// `reps` products `a · b` `[m, k] · [k, n]`, timed (seconds), and the last one's first value,
/// read back each time to make the device finish it. On the CPU they run on a pool thread with
/// the pool awake (`threads::on_pool`), as the page's training steps do: a split product's
/// other part starts at once rather than after a sleeping thread wakes.
async fn products(env: &BenchEnv<'_>, a: &Tensor, b: &Tensor, reps: usize) -> Result<(f64, f32)> {
    let first = |c: Tensor| c.reshape(&[c.numel()]).slice(0, 0, 1);
    if env.device.reads_at_once() {
        let run = || -> Result<f32> {
            let mut check = f32::NAN;
            for _ in 0..reps {
                let read = webgrad_core::ready_now(first(no_grad(|| a.matmul(b))).item());
                check = read.ok_or_else(|| Error::Config("a CPU read is pending".into()))??;
            }
            Ok(check)
        };
        let start = (env.now)();
        // SAFETY: the CPU tensors hold no JS value, and the pool thread keeps nothing of them
        let check = unsafe { webgrad_core::cpu::threads::on_pool(run) }?;
        return Ok(((env.now)() - start, check));
    }
    let (start, mut check) = ((env.now)(), f32::NAN);
    for _ in 0..reps {
        check = first(no_grad(|| a.matmul(b))).item().await?;
    }
    Ok(((env.now)() - start, check))
}

/// How many repetitions of something that took `secs` fill about `target` seconds.
fn reps_for(secs: f64, target: f64) -> usize {
    ((target / secs.max(1e-9)).ceil() as usize).clamp(1, 1_000_000)
}

/// The TensorFlow-Playground model 2-8-8-2 (tanh, batch 10) on a 500-point spiral: steps/s as
/// the median of 5 samples of about 0.2 s each, after one warm-up sample.
pub async fn playground(env: &BenchEnv<'_>) -> Result<BenchRow> {
    let data = webgrad_data::synthetic::spiral(500, 0.0, 1);
    let mut t = trainer(env, mlp(2, &[8, 8], ActivationName::Tanh, 2), 10)?;
    let mut last_loss = f32::NAN;
    let warm = timed(env, 200, async || {
        last_loss = step(&mut t, &data).await?.0;
        Ok(())
    })
    .await?;
    let reps = reps_for(warm / 200.0, 0.2);
    let mut rates = Vec::new();
    for _ in 0..5 {
        let secs = timed(env, reps, async || {
            last_loss = step(&mut t, &data).await?.0;
            Ok(())
        })
        .await?;
        rates.push(reps as f64 / secs);
    }
    let value = median(&rates);
    let mut details = serde_json::Map::new();
    details.insert("batch".into(), json!(10));
    details.insert("last_loss".into(), json!(last_loss));
    Ok(BenchRow {
        workload: "playground_2-8-8-2_b10".into(),
        place: env.place.into(),
        device: env.device.name(),
        value,
        unit: "steps/s",
        ms_per_step: Some(1e3 / value),
        load: (env.load)(),
        details,
    })
}

/// `[m, k] · [k, n]` (both row-major, no transposes) through `Tensor::matmul`: GFLOP/s (2mkn
/// flops per product) as the median of 5 samples of about 0.25 s each, after a warm-up.
pub async fn matmul(env: &BenchEnv<'_>, m: usize, k: usize, n: usize) -> Result<BenchRow> {
    let mut rng = Rng::new(7);
    let mut random = |len: usize| (0..len).map(|_| rng.uniform_range(-1.0, 1.0)).collect::<Vec<f32>>();
    let a = Tensor::from_slice(&env.device, &random(m * k), &[m, k])?;
    let b = Tensor::from_slice(&env.device, &random(k * n), &[k, n])?;
    let (warm, _) = products(env, &a, &b, 1).await?;
    let reps = reps_for(warm, 0.25);
    let (mut rates, mut check) = (Vec::new(), f32::NAN);
    for _ in 0..5 {
        let (secs, first) = products(env, &a, &b, reps).await?;
        rates.push(2.0 * (m * k * n) as f64 * reps as f64 / secs / 1e9);
        check = first;
    }
    let mut details = serde_json::Map::new();
    details.insert("m".into(), json!(m));
    details.insert("k".into(), json!(k));
    details.insert("n".into(), json!(n));
    details.insert("check".into(), json!(check));
    Ok(BenchRow {
        workload: format!("matmul_{m}x{k}x{n}"),
        place: env.place.into(),
        device: env.device.name(),
        value: median(&rates),
        unit: "GFLOP/s",
        ms_per_step: None,
        load: (env.load)(),
        details,
    })
}

/// The suite's workloads, in the order they run.
pub const WORKLOADS: [&str; 6] = [
    "mnist_mlp_b64",
    "mnist_mlp_b64_monitor",
    "mnist_mlp_b256",
    "playground_2-8-8-2_b10",
    "matmul_1024x1024x1024",
    "matmul_64x784x128",
];

/// Runs one workload of [`WORKLOADS`] by name (`mnist_train` is the bundled 8,000-image split).
pub async fn run(env: &BenchEnv<'_>, mnist_train: &Dataset, workload: &str) -> Result<BenchRow> {
    match workload {
        "mnist_mlp_b64" => mnist_mlp(env, mnist_train, 64).await,
        "mnist_mlp_b64_monitor" => {
            let every = MonitorConfig::for_device(&env.device).every;
            mnist_mlp_monitored(env, mnist_train, 64, every).await
        }
        "mnist_mlp_b256" => mnist_mlp(env, mnist_train, 256).await,
        "playground_2-8-8-2_b10" => playground(env).await,
        "matmul_1024x1024x1024" => matmul(env, 1024, 1024, 1024).await,
        "matmul_64x784x128" => matmul(env, 64, 784, 128).await,
        other => Err(Error::Config(format!("unknown workload '{other}' (expected one of {})", WORKLOADS.join(", ")))),
    }
}
