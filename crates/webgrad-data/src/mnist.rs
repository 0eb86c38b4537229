//! The bundled MNIST subset (assets/mnist: 8,000 train and 2,000 test digits, 28×28, IDX gzip).

use crate::dataset::Dataset;
use crate::error::Result;
use crate::idx::{Pixel, load_classification};

/// The four file names, in the order train images, train labels, test images, test labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Builds `(train, test)` from the four files' bytes (as fetched by the web app). Pixels become
/// `v / 255` in [0, 1] (correctly rounded, as PyTorch's `ToTensor` computes them); d = 784, `image_shape = Some((28, 28))` for standard files;
/// classes are fixed at 10 (names "0".."9") and a label >= 10 is an error. Datasets are named
/// "mnist-train" and "mnist-test".
pub fn load_mnist_bytes(
    train_images: &[u8],
    train_labels: &[u8],
    test_images: &[u8],
    test_labels: &[u8],
) -> Result<(Dataset, Dataset)> {
    let [tri, trl, tei, tel] = MNIST_FILES;
    let scale = Pixel::Div(255.0);
    let train = load_classification(train_images, tri, train_labels, trl, "mnist-train", scale, Some(10))?;
    let test = load_classification(test_images, tei, test_labels, tel, "mnist-test", scale, Some(10))?;
    Ok((train, test))
}

/// Reads the four [`MNIST_FILES`] from `dir` and calls [`load_mnist_bytes`]. A missing or
/// unreadable file gives an error naming its path.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_mnist_dir(dir: &std::path::Path) -> Result<(Dataset, Dataset)> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|err| crate::DataError::Io { path: path.display().to_string(), err })
    };
    let [a, b, c, d] = MNIST_FILES;
    load_mnist_bytes(&read(a)?, &read(b)?, &read(c)?, &read(d)?)
}

/// The first directory holding all four [`MNIST_FILES`] among: `$WEBGRAD_ASSETS/mnist`, then
/// `assets/mnist` under the current directory and each of its ancestors, then this repository's
/// `assets/mnist` (located at compile time).
#[cfg(not(target_arch = "wasm32"))]
pub fn find_mnist_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let has_files = |dir: &PathBuf| MNIST_FILES.iter().all(|f| dir.join(f).is_file());
    let from_env = std::env::var_os("WEBGRAD_ASSETS").map(|a| PathBuf::from(a).join("mnist"));
    let cwd = std::env::current_dir().ok();
    let from_cwd = cwd.iter().flat_map(|c| c.ancestors()).map(|a| a.join("assets").join("mnist"));
    let from_repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/mnist"));
    from_env.into_iter().chain(from_cwd).chain(std::iter::once(from_repo)).find(has_files)
}
