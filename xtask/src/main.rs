//! `cargo xtask <command>` — the commands the README names. Each one but `budget` first runs
//! `scripts/setup.sh`, which installs whatever is missing and skips what is there.
//!
//!   run    build the playground and serve it on http://127.0.0.1:8080/ (trunk, release build)
//!   pkg    the trainer as an ES module package in target/pkg/ (webgrad-js, wasm-bindgen, TypeScript)
//!   dist   build the static site into dist/: the page, the offline service worker and the
//!          header files for static hosts (_headers, .htaccess)
//!   test   the line budget (budget.rs), formatting, clippy on both targets, native tests (incl.
//!          wgpu on Vulkan), browser (wasm) tests in headless Chromium, the production page
//!          build, the JavaScript package (pkg), Playwright end-to-end tests, and 30 s of fuzzing
//!          per data parser
//!   train  train the MNIST MLP with the native CLI (extra flags are passed on)
//!   bench  the benchmark suite: webgrad natively and in headless Chromium, TensorFlow.js and
//!          jax-js in the same browser, PyTorch when installed; JSON lines, then a table
//!          (see bench.rs; not part of `test`)
//!   threads-worker [DIR]  the threaded training worker (nightly, std with atomics) into DIR;
//!          trunk's post_build hook runs it on its staging directory (threads.rs);
//!          `--toolchain`, `--rustflags`: print that build's toolchain and RUSTFLAGS
//!   budget only the line budget: no source file over 700 lines, no function over 120
//!   setup  only install the tools

mod bench;
mod bench_table;
mod budget;
mod pkg;
mod threads;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf()
}

/// PATH with npm's wasm-opt 132 first (Debian's wasm-opt 108 corrupts wasm-bindgen output).
fn path_env() -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    format!("{}/node_modules/.bin:{home}/.cargo/bin:{}", root().display(), std::env::var("PATH").unwrap_or_default())
}

/// Environment of every command `cargo xtask test` runs: the GPU tests fail instead of skipping
/// when no adapter is found (lavapipe provides one after `scripts/setup.sh`).
/// Likewise the export round trip needs numpy (`.venv-check`, made by setup).
const TEST_ENV: [(&str, &str); 3] =
    [("WEBGRAD_REQUIRE_GPU", "1"), ("WEBGRAD_REQUIRE_NUMPY", "1"), ("WEBGRAD_REQUIRE_PKG", "1")];

fn step(title: &str, program: &str, args: &[&str]) -> Result<(), String> {
    step_with_env(title, program, args, &[])
}

fn step_with_env(title: &str, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    println!("\n== {title}: {program} {}", args.join(" "));
    let started = std::time::Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .env("PATH", path_env())
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()))
        .status()
        .map_err(|e| format!("{title}: cannot start {program}: {e}"))?;
    // what each step costs, so the test command's time can be kept down where it goes
    println!(
        "== {title}: {} in {:.0} s",
        if status.success() { "done" } else { "failed" },
        started.elapsed().as_secs_f64()
    );
    if status.success() { Ok(()) } else { Err(format!("{title} failed ({status})")) }
}

fn setup() -> Result<(), String> {
    step("setup", "bash", &["scripts/setup.sh"])
}

fn test() -> Result<(), String> {
    // first: it needs no tools and takes milliseconds
    println!("\n== line budget (files ≤ {} lines, functions ≤ {})", budget::MAX_FILE_LINES, budget::MAX_FN_LINES);
    budget::check(&root())?;
    setup()?;
    let step = |title: &str, program: &str, args: &[&str]| step_with_env(title, program, args, &TEST_ENV);
    step("format", "cargo", &["fmt", "--all", "--check"])?;
    step("clippy (native)", "cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    step(
        "clippy (wasm32)",
        "cargo",
        &[
            "clippy",
            "-p",
            "webgrad-core",
            "-p",
            "webgrad-nn",
            "-p",
            "webgrad-data",
            "-p",
            "webgrad-wgpu",
            "-p",
            "webgrad-web",
            "-p",
            "webgrad-js",
            "--all-targets",
            // with the relaxed-SIMD kernel and worker compiled in (the feature only adds code)
            "--features",
            "webgrad-web/relaxed-simd",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // licences, one version per crate, crates.io only (deny.toml); the advisory database is on
    // GitHub, which this machine cannot reach (README, "Reliability")
    step(
        "supply chain (cargo deny: licences, duplicate versions, sources)",
        "cargo",
        &["deny", "--offline", "check", "licenses", "bans", "sources"],
    )?;
    step("native tests", "cargo", &["test", "--workspace"])?;
    // Every crate's browser tests in one build (wasm-bindgen-test-runner, the runner in
    // .cargo/config.toml, with Debian's chromedriver: nothing is downloaded): the library crates on
    // simd128, the page crate's byte sources and gradient check, the GPU tests on WebGPU
    // (SwiftShader; each names the adapter it ran on). No crate turns on another's features, so
    // each is tested as it is built alone.
    step(
        "browser tests (headless Chromium: core, data, nn, the page crate; WebGPU on SwiftShader)",
        "cargo",
        &[
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "webgrad-core",
            "-p",
            "webgrad-data",
            "-p",
            "webgrad-nn",
            "-p",
            "webgrad-web",
            "-p",
            "webgrad-wgpu",
            "--",
            "--nocapture",
        ],
    )?;
    step(
        "browser tests of the relaxed-SIMD GEMM kernel (against the scalar reference)",
        "cargo",
        &[
            "test",
            "-p",
            "webgrad-core",
            "--features",
            "relaxed-simd",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "all",
            "--",
            "kernels::",
        ],
    )?;
    step("page build (trunk, release)", "trunk", &["build", "--release"])?;
    pkg::pkg()?;
    step(
        "end-to-end tests (Playwright, headless Chromium)",
        "playwright",
        &["test", "-c", "tests/e2e/playwright.config.mjs"],
    )?;
    // bounded fuzzing of every data parser from the committed seed corpus (30 s per target here;
    // `scripts/fuzz.sh 600` for a longer hunt)
    step("fuzz the data parsers (cargo fuzz)", "bash", &["scripts/fuzz.sh", "30"])?;
    println!("\nall tests passed");
    Ok(())
}

/// Serves the playground (the README's main job): trunk builds the release page and serves it.
fn run() -> Result<(), String> {
    setup()?;
    println!("\nwebgrad playground: http://127.0.0.1:8080/ (Ctrl-C stops it)");
    step("serve the playground", "trunk", &["serve", "--release", "--no-autoreload"])
}

/// The static site any host can serve: trunk's release build, whose post-build hook
/// (web/post-build.mjs) adds the service worker, the manifest and the header files.
fn dist() -> Result<(), String> {
    setup()?;
    step("build the static site into dist/", "trunk", &["build", "--release"])?;
    let dist = root().join("dist");
    for needed in ["index.html", "sw.js", "manifest.webmanifest", "_headers", ".htaccess"] {
        if !dist.join(needed).is_file() {
            return Err(format!("dist/{needed} is missing after the build"));
        }
    }
    println!(
        "\ndist/ is ready: any static host serves it. With its headers (cross-origin isolation, the CSP, caching):\n  \
         npx wrangler pages deploy dist --project-name webgrad     # Cloudflare Pages (reads dist/_headers)\n  \
         netlify deploy --dir dist --prod                          # Netlify (reads dist/_headers)\n  \
         Apache: copy dist/ with its .htaccess (mod_headers, mod_mime)"
    );
    Ok(())
}

/// The threaded worker into `dir`, else trunk's staging directory (as its post_build hook), else
/// dist/.
/// `--toolchain` and `--rustflags` print the build's toolchain and flags (scripts/bench-wasm.sh
/// builds the threaded benchmark with them).
fn threads_worker(dir: Option<&String>) -> Result<(), String> {
    let print = match dir.map(String::as_str) {
        Some("--toolchain") => Some(threads::NIGHTLY.to_string()),
        Some("--rustflags") => Some(threads::rustflags()),
        _ => None,
    };
    if let Some(text) = print {
        println!("{text}");
        return Ok(());
    }
    let out = match (dir, std::env::var("TRUNK_STAGING_DIR")) {
        (Some(d), _) => PathBuf::from(d),
        (None, Ok(staging)) => PathBuf::from(staging),
        (None, Err(_)) => root().join("dist"),
    };
    threads::build(&root(), &out, &path_env())
}

fn train(extra: &[String]) -> Result<(), String> {
    setup()?;
    let mut args = vec![
        "run",
        "--release",
        "-p",
        "webgrad-cli",
        "--bin",
        "webgrad",
        "--",
        "train",
        "--dataset",
        "mnist",
        "--hidden",
        "128,64",
        "--activation",
        "relu",
        "--optimizer",
        "adam",
        "--lr",
        "0.001",
        "--batch",
        "64",
        "--epochs",
        "5",
        "--seed",
        "1",
    ];
    args.extend(extra.iter().map(String::as_str));
    step("train MNIST", "cargo", &args)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("dist") => dist(),
        Some("pkg") => setup().and_then(|()| pkg::pkg()),
        Some("train") => train(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench::bench(&args[1..]),
        Some("budget") => budget::check(&root()),
        Some("threads-worker") => threads_worker(args.get(1)),
        Some("setup") => setup(),
        _ => Err("usage: cargo xtask run | dist | pkg | test | train [extra train flags] | threads-worker [DIR] | bench [--skip native,native-threads,native-wgpu,torch,wasm,relaxed,wasm-threads,webgpu,peers,page] [--table FILE] | budget | setup".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
