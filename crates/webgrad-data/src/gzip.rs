//! Transparent gzip for every parser: [`MaybeGzip`] looks at the first two bytes; on the gzip
//! magic `1f 8b` it inflates the stream as it arrives (RFC 1952: header, deflate data, CRC-32
//! and length trailer; several members one after the other are one stream, as `gzip -d` reads
//! them) and feeds the decompressed bytes to the inner parser; otherwise it passes the bytes
//! through.
//!
//! Errors of the gzip layer name the source and the byte offset in the *compressed* file
//! ("data.csv.gz: byte 812: truncated gzip: …"); errors of a binary inner parser count bytes of
//! the decompressed stream and say so ("x.idx.gz (gunzipped): byte 16: …").

use flate2::{Crc, Decompress, FlushDecompress, Status};

use crate::error::{DataError, Result};
use crate::parser::{ChunkParser, Guarded, Progress, check_spent, push_guarded};

pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decompressed bytes are handed to the inner parser in pieces of at most this size.
const OUT_CHUNK: usize = 64 * 1024;
/// A gzip header longer than this (a huge stored file name or extra field) is rejected.
const MAX_HEADER: usize = 64 * 1024;

/// Wraps a parser so that it reads plain or gzip-compressed input alike.
pub struct MaybeGzip<P> {
    inner: P,
    src: String,
    state: State,
    bytes_in: u64,
    total: Option<u64>,
    failed: bool,
    max_out: u64,
}

enum State {
    /// Fewer than two bytes seen: not yet known.
    Sniff(Vec<u8>),
    Plain,
    Gzip(Box<Gunzip>),
}

struct Gunzip {
    phase: Phase,
    inflate: Decompress,
    crc: Crc,
    out: Vec<u8>,
    /// Compressed offset where the current phase's bytes start (header, deflate data, trailer).
    phase_start: u64,
    /// Decompressed bytes produced by the current member (for the trailer's length check).
    member_out: u64,
    members: u32,
    /// Decompressed bytes of all members so far, and the most there may be (the memory
    /// budget: a small bomb cannot make gigabytes for the parser behind it).
    total_out: u64,
    max_out: u64,
}

enum Phase {
    /// Header bytes so far (empty at the start of a member).
    Header(Vec<u8>),
    Deflate,
    Trailer(Vec<u8>),
}

impl<P: ChunkParser> MaybeGzip<P> {
    pub fn new(inner: P) -> Self {
        let src = inner.source().to_string();
        let max_out = webgrad_core::budget::limit();
        MaybeGzip { inner, src, state: State::Sniff(Vec::new()), bytes_in: 0, total: None, failed: false, max_out }
    }

    /// Caps the decompressed size at `bytes` instead of the memory budget (set before the
    /// first push).
    pub fn with_max_output(mut self, bytes: u64) -> Self {
        self.max_out = bytes;
        self
    }

    /// Whether the input is gzip (`None` until two bytes have arrived).
    pub fn is_gzip(&self) -> Option<bool> {
        match self.state {
            State::Sniff(_) => None,
            State::Plain => Some(false),
            State::Gzip(_) => Some(true),
        }
    }

    pub fn inner(&self) -> &P {
        &self.inner
    }

    fn decide(&mut self, first: &[u8]) {
        if first.starts_with(&GZIP_MAGIC) {
            self.state = State::Gzip(Box::new(Gunzip {
                phase: Phase::Header(Vec::new()),
                inflate: Decompress::new(false),
                crc: Crc::new(),
                out: vec![0; OUT_CHUNK],
                phase_start: 0,
                member_out: 0,
                members: 0,
                total_out: 0,
                max_out: self.max_out,
            }));
        } else {
            self.state = State::Plain;
            if let Some(t) = self.total {
                self.inner.expect_len(t);
            }
        }
    }
}

impl<P: ChunkParser> Guarded for MaybeGzip<P> {
    fn failed(&mut self) -> &mut bool {
        &mut self.failed
    }

    fn push_inner(&mut self, chunk: &[u8]) -> Result<()> {
        if let State::Sniff(buf) = &mut self.state {
            if buf.len() + chunk.len() < 2 {
                buf.extend_from_slice(chunk);
                return Ok(());
            }
            let mut first = std::mem::take(buf);
            let want = 2usize.saturating_sub(first.len());
            first.extend_from_slice(&chunk[..want.min(chunk.len())]);
            self.decide(&first);
            // Replay the held byte(s) of an earlier chunk, then this chunk.
            let held = first.len() - want.min(chunk.len());
            if held > 0 {
                self.feed(&first[..held])?;
            }
        }
        self.feed(chunk)
    }
}

impl<P: ChunkParser> MaybeGzip<P> {
    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        let start = self.bytes_in;
        self.bytes_in += bytes.len() as u64;
        match &mut self.state {
            State::Sniff(_) => unreachable!("decided before feeding"),
            State::Plain => self.inner.push(bytes),
            State::Gzip(g) => g.feed(bytes, start, &mut self.inner, &self.src),
        }
    }
}

impl Gunzip {
    /// `bytes` start at compressed offset `at`.
    fn feed<P: ChunkParser>(&mut self, mut bytes: &[u8], mut at: u64, inner: &mut P, src: &str) -> Result<()> {
        while !bytes.is_empty() {
            match &mut self.phase {
                Phase::Header(h) => {
                    // After a member, the next two bytes (which chunks may bring one at a time)
                    // must start another member.
                    if self.members > 0 && h.len() < 2 {
                        let need = (2 - h.len()).min(bytes.len());
                        let next = h.iter().chain(&bytes[..need]);
                        if !next.zip(GZIP_MAGIC).all(|(a, b)| *a == b) {
                            let msg = "data after the end of the gzip stream that is not another gzip member";
                            return Err(DataError::format(src, self.phase_start, msg));
                        }
                    }
                    let before = h.len();
                    let take = bytes.len().min(MAX_HEADER + 1 - before);
                    h.extend_from_slice(&bytes[..take]);
                    match parse_header(h).map_err(|(off, msg)| DataError::format(src, self.phase_start + off, msg))? {
                        None if h.len() > MAX_HEADER => {
                            let msg = format!("gzip header longer than {MAX_HEADER} bytes");
                            return Err(DataError::format(src, self.phase_start, msg));
                        }
                        None => return Ok(()),
                        Some(len) => {
                            let used = len - before;
                            bytes = &bytes[used..];
                            at += used as u64;
                            self.phase_start = at;
                            self.phase = Phase::Deflate;
                        }
                    }
                }
                Phase::Deflate => {
                    let (used, done) = self.inflate(bytes, inner, src)?;
                    bytes = &bytes[used..];
                    at += used as u64;
                    if done {
                        self.phase_start = at;
                        self.phase = Phase::Trailer(Vec::with_capacity(8));
                    }
                }
                Phase::Trailer(t) => {
                    let take = bytes.len().min(8 - t.len());
                    t.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    at += take as u64;
                    if t.len() == 8 {
                        let stored_crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
                        let stored_len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
                        if stored_crc != self.crc.sum() {
                            let msg = format!(
                                "gzip CRC-32 mismatch (stored 0x{stored_crc:08x}, computed 0x{:08x}): the file is corrupt",
                                self.crc.sum()
                            );
                            return Err(DataError::format(src, self.phase_start, msg));
                        }
                        if stored_len != self.member_out as u32 {
                            let msg = format!(
                                "gzip length mismatch (trailer says {stored_len} bytes mod 2^32, decompressed {}): \
                                 the file is corrupt",
                                self.member_out
                            );
                            return Err(DataError::format(src, self.phase_start + 4, msg));
                        }
                        self.members += 1;
                        self.inflate.reset(false);
                        self.crc.reset();
                        self.member_out = 0;
                        self.phase_start = at;
                        self.phase = Phase::Header(Vec::new());
                    }
                }
            }
        }
        Ok(())
    }

    /// Inflates from `input` until it is used up or the member's deflate stream ends; feeds the
    /// output to `inner`. Returns (input bytes used, stream ended).
    fn inflate<P: ChunkParser>(&mut self, input: &[u8], inner: &mut P, src: &str) -> Result<(usize, bool)> {
        let mut used = 0;
        loop {
            let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
            let result = self.inflate.decompress(&input[used..], &mut self.out, FlushDecompress::None);
            let consumed = (self.inflate.total_in() - in0) as usize;
            let produced = (self.inflate.total_out() - out0) as usize;
            used += consumed;
            // Output decoded before a corrupt spot goes to the parser first, so that the error
            // reported does not depend on how the input was cut into chunks.
            if produced > 0 {
                // past the cap only the bytes up to it reach the parser, however the input was cut
                let room = usize::try_from(self.max_out - self.total_out).unwrap_or(usize::MAX);
                let out = &self.out[..produced.min(room)];
                self.crc.update(out);
                self.member_out += out.len() as u64;
                self.total_out += out.len() as u64;
                inner.push(out).map_err(DataError::gunzipped)?;
                if produced > room {
                    let msg = format!(
                        "decompresses to more than {}, the memory limit (a gzip bomb, or a file too large to load here)",
                        webgrad_core::budget::format_bytes(self.max_out)
                    );
                    // the member's deflate data starts here (the crossing point depends on chunking)
                    return Err(DataError::format(src, self.phase_start, msg));
                }
            }
            let status = result.map_err(|e| {
                let at = self.phase_start + self.inflate.total_in();
                DataError::format(src, at, format!("corrupt gzip data: {e}"))
            })?;
            if status == Status::StreamEnd {
                return Ok((used, true));
            }
            // Once the input is used up, call again until nothing more comes out: the inflater
            // may hold back output it could already give (it then gives it for empty input), and
            // what has come out when the input stops must not depend on where chunks were cut.
            if consumed == 0 && produced == 0 {
                return Ok((used, false));
            }
        }
    }

    fn check_complete(&self, src: &str, end: u64) -> Result<()> {
        let (what, from) = match &self.phase {
            Phase::Header(h) if h.is_empty() && self.members > 0 => return Ok(()),
            Phase::Header(_) => ("inside the gzip header", self.phase_start),
            Phase::Deflate => ("before the end of the compressed data", self.phase_start),
            Phase::Trailer(_) => ("inside the 8-byte gzip trailer (CRC-32 and length)", self.phase_start),
        };
        let msg = format!(
            "truncated gzip: the file ends {what} (that part starts at byte {from}; {} bytes decompressed so far)",
            self.member_out
        );
        Err(DataError::format(src, end, msg))
    }
}

/// RFC 1952 member header: `Ok(Some(len))` when complete, `Ok(None)` when more bytes are
/// needed, `Err((offset, message))` when malformed.
fn parse_header(h: &[u8]) -> std::result::Result<Option<usize>, (u64, String)> {
    if h.len() >= 2 && h[..2] != GZIP_MAGIC {
        return Err((0, format!("bad gzip magic {:02x} {:02x} (expected 1f 8b)", h[0], h[1])));
    }
    if h.len() < 10 {
        return Ok(None);
    }
    if h[2] != 8 {
        return Err((2, format!("gzip compression method {} (expected 8, deflate)", h[2])));
    }
    let flags = h[3];
    if flags & 0xe0 != 0 {
        return Err((3, format!("reserved gzip flag bits set (flags 0x{flags:02x})")));
    }
    let mut pos = 10;
    if flags & 0x04 != 0 {
        if h.len() < pos + 2 {
            return Ok(None);
        }
        pos += 2 + u16::from_le_bytes([h[pos], h[pos + 1]]) as usize;
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            match h.get(pos..).and_then(|rest| rest.iter().position(|&b| b == 0)) {
                Some(z) => pos += z + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & 0x02 != 0 {
        pos += 2;
    }
    Ok((h.len() >= pos).then_some(pos))
}

impl<P: ChunkParser> ChunkParser for MaybeGzip<P> {
    type Output = P::Output;

    fn push(&mut self, chunk: &[u8]) -> Result<()> {
        push_guarded(self, chunk)
    }

    fn finish(mut self) -> Result<P::Output> {
        check_spent(self.failed, &self.src)?;
        match std::mem::replace(&mut self.state, State::Plain) {
            State::Sniff(held) => {
                self.decide(&held);
                self.inner.push(&held)?;
            }
            State::Plain => {}
            State::Gzip(g) => {
                g.check_complete(&self.src, self.bytes_in)?;
                return self.inner.finish().map_err(DataError::gunzipped);
            }
        }
        self.inner.finish()
    }

    fn progress(&self) -> Progress {
        Progress { bytes: self.bytes_in, rows: self.inner.progress().rows }
    }

    fn source(&self) -> &str {
        &self.src
    }

    fn expect_len(&mut self, total: u64) {
        self.total = Some(total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    /// Collects what it is given.
    #[derive(Default)]
    struct Collect(Vec<u8>, u64);
    impl ChunkParser for Collect {
        type Output = Vec<u8>;
        fn push(&mut self, chunk: &[u8]) -> Result<()> {
            self.0.extend_from_slice(chunk);
            Ok(())
        }
        fn finish(self) -> Result<Vec<u8>> {
            Ok(self.0)
        }
        fn progress(&self) -> Progress {
            Progress { bytes: self.0.len() as u64, rows: 0 }
        }
        fn source(&self) -> &str {
            "c.gz"
        }
        fn expect_len(&mut self, total: u64) {
            self.1 = total;
        }
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(input: &[u8], chunk: usize) -> Result<Vec<u8>> {
        let mut p = MaybeGzip::new(Collect::default());
        for c in input.chunks(chunk.max(1)) {
            p.push(c)?;
        }
        if input.is_empty() {
            p.push(&[])?;
        }
        p.finish()
    }

    fn data() -> Vec<u8> {
        (0..200_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 % 7).collect()
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_output_cap_in_any_chunking() {
        // 50 MB of zeros compress to ~50 kB; the cap here is 1 MB
        let bomb = gz(&vec![0u8; 50_000_000]);
        assert!(bomb.len() < 100_000);
        for chunk in [3, 4096, usize::MAX] {
            let mut p = MaybeGzip::new(Collect::default()).with_max_output(1_000_000);
            let err = bomb.chunks(chunk).try_for_each(|c| p.push(c)).unwrap_err().to_string();
            assert_eq!(
                err,
                "c.gz: byte 10: decompresses to more than 1.0 MB, the memory limit (a gzip bomb, or a file too large \
                 to load here)",
                "chunk {chunk}"
            );
            assert_eq!(p.inner().0.len(), 1_000_000, "the parser got exactly the cap, chunk {chunk}");
        }
        // at the cap exactly, it is a normal file
        let exact = gz(&vec![7u8; 1_000_000]);
        let mut p = MaybeGzip::new(Collect::default()).with_max_output(1_000_000);
        p.push(&exact).unwrap();
        assert_eq!(p.finish().unwrap().len(), 1_000_000);
    }

    #[test]
    fn plain_and_gzip_in_any_chunking() {
        let d = data();
        let z = gz(&d);
        for chunk in [1, 2, 3, 7, 1000, 65536, usize::MAX] {
            assert_eq!(run(&d[..5000], chunk).unwrap(), &d[..5000], "plain, chunk {chunk}");
            if chunk >= 3 {
                assert_eq!(run(&z, chunk).unwrap(), d, "gzip, chunk {chunk}");
            }
        }
        assert_eq!(run(&gz(&d[..3000]), 1).unwrap(), &d[..3000]);
        assert_eq!(run(&[], 1).unwrap(), b"");
        assert_eq!(run(&[0x1f], 1).unwrap(), &[0x1f]);
        // Two members read as one stream, as `gzip -d` does.
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        assert_eq!(run(&two, 5).unwrap(), b"hello world");
    }

    #[test]
    fn header_fields_are_skipped() {
        let mut e = flate2::GzBuilder::new()
            .filename("data.csv")
            .comment("a comment")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        e.write_all(b"a,b\n1,2\n").unwrap();
        let z = e.finish().unwrap();
        for chunk in [1, 4, 100] {
            assert_eq!(run(&z, chunk).unwrap(), b"a,b\n1,2\n");
        }
    }

    #[test]
    fn damaged_streams_are_located() {
        let z = gz(&data());
        let e = run(&z[..z.len() / 2], 4096).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("c.gz: byte {}: truncated gzip: the file ends before the end", z.len() / 2)),
            "{e}"
        );
        let e = run(&z[..z.len() - 3], 4096).unwrap_err().to_string();
        assert!(e.contains("truncated gzip: the file ends inside the 8-byte gzip trailer"), "{e}");
        let e = run(&z[..6], 4096).unwrap_err().to_string();
        assert_eq!(
            e,
            "c.gz: byte 6: truncated gzip: the file ends inside the gzip header (that part starts at byte 0; 0 bytes decompressed so far)"
        );

        let mut bad_crc = z.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        let e = run(&bad_crc, 999).unwrap_err().to_string();
        assert!(e.starts_with(&format!("c.gz: byte {}: gzip CRC-32 mismatch", n - 8)), "{e}");
        let mut bad_len = z.clone();
        bad_len[n - 1] ^= 1;
        let e = run(&bad_len, 999).unwrap_err().to_string();
        assert!(e.contains("gzip length mismatch"), "{e}");

        let mut method = z.clone();
        method[2] = 7;
        assert_eq!(
            run(&method, 3).unwrap_err().to_string(),
            "c.gz: byte 2: gzip compression method 7 (expected 8, deflate)"
        );
        let mut garbage = z.clone();
        garbage[20] ^= 0xff;
        garbage[21] ^= 0x55;
        let e = run(&garbage, 1 << 20).unwrap_err().to_string();
        assert!(e.starts_with("c.gz: byte ") && (e.contains("corrupt gzip data") || e.contains("mismatch")), "{e}");

        let mut trailing = gz(b"abc");
        trailing.extend_from_slice(b"xyz");
        let e = run(&trailing, 1).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "c.gz: byte {}: data after the end of the gzip stream that is not another gzip member",
                trailing.len() - 3
            )
        );
    }

    #[test]
    fn spent_after_error_and_progress_counts_compressed_bytes() {
        let z = gz(&data());
        let mut p = MaybeGzip::new(Collect::default());
        p.push(&z[..100]).unwrap();
        assert_eq!(p.progress().bytes, 100);
        assert_eq!(p.is_gzip(), Some(true));
        let mut bad = MaybeGzip::new(Collect::default());
        assert!(bad.push(&[0x1f, 0x8b, 9]).is_ok());
        assert!(bad.push(&[0; 20]).is_err());
        assert!(bad.push(&[0; 20]).unwrap_err().to_string().contains("already failed"));

        let mut plain = MaybeGzip::new(Collect::default());
        plain.expect_len(3);
        plain.push(b"a").unwrap();
        plain.push(b"bc").unwrap();
        assert_eq!(plain.inner().1, 3);
        assert_eq!(plain.finish().unwrap(), b"abc");
    }
}
