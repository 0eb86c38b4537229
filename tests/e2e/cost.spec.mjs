// What a model costs before Train is pressed: FLOPs per step (forward and backward), weights and
// activations, the time per epoch from the speed the last run measured on this device, and a
// sentence when the model does not fit. Screenshot: target/e2e-screenshots/cost-*.png.
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('Cost before you press Train: FLOPs, memory, time per epoch, and what does not fit', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('#data-summary')).toContainText('mnist: 8000 training rows', { timeout: 30_000 });
  const cost = page.locator('#step-cost');
  // 2·64·(784·128 + 128·64 + 64·10) forward; twice that less the first layer's input gradient
  await expect(cost).toContainText('One step: 14.0 MFLOP forward + 15.1 MFLOP backward; weights 438 KB, a batch\'s activations 510 KB.');
  await expect(cost).toContainText(/Train once on .+ to measure its speed and see the time per epoch\./);
  await page.getByLabel('Epochs').fill('1');
  await page.getByLabel('Epochs').dispatchEvent('change');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 1', { timeout: 60_000 });
  await expect(cost).toContainText(/About [\d.]+ (ms|s) per epoch of 8,000 rows on .+, at the [\d.]+ [kMGT]FLOP\/s its last run measured\./);
  // a wider layer: the FLOPs follow while editing, before any Reset
  await page.getByLabel('Layer 1 width').fill('256');
  await page.getByLabel('Layer 1 width').dispatchEvent('change');
  await expect(cost).toContainText('One step: 27.9 MFLOP forward + 30.0 MFLOP backward');
  await expect(page.locator('#param-count')).toContainText('Reset or Train to apply');
  await expect(page.locator('#cost-fit')).toBeHidden();
  // a batch over the training rows: said while editing as Train says it, not as a memory
  // figure; Train refuses it and the model before is kept
  const fit = page.locator('#cost-fit');
  const batch = page.getByLabel('Batch size', { exact: true });
  await batch.fill('2000000');
  await batch.dispatchEvent('change');
  await expect(fit).toHaveText('Does not fit: batch size 2000000 is larger than the 8000 training rows. Make the layers or the batch smaller.');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByRole('alert').first()).toHaveText('batch size 2000000 is larger than the 8000 training rows');
  await expect(page.locator('#stats')).toHaveText('The model before is kept: change what the message above says and press Reset.');
  await batch.fill('64');
  await batch.dispatchEvent('change');
  // 16 layers of 4,096 units: over the memory budget, said while editing
  for (let layer = 3; layer <= 16; layer++) await page.locator('#add-layer').click();
  for (let layer = 1; layer <= 16; layer++) {
    await page.getByLabel(`Layer ${layer} width`).fill('4096');
    await page.getByLabel(`Layer ${layer} width`).dispatchEvent('change');
  }
  await expect(fit).toContainText(/^Does not fit: training needs [\d.]+ [KMGT]B .*; the limit is .*\. Make the layers or the batch smaller\.$/);
  await page.evaluate(() => { document.getElementById('model-heading').closest('section').scrollTop = 0; });
  await page.locator('section', { has: page.locator('#model-heading') }).screenshot({ path: `${shots}/cost-model-panel.png` });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByRole('alert').first()).toContainText(/^training needs [\d.]+ [KMGT]B/);
  // the same model from a link, on a first visit (no checkpoint to resume): nothing loads, and
  // the page says what to do rather than "Loading…" for ever
  const visit = await browser.newContext();
  const first = await visit.newPage();
  await first.goto(`/#hidden=${Array(16).fill(4096).join(',')}`);
  await expect(first.getByRole('alert').first()).toContainText(/^training needs [\d.]+ [KMGT]B/, { timeout: 30_000 });
  await expect(first.locator('#stats')).toHaveText('Nothing is loaded yet: change what the message above says and press Reset.');
  await visit.close();
  expect(errors).toEqual([]);
});
