//! The one error type of this crate. Every message starts with the source it concerns (a file
//! name or a dataset name), then where (byte offset for binary formats, row/column for tables),
//! then what was expected and what was found.

/// Errors from parsing, validating and transforming datasets. Nothing in this crate panics on
/// malformed input; it returns one of these.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Malformed binary data. `offset` is the byte where the problem is; for gzip input it counts
    /// bytes of the decompressed stream (and `src` then ends in "(gunzipped)").
    #[error("{src}: byte {offset}: {msg}")]
    Format { src: String, offset: u64, msg: String },

    /// The input ends before the bytes its header promises. `offset` is where the missing part
    /// starts; `expected` and `found` count bytes from there.
    #[error("{src}: byte {offset}: truncated {what}: expected {expected} bytes, found {found}")]
    Truncated { src: String, offset: u64, what: String, expected: u64, found: u64 },

    /// A non-finite feature or target. `col` is the feature column (or the output index when
    /// `what` is "target").
    #[error("{src}: row {row}, column {col}: {what} is {value} (expected a finite number)")]
    NonFinite { src: String, row: usize, col: usize, what: &'static str, value: f32 },

    /// A dataset (or an operation on it) whose parts do not fit together.
    #[error("{src}: {msg}")]
    Invalid { src: String, msg: String },

    /// A file that could not be read.
    #[error("{path}: cannot read: {err}")]
    Io {
        path: String,
        #[source]
        err: std::io::Error,
    },

    /// `synthetic::by_name` was given a name it does not know.
    #[error("unknown dataset {name:?} (expected one of: {valid})")]
    UnknownDataset { name: String, valid: String },
}

impl DataError {
    pub(crate) fn invalid(src: &str, msg: impl Into<String>) -> Self {
        DataError::Invalid { src: src.to_string(), msg: msg.into() }
    }

    pub(crate) fn format(src: &str, offset: usize, msg: impl Into<String>) -> Self {
        DataError::Format { src: src.to_string(), offset: offset as u64, msg: msg.into() }
    }
}

pub type Result<T> = std::result::Result<T, DataError>;
