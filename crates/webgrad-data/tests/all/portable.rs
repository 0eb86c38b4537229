//! Runs natively and in headless Chromium (wasm32 + simd128): the bundled MNIST parses from bytes
//! (the way the web app receives it), bad bytes give located errors, generators are seeded.

use webgrad_core::dual_test;
use webgrad_data::{Batcher, Cursor, load_mnist_bytes, parse_idx, synthetic};

const TRAIN_IMAGES: &[u8] = include_bytes!("../../../../assets/mnist/train-images-idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] = include_bytes!("../../../../assets/mnist/train-labels-idx1-ubyte.gz");
const TEST_IMAGES: &[u8] = include_bytes!("../../../../assets/mnist/t10k-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("../../../../assets/mnist/t10k-labels-idx1-ubyte.gz");

/// FNV-1a over the bit patterns, to compare exact contents across platforms.
fn fnv(bits: impl Iterator<Item = u32>) -> u64 {
    bits.fold(0xcbf29ce484222325u64, |h, b| {
        b.to_le_bytes().iter().fold(h, |h, &x| (h ^ x as u64).wrapping_mul(0x100000001b3))
    })
}

dual_test! {
    async fn bundled_mnist_parses_from_bytes() {
        let (train, test) = load_mnist_bytes(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS).unwrap();
        assert_eq!((train.n, train.d, test.n), (8000, 784, 2000));
        assert_eq!(train.image_shape, Some((28, 28)));
        assert!(train.class_counts().iter().all(|&c| c > 400), "{:?}", train.class_counts());
        assert!(train.features.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    async fn truncated_and_garbled_files_name_file_and_byte() {
        let err = load_mnist_bytes(&TRAIN_IMAGES[..1000], TRAIN_LABELS, TEST_IMAGES, TEST_LABELS).unwrap_err().to_string();
        assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");
        let err = parse_idx(&[0, 0, 0x42, 1, 0, 0, 0, 1, 7], "odd.idx").unwrap_err().to_string();
        assert!(err.contains("odd.idx") && err.contains("byte 2"), "{err}");
        let err = parse_idx(&[], "empty.idx").unwrap_err().to_string();
        assert!(err.contains("empty.idx"), "{err}");
    }

    async fn generators_and_batch_order_are_identical_on_every_platform() {
        // The hashes were computed natively; the browser run must reproduce them bit for bit.
        let spiral = synthetic::spiral(200, 0.3, 7);
        let h_spiral = fnv(spiral.features.iter().map(|v| v.to_bits()));
        let mut b = Batcher::new(8000, 64, true, false, 1).unwrap();
        let h_order = fnv(b.order(3).to_vec().into_iter());
        let first = b.batch(Cursor { epoch: 0, step: 0 }).unwrap().to_vec();
        assert_eq!(first.len(), 64);
        assert_eq!((h_spiral, h_order), (SPIRAL_HASH, ORDER_HASH), "cross-platform determinism broke");
    }
}

const SPIRAL_HASH: u64 = 14900764573689484082;
const ORDER_HASH: u64 = 18134660243130300501;
