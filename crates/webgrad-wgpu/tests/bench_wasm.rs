//! The MNIST rows of the benchmark suite (`webgrad_nn::bench`) on WebGPU in headless Chromium
//! (SwiftShader on a machine without a GPU), in a dedicated worker as the playground trains:
//! batch 64 and 256, each replaying a recorded step and op by op. Not part of the normal test
//! run (`test = false` in Cargo.toml); built as the page is (profile wasm-release):
//!
//! ```text
//! WASM_BINDGEN_TEST_TIMEOUT=900 cargo test --profile wasm-release -p webgrad-wgpu \
//!     --target wasm32-unknown-unknown --test bench_wasm -- --nocapture
//! ```
//! Set at build time, `WEBGRAD_BENCH_ONLY=<substring>` keeps the rows whose name contains it
//! (the profile of where a step's time goes always runs).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use webgrad_data::Dataset;
use webgrad_nn::bench::{self, BenchEnv, Stepping};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn bench_mnist_on_webgpu() {
    let (train, _) = webgrad_data::load_mnist_bytes(
        include_bytes!("../../../assets/mnist/train-images-idx3-ubyte.gz"),
        include_bytes!("../../../assets/mnist/train-labels-idx1-ubyte.gz"),
        include_bytes!("../../../assets/mnist/t10k-images-idx3-ubyte.gz"),
        include_bytes!("../../../assets/mnist/t10k-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    let device = webgrad_wgpu::WgpuBackend::device().await.expect("a WebGPU adapter");
    let env = BenchEnv { device, place: "wasm", now: &bench::now, load: &|| None, cpu_time: None };
    let mut rows = Vec::new();
    // as the device prefers; op by op; and batches from where the device would not take them
    // (on a CPU adapter, from the training set on the device; on a GPU, from the host)
    let device_data = env.device.resident_table_limit().is_none();
    let steppings = [(true, None), (false, None), (true, Some(device_data))]
        .map(|(planning, resident)| Stepping { planning, resident });
    for (batch, how) in [64, 256].into_iter().flat_map(|b| steppings.map(|how| (b, how))) {
        let name = how.workload(batch);
        if option_env!("WEBGRAD_BENCH_ONLY").is_some_and(|s| !name.contains(s)) {
            continue;
        }
        let row = bench::mnist_mlp_with(&env, &train, batch, how).await.unwrap();
        console_log!("{}", row.to_json());
        rows.push(row);
    }
    console_log!("\n{}", bench::table(&rows));
    for batch in [64, 256] {
        profile(&env, &train, batch).await;
    }
}

/// Where a replayed step's time goes: ms per step when every step's loss is read back (the
/// suite's rule) and when only every 50th is (`take_loss`), after a warm-up epoch.
async fn profile(env: &BenchEnv<'_>, train: &Dataset, batch: usize) {
    let relu = |width| LayerConfig { width, activation: ActivationName::Relu, dropout: 0.0 };
    let config = MlpConfig {
        input: train.d,
        hidden: vec![relu(128), relu(64)],
        head: Head::Softmax { classes: 10 },
        init: Init::GlorotUniform,
    };
    let model = Mlp::new(&env.device, config, 1).unwrap();
    let optimizer = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let config = TrainConfig::new(batch, usize::MAX, 1, Loss::CrossEntropy { label_smoothing: 0.0 });
    let mut t = Trainer::new(model, optimizer, config).unwrap();
    for _ in 0..t.steps_per_epoch(train.n) {
        t.step(train).unwrap().loss.item().await.unwrap();
    }
    let steps = 50;
    let start = bench::now();
    for _ in 0..steps {
        t.step(train).unwrap().loss.item().await.unwrap();
    }
    let each = (bench::now() - start) * 1e3 / steps as f64;
    let start = bench::now();
    for _ in 0..steps {
        t.step(train).unwrap();
    }
    t.take_loss().wait().await.unwrap();
    let once = (bench::now() - start) * 1e3 / steps as f64;
    console_log!(
        "{{\"profile\":\"mnist_mlp_b{batch}\",\"ms_per_step_read_every_step\":{each:.2},\"ms_per_step_read_once\":{once:.2}}}"
    );
}
