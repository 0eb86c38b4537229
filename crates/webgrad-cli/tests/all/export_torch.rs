//! `webgrad export-torch`: the project a PyTorch user continues from.
//!
//! - Always: the folder holds train.py, model.json, the weights and the data (IDX files for
//!   MNIST; the splits as .npy, model inputs, for everything else), and `python -m py_compile`
//!   accepts train.py (Python from `.venv-check`, made by scripts/setup.sh; without it the test
//!   says so and passes, unless `WEBGRAD_REQUIRE_NUMPY=1`).
//! - With `WEBGRAD_TORCH_PYTHON=/path/to/python` (a Python with torch, safetensors and numpy;
//!   not part of the default test command): train.py continues each checkpoint in PyTorch, rows
//!   in order, and its first three step losses equal those of `webgrad train --resume` to 1e-4;
//!   `webgrad eval` reads the model it writes; `torchrun` (two CPU processes) trains MNIST too.

use std::path::{Path, PathBuf};
use std::process::Command;

use webgrad_data::npy::{NpyData, parse_npy};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn webgrad(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args).current_dir(root()).output().unwrap();
    assert!(out.status.success(), "webgrad {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webgrad-export-torch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Three experiments a user runs, each trained for one epoch with rows in order and saved as a
/// checkpoint: (name, data flags, training flags). Export and resume get the data flags again,
/// as `eval` does.
const CASES: [(&str, &[&str], &[&str]); 3] = [
    ("mnist-adam", &["--dataset", "mnist"], &["--hidden", "32", "--batch", "64"]),
    (
        "spiral-nesterov",
        &["--dataset", "spiral", "--samples", "400", "--noise", "0.1"],
        &[
            "--inputs",
            "x1,x2,x1sq,x2sq,sinx1",
            "--hidden",
            "12,8",
            "--activation",
            "tanh",
            "--optimizer",
            "nesterov",
            "--lr",
            "0.05",
            // a step decay continues past the checkpoint as it was; a cosine ends with its run, and
            // `--resume --epochs` stretches webgrad's to the new end while the project's keeps
            // its end (its script says so), so their losses would part
            "--schedule",
            "step:15:0.5",
            "--clip-grad-norm",
            "1",
            "--label-smoothing",
            "0.1",
            "--l2",
            "0.001",
            "--batch",
            "16",
        ],
    ),
    (
        "iris-regression-rmsprop",
        &["--dataset", "assets/iris.csv", "--label", "petal_width", "--task", "regression"],
        &[
            "--hidden",
            "16",
            "--activation",
            "gelu",
            "--optimizer",
            "rmsprop",
            "--lr",
            "0.003",
            "--l1",
            "0.0001",
            "--batch",
            "8",
        ],
    ),
];

/// Trains a case for one epoch, writes its checkpoint and exports it; returns (dir, checkpoint).
fn export_case(test: &str, name: &str, data: &[&str], train: &[&str]) -> (PathBuf, String) {
    let dir = scratch(&format!("{test}-{name}"));
    let ck = dir.join("ck.safetensors").to_str().unwrap().to_string();
    let mut args = vec!["train", "--epochs", "1", "--no-shuffle", "--quiet", "--checkpoint", &ck];
    args.extend_from_slice(data);
    args.extend_from_slice(train);
    webgrad(&args);
    let out = dir.join("project");
    let mut args = vec!["export-torch", &ck, "--out", out.to_str().unwrap()];
    args.extend_from_slice(data);
    let said = webgrad(&args);
    assert!(said.contains("train.py, model.json, weights.safetensors, README.md"), "{said}");
    (dir, ck)
}

fn check_python() -> Option<PathBuf> {
    let python = root().join(".venv-check/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(std::env::var("WEBGRAD_REQUIRE_NUMPY").is_err(), "{} is missing: run scripts/setup.sh", python.display());
    eprintln!("skipped the py_compile check: no .venv-check (scripts/setup.sh makes it)");
    None
}

#[test]
fn projects_hold_the_script_weights_and_data() {
    let python = check_python();
    for (name, data, train) in CASES {
        let (dir, ck) = export_case("files", name, data, train);
        let project = dir.join("project");
        // a checkpoint evaluates as its model does
        let said = webgrad(&[&["eval", ck.as_str()][..], data].concat());
        assert!(said.contains("evaluation on"), "{name}: {said}");
        let script = std::fs::read_to_string(project.join("train.py")).unwrap();
        assert!(!script.contains("@CONFIG@"), "{name}: the settings block was not filled in");
        assert_eq!(std::fs::read(project.join("weights.safetensors")).unwrap(), std::fs::read(&ck).unwrap());
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(project.join("model.json")).unwrap()).unwrap();
        assert_eq!(json["format"], "webgrad-mlp/1");
        if name.starts_with("mnist") {
            assert!(script.contains("torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999)"), "{script}");
            assert!(project.join("train-images-idx3-ubyte.gz").is_file());
            if let Some(python) = &python {
                mnist_pixels(python, &project);
            }
        } else {
            // the splits as model inputs: 5 input features for the spiral; iris' species one-hot
            let x = parse_npy(&std::fs::read(project.join("data/train_x.npy")).unwrap(), name).unwrap();
            let y = parse_npy(&std::fs::read(project.join("data/train_y.npy")).unwrap(), name).unwrap();
            assert_eq!(x.shape[0], y.shape[0], "{name}: rows of x and y");
            let inputs = json["model"]["input"].as_u64().unwrap() as usize;
            assert_eq!(x.shape[1], inputs, "{name}: one column per model input");
            let NpyData::F32(values) = &x.data else { panic!("{name}: x is not numeric") };
            assert!(values.iter().all(|v| v.is_finite()));
        }
        if name.starts_with("spiral") {
            // a model of other inputs than MNIST's is refused for MNIST, as eval refuses it
            let out = project.with_file_name("mnist-project");
            let args = ["export-torch", &ck, "--dataset", "mnist", "--out", out.to_str().unwrap()];
            let run = Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args).current_dir(root()).output().unwrap();
            let said = String::from_utf8_lossy(&run.stderr);
            assert!(!run.status.success() && said.contains("784 features per row"), "{said}");
            assert!(!out.exists(), "no project is written");
            assert!(script.contains("torch.optim.SGD(params, lr=0.05, momentum=0.9, dampening=0.0"), "{script}");
            assert!(script.contains("nn.CrossEntropyLoss(label_smoothing=0.1)"), "{script}");
            assert!(script.contains("CLIP_GRAD_NORM = 1.0"), "{script}");
        }
        if name.starts_with("iris") {
            assert!(script.contains("torch.optim.RMSprop(params, lr=0.003, alpha=0.99"), "{script}");
            assert!(script.contains("LOSS = nn.MSELoss()"), "{script}");
            if let Some(python) = &python {
                csv_layout(python, &project);
            }
        }
        if let Some(python) = &python {
            let out = Command::new(python).args(["-m", "py_compile"]).arg(project.join("train.py")).output().unwrap();
            assert!(
                out.status.success(),
                "{name}: train.py does not compile: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// `train.py` reads MNIST's pixels as webgrad does, v / 255 correctly rounded, bit for bit (v ·
/// (1/255) differed in the last bit for 126 of the 256 values). PyTorch stubbed out, as in
/// `csv_layout`.
fn mnist_pixels(python: &Path, project: &Path) {
    let script = r#"
import json, sys
from unittest import mock
for name in ("torch", "torch.nn", "torch.distributed", "safetensors", "safetensors.torch"):
    sys.modules[name] = mock.MagicMock()
sys.path.insert(0, sys.argv[1])
import numpy as np, train
pre = dict(json.load(open(sys.argv[1] + "/model.json", encoding="utf-8"))["preprocessing"], standardize=None)
got = train.preprocess(np.arange(256, dtype=np.uint8).reshape(1, 256), pre, pixels=True)
want = np.arange(256, dtype=np.float32) / np.float32(255)
print(int((got.reshape(-1).view(np.uint32) != want.view(np.uint32)).sum()))
"#;
    let out = Command::new(python).args(["-c", script, project.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "pixels that differ from v / 255");
}

/// `train.py --csv` lays a table out as webgrad recorded it (model.json's columns): by name in any
/// column order, the text column one-hot in the recorded categories, a missing cell refused where
/// no fill values are recorded. Before, it took the columns in file order as numbers. Runs the
/// script's own `read_csv` with numpy, PyTorch stubbed out (CI has no PyTorch).
fn csv_layout(python: &Path, project: &Path) {
    let iris = root().join("assets/iris.csv");
    let text = std::fs::read_to_string(&iris).unwrap();
    // the same rows with the columns in another order, and one cell missing
    let reordered: String = text
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{},{}\n", c[4], c[2], c[3], c[0], c[1])
        })
        .collect();
    let dir = project.join("csv-check");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("reordered.csv"), &reordered).unwrap();
    std::fs::write(dir.join("missing.csv"), reordered.replacen("setosa,1.4", ",1.4", 1)).unwrap();
    let script = r#"
import json, sys, types
from unittest import mock
for name in ("torch", "torch.nn", "torch.distributed", "safetensors", "safetensors.torch"):
    sys.modules[name] = mock.MagicMock()
sys.path.insert(0, sys.argv[1])
import train
meta = json.load(open(sys.argv[1] + "/model.json", encoding="utf-8"))
pre = meta["preprocessing"]
out = {}
for name in ("original", "reordered"):
    path = sys.argv[2] if name == "original" else sys.argv[3] + "/reordered.csv"
    x, y = train.read_csv(path, "petal_width", [], 1, pre)
    out[name] = [x[:2].tolist(), y[:2].tolist(), [c["name"] for c in pre["columns"]]]
try:
    train.read_csv(sys.argv[3] + "/missing.csv", "petal_width", [], 1, pre)
    out["missing"] = "read"
except SystemExit as e:
    out["missing"] = str(e)
print(json.dumps(out))
"#;
    let out = Command::new(python)
        .args(["-c", script, project.to_str().unwrap(), iris.to_str().unwrap(), dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(said["original"], said["reordered"], "{said}");
    // iris' first row: the numbers, then species one-hot (setosa first of its categories)
    assert_eq!(said["original"][2], serde_json::json!(["sepal_length", "sepal_width", "petal_length", "species"]));
    assert_eq!(said["original"][0][0], serde_json::json!([5.099999904632568, 3.5, 1.399999976158142, 1.0, 0.0, 0.0]));
    let missing = said["missing"].as_str().unwrap();
    assert!(missing.contains("data row 1: column 'species' is missing"), "{missing}");
}

/// The first `n` losses of a `--log-json` file (one line per step with --loss-every 1).
fn logged_losses(path: &Path, n: usize) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .take(n)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"].as_f64().unwrap())
        .collect()
}

#[test]
fn pytorch_continues_where_webgrad_stopped() {
    let Ok(python) = std::env::var("WEBGRAD_TORCH_PYTHON") else {
        eprintln!("skipped: set WEBGRAD_TORCH_PYTHON to a Python with torch, safetensors and numpy");
        return;
    };
    for (name, data, train) in CASES {
        let (dir, ck) = export_case("torch", name, data, train);
        let log = dir.join("resume.jsonl");
        let mut args = vec![
            "train",
            "--resume",
            &ck,
            "--epochs",
            "2",
            "--quiet",
            "--loss-every",
            "1",
            "--log-json",
            log.to_str().unwrap(),
        ];
        args.push("--no-shuffle");
        args.extend_from_slice(data);
        webgrad(&args);
        let ours = logged_losses(&log, 3);
        let project = dir.join("project");
        let out = Command::new(&python)
            .args(["train.py", "--epochs", "1", "--no-shuffle", "--print-steps", "3", "--device", "cpu"])
            .current_dir(&project)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {said}{}", String::from_utf8_lossy(&out.stderr));
        let theirs: Vec<f64> =
            said.lines().filter_map(|l| l.strip_prefix("step ")?.split(" loss ").nth(1)?.parse().ok()).collect();
        assert_eq!(theirs.len(), 3, "{name}: {said}");
        for (step, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!((a - b).abs() <= 1e-4 * a.abs().max(1.0), "{name}, step {}: webgrad {a}, PyTorch {b}", step + 1);
        }
        eprintln!("{name}: webgrad {ours:?}, PyTorch {theirs:?}");
        assert!(project.join("trained.safetensors").is_file());
        // the model PyTorch trained goes back into webgrad
        let trained = project.join("trained.safetensors");
        let said = webgrad(&[&["eval", trained.to_str().unwrap()][..], data].concat());
        assert!(said.contains("evaluation on"), "{name}: {said}");
        if name.starts_with("mnist") {
            // DistributedDataParallel: two processes on the CPU (gloo), as torchrun starts them
            let _ = std::fs::remove_file(&trained);
            let out = Command::new(&python)
                .args([
                    "-m",
                    "torch.distributed.run",
                    "--nproc-per-node",
                    "2",
                    "train.py",
                    "--epochs",
                    "1",
                    "--device",
                    "cpu",
                ])
                .current_dir(&project)
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "torchrun: {said}{}", String::from_utf8_lossy(&out.stderr));
            assert!(said.contains("2 process(es) on cpu") && trained.is_file(), "torchrun: {said}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
