//! Parsing throughput: `cargo run --release -p webgrad-data --example parse_bench`.
//!
//! Generates data in memory (no disk), feeds it to the incremental parsers in 1 MiB chunks as
//! a file or a fetch stream would arrive, and prints MB/s (10^6 bytes of input per second,
//! best of 5 runs) for IDX, NPY, numeric CSV and gzip-compressed CSV.

use std::io::Write;
use std::time::Instant;

use webgrad_data::{ChunkParser, CsvOptions, CsvParser, IdxParser, MaybeGzip, NpyParser};

const CHUNK: usize = 1 << 20;

fn feed<P: ChunkParser>(mut p: P, bytes: &[u8]) -> P::Output {
    p.expect_len(bytes.len() as u64);
    for c in bytes.chunks(CHUNK) {
        p.push(c).expect("parses");
    }
    p.finish().expect("parses")
}

/// Best-of-5 MB/s of `run` over `bytes` input bytes.
fn bench<T>(name: &str, bytes: usize, mut run: impl FnMut() -> T) {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(run());
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{name:<44} {:>8.1} MB in {:>7.1} ms  {:>8.0} MB/s",
        bytes as f64 / 1e6,
        best * 1e3,
        bytes as f64 / 1e6 / best
    );
}

/// xorshift64*, for reproducible pseudo-random data.
struct Rand(u64);
impl Rand {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545f4914f6cdd1d)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn idx(ty: u8, dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, ty, dims.len() as u8];
    dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
    out.extend_from_slice(body);
    out
}

fn main() {
    let mut r = Rand(0x9e3779b97f4a7c15);
    println!("webgrad-data parse_bench (input in {} KiB chunks, best of 5)", CHUNK / 1024);

    // IDX: 60,000 MNIST-sized u8 images, and the same count of f32 values.
    let pixels: Vec<u8> = (0..60_000 * 784).map(|_| (r.next() >> 56) as u8).collect();
    let idx_u8 = idx(0x08, &[60_000, 28, 28], &pixels);
    bench("IDX u8 [60000, 28, 28]", idx_u8.len(), || feed(IdxParser::new("u8.idx"), &idx_u8));
    let floats: Vec<u8> = (0..4_000_000).flat_map(|_| r.unit().to_be_bytes()).collect();
    let idx_f32 = idx(0x0D, &[100_000, 40], &floats);
    bench("IDX f32 [100000, 40]", idx_f32.len(), || feed(IdxParser::new("f32.idx"), &idx_f32));

    // NPY: the same f32 values, little-endian.
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 40), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(header.as_bytes());
    floats.chunks_exact(4).for_each(|c| npy.extend([c[3], c[2], c[1], c[0]]));
    bench("NPY <f4 (100000, 40)", npy.len(), || feed(NpyParser::new("x.npy"), &npy));

    // Numeric CSV: a header, 20 float columns with 4-6 significant digits, an integer label.
    let mut csv = (0..20).map(|j| format!("f{j}")).collect::<Vec<_>>().join(",") + ",label\n";
    for _ in 0..200_000 {
        for _ in 0..20 {
            csv += &format!("{:.4},", r.unit() * 20.0 - 10.0);
        }
        csv += &format!("{}\n", r.next() % 10);
    }
    let csv = csv.into_bytes();
    bench("CSV numeric 200000 x 21", csv.len(), || feed(CsvParser::new("n.csv", CsvOptions::default()), &csv));

    // The same CSV gzip-compressed (input = compressed bytes; the MB/s of decompressed text is
    // printed on the second line).
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&csv).unwrap();
    let gz = enc.finish().unwrap();
    bench("CSV numeric, gzip (compressed input)", gz.len(), || {
        feed(MaybeGzip::new(CsvParser::new("n.csv.gz", CsvOptions::default())), &gz)
    });
    bench("CSV numeric, gzip (decompressed text)", csv.len(), || {
        feed(MaybeGzip::new(CsvParser::new("n.csv.gz", CsvOptions::default())), &gz)
    });

    // A mixed CSV: quoted text, a categorical column and string labels.
    let mut mixed = String::from("x,y,\"colour, name\",note,species\n");
    for i in 0..200_000 {
        mixed += &format!(
            "{:.3},{:.3},\"{}\",\"said \"\"hi\"\", twice\",{}\n",
            r.unit(),
            r.unit(),
            ["red", "green", "blue"][i % 3],
            ["setosa", "versicolor", "virginica"][(r.next() % 3) as usize]
        );
    }
    let mixed = mixed.into_bytes();
    let opts = CsvOptions { missing: webgrad_data::MissingPolicy::Error, ..CsvOptions::default() };
    bench("CSV mixed (quotes, one-hot, string labels)", mixed.len(), || {
        feed(CsvParser::new("m.csv", opts.clone()), &mixed)
    });
}
