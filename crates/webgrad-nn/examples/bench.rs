//! Native benchmark of webgrad itself (CPU: 1 thread): prints one JSON line per result, then a table.
//!
//! ```text
//! cargo run --release -p webgrad-nn --example bench -- [--repeat N] [--only SUBSTRING] [--kernel NAME]
//!     [--backend cpu|wgpu] [--no-plan] [--data host|device] [--monitor-every N] [--threads N]
//! ```
//! `--threads N` runs the CPU rows on N threads (default 1; 0: one per core) and reports them at
//! the place "native-threads" where N > 1. `--repeat N` runs each workload N times and reports the median of the N values (each run's
//! value is kept in the JSON line as `repeats`). `--only` keeps the workloads whose name contains
//! the substring. `--kernel` picks a GEMM micro-kernel by name (default: the best this CPU has).
//! `--backend wgpu` runs the workloads on the GPU (Vulkan/Metal/DX12; lavapipe on a machine
//! without one). `--no-plan` runs the MNIST steps op by op instead of replaying a recorded step;
//! `--data host|device` copies each MNIST batch from host memory, or gathers it from the training
//! set kept on the device, whichever the device would prefer (`Trainer::set_resident_data`).
//! `--monitor-every N` makes the `mnist_mlp_b64_monitor` row look at one step in N (default: the
//! monitor's default for the device: 20 on the CPU, 50 on a GPU). The same workloads run in headless Chromium through `tests/bench_wasm.rs`.

#[cfg(not(target_arch = "wasm32"))]
use {
    webgrad_core::CpuBackend,
    webgrad_core::cpu::microkernel,
    webgrad_nn::bench::{self, BenchEnv, BenchRow},
};

#[cfg(not(target_arch = "wasm32"))]
fn loadavg() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|s| s.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

#[cfg(not(target_arch = "wasm32"))]
/// Nanoseconds this thread has been on a CPU (first field of /proc/thread-self/schedstat).
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

#[cfg(not(target_arch = "wasm32"))]
struct Options {
    repeat: usize,
    only: Option<String>,
    kernel: Option<String>,
    gpu: bool,
    planning: bool,
    resident: Option<bool>,
    monitor_every: Option<u32>,
    /// CPU threads; `None`: one per core
    threads: Option<usize>,
}

#[cfg(not(target_arch = "wasm32"))]
fn options() -> Result<Options, String> {
    let mut o = Options {
        repeat: 1,
        only: None,
        kernel: None,
        gpu: false,
        planning: true,
        resident: None,
        monitor_every: None,
        threads: Some(1),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--repeat" => o.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--only" => o.only = Some(value()?),
            "--kernel" => o.kernel = Some(value()?),
            "--backend" => {
                o.gpu = match value()?.as_str() {
                    "cpu" => false,
                    "wgpu" => true,
                    other => return Err(format!("unknown --backend '{other}' (expected cpu or wgpu)")),
                }
            }
            "--no-plan" => o.planning = false,
            "--threads" => {
                o.threads = Some(value()?.parse().map_err(|e| format!("--threads: {e}"))?);
            }
            "--monitor-every" => {
                let every = value()?.parse().map_err(|e| format!("--monitor-every: {e}"))?;
                if every == 0 {
                    return Err("--monitor-every must be at least 1".into());
                }
                o.monitor_every = Some(every);
            }
            "--data" => {
                o.resident = match value()?.as_str() {
                    "host" => Some(false),
                    "device" => Some(true),
                    other => return Err(format!("--data {other}: expected host or device")),
                }
            }
            other => {
                return Err(format!(
                    "unknown argument '{other}' (expected --repeat, --only, --kernel, --backend, --no-plan, --data, \
                     --monitor-every, --threads)"
                ));
            }
        }
    }
    o.repeat = o.repeat.max(1);
    Ok(o)
}

#[cfg(not(target_arch = "wasm32"))]
/// The median row of several runs of one workload, with every run's value in `repeats`.
fn merge(runs: Vec<BenchRow>) -> BenchRow {
    let values: Vec<f64> = runs.iter().map(|r| r.value).collect();
    let mid = bench::median(&values);
    let mut best = runs
        .into_iter()
        .min_by(|a, b| (a.value - mid).abs().total_cmp(&(b.value - mid).abs()))
        .expect("at least one run");
    if values.len() > 1 {
        if let Some(ms) = best.ms_per_step.as_mut() {
            *ms *= best.value / mid;
        }
        best.value = mid;
        let rounded: Vec<f64> = values.iter().map(|v| (v * 10.0).round() / 10.0).collect();
        best.details.insert("repeats".into(), serde_json::json!(rounded));
    }
    best
}

#[cfg(not(target_arch = "wasm32"))]
fn run(o: Options, threads: usize) -> Result<(), String> {
    let backend = match &o.kernel {
        None => CpuBackend::new(),
        Some(name) => CpuBackend::with_kernel(
            microkernel::available()
                .into_iter()
                .find(|k| k.name == name)
                .ok_or(format!("kernel '{name}' is not available on this CPU"))?,
        ),
    };
    let device: webgrad_core::Device = if o.gpu {
        pollster::block_on(webgrad_wgpu::WgpuBackend::device()).map_err(|e| format!("--backend wgpu: {e}"))?
    } else {
        std::rc::Rc::new(backend)
    };
    // the GPU's work runs on other threads (lavapipe's) or on the GPU: this thread's CPU time
    // says nothing about it
    // (and with threads, the pool's)
    let has_schedstat = thread_cpu_seconds().is_finite() && !o.gpu && threads == 1;
    let cpu_time: Option<&dyn Fn() -> f64> = if has_schedstat { Some(&thread_cpu_seconds) } else { None };
    let place = if threads > 1 && !o.gpu { "native-threads" } else { "native" };
    let env = BenchEnv { device, place, now: &bench::now, load: &loadavg, cpu_time };
    let dir = webgrad_data::find_mnist_dir().ok_or("the bundled MNIST files (assets/mnist) were not found")?;
    let (train, _) = webgrad_data::load_mnist_dir(&dir).map_err(|e| e.to_string())?;
    let wanted = |name: &str| o.only.as_deref().is_none_or(|s| name.contains(s));
    let mut rows = Vec::new();
    for name in bench::WORKLOADS.into_iter().filter(|name| wanted(name)) {
        let runs = (0..o.repeat)
            .map(|_| {
                pollster::block_on(async {
                    match name.strip_prefix("mnist_mlp_b").and_then(|b| b.parse().ok()) {
                        None if name == "mnist_mlp_b64_monitor"
                            && let Some(every) = o.monitor_every =>
                        {
                            bench::mnist_mlp_monitored(&env, &train, 64, every).await
                        }
                        Some(batch) if !o.planning || o.resident.is_some() => {
                            let how = bench::Stepping { planning: o.planning, resident: o.resident };
                            bench::mnist_mlp_with(&env, &train, batch, how).await
                        }
                        _ => bench::run(&env, &train, name).await,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{name}: {e}"))?;
        let mut row = merge(runs);
        if !o.gpu {
            row.details.insert("threads".into(), serde_json::json!(threads));
        }
        println!("{}", row.to_json());
        rows.push(row);
    }
    print!("\n{}", bench::table(&rows));
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use webgrad_core::cpu::threads;
    let result = options().and_then(|o| {
        let n = threads::init(o.threads).map_err(|e| format!("--threads: {e}"))?;
        threads::install(|| run(o, n))
    });
    if let Err(e) = result {
        eprintln!("bench: error: {e}");
        std::process::exit(1);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // in a browser the same workloads run as tests/bench_wasm.rs
}
