//! `load_bytes`' format detection (magic bytes, then the name, then text or binary) over any
//! input, plain or gzip: flag bits 2–3 pick the file name, bit 4 the missing-value policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webgrad_data::{AutoParser, CsvOptions, MaybeGzip, MissingPolicy};
use webgrad_fuzz::{Input, check};

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data, 0);
    let name = ["fuzz", "fuzz.csv", "fuzz.idx.gz", "fuzz.npy"][(input.flags >> 2 & 3) as usize];
    let missing = if input.flags & 0x10 != 0 { MissingPolicy::FillMean } else { MissingPolicy::Error };
    let opts = CsvOptions { missing, ..CsvOptions::default() };
    let _ = check(&input, || MaybeGzip::new(AutoParser::new(name, opts.clone())));
});
