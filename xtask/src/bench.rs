//! `cargo xtask bench`: webgrad's benchmark suite and its peers in one run, one JSON line per
//! result, then one table with the ratios webgrad / peer.
//!
//! 1. `cargo run --release -p webgrad-nn --example bench_data -- target/bench-data`: the peers'
//!    inputs (the bundled MNIST split, the spiral set, webgrad's batch order and initial
//!    parameters), so every framework trains on the same data in the same order;
//! 2. webgrad natively: `cargo run --release -p webgrad-nn --example bench` (1 thread), and its
//!    MNIST rows on wgpu (`-- --backend wgpu --only mnist`; place "native-wgpu"), and the CPU
//!    rows on every core (`-- --threads 0`; place "native-threads");
//! 3. PyTorch natively, 1 thread (`bench/torch_bench.py`) with `$WEBGRAD_TORCH_PYTHON` or
//!    `python3` when `import torch` works there, else a "skipped" row;
//! 4. webgrad in headless Chromium: `scripts/bench-wasm.sh` (wasm simd128, 1 thread, in a
//!    worker; default V8 tiers, then `--js-flags=--no-liftoff`; then the relaxed-SIMD build with
//!    `--no-liftoff`, compared with the peers' wasm-no-liftoff rows; then the threaded build,
//!    the page's threaded worker's, at default flags: place "wasm-threads"), and the wasm heap over 10
//!    epochs (`crates/webgrad-nn/tests/heap_wasm.rs`), and its MNIST rows on WebGPU
//!    (`crates/webgrad-wgpu/tests/bench_wasm.rs`, default flags; place "webgpu");
//! 5. the peers in the same Chromium with the same flags: `node bench/run-peers.mjs`
//!    (TensorFlow.js 4.22 `wasm` and `webgpu`, jax-js 0.1.25 `wasm` and `webgpu`), and unless
//!    `wasm-threads` is skipped their threaded wasm builds in a cross-origin isolated page
//!    (`--flags default,no-liftoff,threads`; place "wasm-threads");
//! 6. the built page (`trunk build --release`) as a user meets it: `node
//!    bench/time-to-accuracy.mjs` presses Train on the default MNIST setup in a fresh browser
//!    context and times until the page shows 95 % test accuracy (places "page", not isolated,
//!    and "page-threads", cross-origin isolated).
//!
//! Every JSON line of steps 2–5 is passed on (with `framework` filled in for webgrad's rows), so
//! new rows of webgrad's benches (e.g. WebGPU) show up here by themselves; the table puts the
//! frameworks side by side per workload and place. Options:
//! `--skip native,native-threads,native-wgpu,torch,wasm,relaxed,wasm-threads,webgpu,peers,page` leaves parts
//! out (`relaxed`: the browser build with relaxed-SIMD FMA, which the page loads where the
//! browser has relaxed SIMD; `wasm-threads`: the threaded build, a pool of one thread per core),
//! `--table FILE` only prints the table of a saved run's output.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

use crate::bench_table::table;
use crate::{path_env, root};

/// The JSON rows of one part and whether it succeeded.
type Run = (Vec<Map<String, Value>>, Result<(), String>);

/// Runs a command with the project's environment; passes its stderr through and returns the
/// JSON objects it printed on stdout (other stdout lines, e.g. the sub-benches' own tables, are
/// dropped; rows without a load get /proc/loadavg from before and after the command). `Err` when it cannot start or fails, with the rows printed before the failure.
fn json_rows(title: &str, program: &str, args: &[&str]) -> Run {
    eprintln!("\n== bench: {title}: {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(root())
        .env("PATH", path_env())
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900")
        .env("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (Vec::new(), Err(format!("{title}: cannot start {program}: {e}"))),
    };
    let before = loadavg();
    let mut rows = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        // result rows name a workload (other JSON lines, e.g. profiles, are not results)
        if let Ok(Value::Object(row)) = serde_json::from_str::<Value>(line.trim())
            && row.contains_key("workload")
        {
            rows.push(row);
        }
    }
    let status = child.wait().map_err(|e| format!("{title}: {e}"));
    // rows that do not record the load get the command's: before it started, after it ended
    let after = loadavg();
    for row in &mut rows {
        if row.get("load").is_none_or(Value::is_null) {
            row.insert("load".into(), json!({ "before": before, "after": after }));
        }
    }
    match status {
        Ok(s) if s.success() => (rows, Ok(())),
        Ok(s) => (rows, Err(format!("{title} failed ({s})"))),
        Err(e) => (rows, Err(e)),
    }
}

/// The Python that has torch: `$WEBGRAD_TORCH_PYTHON`, else `python3` (None when neither imports it).
fn torch_python() -> Option<String> {
    let candidates = std::env::var("WEBGRAD_TORCH_PYTHON").into_iter().chain(["python3".to_string()]);
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import torch"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn loadavg() -> Value {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let v: Vec<f64> = text.split_whitespace().take(3).filter_map(|s| s.parse().ok()).collect();
    json!(v)
}

/// The 1-minute load average.
fn load1() -> f64 {
    loadavg().get(0).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Waits until the 1-minute load falls below 1 (at most two minutes), so that a part is not
/// measured in the wake of the one before it (or of a build): the load column says how quiet
/// it was in the end.
fn settle() {
    let start = std::time::Instant::now();
    if load1() >= 1.0 {
        eprintln!("bench: waiting for the machine to settle (load {:.2})", load1());
    }
    while load1() >= 1.0 && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
}

/// Builds every bench binary the wanted parts run, with the flags they run with, so that no part
/// compiles while it is timed (a compile raises the load for a minute after it).
fn build_benches(wanted: &dyn Fn(&str) -> bool) -> Result<(), String> {
    let build = |title: &str, args: &[&str], env: &[(&str, &str)]| -> Result<(), String> {
        eprintln!("\n== bench: build {title}: cargo {}", args.join(" "));
        let status = Command::new("cargo")
            .args(args)
            .envs(env.iter().copied())
            .current_dir(root())
            .env("PATH", path_env())
            .status()
            .map_err(|e| format!("build {title}: {e}"))?;
        if status.success() { Ok(()) } else { Err(format!("build {title} failed ({status})")) }
    };
    let wasm_test = |package: &'static str, tests: &[&'static str]| {
        let mut args = vec!["test", "--no-run", "--profile", "wasm-release", "-p", package];
        args.extend(["--target", "wasm32-unknown-unknown"]);
        tests.iter().for_each(|t| args.extend(["--test", t]));
        args
    };
    if wanted("native") || wanted("native-threads") || wanted("native-wgpu") || wanted("torch") || wanted("peers") {
        build(
            "native",
            &["build", "--release", "-p", "webgrad-nn", "--example", "bench", "--example", "bench_data"],
            &[],
        )?;
    }
    if wanted("wasm") {
        build("wasm", &wasm_test("webgrad-nn", &["bench_wasm", "heap_wasm"]), &[])?;
        if wanted("relaxed") {
            // as scripts/bench-wasm.sh --relaxed builds it: with the page's relaxed worker's feature
            let mut args = wasm_test("webgrad-nn", &["bench_wasm"]);
            args.extend(["--features", "webgrad-core/relaxed-simd"]);
            build("wasm, relaxed SIMD", &args, &[("CARGO_TARGET_DIR", "target/wasm-relaxed")])?;
        }
        if wanted("wasm-threads") {
            // as scripts/bench-wasm.sh --threads builds it (xtask/src/threads.rs)
            let (toolchain, flags) = (format!("+{}", crate::threads::NIGHTLY), crate::threads::rustflags());
            let env = [("CARGO_TARGET_DIR", "target/threads"), ("RUSTFLAGS", flags.as_str())];
            let mut args = vec![toolchain.as_str(), "-Z", "build-std=panic_abort,std"];
            args.extend(wasm_test("webgrad-nn", &["bench_wasm"]));
            build("wasm, threads", &args, &env)?;
        }
    }
    if wanted("webgpu") {
        build("WebGPU", &wasm_test("webgrad-wgpu", &["bench_wasm"]), &[])?;
    }
    if wanted("page") {
        // the page itself, as `cargo xtask dist` builds it, for its time to accuracy
        eprintln!("\n== bench: build the page: trunk build --release");
        let status = Command::new("trunk")
            .args(["build", "--release"])
            .current_dir(root())
            .env("PATH", path_env())
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .status()
            .map_err(|e| format!("build the page: {e}"))?;
        if !status.success() {
            return Err(format!("build the page failed ({status})"));
        }
    }
    Ok(())
}

/// The `--skip` list, or `None` when `--table` printed a saved run's table and nothing is left
/// to do.
fn parse_args(args: &[String]) -> Result<Option<Vec<String>>, String> {
    let mut skip: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--skip" => skip.extend(it.next().ok_or("--skip needs a list")?.split(',').map(str::to_string)),
            "--table" => {
                // re-render the table of a saved run's output (its JSON lines)
                let path = it.next().ok_or("--table needs a file")?;
                let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                let rows: Vec<Map<String, Value>> = text
                    .lines()
                    .filter_map(|l| match serde_json::from_str::<Value>(l.trim()) {
                        Ok(Value::Object(row)) => Some(row),
                        _ => None,
                    })
                    .collect();
                println!("{}", table(&rows));
                return Ok(None);
            }
            other => {
                return Err(format!("bench: unknown argument '{other}' (expected --skip LIST, --table FILE)"));
            }
        }
    }
    Ok(Some(skip))
}

/// The rows of the parts run so far, and the failures among them.
#[derive(Default)]
struct Collected {
    rows: Vec<Map<String, Value>>,
    failures: Vec<String>,
}

impl Collected {
    /// Keeps a part's rows (with `framework` filled in where a row has none), printing each.
    fn take(&mut self, framework: &str, (got, result): Run) {
        for mut row in got {
            row.entry("framework").or_insert_with(|| json!(framework));
            println!("{}", Value::Object(row.clone()));
            self.rows.push(row);
        }
        if let Err(e) = result {
            eprintln!("bench: {e}");
            self.failures.push(e);
        }
    }
}

/// A run's rows at another place than the one its bench prints (the wgpu benches print the
/// CPU benches' "native" and "wasm").
fn at(place: &str, (mut got, result): Run) -> Run {
    got.iter_mut().for_each(|row| {
        row.insert("place".into(), json!(place));
    });
    (got, result)
}

pub fn bench(args: &[String]) -> Result<(), String> {
    let Some(skip) = parse_args(args)? else { return Ok(()) };
    let wanted = |part: &str| !skip.iter().any(|s| s == part);
    crate::setup()?;
    build_benches(&wanted)?;
    let data_dir = root().join("target").join("bench-data");
    let data = data_dir.to_str().ok_or("the target folder's path is not UTF-8")?;
    if wanted("torch") || wanted("peers") {
        let (_, made) = json_rows(
            "the peers' data",
            "cargo",
            &["run", "--release", "-p", "webgrad-nn", "--example", "bench_data", "--", data],
        );
        made?;
    }
    let mut collected = Collected::default();
    native_parts(&wanted, data, &mut collected);
    browser_parts(&wanted, data, &mut collected);
    println!("\n{}", table(&collected.rows));
    let failures = collected.failures;
    if failures.is_empty() { Ok(()) } else { Err(format!("bench: {}", failures.join("; "))) }
}

/// webgrad natively (CPU, then wgpu) and PyTorch (a "skipped" row where it is not installed).
fn native_parts(wanted: &dyn Fn(&str) -> bool, data: &str, c: &mut Collected) {
    if wanted("native") {
        settle();
        let run =
            json_rows("webgrad, native", "cargo", &["run", "--release", "-p", "webgrad-nn", "--example", "bench"]);
        c.take("webgrad", run);
    }
    if wanted("native-threads") {
        settle();
        let args = ["run", "--release", "-p", "webgrad-nn", "--example", "bench", "--", "--threads", "0"];
        c.take("webgrad", json_rows("webgrad, native, every core", "cargo", &args));
    }
    if wanted("native-wgpu") {
        settle();
        let args = [
            "run",
            "--release",
            "-p",
            "webgrad-nn",
            "--example",
            "bench",
            "--",
            "--backend",
            "wgpu",
            "--only",
            "mnist",
        ];
        c.take("webgrad", at("native-wgpu", json_rows("webgrad, native wgpu (MNIST rows)", "cargo", &args)));
    }
    if wanted("torch") {
        match torch_python() {
            Some(py) => c.take("pytorch", {
                settle();
                json_rows("PyTorch, native", &py, &["bench/torch_bench.py", data])
            }),
            None => {
                let load = loadavg();
                let row = json!({
                    "framework": "pytorch", "place": "native", "workload": "all",
                    "skipped": "torch not installed (set WEBGRAD_TORCH_PYTHON to a python with torch)",
                    "load": {"before": load, "after": load},
                });
                c.take("pytorch", (vec![row.as_object().expect("an object").clone()], Ok(())));
            }
        }
    }
}

/// webgrad in headless Chromium (wasm, its heap, WebGPU), then the peers in the same browser.
fn browser_parts(wanted: &dyn Fn(&str) -> bool, data: &str, c: &mut Collected) {
    if wanted("wasm") {
        // --relaxed: also the relaxed-SIMD build, the one the page loads where the browser has it;
        // --threads: the threaded build, the one it loads where it is cross-origin isolated
        let mut args = vec!["scripts/bench-wasm.sh"];
        args.extend(wanted("relaxed").then_some("--relaxed"));
        args.extend(wanted("wasm-threads").then_some("--threads"));
        settle();
        c.take("webgrad", json_rows("webgrad, headless Chromium", "bash", &args));
        let heap = [
            "test",
            "--profile",
            "wasm-release",
            "-p",
            "webgrad-nn",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "heap_wasm",
            "--",
            "--nocapture",
        ];
        settle();
        c.take("webgrad", json_rows("webgrad, wasm heap over 10 epochs", "cargo", &heap));
    }
    if wanted("webgpu") {
        let args = [
            "test",
            "--profile",
            "wasm-release",
            "-p",
            "webgrad-wgpu",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "bench_wasm",
            "--",
            "--nocapture",
        ];
        settle();
        let run = json_rows("webgrad, headless Chromium WebGPU (MNIST rows)", "cargo", &args);
        c.take("webgrad", at("webgpu", run));
    }
    if wanted("peers") {
        settle();
        // their threaded builds beside webgrad's wasm-threads rows
        let flags = if wanted("wasm-threads") { "default,no-liftoff,threads" } else { "default,no-liftoff" };
        let args = ["bench/run-peers.mjs", "--data", data, "--flags", flags];
        let run = json_rows("TensorFlow.js and jax-js, headless Chromium", "node", &args);
        c.take("", run);
    }
    if wanted("page") {
        settle();
        c.take("webgrad", json_rows("the page, time to 95 % accuracy", "node", &["bench/time-to-accuracy.mjs"]));
    }
}
