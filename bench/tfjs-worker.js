// TensorFlow.js 4.22 in a dedicated (classic) worker, `wasm` or `webgpu` backend, driven by
// bench/common.js. The MLP is written with tf.variable + optimizer.minimize (TF.js's fastest
// training path; tf.layers' fit/trainOnBatch add bookkeeping on top of the same kernels), starts
// from webgrad's initial parameters, and reads its loss back after every step.
// With threads (run-peers.mjs's cross-origin isolated pass, place wasm-threads) the wasm backend
// loads its threaded-SIMD build (tfjs-backend-wasm-threaded-simd.wasm: emscripten pthreads, which
// it starts from this worker as nested workers, the pthread worker script inlined as a Blob) and
// XNNPACK's pthreadpool gets navigator.hardwareConcurrency threads (tf.wasm.setThreadsCount).
// TF.js caps that count at hardwareConcurrency / 2 (tfjs-backend-wasm/src/cc/backend.cc,
// num_cores: it assumes two hardware threads per core), read once as the module starts, which
// would leave one thread on a machine of two cores of one thread each; so while the backend
// starts, this worker's navigator reports twice the cores (cores_shown_to_tfjs), then the real
// count again. The engine throws unless TF.js reports WASM_HAS_MULTITHREAD_SUPPORT and more than
// one thread. Rows record wasm_threads, threads_count (tf.wasm.getThreadsCount: the pool's
// threads, this one included) and pthreads_running (emscripten's running pthread workers).
importScripts(
  '/node_modules/@tensorflow/tfjs/dist/tf.min.js',
  '/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
  '/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js',
  '/bench/common.js',
);

const { transpose, serve } = self.BenchCommon;

async function makeEngine(backend, { threads = false } = {}) {
  if (backend === 'wasm') tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const cores = navigator.hardwareConcurrency;
  if (threads) {
    tf.wasm.setThreadsCount(cores);
    // an own property shadows WorkerNavigator's getter until it is deleted
    Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 2 * cores, configurable: true });
  }
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialise`);
    await tf.ready();
  } finally {
    if (threads) delete navigator.hardwareConcurrency;
  }
  const details = { tfjs_version: tf.version.tfjs };
  if (backend === 'wasm') {
    details.wasm_simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    details.wasm_threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  if (threads) {
    details.hardware_concurrency = navigator.hardwareConcurrency;
    details.cores_shown_to_tfjs = 2 * cores;
    details.threads_count = tf.wasm.getThreadsCount();
    details.pthreads_running = tf.backend().wasm.PThread?.runningWorkers.length ?? 0;
    if (!details.wasm_threads || !details.wasm_simd || details.threads_count < 2)
      throw new Error(`TF.js wasm is not threaded: ${JSON.stringify(details)}`);
  }
  const device = backend === 'wasm' ? `tfjs-wasm${details.wasm_simd ? '-simd' : ''}${threads ? '-threads' : ''}` : 'tfjs-webgpu';
  return {
    device,
    details,
    async mlp({ set, layers, act }) {
      const vars = layers.map((l) => ({
        w: tf.variable(tf.tensor2d(transpose(l.w, l.out, l.in), [l.in, l.out])),
        b: tf.variable(tf.tensor1d(l.b)),
      }));
      const list = vars.flatMap((v) => [v.w, v.b]);
      const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
      const activation = act === 'relu' ? tf.relu : tf.tanh;
      const forward = (xt) => {
        let h = xt;
        vars.forEach((v, l) => {
          h = tf.add(tf.matMul(h, v.w), v.b);
          if (l + 1 < vars.length) h = activation(h);
        });
        return h;
      };
      return {
        forward,
        async step(x, y1h, y, len) {
          const loss = tf.tidy(() => {
            const xt = tf.tensor2d(x, [len, set.d]);
            const labels = tf.oneHot(tf.tensor1d(y, 'int32'), set.classes);
            return opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(xt)), true, list);
          });
          const value = (await loss.data())[0];
          loss.dispose();
          return value;
        },
        dispose() {
          opt.dispose();
          list.forEach((v) => v.dispose());
        },
      };
    },
    // the share of `n` rows of `x` whose largest logit is their label
    async accuracy(model, x, y, n) {
      const hits = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d(x, [n, x.length / n]));
        return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(y, 'int32')), 'float32'));
      });
      const value = (await hits.data())[0];
      hits.dispose();
      return value / n;
    },
    async matmul(m, k, n, a, b) {
      const at = tf.tensor2d(a, [m, k]);
      const bt = tf.tensor2d(b, [k, n]);
      return {
        async run() {
          const c = tf.matMul(at, bt);
          const one = tf.slice(c, [0, 0], [1, 1]);
          const v = (await one.data())[0];
          tf.dispose([c, one]);
          return v;
        },
        dispose() {
          tf.dispose([at, bt]);
        },
      };
    },
  };
}

serve(makeEngine, 'tfjs');
