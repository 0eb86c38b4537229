//! The threaded training worker (`cargo xtask threads-worker [DIR]`; trunk's post_build hook runs
//! it on its staging directory). Trunk builds every other wasm file, but this one needs another
//! toolchain and link: the standard library rebuilt with wasm atomics and bulk memory
//! (`-Z build-std` on a pinned nightly) and a shared, imported memory that the pool's Web
//! Workers instantiate the same module on (wasm-bindgen-rayon). Its output, beside the page:
//! - `worker_threads.js`, `worker_threads_bg.wasm`: wasm-bindgen's `--target web` module;
//! - `snippets/wasm-bindgen-rayon-*/src/workerHelpers.no-bundler.js`: the pool's worker script;
//! - `worker_threads_loader.js` (from `web/`): the module worker the page starts, which starts
//!   the pool and then the training loop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The nightly that builds std with atomics (scripts/setup.sh installs it with rust-src).
pub const NIGHTLY: &str = "nightly-2026-05-19";

/// Most memory the shared memory may grow to (wasm32's 4 GiB, as the single-thread worker).
const MAX_MEMORY: u64 = 4 << 30;

/// The flags of the threaded build: atomics and bulk memory for std and every crate, simd128 as
/// the other builds, and the link wasm-bindgen's threads support expects (a shared memory the
/// JS glue imports; the TLS symbols it initialises per thread).
pub fn rustflags() -> String {
    let mut flags = vec!["-C target-feature=+atomics,+bulk-memory,+simd128".to_string()];
    let link = [
        "--shared-memory".to_string(),
        format!("--max-memory={MAX_MEMORY}"),
        "--import-memory".to_string(),
        "--export=__wasm_init_tls".to_string(),
        "--export=__tls_size".to_string(),
        "--export=__tls_align".to_string(),
        "--export=__tls_base".to_string(),
    ];
    flags.extend(link.iter().map(|a| format!("-C link-arg={a}")));
    flags.join(" ")
}

fn run(title: &str, cmd: &mut Command) -> Result<(), String> {
    println!("== {title}");
    let status = cmd.status().map_err(|e| format!("{title}: cannot start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{title} failed ({status})")) }
}

/// Builds the threaded worker into `out` (created if missing).
pub fn build(root: &Path, out: &Path, path_env: &str) -> Result<(), String> {
    let target_dir = root.join("target/threads");
    let mut cargo = Command::new("cargo");
    cargo
        .arg(format!("+{NIGHTLY}"))
        .args(["build", "--profile", "wasm-release", "--target", "wasm32-unknown-unknown"])
        .args(["-p", "webgrad-web", "--bin", "worker_threads", "--features", "threads"])
        .args(["-Z", "build-std=panic_abort,std", "--target-dir"])
        .arg(&target_dir)
        .current_dir(root)
        .env("PATH", path_env)
        .env("RUSTFLAGS", rustflags())
        // whatever toolchain or wrapper the calling cargo (or trunk) chose is not this build's
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    run("threaded worker: cargo (nightly, std with atomics)", &mut cargo)?;
    let wasm = target_dir.join("wasm32-unknown-unknown/wasm-release/worker_threads.wasm");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut bindgen = Command::new("wasm-bindgen");
    bindgen.args(["--target", "web", "--no-typescript", "--out-dir"]).arg(out).arg(&wasm).env("PATH", path_env);
    run("threaded worker: wasm-bindgen --target web", &mut bindgen)?;
    let bg: PathBuf = out.join("worker_threads_bg.wasm");
    // -O3 as the other workers; the features are the build's (wasm-bindgen drops the section
    // wasm-opt would read them from)
    let mut opt = Command::new("wasm-opt");
    opt.arg("-O3")
        .args(["--enable-threads", "--enable-bulk-memory", "--enable-simd", "--enable-sign-ext"])
        .args(["--enable-nontrapping-float-to-int", "--enable-mutable-globals", "--enable-reference-types"])
        .args(["--enable-multivalue", "-o"])
        .arg(&bg)
        .arg(&bg)
        .env("PATH", path_env);
    run("threaded worker: wasm-opt -O3", &mut opt)?;
    let loader = "worker_threads_loader.js";
    std::fs::copy(root.join("web").join(loader), out.join(loader))
        .map_err(|e| format!("cannot copy web/{loader}: {e}"))?;
    Ok(())
}
