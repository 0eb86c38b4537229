//! Bytes from the browser, chunk by chunk: a `File`/`Blob` (`blob.stream()`, from the file picker
//! or a drop) or a `fetch()` response body. Each reports bytes read and the total when known,
//! and can be cancelled between chunks. The chunks feed an incremental parser
//! (`webgrad_data::ChunkParser`), so no file is ever held twice in memory.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStream, ReadableStreamDefaultReader, Response};
use webgrad_data::{ChunkParser, Progress};

pub struct ByteSource {
    /// What error messages call it (a file name or a URL).
    pub name: String,
    reader: ReadableStreamDefaultReader,
    /// Total bytes when known (a file's size, a Content-Length).
    pub total: Option<u64>,
    pub read: u64,
}

fn js_err(name: &str, e: wasm_bindgen::JsValue) -> String {
    let msg = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"));
    format!("{name}: {msg}")
}

impl ByteSource {
    fn new(name: &str, stream: ReadableStream, total: Option<u64>) -> Result<ByteSource, String> {
        let reader =
            stream.get_reader().dyn_into::<ReadableStreamDefaultReader>().map_err(|e| js_err(name, e.into()))?;
        Ok(ByteSource { name: name.into(), reader, total, read: 0 })
    }

    /// A file from the picker or a drop (a `File` is a `Blob`).
    pub fn from_blob(name: &str, blob: &Blob) -> Result<ByteSource, String> {
        ByteSource::new(name, blob.stream(), Some(blob.size() as u64))
    }

    /// The body of `GET url`; an HTTP error status is an error naming the URL.
    pub async fn fetch(url: &str) -> Result<ByteSource, String> {
        let global = js_sys::global();
        let fetch = js_sys::Reflect::get(&global, &"fetch".into()).map_err(|e| js_err(url, e))?;
        let promise =
            fetch.unchecked_into::<js_sys::Function>().call1(&global, &url.into()).map_err(|e| js_err(url, e))?;
        let resp: Response =
            JsFuture::from(js_sys::Promise::resolve(&promise)).await.map_err(|e| js_err(url, e))?.unchecked_into();
        if !resp.ok() {
            return Err(format!("{url}: HTTP {} {}", resp.status(), resp.status_text()));
        }
        let total = resp.headers().get("content-length").ok().flatten().and_then(|v| v.parse().ok());
        let body = resp.body().ok_or_else(|| format!("{url}: the response has no body"))?;
        ByteSource::new(url, body, total)
    }

    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, String> {
        let result = JsFuture::from(self.reader.read()).await.map_err(|e| js_err(&self.name, e))?;
        let done = js_sys::Reflect::get(&result, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true);
        if done {
            return Ok(None);
        }
        let value = js_sys::Reflect::get(&result, &"value".into()).map_err(|e| js_err(&self.name, e))?;
        let chunk = js_sys::Uint8Array::new(&value).to_vec();
        self.read += chunk.len() as u64;
        Ok(Some(chunk))
    }

    /// Stops reading and releases the stream.
    pub fn cancel(&self) {
        let _ = self.reader.cancel();
    }
}

/// How often a parse hands the worker's event loop a turn (ms), so that messages from the page
/// — a Cancel above all — are received while a fast source (a local file, whose reads resolve
/// at once) is parsed.
const YIELD_EVERY_MS: f64 = 50.0;

/// The most bytes of a chunk the parser is given at once (see `parse_stream`).
const PIECE_BYTES: usize = 64 * 1024;

/// Feeds every chunk of `source` to `parser`. Between chunks it reports progress, yields to the
/// event loop every `YIELD_EVERY_MS`, and asks `cancelled`; when that says yes the stream is
/// cancelled and the result is an error.
pub async fn parse_stream<P: ChunkParser>(
    mut source: ByteSource,
    mut parser: P,
    mut on_progress: impl FnMut(Progress, Option<u64>),
    mut cancelled: impl FnMut() -> bool,
) -> Result<P::Output, String> {
    if let Some(total) = source.total {
        parser.expect_len(total);
    }
    let mut yielded = crate::js::now_ms();
    while let Some(chunk) = source.next_chunk().await? {
        // a browser may hand over a whole file as one chunk (and gzip can make 2 MB of it
        // 300 MB of text): the parser gets it in pieces, with progress and a turn between them
        let mut fed = source.read - chunk.len() as u64;
        for piece in chunk.chunks(PIECE_BYTES) {
            if let Err(e) = parser.push(piece) {
                source.cancel();
                return Err(e.to_string());
            }
            fed += piece.len() as u64;
            on_progress(Progress { bytes: fed, ..parser.progress() }, source.total);
            if crate::js::now_ms() - yielded > YIELD_EVERY_MS {
                crate::js::sleep(0).await;
                yielded = crate::js::now_ms();
            }
            if cancelled() {
                source.cancel();
                return Err(format!("{}: loading cancelled", source.name));
            }
        }
    }
    parser.finish().map_err(|e| e.to_string())
}
