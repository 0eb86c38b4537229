// The peers' benchmark harness, shared by bench/tfjs-worker.js (a classic worker: importScripts)
// and bench/jax-worker.mjs (a module worker: import). It times the workloads of webgrad's own
// suite (crates/webgrad-nn/src/bench.rs) the same way, on the same data and batch order
// (target/bench-data, written by `cargo run -p webgrad-nn --example bench_data`):
//
// - MNIST MLP 784-128-64-10 (ReLU, softmax cross-entropy, Adam lr 1e-3 eps 1e-8), batch 64 / 256:
//   4 epochs in webgrad's order, the first a warm-up; samples/s = median of epochs 2–4;
// - 2-8-8-2 tanh, batch 10, spiral: 200 warm-up steps, then steps/s as the median of 5 samples
//   of about 0.2 s each;
// - matmul [m,k]·[k,n]: one warm-up product, then GFLOP/s as the median of 5 samples of about
//   0.25 s each; each product is finished and one element of it read back;
// - mnist_time_to_95pct (engines with `accuracy`): the page's default MNIST setup (standardised
//   pixels, batch 64) trained from a new model until the test split's accuracy, measured after
//   each epoch, reaches 95 %: seconds from the first step (the page's row times from Train).
//
// Every training step reads its loss back before the next one starts, as webgrad's rows do.
// Engines (one per framework) supply: device, mlp(spec) → { step(x, y1h, y, len) → Promise<loss>,
// dispose() }, and matmul(m, k, n, a, b) → { run() → Promise<number>, dispose() }; optionally
// details (fields of every row) and rowDetails() (fields of the row just measured, e.g. how the
// work was spread over threads since the last call). makeEngine(backend, { threads }) gets
// threads: true in run-peers.mjs's cross-origin isolated pass (place wasm-threads), where it
// must run threaded or throw.
// On WebGPU (SwiftShader here: a CPU emulation, slow) the runs are shorter, see GPU below.
(function () {
  'use strict';

  // How long each kind of run is. On the GPU an "epoch" is the first `samples` of the epoch's
  // order (the same samples in the same order, only fewer: 16 steps at batch 64, 4 at 256), the
  // playground warms up for 20 steps instead of 200, and there is no separate warm-up run (each
  // MNIST row still has its warm-up epoch): keeps the whole bench within minutes on SwiftShader.
  const CPU = { samples: Infinity, warmSteps: 200, warmRun: true };
  const GPU = { samples: 1024, warmSteps: 20, warmRun: false };

  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const n = v.length;
    return n === 0 ? NaN : n % 2 ? v[(n - 1) / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  };
  const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;
  // a row's value: 0.1 resolution from 100 up, else 4 significant digits (slow GPU rows)
  const value = (x) => (x >= 100 ? round(x, 1) : Number(x.toPrecision(4)));
  const now = () => performance.now() / 1e3;

  async function fetchBytes(url) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.arrayBuffer();
  }

  async function loadData(base) {
    const meta = JSON.parse(new TextDecoder().decode(await fetchBytes(`${base}/meta.json`)));
    const get = async (name, Type) => new Type(await fetchBytes(`${base}/${name}`));
    return {
      meta,
      mnist: {
        ...meta.mnist,
        x: await get('mnist_x.f32', Float32Array),
        y: await get('mnist_y.i32', Int32Array),
        order: await get('mnist_order.u32', Uint32Array),
        init: await get('mnist_init.f32', Float32Array),
      },
      // the standardised splits of the time-to-accuracy row, fetched when it runs
      mnistStandardised: async () => ({
        x: await get('mnist_std_x.f32', Float32Array),
        testX: await get('mnist_test_std_x.f32', Float32Array),
        testY: await get('mnist_test_y.i32', Int32Array),
        testN: meta.mnist_test.n,
      }),
      spiral: {
        ...meta.spiral,
        x: await get('spiral_x.f32', Float32Array),
        y: await get('spiral_y.i32', Int32Array),
        order: await get('spiral_order.u32', Uint32Array),
        init: await get('spiral_init.f32', Float32Array),
      },
    };
  }

  // The layers of an MLP: sizes and each layer's initial weight [out, in] and bias, sliced from
  // webgrad's initial parameters (the order of `Mlp::named_parameters`).
  function layers(set) {
    const sizes = [set.d, ...set.hidden, set.classes];
    const out = [];
    let at = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [i, o] = [sizes[l], sizes[l + 1]];
      const w = set.init.subarray(at, at + i * o);
      at += i * o;
      const b = set.init.subarray(at, at + o);
      at += o;
      out.push({ in: i, out: o, w, b });
    }
    if (at !== set.init.length) throw new Error(`initial parameters: ${set.init.length} floats, expected ${at}`);
    return out;
  }

  // [out, in] → [in, out]
  function transpose(w, rows, cols) {
    const t = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
    return t;
  }

  // Batches of `set` in webgrad's order for epoch e (cycling the exported epochs), at most
  // `limit` samples: calls f(x, y1h, y, len) with views of reused buffers.
  function batchMaker(set, batch) {
    const xb = new Float32Array(batch * set.d);
    const yb = new Int32Array(batch);
    const y1h = new Float32Array(batch * set.classes);
    return function* (epoch, limit) {
      const e = epoch % set.epochs;
      const order = set.order.subarray(e * set.n, (e + 1) * set.n);
      const used = Math.min(set.n, limit);
      for (let start = 0; start < used; start += batch) {
        const len = Math.min(batch, used - start);
        y1h.fill(0, 0, len * set.classes);
        for (let r = 0; r < len; r++) {
          const row = order[start + r];
          xb.set(set.x.subarray(row * set.d, (row + 1) * set.d), r * set.d);
          yb[r] = set.y[row];
          y1h[r * set.classes + set.y[row]] = 1;
        }
        yield [xb.subarray(0, len * set.d), y1h.subarray(0, len * set.classes), yb.subarray(0, len), len];
      }
    };
  }

  async function checked(promise, what) {
    const loss = await promise;
    if (!Number.isFinite(loss)) throw new Error(`${what} diverged (loss ${loss})`);
    return loss;
  }

  async function mnistMlp(engine, data, batch, runs) {
    const set = data.mnist;
    const model = await engine.mlp({ set, layers: layers(set), act: 'relu' });
    const batches = batchMaker(set, batch);
    const perEpoch = [];
    let lastLoss = NaN,
      steps = 0,
      samples = 0;
    try {
      for (let epoch = 0; epoch < 4; epoch++) {
        const start = now();
        steps = 0;
        samples = 0;
        for (const [x, y1h, y, len] of batches(epoch, runs.samples)) {
          lastLoss = await checked(model.step(x, y1h, y, len), 'mnist');
          steps++;
          samples += len;
        }
        perEpoch.push(now() - start);
      }
    } finally {
      model.dispose();
    }
    const secs = median(perEpoch.slice(1));
    return {
      workload: `mnist_mlp_b${batch}`,
      value: value(samples / secs),
      unit: 'samples/s',
      ms_per_step: round((1e3 * secs) / steps, 4),
      batch,
      samples_per_epoch: samples,
      first_epoch_samples_per_s: round(samples / perEpoch[0], 1),
      epoch_samples_per_s: perEpoch.map((s) => round(samples / s, 1)),
      last_loss: lastLoss,
    };
  }

  // Trains the MNIST model on standardised pixels at batch 64 until the test accuracy after an
  // epoch reaches `target` (at most 20 epochs, cycling the exported batch orders).
  async function timeToAccuracy(engine, data, target) {
    if (!engine.accuracy) throw new Error('this engine has no accuracy()');
    const std = await data.mnistStandardised();
    const set = { ...data.mnist, x: std.x };
    const model = await engine.mlp({ set, layers: layers(set), act: 'relu' });
    const batches = batchMaker(set, 64);
    const epochs = [];
    let hit = null;
    try {
      const start = now();
      for (let epoch = 0; epoch < 20 && hit === null; epoch++) {
        for (const [x, y1h, y, len] of batches(epoch, Infinity)) await checked(model.step(x, y1h, y, len), 'mnist');
        const accuracy = await engine.accuracy(model, std.testX, std.testY, std.testN);
        const at = now() - start;
        epochs.push({ epoch: epoch + 1, accuracy: round(100 * accuracy, 2), ms: Math.round(1e3 * at) });
        if (accuracy >= target) hit = at;
      }
    } finally {
      model.dispose();
    }
    if (hit === null) throw new Error(`20 epochs ended below ${100 * target} % test accuracy`);
    return { workload: `mnist_time_to_${Math.round(100 * target)}pct`, value: round(hit, 3), unit: 's', batch: 64, epochs };
  }

  async function timed(reps, f) {
    const start = now();
    for (let i = 0; i < reps; i++) await f();
    return now() - start;
  }
  const repsFor = (secs, target) => Math.min(1e6, Math.max(1, Math.ceil(target / Math.max(secs, 1e-9))));

  async function playground(engine, data, runs) {
    const set = data.spiral;
    const model = await engine.mlp({ set, layers: layers(set), act: 'tanh' });
    const batches = batchMaker(set, 10);
    let epoch = 0,
      it = batches(0, Infinity),
      lastLoss = NaN;
    const one = async () => {
      let next = it.next();
      if (next.done) {
        it = batches(++epoch, Infinity);
        next = it.next();
      }
      const [x, y1h, y, len] = next.value;
      lastLoss = await checked(model.step(x, y1h, y, len), 'playground');
    };
    const rates = [];
    try {
      const warm = await timed(runs.warmSteps, one);
      const reps = repsFor(warm / runs.warmSteps, 0.2);
      for (let i = 0; i < 5; i++) rates.push(reps / (await timed(reps, one)));
    } finally {
      model.dispose();
    }
    const rate = median(rates);
    return {
      workload: 'playground_2-8-8-2_b10',
      value: value(rate),
      unit: 'steps/s',
      ms_per_step: round(1e3 / rate, 4),
      batch: 10,
      last_loss: lastLoss,
    };
  }

  // A small LCG: uniform(-1, 1) operands (the values do not matter to the timing).
  function random(len, seed) {
    const out = new Float32Array(len);
    let s = seed >>> 0;
    for (let i = 0; i < len; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = (s / 2 ** 32) * 2 - 1;
    }
    return out;
  }

  async function matmul(engine, m, k, n) {
    const mm = await engine.matmul(m, k, n, random(m * k, 7), random(k * n, 8));
    const rates = [];
    let check = NaN;
    try {
      const product = async () => {
        check = await mm.run();
      };
      const warm = await timed(1, product);
      const reps = repsFor(warm, 0.25);
      for (let i = 0; i < 5; i++) rates.push((2 * m * k * n * reps) / (await timed(reps, product)) / 1e9);
    } finally {
      mm.dispose();
    }
    return { workload: `matmul_${m}x${k}x${n}`, value: value(median(rates)), unit: 'GFLOP/s', m, k, n, check };
  }

  const WORKLOADS = ['mnist_mlp_b64', 'mnist_mlp_b256', 'playground_2-8-8-2_b10', 'matmul_1024x1024x1024', 'matmul_64x784x128'];

  function runOne(engine, data, workload, runs) {
    switch (workload) {
      case 'mnist_mlp_b64':
        return mnistMlp(engine, data, 64, runs);
      case 'mnist_mlp_b256':
        return mnistMlp(engine, data, 256, runs);
      case 'playground_2-8-8-2_b10':
        return playground(engine, data, runs);
      case 'matmul_1024x1024x1024':
        return matmul(engine, 1024, 1024, 1024);
      case 'matmul_64x784x128':
        return matmul(engine, 64, 784, 128);
      case 'mnist_time_to_95pct':
        return timeToAccuracy(engine, data, 0.95);
      default:
        throw new Error(`unknown workload ${workload}`);
    }
  }

  // The worker's side of the page protocol: one message { dataUrl, backend, workloads, threads }
  // in; a message per row ({ row }) and then { done: true } out. Like webgrad's browser bench,
  // one untimed-for-the-suite MNIST run comes first (printed as "warmup_mnist_mlp_b64").
  async function serve(makeEngine, framework) {
    self.onmessage = async (event) => {
      const { dataUrl, backend, workloads, threads = false } = event.data;
      const runs = backend === 'webgpu' ? GPU : CPU;
      const base = { framework, backend };
      try {
        const data = await loadData(dataUrl);
        if (threads && !self.crossOriginIsolated) throw new Error('threads asked for, but the worker is not cross-origin isolated');
        const engine = await makeEngine(backend, { threads });
        base.device = engine.device;
        const extra = { cross_origin_isolated: self.crossOriginIsolated, ...(engine.details || {}) };
        if (runs === GPU) extra.gpu_samples_per_epoch = runs.samples;
        const perRow = () => (engine.rowDetails ? engine.rowDetails() : {});
        if (runs.warmRun) {
          const warm = await mnistMlp(engine, data, 64, runs);
          warm.workload = `warmup_${warm.workload}`;
          self.postMessage({ row: { ...base, ...warm, ...extra, ...perRow() } });
        }
        for (const w of workloads) {
          try {
            self.postMessage({ row: { ...base, ...(await runOne(engine, data, w, runs)), ...extra, ...perRow() } });
          } catch (e) {
            self.postMessage({ row: { ...base, workload: w, error: String((e && e.message) || e), ...perRow() } });
          }
        }
      } catch (e) {
        self.postMessage({ row: { ...base, workload: 'setup', error: String((e && e.stack) || e) } });
      }
      self.postMessage({ done: true });
    };
  }

  self.BenchCommon = { WORKLOADS, CPU, GPU, median, round, transpose, serve };
})();
