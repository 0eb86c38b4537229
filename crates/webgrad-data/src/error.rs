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

    /// A problem in a text table (CSV/TSV). `line` is 1-based and counts the header row and
    /// every physical line (a quoted field may span several); `column` is the 1-based column
    /// number and its name (from the header, or "column N" without one). At least one of the
    /// two is given.
    #[error("{src}: {}: {msg}", fmt_place(*line, column))]
    Text { src: String, line: Option<u64>, column: Option<(usize, String)>, msg: String },

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

fn fmt_place(line: Option<u64>, column: &Option<(usize, String)>) -> String {
    match (line, column) {
        (Some(l), Some((index, name))) => format!("line {l}, column {index} ({name:?})"),
        (Some(l), None) => format!("line {l}"),
        (None, Some((index, name))) => format!("column {index} ({name:?})"),
        (None, None) => "whole file".to_string(),
    }
}

impl DataError {
    pub(crate) fn invalid(src: &str, msg: impl Into<String>) -> Self {
        DataError::Invalid { src: src.to_string(), msg: msg.into() }
    }

    pub(crate) fn format(src: &str, offset: impl TryInto<u64>, msg: impl Into<String>) -> Self {
        let offset = offset.try_into().unwrap_or(u64::MAX);
        DataError::Format { src: src.to_string(), offset, msg: msg.into() }
    }

    pub(crate) fn truncated(src: &str, offset: u64, what: impl Into<String>, expected: u64, found: u64) -> Self {
        DataError::Truncated { src: src.to_string(), offset, what: what.into(), expected, found }
    }

    /// For an error raised by a parser behind the gzip layer: byte offsets count the
    /// decompressed stream, which the source then says ("x.gz (gunzipped)").
    pub(crate) fn gunzipped(self) -> Self {
        match self {
            DataError::Format { src, offset, msg } => {
                DataError::Format { src: format!("{src} (gunzipped)"), offset, msg }
            }
            DataError::Truncated { src, offset, what, expected, found } => {
                DataError::Truncated { src: format!("{src} (gunzipped)"), offset, what, expected, found }
            }
            other => other,
        }
    }
}

pub type Result<T> = std::result::Result<T, DataError>;
