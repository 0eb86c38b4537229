//! The `webgrad` binary as a user runs it, one module per area, in one test binary.

mod cli;
mod common;
mod export_roundtrip;
mod export_torch;
mod hostile;
mod inputs;
mod monitor;
mod regression;
mod reliability;
mod tabular;
