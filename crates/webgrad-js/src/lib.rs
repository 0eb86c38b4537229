//! webgrad's trainer as a JavaScript library (`cargo xtask pkg` builds the ES module package):
//!
//! ```js
//! import init, { Mlp } from 'webgrad';
//! await init();
//! const model = new Mlp({ inputs: 2, hidden: [16, 16], activation: 'tanh', classes: 2, lr: 0.01 });
//! await model.fit(x, y, { epochs: 100, batchSize: 16, onEpoch: (epoch, logs) => console.log(epoch, logs.loss) });
//! const { accuracy } = await model.evaluate(xTest, yTest);
//! const probabilities = await model.predict(xTest);   // [rows, classes]
//! const bytes = await model.exportSafetensors();      // PyTorch state_dict names, description embedded
//! const again = Mlp.load(bytes);
//! ```
//!
//! `spec.rs` turns the plain objects into webgrad's configurations (pure, tested natively);
//! `api.rs` is the wasm-bindgen surface (browser only). It trains on the CPU with the wasm SIMD
//! kernels, on the calling thread: in a page between animation frames (`fit` yields to the event
//! loop after every epoch), or inside a Web Worker that imports the same module.

pub mod spec;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod args;
#[cfg(target_arch = "wasm32")]
mod memory;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;
