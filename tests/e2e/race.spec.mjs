// Races: the form's experiment in 2–3 versions side by side, each in its own worker, from the
// same initial weights and batch order; overlaid losses, a table, the winner with its margin;
// the race in the link. Screenshot: target/e2e-screenshots/race.png.
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

const hashes = async (page) => page.getByRole('table', { name: 'Race lanes' }).locator('tr td:nth-child(6)').allTextContents();

test('The same run twice, from a link: identical losses step for step, identical start', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=spiral&samples=200&hidden=8&act=tanh&lr=0.03&batch=10&epochs=4&race=repeat');
  const winner = page.locator('#race-winner');
  await expect(winner).toContainText(/^A tie: run 1 and run 2 both reach test accuracy [\d.]+ %\.$/, { timeout: 60_000 });
  await expect(page.locator('#race-fairness')).toContainText(/identical losses at all \d+ steps so far: training is reproducible\./);
  const h = await hashes(page);
  expect(h).toHaveLength(2);
  expect(h[0]).toMatch(/^[0-9a-f]{16}$/);
  expect(h[1]).toBe(h[0]);
  // every lane trains with the same kernel (the baseline simd128, whatever each lane's
  // calibration timed: relaxed SIMD rounds differently)
  const devices = await page.getByRole('table', { name: 'Race lanes' }).locator('tr td:nth-child(5)').allTextContents();
  expect(devices).toHaveLength(2);
  for (const d of devices) expect(d).toMatch(/on cpu \(simd128\)$/);
  await expect.poll(() => page.url()).toContain('race=repeat');
  expect(errors).toEqual([]);
});

test('A race leaves the playground\'s checkpoint: a reload after it resumes the model trained before', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=spiral&samples=200&hidden=8&act=tanh&lr=0.03&batch=10&epochs=40');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await page.waitForTimeout(500); // the epoch's checkpoint is written right after its evaluation
  await page.getByLabel('Compare').selectOption('repeat');
  await page.getByRole('button', { name: 'Start race' }).click();
  // each lane builds its model (before, each lane's Reset deleted the playground's checkpoint)
  await expect(page.getByRole('table', { name: 'Race lanes' }).locator('tr td:nth-child(6)')).toHaveText([/^[0-9a-f]{16}$/, /^[0-9a-f]{16}$/], { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop race' }).click();
  await page.reload();
  await expect(page.locator('#stats')).toContainText('Resumed from the checkpoint', { timeout: 30_000 });
  expect(errors).toEqual([]);
});

test('SGD vs momentum vs Adam: three workers, one chart, the winner by its margin', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=spiral&samples=300&hidden=16,16&act=tanh,tanh&lr=0.03&batch=10&epochs=6');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await page.getByLabel('Compare').selectOption('optimizers');
  await page.getByRole('button', { name: 'Start race' }).click();
  await expect(page.getByRole('list', { name: 'Race lanes' }).getByRole('listitem')).toHaveText(['sgd (lr 0.03)', 'momentum (lr 0.03)', 'adam (lr 0.03)']);
  await expect(page.locator('#race-winner')).toContainText(/wins: test accuracy [\d.]+ % against [\d.]+ % for .+, by [\d.]+ points\.|A tie/, { timeout: 90_000 });
  const h = await hashes(page);
  expect(new Set(h).size).toBe(1);
  await expect(page.locator('#race-fairness')).toContainText('Every lane started from the same initial weights');
  await expect(page.getByRole('table', { name: 'Race lanes' }).locator('tr td:nth-child(2)')).toHaveText(['6 epochs, done', '6 epochs, done', '6 epochs, done']);
  // every lane has a speed, though each of its epochs trained in a slice of a few ms
  await expect(page.getByRole('table', { name: 'Race lanes' }).locator('tr td:nth-child(5)')).toHaveText(Array(3).fill(/^\d+ on cpu \(simd128\)$/));
  await expect.poll(() => page.url()).toContain('race=optimizers');
  await page.evaluate(() => { document.querySelector('header.toolbar').style.position = 'static'; });
  await page.locator('section', { has: page.locator('#race-heading') }).screenshot({ path: `${shots}/race.png` });
  expect(errors).toEqual([]);
});

test('WebGPU vs CPU: the same model on both backends, its weights compared after every epoch', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=spiral&samples=200&hidden=8,8&act=tanh,tanh&lr=0.03&batch=10&epochs=3&race=backends');
  await expect(page.locator('#race-winner')).not.toBeEmpty({ timeout: 90_000 });
  const devices = await page.getByRole('table', { name: 'Race lanes' }).locator('tr td:nth-child(5)').allTextContents();
  expect(devices[0]).toMatch(/on wgpu/);
  expect(devices[1]).toMatch(/on cpu/);
  const fairness = await page.locator('#race-fairness').textContent();
  const gap = Number(fairness.match(/After epoch 3 the largest difference between a WebGPU weight and its CPU twin is ([\d.e+-]+)/)[1]);
  console.log(`WebGPU vs CPU after 3 epochs: largest weight difference ${gap}`);
  // float32 sums in another order: tiny, not zero-by-accident nor diverged
  expect(gap).toBeLessThan(1e-3);
  expect(errors).toEqual([]);
});
