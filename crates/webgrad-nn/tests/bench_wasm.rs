//! The benchmark suite (`webgrad_nn::bench`) in headless Chromium: wasm simd128, in a dedicated
//! worker as the playground trains; one thread, or built with atomics a pool of one per core
//! (`scripts/bench-wasm.sh --threads`, place "wasm-threads"). Not part of the normal test run (`test = false` in
//! Cargo.toml); run it on demand, built as the page is (profile wasm-release), and read the JSON
//! lines:
//!
//! ```text
//! WASM_BINDGEN_TEST_TIMEOUT=900 cargo test --profile wasm-release -p webgrad-nn \
//!     --target wasm32-unknown-unknown --test bench_wasm -- --nocapture
//! ```
//! Set at build time: `WEBGRAD_BENCH_ONLY=<substring>` keeps the matching workloads;
//! `WEBGRAD_BENCH_KERNELS=all` runs every SIMD micro-kernel compiled in.
//! `scripts/bench-wasm.sh` runs it twice (default V8 flags, then `--js-flags=--no-liftoff`) and
//! fills in the machine load, which a browser cannot read.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use webgrad_nn::bench::{self, BenchEnv};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const MNIST: [&[u8]; 4] = [
    include_bytes!("../../../assets/mnist/train-images-idx3-ubyte.gz"),
    include_bytes!("../../../assets/mnist/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../../assets/mnist/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../../assets/mnist/t10k-labels-idx1-ubyte.gz"),
];

/// Keeps the workloads whose name contains this, when set at build time (a browser test has no
/// command line): `WEBGRAD_BENCH_ONLY=matmul cargo test … --test bench_wasm`.
const ONLY: Option<&str> = option_env!("WEBGRAD_BENCH_ONLY");

/// Set at build time, the warm-up's budget in seconds instead of the page's
/// (`webgrad_nn::warm_up::PAGE_BUDGET_S`; 0: none).
const WARM_S: Option<&str> = option_env!("WEBGRAD_BENCH_WARM_S");

/// Set at build time, runs every SIMD micro-kernel compiled in, not only the best one.
const KERNELS: Option<&str> = option_env!("WEBGRAD_BENCH_KERNELS");

/// The place its rows name: one thread, or (built with atomics, `scripts/bench-wasm.sh
/// --threads`) a pool of one thread per core, started here as the page's threaded worker does.
#[cfg(not(target_feature = "atomics"))]
async fn place() -> &'static str {
    "wasm"
}

#[cfg(target_feature = "atomics")]
async fn place() -> &'static str {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let cores = js_sys::Reflect::get(&navigator, &"hardwareConcurrency".into()).unwrap().as_f64().unwrap_or(1.0);
    let pool = wasm_bindgen_rayon::init_thread_pool(cores.max(1.0) as usize);
    wasm_bindgen_futures::JsFuture::from(pool).await.expect("the thread pool starts");
    console_log!("wasm-threads: {} threads", webgrad_core::cpu::threads::count());
    "wasm-threads"
}

#[wasm_bindgen_test]
async fn bench_suite() {
    let place = place().await;
    let (train, _) = webgrad_data::load_mnist_bytes(MNIST[0], MNIST[1], MNIST[2], MNIST[3]).unwrap();
    let kernels = match KERNELS {
        Some(_) => webgrad_core::cpu::microkernel::available(),
        None => vec![webgrad_core::cpu::microkernel::best()],
    };
    let mut rows = Vec::new();
    // What the page's worker does first (the relaxed-SIMD build: simd128 against relaxed FMA).
    let calibration = webgrad_core::cpu::calibrate::calibrate(&|| bench::now() * 1e3, 40.0);
    // First what the page's worker does once its first data is loaded: a short warm-up on the
    // model's shapes (webgrad_nn::warm_up), so the first row's first epoch is what a user sees.
    let budget = WARM_S.map_or(webgrad_nn::warm_up::PAGE_BUDGET_S, |s| s.parse().expect("WEBGRAD_BENCH_WARM_S"));
    let relu = |width| webgrad_nn::LayerConfig { width, activation: webgrad_nn::ActivationName::Relu, dropout: 0.0 };
    let (cpu, hidden) = (webgrad_core::cpu(), [relu(128), relu(64)]);
    let warm = webgrad_nn::warm_up::warm_up(&cpu, train.d, &hidden, 64, budget, u64::MAX, &bench::now);
    let warmed = warm.await.unwrap();
    // The engine needs a few seconds of this module's hot code before its optimised code is in
    // place (default flags and --no-liftoff alike, measured): one untimed-for-the-suite MNIST run
    // first, printed as "warmup_…" (its first epoch is what a user sees first).
    {
        let env = BenchEnv { device: webgrad_core::cpu(), place, now: &bench::now, load: &|| None, cpu_time: None };
        // with threads, batch 256, whose first layer's GEMMs are split: every pool worker runs
        // (and its engine optimises) the kernels too
        let workload = if place == "wasm-threads" { "mnist_mlp_b256" } else { "mnist_mlp_b64" };
        let mut warm = bench::run(&env, &train, workload).await.unwrap();
        warm.workload = format!("warmup_{}", warm.workload);
        warm.details.insert("warm_up_ms".into(), serde_json::json!((warmed.secs * 1e4).round() / 10.0));
        warm.details.insert("warm_up_steps".into(), serde_json::json!(warmed.steps));
        if !calibration.timings.is_empty() {
            let ms: serde_json::Map<_, _> =
                calibration.timings.iter().map(|&(name, ms)| (name.to_string(), serde_json::json!(ms))).collect();
            let chosen = calibration.kernel.name;
            let rounds = calibration.rounds;
            warm.details
                .insert("calibration".into(), serde_json::json!({"chosen": chosen, "ms": ms, "rounds": rounds}));
        }
        console_log!("{}", warm.to_json());
    }
    for name in bench::WORKLOADS.into_iter().filter(|name| ONLY.is_none_or(|s| name.contains(s))) {
        for &kernel in kernels.iter().filter(|k| k.name != "scalar") {
            let device: webgrad_core::Device = Rc::new(webgrad_core::CpuBackend::with_kernel(kernel));
            let env = BenchEnv { device, place, now: &bench::now, load: &|| None, cpu_time: None };
            let row = bench::run(&env, &train, name).await.unwrap();
            console_log!("{}", row.to_json());
            rows.push(row);
        }
    }
    console_log!("\n{}", bench::table(&rows));
}
