//! NPY parsing: every supported dtype, header versions, any chunking, datasets from pairs, and
//! located errors for unsupported or hostile files.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use webgrad_data::{
    AutoParser, ChunkParser, CsvOptions, DataError, Format, MaybeGzip, NpyData, NpyDtype, NpyParser, Parsed, Targets,
    load_bytes, load_npy_pair, parse_npy,
};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// An .npy file with this header dict, format version `major`, and raw data.
fn npy_with(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let pre = if major == 1 { 10 } else { 12 };
    let mut header = dict.to_string();
    while !(pre + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([major, 0]);
    if major == 1 {
        out.extend((header.len() as u16).to_le_bytes());
    } else {
        out.extend((header.len() as u32).to_le_bytes());
    }
    out.extend(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    npy_with(1, &format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"), data)
}

fn floats(data: &NpyData) -> &[f32] {
    match data {
        NpyData::F32(v) => v,
        NpyData::Str(_) => panic!("strings"),
    }
}

#[test]
fn every_dtype_and_version() {
    let f = |descr: &str, bytes: Vec<u8>, n: usize| {
        let a = parse_npy(&npy(descr, &format!("({n},)"), &bytes), "a.npy").unwrap();
        assert_eq!(a.shape, vec![n]);
        floats(&a.data).to_vec()
    };
    assert_eq!(f("<f4", [1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect(), 2), [1.5, -2.0]);
    assert_eq!(f("<f8", [0.1f64, 1e10].iter().flat_map(|v| v.to_le_bytes()).collect(), 2), [0.1f32, 1e10]);
    assert_eq!(f("|u1", vec![0, 255, 7], 3), [0., 255., 7.]);
    assert_eq!(f("|i1", vec![0x80, 0xff], 2), [-128., -1.]);
    assert_eq!(f("<i2", [-300i16, 5].iter().flat_map(|v| v.to_le_bytes()).collect(), 2), [-300., 5.]);
    assert_eq!(f("<u2", [65535u16].iter().flat_map(|v| v.to_le_bytes()).collect(), 1), [65535.]);
    assert_eq!(f("<i4", [-70000i32, 3].iter().flat_map(|v| v.to_le_bytes()).collect(), 2), [-70000., 3.]);
    assert_eq!(f("<u4", [4_000_000_000u32].iter().flat_map(|v| v.to_le_bytes()).collect(), 1), [4e9]);
    assert_eq!(f("<i8", [-5i64, 1 << 40].iter().flat_map(|v| v.to_le_bytes()).collect(), 2), [-5., 2f32.powi(40)]);
    assert_eq!(f("<u8", [9u64].iter().flat_map(|v| v.to_le_bytes()).collect(), 1), [9.]);
    assert_eq!(f("|b1", vec![0, 1, 1], 3), [0., 1., 1.]);

    let s = parse_npy(
        &npy("<U3", "(2,)", &[b'a', 0, 0, 0, b'b', 0, 0, 0, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        "s.npy",
    )
    .unwrap();
    assert_eq!((s.dtype, s.data), (NpyDtype::Unicode(3), NpyData::Str(vec!["ab".into(), "é".into()])));

    // Versions 2 and 3 (4-byte header length), any key order, a scalar shape, a 0-d array.
    let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
    for major in [2, 3] {
        let a = parse_npy(&npy_with(major, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", &data), "v")
            .unwrap();
        assert_eq!((a.shape.clone(), a.data_offset), (vec![2, 3], 128), "version {major}");
        assert_eq!(floats(&a.data), [0., 1., 2., 3., 4., 5.]);
    }
    let a = parse_npy(&npy("<f4", "()", &2.5f32.to_le_bytes()), "scalar.npy").unwrap();
    assert_eq!((a.shape.len(), floats(&a.data)), (0, &[2.5f32][..]));
    let a = parse_npy(&npy("<f4", "(0, 5)", &[]), "empty.npy").unwrap();
    assert_eq!(floats(&a.data).len(), 0);
}

#[test]
fn chunked_equals_one_shot() {
    let data: Vec<u8> = (0..3 * 4 * 5).flat_map(|i| (i as f64 * 0.3 - 2.0).to_le_bytes()).collect();
    for file in [npy("<f8", "(3, 4, 5)", &data), npy("<U2", "(3,)", &[b'x', 0, 0, 0, 0, 0, 0, 0].repeat(3))] {
        let one = parse_npy(&file, "c.npy").unwrap();
        for bytes in [file.clone(), gzip(&file)] {
            for size in 1..=7 {
                let mut p = MaybeGzip::new(NpyParser::new("c.npy"));
                bytes.chunks(size).for_each(|c| p.push(c).unwrap());
                assert_eq!(p.finish().unwrap(), one, "chunk size {size}");
            }
        }
    }
}

#[test]
fn datasets_from_pairs() {
    let x: Vec<u8> = (0..12).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let images = npy("<f4", "(3, 2, 2)", &x);
    let labels = npy("<i8", "(3,)", &[2i64, 0, 2].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    let ds = load_npy_pair(&images, "x.npy", &labels, "y.npy", "toy").unwrap();
    assert_eq!((ds.n, ds.d, ds.image_shape), (3, 4, Some((2, 2))));
    assert_eq!(
        ds.targets,
        Targets::Classes { labels: vec![2, 0, 2], classes: 3, names: vec!["0".into(), "1".into(), "2".into()] }
    );

    let i4 = npy("<i4", "(3,)", &[1i32, 0, 1].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    assert_eq!(load_npy_pair(&images, "x", &i4, "y", "t").unwrap().labels().unwrap(), &[1, 0, 1]);

    let flat = npy("<f4", "(3, 4)", &x);
    let y = npy("<f8", "(3,)", &[0.5f64, 1.0, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    let ds = load_npy_pair(&flat, "x", &y, "y", "reg").unwrap();
    assert_eq!((ds.image_shape, ds.targets), (None, Targets::Regression { values: vec![0.5, 1.0, -2.0], outputs: 1 }));
    let y2 = npy("<f4", "(3, 2)", &x[..24]);
    assert_eq!(load_npy_pair(&flat, "x", &y2, "y", "reg").unwrap().num_outputs(), 2);

    let short = npy("|u1", "(2,)", &[0, 1]);
    assert_eq!(
        load_npy_pair(&flat, "x.npy", &short, "y.npy", "set").unwrap_err().to_string(),
        "set: x.npy has shape [3, 4] but y.npy has shape [2] (expected [3] or [3, k])"
    );
    let negative = npy("|i1", "(3,)", &[0, 0xff, 1]);
    assert_eq!(
        load_npy_pair(&flat, "x.npy", &negative, "y.npy", "set").unwrap_err().to_string(),
        "y.npy: byte 129: label -1 (item 1) is not a class id in 0..65536"
    );
    let one_class = npy("|u1", "(3,)", &[0, 0, 0]);
    let e = load_npy_pair(&flat, "x.npy", &one_class, "y.npy", "set").unwrap_err().to_string();
    assert!(e.starts_with("y.npy: byte 128: every label is \"0\"; classification needs at least 2 classes"), "{e}");
}

#[test]
fn unsupported_and_broken_files_are_located() {
    let e = |bytes: &[u8]| parse_npy(bytes, "bad.npy").unwrap_err().to_string();
    assert_eq!(
        e(&npy("<c8", "(1,)", &[0; 8])),
        "bad.npy: byte 10: unsupported dtype \"<c8\" (expected '<f4', '<f8', '|u1', '|i1', '<i2', '<u2', '<i4', \
         '<u4', '<i8', '<u8', '|b1' or '<U<n>')"
    );
    assert!(e(&npy(">f4", "(1,)", &[0; 4])).starts_with("bad.npy: byte 10: big-endian dtype \">f4\" is not supported"));
    let fortran = npy_with(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", &[0; 16]);
    assert!(e(&fortran).starts_with("bad.npy: byte 10: fortran_order: True (column-major) is not supported"));
    let structured = npy_with(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", &[0; 4]);
    assert!(e(&structured).contains("structured dtypes"), "{}", e(&structured));
    assert_eq!(e(b""), "bad.npy: byte 0: empty file (expected a .npy header)");
    assert!(e(b"PK\x03\x04zip").starts_with("bad.npy: byte 0: not a .npy file"));
    assert_eq!(e(b"\x93NUMPY\x01"), "bad.npy: byte 0: truncated NPY header: expected 8 bytes, found 7");
    assert_eq!(e(b"\x93NUMPY\x04\x00\x10\x00"), "bad.npy: byte 6: NPY format version 4.0 (expected 1, 2 or 3)");
    let data = npy("<f4", "(2, 3)", &[0; 24]);
    assert_eq!(
        e(&data[..data.len() - 5]),
        "bad.npy: byte 128: truncated NPY data for shape [2, 3] of F32: expected 24 bytes, found 19"
    );
    let mut long = data.clone();
    long.extend([1, 2]);
    assert_eq!(e(&long), "bad.npy: byte 152: 2 trailing bytes after the 24 data bytes that shape [2, 3] describes");
    let mut huge_header = b"\x93NUMPY\x02\x00".to_vec();
    huge_header.extend(1_000_000u32.to_le_bytes());
    assert_eq!(e(&huge_header), "bad.npy: byte 8: NPY header of 1000000 bytes (expected at most 65536)");
    let gz = gzip(&data);
    let g = parse_npy(&gz[..gz.len() - 4], "bad.npy.gz").unwrap_err().to_string();
    assert!(g.starts_with(&format!("bad.npy.gz: byte {}: truncated gzip", gz.len() - 4)), "{g}");
}

#[test]
fn hostile_header_is_rejected_before_allocating() {
    // 2^32 f8 elements (32 GiB) claimed, 16 bytes present: the memory budget refuses the header
    // before anything is allocated, whether or not the input size is known
    webgrad_core::budget::set_limit(3_500_000_000);
    let file = npy("<f8", "(65536, 65536)", &[0; 16]);
    let mut p = NpyParser::new("huge.npy");
    p.expect_len(file.len() as u64);
    let header_len = file.len() - 16;
    let e = p.push(&file[..header_len]).unwrap_err().to_string();
    assert!(e.ends_with("NPY data of shape [65536, 65536] needs 34.4 GB in memory; the limit is 3.5 GB"), "{e}");
    // 1 GiB claimed (within the budget), 16 bytes present: the size check names the shortfall
    let big = npy("<f8", "(16384, 8192)", &[0; 16]);
    let mut p = NpyParser::new("big.npy");
    p.expect_len(big.len() as u64);
    let e = p.push(&big[..big.len() - 16]).unwrap_err();
    assert!(matches!(e, DataError::Truncated { expected: 1_073_741_824, found: 16, offset: 128, .. }), "{e:?}");
    let start = std::time::Instant::now();
    let e = parse_npy(&gzip(&file), "huge.npy.gz").unwrap_err().to_string();
    assert!(e.ends_with("NPY data of shape [65536, 65536] needs 34.4 GB in memory; the limit is 3.5 GB"), "{e}");
    let overflow = npy("<f8", "(4294967296, 4294967296, 4294967296)", &[]);
    let e = parse_npy(&overflow, "o.npy").unwrap_err().to_string();
    assert!(e.contains("overflows this platform's address space"), "{e}");
    assert!(start.elapsed().as_secs() < 2);
    // no rows: the header's size check passes, and the image's rows × cols overflows; the pair
    // loader says so (before: a multiply that panicked in debug and fuzz builds)
    let empty = npy("<f4", "(0, 8589934592, 8589934592)", &[]);
    let labels = npy("|u1", "(0,)", &[]);
    let e = load_npy_pair(&empty, "x.npy", &labels, "y.npy", "pair").unwrap_err().to_string();
    assert!(e.contains("x.npy") && e.contains("too large"), "{e}");
}

#[test]
fn auto_parser_picks_the_format() {
    let x = npy("<f4", "(1, 2)", &[0; 8]);
    let idx = [0u8, 0, 8, 1, 0, 0, 0, 2, 5, 6];
    let csv = b"a,b\n1,2\n3,4\n";
    for (name, bytes, want) in [
        ("anything", x.clone(), Format::Npy),
        ("labels-idx1-ubyte", idx.to_vec(), Format::Idx),
        ("t.csv", csv.to_vec(), Format::Csv),
        ("no-extension", csv.to_vec(), Format::Csv),
    ] {
        for b in [bytes.clone(), gzip(&bytes)] {
            let mut p = MaybeGzip::new(AutoParser::new(name, CsvOptions::default()));
            b.chunks(2).for_each(|c| p.push(c).unwrap());
            let got = p.finish().unwrap();
            let format = match got {
                Parsed::Table(_) => Format::Csv,
                Parsed::Idx(_) => Format::Idx,
                Parsed::Npy(_) => Format::Npy,
            };
            assert_eq!(format, want, "{name}");
        }
    }
    assert_eq!(Format::from_name("X.NPY.gz"), Some(Format::Npy));
    assert_eq!(Format::from_name("train-images-idx3-ubyte.gz"), Some(Format::Idx));
    assert_eq!(Format::from_name("data.tsv"), Some(Format::Csv));
    // A .npy name with other content gets the NPY parser's explanation.
    let e = load_bytes("y.npy", b"1,2\n", &CsvOptions::default()).unwrap_err().to_string();
    assert!(e.starts_with("y.npy: byte 0: not a .npy file"), "{e}");
    // Short IDX garbage is reported by the IDX parser.
    let e = load_bytes("z", &[0, 0, 8, 0], &CsvOptions::default()).unwrap_err().to_string();
    assert_eq!(e, "z: byte 3: IDX rank 0 (expected 1..=4)");
}
