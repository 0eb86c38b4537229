//! The webgrad playground. Two wasm programs built by trunk from this crate:
//! - `bin/app.rs`, the page: DOM, controls and charts. It does no math; it renders what the
//!   worker posts.
//! - `bin/worker.rs`, a dedicated Web Worker that owns the data, the model and the backend, and
//!   trains without ever blocking the page.
//!
//! `protocol` is the only thing the two share: the messages they exchange.

/// Declares modules that only exist in the browser build (they call web APIs).
macro_rules! browser_only {
    ($vis:vis mod $($name:ident),+ $(,)?) => { $( #[cfg(target_arch = "wasm32")] $vis mod $name; )+ };
}
pub(crate) use browser_only;

// the parts that also build natively (and are unit-tested there)
pub mod app;
pub mod diagram_units;
pub mod experiment;
pub mod health_history;
pub mod loss_history;
pub mod protocol;

browser_only!(pub mod byte_source, data_loader, devices, js, storage, worker);
