//! The CPU backend's threads: with the `threads` feature, work is split over rayon's pool (the
//! global one, or the one a caller `install`s); without it, everything runs on the calling
//! thread. Only work whose every output value is computed by one task, in the same order as on
//! one thread, is split, so results are bit-identical for any thread count.

/// Threads in the pool that runs this call (1 without the `threads` feature).
pub fn count() -> usize {
    #[cfg(feature = "threads")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "threads"))]
    1
}

/// Runs `task(0)`, …, `task(tasks − 1)`, in parallel where there are threads; returns when all
/// have finished.
pub fn for_each(tasks: usize, task: impl Fn(usize) + Sync + Send) {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        (0..tasks).into_par_iter().for_each(task);
    }
    #[cfg(not(feature = "threads"))]
    (0..tasks).for_each(task);
}

/// Runs `a` and `b`, in parallel where there are threads; returns when both have finished.
pub fn join(a: impl FnOnce() + Send, b: impl FnOnce() + Send) {
    #[cfg(feature = "threads")]
    rayon::join(a, b);
    #[cfg(not(feature = "threads"))]
    {
        a();
        b();
    }
}

/// Into how many parts to split `len` values of element-wise work: one per pool thread, or one
/// below `min`.
pub fn parts(len: usize, min: usize) -> usize {
    if len < min { 1 } else { count() }
}

/// Runs `work` on a thread of the global pool and returns its result. Code that splits work
/// should run so: a pool thread that splits work runs its own share and takes back any part no
/// other thread has picked up yet, so a small GEMM never waits for a sleeping thread to wake,
/// whereas a thread outside the pool hands every part over and sleeps until all are done.
#[cfg(feature = "threads")]
pub fn install<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}

/// A value moved to a pool thread and back while the thread it came from waits (`on_pool`).
#[cfg(feature = "threads")]
struct Lent<T>(T);

// SAFETY: `on_pool` lends its work to one pool thread while the lender waits, so nothing in it
// is used by two threads at once; `on_pool`'s contract rules out what is tied to a thread.
#[cfg(feature = "threads")]
unsafe impl<T> Send for Lent<T> {}

#[cfg(feature = "threads")]
impl<T> Lent<T> {
    fn into_inner(self) -> T {
        self.0
    }
}

/// Runs `work` on a thread of the global pool while the calling thread waits, like `install`
/// but for work that is not `Send` (a training step: its tensors hold `Rc`s), and returns its
/// result. The pool wakes once per call rather than once per split GEMM, and up to `AWAKE_MAX`
/// of its threads stay awake until `work` returns (`keep_busy`), so a split GEMM's other parts
/// start at once: on 2 cores this took the browser's MNIST step at batch 64 from 1.0 ms (one
/// thread) to 0.65–0.85 ms, where waking the pool for each GEMM gained nothing. Runs `work` in
/// place when called on a pool thread, or when the pool has one thread.
/// # Safety
/// Nothing `work` touches, returns or leaves behind may be tied to the calling thread or used
/// by it during the call: no JS values (each wasm thread has its own JS heap), no `Rc` stored
/// where the pool thread keeps it after the call, no thread-local state it expects to share
/// with the caller.
#[cfg(feature = "threads")]
pub unsafe fn on_pool<R>(work: impl FnOnce() -> R) -> R {
    if rayon::current_thread_index().is_some() || count() < 2 {
        return work();
    }
    let (work, done) = (Lent(work), std::sync::atomic::AtomicBool::new(false));
    let done = &done;
    rayon::scope(move |s| {
        let owner = rayon::current_thread_index();
        for _ in 1..count().min(AWAKE_MAX) {
            s.spawn(move |_| keep_busy(done, owner));
        }
        // set when the work ends, even by a panic: the scope waits for the awake threads' loops
        let _done = Done(done);
        Lent(work.into_inner()())
    })
    .into_inner()
}

/// Pool threads kept awake by `on_pool`, the caller's included: a small model's split work has
/// few parts (the MNIST model's GEMMs at most 8), and every thread kept awake spins a core while
/// a slice of steps runs; the others sleep until work wakes them, as a large GEMM's does.
#[cfg(feature = "threads")]
const AWAKE_MAX: usize = 4;

/// Sets its flag when dropped: the end of `on_pool`'s work, however it ends.
#[cfg(feature = "threads")]
struct Done<'a>(&'a std::sync::atomic::AtomicBool);

#[cfg(feature = "threads")]
impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Keeps a pool thread awake until `done`, running any work that appears (the other half of a
/// split GEMM) at once rather than after a sleeping thread's wake-up. The thread `owner` (the one
/// running `on_pool`'s work) returns at once: it takes this task back only while it waits inside
/// its own work, which could not go on before `done` otherwise.
#[cfg(feature = "threads")]
fn keep_busy(done: &std::sync::atomic::AtomicBool, owner: Option<usize>) {
    if rayon::current_thread_index() == owner {
        return;
    }
    while !done.load(std::sync::atomic::Ordering::Acquire) {
        rayon::yield_now();
    }
}

/// Runs `work` on the calling thread (there is no pool without the `threads` feature).
/// # Safety
/// None needed here; unsafe as with the `threads` feature, whose contract callers must keep.
#[cfg(not(feature = "threads"))]
pub unsafe fn on_pool<R>(work: impl FnOnce() -> R) -> R {
    work()
}

/// Runs `work` (on the calling thread: there is no pool without the `threads` feature).
#[cfg(not(feature = "threads"))]
pub fn install<R>(work: impl FnOnce() -> R) -> R {
    work()
}

/// The most threads `init` starts: each holds an 8 MiB stack, and past the cores they only wait.
#[cfg(feature = "threads")]
pub const MAX_THREADS: usize = 1024;

/// Starts the global pool with `threads` threads (`None` or `Some(0)`: one per core), with the
/// main thread's 8 MiB stack (a command runs on a pool thread, see `install`). Call it once, first:
/// anything that asks for the pool before (`count`, a split GEMM) starts it at its default size.
/// Returns the count in use, or why the pool could not be started.
#[cfg(feature = "threads")]
pub fn init(threads: Option<usize>) -> Result<usize, String> {
    if let Some(n) = threads.filter(|&n| n > MAX_THREADS) {
        return Err(format!("{n} threads: the most is {MAX_THREADS} (0: one per core)"));
    }
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(8 << 20);
    if let Some(n) = threads.filter(|&n| n > 0) {
        builder = builder.num_threads(n);
    }
    builder.build_global().map_err(|e| format!("cannot start the thread pool: {e}"))?;
    Ok(rayon::current_num_threads())
}

#[cfg(all(test, feature = "threads"))]
mod tests {
    use std::rc::Rc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// `on_pool` runs work that is not `Send` on a pool thread, and split work inside it (here
    /// 2,000 rounds of 8 tasks, as a slice of steps splits its GEMMs) finishes with every task
    /// run once: the other threads' `keep_busy` tasks end with the work, and the owner taking
    /// its own `keep_busy` back while it waits does not stall it.
    #[test]
    fn on_pool_runs_rc_work_on_a_pool_thread_and_its_split_work_completes() {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(2).build_global();
        assert!(count() >= 2, "the global pool has {} threads", count());
        let shared = Rc::new(std::cell::Cell::new(0u64));
        let ran = AtomicUsize::new(0);
        // SAFETY: the Rc is used only by the pool thread while this thread waits
        let (on_thread, total) = unsafe {
            on_pool(|| {
                for round in 0..2000u64 {
                    for_each(8, |_| {
                        ran.fetch_add(1, Ordering::Relaxed);
                    });
                    shared.set(shared.get() + round);
                }
                (rayon::current_thread_index(), Rc::clone(&shared))
            })
        };
        assert!(on_thread.is_some(), "the work ran outside the pool");
        assert_eq!(ran.load(Ordering::Relaxed), 16_000);
        assert_eq!(total.get(), 1999 * 2000 / 2);
        // on a pool thread it runs in place
        // SAFETY: the work touches nothing of this thread
        let inner = rayon::scope(|_| unsafe { on_pool(rayon::current_thread_index) });
        assert!(inner.is_some());
    }

    /// Work that panics on the pool ends the awake threads' loops too: the panic reaches the
    /// caller instead of the scope waiting for them forever.
    #[test]
    fn a_panic_in_on_pool_reaches_the_caller() {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(2).build_global();
        let caught = std::panic::catch_unwind(|| {
            // SAFETY: the work touches nothing of this thread
            unsafe { on_pool(|| panic!("a step failed")) }
        });
        assert!(caught.is_err());
    }

    /// Element-wise work is split, one part per thread, only from `min` values on.
    #[test]
    fn parts_split_only_long_work() {
        assert_eq!(parts(10, 1 << 15), 1);
        assert_eq!(parts(1 << 15, 1 << 15), count());
    }
}
