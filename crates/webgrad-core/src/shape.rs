//! Shapes are row-major `Vec<usize>`; a scalar has shape `[]` and one element.

use crate::{Error, Result};

/// The element count of `shape`. Panics (never wraps) when it overflows `usize`, which on wasm32
/// is 32 bits: a wrapped count would size a buffer smaller than the kernels index. Sizes that
/// come from input are checked before a tensor is made ([`checked_numel`], `crate::budget`).
pub fn numel(shape: &[usize]) -> usize {
    checked_numel(shape).unwrap_or_else(|e| panic!("{e}"))
}

/// The element count of `shape`, or an error naming it when the count overflows `usize`.
pub fn checked_numel(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::Shape(format!("shape {shape:?} has more elements than this platform can address")))
}

/// Row-major strides (in elements) of a contiguous tensor.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc *= d;
    }
    strides
}

/// NumPy broadcasting: align trailing dims; each pair must be equal or contain a 1.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(Error::Shape(format!("cannot broadcast {a:?} with {b:?}"))),
        };
    }
    Ok(out)
}

/// Strides that read a contiguous tensor of `shape` as if it had `out_shape` (stride 0 on
/// broadcast dims). `shape` must broadcast to `out_shape`.
pub fn broadcast_strides(shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let own = contiguous_strides(shape);
    let offset = out_shape.len() - shape.len();
    (0..out_shape.len())
        .map(|i| if i < offset || shape[i - offset] == 1 && out_shape[i] != 1 { 0 } else { own[i - offset] })
        .collect()
}

/// Splits `shape` around `axis` into (outer, axis_len, inner) element counts.
pub fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (numel(&shape[..axis]), shape[axis], numel(&shape[axis + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_counts_are_checked() {
        assert_eq!(checked_numel(&[3, 4]).unwrap(), 12);
        assert_eq!(checked_numel(&[]).unwrap(), 1);
        assert!(checked_numel(&[usize::MAX, 2]).unwrap_err().to_string().contains("more elements"));
        assert!(std::panic::catch_unwind(|| numel(&[usize::MAX / 2 + 1, 2])).is_err());
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes(&[], &[2, 2]).unwrap(), vec![2, 2]);
        assert!(broadcast_shapes(&[3], &[4]).is_err());
        assert_eq!(broadcast_strides(&[3, 1], &[2, 3, 4]), vec![0, 1, 0]);
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}
