//! Inputs the fuzz targets (fuzz/, scripts/fuzz.sh) found, each kept here as a regression test:
//! a panic on a hostile NPY header, and outcomes that depended on where the input was cut into
//! chunks (the parsers promise the same result, or the same error message, for any cutting).
//! The crashing inputs themselves are in fuzz/corpus/<target>/crash-*.

use std::fmt::Debug;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use webgrad_data::{
    AutoParser, ChunkParser, CsvOptions, MaybeGzip, NpyDtype, NpyParser, Progress, Result, load_bytes, parse_all,
    parse_npy,
};

/// The outcome of feeding `bytes` cut at `cuts` (ascending offsets) to a fresh parser.
fn chunked<P: ChunkParser>(mut p: P, bytes: &[u8], cuts: &[usize]) -> String
where
    P::Output: Debug,
{
    let mut start = 0;
    for &end in cuts.iter().chain([&bytes.len()]) {
        if let Err(e) = p.push(&bytes[start..end]) {
            return format!("Err({e})");
        }
        start = end;
    }
    match p.finish() {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e})"),
    }
}

fn whole<P: ChunkParser>(p: P, bytes: &[u8]) -> String
where
    P::Output: Debug,
{
    match parse_all(p, bytes) {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e})"),
    }
}

/// Keeps the bytes it is given (behind `MaybeGzip`: the decompressed stream).
struct Collect(Vec<u8>);

impl ChunkParser for Collect {
    type Output = usize;
    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.0.extend_from_slice(chunk);
        Ok(())
    }
    fn finish(self) -> Result<usize> {
        Ok(self.0.len())
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
    fn source(&self) -> &str {
        "x.gz"
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn npy_with_descr(descr: &str) -> Vec<u8> {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}\n");
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend([0u8; 8]);
    b
}

/// fuzz/corpus/npy/crash-descr-non-ascii-first-char: `descr[1..]` sliced inside a character.
#[test]
fn npy_descr_starting_with_a_non_ascii_character_is_an_error_not_a_panic() {
    let e = parse_npy(&npy_with_descr("ģ4"), "x.npy").unwrap_err().to_string();
    assert!(e.starts_with("x.npy: byte 10: unsupported dtype \"ģ4\""), "{e}");
    for descr in ["é", "ģ", "€f4", "<", ""] {
        assert!(NpyDtype::from_descr(descr).is_err(), "{descr:?}");
    }
}

/// fuzz/corpus/npy/crash-magic-message-depends-on-chunks: the message listed the bytes seen so
/// far, so one byte per chunk gave `[34]` and one piece `[34, ff]`.
#[test]
fn npy_bad_magic_message_does_not_depend_on_chunks() {
    let input = b"4\xff".as_slice();
    let one = whole(MaybeGzip::new(NpyParser::new("x.npy")), input);
    assert_eq!(
        one,
        "Err(x.npy: byte 0: not a .npy file: the first bytes are [34, ff] (expected the magic \\x93NUMPY))"
    );
    assert_eq!(chunked(MaybeGzip::new(NpyParser::new("x.npy")), input, &[1, 2]), one);
    let zip = b"PK\x03\x04zip and more".as_slice();
    let one = whole(NpyParser::new("x.npy"), zip);
    assert!(one.contains("the first bytes are [50, 4b, 03, 04, 7a, 69]"), "{one}");
    for cut in 0..zip.len() {
        assert_eq!(chunked(NpyParser::new("x.npy"), zip, &[cut]), one, "cut at {cut}");
    }
}

/// fuzz/corpus/gzip/crash-member-magic-cut-after-1f: after a member, a chunk ending in `1f`
/// passed the "another member?" check, and the next chunk's byte gave a different error.
#[test]
fn gzip_data_after_a_member_is_reported_alike_however_cut() {
    let mut input = gz(b"hello, world");
    let end = input.len();
    input.extend([0x1f, 0x92, 0x08, 0x00]);
    let one = whole(MaybeGzip::new(Collect(Vec::new())), &input);
    assert_eq!(
        one,
        format!("Err(x.gz: byte {end}: data after the end of the gzip stream that is not another gzip member)")
    );
    for cut in 0..input.len() {
        assert_eq!(chunked(MaybeGzip::new(Collect(Vec::new())), &input, &[cut]), one, "cut at {cut}");
        assert_eq!(chunked(MaybeGzip::new(Collect(Vec::new())), &input, &[cut, end + 1]).as_str(), one, "cut at {cut}");
    }
}

/// fuzz/corpus/gzip/crash-inflate-output-held-back-at-chunk-end: when its input runs out, the
/// inflater may keep back output it could already give; it was asked again only when its
/// output buffer was full, so a truncated stream reported a decompressed size (and fed the
/// parser bytes) that depended on where chunks were cut: 65538 bytes in one piece, 65536 in
/// three.
#[test]
fn gzip_truncated_stream_reports_the_same_size_however_cut() {
    // The fuzz input: 5 control bytes (cuts at 40 and 70), then a truncated gzip stream.
    let input = &include_bytes!("../../../../fuzz/corpus/gzip/crash-inflate-output-held-back-at-chunk-end")[5..];
    let one = whole(MaybeGzip::new(Collect(Vec::new())), input);
    assert!(one.contains("truncated gzip") && one.contains("65538 bytes decompressed so far"), "{one}");
    assert_eq!(chunked(MaybeGzip::new(Collect(Vec::new())), input, &[40, 70]), one);
    for cut in 1..input.len() {
        assert_eq!(chunked(MaybeGzip::new(Collect(Vec::new())), input, &[cut]), one, "cut at {cut}");
    }
}

/// fuzz/corpus/auto/crash-format-sniffed-past-64-bytes: text/binary was judged on all the bytes
/// of the first chunks rather than the first 64, so a NUL after byte 64 made one piece IDX and
/// two chunks CSV.
#[test]
fn auto_format_is_judged_on_the_first_64_bytes_only() {
    let mut input = b"a,b,label\n".repeat(8);
    input.extend(b"1,2,\0\n");
    let one = match load_bytes("data", &input, &CsvOptions::default()) {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e})"),
    };
    assert!(one.starts_with("Ok(Table("), "read as CSV: {one}");
    for cut in [1, 63, 64, 65, 70, 80] {
        let p = MaybeGzip::new(AutoParser::new("data", CsvOptions::default()));
        assert_eq!(chunked(p, &input, &[cut]), one, "cut at {cut}");
    }
}
