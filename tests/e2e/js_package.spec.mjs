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
  await page.goto(url);
  await expect(page.locator('#result')).toContainText('test accuracy', { timeout: 60_000 });
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
