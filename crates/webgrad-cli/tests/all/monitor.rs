//! `webgrad train --monitor` as a user runs it: a learning rate far too high is traced to a
//! layer (dead units, or the first non-finite operation) and the weights from before it are kept
//! to resume from; the default MNIST run trains with the monitors' columns and JSON fields and
//! raises no alert.

use std::process::Output;

use crate::common::{scratch, webgrad};

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_learning_rate_far_too_high_is_traced_to_a_layer() {
    let dir = scratch("monitor-lr5");
    let ckpt = dir.join("kept.safetensors");
    let ckpt = ckpt.to_str().unwrap();
    let run = ["train", "--dataset", "mnist", "--optimizer", "sgd", "--lr", "5", "--monitor", "--epochs", "1"];
    let out = webgrad(&[&run[..], &["--checkpoint", ckpt]].concat());
    let (stdout, stderr) = text(&out);
    assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{stderr}");
    let dead = stdout.lines().any(|l| l.starts_with("alert: layer ") && l.contains("ReLU units output 0"));
    let non_finite = stderr.contains("became non-finite") && stderr.contains("layer ");
    assert!(dead || non_finite, "no dead units and no non-finite layer reported:\n{stdout}\n{stderr}");
    if non_finite {
        // one sentence: the step, the layer and operation, the weights kept and how to go on
        assert!(!out.status.success());
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        let line = stderr.trim_end();
        assert!(line.starts_with("webgrad: error: step "), "{line}");
        assert!(line.contains("are kept; lower the learning rate (now 5) and continue"), "{line}");
        assert!(line.contains(&format!("add --resume {ckpt} --lr 0.5 to go on")), "{line}");
        // the kept weights go on training at the lower rate
        let resumed = webgrad(&["train", "--resume", ckpt, "--lr", "0.5", "--monitor", "--epochs", "1", "--quiet"]);
        let (stdout, stderr) = text(&resumed);
        assert!(resumed.status.success(), "{stderr}");
        assert!(stdout.contains("accuracy"), "{stdout}");
    }
}

#[test]
fn the_default_mnist_run_raises_no_alert() {
    let dir = scratch("monitor-default");
    let log = dir.join("log.jsonl");
    let log = log.to_str().unwrap();
    let out = webgrad(&["train", "--dataset", "mnist", "--monitor", "--epochs", "1", "--log-json", log]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains("alert:"), "{stdout}");
    // the epoch table carries the monitors of both hidden layers
    let row = stdout.lines().find(|l| l.trim_start().starts_with("1 ")).expect("an epoch row");
    for column in ["dead 0%/0%", "gn ", "upd "] {
        assert!(row.contains(column), "{row}");
    }
    // every JSON line carries the four arrays, one entry per hidden layer
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 125, "one line per step of the 8,000-row split at batch 64");
    for line in &lines {
        for field in ["dead_fraction", "saturated_fraction", "grad_norm", "update_ratio"] {
            let values = line[field].as_array().unwrap_or_else(|| panic!("{field} in {line}"));
            assert_eq!(values.len(), 2, "{line}");
        }
        assert!(line["saturated_fraction"].as_array().unwrap().iter().all(|v| v.is_null()), "ReLU: {line}");
        assert!(line["grad_norm"].as_array().unwrap().iter().all(|v| v.as_f64().is_some_and(|g| g > 0.0)), "{line}");
    }
}

#[test]
fn monitor_flags_are_checked() {
    let out = webgrad(&["train", "--dataset", "circle", "--monitor-every", "4", "--epochs", "1"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success() && stderr.contains("--monitor-every needs --monitor"), "{stderr}");
    let out = webgrad(&["train", "--dataset", "circle", "--monitor", "--monitor-every", "0", "--epochs", "1"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success() && stderr.contains("--monitor-every must be at least 1"), "{stderr}");
}

/// SGD at learning rate 5 on the spiral: every layer's first steps are far too large, then the
/// second layer's units die and the steps stop; each alert is said when it begins and again, once,
/// when it has cleared.
#[test]
fn an_alert_is_said_when_it_begins_and_when_it_is_over() {
    let run = ["train", "--dataset", "spiral", "--hidden", "128,64", "--optimizer", "sgd", "--lr", "5"];
    let out = webgrad(&[&run[..], &["--batch", "64", "--monitor", "--epochs", "30"]].concat());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("alert: layer 1: ")).collect();
    assert!(lines[0].contains("each step changes the weights by"), "{lines:?}");
    let over = lines.iter().filter(|l| l.contains("steps over 10 % of the weights' size until step ")).count();
    assert_eq!(over, 1, "{stdout}");
}
