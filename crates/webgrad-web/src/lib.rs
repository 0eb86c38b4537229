//! The webgrad playground. Two wasm programs built by trunk from this crate:
//! - `bin/app.rs`, the page: DOM, controls and charts. It does no math; it renders what the
//!   worker posts.
//! - `bin/worker.rs`, a dedicated Web Worker that owns the data, the model and the backend, and
//!   trains without ever blocking the page.
//!
//! `protocol` is the only thing the two share: the messages they exchange.

pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod byte_source;
#[cfg(target_arch = "wasm32")]
pub mod data_loader;
#[cfg(target_arch = "wasm32")]
pub mod devices;
pub mod diagram_units;
pub mod experiment;
#[cfg(target_arch = "wasm32")]
pub mod js;
pub mod loss_history;
pub mod protocol;
#[cfg(target_arch = "wasm32")]
pub mod storage;
#[cfg(target_arch = "wasm32")]
pub mod worker;
