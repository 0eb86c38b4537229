// The math of one step: "Inspect step" makes one step and shows each layer's outputs, the loss,
// the gradients, the optimizer's state and the update, and for one unit every formula in
// PyTorch notation with its numbers. Screenshot: target/e2e-screenshots/inspect.png.
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('Inspect step: Adam\'s m, v and update for a chosen unit, step after step', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=spiral&samples=400&hidden=8,4&act=tanh,relu&lr=0.03&batch=10&epochs=100');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await page.getByLabel('Layer', { exact: true }).fill('2');
  await page.getByLabel('Unit', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Inspect step' }).click();
  const summary = page.locator('#inspect-summary');
  await expect(summary).toContainText(/^Step 1 on a batch of 10 rows: loss [\d.]+/, { timeout: 30_000 });
  const layers = page.getByRole('table', { name: 'The step per layer' });
  await expect(layers.getByRole('rowheader')).toHaveText(['layer 1 (tanh)', 'layer 2 (relu)', 'output layer (logits)']);
  await expect(layers.getByRole('img', { name: "histogram of layer 2 (relu)'s outputs on the batch" })).toBeVisible();
  await expect(page.locator('#inspect-unit-title')).toContainText('layer 2, unit 3 (row 2 of W: PyTorch counts from 0), on the batch\'s first row');
  const formulas = page.getByRole('table', { name: "The chosen unit's formulas" });
  for (const f of ['z = x @ W[2].T + b[2]', 'a = nn.ReLU()(z)', 'exp_avg = β1·exp_avg + (1 − β1)·g', 'exp_avg_sq = β2·exp_avg_sq + (1 − β2)·g²', 'p = p − lr·m̂ / (√v̂ + eps)', 'Δp']) {
    await expect(formulas.getByRole('rowheader', { name: f, exact: true })).toBeVisible();
  }
  // at t = 1 Adam's state starts from zeros: exp_avg = 0.9·0 + 0.100·g
  await expect(formulas.locator('tr', { hasText: 'exp_avg = β1' }).locator('td')).toContainText('0.9·0.0000e0 + 0.100·');
  await expect(page.locator('#stats')).toContainText('step 1');
  // the next step: t = 2, the state carried over
  await page.getByRole('button', { name: 'Inspect step' }).click();
  await expect(summary).toContainText(/^Step 2 on a batch/, { timeout: 30_000 });
  await expect(formulas.locator('tr', { hasText: 'm̂ = exp_avg' }).locator('td')).toContainText('t = 2: m̂ =');
  // the toolbar in the flow of the page for the screenshot, so it does not cover the panel's top
  await page.evaluate(() => { document.querySelector('header.toolbar').style.position = 'static'; });
  await page.locator('section', { has: page.locator('#inspect-heading') }).screenshot({ path: `${shots}/inspect.png` });
  // a unit that does not exist is refused in words
  await page.getByLabel('Unit', { exact: true }).fill('9');
  await page.getByRole('button', { name: 'Inspect step' }).click();
  await expect(page.getByRole('alert').first()).toContainText('could not inspect the step: layer 2 has 4 units, not 9');
  expect(errors).toEqual([]);
});
