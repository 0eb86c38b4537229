// The hostile-input corpus (tests/hostile/cases.json), page cases: hostile links, data files and
// model imports each give their exact error on the page, and what was loaded and trained before
// survives (the data summary, the test accuracy, training going on from where it was).
import { test, expect } from '@playwright/test';
import { epochShown, forbidCspViolations } from './helpers.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

forbidCspViolations(test, expect);

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const corpus = JSON.parse(readFileSync(here('../hostile/cases.json'), 'utf8')).cases;
const file = (name) => here(`../hostile/files/${name}`);

async function watch(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return errors;
}

test('Hostile links: each refused value is named (and the rest applied) and the page still works', async ({ page }) => {
  const errors = await watch(page);
  for (const c of corpus.filter((c) => c.surface === 'link')) {
    await page.goto('about:blank'); // each link opened anew
    await page.goto(`/#${c.link}`);
    await expect(page.getByRole('alert'), c.id).toContainText(c.error, { timeout: 30_000 });
    await expect(page.locator('#backend-status'), c.id).toContainText('Training device');
  }
  // and a good link afterwards trains as usual
  await page.goto('about:blank');
  await page.goto('/#data=iris&hidden=16&epochs=2');
  await expect(page.locator('#data-summary')).toContainText('iris: 120 training rows', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 2', { timeout: 30_000 });
  expect(errors).toEqual([]);
});

test('Hostile files and model imports: each is refused and the trained model and its data stay', async ({ page }) => {
  const errors = await watch(page);
  await page.goto('/#data=iris&hidden=16&epochs=1000');
  await expect(page.locator('#data-summary')).toContainText('iris: 120 training rows', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect.poll(epochShown(page), { timeout: 30_000 }).toBeGreaterThan(3);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  const accuracy = await page.locator('#accuracy').textContent();
  const summary = await page.locator('#data-summary').textContent();
  const dataInput = page.getByLabel('Load a data file (CSV or TSV; or an IDX / NPY pair; gzip too)');
  const importInput = page.getByLabel('Import a model (.safetensors)');
  for (const c of corpus.filter((c) => c.surface === 'page-file' || c.surface === 'page-import')) {
    await page.evaluate(() => { document.getElementById('error').textContent = ''; });
    if (c.surface === 'page-file') await dataInput.setInputFiles(c.files.map(file));
    else await importInput.setInputFiles(file(c.file));
    await expect(page.getByRole('alert'), c.id).toContainText(c.error, { timeout: 30_000 });
    await expect(page.locator('#data-summary'), c.id).toHaveText(summary);
    await expect(page.locator('#accuracy'), c.id).toHaveText(accuracy);
  }
  // the model trained before goes on from where it was
  const at = await epochShown(page)();
  await page.evaluate(() => { document.getElementById('error').textContent = ''; });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect.poll(epochShown(page), { timeout: 30_000 }).toBeGreaterThan(at + 2);
  await expect(page.locator('#error')).toHaveText('');
  expect(errors).toEqual([]);
});
