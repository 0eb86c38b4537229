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

/// Runs `work` on a thread of the global pool and returns its result. Code that splits work
/// should run so: a pool thread that splits work runs its own share and takes back any part no
/// other thread has picked up yet, so a small GEMM never waits for a sleeping thread to wake,
/// whereas a thread outside the pool hands every part over and sleeps until all are done.
#[cfg(feature = "threads")]
pub fn install<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}

/// Runs `work` (on the calling thread: there is no pool without the `threads` feature).
#[cfg(not(feature = "threads"))]
pub fn install<R>(work: impl FnOnce() -> R) -> R {
    work()
}

/// Starts the global pool with `threads` threads (`None` or `Some(0)`: one per core), with the
/// main thread's 8 MiB stack (a command runs on a pool thread, see `install`). Call it once, first:
/// anything that asks for the pool before (`count`, a split GEMM) starts it at its default size.
/// Returns the count in use, or why the pool could not be started.
#[cfg(feature = "threads")]
pub fn init(threads: Option<usize>) -> Result<usize, String> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(8 << 20);
    if let Some(n) = threads.filter(|&n| n > 0) {
        builder = builder.num_threads(n);
    }
    builder.build_global().map_err(|e| format!("cannot start the thread pool: {e}"))?;
    Ok(rayon::current_num_threads())
}
