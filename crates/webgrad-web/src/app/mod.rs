//! The page, as one loop: every event — a control, a button, a worker message, a worker
//! failure — becomes an `update::Msg`; `update::update` changes the `state::App` and returns
//! `update::Effect`s, which the shell (`shell.rs`) carries out once the state is released:
//! messages to the worker, and views (`views.rs`). `wiring.rs` turns DOM events into messages.
//! `state` and `update` touch no DOM, so they build and are tested natively. No math here
//! either: numbers come from the worker or from the model's own formulas.

pub mod state;
pub mod update;

#[cfg(target_arch = "wasm32")]
mod controls;
#[cfg(target_arch = "wasm32")]
mod diagram;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
mod fit_plot;
#[cfg(target_arch = "wasm32")]
mod hyper;
#[cfg(target_arch = "wasm32")]
mod images;
#[cfg(target_arch = "wasm32")]
mod layers;
#[cfg(target_arch = "wasm32")]
mod loss_chart;
#[cfg(target_arch = "wasm32")]
mod plane;
#[cfg(target_arch = "wasm32")]
mod shell;
#[cfg(target_arch = "wasm32")]
mod tables;
#[cfg(target_arch = "wasm32")]
mod views;
#[cfg(target_arch = "wasm32")]
mod wiring;

#[cfg(target_arch = "wasm32")]
pub use wiring::start;
