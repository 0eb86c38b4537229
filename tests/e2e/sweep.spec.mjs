// Sweeps: a grid of runs trained on a pool of workers (navigator.hardwareConcurrency − 1),
// a progress bar, Cancel, a sortable table, a scatter per varied setting, and a run loaded into
// the playground; the page stays responsive while three workers train.
// Screenshot: target/e2e-screenshots/sweep.png.
import { test, expect } from '@playwright/test';
import { expectFewSlowUpdates, forbidCspViolations, longest, mainThreadTasks, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('A sweep of 8 runs on 2 workers: every row, sorted, one loaded; Cancel stops a sweep', async ({ page }) => {
  const errors = watchErrors(page);
  // three cores: two workers for the sweep, one for the page
  await page.addInitScript(() => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 3 }));
  await page.goto('/#data=spiral&samples=200&hidden=8&act=tanh&lr=0.03&batch=10&epochs=3');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await page.getByLabel('Learning rates').fill('0.01 0.1');
  await page.getByLabel('Widths', { exact: true }).fill('4 8');
  await page.getByLabel('Optimizers').fill('sgd adam');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  const status = page.locator('#sweep-status');
  await expect(status).toContainText(/of 8 runs done, 2 workers training/);
  await expect(status).toHaveText('All 8 runs done on 2 workers. Sort the table, or load a run.', { timeout: 90_000 });
  const table = page.getByRole('table', { name: 'Sweep runs' });
  await expect.poll(() => page.url()).toContain('sweep=lr:0.01,0.1;width:4,8;batch:;opt:sgd,adam');
  await expect(table.getByRole('rowheader')).toHaveCount(8);
  await expect(table.locator('tr td:nth-child(5)')).toHaveText(Array(8).fill('done'));
  // the scatter has a panel per varied setting
  await expect(page.getByRole('img', { name: 'Final test loss against learning rate, hidden width, optimizer, each dot a finished run' })).toBeVisible();
  // sorted by test loss: the losses read in order
  await table.getByRole('button', { name: 'test loss' }).click();
  const losses = (await table.locator('tr td:nth-child(6)').allTextContents()).map(Number);
  expect(losses).toEqual([...losses].sort((a, b) => a - b));
  await expect(table.getByRole('button', { name: 'test loss' })).toHaveAttribute('aria-pressed', 'true');
  await page.evaluate(() => { document.querySelector('header.toolbar').style.position = 'static'; });
  await page.locator('section', { has: page.locator('#sweep-heading') }).screenshot({ path: `${shots}/sweep.png` });
  // the best run into the playground
  const best = await table.getByRole('rowheader').first().textContent();
  await table.getByRole('button', { name: `Load run ${best} into the playground` }).click();
  const row = await table.locator('tr', { has: page.getByRole('rowheader', { name: best, exact: true }) }).locator('td').allTextContents();
  await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue(row[0].split(' lr ')[1]);
  await expect(page.getByLabel('Layer 1 width')).toHaveValue(row[1]);
  // the loaded run's link is that run, not the grid again
  await expect.poll(() => page.url()).not.toContain('sweep=');
  // page updates stayed short while the workers trained
  await expectFewSlowUpdates(page);

  // a larger sweep, cancelled: its workers stop and the count stays
  await page.getByLabel('Learning rates').fill('0.001 0.003 0.01 0.03 0.1 0.3');
  await page.getByLabel('Epochs').fill('200');
  await page.getByLabel('Epochs').dispatchEvent('change');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect(status).toContainText(/of 24 runs done/);
  await page.getByRole('button', { name: 'Cancel sweep' }).click();
  await expect(status).toContainText(/^Cancelled: \d+ of 24 runs done\.$/);
  const cancelled = await status.textContent();
  await page.waitForTimeout(1500);
  await expect(status).toHaveText(cancelled);
  await expect.poll(() => page.url()).not.toContain('sweep=');
  // a grid over 64 runs is refused in words
  await page.getByLabel('Batch sizes').fill('8 16 32');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect(page.getByRole('alert').first()).toContainText('the grid has 72 runs; a sweep runs at most 64');
  expect(errors).toEqual([]);
});

test('While 3 sweep workers train, no task of the page works over 50 ms', async ({ page, browser }) => {
  const errors = watchErrors(page);
  // four cores: three workers for the sweep, one for the page (this machine has two, so the
  // workers and the page share them: the bound is on each task's own CPU time, from a trace)
  await page.addInitScript(() => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 4 }));
  await page.goto('/#data=spiral&samples=200&hidden=8&act=tanh&lr=0.03&batch=10&epochs=4');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await page.getByLabel('Learning rates').fill('0.01 0.1 1');
  await page.getByLabel('Optimizers').fill('sgd adam');
  const status = page.locator('#sweep-status');
  const tasks = await mainThreadTasks(browser, page, async () => {
    await page.getByRole('button', { name: 'Start sweep' }).click();
    await expect(status).toContainText(/of 6 runs done, 3 workers training/);
    await expect(status).toHaveText('All 6 runs done on 3 workers. Sort the table, or load a run.', { timeout: 90_000 });
  });
  const worst = longest(tasks);
  console.log(`sweep on 3 workers: ${tasks.length} page tasks, longest ${worst.cpu.toFixed(1)} ms CPU (${worst.what}), ${worst.wall.toFixed(1)} ms wall`);
  expect(worst.cpu).toBeLessThanOrEqual(50);
  await expect(page.getByRole('img', { name: 'Final test loss against learning rate, optimizer, each dot a finished run' })).toBeVisible();
  expect(errors).toEqual([]);
});
