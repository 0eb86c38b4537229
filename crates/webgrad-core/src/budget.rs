//! One memory budget for every size that input decides: a model's weights and training state
//! (`webgrad_nn::MlpConfig::validate` and `check_training`), a data file's parsed elements and
//! decompressed bytes (`webgrad_data`), a GPU buffer (the adapter's own limits on top). Whatever
//! would not fit is refused before anything is allocated, with one sentence naming what and how
//! much:
//! "the model needs 41.0 GB for its weights; the limit is 3.5 GB".
//!
//! The limit: in wasm32, 3.5 GB of the 4 GB address space (headroom for the module, its stack and
//! the allocator); natively, three quarters of the machine's memory (`/proc/meminfo`; 8 GB where
//! that cannot be read), or what [`set_limit`] says (the CLI's `--memory-limit`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// 0 = not set: the platform default applies.
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// The wasm32 ceiling: 4 GB address space less headroom.
pub const WASM_LIMIT: u64 = 3_500_000_000;

const NATIVE_FALLBACK: u64 = 8_000_000_000;

/// The bytes that input-sized allocations may use in all.
pub fn limit() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 => default_limit(),
        set => set,
    }
}

/// Sets the limit for this process (0 restores the platform default).
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The platform default (see the module comment), read once.
pub fn default_limit() -> u64 {
    static DEFAULT: OnceLock<u64> = OnceLock::new();
    *DEFAULT.get_or_init(platform_limit)
}

fn platform_limit() -> u64 {
    if cfg!(target_arch = "wasm32") {
        return WASM_LIMIT;
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let total_kb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    match total_kb {
        Some(kb) if kb > 0 => kb.saturating_mul(1024) / 4 * 3,
        _ => NATIVE_FALLBACK,
    }
}

/// The most one buffer can hold: a Rust allocation is at most `isize::MAX` bytes, which in
/// wasm32 is 2.1 GB, under the 3.5 GB budget (a 10,000 × 60,000 weight matrix fits the budget
/// but no single buffer). Natively the budget is always the smaller.
pub const MAX_ALLOCATION: u64 = isize::MAX as u64;

/// Ok when one buffer of `bytes` can be allocated, else "`subject` needs X in one buffer; one
/// buffer holds at most Y here".
pub fn check_allocation(subject: &str, bytes: u64) -> Result<(), String> {
    if bytes <= MAX_ALLOCATION {
        return Ok(());
    }
    Err(format!(
        "{subject} needs {} in one buffer; one buffer holds at most {} here",
        format_bytes(bytes),
        format_bytes(MAX_ALLOCATION)
    ))
}

/// `bytes` as a person reads it: "512 B", "3.1 MB", "41.0 GB" (decimal units); "more than
/// 18 EB" for a size that overflowed.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [(&str, f64); 5] = [("EB", 1e18), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    if bytes == u64::MAX {
        return "more than 18 EB".into();
    }
    let b = bytes as f64;
    UNITS.iter().find(|(_, u)| b >= *u).map_or(format!("{bytes} B"), |(name, u)| format!("{:.1} {name}", b / u))
}

/// Ok when `bytes` fits the limit, else "`subject` needs X`purpose`; the limit is Y", e.g.
/// `check("the model", w, " for its weights")`.
pub fn check(subject: &str, bytes: u64, purpose: &str) -> Result<(), String> {
    check_against(subject, bytes, purpose, limit())
}

/// [`check`] against an explicit limit (a GPU's buffer size).
pub fn check_against(subject: &str, bytes: u64, purpose: &str, limit: u64) -> Result<(), String> {
    if bytes <= limit {
        Ok(())
    } else {
        Err(format!("{subject} needs {}{purpose}; the limit is {}", format_bytes(bytes), format_bytes(limit)))
    }
}

/// The product of `factors`, or `u64::MAX` when it overflows (which no limit admits).
pub fn product(factors: &[u64]) -> u64 {
    factors.iter().try_fold(1u64, |acc, &f| acc.checked_mul(f)).unwrap_or(u64::MAX)
}

/// The sum of `terms`, or `u64::MAX` when it overflows.
pub fn sum(terms: &[u64]) -> u64 {
    terms.iter().try_fold(0u64, |acc, &t| acc.checked_add(t)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_need_and_the_limit() {
        let e = check_against("the model", 41_000_000_000, " for its weights", 3_500_000_000).unwrap_err();
        assert_eq!(e, "the model needs 41.0 GB for its weights; the limit is 3.5 GB");
        assert!(check_against("x", 10, "", 10).is_ok());
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(3_100_000), "3.1 MB");
    }

    #[test]
    fn one_buffer_is_at_most_isize_max() {
        assert!(check_allocation("it", isize::MAX as u64).is_ok());
        let e = check_allocation("the model's largest buffer", u64::MAX).unwrap_err();
        assert!(e.starts_with("the model's largest buffer needs more than 18 EB in one buffer"), "{e}");
    }

    #[test]
    fn overflowing_sizes_never_fit() {
        assert_eq!(product(&[1 << 40, 1 << 40]), u64::MAX);
        assert_eq!(sum(&[u64::MAX - 1, 2]), u64::MAX);
        assert!(check_against("it", product(&[1 << 40, 1 << 40]), "", u64::MAX - 1).is_err());
        assert_eq!(product(&[3, 4, 5]), 60);
    }

    #[test]
    fn the_default_limit_is_positive_and_settable() {
        assert!(default_limit() > 1_000_000_000 || cfg!(target_arch = "wasm32"));
        set_limit(1234);
        assert_eq!(limit(), 1234);
        set_limit(0);
        assert_eq!(limit(), default_limit());
    }
}
