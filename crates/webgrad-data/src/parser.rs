//! The shape every incremental parser shares: feed bytes chunk by chunk with
//! [`ChunkParser::push`], watch [`ChunkParser::progress`], then [`ChunkParser::finish`].
//!
//! Chunks may be cut anywhere (inside a number, a quoted field, a header, a gzip block): the
//! result is the same as for one chunk holding the whole input. A parser keeps only what it has
//! parsed (growing by a quarter at a time, never more than the header promises) plus a few
//! bytes of carry-over, so no format holds the input twice.

use crate::error::{DataError, Result};

/// How far a parser has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes consumed so far (for gzip input: compressed bytes, comparable to the file size).
    pub bytes: u64,
    /// Rows completely parsed so far: CSV data records (header excluded), or items along the
    /// first axis of an IDX/NPY array.
    pub rows: u64,
}

/// An incremental parser. After `push` or `finish` returns an error the parser is spent: a
/// later `push` returns an error too, and nothing it built is visible.
pub trait ChunkParser {
    type Output;

    /// Consumes the next bytes of the input.
    fn push(&mut self, chunk: &[u8]) -> Result<()>;

    /// Ends the input and returns what was parsed, or what is missing.
    fn finish(self) -> Result<Self::Output>;

    fn progress(&self) -> Progress;

    /// The source name that starts every error message (a file name).
    fn source(&self) -> &str;

    /// Tells the parser how many input bytes there will be in all (a file's size, a
    /// Content-Length), when the caller knows it. Binary parsers then reject a header that
    /// promises more data than that at once, and reserve the exact size; the CSV parser
    /// estimates its row count from it. Must be called before the first `push`; the default
    /// ignores it.
    fn expect_len(&mut self, _total: u64) {}
}

/// Parses bytes that are all in memory: `expect_len`, one `push`, `finish`.
pub fn parse_all<P: ChunkParser>(mut parser: P, bytes: &[u8]) -> Result<P::Output> {
    parser.expect_len(bytes.len() as u64);
    parser.push(bytes)?;
    parser.finish()
}

/// A parser that is spent after its first error (see [`ChunkParser`]): it keeps the flag and
/// its `push` proper, and its [`ChunkParser::push`] is [`push_guarded`].
pub(crate) trait Guarded: ChunkParser {
    /// Set once a `push` has failed.
    fn failed(&mut self) -> &mut bool;

    /// Consumes the next bytes of the input, on a parser that has not failed.
    fn push_inner(&mut self, chunk: &[u8]) -> Result<()>;
}

/// [`ChunkParser::push`] for a [`Guarded`] parser: refused once spent, and spent by an error.
pub(crate) fn push_guarded<P: Guarded>(p: &mut P, chunk: &[u8]) -> Result<()> {
    check_spent(*p.failed(), p.source())?;
    let r = p.push_inner(chunk);
    *p.failed() = r.is_err();
    r
}

/// The error a spent parser returns (from `push` and `finish`) when `failed`.
pub(crate) fn check_spent(failed: bool, src: &str) -> Result<()> {
    match failed {
        true => Err(DataError::invalid(src, "the parser already failed; start a new one")),
        false => Ok(()),
    }
}

/// The body of a binary array file (IDX, NPY): the `data_bytes` bytes of `size`-byte elements
/// that the header announces at `offset`, and nothing after them. It counts what has arrived
/// and what comes past the end, and hands on whole elements, holding back one that a chunk
/// boundary cuts until the rest of it arrives.
#[derive(Debug, Default)]
pub(crate) struct FixedBody {
    offset: usize,
    data_bytes: usize,
    size: usize,
    received: usize,
    trailing: u64,
    carry: Vec<u8>,
}

impl FixedBody {
    pub(crate) fn new(offset: usize, data_bytes: usize, size: usize) -> Self {
        FixedBody { offset, data_bytes, size, carry: Vec::with_capacity(size), ..FixedBody::default() }
    }

    /// How many of `first_dim` rows (items along the first axis) have fully arrived.
    pub(crate) fn rows(&self, first_dim: usize) -> u64 {
        match self.data_bytes {
            0 => 0,
            all => (self.received as u128 * first_dim as u128 / all as u128) as u64,
        }
    }

    /// The error for a body of which only `found` bytes exist; `what` names it.
    fn truncated(&self, src: &str, what: String, found: u64) -> DataError {
        DataError::truncated(src, self.offset as u64, what, self.data_bytes as u64, found)
    }

    /// Before anything is allocated for the body: with the input's `total` size known, a body
    /// that it cannot hold is an error (named by `what`), and otherwise `elements` are to be
    /// reserved; without it, none (the data grows as it arrives).
    pub(crate) fn reserve(
        &self,
        src: &str,
        total: Option<u64>,
        elements: usize,
        what: impl FnOnce() -> String,
    ) -> Result<usize> {
        let Some(total) = total else { return Ok(0) };
        let available = total.saturating_sub(self.offset as u64);
        if available < self.data_bytes as u64 {
            return Err(self.truncated(src, what(), available));
        }
        Ok(elements)
    }

    /// Takes the next input bytes: those past the body's end are only counted, and `whole` is
    /// given the rest as runs of whole elements (a carried element completed first).
    pub(crate) fn push(&mut self, mut bytes: &[u8], mut whole: impl FnMut(&[u8])) {
        let room = self.data_bytes - self.received;
        if bytes.len() > room {
            self.trailing += (bytes.len() - room) as u64;
            bytes = &bytes[..room];
        }
        self.received += bytes.len();
        let size = self.size;
        if size == 0 {
            return;
        }
        if !self.carry.is_empty() {
            let take = (size - self.carry.len()).min(bytes.len());
            self.carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.carry.len() < size {
                return;
            }
            whole(&self.carry);
            self.carry.clear();
        }
        let end = bytes.len() / size * size;
        if end > 0 {
            whole(&bytes[..end]);
        }
        self.carry.extend_from_slice(&bytes[end..]);
    }

    /// At the end of the input: the body must be complete (else a truncation error naming it
    /// `what`) with nothing after it (else an error saying what sets its size: `layout`, e.g.
    /// "dims [2, 3] describe").
    pub(crate) fn finish(
        &self,
        src: &str,
        what: impl FnOnce() -> String,
        layout: impl FnOnce() -> String,
    ) -> Result<()> {
        if self.received < self.data_bytes {
            return Err(self.truncated(src, what(), self.received as u64));
        }
        if self.trailing > 0 {
            let msg =
                format!("{} trailing bytes after the {} data bytes that {}", self.trailing, self.data_bytes, layout());
            return Err(DataError::format(src, self.offset + self.data_bytes, msg));
        }
        Ok(())
    }
}

/// Makes room for `incoming` more elements. Grows to the larger of `len + incoming` and
/// `len * 5/4` (amortised O(1) per element, at most 25% slack), never past `cap` unless
/// `len + incoming` needs it.
pub(crate) fn grow<T>(v: &mut Vec<T>, incoming: usize, cap: usize) {
    let need = v.len().saturating_add(incoming);
    if need <= v.capacity() {
        return;
    }
    let target = need.max(v.len().saturating_add(v.len() / 4).min(cap)).max(64.min(cap));
    v.reserve_exact(target.max(need) - v.len());
}

#[cfg(test)]
mod tests {
    use super::{FixedBody, grow};

    #[test]
    fn fixed_body_hands_on_whole_elements_however_the_input_is_cut() {
        let input: Vec<u8> = (0..14).collect();
        for cut in 1..=input.len() {
            let mut body = FixedBody::new(10, 12, 4);
            let mut got = Vec::new();
            for chunk in input.chunks(cut) {
                body.push(chunk, |whole| {
                    assert_eq!(whole.len() % 4, 0);
                    got.extend_from_slice(whole);
                });
            }
            assert_eq!(got, input[..12], "cut {cut}");
            assert_eq!(body.rows(3), 3);
            let e = body.finish("f", || "data".into(), || "dims [3] describe".into()).unwrap_err();
            assert_eq!(e.to_string(), "f: byte 22: 2 trailing bytes after the 12 data bytes that dims [3] describe");
        }
        let mut short = FixedBody::new(10, 12, 4);
        short.push(&input[..5], |_| {});
        assert_eq!(short.rows(3), 1);
        let e = short.finish("f", || "data".into(), || unreachable!()).unwrap_err();
        assert_eq!(e.to_string(), "f: byte 10: truncated data: expected 12 bytes, found 5");
        assert!(short.reserve("f", Some(21), 3, || "data".into()).is_err());
        assert_eq!(short.reserve("f", Some(22), 3, || "data".into()).unwrap(), 3);
        assert_eq!(short.reserve("f", None, 3, || "data".into()).unwrap(), 0);
    }

    #[test]
    fn grow_is_bounded_by_cap_and_amortised() {
        let mut v: Vec<u8> = Vec::new();
        let mut reallocs = 0;
        for _ in 0..100_000 {
            let cap = v.capacity();
            grow(&mut v, 1, 1_000_000);
            v.push(0);
            reallocs += (v.capacity() != cap) as usize;
            assert!(v.capacity() <= (v.len() + v.len() / 4).max(64));
        }
        assert!(reallocs < 60, "{reallocs}");
        let mut w: Vec<u8> = Vec::new();
        grow(&mut w, 10, 12);
        assert_eq!(w.capacity(), 12);
        grow(&mut w, 20, 12);
        assert!(w.capacity() >= 20);
    }
}
