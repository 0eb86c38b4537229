// The JavaScript package (`cargo xtask pkg` → target/pkg) used exactly as a third-party page
// would: examples/js-package/ with a copy of the package beside it, served by a server of the
// spec's own, trains the spiral to ≥ 95 % test accuracy on the page's thread and in a Web
// Worker, and a model exported as safetensors loads back with the same accuracy.
import { test, expect } from '@playwright/test';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchErrors } from './helpers.mjs';

const pkg = fileURLToPath(new URL('../../target/pkg/', import.meta.url));
const example = fileURLToPath(new URL('../../examples/js-package/', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let server;
let url;

test.beforeAll(async () => {
  if (!existsSync(join(pkg, 'webgrad.js'))) {
    // cargo xtask test builds the package first and sets WEBGRAD_REQUIRE_PKG: there a missing one fails
    expect(process.env.WEBGRAD_REQUIRE_PKG, 'target/pkg is missing: run cargo xtask pkg').toBeUndefined();
    test.skip(true, 'run cargo xtask pkg first');
  }
  const site = mkdtempSync(join(tmpdir(), 'webgrad-js-site-'));
  cpSync(example, site, { recursive: true });
  cpSync(pkg, join(site, 'webgrad'), { recursive: true });
  server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url, 'http://x').pathname).replace(/^(\.\.[/\\])+/, '');
    try {
      const file = join(site, path.endsWith('/') ? `${path}index.html` : path);
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${server.address().port}/`;
});

test.afterAll(() => server?.close());

/** The example page, once it has trained (the package is loaded and works). */
async function openExample(page) {
  await page.goto(url);
  await expect(page.locator('#result')).toContainText('test accuracy', { timeout: 60_000 });
}

for (const mode of ['page', 'worker']) {
  test(`The package trains the spiral to ≥ 95 % (${mode})`, async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto(`${url}?mode=${mode}`);
    await expect(page.locator('#result')).toContainText('test accuracy', { timeout: 60_000 });
    const accuracy = Number(await page.locator('body').getAttribute('data-accuracy'));
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(Number(await page.locator('body').getAttribute('data-reloaded-accuracy'))).toBe(accuracy);
    await expect(page.locator('#progress')).toContainText('epoch 300');
    expect(errors).toEqual([]);
  });
}

test('fit refuses a step over the memory budget, the model stays usable; predict goes in batches', async ({ page }) => {
  const errors = watchErrors(page);
  await openExample(page);
  const said = await page.evaluate(async () => {
    const { default: init, Mlp } = await import('./webgrad/webgrad.js');
    await init();
    // one layer of 65,536 units (3 MB of weights) at batch 8,000: 4.2 GB of activations
    const model = new Mlp({ inputs: 2, hidden: [65536], classes: 2 });
    const x = new Float32Array(2 * 8000).map((_, i) => (i % 7) / 7);
    const y = Array.from({ length: 8000 }, (_, i) => i % 2);
    const refused = await model.fit(x, y, { batchSize: 8000, epochs: 1 }).then(() => 'trained', (e) => e.message);
    const after = await model.evaluate(x.subarray(0, 40), y.slice(0, 20));
    // predict goes a batch of rows at a time (not all rows through a layer at once): 2,500
    // rows give the bits of their parts predicted apart
    const small = new Mlp({ inputs: 2, hidden: [16], classes: 3, seed: 4 });
    const rows = new Float32Array(2 * 2500).map((_, i) => Math.sin(i));
    const all = await small.predict(rows);
    const parts = [...await small.predict(rows.subarray(0, 2 * 1000)), ...await small.predict(rows.subarray(2 * 1000))];
    return { refused, accuracy: after.accuracy, rows: all.length / 3, same: all.every((v, i) => Object.is(v, parts[i])) };
  });
  expect(said.refused).toMatch(/^training needs [\d.]+ GB .*; the limit is/);
  expect(said.accuracy).toBeGreaterThanOrEqual(0);
  expect(said.rows).toBe(2500);
  expect(said.same).toBe(true);
  expect(errors).toEqual([]);
});

test('bad arguments reject with their name and leave the model usable; a loaded file keeps its preprocessing', async ({ page }) => {
  const errors = watchErrors(page);
  await openExample(page);
  const said = await page.evaluate(async () => {
    const { default: init, Mlp } = await import('./webgrad/webgrad.js');
    await init();
    const message = (f) => { try { return Promise.resolve(f()).then(() => 'resolved', (e) => e.message); } catch (e) { return `threw: ${e.message}`; } };
    const model = new Mlp({ inputs: 2, hidden: [8], classes: 2, lr: 0.01 });
    const x = new Float32Array([0, 0, 1, 1, 0, 1, 1, 0]);
    const y = [0, 0, 1, 1];
    const bad = {
      xUndefined: await message(() => model.predict(undefined)),
      xArray: await message(() => model.fit([0, 0, 1, 1], y)),
      yBigInt: await message(() => model.fit(x, new BigInt64Array([0n, 0n, 1n, 1n]))),
      yString: await message(() => model.evaluate(x, ['0', '0', '1', '1'])),
      typo: await message(() => model.fit(x, y, { epoch: 3 })),
      batch: await message(() => model.fit(x, y, { batchSize: 2.5 })),
      nan: await message(() => model.predict(new Float32Array([NaN, 0]))),
      spec: await message(() => new Mlp({ inputs: 2, classes: 2, layers: 3 })),
      hidden: await message(() => new Mlp({ inputs: 2, classes: 2, hidden: [16.5] })),
      // 10,000 × 60,000 weights: under the 3.5 GB budget, over what one wasm buffer holds
      oneBuffer: await message(() => new Mlp({ inputs: 10000, hidden: [60000], classes: 2 })),
    };
    // after all of them the same object trains (the default batch is every row of a small set)
    const trained = (await model.fit(x, y, { epochs: 2 })).length;
    // a diverging fit rejects and puts back the weights from before the epoch that broke:
    // bit for bit those of the same model trained one epoch fewer
    const wild = () => new Mlp({ inputs: 2, hidden: [8], classes: 2, lr: 1e30, seed: 3 });
    const broken = wild();
    const diverged = await message(() => broken.fit(x, y, { epochs: 5, shuffle: false }));
    const epoch = Number(diverged.match(/^epoch (\d+)/)?.[1]);
    const twin = wild();
    if (epoch > 1) await twin.fit(x, y, { epochs: epoch - 1, shuffle: false });
    const [a, b] = [await broken.exportSafetensors(), await twin.exportSafetensors()];
    const kept = a.length === b.length && a.every((v, i) => v === b[i]);
    // a regression file as the CLI writes it: inputs scaled, targets standardised
    const reg = new Mlp({ inputs: 2, hidden: [8], outputs: 1, seed: 2 });
    const bytes = await reg.exportSafetensors();
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const desc = JSON.parse(header.__metadata__.webgrad);
    desc.preprocessing = { scale: 0.5, target_standardize: { mean: [100], std: [10] } };
    header.__metadata__.webgrad = JSON.stringify(desc);
    let text = JSON.stringify(header);
    text += ' '.repeat((8 - (text.length % 8)) % 8);
    const head = new TextEncoder().encode(text);
    const file = new Uint8Array(8 + head.length + bytes.length - 8 - n);
    new DataView(file.buffer).setBigUint64(0, BigInt(head.length), true);
    file.set(head, 8);
    file.set(bytes.subarray(8 + n), 8 + head.length);
    const loaded = Mlp.load(file.buffer);
    const rows = new Float32Array([1, 2, 3, 4]);
    const got = Array.from(await loaded.predict(rows));
    const expected = Array.from(await reg.predict(rows.map((v) => v * 0.5))).map((z) => Math.fround(z * 10 + 100));
    const targets = expected.map((v) => v + 1);
    const { mae } = await loaded.evaluate(rows, targets);
    return { bad, trained, diverged, kept, got, expected, mae, prep: loaded.preprocessing, inputs: loaded.inputs };
  });
  expect(said.bad).toEqual({
    xUndefined: 'predict: x must be a Float32Array of rows × inputs (got undefined)',
    xArray: 'fit: x must be a Float32Array of rows × inputs (got [0,0,1,1])',
    yBigInt: 'fit: y is a BigInt64Array: give numbers, not BigInts',
    yString: 'evaluate: y[0] is "0", not a number',
    typo: 'options.epoch is not a setting (the settings are epochs, batchSize, shuffle, onEpoch, signal)',
    batch: 'options.batchSize is 2.5: give a whole number from 0 to 4294967295',
    nan: 'predict: x[0] (row 0) is NaN (the model records no values to fill missing cells with)',
    spec: 'threw: spec.layers is not a setting (the settings are inputs, hidden, activation, classes, outputs, dropout, optimizer, lr, weightDecay, seed)',
    hidden: 'threw: spec.hidden[0] is 16.5: give a whole number from 0 to 4294967295',
    oneBuffer: 'threw: spec: the model\'s largest weight matrix needs 2.4 GB in one buffer; one buffer holds at most 2.1 GB here',
  });
  expect(said.trained).toBe(2);
  expect(said.diverged).toMatch(/^epoch (\d+): the loss is (NaN|inf|-inf) \(try a lower lr\); the model is back at its weights from before epoch \1$/);
  expect(said.kept).toBe(true);
  said.got.forEach((v, i) => expect(v).toBeCloseTo(said.expected[i], 3));
  expect(said.mae).toBeCloseTo(1, 3);
  expect(said.prep).toEqual({ input_features: null, scale: 0.5, standardize: null, target_standardize: { mean: [100], std: [10] } });
  expect(said.inputs).toBe(2);
  expect(errors).toEqual([]);
});

test('hostile arguments reject, never crash the module: sizes from the input, detached arrays, throwing getters, non-finite outputs', async ({ page }) => {
  const errors = watchErrors(page);
  await openExample(page);
  const said = await page.evaluate(async () => {
    const { default: init, Mlp } = await import('./webgrad/webgrad.js');
    await init();
    const message = (f) => { try { return Promise.resolve(f()).then(() => 'resolved', (e) => e.message); } catch (e) { return `threw: ${e.message}`; } };
    // 1,024 rows × 2²² inputs wrapped to 0 on wasm32: "chunk size must be non-zero" aborted the module
    const wide = new Mlp({ inputs: 4194304, hidden: [1], classes: 2 });
    const wideRows = await wide.predict(new Float32Array(4194304)).then((p) => p.length, (e) => e.message);
    wide.free();
    // 10,000 rows × 65,536 classes of outputs: 2.6 GB in one buffer ("capacity overflow" before)
    const many = new Mlp({ inputs: 1, hidden: [], classes: 65536 });
    const bigPredict = await message(() => many.predict(new Float32Array(1e4)));
    const bigEvaluate = await message(() => many.evaluate(new Float32Array(1e4), new Float64Array(1e4)));
    many.free();
    const small = new Mlp({ inputs: 2, hidden: [4], classes: 2 });
    // a detached array threw through the module and left the model borrowed for good
    const x = new Float32Array([0, 1, 1, 0]);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    const detached = await message(() => small.predict(x));
    const y = [0, 1];
    Object.defineProperty(y, 1, { get() { throw new Error('boom'); } });
    const getter = await message(() => small.fit(new Float32Array([0, 1, 1, 0]), y));
    const longHidden = await message(() => new Mlp({ inputs: 2, classes: 2, hidden: new Array(1e6).fill(1) }));
    const hugeCount = await message(() => new Mlp({ inputs: 2 ** 32, classes: 2 }));
    // a file whose weights overflow to infinity: its outputs are refused, not returned as NaN
    const bytes = await small.exportSafetensors();
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const file = bytes.slice();
    const weights = new DataView(file.buffer, 8 + n);
    for (let i = 0; i + 4 <= weights.byteLength; i += 4) weights.setFloat32(i, 3e38, true);
    const overflow = await message(() => Mlp.load(file).predict(new Float32Array([1e30, 1e30])));
    // the model is still there for the next call
    const after = (await small.predict(new Float32Array([0, 1]))).length;
    small.free();
    return { wideRows, bigPredict, bigEvaluate, detached, getter, longHidden, hugeCount, overflow, after };
  });
  expect(said.wideRows).toBe(2);
  expect(said.bigPredict).toMatch(/^predict: the outputs needs 2\.6 GB in one buffer; one buffer holds at most/);
  expect(said.bigEvaluate).toMatch(/^evaluate: the outputs needs 2\.6 GB in one buffer; one buffer holds at most/);
  expect(said.detached).toBe('predict: x holds 0 numbers, not a whole number of rows of 2 inputs');
  expect(said.getter).toBe('fit: y[1] could not be read');
  expect(said.longHidden).toBe('threw: spec.hidden has 1000000 items: a model has at most 32 hidden layers');
  expect(said.hugeCount).toBe('threw: spec.inputs is 4294967296: give a whole number from 0 to 4294967295');
  expect(said.overflow).toMatch(/^predict: the model's output for row 0 is (NaN|inf|-inf) \(not finite\)$/);
  expect(said.after).toBe(2);
  expect(errors).toEqual([]);
});

test('an AbortSignal stops fit within a long epoch; the model keeps its whole epochs and trains on', async ({ page }) => {
  const errors = watchErrors(page);
  await openExample(page);
  const said = await page.evaluate(async () => {
    const { default: init, Mlp } = await import('./webgrad/webgrad.js');
    await init();
    const outcome = (p) => p.then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
    const make = () => new Mlp({ inputs: 2, hidden: [64, 64], classes: 2, lr: 0.01, seed: 5 });
    // 80,000 rows at batch 4: an epoch (0.2 s on a fast 2-core machine, 4 s on a slow one) lasts
    // well past fit's first two checks for an abort (at least 50 ms of steps apart)
    const n = 80000;
    const x = new Float32Array(2 * n).map((_, i) => Math.sin(i * 0.37));
    const y = Array.from({ length: n }, (_, i) => (Math.sin(i * 0.37 * 2) > 0 ? 1 : 0));
    const same = async (a, b) => {
      const [p, q] = [await a.exportSafetensors(), await b.exportSafetensors()];
      return p.length === q.length && p.every((v, i) => v === q[i]);
    };
    // aborted before it begins: nothing trains
    const idle = make();
    const early = await outcome(idle.fit(x, y, { signal: AbortSignal.abort() }));
    const untouched = await same(idle, make());
    // aborted in its second epoch: the first finishes, and the abort comes 20 ms later (150 ms
    // after every epoch let 4 epochs of 20,000 rows finish first on a fast machine)
    const model = make();
    const controller = new AbortController();
    let epochs = 0;
    const started = performance.now();
    let firstEpochMs = 0;
    const onEpoch = () => {
      epochs += 1;
      if (epochs > 1) return;
      firstEpochMs = performance.now() - started;
      setTimeout(() => controller.abort(new Error('enough')), 20);
    };
    const stopped = await outcome(model.fit(x, y, { epochs: 50, batchSize: 4, shuffle: false, signal: controller.signal, onEpoch }));
    const ms = performance.now() - started;
    const twin = make();
    await twin.fit(x, y, { epochs, batchSize: 4, shuffle: false });
    const kept = await same(model, twin);
    const again = (await model.fit(x.subarray(0, 400), y.slice(0, 200), { epochs: 1 })).length;
    const wrong = await outcome(model.fit(x, y, { signal: 5 }));
    // aborted once the last epoch is done: nothing is left to stop, the fit resolves
    const late = new AbortController();
    const onLast = (epoch) => { if (epoch === 2) late.abort(); };
    const finished = await outcome(model.fit(x.subarray(0, 400), y.slice(0, 200), { epochs: 2, signal: late.signal, onEpoch: onLast }));
    return { early, untouched, stopped, epochs, ms, firstEpochMs, kept, again, wrong, finished };
  });
  expect(said.early).toMatch(/^AbortError: /);
  expect(said.untouched).toBe(true);
  expect(said.stopped).toBe('Error: enough');
  expect(said.epochs).toBe(1);
  // the second epoch was cut short: fit stopped before it could have run as long as the first
  expect(said.ms - said.firstEpochMs).toBeLessThan(said.firstEpochMs);
  expect(said.kept).toBe(true);
  expect(said.again).toBe(1);
  expect(said.wrong).toBe('Error: options.signal is 5: give an AbortSignal');
  expect(said.finished).toBe('resolved');
  console.log(`fit stopped ${Math.round(said.ms)} ms after it began, its first epoch took ${Math.round(said.firstEpochMs)} ms`);
  expect(errors).toEqual([]);
});

test('a model that fits alone but not beside the ones alive is refused; free() makes room', async ({ page }) => {
  const errors = watchErrors(page);
  await openExample(page);
  const said = await page.evaluate(async () => {
    const { default: init, Mlp } = await import('./webgrad/webgrad.js');
    await init();
    // 7,000 × 65,536 weights: 1.8 GB, under one buffer's 2.1 GB; two of them are over 3.5 GB
    const spec = { inputs: 7000, hidden: [65536], classes: 2 };
    const first = new Mlp(spec);
    let second;
    try { new Mlp(spec); second = 'built'; } catch (e) { second = e.message; }
    const rows = (await first.predict(new Float32Array(7000))).length / 2;
    first.free();
    const third = new Mlp(spec).parameterCount;
    return { second, rows, third };
  });
  expect(said.second).toMatch(/^the model needs 1\.8 GB; [\d.]+ GB are held by the models and data alive, over the limit of 3\.5 GB together \(free\(\) the models you no longer use\)$/);
  expect(said.rows).toBe(1);
  expect(said.third).toBe(458948610);
  expect(errors).toEqual([]);
});
