#![cfg(not(target_arch = "wasm32"))] // reads the bundled files from disk; tests/all/portable.rs covers the browser
//! The bundled MNIST subset (assets/mnist) and the errors of the MNIST loader.

use std::path::PathBuf;

use webgrad_data::{MNIST_FILES, find_mnist_dir, load_mnist_bytes, load_mnist_dir};

fn asset_dir() -> PathBuf {
    find_mnist_dir().expect("assets/mnist with the four MNIST files")
}

#[test]
fn bundled_mnist_loads() {
    let (train, test) = load_mnist_dir(&asset_dir()).unwrap();
    assert_eq!((train.name.as_str(), train.n, train.d), ("mnist-train", 8000, 784));
    assert_eq!((test.name.as_str(), test.n, test.d), ("mnist-test", 2000, 784));
    for ds in [&train, &test] {
        assert_eq!(ds.image_shape, Some((28, 28)));
        assert_eq!(ds.num_outputs(), 10);
        assert!(ds.labels().unwrap().iter().all(|&l| l < 10));
        let counts = ds.class_counts();
        assert!(counts.iter().all(|&c| c > ds.n / 20), "{counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), ds.n);
        assert!(ds.features.iter().all(|&p| (0.0..=1.0).contains(&p)));
        // Every pixel is exactly some byte / 255.
        assert!(ds.features.iter().all(|&p| p == (p * 255.0).round() / 255.0));
        // Real digits: mostly background, some full-intensity ink, about 0.13 mean intensity.
        let mean = ds.features.iter().map(|&p| p as f64).sum::<f64>() / ds.features.len() as f64;
        assert!((0.1..0.17).contains(&mean), "mean pixel {mean}");
        assert!(ds.features.contains(&1.0));
        // Corners of every digit are blank.
        assert!((0..ds.n).all(|i| ds.row(i)[0] == 0.0 && ds.row(i)[783] == 0.0));
    }
    if let webgrad_data::Targets::Classes { names, .. } = &train.targets {
        assert_eq!(names, &(0..10).map(|c| c.to_string()).collect::<Vec<_>>());
    }
}

#[test]
fn missing_file_is_named() {
    let tmp = std::env::temp_dir().join(format!("webgrad-data-missing-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for f in &MNIST_FILES[..3] {
        std::fs::copy(asset_dir().join(f), tmp.join(f)).unwrap();
    }
    let e = load_mnist_dir(&tmp).unwrap_err().to_string();
    std::fs::remove_dir_all(&tmp).unwrap();
    assert!(e.contains("t10k-labels-idx1-ubyte.gz: cannot read"), "{e}");
}

#[test]
fn label_out_of_range_and_count_mismatch() {
    let dir = asset_dir();
    let read = |i: usize| std::fs::read(dir.join(MNIST_FILES[i])).unwrap();
    let (tri, trl, tei, tel) = (read(0), read(1), read(2), read(3));

    // Test labels (plain IDX): label 12 at item 5 → byte 8 + 5.
    let mut labels = vec![0, 0, 8, 1];
    labels.extend_from_slice(&2000u32.to_be_bytes());
    labels.extend(std::iter::repeat_n(3u8, 2000));
    labels[8 + 5] = 12;
    let e = load_mnist_bytes(&tri, &trl, &tei, &labels).unwrap_err().to_string();
    assert_eq!(e, "t10k-labels-idx1-ubyte.gz: byte 13: label 12 (item 5) out of range (expected 0..10)");

    // Train labels swapped for the (2000) test labels: counts differ; both files are named.
    let e = load_mnist_bytes(&tri, &tel, &tei, &tel).unwrap_err().to_string();
    assert_eq!(
        e,
        "mnist-train: train-images-idx3-ubyte.gz holds 8000 images but train-labels-idx1-ubyte.gz holds 2000 labels"
    );

    // A truncated download of the real file.
    let e = load_mnist_bytes(&tri[..tri.len() / 2], &trl, &tei, &tel).unwrap_err().to_string();
    let prefix = format!("train-images-idx3-ubyte.gz: byte {}: truncated gzip", tri.len() / 2);
    assert!(e.starts_with(&prefix), "{e}");
}
