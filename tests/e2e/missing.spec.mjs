// A table with missing values: refused by default with the cell named (the loaded data stays);
// with "Missing values" set, its rows are left out or its cells take the training rows' means,
// and the summary and the preview say which. A model trained on filled cells records the fill
// values with its statistics.
import { test, expect } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { exportedModelJson, forbidCspViolations, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

/** 100 rows of two features and a class; `b` is NA in every 5th row (20 rows), `a` empty in
 * row 3; `shift` moves b's values (and so its mean). */
function gapsCsv(name = 'gaps.csv', shift = 0) {
  const lines = ['a,b,kind'];
  for (let i = 0; i < 100; i++) {
    const a = i === 3 ? '' : String(i);
    const b = i % 5 === 0 ? 'NA' : String(((i * 7) % 11) + shift);
    lines.push(`${a},${b},${i % 2 ? 'odd' : 'even'}`);
  }
  return { name, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n') };
}

/** The fill values an export records now. */
async function recordedFills(page) {
  return (await exportedModelJson(page)).preprocessing.fill_missing;
}

test('Missing values: refused by default, or their rows left out, or filled with the training means', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 30_000 });
  const summary = page.locator('#data-summary');
  const before = await summary.textContent();
  const fileInput = page.getByLabel('Load a data file (CSV or TSV; or an IDX / NPY pair; gzip too)');
  const policy = page.getByLabel('Missing values (empty, NA, NaN, null, ?)');
  await expect(policy).toHaveValue('refuse');

  // refused, naming the first missing cell; the data loaded before stays
  await fileInput.setInputFiles(gapsCsv());
  await expect(page.getByRole('alert')).toContainText('gaps.csv: line 2, column 2 ("b")');
  await expect(page.getByRole('alert')).toContainText('missing value "NA"');
  await expect(summary).toHaveText(before);

  // rows with a missing cell left out: rows 0, 3, 5, …, 95 (21 of 100)
  await policy.selectOption('drop');
  await fileInput.setInputFiles(gapsCsv());
  await expect(summary).toContainText('2 features, 2 classes. 21 rows with a missing value left out.', { timeout: 30_000 });
  const [, train, test] = (await summary.textContent()).match(/^gaps\.csv: (\d+) training rows, (\d+) test rows/);
  expect(Number(train) + Number(test)).toBe(79);

  // filled with the training rows' means: every row stays, and the preview marks the gaps
  await policy.selectOption('mean');
  await fileInput.setInputFiles(gapsCsv());
  await expect(summary).toContainText('gaps.csv: 80 training rows, 20 test rows, 2 features, 2 classes. Missing values in 21 rows filled with the training rows\' means.', { timeout: 30_000 });
  const preview = page.getByRole('table', { name: 'Data preview' });
  await expect(preview.locator('tr').nth(1).locator('td').nth(1)).toHaveText('missing');
  await expect(preview.locator('tr').nth(4).locator('td').first()).toHaveText('missing');
  await page.getByLabel('Epochs').fill('3');
  await page.getByLabel('Epochs').dispatchEvent('change');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 3', { timeout: 60_000 });
  const testAccuracy = async () => (await page.locator('#accuracy').textContent()).match(/Test accuracy: ([\d.]+ %)/)[1];
  const trainedAccuracy = await testAccuracy();
  await expect(page.locator('#loss-summary')).not.toContainText('NaN');

  // the exported model records the fill values: finite, one per feature
  const trained = await recordedFills(page);
  expect(trained).toHaveLength(2);
  expect(trained.every(Number.isFinite)).toBe(true);
  const link = page.getByRole('link', { name: /^Download .*\.safetensors$/ });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = fileURLToPath(new URL('../../target/e2e-results/gaps-model.safetensors', import.meta.url));
  await download.saveAs(saved);

  // other data of the same columns, whose own means differ: the imported model's cells take the
  // values it was trained with, and a Reset's new model this data's own again
  await fileInput.setInputFiles(gapsCsv('shifted.csv', 40));
  await expect(summary).toContainText('shifted.csv: 80 training rows', { timeout: 30_000 });
  const own = await recordedFills(page);
  expect(own[1]).toBeGreaterThan(trained[1] + 30);
  await page.getByLabel('Import a model (.safetensors)').setInputFiles(saved);
  await expect(page.locator('#stats')).toContainText('Imported gaps-model.safetensors', { timeout: 30_000 });
  await expect(page.locator('#stats')).toContainText('Note: missing cells hold the values it was trained with, its training rows\' means.');
  await expect(summary).toContainText('Missing values in 21 rows filled with the model\'s values, the means of the rows it was trained on.');
  expect(await recordedFills(page)).toEqual(trained);
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page.locator('#stats')).toContainText('Ready. Press Train.', { timeout: 30_000 });
  await expect(summary).toContainText('Missing values in 21 rows filled with the training rows\' means.');
  expect(await recordedFills(page)).toEqual(own);

  // the training table with its columns in another order: read in the model's layout, by
  // name, the model scores as it did at the end of training
  const columns = (csv, pick) => csv.split('\n').map((line) => (line ? pick(line.split(',')).join(',') : line)).join('\n');
  const swapped = columns(gapsCsv().buffer.toString(), ([a, b, kind]) => [b, a, kind]);
  await fileInput.setInputFiles({ name: 'swapped.csv', mimeType: 'text/csv', buffer: Buffer.from(swapped) });
  await expect(summary).toContainText('swapped.csv: 80 training rows', { timeout: 30_000 });
  await page.getByLabel('Import a model (.safetensors)').setInputFiles(saved);
  await expect(page.locator('#stats')).toContainText('Imported gaps-model.safetensors', { timeout: 30_000 });
  await expect(page.locator('#stats')).toContainText('Note: this table\'s columns b, a are read as the model\'s a, b.');
  await expect(page.locator('#accuracy')).toContainText('after epoch 0');
  expect(await testAccuracy()).toBe(trainedAccuracy);

  // a table without one of the model's columns: refused, naming it
  const fewer = columns(gapsCsv().buffer.toString(), ([, b, kind]) => [b, kind]);
  await fileInput.setInputFiles({ name: 'fewer.csv', mimeType: 'text/csv', buffer: Buffer.from(fewer) });
  await expect(summary).toContainText('fewer.csv: 80 training rows', { timeout: 30_000 });
  await page.getByLabel('Import a model (.safetensors)').setInputFiles(saved);
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText('gaps-model.safetensors: no column \'a\', which the model was trained on (a, b)', { timeout: 30_000 });
  await expect(page.locator('#stats')).toContainText('Ready. Press Train.');
  expect(errors).toEqual([]);
});

test('A link to a table carries its missing-values policy into the control and the load', async ({ page }) => {
  const errors = watchErrors(page);
  const csv = gapsCsv().buffer.toString();
  // a data: URL (the page's CSP allows it), percent-encoded once for the URL and once for the link
  const url = `data:text/csv,${encodeURIComponent(csv)}`;
  await page.goto(`/#data=url&url=${encodeURIComponent(url)}&missing=drop`);
  await expect(page.locator('#data-summary')).toContainText('2 features, 2 classes. 21 rows with a missing value left out.', { timeout: 30_000 });
  await expect(page.getByLabel('Missing values (empty, NA, NaN, null, ?)')).toHaveValue('drop');
  await expect.poll(() => page.url()).toContain('&missing=drop');
  // the data's name, a URL thousands of characters long without a space, is shortened to its
  // ends in the summary, and nothing on the page widens it
  const shown = await page.locator('#data-summary').textContent();
  expect(shown).toMatch(/^data:text\/csv,a%2Cb%2Ckind.{24}….{25}: \d+ training rows/);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  expect(errors).toEqual([]);
});

test('A checkpoint of an imported model that reads a table in its own column order resumes after a reload', async ({ page }) => {
  const errors = watchErrors(page);
  const link = (csv) => `/#data=url&url=${encodeURIComponent(`data:text/csv,${encodeURIComponent(csv)}`)}&missing=mean`;
  const csv = gapsCsv().buffer.toString();
  const swapped = csv.split('\n').map((line) => (line ? ((c) => [c[1], c[0], c[2]].join(','))(line.split(',')) : line)).join('\n');
  const summary = page.locator('#data-summary');
  await page.goto(link(csv));
  await expect(summary).toContainText('80 training rows', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.locator('#loss-summary')).toContainText('(1 steps)', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Export model' }).click();
  const model = page.getByRole('link', { name: /^Download .*\.safetensors$/ });
  const [download] = await Promise.all([page.waitForEvent('download'), model.click()]);
  const saved = fileURLToPath(new URL('../../target/e2e-results/ab-model.safetensors', import.meta.url));
  await download.saveAs(saved);

  // a link that changes only the fragment reloads the page (hashchange): wait for the new page,
  // or the old page's summary passes the check and the import meets a worker with no data yet
  await Promise.all([page.waitForEvent('load'), page.goto(link(swapped))]);
  await expect(summary).toContainText('80 training rows', { timeout: 30_000 });
  await page.getByLabel('Import a model (.safetensors)').setInputFiles(saved);
  await expect(page.locator('#stats')).toContainText('Note: this table\'s columns b, a are read as the model\'s a, b.', { timeout: 30_000 });
  // the imported model is checkpointed at once: a reload before any epoch resumes it (before,
  // the page started the link's experiment afresh)
  await page.waitForTimeout(500);
  await page.reload();
  await expect(page.locator('#stats')).toContainText('Resumed from the checkpoint', { timeout: 30_000 });
  // (80 rows: the 5 epochs are over in a moment)
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 5', { timeout: 60_000 });
  // a confusion cell's examples are headed by the columns in the order the rows now are, the
  // model's a, b (a counts 0–99, b stays within 0–10), not the file's b, a
  const examples = page.getByRole('table', { name: 'Examples of the chosen cell' });
  const cells = page.getByRole('button', { name: /examples of (odd|even) predicted as (odd|even)$/ });
  let firsts = [];
  for (let i = 0; i < (await cells.count()) && firsts.length === 0; i++) {
    await cells.nth(i).click();
    await expect(examples).toBeVisible();
    await expect(examples.locator('tr').first().locator('th')).toHaveText(['a', 'b', 'label']);
    firsts = (await examples.locator('tr').locator('td:first-child').allTextContents()).map(Number);
  }
  expect(firsts.length).toBeGreaterThan(0);
  expect(Math.max(...firsts)).toBeGreaterThan(10);
  await page.waitForTimeout(500); // the epoch's checkpoint is written right after its evaluation
  await page.reload();
  await expect(page.locator('#stats')).toContainText('Resumed from the checkpoint', { timeout: 30_000 });
  await expect(page.locator('#error')).toHaveText('');
  expect(errors).toEqual([]);
});
