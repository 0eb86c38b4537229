//! The `webgrad` binary as a user runs it: bad input gets one line naming the file and the
//! problem with a non-zero exit and no panic; same seed, same losses; save → eval; resume.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{scratch, webgrad};

/// An IDX file: magic (0, 0, type, rank), big-endian dims, data.
fn idx(ty: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, ty, dims.len() as u8];
    dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
    out.extend_from_slice(data);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// Asserts a failure with exactly one line on stderr that contains every `needle`.
fn assert_one_line_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} does not mention {n:?}");
    }
}

#[test]
fn bad_input_gets_a_one_line_error() {
    let dir = scratch("bad");
    let labels = write(&dir, "labels-idx1-ubyte", &idx(0x08, &[4], &[0, 1, 0, 1]));
    let good_images = idx(0x08, &[4, 2, 2], &[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);

    let truncated = write(&dir, "truncated-images", &good_images[..good_images.len() - 3]);
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &truncated, "--labels", &labels]),
        &["truncated-images", "truncated", "expected 16 bytes"],
    );

    let mut bad_magic = good_images.clone();
    bad_magic[0] = 0x12;
    let bad_magic = write(&dir, "magic-images", &bad_magic);
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &bad_magic, "--labels", &labels]),
        &["magic-images", "byte 0", "magic"],
    );

    let empty = write(&dir, "empty-images", &[]);
    assert_one_line_error(&webgrad(&["train", "--dataset", &empty, "--labels", &labels]), &["empty-images", "empty"]);

    let mut floats = Vec::new();
    for v in [0.5f32, f32::NAN, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6] {
        floats.extend(v.to_be_bytes());
    }
    let nan = write(&dir, "nan-images", &idx(0x0D, &[4, 2], &floats));
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &nan, "--labels", &labels]),
        &["nan-images", "row 0, column 1", "NaN"],
    );

    let short_labels = write(&dir, "short-labels", &idx(0x08, &[3], &[0, 1, 0]));
    let images = write(&dir, "images", &good_images);
    assert_one_line_error(
        &webgrad(&["train", "--dataset", &images, "--labels", &short_labels]),
        &["short-labels", "images"],
    );

    assert_one_line_error(&webgrad(&["train", "--dataset", "nonexistent.idx"]), &["nonexistent.idx"]);
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--activation", "swish"]), &["swish", "relu"]);
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--optimizer", "lion"]), &["lion", "adam"]);
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--batch", "many"]), &["many", "--batch"]);
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--bogus"]), &["--bogus"]);
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--lr=-1"]), &["learning rate"]);
    assert_one_line_error(&webgrad(&["eval", &truncated]), &["truncated-images", "safetensors"]);
}

#[test]
fn same_seed_same_losses_and_save_eval_resume() {
    let dir = scratch("run");
    let d = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let common = [
        "train",
        "--dataset",
        "circle",
        "--samples",
        "300",
        "--hidden",
        "8,8",
        "--activation",
        "tanh",
        "--lr",
        "0.03",
        "--batch",
        "16",
        "--seed",
        "4",
        "--quiet",
    ];
    let run = |extra: &[&str]| {
        let out = webgrad(&[&common[..], extra].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["--epochs", "4", "--log-json", &d("a.jsonl"), "--save", &d("model.safetensors")]);
    run(&["--epochs", "4", "--log-json", &d("b.jsonl")]);
    let (a, b) = (std::fs::read_to_string(d("a.jsonl")).unwrap(), std::fs::read_to_string(d("b.jsonl")).unwrap());
    assert_eq!(a.lines().count(), 4 * 240usize.div_ceil(16));
    assert_eq!(a, b, "same seed, different losses");

    // resume: 2 epochs with a checkpoint, then continue to 4 — the same losses as one run; the
    // checkpoint's recorded data flags (circle, 300 samples, seed 4) are the resumed run's
    run(&["--epochs", "2", "--log-json", &d("c1.jsonl"), "--checkpoint", &d("ckpt.safetensors")]);
    let resume =
        ["train", "--resume", &d("ckpt.safetensors"), "--epochs", "4", "--log-json", &d("c2.jsonl"), "--quiet"];
    let out = webgrad(&resume);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resumed = std::fs::read_to_string(d("c1.jsonl")).unwrap() + &std::fs::read_to_string(d("c2.jsonl")).unwrap();
    assert_eq!(a, resumed, "resumed run differs from the uninterrupted one");

    // the saved model evaluates to the same accuracy the training run reported, on the same
    // test rows: the model records its data flags
    let out = webgrad(&["eval", &d("model.safetensors")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let eval = String::from_utf8(out.stdout).unwrap();
    let train_out = run(&["--epochs", "4"]);
    let acc = |s: &str| s.lines().find(|l| l.starts_with("accuracy")).map(String::from);
    assert!(acc(&eval).is_some());
    assert_eq!(acc(&eval), acc(&train_out));
    assert!(eval.contains("confusion matrix") && eval.contains("macro avg"));
    assert!(eval.contains("(60 rows)"), "{eval}");
    // flags given now win: another seed is another split
    let other = webgrad(&["eval", &d("model.safetensors"), "--seed", "5"]);
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    assert_ne!(String::from_utf8(other.stdout).unwrap(), eval);
    assert!(std::path::Path::new(&d("model.json")).exists());
}

#[test]
fn wgpu_backend_trains_like_the_cpu() {
    let dir = scratch("wgpu");
    let d = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let args = |backend: &str, log: &str| {
        vec![
            "train",
            "--dataset",
            "circle",
            "--samples",
            "200",
            "--hidden",
            "8",
            "--batch",
            "20",
            "--epochs",
            "2",
            "--seed",
            "3",
            "--quiet",
            "--backend",
            backend,
            // the mean of every 5 steps, summed on the device: the same reads on both backends
            "--loss-every",
            "5",
            "--log-json",
        ]
        .into_iter()
        .map(String::from)
        .chain([d(log)])
        .collect::<Vec<_>>()
    };
    let gpu = Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args("wgpu", "gpu.jsonl")).output().unwrap();
    let err = String::from_utf8_lossy(&gpu.stderr);
    if !gpu.status.success()
        && err.contains("no WebGPU/Vulkan adapter")
        && std::env::var("WEBGRAD_REQUIRE_GPU").as_deref() != Ok("1")
    {
        eprintln!("SKIPPED: no GPU adapter ({err})");
        return;
    }
    assert!(gpu.status.success(), "{err}");
    let cpu = Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args("cpu", "cpu.jsonl")).output().unwrap();
    assert!(cpu.status.success());
    let losses = |f: &str| -> Vec<f64> {
        std::fs::read_to_string(d(f))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once("\"loss\":").unwrap().1.trim_end_matches('}').parse().unwrap())
            .collect()
    };
    let (g, c) = (losses("gpu.jsonl"), losses("cpu.jsonl"));
    assert_eq!(g.len(), c.len());
    for (i, (a, b)) in g.iter().zip(&c).enumerate() {
        assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "step {i}: wgpu {a} vs cpu {b}");
    }
    assert_one_line_error(
        &webgrad(&["train", "--dataset", "circle", "--backend", "tpu"]),
        &["tpu", "auto, gpu or cpu"],
    );
    assert_one_line_error(&webgrad(&["train", "--dataset", "circle", "--backend", "auto"]), &["auto", "cpu or gpu"]);
}

/// Issue 2's acceptance run, as a user types it: the bundled MNIST split (pixels standardised
/// by default, fitted on the training split) reaches at least 94.5 % test accuracy.
#[test]
fn mnist_acceptance_run_reaches_its_accuracy() {
    let args = "train --dataset mnist --hidden 128,64 --activation relu --optimizer adam --lr 0.001 \
                --batch 64 --epochs 5 --seed 1 --quiet";
    let out = webgrad(&args.split_whitespace().collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("accuracy")).expect("an accuracy line");
    let acc: f64 = line.trim_start_matches("accuracy").trim().trim_end_matches('%').parse().unwrap();
    assert!(acc >= 94.5, "{line}");
}

/// A resumed run applies the checkpoint's fitted normalisation (not a new fit, not this run's
/// flags): iris is standardised by default, and resuming gives the losses of one long run.
#[test]
fn resume_keeps_the_fitted_normalisation() {
    let dir = scratch("resume-norm");
    let d = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let run = |extra: &[&str]| {
        let common = ["train", "--dataset", "iris", "--hidden", "8", "--batch", "16", "--lr", "0.01", "--quiet"];
        let out = webgrad(&[&common[..], extra].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let whole = run(&["--epochs", "6", "--log-json", &d("a.jsonl")]);
    assert!(whole.contains("accuracy"));
    run(&["--epochs", "3", "--log-json", &d("b1.jsonl"), "--checkpoint", &d("ckpt.safetensors")]);
    // --normalise none here must not change what the checkpoint was trained on
    run(&["--epochs", "6", "--log-json", &d("b2.jsonl"), "--resume", &d("ckpt.safetensors"), "--normalise", "none"]);
    let read = |f: &str| std::fs::read_to_string(d(f)).unwrap();
    assert_eq!(read("a.jsonl"), read("b1.jsonl") + &read("b2.jsonl"));
    // and min-max is a different model: not the same losses
    run(&["--epochs", "6", "--log-json", &d("c.jsonl"), "--normalise", "minmax"]);
    assert_ne!(read("a.jsonl"), read("c.jsonl"));
    assert_one_line_error(&webgrad(&["train", "--dataset", "iris", "--normalise", "zscore"]), &["zscore", "minmax"]);
}

#[test]
fn devices_lists_the_cpu_and_the_gpu_adapters() {
    let out = webgrad(&["devices"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("cpu ("), "{said}");
    if std::env::var("WEBGRAD_REQUIRE_GPU").is_ok() {
        // lavapipe in CI: a Vulkan adapter, chosen, with its limits
        assert!(said.contains("(Vulkan, "), "{said}");
        assert_eq!(said.matches("← --backend gpu uses this one").count(), 1, "{said}");
        assert!(said.contains("largest buffer") && said.contains("storage buffers per stage"), "{said}");
    } else if !said.contains("gpu 1:") {
        assert!(said.contains("no adapter found"), "{said}");
    }
}

/// `--threads N` splits the large matrix products of an MNIST step (batch 256: the first layer's
/// are split) over N threads: every loss of every step is the same bits as on one thread, and
/// the device line names the count.
#[test]
fn threads_give_the_same_losses_as_one_thread() {
    let dir = scratch("threads");
    let d = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let run = |threads: &str, log: &str| {
        let args = ["--threads", threads, "train", "--dataset", "mnist", "--hidden", "128,64", "--batch", "256"];
        let out = webgrad(&[&args[..], &["--epochs", "1", "--seed", "3", "--log-json", &d(log)]].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let one = run("1", "one.jsonl");
    let three = run("3", "three.jsonl");
    assert!(one.contains("device cpu (") && !one.contains("threads)"), "{one}");
    assert!(three.contains(", 3 threads)"), "{three}");
    let (a, b) = (std::fs::read_to_string(d("one.jsonl")).unwrap(), std::fs::read_to_string(d("three.jsonl")).unwrap());
    assert!(a.lines().count() > 20, "{a}");
    assert_eq!(a, b, "3 threads gave other losses than one");
    // 0: one per core
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all = webgrad(&["--threads", "0", "devices"]);
    let said = String::from_utf8_lossy(&all.stdout);
    assert!(all.status.success() && said.starts_with("cpu ("), "{said}");
    assert_eq!(said.contains(&format!(", {cores} threads)")), cores > 1, "{said}");
    assert_one_line_error(&webgrad(&["--threads", "x", "devices"]), &["--threads"]);
}

#[test]
fn a_refused_run_leaves_an_existing_log_alone() {
    let dir = scratch("refused-log");
    let log = dir.join("keep.jsonl");
    std::fs::write(&log, "precious\n").unwrap();
    let log = log.to_str().unwrap();
    for extra in [&["--loss-every", "0"][..], &["--monitor-every", "3"][..]] {
        let out = webgrad(&[&["train", "--dataset", "iris", "--log-json", log][..], extra].concat());
        assert!(!out.status.success());
        assert_eq!(std::fs::read_to_string(log).unwrap(), "precious\n", "{extra:?} wiped the log");
    }
}

#[test]
fn a_resumed_cosine_run_made_longer_stretches_its_schedule() {
    let dir = scratch("cosine-longer");
    let ckpt = dir.join("c.safetensors");
    let ckpt = ckpt.to_str().unwrap();
    let base = ["train", "--dataset", "iris", "--schedule", "cosine", "--batch", "30", "--quiet"];
    let out = webgrad(&[&base[..], &["--epochs", "2", "--checkpoint", ckpt]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = webgrad(&["train", "--resume", ckpt, "--epochs", "4", "--quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("note: the cosine schedule ended at step 8; it now ends at step 16, the end of 4 epochs"),
        "{text}"
    );
    // epochs 3 and 4 train (their test losses differ), where the old end held the lr at 0
    let losses: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('3') || l.trim_start().starts_with('4'))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(losses.len(), 2, "{text}");
    assert_ne!(losses[0], losses[1], "{text}");
}
