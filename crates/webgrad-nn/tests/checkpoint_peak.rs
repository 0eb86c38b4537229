//! Saving a checkpoint holds the trained state once: the file being written, plus one tensor at
//! a time (the one being read back, and safetensors' zero stand-in of the largest), never a
//! second copy of all weights and optimizer slots. Measured with a global allocator that tracks
//! the live bytes of the thread that asks; this binary holds this one test only.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use webgrad_data::{Dataset, Targets, numbered_names};
use webgrad_nn::{
    ActivationName, Head, Init, LayerConfig, Loss, Mlp, MlpConfig, ModelFile, Optimizer, OptimizerConfig,
    Preprocessing, Schedule, TrainConfig, Trainer, checkpoint,
};

struct Tracking;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    /// Live bytes allocated by this thread since tracking began, and their peak.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: the thread-locals may already be gone while a thread shuts down
    if TRACKING.try_with(Cell::get).unwrap_or(false) {
        let live = LIVE.try_with(|l| {
            l.set(l.get() + delta);
            l.get()
        });
        if let Ok(live) = live {
            let _ = PEAK.try_with(|p| p.set(p.get().max(live)));
        }
    }
}

fn size(bytes: usize) -> isize {
    isize::try_from(bytes).unwrap_or(isize::MAX)
}

// SAFETY: forwards every call to the system allocator unchanged; only tracks sizes.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(size(layout.size()));
        // SAFETY: our caller's `GlobalAlloc` contract for this call holds, and it is passed on
        // to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(size(layout.size()));
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(size(new_size) - size(layout.size()));
        // SAFETY: as in `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-size(layout.size()));
        // SAFETY: as in `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

#[test]
fn a_checkpoint_save_holds_the_state_once() {
    // 16-512-512-10 with Adam: 276k weights, each with two optimizer slots (3.3 MB in all);
    // the largest tensor, 512×512, is 1 MB
    let hidden = vec![LayerConfig { width: 512, activation: ActivationName::Relu, dropout: 0.0 }; 2];
    let config = MlpConfig { input: 16, hidden, head: Head::Softmax { classes: 10 }, init: Init::GlorotUniform };
    let model = Mlp::new(&webgrad_core::cpu(), config.clone(), 1).unwrap();
    let optimizer = Optimizer::new(OptimizerConfig::by_name("adam").unwrap(), Schedule::Constant);
    let train = TrainConfig::new(8, 1, 1, Loss::CrossEntropy { label_smoothing: 0.0 });
    let mut trainer = Trainer::new(model, optimizer, train).unwrap();
    // one step, so that the optimizer's slots exist
    let labels = (0..8).collect();
    let targets = Targets::Classes { labels, classes: 10, names: numbered_names(10) };
    let data = Dataset::new("random", vec![0.5; 8 * 16], 8, 16, targets, None).unwrap();
    trainer.step(&data).unwrap();
    let file = ModelFile::new(&config, vec![], Preprocessing::default(), "random");
    let largest = 512 * 512 * 4;

    TRACKING.with(|t| t.set(true));
    let bytes = pollster::block_on(checkpoint::save(&trainer, &file)).unwrap();
    TRACKING.with(|t| t.set(false));

    let weights = config.parameter_count() * 4;
    assert!(bytes.len() > 3 * weights, "the file holds weights and two Adam slots: {} bytes", bytes.len());
    let peak = usize::try_from(PEAK.with(Cell::get)).unwrap();
    // the file, the zero stand-in and one read-back tensor, plus 64 KiB for names and metadata
    let bound = bytes.len() + 2 * largest + 64 * 1024;
    assert!(peak <= bound, "saving peaked at {peak} bytes; the file is {} bytes, the bound {bound}", bytes.len());
}
