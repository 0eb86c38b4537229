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
//!    `--no-liftoff`, compared with the peers' wasm-no-liftoff rows), and the wasm heap over 10
//!    epochs (`crates/webgrad-nn/tests/heap_wasm.rs`), and its MNIST rows on WebGPU
//!    (`crates/webgrad-wgpu/tests/bench_wasm.rs`, default flags; place "webgpu");
//! 5. the peers in the same Chromium with the same flags: `node bench/run-peers.mjs`
//!    (TensorFlow.js 4.22 `wasm` and `webgpu`, jax-js 0.1.25 `wasm` and `webgpu`).
//!
//! Every JSON line of steps 2–5 is passed on (with `framework` filled in for webgrad's rows), so
//! new rows of webgrad's benches (e.g. WebGPU) show up here by themselves; the table puts the
//! frameworks side by side per workload and place. Options:
//! `--skip native,native-threads,native-wgpu,torch,wasm,relaxed,webgpu,peers` leaves parts out (`relaxed`: the
//! browser build with relaxed-SIMD FMA, which the page loads where the browser has relaxed SIMD),
//! `--table FILE` only prints the table of a saved run's output.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

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
            // as scripts/bench-wasm.sh --relaxed builds it
            let env = [
                ("CARGO_TARGET_DIR", "target/wasm-relaxed"),
                ("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", "-C target-feature=+simd128,+relaxed-simd"),
            ];
            build("wasm, relaxed SIMD", &wasm_test("webgrad-nn", &["bench_wasm"]), &env)?;
        }
    }
    if wanted("webgpu") {
        build("WebGPU", &wasm_test("webgrad-wgpu", &["bench_wasm"]), &[])?;
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
        // --relaxed: also the relaxed-SIMD build, the one the page loads where the browser has it
        let args: &[&str] =
            if wanted("relaxed") { &["scripts/bench-wasm.sh", "--relaxed"] } else { &["scripts/bench-wasm.sh"] };
        settle();
        c.take("webgrad", json_rows("webgrad, headless Chromium", "bash", args));
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
        let run =
            json_rows("TensorFlow.js and jax-js, headless Chromium", "node", &["bench/run-peers.mjs", "--data", data]);
        c.take("", run);
    }
}

// --- the table ---------------------------------------------------------------------------------

const FRAMEWORKS: [(&str, &str); 4] =
    [("webgrad", "webgrad"), ("tfjs", "TF.js"), ("jax-js", "jax-js"), ("pytorch", "PyTorch")];
const WORKLOAD_ORDER: [&str; 7] = [
    "mnist_mlp_b64",
    "mnist_mlp_b256",
    "mnist_mlp_b64, 1st epoch",
    "playground_2-8-8-2_b10",
    "matmul_1024x1024x1024",
    "matmul_64x784x128",
    "wasm_heap_10_epochs_b64",
];
const PLACE_ORDER: [&str; 7] = [
    "native",
    "native-threads",
    "native-wgpu",
    "wasm",
    "wasm-no-liftoff",
    "wasm-relaxed-no-liftoff",
    "webgpu",
    "webgpu-no-liftoff",
];

fn rank(list: &[&str], x: &str) -> usize {
    list.iter().position(|y| *y == x).unwrap_or(list.len())
}

fn str_of<'a>(row: &'a Map<String, Value>, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

/// 1-minute load averages of a row: [before, after] (after only for the native example's rows).
fn loads(row: &Map<String, Value>) -> Vec<f64> {
    let first = |v: &Value| v.as_array().and_then(|a| a.first()).and_then(Value::as_f64);
    match row.get("load") {
        Some(Value::Object(o)) => ["before", "after"].iter().filter_map(|k| o.get(*k).and_then(first)).collect(),
        Some(v) => first(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// 12,345 / 123.4 / 1.23: three significant digits at least, thousands separated.
fn number(x: f64) -> String {
    if x >= 1000.0 {
        let s = format!("{x:.0}");
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Three significant digits: 0.00612, 0.352, 12.3, 308.
fn significant(x: f64) -> String {
    let digits = if x > 0.0 { (2 - x.log10().floor() as i32).clamp(0, 6) } else { 2 };
    format!("{x:.*}", digits as usize)
}

#[derive(Default)]
struct Line {
    unit: String,
    cells: BTreeMap<String, Cell>,
    loads: Vec<f64>,
}

#[derive(Clone)]
enum Cell {
    Value { value: f64, ms: Option<f64> },
    Note(String),
}

impl Cell {
    fn show(&self) -> String {
        match self {
            Cell::Value { value, ms: Some(ms) } => format!("{} ({} ms)", number(*value), significant(*ms)),
            Cell::Value { value, ms: None } => number(*value),
            Cell::Note(s) => s.clone(),
        }
    }
}

/// A table line's sort key: (workload rank, workload, place rank, place).
type Key = (usize, String, usize, String);

/// One line per workload and place, the frameworks side by side, then webgrad / peer.
pub fn table(rows: &[Map<String, Value>]) -> String {
    let (mut lines, notes) = lines_of(rows);
    add_relaxed_peers(&mut lines);
    render(&lines, &notes)
}

/// The rows sorted into lines, and a note for each row without a value.
fn lines_of(rows: &[Map<String, Value>]) -> (BTreeMap<Key, Line>, Vec<String>) {
    let mut lines: BTreeMap<Key, Line> = BTreeMap::new();
    let mut notes = Vec::new();
    for row in rows {
        let framework = str_of(row, "framework").to_string();
        let place = str_of(row, "place").to_string();
        let mut workload = str_of(row, "workload").to_string();
        let mut cell = match (row.get("value").and_then(Value::as_f64), row.get("ms_per_step").and_then(Value::as_f64))
        {
            (Some(value), ms) => Cell::Value { value, ms },
            (None, _) => {
                let why = row.get("error").or(row.get("skipped")).and_then(Value::as_str).unwrap_or("no value");
                notes.push(format!("{framework} {place} {workload}: {why}"));
                Cell::Note(if row.contains_key("skipped") { "skipped" } else { "error" }.into())
            }
        };
        // the heap row: memory after epoch 1 → after epoch 10
        if let (Some(a), Some(b)) = (
            row.get("heap_after_epoch_1").and_then(Value::as_f64),
            row.get("heap_after_epoch_10").and_then(Value::as_f64),
        ) {
            cell = Cell::Note(format!("{} → {} B", number(a), number(b)));
        }
        // the warm-up run's first epoch is what a user sees first (cold code); its later epochs
        // are not a result of their own
        if workload == "warmup_mnist_mlp_b64" {
            match row.get("first_epoch_samples_per_s").and_then(Value::as_f64) {
                Some(v) => {
                    workload = "mnist_mlp_b64, 1st epoch".into();
                    cell = Cell::Value { value: v, ms: None };
                }
                None => continue,
            }
        }
        let key = |place: &str| {
            (rank(&WORKLOAD_ORDER, &workload), workload.clone(), rank(&PLACE_ORDER, place), place.to_string())
        };
        let mut k = key(&place);
        if lines.get(&k).is_some_and(|l| l.cells.contains_key(&framework)) {
            // a second row of the same framework, workload and place (another device): its own line
            k = key(&format!("{place} ({})", str_of(row, "device")));
        }
        let line = lines.entry(k).or_default();
        if let Some(u) = row.get("unit").and_then(Value::as_str) {
            line.unit = u.to_string();
        }
        line.loads.extend(loads(row));
        line.cells.insert(framework, cell);
    }
    (lines, notes)
}

/// webgrad's relaxed-SIMD build runs with --no-liftoff: its peers are the plain wasm
/// no-liftoff rows (the same measurements, shown again beside it).
fn add_relaxed_peers(lines: &mut BTreeMap<Key, Line>) {
    let peers_of: Vec<_> = lines
        .keys()
        .filter(|k| k.3.contains("-relaxed"))
        .map(|k| {
            (
                k.clone(),
                (k.0, k.1.clone(), rank(&PLACE_ORDER, &k.3.replace("-relaxed", "")), k.3.replace("-relaxed", "")),
            )
        })
        .collect();
    for (relaxed, plain) in peers_of {
        let cells: Vec<(String, Cell)> = lines.get(&plain).map_or(Vec::new(), |l| {
            l.cells.iter().filter(|(f, _)| *f != "webgrad").map(|(f, c)| (f.clone(), c.clone())).collect()
        });
        if let Some(line) = lines.get_mut(&relaxed) {
            for (f, c) in cells {
                line.cells.entry(f).or_insert(c);
            }
        }
    }
}

/// The lines as a Markdown table (text columns left-aligned, numbers right), then the notes.
fn render(lines: &BTreeMap<Key, Line>, notes: &[String]) -> String {
    let mut header: Vec<String> = vec!["workload".into(), "place".into(), "unit".into()];
    header.extend(FRAMEWORKS.iter().map(|(_, name)| name.to_string()));
    header.extend(FRAMEWORKS[1..].iter().map(|(_, name)| format!("webgrad/{name}")));
    header.push("load 1-min".into());
    let mut body = Vec::new();
    for ((_, workload, _, place), line) in lines {
        let mut cols = vec![workload.clone(), place.clone(), line.unit.clone()];
        cols.extend(FRAMEWORKS.iter().map(|(f, _)| line.cells.get(*f).map_or("-".into(), Cell::show)));
        let ours = match line.cells.get("webgrad") {
            Some(Cell::Value { value, .. }) => Some(*value),
            _ => None,
        };
        for (f, _) in &FRAMEWORKS[1..] {
            cols.push(match (ours, line.cells.get(*f)) {
                (Some(a), Some(Cell::Value { value: b, .. })) if *b > 0.0 => format!("{:.2}×", a / b),
                _ => "-".into(),
            });
        }
        let (lo, hi) =
            line.loads.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        cols.push(if lo.is_finite() { format!("{lo:.2}–{hi:.2}") } else { "-".into() });
        body.push(cols);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| body.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let render = |cols: &[String]| {
        let padded: Vec<String> = cols
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = " ".repeat(w - c.chars().count());
                if i < 3 { format!("{c}{pad}") } else { format!("{pad}{c}") }
            })
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = render(&header);
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| if i < 3 { "-".repeat(*w) } else { format!("{}:", "-".repeat(w - 1)) })
        .collect();
    out += &format!("|{}\n", rule.iter().map(|r| format!(" {r} |")).collect::<String>());
    for cols in &body {
        out += &render(cols);
    }
    for n in notes {
        out += &format!("\nnote: {n}");
    }
    out
}
