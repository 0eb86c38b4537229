//! Files the CLI writes (models, checkpoints, their JSON, predictions) appear whole or not at all:
//! the bytes go to a temporary file beside the target, are flushed to disk, and the temporary
//! file is renamed over the target. A kill mid-write leaves the previous file as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::CliResult;

/// Test-only fault: `WEBGRAD_FAULT_CUT_WRITE=N` writes the first N bytes of the temporary file
/// and then ends the process, as a kill during the write would.
const FAULT_ENV: &str = "WEBGRAD_FAULT_CUT_WRITE";

fn temporary_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically (temporary file, flush, rename).
pub fn write(path: &str, bytes: &[u8]) -> CliResult<()> {
    let target = Path::new(path);
    let tmp = temporary_beside(target);
    let result = write_then_rename(&tmp, target, bytes);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("{path}: cannot write: {e}"))
}

fn write_then_rename(tmp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(tmp)?;
    if let Some(cut) = std::env::var(FAULT_ENV).ok().and_then(|v| v.parse::<usize>().ok()) {
        file.write_all(&bytes[..cut.min(bytes.len())])?;
        file.sync_all()?;
        std::process::exit(137);
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, target)
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("webgrad-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.safetensors");
        let p = path.to_str().unwrap();
        super::write(p, b"first").unwrap();
        super::write(p, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        let missing = dir.join("no-such-dir/x.json");
        let err = super::write(missing.to_str().unwrap(), b"x").unwrap_err();
        assert!(err.contains("cannot write"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
