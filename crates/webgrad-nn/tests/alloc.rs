//! A steady-state CPU training step allocates nothing: once a step of each batch shape has been
//! recorded, `Trainer::step` replays it on the recorded buffers. Counted with a global allocator
//! that counts the allocations of the thread that asks (so the test harness's own threads do not
//! interfere); this binary holds this one test only.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use webgrad_data::{Dataset, Targets, numbered_names};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, Optimizer, OptimizerConfig, Schedule, TrainConfig,
    Trainer,
};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the thread-locals may already be gone while a thread shuts down
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: our caller's `GlobalAlloc` contract for this call holds, and it is passed on
        // to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: our caller's `GlobalAlloc` contract for this call holds, and it is passed on
        // to the system allocator unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: our caller's `GlobalAlloc` contract for this call holds, and it is passed on
        // to the system allocator unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: our caller's `GlobalAlloc` contract for this call holds, and it is passed on
        // to the system allocator unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

/// `n` rows of `d` pseudo-random features in [0, 1) with labels below `classes`.
fn dataset(n: usize, d: usize, classes: usize) -> Dataset {
    let mut rng = webgrad_core::Rng::new(5);
    let features = (0..n * d).map(|_| rng.uniform()).collect();
    let labels = (0..n).map(|_| rng.below(classes as u32)).collect();
    let targets = Targets::Classes { labels, classes, names: numbered_names(classes) };
    Dataset::new("random", features, n, d, targets, None).unwrap()
}

fn trainer(data: &Dataset, hidden: &[usize], act: ActivationName, head: Head, loss: Loss, batch: usize) -> Trainer {
    let hidden = hidden.iter().map(|&width| LayerConfig { width, activation: act, dropout: 0.0 }).collect();
    let config = MlpConfig { input: data.d, hidden, head, init: Init::GlorotUniform };
    let model = Mlp::new(&webgrad_core::cpu(), config, 1).unwrap();
    let optimizer = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let config = TrainConfig::new(batch, 10, 1, loss);
    Trainer::new(model, optimizer, config).unwrap()
}

/// Two epochs to record every batch shape (the data leaves a short last batch), then three
/// epochs of steps that must not allocate.
fn steady_state_allocations(t: &mut Trainer, data: &Dataset) -> usize {
    let steps = t.steps_per_epoch(data.n);
    let mut outputs = Vec::with_capacity(3 * steps);
    for _ in 0..2 * steps {
        t.step(data).unwrap();
    }
    allocations(|| {
        for _ in 0..3 * steps {
            outputs.push(t.step(data).unwrap());
        }
    })
}

#[test]
fn a_steady_state_cpu_step_allocates_nothing() {
    // the benchmark's MNIST MLP, 784-128-64-10, at batch 64 over 200 rows (3 × 64 + 8)
    let mnist = dataset(200, 784, 10);
    let ce = Loss::CrossEntropy { label_smoothing: 0.0 };
    let mut t = trainer(&mnist, &[128, 64], ActivationName::Relu, Head::Softmax { classes: 10 }, ce, 64);
    assert_eq!(steady_state_allocations(&mut t, &mnist), 0, "MNIST MLP");

    // a playground model with dropout, penalties, clipping and a sigmoid head
    let toy = dataset(250, 2, 2);
    let mut t = trainer(&toy, &[8, 8], ActivationName::Tanh, Head::Sigmoid, Loss::BceWithLogits, 10);
    t.model.config.hidden[1].dropout = 0.25;
    (t.config.l1, t.config.l2, t.optimizer.clip_grad_norm) = (1e-4, 1e-3, Some(1.0));
    assert_eq!(steady_state_allocations(&mut t, &toy), 0, "playground model");
}
