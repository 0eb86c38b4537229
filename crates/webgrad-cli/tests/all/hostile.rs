//! The hostile-input corpus (`tests/hostile/cases.json`, files in `tests/hostile/files/`), CLI
//! cases: each run fails with exit 1 (2 for a flag clap refuses) and one line on stderr that
//! contains the case's exact error, never a panic or an abort; and what an earlier run saved — a
//! model and a checkpoint that each failing run also targets — is untouched and still loads.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn webgrad(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args).current_dir(root()).output().expect("run webgrad")
}

#[test]
fn every_cli_case_gives_its_error_and_keeps_what_was_saved() {
    let corpus: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/hostile/cases.json")).unwrap()).unwrap();
    let cases: Vec<&serde_json::Value> =
        corpus["cases"].as_array().unwrap().iter().filter(|c| c["surface"] == "cli").collect();
    assert!(cases.len() >= 40, "the CLI corpus has {} cases", cases.len());

    let keep = std::env::temp_dir().join(format!("webgrad-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&keep).unwrap();
    let (model, ckpt) = (keep.join("model.safetensors"), keep.join("ckpt.safetensors"));
    let (model, ckpt) = (model.to_str().unwrap().to_string(), ckpt.to_str().unwrap().to_string());
    let saved = |extra: &[&str]| {
        let mut a: Vec<String> =
            ["train", "--dataset", "iris", "--hidden", "8", "--batch", "16", "--quiet"].map(String::from).to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let out = webgrad(&saved(&["--epochs", "3", "--save", &model, "--checkpoint", &ckpt]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let before = (std::fs::read(&model).unwrap(), std::fs::read(&ckpt).unwrap());

    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let mut args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().replace("{files}", "tests/hostile/files"))
            .collect();
        if args[0] == "train" {
            // a failing run must not touch what an earlier run saved at the same paths
            args.extend(["--save".into(), model.clone(), "--checkpoint".into(), ckpt.clone()]);
        }
        let out = webgrad(&args);
        let err = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
        let want = case["error"].as_str().unwrap();
        if !matches!(out.status.code(), Some(1 | 2)) || err.lines().count() != 1 || !err.contains(want) {
            failures.push(format!("{id}: exit {:?}, stderr {err:?}, wanted {want:?}", out.status.code()));
        }
        if (std::fs::read(&model).unwrap(), std::fs::read(&ckpt).unwrap()) != before {
            failures.push(format!("{id}: changed the saved model or checkpoint"));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
    // what was saved before still loads and trains on
    assert!(webgrad(&["eval".into(), model.clone()]).status.success());
    assert!(webgrad(&saved(&["--epochs", "4", "--resume", &ckpt])).status.success());
    std::fs::remove_dir_all(&keep).unwrap();
}
