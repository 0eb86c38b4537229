// Shared by the end-to-end specs.
import { expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the specs keep screenshots of the main views, as test artifacts (look at them). */
export const shots = fileURLToPath(new URL('../../target/e2e-screenshots', import.meta.url));
mkdirSync(shots, { recursive: true });

/** The built page (`trunk build --release`). */
export const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.webmanifest': 'application/manifest+json', '.svg': 'image/svg+xml', '.gz': 'application/gzip', '.csv': 'text/csv',
};

/** A static server of `root` on a free port; returns { url, close() } (close drops open
 * connections). `headers` go with every response (the hosts' isolation headers, dist/_headers). */
export async function serveDist(root = dist, headers = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }) };
}

/** Makes the pages of `target` (a page or a browser context) report `n` CPU cores
 * (`navigator.hardwareConcurrency`), as the page reads them to decide on threads: it runs the
 * threaded worker from 3 cores on, with a pool of one thread fewer. The workers still see the
 * machine's own count. */
export async function pretendCores(target, n) {
  await target.addInitScript((cores) => {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores });
  }, n);
}

/** The headers dist/_headers asks a host to send: cross-origin isolation. */
export const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

/** Collects console errors and uncaught exceptions; a test ends by expecting the list empty. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Every test of the spec: no Content-Security-Policy violation (index.html's CSP forbids inline
 * script and inline styles; a violation means a feature broke under it, or an injection was
 * attempted). */
export function forbidCspViolations(test, expect) {
  test.beforeEach(async ({ page }) => {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
    });
    page.__csp = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) page.__csp.push(m.text()); });
  });
  test.afterEach(async ({ page }) => {
    expect(page.__csp).toEqual([]);
    const seen = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
    expect(seen).toEqual([]);
  });
}

/** The last evaluated epoch the page shows ("… after epoch N"), as a poll function. */
export const epochShown = (page) => async () =>
  Number(((await page.locator('#accuracy').textContent()).match(/after epoch (\d+)/) || [0, 0])[1]);

/** The page's own updates (each worker message handled, each loss-chart render; the page times
 * them on the chart) that took over 50 ms are at most 2, or 1 % of all the updates in a long
 * session. A garbage collection or the OS preempting the tab on this 2-core machine, with the
 * worker, the test runner and the server busy, takes a few of a minute's thousands of updates
 * past 50 ms (a fresh-clone CI run counted 4); a page that falls behind its messages makes most
 * of them slow. */
export async function expectFewSlowUpdates(page) {
  const chart = page.locator('#loss-chart');
  const slow = Number(await chart.getAttribute('data-slow-updates') ?? '0');
  const all = Number(await chart.getAttribute('data-updates') ?? '0');
  expect(all).toBeGreaterThan(0);
  expect(slow, `${slow} of ${all} page updates took over 50 ms`).toBeLessThanOrEqual(Math.max(2, Math.floor(all / 100)));
}

/** Exports the model and returns its JSON twin, parsed (each export makes a new link). */
export async function exportedModelJson(page) {
  const jsonLink = page.getByRole('link', { name: /^Download .*\.json$/ });
  const before = (await jsonLink.count()) ? await jsonLink.getAttribute('href') : null;
  await page.getByRole('button', { name: 'Export model' }).click();
  await expect(jsonLink).not.toHaveAttribute('href', before ?? '');
  return JSON.parse(await jsonLink.evaluate(async (a) => (await fetch(a.href)).text()));
}

/** Runs `body` under a Chrome trace and returns the page's main-thread tasks from it (not those
 * of the test's own DevTools commands), each as `{ wall, cpu, what }` in ms: `wall` from start
 * to end, `cpu` the time the thread actually ran, `what` the largest parts of a long one.
 * On this 2-core machine the browser's own threads and the training workers take the cores in
 * turns, which stretches a task's wall time 2–5× past the work it does; its CPU time is the
 * page's own cost, what a user's idle cores would see as its wall time. */
export async function mainThreadTasks(browser, page, body) {
  await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline', '__metadata'] });
  let traceEvents;
  try {
    await body();
  } finally {
    ({ traceEvents } = JSON.parse((await browser.stopTracing()).toString()));
  }
  // the renderer process of the page's main frame: the frame the trace began in, or the one a
  // navigation under the trace committed (not about:blank's)
  const frames = traceEvents.flatMap((e) => (e.name === 'TracingStartedInBrowser' ? e.args.data.frames ?? []
    : e.name === 'FrameCommittedInBrowser' ? [e.args.data] : []));
  const pages = new Set(frames.filter((f) => f.isOutermostMainFrame && f.url.startsWith('http')).map((f) => f.processId));
  const main = new Set(traceEvents
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'CrRendererMain' && pages.has(e.pid))
    .map((e) => `${e.pid}:${e.tid}`));
  if (main.size === 0) throw new Error('the trace holds no main thread of the page');
  const onMain = traceEvents.filter((e) => e.ph === 'X' && main.has(`${e.pid}:${e.tid}`));
  // what a long task did: its three largest parts by CPU time, for the failure message
  const parts = (t) => onMain
    .filter((e) => e !== t && e.tid === t.tid && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && !e.name.includes('RunTask'))
    .filter((e) => (e.tdur ?? e.dur) >= 1000).sort((a, b) => (b.tdur ?? 0) - (a.tdur ?? 0)).slice(0, 3)
    .map((e) => `${e.name} ${((e.tdur ?? e.dur) / 1000).toFixed(0)} ms`).join(', ');
  // Playwright drives the page through the DevTools protocol: its messages (injecting its
  // scripts, evaluating a locator, resizing the viewport) run as tasks of the page's thread
  // that the page did not ask for
  const harness = onMain.filter((e) => e.args?.chrome_mojo_event_info?.mojo_interface_tag === 'blink.mojom.DevToolsSession');
  const byHarness = (t) => harness.some((e) => e.tid === t.tid && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
  const tasks = onMain
    .filter((e) => e.name === 'RunTask' && !byHarness(e))
    .map((e) => ({ wall: e.dur / 1000, cpu: (e.tdur ?? e.dur) / 1000, what: (e.tdur ?? e.dur) > 30_000 ? parts(e) : '' }));
  // a trace that lost the page's tasks (another event name, a full buffer) must not pass as "fast"
  if (tasks.length < 20) throw new Error(`the trace holds only ${tasks.length} tasks of the page's main thread`);
  if (tasks.every((t) => t.cpu === t.wall)) throw new Error('the trace has no CPU times (tdur) for the page\'s tasks');
  return tasks;
}

/** The longest of `tasks` (from `mainThreadTasks`) by CPU time (with what it did) and the
 * longest by wall time, in ms. */
export function longest(tasks) {
  const worst = tasks.reduce((a, t) => (t.cpu > a.cpu ? t : a), { cpu: 0, what: '' });
  return { cpu: worst.cpu, what: worst.what, wall: Math.max(0, ...tasks.map((t) => t.wall)) };
}

/** Keeps the page's training worker reachable as `window.__trainingWorker` (the last Worker the
 * page made); call before the page loads. */
export async function captureWorker(page) {
  await page.addInitScript(() => {
    const Base = window.Worker;
    window.Worker = class extends Base {
      constructor(...args) {
        super(...args);
        window.__trainingWorker = this;
      }
    };
  });
}

/** Makes the captured training worker panic (the test message `panic`), waits until the page
 * has replaced it and says what it restored, and returns the epoch the model was restored at. */
export async function panicAndRestore(page) {
  await page.evaluate(() => window.__trainingWorker.postMessage({ kind: 'panic' }));
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('The training worker failed and was replaced. Restored: the data and the model after epoch', { timeout: 30_000 });
  return Number((await alert.textContent()).match(/after epoch (\d+)/)[1]);
}
