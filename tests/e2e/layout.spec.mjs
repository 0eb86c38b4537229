// The layout, measured: at desktop and phone sizes a person presses Train and watches the loss
// without scrolling; long class names, many classes and wide tables stay inside the page; an
// axe-core scan finds no accessibility violation before or after training. Screenshots of each
// size go to target/e2e-screenshots/layout-*.png (look at them).
import { test, expect } from '@playwright/test';
import { forbidCspViolations, longest, mainThreadTasks, shots, watchErrors } from './helpers.mjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

forbidCspViolations(test, expect);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const sizes = [
  { name: 'desktop-1280x800', width: 1280, height: 800, phone: false },
  { name: 'desktop-1920x1080', width: 1920, height: 1080, phone: false },
  { name: 'phone-390x844', width: 390, height: 844, phone: true },
];

/** The axe-core scan of the whole page (WCAG 2.x A and AA rules): the violations, summarised. */
async function axeViolations(page) {
  // evaluated through the debugger protocol, which the page's CSP does not apply to
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      // every rule still runs on every node; only the passing nodes' CSS selectors (slow to build
      // for a 100 × 100 confusion matrix) are left out
      resultTypes: ['violations'],
    }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} × ${v.nodes[0].target.join(' ')}`);
}

/** True when the element's box lies inside the viewport (the page not scrolled). */
async function inView(page, locator) {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  return box !== null && box.width > 0 && box.y >= 0 && box.x >= 0 && box.y + box.height <= height && box.x + box.width <= width;
}

async function noHorizontalOverflow(page) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  expect(scroll, 'the page is wider than the window').toBeLessThanOrEqual(inner);
}

for (const size of sizes) {
  test(`Layout at ${size.name}: press Train and watch the loss without scrolling`, async ({ page, browser }) => {
    const errors = watchErrors(page);
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration)); })
        .observe({ type: 'longtask', buffered: true });
    });
    const loading = await mainThreadTasks(browser, page, async () => {
      await page.goto('/');
      await expect(page.getByRole('status')).toContainText('Training device', { timeout: 30_000 });
      await expect(page.locator('#data-summary')).toContainText('mnist: 8000 training rows', { timeout: 30_000 });
    });
    // A cold load: no task of the page's main thread works more than 50 ms (its CPU time, from
    // the trace). Its wall time here is that work stretched by the browser's other threads on 2
    // cores (60–100 ms for the first style and layout, the wasm compile and the first worker
    // message), so wall time is bounded as the other tests bound training, and reported.
    const worst = longest(loading);
    console.log(`${size.name} cold load: longest main-thread task ${worst.cpu.toFixed(1)} ms CPU, ${worst.wall.toFixed(1)} ms wall (${worst.what})`);
    expect(worst.cpu).toBeLessThanOrEqual(50);
    // As in the long-session test, one task may be stretched past 150 ms of wall time, none
    // past 300: a fresh-clone CI run measured 163 ms of wall time for a task of 31 ms of CPU
    // (the worker's wasm compile beside the page's on 2 cores).
    const wall = await page.evaluate(() => window.__longTasks);
    expect(wall.filter((ms) => ms > 150).length).toBeLessThanOrEqual(1);
    expect(Math.max(0, ...wall)).toBeLessThanOrEqual(300);
    // a cached load, reported (not asserted: speed claims come from benchmarks): until Train
    // is enabled (the worker runs) and until the data is loaded
    const started = Date.now();
    await page.reload();
    await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled({ timeout: 30_000 });
    const interactive = Date.now() - started;
    await expect(page.locator('#data-summary')).toContainText('mnist: 8000 training rows', { timeout: 30_000 });
    console.log(`${size.name} cached load: Train enabled after ${interactive} ms, data loaded after ${Date.now() - started} ms`);
    await page.screenshot({ path: `${shots}/layout-${size.name}-before.png` });
    expect(await axeViolations(page)).toEqual([]);
    await noHorizontalOverflow(page);

    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Epochs').dispatchEvent('change');
    // as a newcomer sees it: the page and each column at their tops
    await page.evaluate(() => { window.scrollTo(0, 0); for (const p of document.querySelectorAll('main > .panel')) p.scrollTop = 0; });
    await page.getByRole('button', { name: 'Train' }).click();
    await expect(page.locator('#loss-summary')).toContainText(/\(\d+ steps\)/, { timeout: 30_000 });
    // while it trains: the toolbar and a loss chart are on screen, the page has not scrolled
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(await inView(page, page.getByRole('button', { name: 'Pause' }))).toBe(true);
    expect(await inView(page, page.locator('#stats'))).toBe(true);
    const chart = size.phone ? page.getByRole('img', { name: 'Loss curve, compact' }) : page.getByRole('img', { name: 'Loss curve', exact: true });
    expect(await inView(page, chart)).toBe(true);
    if (!size.phone) {
      expect(await inView(page, page.getByRole('img', { name: 'Accuracy curve' }))).toBe(true);
      expect(await inView(page, page.getByRole('combobox', { name: 'Dataset' }))).toBe(true);
    }
    await page.screenshot({ path: `${shots}/layout-${size.name}-training.png` });
    await expect(page.locator('#accuracy')).toContainText('after epoch 1', { timeout: 90_000 });
    await noHorizontalOverflow(page);
    // after the epoch: the evaluation (tables, gallery, drawing) is part of the scan
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${shots}/layout-${size.name}-trained.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
}

test('100 classes with 60-character names and 300 columns stay inside the page', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 30_000 });
  const names = Array.from({ length: 100 }, (_, c) => `class ${String(c).padStart(3, '0')} ${'of a very long and descriptive name '.repeat(2)}`.slice(0, 60));
  const header = [...Array.from({ length: 300 }, (_, j) => `feature_${j}`), 'label'];
  const lines = [header.join(',')];
  for (let r = 0; r < 500; r++) {
    const c = r % 100;
    lines.push([...Array.from({ length: 300 }, (_, j) => ((c * 7 + j * 13 + r) % 17) / 17), names[c]].join(','));
  }
  await page.getByLabel('Load a data file (CSV or TSV; or an IDX / NPY pair; gzip too)')
    .setInputFiles({ name: 'wide.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  await expect(page.locator('#data-summary')).toContainText('wide.csv: 400 training rows, 100 test rows, 300 features, 100 classes', { timeout: 30_000 });
  await noHorizontalOverflow(page);
  await page.getByLabel('Epochs').fill('1');
  await page.getByLabel('Epochs').dispatchEvent('change');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 1', { timeout: 60_000 });
  const confusion = page.getByRole('table', { name: 'Confusion matrix' });
  await expect(confusion).toBeVisible();
  // a compact heatmap: the full name is each header's title, the count each cell's name
  await expect(confusion).toHaveClass(/compact/);
  await expect(confusion.locator('th[title]').first()).toHaveAttribute('title', names[0]);
  await expect(confusion.locator('tr').first().locator('th').nth(1)).toHaveText('0');
  await noHorizontalOverflow(page);
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await noHorizontalOverflow(page);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await confusion.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/layout-100-classes.png` });
  expect(await axeViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
});

test('200 classes: per-class metrics, and the confusion matrix says why it is not drawn', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 30_000 });
  const lines = ['x,y,label'];
  for (let r = 0; r < 1000; r++) lines.push([(r % 200) / 200, ((r * 7) % 13) / 13, `kind ${r % 200}`].join(','));
  await page.getByLabel('Load a data file (CSV or TSV; or an IDX / NPY pair; gzip too)')
    .setInputFiles({ name: 'kinds.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  await expect(page.locator('#data-summary')).toContainText('200 classes', { timeout: 30_000 });
  await page.getByLabel('Epochs').fill('1');
  await page.getByLabel('Epochs').dispatchEvent('change');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 1', { timeout: 60_000 });
  // a row per class and the two averages, under the header
  await expect(page.locator('#per-class tr')).toHaveCount(1 + 200 + 2);
  await expect(page.locator('#confusion')).toBeHidden();
  await expect(page.locator('#confusion-help')).toHaveText(
    'With 200 classes the confusion matrix (200 × 200 cells) is not drawn: it is drawn for up to 128 classes.');
  expect(errors).toEqual([]);
});
