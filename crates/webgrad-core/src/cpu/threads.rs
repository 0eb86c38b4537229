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

/// Sets the number of threads of the global pool, once per process, before any CPU work: `None`
/// for one per core. Returns the count in use, or why the pool could not be set up (e.g. it
/// was already started with another count).
#[cfg(feature = "threads")]
pub fn init(threads: Option<usize>) -> Result<usize, String> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            return Err("the thread count must be at least 1".into());
        }
        builder = builder.num_threads(n);
    }
    match builder.build_global() {
        Ok(()) => Ok(rayon::current_num_threads()),
        Err(_) if threads.is_none_or(|n| n == rayon::current_num_threads()) => Ok(rayon::current_num_threads()),
        Err(e) => Err(format!("cannot start {} threads: {e}", threads.unwrap_or(0))),
    }
}
