// jax-js 0.1.25 in a dedicated module worker, device `wasm` or `webgpu`, driven by
// bench/common.js. The whole training step (forward, valueAndGrad, Adam) is one jit-compiled
// function, as jax-js's own MNIST demo trains; Adam is written out (the PyTorch form, lr 1e-3,
// betas 0.9/0.999, eps 1e-8) since the optimizers live in a separate package (@jax-js/optax).
// The model starts from webgrad's initial parameters and reads its loss back after every step.
// Where the page is not cross-origin isolated (places wasm, wasm-no-liftoff) there is no
// SharedArrayBuffer and jax-js's wasm device runs every kernel on this worker's thread. In
// run-peers.mjs's isolated pass (threads; place wasm-threads) its wasm backend makes its memory
// shared and dispatches every kernel to its WasmWorkerPool: navigator.hardwareConcurrency
// nested module workers, each kernel split into chunks (512 elements at least, by default)
// over them, this worker waiting. jax-js does not expose the pool, so this worker counts what it does by
// wrapping the Worker constructor (workers started, kernels and the chunks they were split
// into, routines), checks with one probe kernel that a kernel is split over two workers or more
// (else it throws), and records per row: pool_workers, pool_kernels, pool_kernels_split (run on
// more than one worker), pool_routines (CPU fallbacks, on one pool worker).
import * as jax from '/node_modules/@jax-js/jax/dist/index.js';
import '/bench/common.js';

const { numpy: np, nn } = jax;
const { transpose, serve } = self.BenchCommon;
const [B1, B2, EPS, LR] = [0.9, 0.999, 1e-8, 1e-3];

// jax-js's pool posts { type: 'kernel', begin, end, ... } to each worker a kernel runs on, all
// chunks of one kernel in a row, the first with begin 0; { type: 'routine' } to the first worker
function countPool() {
  const pool = { workers: 0, kernels: 0, split: 0, routines: 0 };
  let splitSeen = true;
  const Native = self.Worker;
  self.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      pool.workers++;
    }
    postMessage(msg, ...rest) {
      if (msg && msg.type === 'kernel') {
        if (msg.begin === 0) {
          pool.kernels++;
          splitSeen = false;
        } else if (!splitSeen) {
          pool.split++;
          splitSeen = true;
        }
      } else if (msg && msg.type === 'routine') pool.routines++;
      return super.postMessage(msg, ...rest);
    }
  };
  let last = { ...pool };
  // the counts since the last call
  return () => {
    const now = { ...pool };
    const d = { pool_workers: now.workers, pool_kernels: now.kernels - last.kernels, pool_kernels_split: now.split - last.split, pool_routines: now.routines - last.routines };
    last = now;
    return d;
  };
}

async function makeEngine(backend, { threads = false } = {}) {
  const poolCounts = threads ? countPool() : null;
  const ok = await jax.init(backend);
  if (!ok.includes(backend)) throw new Error(`jax-js device ${backend} did not initialise (got ${ok.join(', ')})`);
  jax.defaultDevice(backend);
  const details = {};
  if (threads) {
    details.hardware_concurrency = navigator.hardwareConcurrency;
    details.shared_array_buffer = typeof SharedArrayBuffer !== 'undefined';
    // one kernel of 65,536 elements: split over min(workers, 128) chunks
    const probe = np.array(new Float32Array(1 << 16).fill(1), { shape: [256, 256] });
    const sum = (await probe.mul(2).data()).reduce((a, b) => a + b, 0);
    const seen = poolCounts();
    if (sum !== 2 << 16 || seen.pool_workers < 2 || seen.pool_kernels_split < 1)
      throw new Error(`jax-js wasm is not threaded: ${JSON.stringify({ ...details, ...seen, sum })}`);
    details.probe_pool = seen;
  }
  return {
    device: `jax-js-${backend}${threads ? '-threads' : ''}`,
    details,
    ...(poolCounts && { rowDetails: poolCounts }),
    async mlp({ set, layers, act }) {
      const activation = act === 'relu' ? nn.relu : np.tanh;
      const L = layers.length;
      let params = layers.flatMap((l) => [
        np.array(transpose(l.w, l.out, l.in), { shape: [l.in, l.out] }),
        np.array(new Float32Array(l.b), { shape: [l.out] }),
      ]);
      let m = params.map((p) => np.zeros(p.shape));
      let v = params.map((p) => np.zeros(p.shape));
      const lossFn = (p, x, y1h) => {
        const n = x.shape[0];
        let h = x;
        for (let l = 0; l < L; l++) {
          h = np.matmul(h, p[2 * l]).add(p[2 * l + 1]);
          if (l + 1 < L) h = activation(h);
        }
        return nn.logSoftmax(h, -1).mul(y1h).sum().mul(-1 / n);
      };
      // p -= c1 · m / (sqrt(v) · c2 + eps), c1 = lr / (1 − β1^t), c2 = 1 / sqrt(1 − β2^t)
      const train = jax.jit((p, m, v, x, y1h, c1, c2) => {
        const [loss, g] = jax.valueAndGrad(lossFn)(
          p.map((a) => a.ref),
          x,
          y1h,
        );
        const [P, M, V] = [[], [], []];
        for (let i = 0; i < p.length; i++) {
          const gi = g[i];
          const mi = m[i].mul(B1).add(gi.ref.mul(1 - B1));
          const vi = v[i].mul(B2).add(gi.ref.mul(gi).mul(1 - B2));
          P.push(p[i].sub(mi.ref.mul(c1.ref).div(np.sqrt(vi.ref).mul(c2.ref).add(EPS))));
          M.push(mi);
          V.push(vi);
        }
        c1.dispose();
        c2.dispose();
        return [loss, P, M, V];
      });
      let t = 0;
      return {
        async step(x, y1h, y, len) {
          t++;
          const c1 = LR / (1 - B1 ** t);
          const c2 = 1 / Math.sqrt(1 - B2 ** t);
          const xs = np.array(x, { shape: [len, set.d] });
          const ys = np.array(y1h, { shape: [len, set.classes] });
          const [loss, P, M, V] = train(params, m, v, xs, ys, np.array(c1), np.array(c2));
          [params, m, v] = [P, M, V];
          return (await loss.data())[0];
        },
        dispose() {
          [...params, ...m, ...v].forEach((a) => a.dispose());
          train.dispose();
        },
      };
    },
    async matmul(m, k, n, a, b) {
      const A = np.array(a, { shape: [m, k] });
      const B = np.array(b, { shape: [k, n] });
      return {
        async run() {
          // realise the whole product first (jax-js is lazy: a slice of an unrealised product
          // could compute only the element read), then read one element back
          const c = await np.matmul(A.ref, B.ref).blockUntilReady();
          return (await c.slice([0, 1], [0, 1]).data())[0];
        },
        dispose() {
          A.dispose();
          B.dispose();
        },
      };
    },
  };
}

serve(makeEngine, 'jax-js');
