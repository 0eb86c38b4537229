//! webgrad-data: datasets for webgrad.
//!
//! A [`Dataset`] is a validated `[n, d]` f32 feature matrix with class labels or regression
//! targets. Sources: the IDX format ([`idx`], MNIST, optionally gzip), TensorFlow Playground's
//! 2-D sets ([`synthetic`]) and the bundled MNIST subset ([`mnist`]). Then: seeded
//! train/test splits ([`split`]), standardisation fitted on the training split
//! ([`Standardizer`]) and a seeded, resumable batch order ([`Batcher`]).
//!
//! Works on wasm32 as well; only the file-reading helpers in [`mnist`] are native-only.

pub mod batcher;
pub mod dataset;
pub mod error;
pub mod idx;
pub mod mnist;
pub mod split;
pub mod standardize;
pub mod synthetic;

pub use batcher::{Batcher, Cursor};
pub use dataset::{Dataset, Targets, numbered_names};
pub use error::{DataError, Result};
pub use idx::{IdxArray, IdxData, IdxType, load_idx_classification, parse_idx};
pub use mnist::{MNIST_FILES, load_mnist_bytes};
#[cfg(not(target_arch = "wasm32"))]
pub use mnist::{find_mnist_dir, load_mnist_dir};
pub use split::{stratified_train_test_split, train_test_split};
pub use standardize::Standardizer;
