//! The browser byte sources in headless Chromium: a Blob-backed `File` and a `fetch()` body,
//! fed chunk by chunk into the incremental parsers; progress, gzip, cancelling, HTTP errors.
#![cfg(target_arch = "wasm32")]

use std::io::Write;

use wasm_bindgen_test::*;
use webgrad_data::{CsvOptions, CsvParser, LabelColumn, MaybeGzip, parse_csv};
use webgrad_web::byte_source::{ByteSource, parse_stream};

wasm_bindgen_test_configure!(run_in_browser);

/// A CSV large enough to arrive in several chunks.
fn csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("x,\"y, quoted\",label\n");
    for i in 0..rows {
        s += &format!("{},{}.5,{}\n", i, i % 7, ["a", "b", "c"][i % 3]);
    }
    s.into_bytes()
}

fn file(name: &str, bytes: &[u8]) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap()
}

fn options() -> CsvOptions {
    CsvOptions { label: LabelColumn::Name("label".into()), ..CsvOptions::default() }
}

#[wasm_bindgen_test]
async fn file_stream_parses_like_one_shot_and_reports_progress() {
    let bytes = csv(50_000);
    let src = ByteSource::from_blob("big.csv", &file("big.csv", &bytes)).unwrap();
    assert_eq!(src.total, Some(bytes.len() as u64));
    let mut calls = Vec::new();
    let table =
        parse_stream(src, CsvParser::new("big.csv", options()), |p, t| calls.push((p.bytes, p.rows, t)), || false)
            .await
            .unwrap();
    assert_eq!(table, parse_csv(&bytes, "big.csv", options()).unwrap());
    // in-memory blobs may arrive as a single chunk; a progress report follows every chunk
    assert!(!calls.is_empty());
    assert_eq!(calls.last().unwrap().0, bytes.len() as u64);
    assert_eq!(calls.last().unwrap().1, 50_000);
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
}

#[wasm_bindgen_test]
async fn fetch_body_streams_gzip_and_http_errors_name_the_url() {
    let bytes = csv(2_000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).unwrap();
    let gz = gz.finish().unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&file("data.csv.gz", &gz)).unwrap();
    let src = ByteSource::fetch(&url).await.unwrap();
    let table =
        parse_stream(src, MaybeGzip::new(CsvParser::new("data.csv.gz", options())), |_, _| {}, || false).await.unwrap();
    let want = parse_csv(&bytes, "data.csv", options()).unwrap().dataset;
    assert!(table.dataset.features == want.features && table.dataset.targets == want.targets, "gzip stream differs");

    let err = ByteSource::fetch("/no-such-file.csv").await.err().expect("a 404 is an error");
    assert!(err.contains("/no-such-file.csv") && err.contains("404"), "{err}");
}

#[wasm_bindgen_test]
async fn a_load_can_be_cancelled_between_chunks() {
    let bytes = csv(50_000);
    let src = ByteSource::from_blob("big.csv", &file("big.csv", &bytes)).unwrap();
    let err = parse_stream(src, CsvParser::new("big.csv", options()), |_, _| {}, || true).await.unwrap_err();
    assert!(err.contains("big.csv") && err.contains("cancelled"), "{err}");
    // a malformed file is an error that names the line
    let bad = b"x,label\n1,a\nnot-a-number,b\n".to_vec();
    let src = ByteSource::from_blob("bad.csv", &file("bad.csv", &bad)).unwrap();
    let err = parse_stream(src, CsvParser::new("bad.csv", options()), |_, _| {}, || false).await.unwrap_err();
    assert!(err.contains("bad.csv: line 3"), "{err}");
}
