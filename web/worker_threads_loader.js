// The threaded training worker (a module worker; the page starts it only where it is
// cross-origin isolated, so SharedArrayBuffer exists). The module (xtask/src/threads.rs) has no
// start function, because every thread of the pool instantiates it: this loader instantiates it
// with a new shared memory, starts the pool (one thread per core: the training thread itself
// sleeps while the pool computes a split GEMM), then the training loop. The page waits for the
// worker's Ready before it sends anything. Any failure here reaches the page as the worker's
// error event, and the page falls back to the single-thread worker.
import init, { initThreadPool, webgrad_worker_start } from './worker_threads.js';

await init();
await initThreadPool(Math.max(1, navigator.hardwareConcurrency || 1));
webgrad_worker_start();
