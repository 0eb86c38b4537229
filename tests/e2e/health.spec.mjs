// The health of each layer, live: units off, gradient norm and update size as sparklines beside
// the loss curve, alerts in words that name the layer, the step and a remedy, and a loss that
// turns NaN taken back to the weights from before the step that broke it.
// Screenshots go to target/e2e-screenshots/health-*.png (look at them).
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('A too-high learning rate kills ReLU units: the layer is named, with the step and a remedy', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/#data=spiral&samples=1000&hidden=128,64&act=relu,relu&opt=sgd&lr=5&batch=64&epochs=2000');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await expect(page.locator('#health-figure')).toBeHidden();
  await page.getByRole('button', { name: 'Train' }).click();
  const alerts = page.getByRole('list', { name: 'Health alerts' });
  await expect(alerts).toContainText(
    /layer \d: \d+ % of ReLU units output 0 on every sample since step [\d,]+ — try a lower learning rate or leaky ReLU/,
    { timeout: 30_000 },
  );
  // a row per linear layer, a sparkline and a value per figure
  const table = page.getByRole('table', { name: 'Health of each layer' });
  await expect(table.getByRole('rowheader')).toHaveText(['layer 1 (relu)', 'layer 2 (relu)', 'output layer']);
  await expect(table.locator('canvas.spark')).toHaveCount(9);
  await expect(table.getByRole('img', { name: 'layer 2 (relu): units off over the run' })).toBeVisible();
  await expect(table.locator('span.spark-value').nth(3)).toHaveText(/^\d+ % dead$/);
  await expect(table.locator('span.spark-value').nth(2)).toHaveText(/^[\d.e-]+ %$/);
  await expect(table.locator('span.spark-value').nth(6)).toHaveText('n/a');
  await expect(page.locator('#health-step')).toContainText(/Last window ended at step \d+/);
  // the first layer's huge steps end once its units die: its line stays, muted, and says so
  await expect(alerts.locator('li.over').filter({ hasText: /^layer 1: each step changes the weights by/ }))
    .toContainText(/Over after step [\d,]+\.$/);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  // sparklines are drawn: some pixel is not blank
  const inked = await table.locator('canvas.spark').first().evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
    return n;
  });
  expect(inked).toBeGreaterThan(200);
  // tall enough that the whole panel shows below the sticky toolbar
  const figure = page.locator('#health-figure');
  await page.setViewportSize({ width: 1280, height: 1800 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('section', { has: page.locator('#progress-heading') }).screenshot({ path: `${shots}/health-desktop.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await figure.scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.locator('section', { has: page.locator('#progress-heading') }).screenshot({ path: `${shots}/health-phone.png` });
  // one line per condition: one that clears and begins again (an update size hovering about its
  // threshold) replaces its line and says how often; lines differ in more than their numbers
  const lines = await alerts.locator('li').allTextContents();
  const shape = (line) => {
    const [layer, ...what] = line.replace(/\. Seen \d+ times this run\.$/, '').split(': ');
    return `${layer}: ${what.join(': ').replace(/\d[\d.,]*(e-?\d+)?/g, '#')}`;
  };
  const shapes = lines.map(shape);
  expect(new Set(shapes).size, lines.join('\n')).toBe(shapes.length);
  // a new model starts with no readings and no alerts
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(figure).toBeHidden();
  await expect(alerts).toBeHidden();
  expect(errors).toEqual([]);
});

test('A loss that turns NaN: the layer and operation named, the weights from before kept, training goes on at a lower rate', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=plane&samples=400&hidden=16,16&act=tanh,tanh&opt=sgd&lr=10&batch=10&epochs=2000');
  await expect(page.locator('#data-summary')).toContainText('plane', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  const error = page.locator('#error');
  await expect(error).toContainText('Training stopped: the loss became NaN or infinite. At step', { timeout: 30_000 });
  await expect(error).toContainText(/became non-finite \((NaN|inf)\)/);
  await expect(error).toContainText(/the weights from before step [\d,]+ are kept; lower the learning rate \(now 10\) and continue/);
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await expect(page.getByRole('list', { name: 'Health alerts' })).toContainText('Training stopped');
  // the kept weights give finite outputs: lower the rate and go on, without a Reset
  await page.getByLabel('Learning rate', { exact: true }).fill('0.01');
  await page.getByLabel('Learning rate', { exact: true }).dispatchEvent('change');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText(/R² -?[\d.]+ after epoch [1-9]/, { timeout: 30_000 });
  await expect(page.locator('#stats')).toContainText(/loss \d+\.\d+/);
  await expect(page.locator('#stats')).not.toContainText('NaN');
  await page.getByRole('button', { name: 'Pause' }).click();
  expect(errors).toEqual([]);
});
