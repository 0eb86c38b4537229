//! NumPy `.npy` (plain or gzip); an array that parses is then paired with itself as features
//! and targets, as `load_npy_pair` pairs two files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webgrad_data::{MaybeGzip, NpyParser, dataset_from_npy};
use webgrad_fuzz::{Input, check};

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data, 0);
    if let Ok(a) = check(&input, || MaybeGzip::new(NpyParser::new("fuzz.npy"))) {
        let _ = dataset_from_npy(a.clone(), "x.npy", a, "y.npy", "fuzz");
    }
});
