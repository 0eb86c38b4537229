//! What every fuzz target shares: how an input is laid out, and the check that parsing it in
//! one piece and in two or three chunks gives the same outcome.
//!
//! An input is `CONTROL_BYTES` control bytes, then the target's own option bytes (if any), then
//! the file (the *body*). Missing control or option bytes read as 0 and give an empty body, so
//! every byte string is a valid input.
//!
//! | byte | meaning |
//! |------|---------|
//! | 0–1  | u16 LE `a`: the first cut is at `a % (len + 1)` |
//! | 2–3  | u16 LE `b`: the second cut is at `cut1 + b % (len - cut1 + 1)` (three chunks only) |
//! | 4    | flags: bit 0 three chunks (else two), bit 1 the chunked parse is told the input size too, bits 2–7 per target |
//!
//! Cuts may fall anywhere, including at 0 or `len` (an empty `push`).

use std::fmt::Debug;

use webgrad_data::{ChunkParser, DataError, IdxArray, IdxData, NpyArray, NpyData, Parsed, Progress, Table, parse_all};

/// Control bytes in front of every input (see the module docs).
pub const CONTROL_BYTES: usize = 5;

/// A fuzz input split into its control bytes, option bytes and body.
pub struct Input<'a> {
    /// The file to parse.
    pub body: &'a [u8],
    /// Byte 4; bits 2–7 are the target's to use.
    pub flags: u8,
    options: Vec<u8>,
    cuts: [usize; 2],
}

impl<'a> Input<'a> {
    /// Reads the control bytes and `options` option bytes from the front of `data`.
    pub fn new(data: &'a [u8], options: usize) -> Input<'a> {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let body = data.get(CONTROL_BYTES + options..).unwrap_or(&[]);
        let n = body.len();
        let a = u16::from_le_bytes([byte(0), byte(1)]) as usize;
        let b = u16::from_le_bytes([byte(2), byte(3)]) as usize;
        let flags = byte(4);
        let cut1 = a % (n + 1);
        let cut2 = if flags & 1 != 0 { cut1 + b % (n - cut1 + 1) } else { n };
        let options = (0..options).map(|i| byte(CONTROL_BYTES + i)).collect();
        Input { body, flags, options, cuts: [cut1, cut2] }
    }

    /// Option byte `i` of the target (0 when the input is too short to hold it).
    pub fn option(&self, i: usize) -> u8 {
        self.options.get(i).copied().unwrap_or(0)
    }

    /// The chunks the incremental parse gets: two, or three when flag bit 0 is set. Some may
    /// be empty.
    pub fn chunks(&self) -> Vec<&'a [u8]> {
        let [c1, c2] = self.cuts;
        let mut v = vec![&self.body[..c1], &self.body[c1..c2]];
        if self.flags & 1 != 0 {
            v.push(&self.body[c2..]);
        }
        v
    }

    /// Whether the incremental parse is told the input size (as a file's size or a
    /// Content-Length would tell it); the one-piece parse always is.
    pub fn chunked_knows_len(&self) -> bool {
        self.flags & 2 != 0
    }
}

/// Equality of parse results, with floats compared bit for bit (IDX and NPY data may hold NaN).
pub trait Same: Debug {
    fn same(&self, other: &Self) -> bool;
}

impl Same for Vec<u8> {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
}

/// Features and regression targets are finite (`Dataset::new` checks), so `==` is exact.
impl Same for Table {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
}

fn same_f32(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

impl Same for IdxArray {
    fn same(&self, other: &Self) -> bool {
        let data = match (&self.data, &other.data) {
            (IdxData::U8(a), IdxData::U8(b)) => a == b,
            (IdxData::F32(a), IdxData::F32(b)) => same_f32(a, b),
            _ => false,
        };
        data && self.ty == other.ty && self.dims == other.dims && self.data_offset == other.data_offset
    }
}

impl Same for NpyArray {
    fn same(&self, other: &Self) -> bool {
        let data = match (&self.data, &other.data) {
            (NpyData::F32(a), NpyData::F32(b)) => same_f32(a, b),
            (NpyData::Str(a), NpyData::Str(b)) => a == b,
            _ => false,
        };
        data && self.dtype == other.dtype && self.shape == other.shape && self.data_offset == other.data_offset
    }
}

impl Same for Parsed {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Parsed::Table(a), Parsed::Table(b)) => a.same(b),
            (Parsed::Idx(a), Parsed::Idx(b)) => a.same(b),
            (Parsed::Npy(a), Parsed::Npy(b)) => a.same(b),
            _ => false,
        }
    }
}

/// At most `max` characters of `v`'s debug form, for failure messages.
fn short<T: Debug>(v: &T, max: usize) -> String {
    let s = format!("{v:?}");
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}… ({} chars)", &s[..i], s.len()),
        None => s,
    }
}

/// Parses `input.body` in one piece ([`parse_all`]: input size known, one push) and in the
/// chunks of [`Input::chunks`], each time with a fresh parser from `make`, and panics (a
/// libFuzzer crash) unless both give equal output or both give the same error message, and
/// that message is one line. Returns the one-piece result.
pub fn check<P: ChunkParser>(input: &Input, make: impl Fn() -> P) -> Result<P::Output, DataError>
where
    P::Output: Same,
{
    let whole = parse_all(make(), input.body);
    let mut p = make();
    if input.chunked_knows_len() {
        p.expect_len(input.body.len() as u64);
    }
    let chunks = input.chunks();
    let mut last = Progress::default();
    let pieces = chunks
        .iter()
        .try_for_each(|c| {
            p.push(c)?;
            let now = p.progress();
            assert!(now.bytes >= last.bytes && now.rows >= last.rows, "progress went back: {last:?} -> {now:?}");
            last = now;
            Ok(())
        })
        .and_then(|()| p.finish());
    let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => {
            assert!(
                a.same(b),
                "chunks {lens:?} changed the output:\n whole:  {}\n chunks: {}",
                short(a, 2000),
                short(b, 2000)
            )
        }
        (Err(a), Err(b)) => {
            let (a, b) = (a.to_string(), b.to_string());
            assert_eq!(a, b, "chunks {lens:?} changed the error");
            assert!(!a.contains('\n'), "an error message of several lines: {a:?}");
        }
        (Ok(a), Err(b)) => panic!("whole input parsed: {}\nbut chunks {lens:?} failed: {b}", short(a, 2000)),
        (Err(a), Ok(b)) => panic!("whole input failed: {a}\nbut chunks {lens:?} parsed: {}", short(b, 2000)),
    }
    whole
}

/// A parser that keeps the bytes it is given: behind `MaybeGzip` it yields the decompressed
/// stream, so the gzip layer can be checked on its own.
pub struct Collect {
    bytes: Vec<u8>,
    src: String,
}

impl Collect {
    pub fn new(source: &str) -> Collect {
        Collect { bytes: Vec::new(), src: source.to_string() }
    }
}

impl ChunkParser for Collect {
    type Output = Vec<u8>;

    fn push(&mut self, chunk: &[u8]) -> webgrad_data::Result<()> {
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(self) -> webgrad_data::Result<Vec<u8>> {
        Ok(self.bytes)
    }

    fn progress(&self) -> Progress {
        Progress { bytes: self.bytes.len() as u64, rows: 0 }
    }

    fn source(&self) -> &str {
        &self.src
    }
}
