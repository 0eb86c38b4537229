//! Writes NumPy `.npy` files (format version 1.0): the header dict, padded so that the data
//! starts at a multiple of 64 bytes, then the elements little-endian in C order.

/// A 2-D little-endian f32 array `[rows, cols]` (`values.len() == rows · cols`).
pub fn f32_matrix(rows: usize, cols: usize, values: &[f32]) -> Vec<u8> {
    debug_assert_eq!(Some(values.len()), rows.checked_mul(cols));
    let mut out = header("<f4", &format!("({rows}, {cols})"));
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    out
}

/// A 1-D little-endian i64 array (class labels as PyTorch's losses take them).
pub fn i64_vector(values: &[u32]) -> Vec<u8> {
    let mut out = header("<i8", &format!("({},)", values.len()));
    out.extend(values.iter().flat_map(|&v| i64::from(v).to_le_bytes()));
    out
}

fn header(descr: &str, shape: &str) -> Vec<u8> {
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // magic (6) + version (2) + header length (2) + dict + '\n' is a multiple of 64
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((dict.len() as u16).to_le_bytes());
    out.extend(dict.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::{NpyData, parse_npy};

    #[test]
    fn written_arrays_parse_back() {
        let m = f32_matrix(2, 3, &[1.0, -2.5, 3.0, 4.0, 5.0, 6.25]);
        assert_eq!((m.len() - 24) % 64, 0, "the data starts at a multiple of 64 bytes");
        let parsed = parse_npy(&m, "m.npy").unwrap();
        assert_eq!(parsed.shape, vec![2, 3]);
        assert_eq!(parsed.data, NpyData::F32(vec![1.0, -2.5, 3.0, 4.0, 5.0, 6.25]));
        let v = parse_npy(&i64_vector(&[0, 7, 3]), "v.npy").unwrap();
        assert_eq!(v.shape, vec![3]);
        assert_eq!(v.data, NpyData::F32(vec![0.0, 7.0, 3.0]));
    }
}
