// Embeds: "Share → Embed" gives an <iframe> snippet of the current experiment with the chosen
// panels hidden by the link's *_hide keys; the embedded page trains inside another page, and at
// 600×400 the toolbar and the curves are in view with nothing wider than the frame.
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

const inView = async (page, locator) => {
  const box = await locator.boundingBox();
  const size = page.viewportSize();
  return box !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= size.height + 1 && box.x + box.width <= size.width + 1;
};

test('Share → Embed: the snippet follows the ticked panels and trains inside another page', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=xor&hidden=4&epochs=3');
  await expect(page.locator('#data-summary')).toContainText('xor', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Embed' }).click();
  const code = page.getByLabel('Embed code: paste it into a web page to show this experiment there');
  await expect(code).toHaveValue(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#data=xor&amp;.*&amp;evaluation_hide=1&amp;experiments_hide=1&amp;share_hide=1" width="800" height="600"/);
  await page.getByRole('checkbox', { name: 'Evaluation', exact: true }).check();
  await expect(code).not.toHaveValue(/evaluation_hide/);
  await page.getByRole('checkbox', { name: 'Data', exact: true }).uncheck();
  await page.getByRole('checkbox', { name: 'Training settings', exact: true }).uncheck();
  const snippet = await code.inputValue();
  await page.locator('#share-panel').screenshot({ path: `${shots}/embed-share-panel.png` });
  expect(snippet).toContain('&amp;data_hide=1&amp;training_hide=1&amp;experiments_hide=1&amp;share_hide=1"');

  // a course page that pastes the snippet: the playground trains in the frame
  const host = await page.context().newPage();
  await host.setViewportSize({ width: 1000, height: 800 });
  await host.setContent(`<!doctype html><title>Course</title><h1>Lesson 3: XOR</h1>${snippet}`);
  const frame = host.frameLocator('iframe[title="webgrad playground"]');
  await expect(frame.locator('#data-summary')).toHaveCount(1);
  await expect(frame.getByRole('button', { name: 'Train' })).toBeVisible({ timeout: 30_000 });
  await expect(frame.getByRole('heading', { name: 'Data' })).toBeHidden();
  await expect(frame.getByRole('heading', { name: 'Keep and share' })).toBeHidden();
  await expect(frame.getByRole('heading', { name: 'Evaluation on the test split' })).toBeVisible();
  await expect(frame.locator('#stats')).toContainText('Ready', { timeout: 30_000 });
  await frame.getByRole('button', { name: 'Train' }).click();
  await expect(frame.locator('#accuracy')).toContainText('Test accuracy', { timeout: 60_000 });
  await host.screenshot({ path: `${shots}/embed-in-a-page.png` });
  expect(errors).toEqual([]);
});

test('An embed at 600×400: toolbar and curves in view, hidden panels gone, nothing sideways', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 600, height: 400 });
  await page.goto('/#data=spiral&hidden=8,8&epochs=4&data_hide=1&model_hide=1&training_hide=1&evaluation_hide=1&experiments_hide=1&share_hide=1');
  await expect(page.locator('#stats')).toContainText('Ready', { timeout: 30_000 });
  for (const name of ['Data', 'Model', 'Evaluation on the test split', 'Race', 'Sweep', 'Keep and share']) {
    await expect(page.getByRole('heading', { name, exact: true })).toBeHidden();
  }
  await page.screenshot({ path: `${shots}/embed-600x400-before.png` });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#loss-summary')).toContainText('steps', { timeout: 30_000 });
  expect(await inView(page, page.getByRole('button', { name: 'Pause' }))).toBe(true);
  // the toolbar's compact curve whole, the Progress panel's curve starting above the fold
  expect(await inView(page, page.getByRole('img', { name: 'Loss curve, compact' }))).toBe(true);
  expect((await page.getByRole('img', { name: 'Loss curve', exact: true }).boundingBox()).y).toBeLessThan(400);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${shots}/embed-600x400-training.png` });
  // the link keeps the hidden panels
  await expect.poll(() => page.url()).toContain('data_hide=1');
  expect(errors).toEqual([]);
});
