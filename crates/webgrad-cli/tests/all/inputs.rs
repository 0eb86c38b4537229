//! `webgrad train --inputs` (TensorFlow Playground's input toggles): a circle is separated by a
//! model that sees x1² and x2², with a single linear unit between input and output (so no
//! nonlinearity of its own); the features go into the model file, and `eval` and `--resume`
//! compute them again. Bad feature lists are one sentence.

use std::process::Output;

use crate::common::{scratch, webgrad};

fn accuracy(out: &Output) -> f64 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().rev().find(|l| l.starts_with("accuracy ")).unwrap_or_else(|| panic!("{stdout}"));
    line["accuracy ".len()..].trim_end_matches('%').parse().unwrap()
}

fn error(out: &Output) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn squares_of_the_inputs_separate_a_circle_without_a_hidden_nonlinearity() {
    let dir = scratch("circle");
    let (model, ck) = (dir.join("m.safetensors"), dir.join("ck.safetensors"));
    let (model, ck) = (model.to_str().unwrap(), ck.to_str().unwrap());
    // one identity unit: the model is linear in its inputs
    let linear = ["train", "--dataset", "circle", "--hidden", "1", "--activation", "identity", "--lr", "0.05"];
    let squares = webgrad(&[&linear[..], &["--inputs", "x1sq,x2sq", "--epochs", "20", "--save", model]].concat());
    assert!(accuracy(&squares) >= 95.0, "{}", String::from_utf8_lossy(&squares.stdout));
    let plain = webgrad(&[&linear[..], &["--epochs", "20"]].concat());
    assert!(accuracy(&plain) < 75.0, "x1 and x2 alone cannot separate a circle linearly");

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("m.json")).unwrap()).unwrap();
    assert_eq!(json["preprocessing"]["input_features"], serde_json::json!(["x1sq", "x2sq"]));
    assert_eq!(accuracy(&webgrad(&["eval", model])), accuracy(&squares), "eval computes the same features");

    // a resumed run computes the checkpoint's features, whatever --inputs says now
    let first = webgrad(&[&linear[..], &["--inputs", "x1sq,x2sq", "--epochs", "2", "--checkpoint", ck]].concat());
    accuracy(&first);
    let resumed = webgrad(&[&linear[..], &["--resume", ck, "--epochs", "4"]].concat());
    let straight = webgrad(&[&linear[..], &["--inputs", "x1sq,x2sq", "--epochs", "4"]].concat());
    assert_eq!(accuracy(&resumed), accuracy(&straight));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_feature_lists_are_one_sentence() {
    let err = error(&webgrad(&["train", "--dataset", "circle", "--inputs", "x1,cosx1"]));
    assert!(err.contains("--inputs: 'cosx1' is not an input feature (one of x1, x2, x1sq"), "{err}");
    let err = error(&webgrad(&["train", "--dataset", "circle", "--inputs", "x1,x1"]));
    assert!(err.contains("input feature x1 is chosen twice"), "{err}");
    let err = error(&webgrad(&["train", "--dataset", "iris", "--inputs", "x1,x2"]));
    assert!(err.contains("input features need 2-D points, this data has 4 features"), "{err}");
}
