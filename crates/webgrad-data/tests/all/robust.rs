//! Damaged files: thousands of mutated CSV, IDX, NPY and gzip inputs, each parsed in one piece
//! and in random pieces. No input may panic, and the chunking must never change the outcome
//! (the same table, or the same error message).

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use webgrad_data::{AutoParser, ChunkParser, CsvOptions, MaybeGzip, MissingPolicy, load_bytes};

struct Rand(u64);
impl Rand {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut idx = vec![0u8, 0, 0x0D, 2, 0, 0, 0, 3, 0, 0, 0, 2];
    (0..6).for_each(|i| idx.extend((i as f32).to_be_bytes()));
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend((header.len() as u16 + 1).to_le_bytes());
    npy.extend(header.as_bytes());
    npy.push(b'\n');
    (0..6).for_each(|i| npy.extend((i as f32).to_le_bytes()));
    let csv = b"a,\"b, c\",label\r\n1,\"x\"\"y\",p\n2,\"multi\nline\",q\n3,NA,p\n".to_vec();
    let tsv = b"x\ty\tz\n1,5\t2\ta\n3\t4,25\tb\n".to_vec();
    vec![
        ("t.idx", idx.clone()),
        ("t.npy", npy.clone()),
        ("t.csv", csv.clone()),
        ("t.tsv", tsv),
        ("t.idx.gz", gzip(&idx)),
        ("t.npy.gz", gzip(&npy)),
        ("t.csv.gz", gzip(&csv)),
    ]
}

fn mutate(r: &mut Rand, bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for _ in 0..1 + r.below(3) {
        match r.below(5) {
            0 if !b.is_empty() => {
                let i = r.below(b.len());
                b[i] ^= 1 << r.below(8);
            }
            1 if !b.is_empty() => {
                let i = r.below(b.len());
                b[i] = [0, b'"', b',', b'\n', b'\r', 0xff, b'9'][r.below(7)];
            }
            2 => b.truncate(r.below(b.len() + 1)),
            3 => {
                let i = r.below(b.len() + 1);
                let junk: Vec<u8> = (0..1 + r.below(4)).map(|_| r.next() as u8).collect();
                b.splice(i..i, junk);
            }
            _ if b.len() > 1 => {
                let i = r.below(b.len());
                b.remove(i);
            }
            _ => {}
        }
    }
    b
}

fn chunked(name: &str, bytes: &[u8], options: &CsvOptions, r: &mut Rand) -> String {
    let mut p = MaybeGzip::new(AutoParser::new(name, options.clone()));
    let mut at = 0;
    while at < bytes.len() {
        let n = (1 + r.below(9)).min(bytes.len() - at);
        if let Err(e) = p.push(&bytes[at..at + n]) {
            return format!("Err({e})");
        }
        at += n;
    }
    match p.finish() {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e})"),
    }
}

#[test]
fn mutated_inputs_never_panic_and_chunking_never_changes_the_outcome() {
    let mut r = Rand(0x853c49e6748fea9b);
    let options = [CsvOptions::default(), CsvOptions { missing: MissingPolicy::FillMean, ..CsvOptions::default() }];
    let mut outcomes = [0usize; 2];
    for (name, seed) in seeds() {
        for round in 0..1500 {
            let bytes = if round == 0 { seed.clone() } else { mutate(&mut r, &seed) };
            let opts = &options[round % 2];
            let one = match load_bytes(name, &bytes, opts) {
                Ok(v) => format!("Ok({v:?})"),
                Err(e) => format!("Err({e})"),
            };
            outcomes[one.starts_with("Ok") as usize] += 1;
            assert!(!one.starts_with("Err") || !one.contains('\n'), "{name}: multi-line error {one}");
            let pieces = chunked(name, &bytes, opts, &mut r);
            assert_eq!(pieces, one, "{name}: chunking changed the outcome for {bytes:?}");
        }
    }
    // Both kinds of outcome occur, so the comparison means something.
    assert!(outcomes[0] > 500 && outcomes[1] > 200, "{outcomes:?}");
}
