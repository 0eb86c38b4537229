//! NumPy `.npy` arrays (format versions 1, 2 and 3), parsed incrementally.
//!
//! Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (u16 for
//! version 1, u32 for 2 and 3, little-endian), the header — a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (150, 4), }` padded with spaces and a
//! newline — then the elements in C (row-major) order.
//!
//! Supported element types: little-endian (or single-byte) `<f4` `<f8` `|u1` `|i1` `<i2` `<u2`
//! `<i4` `<u4` `<i8` `<u8` `|b1`, all read as f32 (integers beyond 2^24 and f64 values round),
//! and `<U{n}` (fixed-width UTF-32 strings, as `np.save` writes an array of `str`), read as
//! strings for class labels. Fortran order, big-endian and other dtypes are errors naming the
//! dtype.

use crate::dataset::{Dataset, Targets, numbered_names};
use crate::error::{DataError, Result};
use crate::gzip::MaybeGzip;
use crate::parser::{ChunkParser, FixedBody, Guarded, Progress, check_spent, grow, parse_all, push_guarded};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Longest header accepted (NumPy's own `np.load` refuses more than 10,000 bytes by default).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Longest string element accepted, in characters.
pub const MAX_STRING_CHARS: usize = 1024;

/// An element type NumPy names in `descr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NpyDtype {
    Bool,
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    /// Fixed-width strings of this many UTF-32 code points.
    Unicode(usize),
}

impl NpyDtype {
    /// Reads a `descr` string; the error text says what is supported.
    pub fn from_descr(descr: &str) -> std::result::Result<NpyDtype, String> {
        const SUPPORTED: &str =
            "'<f4', '<f8', '|u1', '|i1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8', '|b1' or '<U<n>'";
        // `get`: after a non-ASCII first character, byte 1 is not a character boundary.
        let code = match descr.get(1..) {
            Some(code) if !code.is_empty() => code,
            _ => return Err(format!("unsupported dtype {descr:?} (expected {SUPPORTED})")),
        };
        let order = descr.as_bytes()[0];
        if order == b'>' {
            return Err(format!(
                "big-endian dtype {descr:?} is not supported (expected little-endian {SUPPORTED}; \
                 convert with x.astype(x.dtype.newbyteorder('<')))"
            ));
        }
        let ty = match code {
            "b1" => NpyDtype::Bool,
            "u1" => NpyDtype::U8,
            "i1" => NpyDtype::I8,
            "u2" => NpyDtype::U16,
            "i2" => NpyDtype::I16,
            "u4" => NpyDtype::U32,
            "i4" => NpyDtype::I32,
            "u8" => NpyDtype::U64,
            "i8" => NpyDtype::I64,
            "f4" => NpyDtype::F32,
            "f8" => NpyDtype::F64,
            c if c.starts_with('U') && c.len() > 1 => match c[1..].parse::<usize>() {
                Ok(n) if (1..=MAX_STRING_CHARS).contains(&n) => NpyDtype::Unicode(n),
                _ => {
                    return Err(format!("string dtype {descr:?} (expected '<U1' to '<U{MAX_STRING_CHARS}')"));
                }
            },
            _ => return Err(format!("unsupported dtype {descr:?} (expected {SUPPORTED})")),
        };
        // Multi-byte types need '<' ('=' is the writer's native order, unknown here).
        let ok_order = match ty.size() {
            1 => order == b'|' || order == b'<',
            _ => order == b'<',
        };
        if !ok_order {
            return Err(format!("dtype {descr:?} has no explicit little-endian byte order (expected {SUPPORTED})"));
        }
        Ok(ty)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            NpyDtype::Bool | NpyDtype::U8 | NpyDtype::I8 => 1,
            NpyDtype::U16 | NpyDtype::I16 => 2,
            NpyDtype::U32 | NpyDtype::I32 | NpyDtype::F32 => 4,
            NpyDtype::U64 | NpyDtype::I64 | NpyDtype::F64 => 8,
            NpyDtype::Unicode(n) => 4 * n,
        }
    }

    /// Integer or bool: values that are class labels.
    pub fn is_integer(self) -> bool {
        !matches!(self, NpyDtype::F32 | NpyDtype::F64 | NpyDtype::Unicode(_))
    }

    fn decode(self, b: &[u8]) -> f32 {
        let a = |n: usize| -> [u8; 8] {
            let mut x = [0u8; 8];
            x[..n].copy_from_slice(&b[..n]);
            x
        };
        match self {
            NpyDtype::Bool => (b[0] != 0) as u8 as f32,
            NpyDtype::U8 => b[0] as f32,
            NpyDtype::I8 => b[0] as i8 as f32,
            NpyDtype::U16 => u16::from_le_bytes([b[0], b[1]]) as f32,
            NpyDtype::I16 => i16::from_le_bytes([b[0], b[1]]) as f32,
            NpyDtype::U32 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            NpyDtype::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            NpyDtype::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            NpyDtype::U64 => u64::from_le_bytes(a(8)) as f32,
            NpyDtype::I64 => i64::from_le_bytes(a(8)) as f32,
            NpyDtype::F64 => f64::from_le_bytes(a(8)) as f32,
            NpyDtype::Unicode(_) => unreachable!("strings are decoded as strings"),
        }
    }
}

/// The elements: numbers as f32, or strings (trailing NULs removed, as NumPy does).
#[derive(Clone, Debug, PartialEq)]
pub enum NpyData {
    F32(Vec<f32>),
    Str(Vec<String>),
}

/// A parsed `.npy` file. Invariant: the data holds `product(shape)` elements (1 for shape `()`).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub dtype: NpyDtype,
    pub shape: Vec<usize>,
    pub data: NpyData,
    /// Byte offset of the first element; element `i` starts at `data_offset + i * dtype.size()`.
    pub data_offset: usize,
}

struct Header {
    dtype: NpyDtype,
    shape: Vec<usize>,
    data_offset: usize,
    data_bytes: usize,
    elements: usize,
}

impl Header {
    /// What the body is, for a truncation error.
    fn what(&self) -> String {
        format!("NPY data for shape {:?} of {:?}", self.shape, self.dtype)
    }
}

/// Incremental `.npy` parser: [`ChunkParser`] with output [`NpyArray`]. The header is checked as
/// soon as it is complete (size limits, dtype, order, and that the data size fits in memory
/// and, with [`ChunkParser::expect_len`], in the input), before anything is allocated from it.
pub struct NpyParser {
    src: String,
    head: Vec<u8>,
    header: Option<Header>,
    data: NpyData,
    body: FixedBody,
    consumed: u64,
    total: Option<u64>,
    failed: bool,
}

impl NpyParser {
    pub fn new(source: &str) -> Self {
        NpyParser {
            src: source.to_string(),
            head: Vec::new(),
            header: None,
            data: NpyData::F32(Vec::new()),
            body: FixedBody::default(),
            consumed: 0,
            total: None,
            failed: false,
        }
    }

    /// Length of the preamble (magic, version, length field) once the version is known.
    fn preamble(&self) -> Result<Option<usize>> {
        let h = &self.head;
        // Judged on all six magic bytes (or at `finish` on what there is), so that the message,
        // which shows them, does not depend on how the input was cut into chunks.
        if h.len() < 6 {
            return Ok(None);
        }
        if let Some(e) = bad_magic(h, &self.src) {
            return Err(e);
        }
        if h.len() < 8 {
            return Ok(None);
        }
        match h[6] {
            1 => Ok(Some(10)),
            2 | 3 => Ok(Some(12)),
            v => {
                Err(DataError::format(&self.src, 6u64, format!("NPY format version {v}.{} (expected 1, 2 or 3)", h[7])))
            }
        }
    }

    /// `Ok(None)` while more header bytes are needed.
    fn try_header(&self) -> Result<Option<Header>> {
        let Some(pre) = self.preamble()? else { return Ok(None) };
        let h = &self.head;
        if h.len() < pre {
            return Ok(None);
        }
        let len = if pre == 10 {
            u16::from_le_bytes([h[8], h[9]]) as usize
        } else {
            u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize
        };
        if len > MAX_HEADER_BYTES {
            let msg = format!("NPY header of {len} bytes (expected at most {MAX_HEADER_BYTES})");
            return Err(DataError::format(&self.src, 8u64, msg));
        }
        if h.len() < pre + len {
            return Ok(None);
        }
        let text = std::str::from_utf8(&h[pre..pre + len])
            .map_err(|_| DataError::format(&self.src, pre, "NPY header is not UTF-8 text"))?;
        let at = |msg: String| DataError::format(&self.src, pre, format!("NPY header {:?}: {msg}", text.trim_end()));
        let dict = parse_dict(text).map_err(at)?;
        let descr = dict.descr.ok_or_else(|| at("no 'descr' key".into()))?;
        let fortran = dict.fortran_order.ok_or_else(|| at("no 'fortran_order' key".into()))?;
        let shape = dict.shape.ok_or_else(|| at("no 'shape' key".into()))?;
        let dtype = NpyDtype::from_descr(&descr).map_err(|m| DataError::format(&self.src, pre, m))?;
        if fortran && shape.iter().filter(|&&d| d > 1).count() > 1 {
            let msg = "fortran_order: True (column-major) is not supported; save with \
                       np.save(path, np.ascontiguousarray(x))";
            return Err(DataError::format(&self.src, pre, msg));
        }
        let elements = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        let data_bytes = elements.and_then(|e| e.checked_mul(dtype.size()));
        let (Some(elements), Some(data_bytes)) = (elements, data_bytes) else {
            let msg =
                format!("shape {shape:?} of {}-byte elements overflows this platform's address space", dtype.size());
            return Err(DataError::format(&self.src, pre, msg));
        };
        Ok(Some(Header { dtype, shape, data_offset: pre + len, data_bytes, elements }))
    }

    fn start_body(&mut self, h: &Header) -> Result<()> {
        // every element becomes an f32 of the dataset (or a string label): refused now if those
        // do not fit, before the size check, so the outcome never depends on whether the input
        // size was known
        let what = format!("NPY data of shape {:?}", h.shape);
        let bytes = (h.elements as u64).saturating_mul(4.max(h.dtype.size() as u64));
        webgrad_core::budget::check(&what, bytes, " in memory").map_err(|msg| DataError::format(&self.src, 0, msg))?;
        let body = FixedBody::new(h.data_offset, h.data_bytes, h.dtype.size());
        let reserve = body.reserve(&self.src, self.total, h.elements, || h.what())?;
        self.body = body;
        self.data = match h.dtype {
            NpyDtype::Unicode(_) => NpyData::Str(Vec::with_capacity(reserve)),
            _ => NpyData::F32(Vec::with_capacity(reserve)),
        };
        Ok(())
    }

    fn push_body(&mut self, bytes: &[u8]) {
        let h = self.header.as_ref().expect("header parsed");
        let (size, dtype, cap) = (h.dtype.size(), h.dtype, h.elements);
        let data = &mut self.data;
        self.body.push(bytes, |whole| {
            grow_data(data, whole.len() / size, cap);
            match (&mut *data, dtype) {
                // The common cases, without a per-element match.
                (NpyData::F32(v), NpyDtype::F32) => {
                    v.extend(whole.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                }
                (NpyData::F32(v), NpyDtype::U8) => v.extend(whole.iter().map(|&b| b as f32)),
                (NpyData::F32(v), _) => v.extend(whole.chunks_exact(size).map(|e| dtype.decode(e))),
                (NpyData::Str(v), _) => v.extend(whole.chunks_exact(size).map(decode_utf32)),
            }
        });
    }

    /// How many bytes the preamble plus header has, as far as the bytes so far tell.
    fn header_target(&self) -> usize {
        let h = &self.head;
        if h.len() < 8 {
            return 8;
        }
        let pre = if h[6] == 1 { 10 } else { 12 };
        if h.len() < pre {
            return pre;
        }
        let len = if pre == 10 {
            u16::from_le_bytes([h[8], h[9]]) as usize
        } else {
            u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize
        };
        pre + len.min(MAX_HEADER_BYTES + 1)
    }
}

impl Guarded for NpyParser {
    fn failed(&mut self) -> &mut bool {
        &mut self.failed
    }

    fn push_inner(&mut self, mut chunk: &[u8]) -> Result<()> {
        self.consumed += chunk.len() as u64;
        while self.header.is_none() {
            // Copy only what the header still needs, so a large chunk is not duplicated.
            let take = self.header_target().saturating_sub(self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            match self.try_header()? {
                Some(h) => {
                    self.start_body(&h)?;
                    self.header = Some(h);
                    self.head = Vec::new();
                }
                None if chunk.is_empty() => return Ok(()),
                None => {}
            }
        }
        self.push_body(chunk);
        Ok(())
    }
}

/// The error for a file whose first (up to six) bytes are not the NPY magic.
fn bad_magic(h: &[u8], src: &str) -> Option<DataError> {
    let n = h.len().min(6);
    (h[..n] != MAGIC[..n]).then(|| {
        let msg = format!("not a .npy file: the first bytes are {:02x?} (expected the magic \\x93NUMPY)", &h[..n]);
        DataError::format(src, 0u64, msg)
    })
}

fn grow_data(data: &mut NpyData, incoming: usize, cap: usize) {
    match data {
        NpyData::F32(v) => grow(v, incoming, cap),
        NpyData::Str(v) => grow(v, incoming, cap),
    }
}

/// A fixed-width UTF-32LE string, NUL padding removed; invalid code points become U+FFFD.
fn decode_utf32(e: &[u8]) -> String {
    let mut s: String = e
        .chunks_exact(4)
        .map(|c| char::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('\u{fffd}'))
        .collect();
    s.truncate(s.trim_end_matches('\0').len());
    s
}

impl ChunkParser for NpyParser {
    type Output = NpyArray;

    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        push_guarded(self, chunk)
    }

    fn finish(self) -> Result<NpyArray> {
        check_spent(self.failed, &self.src)?;
        let src = &self.src;
        let Some(h) = self.header else {
            if self.head.is_empty() {
                return Err(DataError::format(src, 0u64, "empty file (expected a .npy header)"));
            }
            if let Some(e) = bad_magic(&self.head, src) {
                return Err(e);
            }
            let need = self.header_target() as u64;
            return Err(DataError::truncated(src, 0, "NPY header", need, self.head.len() as u64));
        };
        self.body.finish(src, || h.what(), || format!("shape {:?} describes", h.shape))?;
        let mut data = self.data;
        match &mut data {
            NpyData::F32(v) => v.shrink_to_fit(),
            NpyData::Str(v) => v.shrink_to_fit(),
        }
        Ok(NpyArray { dtype: h.dtype, shape: h.shape, data, data_offset: h.data_offset })
    }

    fn progress(&self) -> Progress {
        let rows = self.header.as_ref().and_then(|h| h.shape.first()).map_or(0, |&first| self.body.rows(first));
        Progress { bytes: self.consumed, rows }
    }

    fn source(&self) -> &str {
        &self.src
    }

    fn expect_len(&mut self, total: u64) {
        self.total = Some(total);
    }
}

/// Parses a `.npy` file (plain or gzip) that is all in memory.
pub fn parse_npy(bytes: &[u8], source: &str) -> Result<NpyArray> {
    parse_all(MaybeGzip::new(NpyParser::new(source)), bytes)
}

/// Builds a dataset from a features file and a targets file, as `np.save("x.npy", x)` and
/// `np.save("y.npy", y)` write them (each plain or gzip).
///
/// `x`: numbers, shape `[n, d]`, `[n, rows, cols]` (gives `image_shape`) or `[n]` (d = 1).
/// `y`: shape `[n]` of integers or bools → classes `0..=max` named "0", "1", …; of strings →
/// classes named by the distinct strings, sorted (as the CSV reader names them); of floats →
/// regression with one output; `[n, k]` floats → regression with k outputs. Classification needs
/// at least two classes. Errors name the file at fault.
pub fn load_npy_pair(x: &[u8], x_src: &str, y: &[u8], y_src: &str, name: &str) -> Result<Dataset> {
    let xa = parse_npy(x, x_src)?;
    let ya = parse_npy(y, y_src)?;
    dataset_from_npy(xa, x_src, ya, y_src, name)
}

/// [`load_npy_pair`] for arrays already parsed (e.g. incrementally).
pub fn dataset_from_npy(xa: NpyArray, x_src: &str, ya: NpyArray, y_src: &str, name: &str) -> Result<Dataset> {
    let (n, d, image_shape) = match xa.shape[..] {
        [n] => (n, 1, None),
        [n, d] => (n, d, None),
        // checked: with n = 0 the header's size check passes whatever r · c is
        [n, r, c] => match r.checked_mul(c) {
            Some(d) => (n, d, Some((r, c))),
            None => {
                let msg = format!("an image of {r} × {c} values is too large (shape {:?})", xa.shape);
                return Err(DataError::format(x_src, xa.data_offset, msg));
            }
        },
        _ => {
            let msg = format!("expected features of shape [n, d] or [n, rows, cols], found {:?}", xa.shape);
            return Err(DataError::format(x_src, xa.data_offset, msg));
        }
    };
    let NpyData::F32(features) = xa.data else {
        let msg = format!("features must be numbers, found strings ({:?})", xa.dtype);
        return Err(DataError::format(x_src, xa.data_offset, msg));
    };
    if n == 0 || d == 0 {
        return Err(DataError::format(x_src, xa.data_offset, format!("no data (shape {:?})", xa.shape)));
    }
    let yn = ya.shape.first().copied().unwrap_or(1);
    if yn != n || ya.shape.len() > 2 || ya.shape.is_empty() {
        let msg = format!(
            "{x_src} has shape {:?} but {y_src} has shape {:?} (expected [{n}] or [{n}, k])",
            xa.shape, ya.shape
        );
        return Err(DataError::invalid(name, msg));
    }
    let at = |i: usize| ya.data_offset + i * ya.dtype.size();
    let targets = match ya.data {
        NpyData::Str(strings) => {
            if ya.shape.len() != 1 {
                let msg = format!("string labels must have shape [n], found {:?}", ya.shape);
                return Err(DataError::format(y_src, ya.data_offset, msg));
            }
            let mut names: Vec<String> = strings.clone();
            names.sort();
            names.dedup();
            let labels = strings.iter().map(|s| names.binary_search(s).expect("present") as u32).collect();
            Targets::Classes { labels, classes: names.len(), names }
        }
        NpyData::F32(values) if ya.dtype.is_integer() => {
            if ya.shape.len() != 1 {
                let msg = format!("integer labels must have shape [n], found {:?}", ya.shape);
                return Err(DataError::format(y_src, ya.data_offset, msg));
            }
            let mut labels = Vec::with_capacity(n);
            for (i, &v) in values.iter().enumerate() {
                if !(0.0..crate::csv::MAX_CLASSES as f32).contains(&v) {
                    let msg = format!("label {v} (item {i}) is not a class id in 0..{}", crate::csv::MAX_CLASSES);
                    return Err(DataError::format(y_src, at(i), msg));
                }
                labels.push(v as u32);
            }
            let classes = labels.iter().max().map_or(0, |&m| m as usize + 1);
            Targets::Classes { labels, classes, names: numbered_names(classes) }
        }
        NpyData::F32(values) => Targets::Regression { values, outputs: ya.shape.get(1).copied().unwrap_or(1) },
    };
    if let Targets::Classes { classes, names, .. } = &targets
        && *classes < 2
    {
        let msg = format!(
            "every label is {:?}; classification needs at least 2 classes (save float targets for regression)",
            names[0]
        );
        return Err(DataError::format(y_src, ya.data_offset, msg));
    }
    Dataset::new(name, features, n, d, targets, image_shape)
}

/// The three keys of a `.npy` header.
#[derive(Default)]
struct Dict {
    descr: Option<String>,
    fortran_order: Option<bool>,
    shape: Option<Vec<usize>>,
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (keys in any order,
/// either quote style, trailing commas and whitespace allowed). Unknown keys are errors, as in
/// NumPy; a list `descr` (structured dtype) is reported as unsupported.
fn parse_dict(text: &str) -> std::result::Result<Dict, String> {
    let mut p = Lexer { s: text.as_bytes(), i: 0 };
    let mut dict = Dict::default();
    p.expect(b'{')?;
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        match key.as_str() {
            "descr" if p.peek() == Some(b'[') => {
                return Err("structured dtypes (a list 'descr') are not supported; save a plain numeric array".into());
            }
            "descr" => dict.descr = Some(p.string()?),
            "fortran_order" => dict.fortran_order = Some(p.boolean()?),
            "shape" => dict.shape = Some(p.tuple()?),
            other => return Err(format!("unexpected key {other:?}")),
        }
        p.ws();
        if !p.eat(b',') {
            p.ws();
            p.expect(b'}')?;
            break;
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected text after the dict at character {}", p.i));
    }
    Ok(dict)
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += hit as usize;
        hit
    }
    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected '{}' at character {}", c as char, self.i)) }
    }
    fn string(&mut self) -> std::result::Result<String, String> {
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at character {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            self.i += 1;
        }
        if self.i == self.s.len() {
            return Err("unterminated string".into());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }
    fn boolean(&mut self) -> std::result::Result<bool, String> {
        for (word, v) in [(&b"True"[..], true), (b"False", false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err(format!("expected True or False at character {}", self.i))
    }
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            self.ws();
            if self.eat(b')') {
                return Ok(dims);
            }
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            // Python 2 wrote longs as "3L".
            let digits = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII digits");
            let dim = digits.parse::<usize>().map_err(|_| format!("expected a dimension at character {start}"))?;
            self.eat(b'L');
            dims.push(dim);
            self.ws();
            if !self.eat(b',') {
                self.ws();
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }
}
