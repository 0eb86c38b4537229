//! The wasm heap over 10 epochs of the benchmark's MNIST MLP (batch 64, loss read back every
//! step) in headless Chromium: the size of the module's linear memory (`WebAssembly.Memory`,
//! which only grows) after epoch 1 and after epoch 10, printed as one JSON line. A steady-state
//! step that allocates nothing new leaves the two equal. Its own test binary, so the memory is
//! this module's alone (the bench suite's matmuls would leave free room behind). The test
//! fails if the memory grew after epoch 1; it runs with the other browser tests, and
//! `cargo xtask bench` runs it for its row:
//!
//! ```text
//! cargo test --profile wasm-release -p webgrad-nn --target wasm32-unknown-unknown \
//!     --test heap_wasm -- --nocapture
//! ```
#![cfg(target_arch = "wasm32")]

use js_sys::wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const MNIST: [&[u8]; 4] = [
    include_bytes!("../../../assets/mnist/train-images-idx3-ubyte.gz"),
    include_bytes!("../../../assets/mnist/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../../assets/mnist/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../../assets/mnist/t10k-labels-idx1-ubyte.gz"),
];

/// Bytes of this module's linear memory now.
fn heap_bytes() -> u64 {
    let memory: js_sys::WebAssembly::Memory = js_sys::wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}

#[wasm_bindgen_test]
async fn heap_over_10_epochs() {
    let (train, _) = webgrad_data::load_mnist_bytes(MNIST[0], MNIST[1], MNIST[2], MNIST[3]).unwrap();
    let device = webgrad_core::cpu();
    // the bench's model and trainer (webgrad_nn::bench::mnist_mlp at batch 64)
    let config = MlpConfig {
        input: train.d,
        hidden: [128, 64].map(|width| LayerConfig { width, activation: ActivationName::Relu, dropout: 0.0 }).to_vec(),
        head: Head::Softmax { classes: 10 },
        init: Init::GlorotUniform,
    };
    let adam = OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
    let train_config = TrainConfig::new(64, usize::MAX, 1, Loss::CrossEntropy { label_smoothing: 0.0 });
    let model = Mlp::new(&device, config, 1).unwrap();
    let mut t = Trainer::new(model, Optimizer::new(adam, Schedule::Constant), train_config).unwrap();
    let (mut after, mut last_loss) = (Vec::new(), f32::NAN);
    for _ in 0..10 {
        loop {
            let out = t.step(&train).unwrap();
            last_loss = out.loss.item().await.unwrap();
            assert!(last_loss.is_finite());
            if out.epoch_finished {
                break;
            }
        }
        after.push(heap_bytes());
    }
    let row = serde_json::json!({
        "workload": "wasm_heap_10_epochs_b64",
        "place": "wasm",
        "device": device.name(),
        "value": after[9] - after[0],
        "unit": "bytes growth",
        "heap_after_epoch_1": after[0],
        "heap_after_epoch_10": after[9],
        "heap_after_each_epoch": after,
        "last_loss": last_loss,
    });
    console_log!("{row}");
    assert_eq!(after[9], after[0], "the wasm heap grew after epoch 1: {after:?}");
}
