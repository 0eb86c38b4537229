//! The IDX format (the MNIST files), optionally gzip-compressed.
//!
//! Layout: two zero bytes, a type byte, a rank byte (1..=4), `rank` big-endian u32 dimensions,
//! then the `product(dims)` elements, big-endian, row-major, and nothing after them.
//! Sizes are checked against the header before anything is allocated from it, so a header that
//! claims more data than the input holds fails at once.

use std::io::Read;

use flate2::read::GzDecoder;

use crate::dataset::{Dataset, Targets, numbered_names};
use crate::error::{DataError, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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
struct Header {
    ty: IdxType,
    dims: Vec<usize>,
    data_offset: usize,
    data_bytes: usize,
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8], src: &str, offset: usize) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(DataError::format(src, offset + got, format!("corrupt gzip stream: {e}")));
            }
        }
    }
    Ok(got)
}

fn read_header(r: &mut impl Read, src: &str) -> Result<Header> {
    let mut magic = [0u8; 4];
    let got = read_up_to(r, &mut magic, src, 0)?;
    if got == 0 {
        return Err(DataError::format(
            src,
            0,
            "empty file (expected an IDX header: 2 zero bytes, a type byte, a rank byte)",
        ));
    }
    if got < 4 {
        let what = "IDX magic number".to_string();
        return Err(DataError::Truncated { src: src.into(), offset: 0, what, expected: 4, found: got as u64 });
    }
    if magic[0] != 0 || magic[1] != 0 {
        let msg = format!(
            "bad IDX magic 0x{:08x} (expected 0x00000803 or 0x00000801 as in MNIST images/labels: \
             2 zero bytes, a type byte 0x08/0x09/0x0b/0x0c/0x0d/0x0e and a rank byte 1..=4)",
            u32::from_be_bytes(magic)
        );
        return Err(DataError::format(src, 0, msg));
    }
    let Some(ty) = IdxType::from_byte(magic[2]) else {
        let msg = format!(
            "unknown IDX type byte 0x{:02x} (expected 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32 or 0x0e f64)",
            magic[2]
        );
        return Err(DataError::format(src, 2, msg));
    };
    let rank = magic[3] as usize;
    if !(1..=4).contains(&rank) {
        return Err(DataError::format(src, 3, format!("IDX rank {rank} (expected 1..=4)")));
    }
    let mut dim_bytes = [0u8; 16];
    let dim_bytes = &mut dim_bytes[..4 * rank];
    let got = read_up_to(r, dim_bytes, src, 4)?;
    if got < dim_bytes.len() {
        let what = format!("IDX dimensions (rank {rank})");
        return Err(DataError::Truncated {
            src: src.into(),
            offset: 4,
            what,
            expected: 4 * rank as u64,
            found: got as u64,
        });
    }
    let dims: Vec<u32> = dim_bytes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    let total = dims
        .iter()
        .try_fold(ty.size() as u64, |acc, &d| acc.checked_mul(d as u64))
        .and_then(|b| usize::try_from(b).ok());
    let Some(data_bytes) = total else {
        let msg = format!("dimensions {dims:?} of {}-byte elements overflow this platform's address space", ty.size());
        return Err(DataError::format(src, 4, msg));
    };
    Ok(Header { ty, dims: dims.iter().map(|&d| d as usize).collect(), data_offset: 4 + 4 * rank, data_bytes })
}

/// Checks that exactly `h.data_bytes` bytes follow the header. `found` is what is there, and
/// `exact` says whether `found` is the exact count (false: "at least").
fn check_body_len(h: &Header, found: usize, exact: bool, src: &str) -> Result<()> {
    if found < h.data_bytes {
        let what = format!("IDX data for dims {:?}", h.dims);
        return Err(DataError::Truncated {
            src: src.into(),
            offset: h.data_offset as u64,
            what,
            expected: h.data_bytes as u64,
            found: found as u64,
        });
    }
    if found > h.data_bytes {
        let at = h.data_offset + h.data_bytes;
        let extra =
            if exact { format!("{} trailing bytes", found - h.data_bytes) } else { "trailing bytes".to_string() };
        let msg = format!("{extra} after the {} data bytes that dims {:?} describe", h.data_bytes, h.dims);
        return Err(DataError::format(src, at, msg));
    }
    Ok(())
}

fn decode(ty: IdxType, body: &[u8]) -> IdxData {
    fn be<const N: usize>(body: &[u8], f: impl Fn([u8; N]) -> f32) -> IdxData {
        IdxData::F32(body.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))).collect())
    }
    match ty {
        IdxType::U8 => IdxData::U8(body.to_vec()),
        IdxType::I8 => IdxData::F32(body.iter().map(|&b| b as i8 as f32).collect()),
        IdxType::I16 => be::<2>(body, |b| i16::from_be_bytes(b) as f32),
        IdxType::I32 => be::<4>(body, |b| i32::from_be_bytes(b) as f32),
        IdxType::F32 => be::<4>(body, f32::from_be_bytes),
        IdxType::F64 => be::<8>(body, |b| f64::from_be_bytes(b) as f32),
    }
}

/// Parses an IDX file, gunzipping it first when it starts with the gzip magic `1f 8b`.
/// `source` (a file name) starts every error message; for gzip input, offsets count bytes of the
/// decompressed stream and the message says "(gunzipped)".
pub fn parse_idx(bytes: &[u8], source: &str) -> Result<IdxArray> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let src = format!("{source} (gunzipped)");
        let mut dec = GzDecoder::new(bytes);
        let h = read_header(&mut dec, &src)?;
        // `take` bounds the read by the header's promise (+1 to detect trailing data); the Vec
        // grows only as decompressed bytes actually arrive, so a lying header allocates nothing.
        let mut body = Vec::new();
        if let Err(e) = dec.take((h.data_bytes as u64).saturating_add(1)).read_to_end(&mut body) {
            let at = h.data_offset + body.len();
            return Err(DataError::format(&src, at, format!("corrupt gzip stream: {e}")));
        }
        check_body_len(&h, body.len(), false, &src)?;
        let data = if h.ty == IdxType::U8 { IdxData::U8(body) } else { decode(h.ty, &body) };
        Ok(IdxArray { ty: h.ty, dims: h.dims, data, data_offset: h.data_offset })
    } else {
        let mut reader = bytes;
        let h = read_header(&mut reader, source)?;
        let body = &bytes[h.data_offset.min(bytes.len())..];
        check_body_len(&h, body.len(), true, source)?;
        Ok(IdxArray { ty: h.ty, data: decode(h.ty, body), dims: h.dims, data_offset: h.data_offset })
    }
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
    if !(2..=3).contains(&img.dims.len()) {
        let msg = format!(
            "expected images of rank 3 [n, rows, cols] or rank 2 [n, d], found rank {} with dims {:?}",
            img.dims.len(),
            img.dims
        );
        return Err(DataError::format(images_src, 3, msg));
    }
    let lab = parse_idx(labels, labels_src)?;
    if lab.dims.len() != 1 {
        let msg = format!("expected labels of rank 1 [n], found rank {} with dims {:?}", lab.dims.len(), lab.dims);
        return Err(DataError::format(labels_src, 3, msg));
    }
    let (n, d) = (img.dims[0], img.dims[1..].iter().product::<usize>());
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
    let features: Vec<f32> = match &img.data {
        IdxData::U8(v) => v.iter().map(|&b| pixel.apply(b as f32)).collect(),
        IdxData::F32(v) => v.iter().map(|&x| pixel.apply(x)).collect(),
    };
    let image_shape = (img.dims.len() == 3).then(|| (img.dims[1], img.dims[2]));
    let targets = Targets::Classes { labels: label_vec, classes, names: numbered_names(classes) };
    Dataset::new(name, features, n, d, targets, image_shape)
}
