// The threaded training worker (a module worker; the page starts it only where it is
// cross-origin isolated, so SharedArrayBuffer exists). The module (xtask/src/threads.rs) has no
// start function, because every thread of the pool instantiates it: this loader instantiates it
// with a new shared memory, starts the pool (one thread per core but the page's: the training
// thread itself sleeps while the pool runs a slice of steps), then the training loop. The page waits for the
// worker's Ready before it sends anything. Any failure here, or a pool that has not started
// within POOL_TIMEOUT_MS (a pool worker that failed to load never answers), reaches the page as
// this worker's error event, and the page falls back to the single-thread worker.
import init, { initThreadPool, webgrad_worker_start } from './worker_threads.js';

const POOL_TIMEOUT_MS = 20_000;

await init();
// the page names the worker with its pool's size (one core is left to draw the page)
const named = /^webgrad-threads-(\d+)$/.exec(self.name);
const cores = named ? Math.max(1, Number(named[1])) : Math.max(1, (navigator.hardwareConcurrency || 1) - 1);
let timer;
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => reject(new Error(`the thread pool did not start within ${POOL_TIMEOUT_MS / 1000} s`)), POOL_TIMEOUT_MS);
});
await Promise.race([initThreadPool(cores), timeout]);
clearTimeout(timer);
webgrad_worker_start();
