//! The automatic checkpoint in the browser's origin-private file system (OPFS), reached from the
//! worker: `navigator.storage.getDirectory()`. Written after every epoch (in the background:
//! `save_checkpoint_soon`), read at start-up, so a reload resumes where training was. Called
//! through `Reflect` so no unstable web-sys API is needed; every failure is an `Err` with the
//! browser's message (storage may be unavailable, e.g. in a private window), never a panic.

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const CHECKPOINT: &str = "webgrad-checkpoint.safetensors";
/// Where earlier versions kept the experiment, beside the checkpoint (removed on clear).
const OLD_EXPERIMENT: &str = "webgrad-experiment.json";
/// The checkpoint's metadata key for the experiment's JSON: one file holds both, written at
/// once, so a checkpoint never meets another experiment's settings.
pub const EXPERIMENT_KEY: &str = "webgrad.experiment";

fn err(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
}

/// Calls `target.name(args…)` and awaits the promise it returns.
async fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f: js_sys::Function =
        Reflect::get(target, &name.into()).map_err(err)?.dyn_into().map_err(|_| format!("{name} is not available"))?;
    let array: js_sys::Array = args.iter().collect();
    let result = f.apply(target, &array).map_err(err)?;
    JsFuture::from(Promise::resolve(&result)).await.map_err(err)
}

async fn directory() -> Result<JsValue, String> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).map_err(err)?;
    let storage = Reflect::get(&navigator, &"storage".into()).map_err(err)?;
    if storage.is_undefined() {
        return Err("this browser has no storage API".into());
    }
    call(&storage, "getDirectory", &[]).await
}

async fn write(name: &str, bytes: &[u8]) -> Result<(), String> {
    let dir = directory().await?;
    let options = Object::new();
    Reflect::set(&options, &"create".into(), &true.into()).map_err(err)?;
    let handle = call(&dir, "getFileHandle", &[name.into(), options.into()]).await?;
    let writable = call(&handle, "createWritable", &[]).await?;
    call(&writable, "write", &[Uint8Array::from(bytes).into()]).await?;
    call(&writable, "close", &[]).await?;
    Ok(())
}

async fn read(name: &str) -> Result<Option<Vec<u8>>, String> {
    let dir = directory().await?;
    let Ok(handle) = call(&dir, "getFileHandle", &[name.into()]).await else { return Ok(None) };
    let file = call(&handle, "getFile", &[]).await?;
    let buf = call(&file, "arrayBuffer", &[]).await?;
    Ok(Some(Uint8Array::new(&buf).to_vec()))
}

/// Saves the checkpoint, which holds its experiment under [`EXPERIMENT_KEY`] (one file: the
/// browser swaps it in whole when the writable stream closes).
async fn save_checkpoint(checkpoint: &[u8]) -> Result<(), String> {
    write(CHECKPOINT, checkpoint).await
}

thread_local! {
    /// The checkpoint `save_checkpoint_soon` has yet to write (only the newest is kept).
    static PENDING: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
    /// Whether its writer is running.
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`save_checkpoint`] without waiting for it (an OPFS write took 22 ms an epoch of MNIST's
/// 1.3 MB, a fifth of the epoch's training): one writer writes the newest checkpoint handed
/// over, one write at a time, so the stored one is never older than one handed over before it.
/// A write that fails is dropped (storage may be unavailable): training goes on without it.
pub fn save_checkpoint_soon(checkpoint: Vec<u8>) {
    PENDING.with(|p| p.replace(Some(checkpoint)));
    if WRITING.with(|w| w.replace(true)) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async {
        while let Some(bytes) = PENDING.with(|p| p.take()) {
            let _ = save_checkpoint(&bytes).await;
        }
        WRITING.with(|w| w.set(false));
    });
}

/// Drops the checkpoint not yet written and waits until no write is running.
async fn settle_writes() {
    PENDING.with(|p| p.take());
    while WRITING.with(std::cell::Cell::get) {
        crate::js::sleep(5).await;
    }
}

/// The saved checkpoint and its experiment's JSON, if there is one with an experiment.
pub async fn load_checkpoint() -> Result<Option<(Vec<u8>, String)>, String> {
    let Some(bytes) = read(CHECKPOINT).await? else { return Ok(None) };
    Ok(webgrad_nn::checkpoint::metadata_entry(&bytes, EXPERIMENT_KEY).map(|json| (bytes, json)))
}

/// Forgets the checkpoint (a new experiment is ready).
pub async fn clear_checkpoint() {
    settle_writes().await;
    if let Ok(dir) = directory().await {
        for name in [CHECKPOINT, OLD_EXPERIMENT] {
            let _ = call(&dir, "removeEntry", &[name.into()]).await;
        }
    }
}
