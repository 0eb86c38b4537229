//! Helpers for the cross-crate tests: reading the PyTorch golden fixtures in `tests/golden/`
//! (written once by `tests/golden/make_fixtures.py`; CI only reads them).

use std::path::PathBuf;

use safetensors::SafeTensors;
use safetensors::tensor::Dtype;

pub fn golden_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join(file)
}

pub fn read_golden(file: &str) -> Vec<u8> {
    std::fs::read(golden_path(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn golden_json(file: &str) -> serde_json::Value {
    serde_json::from_slice(&read_golden(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// (shape, values) of a tensor; F32 as is, I64 converted.
pub fn tensor(st: &SafeTensors<'_>, name: &str) -> (Vec<usize>, Vec<f32>) {
    let v = st.tensor(name).unwrap_or_else(|_| panic!("fixture tensor {name} missing"));
    let data = v.data();
    let values = match v.dtype() {
        Dtype::F32 => data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
        Dtype::I64 => data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        other => panic!("{name}: unexpected dtype {other:?}"),
    };
    (v.shape().to_vec(), values)
}

pub fn labels(st: &SafeTensors<'_>, name: &str) -> Vec<u32> {
    tensor(st, name).1.iter().map(|&v| v as u32).collect()
}

/// Relative difference |a − b| / max(|b|, tiny).
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}
