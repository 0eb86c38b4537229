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

fn package_json() -> String {
    let json = serde_json::json!({
        "name": "webgrad",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Train neural networks in the browser: webgrad's MLP trainer (Rust, wasm SIMD) as an ES module",
        "type": "module",
        "main": "webgrad.js",
        "module": "webgrad.js",
        "types": "webgrad.d.ts",
        "exports": { ".": { "types": "./webgrad.d.ts", "default": "./webgrad.js" }, "./webgrad_bg.wasm": "./webgrad_bg.wasm" },
        "files": ["webgrad.js", "webgrad.d.ts", "webgrad_bg.wasm", "webgrad_bg.wasm.d.ts", "README.md"],
        "sideEffects": false,
        "license": "MIT OR Apache-2.0",
        "keywords": ["neural-network", "machine-learning", "training", "wasm", "mlp"]
    });
    serde_json::to_string_pretty(&json).expect("json") + "\n"
}

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
`fit` runs on the calling thread and yields to the event loop after every epoch; to keep a page
responsive with large data, import the module in a Web Worker and call `fit` there. Every bad
argument is a thrown `Error` that names it (`fit: y[3] is 2, not a class index from 0 to 1`).
"#;
