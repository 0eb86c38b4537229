//! Parsing throughput in the browser (wasm32 + simd128, headless Chromium): prints MB/s for
//! IDX and numeric CSV, the same inputs as `cargo run --release -p webgrad-data --example
//! parse_bench` natively. A benchmark, not a test: it asserts only that the parses succeed.
//!
//!   cargo test -p webgrad-web --release --target wasm32-unknown-unknown --test parse_bench -- --nocapture
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;
use webgrad_data::{CsvOptions, CsvParser, IdxParser, parse_all};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_else(js_sys::Date::now)
}

/// Best of three runs, in MB/s.
fn throughput(bytes: usize, mut run: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = now_ms();
        run();
        best = best.min(now_ms() - t);
    }
    bytes as f64 / 1e6 / (best / 1e3)
}

#[wasm_bindgen_test]
fn parse_throughput() {
    // IDX u8, 60000 × 28 × 28 (the full MNIST training-set size)
    let (n, r, c) = (60_000u32, 28u32, 28u32);
    let mut idx = vec![0, 0, 0x08, 3];
    for d in [n, r, c] {
        idx.extend(d.to_be_bytes());
    }
    idx.extend((0..(n * r * c) as usize).map(|i| (i * 31 % 251) as u8));
    let idx_mbs = throughput(idx.len(), || {
        parse_all(IdxParser::new("bench.idx"), &idx).unwrap();
    });

    // numeric CSV, 100,000 rows × 20 features + a label
    let mut csv = (0..20).map(|i| format!("f{i},")).collect::<String>() + "label\n";
    for row in 0..100_000u32 {
        for col in 0..20u32 {
            csv += &format!("{}.{:03},", (row * 7 + col) % 97, (row * 13 + col * 31) % 1000);
        }
        csv += &format!("{}\n", row % 3);
    }
    let csv_mbs = throughput(csv.len(), || {
        parse_all(CsvParser::new("bench.csv", CsvOptions::default()), csv.as_bytes()).unwrap();
    });
    console_log!(
        "{{\"place\":\"browser wasm\",\"format\":\"idx-u8\",\"bytes\":{},\"mb_per_s\":{idx_mbs:.0}}}",
        idx.len()
    );
    console_log!(
        "{{\"place\":\"browser wasm\",\"format\":\"csv-numeric\",\"bytes\":{},\"mb_per_s\":{csv_mbs:.0}}}",
        csv.len()
    );
}
