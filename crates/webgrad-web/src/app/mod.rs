//! The page, as one loop: every event — a control, a button, a worker message, a worker
//! failure — becomes an `update::Msg`; `update::update` changes the `state::App` and returns
//! `update::Effect`s, which the shell (`shell.rs`) carries out once the state is released:
//! messages to the worker, and views (`views.rs`). `wiring.rs` turns DOM events into messages.
//! `state` and `update` touch no DOM, so they build and are tested natively. No math here
//! either: numbers come from the worker or from the model's own formulas.

pub mod cost;
pub mod embed;
pub mod grad_view;
pub mod heatmap;
pub mod inspect_view;
pub mod race;
pub mod state;
pub mod sweep;
pub mod update;

crate::browser_only!(mod controls, diagram, dom, fit_plot, grad_dom, health, histograms, inspect_dom, race_dom, sweep_dom, hyper, images, layers, loss_chart, neurons, plane, shell, tables, views, wiring);

#[cfg(target_arch = "wasm32")]
pub use wiring::start;
