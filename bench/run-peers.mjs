// Runs the peers' browser benchmarks (bench/peers.html) in headless Chromium through Playwright:
// TensorFlow.js 4.22 (`wasm`, `webgpu`) and jax-js 0.1.25 (`wasm`, `webgpu`), each in its own
// dedicated worker, on the data of target/bench-data (`cargo run --release -p webgrad-nn
// --example bench_data -- target/bench-data`). Chromium is Debian's (/usr/bin/chromium) with the
// arguments of webdriver.json — the same browser and flags as webgrad's browser bench
// (scripts/bench-wasm.sh) — launched once per flag set: `default` (V8's default tiers),
// `no-liftoff` (`--js-flags=--no-liftoff`) and, when asked for, `threads`: V8's default tiers
// with the page served cross-origin isolated (COOP same-origin, COEP require-corp, CORP
// same-origin), so SharedArrayBuffer exists and the peers' wasm backends run threaded on every
// core (navigator.hardwareConcurrency): TF.js's threaded-SIMD build (XNNPACK's pthreadpool,
// tf.wasm.setThreadsCount) and jax-js's WasmWorkerPool; only the wasm backends run there, and
// a worker that is not isolated or not threaded ends in an error row instead of measuring.
// Prints one JSON line per row: the place is wasm / webgpu (default flags), wasm-no-liftoff /
// webgpu-no-liftoff, or wasm-threads, and the load is /proc/loadavg when the row started and
// when it ended (a browser cannot read it).
//
//   node bench/run-peers.mjs [--data DIR] [--only SUBSTRING] [--flags default,no-liftoff,threads]
// --flags defaults to default,no-liftoff. --only keeps the runs whose
// "framework:backend:workload" contains SUBSTRING (repeatable).
import { readFileSync, createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const only = args.flatMap((a, i) => (args[i - 1] === '--only' ? [a] : []));
const dataDir = resolve(opt('--data', join(root, 'target', 'bench-data')));
const flagSets = opt('--flags', 'default,no-liftoff').split(',');
const WORKLOADS = ['mnist_mlp_b64', 'mnist_mlp_b256', 'playground_2-8-8-2_b10', 'matmul_1024x1024x1024', 'matmul_64x784x128'];
const RUNS = [
  ['tfjs', 'wasm'],
  ['jax-js', 'wasm'],
  ['tfjs', 'webgpu'],
  ['jax-js', 'webgpu'],
];
// TF.js wasm at default flags also trains the page's default MNIST setup to 95 % test accuracy,
// beside the page's own row (bench/time-to-accuracy.mjs; place "page")
const TIME_TO_ACCURACY = 'mnist_time_to_95pct';
const TIMEOUT_S = 420;

// --- a static server for bench/, node_modules/ and the data (fetch and wasm need http) -------
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
const served = [
  ['/bench/', join(root, 'bench')],
  ['/node_modules/', join(root, 'node_modules')],
  ['/data/', dataDir],
];
// the `threads` flag set's server also sends the headers of cross-origin isolation (every file
// is same-origin: CORP same-origin is enough for COEP require-corp, the workers included)
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};
const serve = (isolated) => (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const hit = served.find(([prefix]) => path.startsWith(prefix));
  const file = hit && normalize(join(hit[1], path.slice(hit[0].length)));
  if (!file || !file.startsWith(hit[1] + sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    res.writeHead(404).end();
    return;
  }
  const headers = { 'content-type': MIME[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' };
  res.writeHead(200, isolated ? { ...headers, ...ISOLATION } : headers);
  createReadStream(file).pipe(res);
};
const servers = [createServer(serve(false)), createServer(serve(true))];
await Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, '127.0.0.1', ok))));
const [origin, isolatedOrigin] = servers.map((s) => `http://127.0.0.1:${s.address().port}`);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const chromeArgs = JSON.parse(readFileSync(join(root, 'webdriver.json'), 'utf8'))['goog:chromeOptions'].args;

let failed = false;
for (const flags of flagSets) {
  if (!['default', 'no-liftoff', 'threads'].includes(flags)) throw new Error(`unknown flag set ${flags}`);
  const extra = flags === 'no-liftoff' ? ['--js-flags=--no-liftoff'] : [];
  const suffix = flags === 'default' ? '' : `-${flags}`;
  const threads = flags === 'threads';
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...chromeArgs, ...extra] });
  try {
    const chromeVersion = browser.version();
    for (const [framework, backend] of RUNS) {
      if (threads && backend !== 'wasm') continue;
      const all = framework === 'tfjs' && backend === 'wasm' && flags === 'default' ? [...WORKLOADS, TIME_TO_ACCURACY] : WORKLOADS;
      const workloads = all.filter((w) => only.length === 0 || only.some((s) => `${framework}:${backend}:${w}`.includes(s)));
      if (workloads.length === 0) continue;
      const page = await browser.newPage();
      let before = loadavg();
      await page.exposeFunction('reportRow', (row) => {
        const after = loadavg();
        row.place = row.workload === TIME_TO_ACCURACY ? 'page' : `${backend}${suffix}`;
        row.browser = `chromium ${chromeVersion}`;
        row.load = { before, after };
        before = after;
        if (row.error) failed = true;
        console.log(JSON.stringify(row));
      });
      page.on('pageerror', (e) => console.error(`peers page: ${e.message}`));
      await page.goto(`${threads ? isolatedOrigin : origin}/bench/peers.html`);
      // a crashed page or worker, or a run past the time limit, becomes an error row; the
      // other runs go on
      const run = page
        .evaluate((spec) => window.runPeer(spec), { framework, backend, workloads, dataUrl: '/data', threads })
        .then(
          () => null,
          (e) => String((e && e.message) || e),
        );
      let timer;
      const timeout = new Promise((ok) => {
        timer = setTimeout(() => ok(`timed out after ${TIMEOUT_S} s`), TIMEOUT_S * 1e3);
      });
      const error = await Promise.race([run, timeout]);
      clearTimeout(timer);
      if (error) {
        failed = true;
        console.log(JSON.stringify({ framework, backend, place: `${backend}${suffix}`, workload: 'setup', error, load: { before, after: loadavg() } }));
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
}
servers.forEach((s) => s.close());
process.exitCode = failed ? 2 : 0;
