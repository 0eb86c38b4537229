//! One entry point for a file of unknown format: [`AutoParser`] (incremental) and
//! [`load_bytes`] (all in memory) pick CSV, IDX or NPY and see through gzip.
//!
//! The format is chosen from the first (decompressed) bytes when they carry a binary magic
//! number (NPY `\x93NUMPY`; IDX: two zero bytes), else from the name (`.npy`, `.idx`, `-ubyte`,
//! `.idx1`…`.idx4`, `.csv`, `.tsv`, `.txt`, `.tab`, after removing `.gz`), else CSV when the
//! first 64 bytes are text and IDX (whose parser then explains the bad magic number) when they
//! are binary.

use crate::csv::{CsvOptions, CsvParser, Table};
use crate::error::{DataError, Result};
use crate::gzip::MaybeGzip;
use crate::idx::{IdxArray, IdxParser};
use crate::npy::{NpyArray, NpyParser};
use crate::parser::{ChunkParser, Guarded, Progress, check_spent, parse_all, push_guarded};

/// A file format this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Idx,
    Npy,
}

impl Format {
    /// The format the first bytes of a (decompressed) file prove, if any.
    pub fn from_magic(first: &[u8]) -> Option<Format> {
        if first.starts_with(b"\x93NUMPY") {
            return Some(Format::Npy);
        }
        // Text never starts with two NUL bytes: the IDX parser then explains what is wrong.
        first.starts_with(&[0, 0]).then_some(Format::Idx)
    }

    /// The format a file name suggests (a trailing `.gz` is ignored), if any.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let stem = lower.strip_suffix(".gz").unwrap_or(&lower);
        if stem.ends_with(".npy") {
            Some(Format::Npy)
        } else if stem.ends_with("-ubyte")
            || [".idx", ".idx1", ".idx2", ".idx3", ".idx4"].iter().any(|e| stem.ends_with(e))
        {
            Some(Format::Idx)
        } else if [".csv", ".tsv", ".txt", ".tab"].iter().any(|e| stem.ends_with(e)) {
            Some(Format::Csv)
        } else {
            None
        }
    }
}

/// What a file held.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// A CSV/TSV table: features and targets together.
    Table(Table),
    /// An IDX array (features or labels; pair it with its partner file).
    Idx(IdxArray),
    /// An NPY array (features or targets; pair it with its partner file).
    Npy(NpyArray),
}

enum State {
    Sniff(Vec<u8>),
    Csv(Box<CsvParser>),
    Idx(IdxParser),
    Npy(NpyParser),
}

/// Parses CSV, IDX or NPY, chosen as the module docs say. Not gzip-aware by itself: use
/// `MaybeGzip::new(AutoParser::new(..))` (as [`load_bytes`] does).
pub struct AutoParser {
    src: String,
    options: CsvOptions,
    state: State,
    total: Option<u64>,
    failed: bool,
}

const SNIFF_BYTES: usize = 64;

impl AutoParser {
    /// `options` apply when the file turns out to be CSV.
    pub fn new(source: &str, options: CsvOptions) -> Self {
        AutoParser { src: source.to_string(), options, state: State::Sniff(Vec::new()), total: None, failed: false }
    }

    /// The format, once the first bytes have arrived.
    pub fn format(&self) -> Option<Format> {
        match self.state {
            State::Sniff(_) => None,
            State::Csv(_) => Some(Format::Csv),
            State::Idx(_) => Some(Format::Idx),
            State::Npy(_) => Some(Format::Npy),
        }
    }

    fn start(&mut self, first: &[u8]) -> Result<()> {
        // Only the first SNIFF_BYTES decide: `first` holds however many bytes the first chunks
        // brought, and the format must not depend on how the input was cut.
        let head = &first[..first.len().min(SNIFF_BYTES)];
        let binary = head.contains(&0) || std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some());
        let guess = if binary { Format::Idx } else { Format::Csv };
        let format = Format::from_magic(first).or_else(|| Format::from_name(&self.src)).unwrap_or(guess);
        let src = &self.src;
        let mut state = match format {
            Format::Csv => State::Csv(Box::new(CsvParser::new(src, self.options.clone()))),
            Format::Idx => State::Idx(IdxParser::new(src)),
            Format::Npy => State::Npy(NpyParser::new(src)),
        };
        let total = self.total;
        with_parser(&mut state, |p| {
            if let Some(t) = total {
                p.expect_len(t);
            }
            p.push(first)
        })?;
        self.state = state;
        Ok(())
    }
}

impl Guarded for AutoParser {
    fn failed(&mut self) -> &mut bool {
        &mut self.failed
    }

    fn push_inner(&mut self, chunk: &[u8]) -> Result<()> {
        if let State::Sniff(held) = &mut self.state {
            if held.len() + chunk.len() < SNIFF_BYTES {
                held.extend_from_slice(chunk);
                return Ok(());
            }
            let mut first = std::mem::take(held);
            if first.is_empty() {
                return self.start(chunk);
            }
            first.extend_from_slice(chunk);
            return self.start(&first);
        }
        with_parser(&mut self.state, |p| p.push(chunk))
    }
}

/// Runs `f` on the chosen parser (there is one once sniffing is over).
fn with_parser<T>(state: &mut State, f: impl FnOnce(&mut dyn PushOnly) -> Result<T>) -> Result<T> {
    match state {
        State::Csv(p) => f(p.as_mut()),
        State::Idx(p) => f(p),
        State::Npy(p) => f(p),
        State::Sniff(_) => unreachable!("a parser is chosen before bytes are pushed"),
    }
}

/// The object-safe part of [`ChunkParser`].
trait PushOnly {
    fn push(&mut self, chunk: &[u8]) -> Result<()>;
    fn expect_len(&mut self, total: u64);
}

impl<P: ChunkParser> PushOnly for P {
    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        ChunkParser::push(self, chunk)
    }
    fn expect_len(&mut self, total: u64) {
        ChunkParser::expect_len(self, total)
    }
}

impl ChunkParser for AutoParser {
    type Output = Parsed;

    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        push_guarded(self, chunk)
    }

    fn finish(mut self) -> Result<Parsed> {
        check_spent(self.failed, &self.src)?;
        if let State::Sniff(held) = &mut self.state {
            let first = std::mem::take(held);
            self.start(&first)?;
        }
        match self.state {
            State::Csv(p) => (*p).finish().map(Parsed::Table),
            State::Idx(p) => p.finish().map(Parsed::Idx),
            State::Npy(p) => p.finish().map(Parsed::Npy),
            State::Sniff(_) => Err(DataError::invalid(&self.src, "no parser chosen")),
        }
    }

    fn progress(&self) -> Progress {
        match &self.state {
            State::Sniff(held) => Progress { bytes: held.len() as u64, rows: 0 },
            State::Csv(p) => ChunkParser::progress(p.as_ref()),
            State::Idx(p) => ChunkParser::progress(p),
            State::Npy(p) => ChunkParser::progress(p),
        }
    }

    fn source(&self) -> &str {
        &self.src
    }

    fn expect_len(&mut self, total: u64) {
        self.total = Some(total);
    }
}

/// Parses a whole file held in memory: gzip or not, CSV, IDX or NPY (see the module docs).
/// `options` apply to CSV.
pub fn load_bytes(name: &str, bytes: &[u8], options: &CsvOptions) -> Result<Parsed> {
    parse_all(MaybeGzip::new(AutoParser::new(name, options.clone())), bytes)
}

/// Streams a file from disk through `parser` in 1 MiB chunks (telling it the file size first),
/// calling `on_progress` after each chunk. The file is never held in memory whole.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_file<P: ChunkParser>(
    path: &std::path::Path,
    mut parser: P,
    mut on_progress: impl FnMut(Progress),
) -> Result<P::Output> {
    use std::io::Read;
    let io = |err| DataError::Io { path: path.display().to_string(), err };
    let mut file = std::fs::File::open(path).map_err(io)?;
    if let Ok(meta) = file.metadata() {
        parser.expect_len(meta.len());
    }
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        parser.push(&buf[..n])?;
        on_progress(parser.progress());
    }
    parser.finish()
}

/// [`load_bytes`] for a file on disk, streamed ([`parse_file`]); errors name the file as given.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_path(path: &std::path::Path, options: &CsvOptions) -> Result<Parsed> {
    let name = path.display().to_string();
    parse_file(path, MaybeGzip::new(AutoParser::new(&name, options.clone())), |_| {})
}
