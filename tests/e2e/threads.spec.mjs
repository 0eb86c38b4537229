// Threads in the browser (issue 16): where the page is cross-origin isolated it starts the
// threaded worker (xtask/src/threads.rs: rayon over Web Workers sharing one wasm memory), whose
// device line names its thread count, and a large GEMM is split over the pool with each output
// computed by one thread in one order, so training gives the same bits as on one thread. Where
// the page is not isolated, or the threaded worker does not start, the single-thread worker
// trains and the page says why.
import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureWorker, dist, epochShown, forbidCspViolations, ISOLATION, panicAndRestore, pretendCores, serveDist, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);
// 3 cores as the page sees them: the threaded worker, with a pool of 2 (this machine's cores)
test.beforeEach(({ context }) => pretendCores(context, 3));

// MNIST at batch 256: its GEMMs from 2²¹ multiply-adds on (the first layer's 256 × 784 × 128 and
// the second's 256 × 128 × 64) and its first layer's Adam update run on every thread of the pool
const RUN = '#data=mnist&hidden=128,64&batch=256&epochs=1&seed=5';

/** Trains RUN for its one epoch; returns the device line, the last loss shown and the SHA-256
 * of the exported model's bytes. */
async function trainAndExport(page, url, name) {
  await page.goto(url + RUN);
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 60_000 });
  await expect(page.locator('#backend-status')).toContainText('Training device: cpu', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 1', { timeout: 120_000 });
  await page.screenshot({ path: `${shots}/threads-${name}.png` });
  await page.getByRole('button', { name: 'Export model' }).click();
  const link = page.getByRole('link', { name: 'Download webgrad-model.safetensors' });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = fileURLToPath(new URL(`../../target/e2e-results/threads-${name}.safetensors`, import.meta.url));
  await download.saveAs(saved);
  return {
    device: await page.locator('#backend-status').textContent(),
    stats: await page.locator('#stats').textContent(),
    model: createHash('sha256').update(readFileSync(saved)).digest('hex'),
  };
}

test('Cross-origin isolated, the CPU trains on every core and gives the bits of one thread @no-webgpu', async ({ page }) => {
  const errors = watchErrors(page);
  const server = await serveDist(undefined, ISOLATION);
  const threaded = await trainAndExport(page, server.url, 'isolated');
  await server.close();
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  expect(threaded.device).toContain('cpu (simd128, 2 threads)');
  expect(threaded.device).not.toContain('One CPU thread');

  // the same run on a plain static server (no COOP/COEP): one thread, and the page says why.
  // The threaded build's kernel is simd128's; the single-thread worker would load the relaxed
  // one where the browser has relaxed SIMD (it rounds differently), so it gets the simd128 one.
  const plain = readFileSync(join(dist, 'worker_loader.js'));
  await page.route('**/worker_relaxed_loader.js', (route) => route.fulfill({ contentType: 'text/javascript', body: plain }));
  const single = await trainAndExport(page, '/', 'single');
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  expect(single.device).toMatch(/cpu \(simd128\)\. .*One CPU thread: this page is not cross-origin isolated/);
  expect(threaded.model, 'the exported weights, bit for bit').toBe(single.model);
  expect(threaded.stats.replace(/ — [\d.]+ samples\/s/, '')).toBe(single.stats.replace(/ — [\d.]+ samples\/s/, ''));
  expect(errors).toEqual([]);
});

test('Isolated on a 2-core computer, the page keeps the single-thread worker and says why @no-webgpu', async ({ browser }) => {
  const context = await browser.newContext();
  await pretendCores(context, 2);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const server = await serveDist(undefined, ISOLATION);
  await page.goto(`${server.url}#data=spiral&samples=200&hidden=8&epochs=2`);
  await expect(page.locator('#backend-status')).toContainText('One CPU thread: this computer has 2 CPU cores or fewer', { timeout: 30_000 });
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  await expect(page.locator('#backend-status')).not.toContainText('threads)');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 2', { timeout: 60_000 });
  await server.close();
  await context.close();
  expect(errors).toEqual([]);
});

test('A threaded worker that does not start gives way to the single-thread one, which trains @no-webgpu', async ({ page }) => {
  const errors = watchErrors(page);
  const server = await serveDist(undefined, ISOLATION);
  // the threaded module fails to load (as a host missing the file would)
  await page.route('**/worker_threads.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(`${server.url}#data=spiral&samples=200&hidden=8&epochs=2`);
  await expect(page.locator('#backend-status')).toContainText('One CPU thread: the threaded worker did not start', { timeout: 30_000 });
  await expect(page.locator('#error')).toHaveText('');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 2', { timeout: 60_000 });
  await server.close();
  expect(errors.filter((e) => !/worker_threads\.js|404/.test(e))).toEqual([]);
});

test('A thread pool that never starts times out, and the single-thread worker trains @no-webgpu', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  const server = await serveDist(undefined, ISOLATION);
  // the pool's workers load but never say they are ready (as one that failed to load would)
  await page.route('**/workerHelpers.no-bundler.js', async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace("postMessage({ type: 'wasm_bindgen_worker_ready' });", '');
    await route.fulfill({ response, body });
  });
  await page.goto(`${server.url}#data=spiral&samples=200&hidden=8&epochs=2`);
  await expect(page.locator('#backend-status')).toContainText('One CPU thread: the threaded worker did not start', { timeout: 60_000 });
  await expect(page.locator('#backend-status')).toContainText('the thread pool did not start within 20 s');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 2', { timeout: 60_000 });
  await server.close();
  expect(errors.filter((e) => !/thread pool did not start/.test(e))).toEqual([]);
});

test('A threaded worker that fails while training is replaced by a single-thread one, which continues @no-webgpu', async ({ page }) => {
  const errors = watchErrors(page);
  await captureWorker(page);
  const server = await serveDist(undefined, ISOLATION);
  await page.goto(`${server.url}#data=circle&samples=200&hidden=8&epochs=500`);
  await expect(page.locator('#backend-status')).toContainText(' threads)', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect.poll(epochShown(page), { timeout: 30_000 }).toBeGreaterThan(2);
  const restored = await panicAndRestore(page);
  await expect(page.locator('#backend-status')).toContainText('One CPU thread: the threaded worker failed');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect.poll(epochShown(page), { timeout: 30_000 }).toBeGreaterThan(restored + 2);
  await server.close();
  // the panic the test asked for is printed by the worker, as in the single-thread test
  expect(errors.filter((e) => !/panic|unreachable|asked the worker to panic/i.test(e))).toEqual([]);
});
