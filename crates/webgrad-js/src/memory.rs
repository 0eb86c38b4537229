//! The bytes this module holds, counted by its allocator, so that a new model is measured
//! against what the models and data already alive leave of the memory budget: the budget checks
//! of `webgrad_nn` see one model at a time, and two 1.6 GB models each fit a 3.5 GB budget but
//! not together (the second aborted the module).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use webgrad_core::budget;

/// The system allocator, counting the bytes it has handed out and not taken back.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to `System` unchanged; only the count is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

/// Ok when `need` more bytes fit the budget beside what is held now, else "`subject` needs X;
/// Y are held by the models and data alive, and together that is over the limit of Z".
pub fn check_free(subject: &str, need: u64) -> Result<(), String> {
    let held = LIVE.load(Ordering::Relaxed) as u64;
    let limit = budget::limit();
    if budget::sum(&[held, need]) <= limit {
        return Ok(());
    }
    Err(format!(
        "{subject} needs {}; {} are held by the models and data alive, over the limit of {} together (free() the models you no longer use)",
        budget::format_bytes(need),
        budget::format_bytes(held),
        budget::format_bytes(limit)
    ))
}
