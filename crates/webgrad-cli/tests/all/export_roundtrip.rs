//! Exported models read by an independent reader: `tests/roundtrip/check_export.py` (numpy + the
//! `safetensors` package, no webgrad or PyTorch code) loads the file by its state_dict names,
//! applies `model.json`'s preprocessing and compares its forward pass with webgrad's logits.
//! Needs `.venv-check` (scripts/setup.sh makes it); without it the test says so and passes,
//! unless `WEBGRAD_REQUIRE_NUMPY=1` (as `cargo xtask test` sets), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn webgrad(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args).current_dir(root()).output().unwrap();
    assert!(out.status.success(), "webgrad {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn exported_models_match_an_independent_numpy_reader() {
    let python = root().join(".venv-check/bin/python");
    if !python.exists() {
        assert!(
            std::env::var("WEBGRAD_REQUIRE_NUMPY").is_err(),
            "{} is missing: run scripts/setup.sh",
            python.display()
        );
        eprintln!("skipped: no .venv-check (scripts/setup.sh makes it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("webgrad-export-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // a ReLU model with dropout layers (identity at evaluation) and a GELU model without
    for (name, extra) in
        [("dropout", &["--activation", "relu", "--dropout", "0.2"][..]), ("gelu", &["--activation", "gelu"][..])]
    {
        let model = dir.join(format!("{name}.safetensors"));
        let logits = dir.join(format!("{name}.npy"));
        let (m, l) = (model.to_str().unwrap(), logits.to_str().unwrap());
        let mut args =
            vec!["train", "--dataset", "mnist", "--hidden", "32,16", "--epochs", "1", "--quiet", "--save", m];
        args.extend_from_slice(extra);
        webgrad(&args);
        webgrad(&["eval", m, "--save-outputs", l]);
        let out =
            Command::new(&python).args(["tests/roundtrip/check_export.py", m, l]).current_dir(root()).output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {said}{}", String::from_utf8_lossy(&out.stderr));
        assert!(said.contains("6 tensors by state_dict name"), "{said}");
        eprintln!("{said}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
