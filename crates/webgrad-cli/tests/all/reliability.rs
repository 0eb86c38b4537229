//! What a hostile or unlucky run cannot do to the CLI: a tiny model file cannot make it allocate
//! gigabytes, a model that does not fit is one sentence, and a write cut short leaves the
//! previous checkpoint loadable.

use std::process::{Command, Output};

use crate::common::{scratch, webgrad};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A safetensors file holding one small tensor and, as its embedded description, `json`.
fn safetensors_with_description(json: &str) -> Vec<u8> {
    let meta = serde_json::json!({
        "__metadata__": { "webgrad": json },
        "0.weight": { "dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16] },
    })
    .to_string();
    let mut out = (meta.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(meta.as_bytes());
    out.extend_from_slice(&[0u8; 16]);
    out
}

fn description(width: u64) -> String {
    format!(
        r#"{{"format":"webgrad-mlp/1","model":{{"input":784,"hidden":[{{"width":{width},"activation":"relu"}}],"head":{{"kind":"softmax","classes":10}}}},"torch":""}}"#
    )
}

#[test]
fn a_tiny_model_file_cannot_make_eval_allocate() {
    let dir = scratch("tiny");
    // a billion-wide layer: refused by the memory budget before any model is built
    let huge = dir.join("huge.safetensors");
    std::fs::write(&huge, safetensors_with_description(&description(1_000_000_000))).unwrap();
    let out = webgrad(&["eval", huge.to_str().unwrap(), "--dataset", "mnist", "--memory-limit", "3.5"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("has width 1000000000 (the most is 65536)"), "{err}");
    // width 100,000 is allowed by the limits but the file does not hold its tensors: refused
    // before the 313 MB model is built
    let wide = dir.join("wide.safetensors");
    std::fs::write(&wide, safetensors_with_description(&description(60_000))).unwrap();
    let out = webgrad(&["eval", wide.to_str().unwrap(), "--dataset", "mnist"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("tensor '0.weight' is F32 [2, 2], the model description needs F32 [60000, 784]"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_that_does_not_fit_is_one_sentence() {
    let out = webgrad(&["train", "--dataset", "iris", "--hidden", "60000,60000", "--memory-limit", "3.5"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end(), "webgrad: error: the model needs 14.4 GB for its weights; the limit is 3.5 GB");
    let out = webgrad(&["train", "--dataset", "iris", "--batch", "1000"]);
    let err = stderr(&out);
    assert_eq!(err.trim_end(), "webgrad: error: batch size 1000 is larger than the 120 training rows");
    let layers = vec!["4"; 33].join(",");
    let out = webgrad(&["train", "--dataset", "iris", "--hidden", &layers]);
    assert_eq!(stderr(&out).trim_end(), "webgrad: error: 33 hidden layers (the most is 32)");
}

#[test]
fn a_checkpoint_write_cut_short_leaves_the_previous_one_loadable() {
    let dir = scratch("cut");
    let ckpt = dir.join("ckpt.safetensors");
    let c = ckpt.to_str().unwrap();
    let common = ["train", "--dataset", "iris", "--hidden", "8", "--batch", "16", "--quiet", "--checkpoint", c];
    let run = |extra: &[&str], cut: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_webgrad"));
        cmd.args(common).args(extra);
        if let Some(n) = cut {
            cmd.env("WEBGRAD_FAULT_CUT_WRITE", n);
        }
        cmd.output().unwrap()
    };
    assert!(run(&["--epochs", "2"], None).status.success());
    let good = std::fs::read(&ckpt).unwrap();
    // the next run is killed 100 bytes into writing its first checkpoint
    let out = run(&["--epochs", "3", "--seed", "2"], Some("100"));
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    assert_eq!(std::fs::read(&ckpt).unwrap(), good, "the previous checkpoint is untouched");
    // and it still resumes
    let out = run(&["--epochs", "3", "--resume", c], None);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}
