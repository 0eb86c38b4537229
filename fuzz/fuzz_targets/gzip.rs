//! The gzip layer on its own (`MaybeGzip` around a parser that keeps its bytes): besides the
//! chunking check, input without the gzip magic must pass through unchanged, and a stream that
//! flate2's `MultiGzDecoder` decodes must decode to the same bytes here. (The converse need not
//! hold: the header CRC is not checked here.)
#![no_main]

use std::io::Read;

use flate2::read::MultiGzDecoder;
use libfuzzer_sys::fuzz_target;
use webgrad_data::MaybeGzip;
use webgrad_fuzz::{Collect, Input, check};

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data, 0);
    let ours = check(&input, || MaybeGzip::new(Collect::new("fuzz.gz")));
    let body = input.body;
    if !body.starts_with(&[0x1f, 0x8b]) {
        assert_eq!(ours.expect("plain input passes through"), body);
        return;
    }
    let mut theirs = Vec::new();
    if MultiGzDecoder::new(body).read_to_end(&mut theirs).is_err() {
        return;
    }
    match ours {
        Ok(out) => assert!(out == theirs, "decompressed {} bytes, flate2 {}", out.len(), theirs.len()),
        // A header over 64 KiB (a huge name or extra field) is refused on purpose.
        Err(e) if e.to_string().contains("gzip header longer than") => {}
        Err(e) => panic!("flate2 decodes {} bytes, but: {e}", theirs.len()),
    }
});
