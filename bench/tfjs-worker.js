// TensorFlow.js 4.22 in a dedicated (classic) worker, `wasm` or `webgpu` backend, driven by
// bench/common.js. The MLP is written with tf.variable + optimizer.minimize (TF.js's fastest
// training path; tf.layers' fit/trainOnBatch add bookkeeping on top of the same kernels), starts
// from webgrad's initial parameters, and reads its loss back after every step.
importScripts(
  '/node_modules/@tensorflow/tfjs/dist/tf.min.js',
  '/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
  '/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js',
  '/bench/common.js',
);

const { transpose, serve } = self.BenchCommon;

async function makeEngine(backend) {
  if (backend === 'wasm') tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialise`);
  await tf.ready();
  const details = { tfjs_version: tf.version.tfjs };
  if (backend === 'wasm') {
    details.wasm_simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    details.wasm_threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  const device = backend === 'wasm' ? `tfjs-wasm${details.wasm_simd ? '-simd' : ''}` : 'tfjs-webgpu';
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
