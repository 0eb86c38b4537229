//! Writes the inputs of the benchmark suite's peers (TensorFlow.js, jax-js, PyTorch) to a folder,
//! so they train on exactly what webgrad's bench trains on (`webgrad_nn::bench`):
//!
//! ```text
//! cargo run --release -p webgrad-nn --example bench_data -- OUT_DIR
//! ```
//! - `mnist_x.f32` `[8000, 784]` and `mnist_y.i32` `[8000]`: the bundled training split as webgrad
//!   loads it (pixels `v / 255`);
//! - `mnist_order.u32` `[20, 8000]`: the batch order of epochs 1–20 (`TrainConfig { seed: 1,
//!   shuffle: true }`; the same permutation at every batch size, the last batch short): the
//!   throughput rows use epochs 1–4, the time-to-accuracy row up to 20, as the page's default
//!   MNIST setup (seed 1) draws them;
//! - `spiral_x.f32` `[500, 2]`, `spiral_y.i32`, `spiral_order.u32` `[8, 500]` (peers cycle these
//!   8 epochs): the 2-8-8-2 tanh model's data, `synthetic::spiral(500, 0.0, 1)`;
//! - `mnist_init.f32`, `spiral_init.f32`: the models' initial parameters (Glorot-uniform, seed 1),
//!   each layer's weight `[out, in]` (PyTorch's layout) then its bias, layer after layer;
//! - `mnist_std_x.f32` `[8000, 784]`, `mnist_test_std_x.f32` `[2000, 784]` and `mnist_test_y.i32`:
//!   the training and test splits standardised as the page's default MNIST setup does (mean 0,
//!   std 1 per pixel, fitted on the training split), for the time-to-accuracy row;
//! - `meta.json`: the shapes above.
//!
//! All files are little-endian. `cargo xtask bench` runs this before the peers.

#[cfg(not(target_arch = "wasm32"))]
use webgrad_nn::{ActivationName, Head, Init, LayerConfig, Mlp, MlpConfig};

#[cfg(not(target_arch = "wasm32"))]
fn mlp(input: usize, hidden: &[usize], act: ActivationName, classes: usize) -> MlpConfig {
    MlpConfig {
        input,
        hidden: hidden.iter().map(|&width| LayerConfig { width, activation: act, dropout: 0.0 }).collect(),
        head: Head::Softmax { classes },
        init: Init::GlorotUniform,
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn write(dir: &std::path::Path, name: &str, bytes: Vec<u8>) -> Result<(), String> {
    std::fs::write(dir.join(name), bytes).map_err(|e| format!("{name}: {e}"))
}

#[cfg(not(target_arch = "wasm32"))]
fn f32s(xs: &[f32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(not(target_arch = "wasm32"))]
fn u32s(xs: &[u32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(not(target_arch = "wasm32"))]
fn labels(data: &webgrad_data::Dataset) -> Result<Vec<u8>, String> {
    match &data.targets {
        webgrad_data::Targets::Classes { labels, .. } => Ok(u32s(labels)),
        _ => Err(format!("{}: expected class labels", data.name)),
    }
}

/// The batch order of epochs `0..epochs`, as the bench's trainer (seed 1, shuffled) draws it.
#[cfg(not(target_arch = "wasm32"))]
fn orders(n: usize, epochs: u64) -> Result<Vec<u8>, String> {
    let mut b = webgrad_data::Batcher::new(n, 1, true, false, 1).map_err(|e| e.to_string())?;
    Ok((0..epochs).flat_map(|e| u32s(b.order(e))).collect())
}

/// The initial parameters of the bench's model (`Mlp::new(device, config, 1)`).
#[cfg(not(target_arch = "wasm32"))]
fn init(config: MlpConfig) -> Result<Vec<u8>, String> {
    let model = Mlp::new(&webgrad_core::cpu(), config, 1).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for p in model.parameters() {
        out.extend(f32s(&pollster::block_on(p.to_vec()).map_err(|e| e.to_string())?));
    }
    Ok(out)
}

#[cfg(not(target_arch = "wasm32"))]
fn run() -> Result<(), String> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: bench_data OUT_DIR")?);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mnist_dir = webgrad_data::find_mnist_dir().ok_or("the bundled MNIST files (assets/mnist) were not found")?;
    let (train, test) = webgrad_data::load_mnist_dir(&mnist_dir).map_err(|e| e.to_string())?;
    let spiral = webgrad_data::synthetic::spiral(500, 0.0, 1);
    let (mnist_epochs, spiral_epochs) = (20, 8);
    write(&dir, "mnist_x.f32", f32s(&train.features))?;
    write(&dir, "mnist_y.i32", labels(&train)?)?;
    write(&dir, "mnist_order.u32", orders(train.n, mnist_epochs)?)?;
    write(&dir, "mnist_init.f32", init(mlp(train.d, &[128, 64], ActivationName::Relu, 10))?)?;
    let standardizer = webgrad_data::Standardizer::fit(&train);
    let (mut train_std, mut test_std) = (train.clone(), test.clone());
    standardizer.apply(&mut train_std).map_err(|e| e.to_string())?;
    standardizer.apply(&mut test_std).map_err(|e| e.to_string())?;
    write(&dir, "mnist_std_x.f32", f32s(&train_std.features))?;
    write(&dir, "mnist_test_std_x.f32", f32s(&test_std.features))?;
    write(&dir, "mnist_test_y.i32", labels(&test)?)?;
    write(&dir, "spiral_x.f32", f32s(&spiral.features))?;
    write(&dir, "spiral_y.i32", labels(&spiral)?)?;
    write(&dir, "spiral_order.u32", orders(spiral.n, spiral_epochs)?)?;
    write(&dir, "spiral_init.f32", init(mlp(spiral.d, &[8, 8], ActivationName::Tanh, 2))?)?;
    let meta = serde_json::json!({
        "mnist": { "n": train.n, "d": train.d, "classes": 10, "hidden": [128, 64], "epochs": mnist_epochs },
        "mnist_test": { "n": test.n },
        "spiral": { "n": spiral.n, "d": spiral.d, "classes": 2, "hidden": [8, 8], "epochs": spiral_epochs },
        "adam": { "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8 },
    });
    write(&dir, "meta.json", meta.to_string().into_bytes())?;
    println!("bench data written to {}", dir.display());
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(e) = run() {
        eprintln!("bench_data: error: {e}");
        std::process::exit(1);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
