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

/// The error a spent parser returns.
pub(crate) fn spent(src: &str) -> DataError {
    DataError::invalid(src, "the parser already failed; start a new one")
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
    use super::grow;

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
