//! IDX parsing: round trips of every element type, plain and gzip, and every rejection path.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use webgrad_data::{
    ChunkParser, DataError, IdxData, IdxParser, IdxType, MaybeGzip, load_idx_classification, parse_idx,
};

/// An IDX file written by hand: magic, big-endian dims, then `data` (already big-endian).
fn idx_bytes(ty: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, ty, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Parses both the plain and the gzipped form; they must agree.
fn parse_both(bytes: &[u8], src: &str) -> webgrad_data::IdxArray {
    let plain = parse_idx(bytes, src).unwrap();
    let gz = parse_idx(&gzip(bytes), src).unwrap();
    assert_eq!(plain, gz);
    plain
}

#[test]
fn round_trip_every_type_plain_and_gzip() {
    let u8s = [0u8, 1, 127, 128, 255, 42];
    let a = parse_both(&idx_bytes(0x08, &[2, 3], &u8s), "u8.idx");
    assert_eq!((a.ty, a.dims.clone(), a.data_offset), (IdxType::U8, vec![2, 3], 12));
    assert_eq!(a.data, IdxData::U8(u8s.to_vec()));

    let i8s = [-128i8, -1, 0, 1, 127];
    let a = parse_both(&idx_bytes(0x09, &[5], &i8s.map(|v| v as u8)), "i8.idx");
    assert_eq!(a.ty, IdxType::I8);
    assert_eq!(a.data, IdxData::F32(vec![-128.0, -1.0, 0.0, 1.0, 127.0]));

    let i16s = [-32768i16, -2, 300, 32767];
    let a =
        parse_both(&idx_bytes(0x0B, &[2, 2], &i16s.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>()), "i16");
    assert_eq!(a.data, IdxData::F32(i16s.iter().map(|&v| v as f32).collect()));

    let i32s = [-70000i32, 0, 16_777_216];
    let a =
        parse_both(&idx_bytes(0x0C, &[1, 3, 1], &i32s.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>()), "i32");
    assert_eq!((a.ty, a.dims.clone()), (IdxType::I32, vec![1, 3, 1]));
    assert_eq!(a.data, IdxData::F32(vec![-70000.0, 0.0, 16_777_216.0]));

    let f32s = [1.5f32, -0.0, 3.25e-5, f32::MAX];
    let a = parse_both(
        &idx_bytes(0x0D, &[1, 1, 2, 2], &f32s.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>()),
        "f32",
    );
    assert_eq!((a.dims.len(), a.data_offset), (4, 20));
    assert_eq!(a.data, IdxData::F32(f32s.to_vec()));

    let f64s = [0.1f64, -2.5, 1e10];
    let a = parse_both(&idx_bytes(0x0E, &[3], &f64s.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>()), "f64");
    assert_eq!(a.data, IdxData::F32(vec![0.1f32, -2.5, 1e10]));
    assert_eq!(a.num_elements(), 3);
    assert_eq!(a.get_f32(1), -2.5);

    // A zero dimension is a valid, empty array.
    let a = parse_both(&idx_bytes(0x08, &[0, 28, 28], &[]), "empty.idx");
    assert_eq!(a.num_elements(), 0);
}

fn err(bytes: &[u8], src: &str) -> (DataError, String) {
    let e = parse_idx(bytes, src).unwrap_err();
    let s = e.to_string();
    (e, s)
}

#[test]
fn empty_file() {
    let (_, s) = err(&[], "train-images-idx3-ubyte");
    assert!(s.starts_with("train-images-idx3-ubyte: byte 0: empty file"), "{s}");
    let (_, s) = err(&gzip(&[]), "x.gz");
    assert!(s.starts_with("x.gz (gunzipped): byte 0: empty file"), "{s}");
}

#[test]
fn wrong_magic_type_and_rank() {
    let (_, s) = err(&[0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0], "train-images-idx3-ubyte.gz");
    assert!(
        s.starts_with(
            "train-images-idx3-ubyte.gz: byte 0: bad IDX magic 0x12345678 (expected 0x00000803 or 0x00000801"
        ),
        "{s}"
    );
    let (_, s) = err(&idx_bytes(0x07, &[1], &[0]), "t.idx");
    assert!(s.starts_with("t.idx: byte 2: unknown IDX type byte 0x07 (expected 0x08 u8"), "{s}");
    let (_, s) = err(&[0, 0, 8, 0], "r0.idx");
    assert_eq!(s, "r0.idx: byte 3: IDX rank 0 (expected 1..=4)");
    let (_, s) = err(&idx_bytes(0x08, &[1, 1, 1, 1, 1], &[7]), "r5.idx");
    assert_eq!(s, "r5.idx: byte 3: IDX rank 5 (expected 1..=4)");
    // The same checks apply after gunzip.
    let (_, s) = err(&gzip(&[0, 0, 8, 9]), "r9.gz");
    assert_eq!(s, "r9.gz (gunzipped): byte 3: IDX rank 9 (expected 1..=4)");
}

#[test]
fn truncated_files() {
    let full = idx_bytes(0x08, &[2, 3], &[1, 2, 3, 4, 5, 6]);
    let (e, s) = err(&full[..15], "labels.idx");
    assert!(matches!(e, DataError::Truncated { offset: 12, expected: 6, found: 3, .. }), "{e:?}");
    assert_eq!(s, "labels.idx: byte 12: truncated IDX data for dims [2, 3]: expected 6 bytes, found 3");
    let (_, s) = err(&gzip(&full[..15]), "labels.gz");
    assert_eq!(s, "labels.gz (gunzipped): byte 12: truncated IDX data for dims [2, 3]: expected 6 bytes, found 3");
    // Cut inside the dimensions and inside the magic.
    let (_, s) = err(&full[..9], "dims.idx");
    assert_eq!(s, "dims.idx: byte 4: truncated IDX dimensions (rank 2): expected 8 bytes, found 5");
    let (_, s) = err(&full[..3], "m.idx");
    assert_eq!(s, "m.idx: byte 0: truncated IDX magic number: expected 4 bytes, found 3");
    // A gzip stream cut short is reported as such (at the compressed end), not silently accepted.
    let gz = gzip(&idx_bytes(0x08, &[1000], &[9; 1000]));
    let (_, s) = err(&gz[..gz.len() - 12], "cut.gz");
    let prefix =
        format!("cut.gz: byte {}: truncated gzip: the file ends before the end of the compressed data", gz.len() - 12);
    assert!(s.starts_with(&prefix), "{s}");
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = idx_bytes(0x08, &[2], &[1, 2]);
    bytes.extend_from_slice(&[0, 0, 0]);
    let (_, s) = err(&bytes, "t.idx");
    assert_eq!(s, "t.idx: byte 10: 3 trailing bytes after the 2 data bytes that dims [2] describe");
    let (_, s) = err(&gzip(&bytes), "t.gz");
    assert_eq!(s, "t.gz (gunzipped): byte 10: 3 trailing bytes after the 2 data bytes that dims [2] describe");
}

#[test]
fn huge_headers_fail_fast_without_allocating() {
    // 65536 × 65536 = 2^32 u8 items claimed, 4 bytes present.
    let bytes = idx_bytes(0x08, &[65536, 65536], &[1, 2, 3, 4]);
    let start = std::time::Instant::now();
    let (e, s) = err(&bytes, "huge.idx");
    assert!(matches!(e, DataError::Truncated { expected: 4_294_967_296, found: 4, .. }), "{e:?}");
    assert!(s.starts_with("huge.idx: byte 12: truncated IDX data"), "{s}");
    let (e, _) = err(&gzip(&bytes), "huge.gz");
    assert!(matches!(e, DataError::Truncated { expected: 4_294_967_296, found: 4, .. }), "{e:?}");
    // Element count × element size overflowing 64 bits.
    let (_, s) = err(&idx_bytes(0x0E, &[u32::MAX; 4], &[]), "overflow.idx");
    assert!(s.starts_with("overflow.idx: byte 4: dimensions [4294967295, 4294967295, 4294967295, 4294967295]"), "{s}");
    assert!(start.elapsed().as_secs() < 2, "took {:?}", start.elapsed());
}

#[test]
fn classification_from_idx() {
    let images = idx_bytes(0x08, &[3, 2, 2], &[0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]);
    let labels = idx_bytes(0x08, &[3], &[2, 0, 4]);
    let ds = load_idx_classification(&gzip(&images), "img.gz", &labels, "lab", "toy", 1.0 / 255.0).unwrap();
    assert_eq!((ds.n, ds.d, ds.image_shape), (3, 4, Some((2, 2))));
    assert_eq!(&ds.features[..4], &[0.0, 1.0, 51.0 * (1.0 / 255.0), 102.0 * (1.0 / 255.0)]);
    assert_eq!(ds.labels().unwrap(), &[2, 0, 4]);
    assert_eq!(ds.num_outputs(), 5);
    assert_eq!(ds.class_counts(), vec![1, 0, 1, 0, 1]);

    // Rank-2 images: no image shape. i16 labels holding small integers are accepted.
    let flat =
        idx_bytes(0x0D, &[2, 3], &[1f32, 2., 3., 4., 5., 6.].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>());
    let l16 = idx_bytes(0x0B, &[2], &[0, 1, 0, 0]);
    let ds = load_idx_classification(&flat, "flat", &l16, "l16", "flat", 2.0).unwrap();
    assert_eq!((ds.d, ds.image_shape, ds.labels().unwrap()), (3, None, &[1u32, 0][..]));
    assert_eq!(ds.features, vec![2., 4., 6., 8., 10., 12.]);
}

#[test]
fn classification_errors_name_files() {
    let images = idx_bytes(0x08, &[3, 1, 1], &[1, 2, 3]);
    let labels2 = idx_bytes(0x08, &[2], &[0, 1]);
    let e = load_idx_classification(&images, "a-images", &labels2, "a-labels", "set", 1.0).unwrap_err().to_string();
    assert_eq!(e, "set: a-images holds 3 images but a-labels holds 2 labels");

    // A label of 300 (i16) is out of 0..=255; item 1 sits at byte 8 + 1·2.
    let big = idx_bytes(0x0B, &[3], &[0, 1, 0x01, 0x2C, 0, 0]);
    let e = load_idx_classification(&images, "img", &big, "big-labels", "set", 1.0).unwrap_err().to_string();
    assert_eq!(e, "big-labels: byte 10: label 300 (item 1) is not an integer in 0..=255");

    let e = load_idx_classification(&labels2, "oops-images", &labels2, "l", "set", 1.0).unwrap_err().to_string();
    assert!(e.starts_with("oops-images: byte 3: expected images of rank 3"), "{e}");
    let e = load_idx_classification(&images, "img", &images, "oops-labels", "set", 1.0).unwrap_err().to_string();
    assert!(e.starts_with("oops-labels: byte 3: expected labels of rank 1"), "{e}");

    let nan = idx_bytes(0x0D, &[1, 2], &[0f32, f32::NAN].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>());
    let e =
        load_idx_classification(&nan, "nan", &idx_bytes(8, &[1], &[0]), "l", "nanset", 1.0).unwrap_err().to_string();
    assert_eq!(e, "nanset: row 0, column 1: feature is NaN (expected a finite number)");
}

/// Pushes `bytes` in pieces whose sizes cycle through `sizes`.
fn parse_chunked(bytes: &[u8], src: &str, sizes: &[usize]) -> webgrad_data::Result<webgrad_data::IdxArray> {
    let mut p = MaybeGzip::new(IdxParser::new(src));
    let (mut at, mut k) = (0, 0);
    while at < bytes.len() {
        let n = sizes[k % sizes.len()].min(bytes.len() - at);
        p.push(&bytes[at..at + n])?;
        at += n;
        k += 1;
    }
    p.finish()
}

#[test]
fn incremental_equals_one_shot_for_every_chunking() {
    let f32s: Vec<u8> = (0..3 * 5 * 7).flat_map(|i| (i as f32 * 0.37 - 9.0).to_be_bytes()).collect();
    let f64s: Vec<u8> = (0..24).flat_map(|i| (i as f64 / 3.0).to_be_bytes()).collect();
    let i16s: Vec<u8> = (0..30).flat_map(|i| (i as i16 * -1111).to_be_bytes()).collect();
    let files = [
        idx_bytes(0x0D, &[3, 5, 7], &f32s),
        idx_bytes(0x0E, &[2, 3, 2, 2], &f64s),
        idx_bytes(0x0B, &[30], &i16s),
        idx_bytes(0x08, &[4, 3, 3], &(0..36).collect::<Vec<u8>>()),
        idx_bytes(0x09, &[5], &[0x80, 0xff, 0, 1, 0x7f]),
    ];
    let mut seed = 0x9e3779b97f4a7c15u64;
    for file in &files {
        let one = parse_idx(file, "f").unwrap();
        for bytes in [file.clone(), gzip(file)] {
            for size in 1..=7 {
                assert_eq!(parse_chunked(&bytes, "f", &[size]).unwrap(), one, "chunk size {size}");
            }
            for _ in 0..20 {
                let sizes: Vec<usize> = (0..5)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        1 + (seed % 40) as usize
                    })
                    .collect();
                assert_eq!(parse_chunked(&bytes, "f", &sizes).unwrap(), one, "sizes {sizes:?}");
            }
        }
        // Errors too are the same whatever the chunking.
        let cut = &file[..file.len() - 1];
        let e1 = parse_idx(cut, "f").unwrap_err().to_string();
        for size in 1..=7 {
            assert_eq!(parse_chunked(cut, "f", &[size]).unwrap_err().to_string(), e1);
        }
    }
}

#[test]
fn progress_counts_bytes_and_rows() {
    let file = idx_bytes(0x08, &[10, 4], &[7; 40]);
    let mut p = IdxParser::new("p.idx");
    p.push(&file[..12 + 4 * 3 + 2]).unwrap();
    assert_eq!((p.progress().bytes, p.progress().rows), (26, 3));
    p.push(&file[26..]).unwrap();
    assert_eq!(p.progress().rows, 10);
    assert_eq!(p.finish().unwrap().num_elements(), 40);
}

#[test]
fn hostile_header_with_known_size_fails_before_allocating() {
    // 2^32 f64 items claimed (32 GiB): with the input size known the header alone is rejected;
    // without it the parser keeps only what arrives and reports the shortfall at the end.
    let bytes = idx_bytes(0x0E, &[65536, 65536], &[0; 16]);
    let mut p = IdxParser::new("huge.idx");
    p.expect_len(bytes.len() as u64);
    let e = p.push(&bytes[..12]).unwrap_err();
    assert!(matches!(e, DataError::Truncated { expected: 34_359_738_368, found: 16, offset: 12, .. }), "{e:?}");
    assert!(p.push(&bytes[12..]).unwrap_err().to_string().contains("already failed"));

    let mut p = IdxParser::new("huge.idx");
    for c in bytes.chunks(3) {
        p.push(c).unwrap();
    }
    let e = p.finish().unwrap_err();
    assert!(matches!(e, DataError::Truncated { expected: 34_359_738_368, found: 16, .. }), "{e:?}");
}
