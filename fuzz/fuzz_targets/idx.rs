//! IDX of every element type and rank (plain or gzip); an array that parses is then used as
//! the images and, when it has rank 1, as the labels of a classification dataset.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webgrad_data::{IdxArray, IdxData, IdxParser, IdxType, MaybeGzip, dataset_from_idx};
use webgrad_fuzz::{Input, check};

/// A valid u8 array of shape `dims` (small: callers bound the size).
fn u8_array(dims: Vec<usize>) -> IdxArray {
    let n: usize = dims.iter().product();
    let data = IdxData::U8((0..n).map(|i| (i % 3) as u8).collect());
    IdxArray { ty: IdxType::U8, data_offset: 4 + 4 * dims.len(), dims, data }
}

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data, 0);
    if let Ok(a) = check(&input, || MaybeGzip::new(IdxParser::new("fuzz.idx"))) {
        // dims[0] may be huge when another dimension is 0; the labels stay small (a count
        // that differs is an error, checked after the image dimensions).
        let labels = u8_array(vec![a.dims[0].min(4096)]);
        let _ = dataset_from_idx(a.clone(), "x.idx", labels, "y.idx", "fuzz", 1.0 / 255.0);
        if a.dims.len() == 1 {
            // Rank 1: dims[0] is the element count, bounded by the input.
            let images = u8_array(vec![a.dims[0], 1]);
            let _ = dataset_from_idx(images, "x.idx", a, "y.idx", "fuzz", 1.0);
        }
    }
});
