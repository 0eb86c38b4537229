// The offline app: after one visit the service worker (sw.js, written by web/offline.mjs at build
// time) holds the page, the training workers, the wasm files and the bundled datasets, so the
// page opens and trains with the server gone; the page is installable (Chromium's own check);
// one cache per build, named by the build's version. The spec serves dist/ from a server of its
// own, which it shuts down to go offline (the browser's offline switch alone does not reach the
// service worker's own requests in every Chromium).
import { test, expect } from '@playwright/test';
import { appendFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeOffline } from '../../web/offline.mjs';
import { join } from 'node:path';
import { dist, forbidCspViolations, ISOLATION, pretendCores, serveDist, watchErrors } from './helpers.mjs';

test.use({ serviceWorkers: 'allow' });
forbidCspViolations(test, expect);

test('After one visit the page opens and trains offline, installable, one cache per build', async ({ page, context }) => {
  const errors = watchErrors(page);
  await pretendCores(context, 3); // the threaded worker runs from 3 cores on
  // served as dist/_headers asks: cross-origin isolated, which the cached copies must keep
  const server = await serveDist(dist, ISOLATION);
  await page.goto(`${server.url}#epochs=1`);
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 30_000 });

  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  // the service worker is active with this build's cache: the page, workers, wasm and data
  const version = readFileSync(join(dist, 'sw.js'), 'utf8').match(/const VERSION = "([0-9a-f]{16})"/)[1];
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const cacheName = `webgrad-${version} ${new URL('/', server.url).href}`;
  expect(await page.evaluate(() => caches.keys())).toEqual([cacheName]);
  const cached = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname), cacheName);
  for (const f of ['/', '/worker.js', '/worker_bg.wasm', '/worker_relaxed_bg.wasm', '/worker_threads_loader.js', '/worker_threads_bg.wasm', '/manifest.webmanifest', '/assets/mnist/train-images-idx3-ubyte.gz', '/assets/iris.csv']) {
    expect(cached, f).toContain(f);
  }
  // trunk's hash is unpadded: 16 hex digits or fewer
  expect(cached.some((p) => /^\/app-[0-9a-f]{8,16}_bg\.wasm$/.test(p))).toBe(true);

  // installable: Chromium's own check finds nothing missing but a profile that is not incognito
  // (Playwright's contexts are), and the manifest parses without a complaint
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
  const manifest = await cdp.send('Page.getAppManifest');
  expect(manifest.errors).toEqual([]);
  expect(JSON.parse(manifest.data).short_name).toBe('webgrad');

  // the server gone and the browser offline: the page opens from the cache and trains an epoch
  await server.close();
  await expect(fetch(server.url)).rejects.toThrow();
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 30_000 });
  expect(await page.evaluate(() => self.crossOriginIsolated), 'isolated offline too').toBe(true);
  // the threaded worker and its pool's script come from the cache too
  await expect(page.locator('#backend-status')).toContainText(' threads)', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('Test accuracy', { timeout: 90_000 });
  await context.setOffline(false);
  expect(errors).toEqual([]);
});

test('A new build replaces the cached one once the old pages are closed', async ({ page, context }) => {
  const errors = watchErrors(page);
  context.on('page', (p) => p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`)));
  const site = mkdtempSync(join(tmpdir(), 'webgrad-site-'));
  cpSync(dist, site, { recursive: true });
  const server = await serveDist(site);
  const version = () => readFileSync(join(site, 'sw.js'), 'utf8').match(/const VERSION = "([0-9a-f]{16})"/)[1];
  const first = version();
  // each cache is named by its build and its deployment (the service worker's scope)
  const named = (v) => `webgrad-${v} ${new URL('/', server.url).href}`;
  await page.goto(server.url);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await expect.poll(() => page.evaluate(() => caches.keys())).toEqual([named(first)]);
  // another deployment of webgrad on the same site (another path) keeps its cache through this
  // one's updates (before, each new build deleted every webgrad cache of the site)
  const other = 'webgrad-0123456789abcdef http://127.0.0.1/other-copy/';
  await page.evaluate((name) => caches.open(name).then(() => true), other);

  // a new build: one file changes, the build hook writes sw.js again with a new version
  appendFileSync(join(site, 'index.html'), '<!-- the next build -->\n');
  makeOffline(site);
  const second = version();
  expect(second).not.toBe(first);
  // a visit while a page of the old build is open installs the new worker; it waits
  const next = await context.newPage();
  await page.close();
  await next.goto(server.url);
  await expect.poll(() => next.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting)), { timeout: 30_000 }).toBe(true);
  // both caches while it waits: the open page's build stays whole
  expect((await next.evaluate(() => caches.keys())).sort()).toEqual([named(first), named(second), other].sort());
  // with the old build's pages closed, a later visit runs the new build from its own cache (the
  // browser lets the waiting worker take over a moment after the last old page has gone)
  await next.close();
  let keys = [];
  const after = [named(second), other].sort().join();
  for (let attempt = 0; attempt < 20 && keys.join() !== after; attempt++) {
    await new Promise((done) => setTimeout(done, 500));
    const visit = await context.newPage();
    await visit.goto(server.url);
    keys = (await visit.evaluate(() => caches.keys())).sort();
    await visit.close();
  }
  expect(keys).toEqual([named(second), other].sort());
  await server.close();
  expect(errors).toEqual([]);
});

test('On a host that sends no COOP/COEP, the service worker isolates the next visit, which trains on every core', async ({ page, context }) => {
  const errors = watchErrors(page);
  await pretendCores(context, 3); // the threaded worker runs from 3 cores on, with a pool of 2
  const server = await serveDist(dist);
  await page.goto(`${server.url}#data=spiral&samples=200&hidden=8&epochs=2`);
  // the first visit: not isolated, one thread, and the page says why
  await expect(page.locator('#backend-status')).toContainText('One CPU thread: this page is not cross-origin isolated', { timeout: 30_000 });
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  // the next visit goes through the service worker, which adds the headers
  const next = await context.newPage();
  next.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await next.goto(`${server.url}#data=spiral&samples=200&hidden=8&epochs=2`);
  await expect.poll(() => next.evaluate(() => self.crossOriginIsolated), { timeout: 30_000 }).toBe(true);
  await expect(next.locator('#backend-status')).toContainText('cpu (simd128, 2 threads)', { timeout: 30_000 });
  await next.getByRole('button', { name: 'Train' }).click();
  await expect(next.locator('#accuracy')).toContainText('after epoch 2', { timeout: 60_000 });
  await server.close();
  expect(errors).toEqual([]);
});
