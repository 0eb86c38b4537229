// Runs the peers' browser benchmarks (bench/peers.html) in headless Chromium through Playwright:
// TensorFlow.js 4.22 (`wasm`, `webgpu`) and jax-js 0.1.25 (`wasm`, `webgpu`), each in its own
// dedicated worker, on the data of target/bench-data (`cargo run --release -p webgrad-nn
// --example bench_data -- target/bench-data`). Chromium is Debian's (/usr/bin/chromium) with the
// arguments of webdriver.json — the same browser and flags as webgrad's browser bench
// (scripts/bench-wasm.sh) — launched twice: V8's default tiers, then `--js-flags=--no-liftoff`.
// Prints one JSON line per row: the place is wasm / webgpu (default flags) or
// wasm-no-liftoff / webgpu-no-liftoff, and the load is /proc/loadavg when the row started and
// when it ended (a browser cannot read it).
//
//   node bench/run-peers.mjs [--data DIR] [--only SUBSTRING] [--flags default,no-liftoff]
// --only keeps the runs whose "framework:backend:workload" contains SUBSTRING (repeatable).
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
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const hit = served.find(([prefix]) => path.startsWith(prefix));
  const file = hit && normalize(join(hit[1], path.slice(hit[0].length)));
  if (!file || !file.startsWith(hit[1] + sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': MIME[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const chromeArgs = JSON.parse(readFileSync(join(root, 'webdriver.json'), 'utf8'))['goog:chromeOptions'].args;

let failed = false;
for (const flags of flagSets) {
  const extra = flags === 'no-liftoff' ? ['--js-flags=--no-liftoff'] : [];
  const suffix = flags === 'default' ? '' : `-${flags}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...chromeArgs, ...extra] });
  try {
    const chromeVersion = browser.version();
    for (const [framework, backend] of RUNS) {
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
      await page.goto(`${origin}/bench/peers.html`);
      // a crashed page or worker, or a run past the time limit, becomes an error row; the
      // other runs go on
      const run = page
        .evaluate((spec) => window.runPeer(spec), { framework, backend, workloads, dataUrl: '/data' })
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
server.close();
process.exitCode = failed ? 2 : 0;
