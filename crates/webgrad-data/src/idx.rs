//! The IDX format (the MNIST files), optionally gzip-compressed.
//!
//! Layout: two zero bytes, a type byte, a rank byte (1..=4), `rank` big-endian u32 dimensions,
//! then the `product(dims)` elements, big-endian, row-major, and nothing after them.
//! Sizes are checked against the header before anything is allocated from it, so a header that
//! claims more data than the input holds fails at once.

use crate::dataset::{Dataset, Targets, numbered_names};
use crate::error::{DataError, Result};
use crate::gzip::MaybeGzip;
use crate::parser::{ChunkParser, FixedBody, Guarded, Progress, check_spent, grow, parse_all, push_guarded};

/// The element type named by the third byte of the magic number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdxType {
    U8,
    I8,
    I16,
    I32,
    F32,
    F64,
}

impl IdxType {
    pub fn from_byte(b: u8) -> Option<IdxType> {
        Some(match b {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    pub fn byte(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }
}

/// The elements, row-major. `U8` keeps unsigned bytes as they are; every other type is converted
/// to f32 (i32 values beyond 2^24 and f64 values lose precision).
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

/// A parsed IDX file. Invariant: the data holds `product(dims)` elements.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// The element type the file stored (before any conversion to f32).
    pub ty: IdxType,
    pub dims: Vec<usize>,
    pub data: IdxData,
    /// Byte offset of the first element in the (decompressed) file: `4 + 4 * rank`. Element `i`
    /// starts at `data_offset + i * ty.size()`, which error messages use.
    pub data_offset: usize,
}

impl IdxArray {
    /// `product(dims)`.
    pub fn num_elements(&self) -> usize {
        match &self.data {
            IdxData::U8(v) => v.len(),
            IdxData::F32(v) => v.len(),
        }
    }

    /// Element `i` as f32. Panics if `i >= num_elements()`.
    pub fn get_f32(&self, i: usize) -> f32 {
        match &self.data {
            IdxData::U8(v) => v[i] as f32,
            IdxData::F32(v) => v[i],
        }
    }
}

/// What the header says: the element type, dims, and where and how long the data is.
#[derive(Clone, Debug)]
struct Header {
    ty: IdxType,
    dims: Vec<usize>,
    data_offset: usize,
    data_bytes: usize,
}

/// Decodes a header from its first bytes: `Ok(None)` while more bytes are needed. Checks the
/// magic, type, rank and that `product(dims) * size` fits this platform's address space.
fn decode_header(h: &[u8], src: &str) -> Result<Option<Header>> {
    if h.len() < 4 {
        return Ok(None);
    }
    if h[0] != 0 || h[1] != 0 {
        let msg = format!(
            "bad IDX magic 0x{:08x} (expected 0x00000803 or 0x00000801 as in MNIST images/labels: \
             2 zero bytes, a type byte 0x08/0x09/0x0b/0x0c/0x0d/0x0e and a rank byte 1..=4)",
            u32::from_be_bytes([h[0], h[1], h[2], h[3]])
        );
        return Err(DataError::format(src, 0, msg));
    }
    let Some(ty) = IdxType::from_byte(h[2]) else {
        let msg = format!(
            "unknown IDX type byte 0x{:02x} (expected 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32 or 0x0e f64)",
            h[2]
        );
        return Err(DataError::format(src, 2, msg));
    };
    let rank = h[3] as usize;
    if !(1..=4).contains(&rank) {
        return Err(DataError::format(src, 3, format!("IDX rank {rank} (expected 1..=4)")));
    }
    if h.len() < 4 + 4 * rank {
        return Ok(None);
    }
    let dims: Vec<u32> =
        h[4..4 + 4 * rank].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    let total = dims
        .iter()
        .try_fold(ty.size() as u64, |acc, &d| acc.checked_mul(d as u64))
        .and_then(|b| usize::try_from(b).ok());
    let Some(data_bytes) = total else {
        let msg = format!("dimensions {dims:?} of {}-byte elements overflow this platform's address space", ty.size());
        return Err(DataError::format(src, 4, msg));
    };
    Ok(Some(Header { ty, dims: dims.iter().map(|&d| d as usize).collect(), data_offset: 4 + 4 * rank, data_bytes }))
}

impl Header {
    /// What the body is, for a truncation error.
    fn what(&self) -> String {
        format!("IDX data for dims {:?}", self.dims)
    }
}

/// Incremental IDX parser: [`ChunkParser`] with output [`IdxArray`]. The header is checked as
/// soon as it is complete (and, when [`ChunkParser::expect_len`] gave the input size, against
/// that size, before anything is allocated); the body is decoded as it arrives, so a header that
/// lies about its size costs only the bytes actually received. Plain IDX only: wrap it in
/// [`MaybeGzip`] for `.gz` files ([`parse_idx`] does).
pub struct IdxParser {
    src: String,
    /// Header bytes while the header is incomplete.
    head: Vec<u8>,
    header: Option<Header>,
    data: IdxData,
    body: FixedBody,
    consumed: u64,
    total: Option<u64>,
    failed: bool,
}

impl IdxParser {
    pub fn new(source: &str) -> Self {
        IdxParser {
            src: source.to_string(),
            head: Vec::with_capacity(20),
            header: None,
            data: IdxData::U8(Vec::new()),
            body: FixedBody::default(),
            consumed: 0,
            total: None,
            failed: false,
        }
    }

    fn start_body(&mut self, h: &Header) -> Result<()> {
        let elements = h.data_bytes / h.ty.size();
        // every element becomes an f32 of the dataset: refused now if those do not fit, before
        // the size check, so the outcome never depends on whether the input size was known
        let what = format!("IDX data of dims {:?}", h.dims);
        webgrad_core::budget::check(&what, (elements as u64).saturating_mul(4), " as f32 values")
            .map_err(|msg| DataError::format(&self.src, 0, msg))?;
        // With a known input size, a header promising more than the input holds fails now, and
        // otherwise the exact size is reserved; without one, the data grows as it arrives.
        let body = FixedBody::new(h.data_offset, h.data_bytes, h.ty.size());
        let reserve = body.reserve(&self.src, self.total, elements, || h.what())?;
        self.body = body;
        self.data = match h.ty {
            IdxType::U8 => IdxData::U8(Vec::with_capacity(reserve)),
            _ => IdxData::F32(Vec::with_capacity(reserve)),
        };
        Ok(())
    }

    fn push_body(&mut self, bytes: &[u8]) {
        let h = self.header.as_ref().expect("header parsed");
        let (size, ty, cap) = (h.ty.size(), h.ty, h.data_bytes / h.ty.size());
        let data = &mut self.data;
        self.body.push(bytes, |whole| match data {
            IdxData::U8(v) => {
                grow(v, whole.len(), cap);
                v.extend_from_slice(whole);
            }
            IdxData::F32(v) => {
                grow(v, whole.len() / size, cap);
                decode_into(ty, whole, v);
            }
        });
    }
}

impl Guarded for IdxParser {
    fn failed(&mut self) -> &mut bool {
        &mut self.failed
    }

    fn push_inner(&mut self, mut chunk: &[u8]) -> Result<()> {
        self.consumed += chunk.len() as u64;
        if self.header.is_none() {
            let want = 20 - self.head.len();
            let take = want.min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            let Some(h) = decode_header(&self.head, &self.src)? else {
                return Ok(());
            };
            // Bytes of `head` beyond the header belong to the body.
            let extra = self.head.len() - h.data_offset;
            chunk = &chunk[take - extra..];
            self.start_body(&h)?;
            self.header = Some(h);
            self.head = Vec::new();
        }
        self.push_body(chunk);
        Ok(())
    }
}

/// Appends the big-endian elements of `body` (a whole number of them) as f32.
fn decode_into(ty: IdxType, body: &[u8], out: &mut Vec<f32>) {
    fn be<const N: usize>(body: &[u8], out: &mut Vec<f32>, f: impl Fn([u8; N]) -> f32) {
        out.extend(body.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))));
    }
    match ty {
        IdxType::U8 => out.extend(body.iter().map(|&b| b as f32)),
        IdxType::I8 => out.extend(body.iter().map(|&b| b as i8 as f32)),
        IdxType::I16 => be::<2>(body, out, |b| i16::from_be_bytes(b) as f32),
        IdxType::I32 => be::<4>(body, out, |b| i32::from_be_bytes(b) as f32),
        IdxType::F32 => be::<4>(body, out, f32::from_be_bytes),
        IdxType::F64 => be::<8>(body, out, |b| f64::from_be_bytes(b) as f32),
    }
}

impl ChunkParser for IdxParser {
    type Output = IdxArray;

    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        push_guarded(self, chunk)
    }

    fn finish(self) -> Result<IdxArray> {
        check_spent(self.failed, &self.src)?;
        let src = &self.src;
        let Some(h) = self.header else {
            let got = self.head.len();
            if got == 0 {
                let msg = "empty file (expected an IDX header: 2 zero bytes, a type byte, a rank byte)";
                return Err(DataError::format(src, 0, msg));
            }
            if got < 4 {
                return Err(DataError::truncated(src, 0, "IDX magic number", 4, got as u64));
            }
            let rank = self.head[3] as u64;
            let what = format!("IDX dimensions (rank {rank})");
            return Err(DataError::truncated(src, 4, what, 4 * rank, got as u64 - 4));
        };
        self.body.finish(src, || h.what(), || format!("dims {:?} describe", h.dims))?;
        let mut data = self.data;
        match &mut data {
            IdxData::U8(v) => v.shrink_to_fit(),
            IdxData::F32(v) => v.shrink_to_fit(),
        }
        Ok(IdxArray { ty: h.ty, dims: h.dims, data, data_offset: h.data_offset })
    }

    fn progress(&self) -> Progress {
        let rows = self.header.as_ref().map_or(0, |h| self.body.rows(h.dims[0]));
        Progress { bytes: self.consumed, rows }
    }

    fn source(&self) -> &str {
        &self.src
    }

    fn expect_len(&mut self, total: u64) {
        self.total = Some(total);
    }
}

/// Parses an IDX file, gunzipping it first when it starts with the gzip magic `1f 8b`.
/// `source` (a file name) starts every error message; for gzip input, offsets count bytes of the
/// decompressed stream and the message says "(gunzipped)". The incremental form is
/// `MaybeGzip::new(IdxParser::new(source))`.
pub fn parse_idx(bytes: &[u8], source: &str) -> Result<IdxArray> {
    parse_all(MaybeGzip::new(IdxParser::new(source)), bytes)
}

/// Builds a classification dataset from an image file and a label file, as MNIST ships them.
///
/// `images`: rank 3 `[n, rows, cols]` (gives `image_shape = Some((rows, cols))`, d = rows·cols)
/// or rank 2 `[n, d]`; any element type; features are `value * scale` (1/255 for MNIST pixels).
/// `labels`: rank 1 `[n]` of integers in 0..=255 (u8, or another type holding such integers).
/// `classes = max(label) + 1`, named "0", "1", …. Errors name the offending file and byte, or
/// both files when their counts differ.
pub fn load_idx_classification(
    images: &[u8],
    images_src: &str,
    labels: &[u8],
    labels_src: &str,
    name: &str,
    scale: f32,
) -> Result<Dataset> {
    let pixel = Pixel::Mul(scale);
    load_classification(images, images_src, labels, labels_src, name, pixel, None)
}

/// How raw image values become features.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pixel {
    /// `value * s`.
    Mul(f32),
    /// `value / s`: for s = 255 this is the correctly rounded `v / 255` that PyTorch's
    /// `ToTensor` and NumPy's `x / 255` give (`v * (1/255f32)` can differ in the last bit).
    Div(f32),
}

impl Pixel {
    fn apply(self, v: f32) -> f32 {
        match self {
            Pixel::Mul(s) => v * s,
            Pixel::Div(s) => v / s,
        }
    }
}

/// [`load_idx_classification`] with any [`Pixel`] transform and, when `fixed_classes` is given, that many classes (a label
/// `>= fixed_classes` is an error) instead of `max(label) + 1`.
pub(crate) fn load_classification(
    images: &[u8],
    images_src: &str,
    labels: &[u8],
    labels_src: &str,
    name: &str,
    pixel: Pixel,
    fixed_classes: Option<usize>,
) -> Result<Dataset> {
    let img = parse_idx(images, images_src)?;
    let lab = parse_idx(labels, labels_src)?;
    classification_from_arrays(img, images_src, lab, labels_src, name, pixel, fixed_classes)
}

/// [`load_idx_classification`] for arrays already parsed (e.g. streamed with [`IdxParser`]).
pub fn dataset_from_idx(
    images: IdxArray,
    images_src: &str,
    labels: IdxArray,
    labels_src: &str,
    name: &str,
    scale: f32,
) -> Result<Dataset> {
    classification_from_arrays(images, images_src, labels, labels_src, name, Pixel::Mul(scale), None)
}

fn classification_from_arrays(
    img: IdxArray,
    images_src: &str,
    lab: IdxArray,
    labels_src: &str,
    name: &str,
    pixel: Pixel,
    fixed_classes: Option<usize>,
) -> Result<Dataset> {
    if !(2..=3).contains(&img.dims.len()) {
        let msg = format!(
            "expected images of rank 3 [n, rows, cols] or rank 2 [n, d], found rank {} with dims {:?}",
            img.dims.len(),
            img.dims
        );
        return Err(DataError::format(images_src, 3, msg));
    }
    if lab.dims.len() != 1 {
        let msg = format!("expected labels of rank 1 [n], found rank {} with dims {:?}", lab.dims.len(), lab.dims);
        return Err(DataError::format(labels_src, 3, msg));
    }
    // checked: with n = 0 the header's size check passes whatever the other dims multiply to
    let Some(d) = img.dims[1..].iter().try_fold(1usize, |d, &k| d.checked_mul(k)) else {
        let msg = format!("an image of dims {:?} is too large", &img.dims[1..]);
        return Err(DataError::format(images_src, 3, msg));
    };
    let n = img.dims[0];
    if lab.dims[0] != n {
        let msg = format!("{images_src} holds {n} images but {labels_src} holds {} labels", lab.dims[0]);
        return Err(DataError::invalid(name, msg));
    }
    if n == 0 || d == 0 {
        let msg = format!("{images_src} holds no data (dims {:?})", img.dims);
        return Err(DataError::invalid(name, msg));
    }
    let label_at = |i: usize| lab.data_offset + i * lab.ty.size();
    let mut label_vec = Vec::with_capacity(n);
    for i in 0..n {
        let v = lab.get_f32(i);
        if !((0.0..=255.0).contains(&v) && v.fract() == 0.0) {
            let msg = format!("label {v} (item {i}) is not an integer in 0..=255");
            return Err(DataError::format(labels_src, label_at(i), msg));
        }
        label_vec.push(v as u32);
    }
    let max = label_vec.iter().copied().max().unwrap_or(0) as usize;
    let classes = match fixed_classes {
        Some(k) if max >= k => {
            let i = label_vec.iter().position(|&l| l as usize >= k).unwrap_or(0);
            let msg = format!("label {} (item {i}) out of range (expected 0..{k})", label_vec[i]);
            return Err(DataError::format(labels_src, label_at(i), msg));
        }
        Some(k) => k,
        None => max + 1,
    };
    let image_shape = (img.dims.len() == 3).then(|| (img.dims[1], img.dims[2]));
    // Converted in place where the data is already f32, so no second full-size copy exists.
    let features: Vec<f32> = match img.data {
        IdxData::U8(v) => v.iter().map(|&b| pixel.apply(b as f32)).collect(),
        IdxData::F32(mut v) => {
            v.iter_mut().for_each(|x| *x = pixel.apply(*x));
            v
        }
    };
    let targets = Targets::Classes { labels: label_vec, classes, names: numbered_names(classes) };
    Dataset::new(name, features, n, d, targets, image_shape)
}
