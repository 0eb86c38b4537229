// Seeing inside the network: every hidden unit of a 2-D model drawn as a picture of its output
// over the input plane (TensorFlow Playground's view), live while training, each found by its
// name "layer L unit U". Screenshots go to target/e2e-screenshots/neurons-*.png (look at them).
import { test, expect } from '@playwright/test';
import { epochShown, forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

test('Per-neuron pictures: each hidden unit over the plane, live, by keyboard and pointer', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/#data=spiral&samples=400&hidden=6,4&act=tanh,relu&lr=0.03&batch=10&epochs=2000');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  // one picture per unit: 6 in layer 1, 4 in layer 2, each with its layer's name
  await expect(page.locator('#neuron-grid canvas')).toHaveCount(10);
  await expect(page.locator('#neuron-grid')).toContainText('Layer 1 · tanh · 6 units');
  await expect(page.locator('#neuron-grid')).toContainText('Layer 2 · relu · 4 units');
  const unit = page.getByRole('img', { name: 'layer 2 unit 3', exact: true });
  await expect(unit).toBeVisible();
  const first = page.getByRole('img', { name: 'layer 1 unit 1', exact: true });
  const before = await first.evaluate((c) => c.toDataURL());

  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#stats')).toContainText('step', { timeout: 10_000 });
  await page.waitForTimeout(1500);
  // the pictures follow the weights while training
  await expect.poll(() => first.evaluate((c) => c.toDataURL()), { timeout: 10_000 }).not.toEqual(before);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();

  // a link of the diagram: hovering says its weight, clicking opens the editor, Set changes the
  // model while paused (the boundary is drawn again from it). The middle of the link from input 1
  // to layer 1 unit 1 in canvas pixels (300 × 220; columns at 48 + 222·l/3, nodes 11.25 px apart).
  const diagram = page.getByRole('img', { name: 'Network diagram' });
  const at = await diagram.evaluate((c) => ({ x: 85 * c.clientWidth / c.width, y: 93.125 * c.clientHeight / c.height }));
  await diagram.hover({ position: at });
  await expect(page.locator('#diagram-tip')).toContainText(/^from input 1 to layer 1 unit 1: weight -?[\d.]+\. Click to change it\.$/);
  await diagram.click({ position: at });
  await expect(page.getByLabel('Weight from input 1 to layer 1 unit 1')).toBeVisible();
  const boundary = page.getByRole('img', { name: 'Decision boundary' });
  const boundaryBefore = await boundary.evaluate((c) => c.toDataURL());
  await page.getByLabel('Weight from input 1 to layer 1 unit 1').fill('25');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(page.locator('#diagram-tip')).toHaveText('Weight set to 25; it applies from the next step.');
  await expect.poll(() => boundary.evaluate((c) => c.toDataURL()), { timeout: 10_000 }).not.toEqual(boundaryBefore);
  await diagram.hover({ position: { x: at.x, y: at.y + 1 } });
  await expect(page.locator('#diagram-tip')).toHaveText('from input 1 to layer 1 unit 1: weight 25.0000. Click to change it.');
  await page.locator('#diagram-figure').screenshot({ path: `${shots}/diagram-weight.png` });

  // keyboard focus and the pointer both choose the unit drawn large, its range in words (the
  // pointer first leaves the pictures, so that text changing above cannot slide one under it)
  await page.mouse.move(0, 0);
  await unit.focus();
  await expect(page.locator('#neuron-caption')).toContainText(/Layer 2, unit 3 \(relu\) outputs (from -?[\d.]+ to [\d.]+ across|[\d.]+ everywhere on) the plane/);
  await expect(unit).toHaveClass(/focused/);
  await page.getByRole('img', { name: 'layer 1 unit 2', exact: true }).hover();
  await expect(page.locator('#neuron-caption')).toContainText('Layer 1, unit 2 (tanh) outputs from -');
  const large = page.getByRole('img', { name: 'The unit in focus, enlarged' });
  await expect(large).toBeVisible();
  await page.locator('#neurons-figure').scrollIntoViewIfNeeded();
  await page.locator('#neurons-figure').screenshot({ path: `${shots}/neurons-desktop.png` });

  // phone width: the pictures wrap inside the screen
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#neurons-figure').scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.locator('#neurons-figure').screenshot({ path: `${shots}/neurons-phone.png` });

  // data that is not a plane has no such pictures
  await page.getByLabel('Dataset').selectOption('iris');
  await expect(page.locator('#data-summary')).toContainText('iris', { timeout: 30_000 });
  await expect(page.locator('#neurons-figure')).toBeHidden();
  expect(errors).toEqual([]);
});

test('MNIST: what each first-layer unit looks for, its incoming weights as an image, redrawn each epoch', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await expect(page.locator('#data-summary')).toContainText('mnist', { timeout: 30_000 });
  await page.getByLabel('Epochs').fill('20');
  await page.getByLabel('Epochs').dispatchEvent('change');
  await page.getByRole('button', { name: 'Train' }).click();
  // after the first epoch: the default model's first layer has 128 units, the first 32 drawn, 28 × 28 each
  await expect(page.locator('#accuracy')).toContainText('after epoch 1', { timeout: 60_000 });
  await expect(page.locator('#neuron-grid canvas')).toHaveCount(32);
  await expect(page.locator('#neuron-grid')).toContainText('Layer 1 · relu · 128 units, the first 32 drawn');
  await expect(page.locator('#neurons-caption')).toContainText('What each first-layer unit looks for');
  const unit = page.getByRole('img', { name: 'layer 1 unit 7', exact: true });
  expect(await unit.evaluate((c) => [c.width, c.height])).toEqual([28, 28]);
  // paused (an epoch takes a fraction of a second: the pictures are those of the paused model),
  // then the epochs after it redraw them
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await page.waitForTimeout(300);
  const first = await unit.evaluate((c) => c.toDataURL());
  const paused = await epochShown(page)();
  await page.getByRole('button', { name: 'Train' }).click();
  await expect.poll(epochShown(page), { timeout: 60_000 }).toBeGreaterThan(paused);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await expect.poll(() => unit.evaluate((c) => c.toDataURL()), { timeout: 10_000 }).not.toEqual(first);
  await unit.focus();
  await expect(page.locator('#neuron-caption')).toContainText(/Layer 1, unit 7 \(relu\) has incoming weights from -[\d.]+ to [\d.]+\./);
  // each hidden layer's outputs over test rows, as a histogram with its sentence
  await expect(page.getByRole('img', { name: "histogram of layer 2's outputs" })).toBeVisible();
  await expect(page.locator('#activation-histograms')).toContainText(/Layer 1 · relu: outputs from 0\.000 to [\d.]+; \d+ % are exactly 0\./);
  await page.locator('#activations-figure').screenshot({ path: `${shots}/activations-mnist.png` });
  await page.locator('#neurons-figure').scrollIntoViewIfNeeded();
  await page.locator('#neurons-figure').screenshot({ path: `${shots}/neurons-mnist.png` });
  expect(errors).toEqual([]);
});

/** The loss the toolbar shows after one Step of a fresh model (same link, same seed), with the
 * weight from input 1 to layer 1 unit 1 set to `weight` first when given. */
async function firstStepLoss(page, weight) {
  await page.goto('about:blank'); // a fresh load each time (a link differing in nothing is no navigation)
  await page.goto('/#data=spiral&samples=400&hidden=6,4&act=tanh,relu&lr=0.03&batch=10&epochs=2000&seed=3');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  const diagram = page.getByRole('img', { name: 'Network diagram' });
  await expect(diagram).toBeVisible();
  if (weight !== undefined) {
    const at = await diagram.evaluate((c) => ({ x: 85 * c.clientWidth / c.width, y: 93.125 * c.clientHeight / c.height }));
    await diagram.click({ position: at });
    await page.getByLabel('Weight from input 1 to layer 1 unit 1').fill(String(weight));
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await expect(page.locator('#diagram-tip')).toHaveText(`Weight set to ${weight}; it applies from the next step.`);
  }
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.locator('#stats')).toContainText('step 1 — loss');
  return Number((await page.locator('#stats').textContent()).match(/loss ([\d.]+)/)[1]);
}

test('An edited weight is the one the next step trains from', async ({ page }) => {
  const errors = watchErrors(page);
  const plain = await firstStepLoss(page);
  expect(await firstStepLoss(page)).toEqual(plain); // the same seed steps the same
  const edited = await firstStepLoss(page, 25);
  expect(Math.abs(edited - plain)).toBeGreaterThan(1e-3);
  expect(errors).toEqual([]);
});
