//! The benchmark suite (`webgrad_nn::bench`) in headless Chromium: wasm simd128, one thread, in a
//! dedicated worker as the playground trains. Not part of the normal test run (`test = false` in
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

/// Set at build time, runs every SIMD micro-kernel compiled in, not only the best one.
const KERNELS: Option<&str> = option_env!("WEBGRAD_BENCH_KERNELS");

#[wasm_bindgen_test]
async fn bench_suite() {
    let (train, _) = webgrad_data::load_mnist_bytes(MNIST[0], MNIST[1], MNIST[2], MNIST[3]).unwrap();
    let kernels = match KERNELS {
        Some(_) => webgrad_core::cpu::microkernel::available(),
        None => vec![webgrad_core::cpu::microkernel::best()],
    };
    let mut rows = Vec::new();
    // The engine needs a few seconds of this module's hot code before its optimised code is in
    // place (default flags and --no-liftoff alike, measured): one untimed-for-the-suite MNIST run
    // first, printed as "warmup_…" (its first epoch is what a user sees first).
    {
        let env =
            BenchEnv { device: webgrad_core::cpu(), place: "wasm", now: &bench::now, load: &|| None, cpu_time: None };
        let mut warm = bench::run(&env, &train, "mnist_mlp_b64").await.unwrap();
        warm.workload = format!("warmup_{}", warm.workload);
        console_log!("{}", warm.to_json());
    }
    for name in bench::WORKLOADS.into_iter().filter(|name| ONLY.is_none_or(|s| name.contains(s))) {
        for &kernel in kernels.iter().filter(|k| k.name != "scalar") {
            let device: webgrad_core::Device = Rc::new(webgrad_core::CpuBackend::with_kernel(kernel));
            let env = BenchEnv { device, place: "wasm", now: &bench::now, load: &|| None, cpu_time: None };
            let row = bench::run(&env, &train, name).await.unwrap();
            console_log!("{}", row.to_json());
            rows.push(row);
        }
    }
    console_log!("\n{}", bench::table(&rows));
}
