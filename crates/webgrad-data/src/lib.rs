//! webgrad-data: datasets for webgrad.
//!
//! A [`Dataset`] is a validated `[n, d]` f32 feature matrix with class labels or regression
//! targets. Sources: CSV/TSV tables ([`csv`]), NumPy `.npy` arrays ([`npy`]), the IDX format
//! ([`idx`], MNIST), each parsed incrementally ([`ChunkParser`]: push chunks, then finish) and
//! optionally gzip-compressed ([`MaybeGzip`]), with [`load`] picking the format; TensorFlow
//! Playground's 2-D sets ([`synthetic`]); the bundled MNIST subset ([`mnist`]) and Iris
//! ([`tabular`]). Then: seeded train/test splits ([`split`]), scaling fitted on the training
//! split ([`Standardizer`], [`Scaling`]; for regression targets [`TargetScaling`]),
//! missing-value filling ([`Imputer`]), class balance ([`class_balance`]) and a seeded,
//! resumable batch order ([`Batcher`]).
//!
//! Works on wasm32 as well; only the file-reading helpers are native-only.

pub mod balance;
pub mod batcher;
pub mod csv;
pub mod dataset;
pub mod drawing;
pub mod error;
pub mod features;
pub mod gzip;
pub mod idx;
pub mod load;
pub mod mnist;
pub mod npy;
pub mod npy_write;
pub mod parser;
pub mod scaling;
pub mod split;
pub mod standardize;
pub mod synthetic;
pub mod tabular;

pub use balance::{ClassShare, class_balance};
pub use batcher::{Batcher, Cursor};
pub use csv::{
    CsvOptions, CsvParser, FeatureColumn, Imputer, LabelColumn, MissingPolicy, SplitWithGaps, Table, Task,
    UnseenCategories, class_difference, classes_by_index, classes_by_index_note, layout_difference, layout_width,
    listed, parse_csv, repeated_name,
};
pub use dataset::{Dataset, RowTarget, Targets, numbered_names};
pub use error::{DataError, Result};
pub use features::InputFeature;
pub use gzip::MaybeGzip;
pub use idx::{IdxArray, IdxData, IdxParser, IdxType, dataset_from_idx, load_idx_classification, parse_idx};
pub use load::{AutoParser, Format, Parsed, load_bytes};
#[cfg(not(target_arch = "wasm32"))]
pub use load::{load_path, parse_file};
pub use mnist::{MNIST_FILES, load_mnist_bytes};
#[cfg(not(target_arch = "wasm32"))]
pub use mnist::{find_mnist_dir, load_mnist_dir};
pub use npy::{NpyArray, NpyData, NpyDtype, NpyParser, dataset_from_npy, load_npy_pair, parse_npy};
pub use parser::{ChunkParser, Progress, parse_all};
pub use scaling::{Scaling, ScalingKind, TargetScaling};
pub use split::{
    split_rows, stratified_train_test_indices, stratified_train_test_split, train_test_indices, train_test_split,
};
pub use standardize::Standardizer;
