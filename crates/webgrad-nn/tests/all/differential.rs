//! webgrad against PyTorch on 200 random training configurations (issue 18): every activation,
//! head and loss, optimizer (weight decay included), schedule, clipping, L1/L2 and batch size the
//! library trains with, 30 steps each (`tests/golden/differential.json`, written once by
//! `tests/golden/make_differential.py`). Each step's data loss must stay within 1e-4 relative of
//! PyTorch's float32 run, or, where float32 rounding alone moves further, within 3× the distance
//! between PyTorch's float32 and float64 runs.
//!
//! Runs on the CPU natively and in the browser (wasm, `wasm-pack test`), and on wgpu natively
//! (Vulkan; lavapipe on a machine without a GPU), each with its measured worst drift printed.

use serde::Deserialize;
use webgrad_core::testing::SplitMix64;
use webgrad_core::{Device, Tensor, dual_test};
use webgrad_data::{Dataset, Targets};
use webgrad_nn::{
    Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig, Trainer,
};

const FIXTURE: &str = include_str!("../../../../tests/golden/differential.json");
/// The bar: relative to PyTorch float32, or this many times float32's own drift from float64.
const REL: f64 = 1e-4;
const ROUNDING: f64 = 3.0;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Clone, Deserialize)]
struct Case {
    seed: u64,
    input: usize,
    hidden: Vec<LayerConfig>,
    head: Head,
    loss: Loss,
    optimizer: OptimizerConfig,
    schedule: Schedule,
    clip_grad_norm: Option<f32>,
    l1: f32,
    l2: f32,
    batch: usize,
    steps: usize,
    torch_f32: Vec<f64>,
    torch_f64: Vec<f64>,
}

/// splitmix64 and uniform draws in f64 rounded once to f32: `Draws` in make_differential.py.
struct Draws(SplitMix64);

impl Draws {
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.0.next_53() as f64 / (1u64 << 53) as f64)
    }
    fn floats(&mut self, count: usize, lo: f64, hi: f64) -> Vec<f32> {
        (0..count).map(|_| self.uniform(lo, hi) as f32).collect()
    }
}

/// The case's rows (all its steps' batches, in order) and its initial weights per parameter
/// (weight `[out, in]` then bias, layer by layer), drawn as make_differential.py's `draw`.
fn draw(case: &Case) -> (Dataset, Vec<Vec<f32>>) {
    let mut r = Draws(SplitMix64(case.seed));
    let (n, d) = (case.batch * case.steps, case.input);
    let features = r.floats(n * d, -2.0, 2.0);
    let targets = match case.head {
        Head::Linear { outputs } => Targets::Regression { values: r.floats(n * outputs, -1.5, 1.5), outputs },
        Head::Softmax { classes } => class_targets(&mut r, n, classes),
        Head::Sigmoid => class_targets(&mut r, n, 2),
    };
    let mut sizes = vec![d];
    sizes.extend(case.hidden.iter().map(|l| l.width));
    sizes.push(case.head.outputs());
    let mut weights = Vec::new();
    for pair in sizes.windows(2) {
        let bound = 1.0 / (pair[0] as f64).sqrt();
        weights.push(r.floats(pair[1] * pair[0], -bound, bound));
        weights.push(r.floats(pair[1], -bound, bound));
    }
    let data = Dataset { name: format!("case {}", case.seed), features, n, d, targets, image_shape: None };
    (data, weights)
}

fn class_targets(r: &mut Draws, n: usize, classes: usize) -> Targets {
    let labels = (0..n).map(|_| ((r.uniform(0.0, 1.0) * classes as f64) as usize).min(classes - 1) as u32).collect();
    Targets::Classes { labels, classes, names: (0..classes).map(|c| c.to_string()).collect() }
}

/// webgrad's data loss of each step of `case` on `device`, rows in order.
async fn train(device: &Device, case: &Case) -> Vec<f64> {
    let (data, weights) = draw(case);
    let config =
        MlpConfig { input: case.input, hidden: case.hidden.clone(), head: case.head.clone(), init: Init::TorchDefault };
    let model = Mlp::new(device, config, case.seed).expect("model");
    assert_eq!(model.parameters().len(), weights.len(), "case {}: one drawn tensor per parameter", case.seed);
    for (p, w) in model.parameters().iter().zip(&weights) {
        p.assign(w).expect("initial weights");
    }
    let mut optimizer = Optimizer::new(case.optimizer.clone(), case.schedule);
    optimizer.clip_grad_norm = case.clip_grad_norm;
    let config =
        TrainConfig { shuffle: false, l1: case.l1, l2: case.l2, ..TrainConfig::new(case.batch, 1, 1, case.loss) };
    let mut trainer = Trainer::new(model, optimizer, config).expect("trainer");
    // each step's loss copied out of the buffer the next step rewrites, all read back at once
    let mut losses = Vec::with_capacity(case.steps);
    for _ in 0..case.steps {
        let out = trainer.step(&data).expect("step");
        losses.push(out.loss.affine(1.0, 0.0).reshape(&[1]));
    }
    let all = Tensor::concat(&losses.iter().collect::<Vec<_>>(), 0).to_vec().await.expect("losses");
    all.into_iter().map(f64::from).collect()
}

/// Which of the fixture's cases a test trains: all, or every other one (the slow wgpu run is two
/// tests, so the test threads share it).
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
enum Half {
    All,
    Even,
    Odd,
}

impl Half {
    fn has(self, case: usize) -> bool {
        match self {
            Half::All => true,
            Half::Even => case.is_multiple_of(2),
            Half::Odd => !case.is_multiple_of(2),
        }
    }
}

/// Trains the cases of `half` on `device` and checks the bar; prints the worst drift from
/// PyTorch float32 (relative), and how many steps passed only by the rounding rule.
async fn check_all(device: &Device, place: &str, half: Half) {
    let fixture: Fixture = serde_json::from_str(FIXTURE).expect("differential.json");
    assert!(fixture.cases.len() >= 200, "{} cases", fixture.cases.len());
    let (mut worst, mut worst_at, mut by_rounding, mut failures) = (0.0f64, String::new(), 0, Vec::new());
    let mut trained = 0;
    for (i, case) in fixture.cases.iter().enumerate().filter(|&(i, _)| half.has(i)) {
        trained += 1;
        let ours = train(device, case).await;
        assert!(
            ours.len() == case.steps && case.torch_f32.len() == case.steps && case.torch_f64.len() == case.steps,
            "case {i}: {} steps, {} and {} PyTorch losses for {} steps",
            ours.len(),
            case.torch_f32.len(),
            case.torch_f64.len(),
            case.steps
        );
        for (t, ((&got, &f32_), &f64_)) in ours.iter().zip(&case.torch_f32).zip(&case.torch_f64).enumerate() {
            let diff = (got - f32_).abs();
            let rel = diff / f32_.abs().max(1e-12);
            if rel > worst {
                (worst, worst_at) = (rel, format!("case {i} step {}", t + 1));
            }
            if rel <= REL {
                continue;
            }
            if diff <= ROUNDING * (f32_ - f64_).abs() {
                by_rounding += 1;
            } else if failures.len() < 10 {
                failures.push(format!(
                    "case {i} (seed {}, {:?}, {:?}, {:?}) step {}: webgrad {got}, PyTorch f32 {f32_}, f64 {f64_} (rel {rel:.2e})",
                    case.seed,
                    case.optimizer,
                    case.loss,
                    case.hidden.first().map(|l| l.activation),
                    t + 1
                ));
            }
        }
    }
    let line = format!(
        "{place}: {trained} cases × {} steps; worst relative drift from PyTorch float32 {worst:.2e} ({worst_at}); \
         {by_rounding} steps over 1e-4 within 3× float32's own drift",
        fixture.cases[0].steps
    );
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{line}");
    assert!(failures.is_empty(), "{line}\n{}", failures.join("\n"));
}

dual_test! {
    async fn cpu_matches_pytorch_on_200_random_configurations() {
        let place = if cfg!(target_arch = "wasm32") { "wasm CPU" } else { "native CPU" };
        check_all(&webgrad_core::cpu(), place, Half::All).await;
    }
}

/// The wgpu run, on the even cases (`half`) or the odd ones: 100 cases each, in two tests.
#[cfg(not(target_arch = "wasm32"))]
fn check_wgpu(half: Half) {
    let Ok(device) = pollster::block_on(webgrad_wgpu::WgpuBackend::device()) else {
        assert!(
            std::env::var("WEBGRAD_REQUIRE_GPU").as_deref() != Ok("1"),
            "WEBGRAD_REQUIRE_GPU=1 but there is no adapter"
        );
        eprintln!("skipped: no WebGPU/Vulkan adapter");
        return;
    };
    pollster::block_on(check_all(&device, "native wgpu", half));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn wgpu_matches_pytorch_on_the_even_configurations() {
    check_wgpu(Half::Even);
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn wgpu_matches_pytorch_on_the_odd_configurations() {
    check_wgpu(Half::Odd);
}
