// What a model costs before Train is pressed: FLOPs per step (forward and backward), weights and
// activations, the time per epoch from the speed the last run measured on this device, and a
// sentence when the model does not fit. Screenshot: target/e2e-screenshots/cost-*.png.
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('Cost before you press Train: FLOPs, memory, time per epoch, and what does not fit', async ({ page }) => {
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
  // a batch far over the memory budget: said while editing, and refused by Train
  await page.getByLabel('Batch size', { exact: true }).fill('2000000');
  await page.getByLabel('Batch size', { exact: true }).dispatchEvent('change');
  await expect(page.locator('#cost-fit')).toContainText(/^Does not fit: training needs [\d.]+ [KMGT]B .*; the limit is .*\. Make the layers or the batch smaller\.$/);
  await page.evaluate(() => { document.getElementById('model-heading').closest('section').scrollTop = 0; });
  await page.locator('section', { has: page.locator('#model-heading') }).screenshot({ path: `${shots}/cost-model-panel.png` });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByRole('alert').first()).toContainText(/batch size 2000000 is larger than the 8000 training rows|training needs/);
  expect(errors).toEqual([]);
});
