//! The messages serde cannot carry, built and read by hand: files picked or dropped travel as
//! the browser's `File` objects (structured clone), and a checkpoint's bytes stay a
//! `Uint8Array` on the page (an MNIST checkpoint is 1.3 MB; decoding it through serde took
//! ~50 ms of the main thread).
//!
//! - page → worker, a file load: `{files: File[], experiment, checkpoint?: Uint8Array}`; with a
//!   checkpoint, the worker continues from it once the files are loaded (a restored worker).
//! - worker → page, `FromWorker::Checkpoint` (sent as [`super::CheckpointRef`]): read here
//!   without decoding its bytes.

use wasm_bindgen::{JsCast, JsValue};

use super::Experiment;

/// A file load as the worker receives it.
pub struct FileLoad {
    /// (name, contents) of each file.
    pub files: Vec<(String, web_sys::Blob)>,
    pub experiment: Experiment,
    pub checkpoint: Option<Vec<u8>>,
    /// Files chosen on the page, which it waits for: the worker answers with
    /// `FromWorker::Answered` (a replacement worker's restore is not answered).
    pub answer: bool,
}

fn get(data: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(data, &key.into()).ok().filter(|v| !v.is_undefined())
}

/// The page's file-load message.
pub fn file_load(
    files: &js_sys::Array,
    experiment: &Experiment,
    checkpoint: Option<&js_sys::Uint8Array>,
    answer: bool,
) -> JsValue {
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"files".into(), files);
    let _ = js_sys::Reflect::set(&msg, &"answer".into(), &answer.into());
    if let Ok(e) = serde_wasm_bindgen::to_value(experiment) {
        let _ = js_sys::Reflect::set(&msg, &"experiment".into(), &e);
    }
    if let Some(c) = checkpoint {
        let _ = js_sys::Reflect::set(&msg, &"checkpoint".into(), c);
    }
    msg.into()
}

/// Reads a file-load message: `None` when `data` is not one (it is a serde `ToWorker`), an
/// error when its experiment does not decode.
pub fn read_file_load(data: &JsValue) -> Option<Result<FileLoad, String>> {
    let files = get(data, "files").filter(js_sys::Array::is_array)?;
    let experiment = get(data, "experiment")
        .ok_or_else(|| "a file load without its experiment".to_string())
        .and_then(|e| serde_wasm_bindgen::from_value::<Experiment>(e).map_err(|err| err.to_string()));
    let checkpoint =
        get(data, "checkpoint").filter(|c| c.is_instance_of::<js_sys::Uint8Array>()).map(|c| js_sys::Uint8Array::from(c).to_vec());
    let answer = get(data, "answer").and_then(|a| a.as_bool()).unwrap_or(false);
    Some(experiment.map(|experiment| FileLoad {
        files: js_sys::Array::from(&files)
            .iter()
            .filter_map(|f| f.dyn_into::<web_sys::File>().ok())
            .map(|f| (f.name(), web_sys::Blob::from(f)))
            .collect(),
        experiment,
        checkpoint,
        answer,
    }))
}

/// A `FromWorker::Checkpoint` read without serde: (experiment, epoch, the bytes as they came).
pub fn read_checkpoint(data: &JsValue) -> Option<(Experiment, u64, js_sys::Uint8Array)> {
    if get(data, "kind")?.as_string()? != "checkpoint" {
        return None;
    }
    let experiment = serde_wasm_bindgen::from_value(get(data, "experiment")?).ok()?;
    let epoch = get(data, "epoch")?.as_f64()? as u64;
    let bytes = get(data, "bytes")?.dyn_into::<js_sys::Uint8Array>().ok()?;
    Some((experiment, epoch, bytes))
}
