//! Shared by the CLI's test modules: the built `webgrad` binary and a scratch folder per test.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs the built `webgrad` binary with `args` and waits for it.
pub fn webgrad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_webgrad")).args(args).output().expect("run webgrad")
}

/// A new, empty folder for one test: `<tmp>/webgrad-test-<pid>-<n>-<name>`, `n` counting calls,
/// so tests running at once in this binary never share one.
pub fn scratch(name: &str) -> PathBuf {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("webgrad-test-{}-{n}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
