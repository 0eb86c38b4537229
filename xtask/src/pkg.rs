//! `cargo xtask pkg`: the trainer as an ES module package in `target/pkg/` — webgrad-js built for
//! wasm32 (simd128, the wasm-release profile), wasm-bindgen's `--target web` output with its
//! TypeScript declarations (`webgrad.js`, `webgrad_bg.wasm`, `webgrad.d.ts`), a `package.json`
//! and a README. `npm install path/to/target/pkg` (or copying the folder) makes it importable.

use std::path::Path;

use crate::{root, step};

/// The folder the package is written to.
pub fn out_dir() -> std::path::PathBuf {
    root().join("target/pkg")
}

pub fn pkg() -> Result<(), String> {
    let profile = "wasm-release";
    step(
        "build webgrad-js for wasm32",
        "cargo",
        &["build", "-p", "webgrad-js", "--lib", "--target", "wasm32-unknown-unknown", "--profile", profile],
    )?;
    let out = out_dir();
    let _ = std::fs::remove_dir_all(&out);
    let wasm = root().join(format!("target/wasm32-unknown-unknown/{profile}/webgrad_js.wasm"));
    let (wasm, out_str) = (wasm.to_string_lossy().into_owned(), out.to_string_lossy().into_owned());
    step(
        "wasm-bindgen: the ES module and its TypeScript declarations",
        "wasm-bindgen",
        &["--target", "web", "--out-dir", &out_str, "--out-name", "webgrad", &wasm],
    )?;
    write(&out.join("package.json"), &package_json())?;
    write(&out.join("README.md"), README)?;
    let size = std::fs::metadata(out.join("webgrad_bg.wasm")).map(|m| m.len()).unwrap_or(0);
    println!("\nthe package is in {out_str} (webgrad_bg.wasm: {} KB): npm install {out_str}", size / 1024);
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// package.json, its keys in the order written: conditional exports are matched in order, so
/// "types" must come before "default" (a serde_json map would sort them the other way).
fn package_json() -> String {
    PACKAGE_JSON.replace("{version}", env!("CARGO_PKG_VERSION"))
}

const PACKAGE_JSON: &str = r#"{
  "name": "webgrad",
  "version": "{version}",
  "description": "Train neural networks in the browser: webgrad's MLP trainer (Rust, wasm SIMD) as an ES module",
  "type": "module",
  "main": "webgrad.js",
  "module": "webgrad.js",
  "types": "webgrad.d.ts",
  "exports": {
    ".": {
      "types": "./webgrad.d.ts",
      "default": "./webgrad.js"
    },
    "./webgrad_bg.wasm": "./webgrad_bg.wasm"
  },
  "files": ["webgrad.js", "webgrad.d.ts", "webgrad_bg.wasm", "webgrad_bg.wasm.d.ts", "README.md"],
  "sideEffects": false,
  "license": "MIT OR Apache-2.0",
  "keywords": ["neural-network", "machine-learning", "training", "wasm", "mlp"]
}
"#;

const README: &str = r#"# webgrad

webgrad's trainer in the browser: MLPs that train on the CPU with wasm SIMD, with PyTorch's
optimizers, in a page or in a Web Worker.

```js
import init, { Mlp } from 'webgrad';
await init();                                   // fetches webgrad_bg.wasm beside webgrad.js
const model = new Mlp({ inputs: 2, hidden: [16, 16], activation: 'tanh', classes: 2, lr: 0.01 });
await model.fit(x, y, { epochs: 100, batchSize: 16, onEpoch: (epoch, logs) => console.log(epoch, logs.loss) });
const { accuracy } = await model.evaluate(xTest, yTest);
const probabilities = await model.predict(xTest);   // Float32Array [rows, classes]
const bytes = await model.exportSafetensors();      // PyTorch state_dict names; webgrad's page imports it
const again = Mlp.load(bytes);
```

`x` is a `Float32Array` of `rows × inputs` numbers, row by row; `y` holds class indices
(classification: give `classes`) or `rows × outputs` values (regression: give `outputs`).
Defaults: `hidden: [32, 32]`, `activation: 'relu'`, `optimizer: 'adam'` with PyTorch's
settings, `seed: 1`; `fit` runs 10 epochs at batch 32 (or every row of a smaller set), shuffled.
`fit` runs on the calling thread and yields to the event loop after every epoch; to keep a page
responsive with large data, import the module in a Web Worker and call `fit` there.

- `fit`, `evaluate`, `predict` and `exportSafetensors` return promises; a call while another
  runs on the same model is refused ("the model is busy"). A bad argument rejects the promise
  with an `Error` that names it (`fit: y[3] is 2, not a class index from 0 to 1`, `options.epoch
  is not a setting …`); `new Mlp` and `Mlp.load` throw such errors. The model stays usable.
- An epoch whose loss is not finite rejects `fit`, the model back at its weights from before
  that epoch. Throwing from `onEpoch` stops `fit`; the model keeps the epochs made.
- `Mlp.load(bytes)` takes a `Uint8Array` or `ArrayBuffer` from `exportSafetensors` or from
  webgrad's page or CLI, and keeps the file's preprocessing (`model.preprocessing`: input
  features of 2-D points, scale, standardisation, a regression's target standardisation) and
  class names (`model.classNames`): give it rows as the data had them (`model.inputs` numbers
  each); predictions come back in the targets' units.
- `model.free()` releases the model's wasm memory now (or `using model = new Mlp(…)`).
- Node: `initSync({ module: fs.readFileSync(new URL('./webgrad_bg.wasm', import.meta.resolve('webgrad'))) })`.
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn package_json_is_json_with_types_before_default() {
        let text = super::package_json();
        let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
        assert!(text.find(r#""types": "./webgrad.d.ts""#) < text.find(r#""default": "./webgrad.js""#));
    }
}
