use thiserror::Error;

/// Errors a caller can act on: a device that failed, data that does not fit an op.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error("shape error: {0}")]
    Shape(String),
    #[error("device error: {0}")]
    Device(String),
}

pub type Result<T> = std::result::Result<T, Error>;
