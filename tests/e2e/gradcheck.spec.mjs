// The gradient check in the page: backpropagation's gradient against central differences for 32
// weights per layer on the next batch, a verdict per layer, and the ε slider showing float32
// round-off at tiny steps. Screenshot: target/e2e-screenshots/gradcheck.png.
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('Check gradients: every layer agrees at the default ε; a tiny ε shows round-off', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('#data-summary')).toContainText('mnist: 8000 training rows', { timeout: 30_000 });
  const table = page.getByRole('table', { name: 'Gradient check per layer' });
  await page.getByRole('button', { name: 'Check gradients' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#gradcheck-summary')).toContainText(/^ε = 3\.2e-3: loss [\d.]+ on the next batch of 64 rows/, { timeout: 30_000 });
  await expect(table.getByRole('rowheader')).toHaveText(['layer 1', 'layer 2', 'output layer']);
  const medians = async () => (await table.locator('tr td:nth-child(3)').allTextContents()).map(Number);
  for (const m of await medians()) expect(m).toBeLessThan(1e-3);
  await expect(table.locator('tr td:nth-child(5)')).toHaveText(['agrees', 'agrees', 'agrees']);
  await expect(table.getByRole('img', { name: 'layer 1: the relative error of each of 32 weights' })).toBeVisible();
  await page.locator('section', { has: page.locator('#gradcheck-heading') }).screenshot({ path: `${shots}/gradcheck.png` });
  const atDefault = await medians();
  // ε = 1e-6: the loss differences are below float32's resolution of the outputs
  await page.getByLabel(/^ε =/).fill('-6');
  await page.getByLabel(/^ε =/).dispatchEvent('change');
  await expect(page.locator('#gradcheck-summary')).toContainText(/^ε = 1\.0e-6: loss/, { timeout: 30_000 });
  const tiny = await medians();
  expect(Math.max(...tiny)).toBeGreaterThan(10 * Math.max(...atDefault));
  await expect(table.locator('tr td:nth-child(5)').first()).toContainText(/agrees|close|float32 round-off, not the gradient/);
  await page.locator('section', { has: page.locator('#gradcheck-heading') }).screenshot({ path: `${shots}/gradcheck-tiny-eps.png` });
  expect(errors).toEqual([]);
});
