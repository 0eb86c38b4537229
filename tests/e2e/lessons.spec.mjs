// TensorFlow Playground's 2-D lessons: show or hide the test points, discretize the output,
// draw a new sample of the data — each kept in the link that reproduces the experiment.
// Screenshots go to target/e2e-screenshots/lessons-*.png (look at them).
import { test, expect } from '@playwright/test';
import { forbidCspViolations, shots, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

const plane = (page) => page.getByRole('img', { name: 'Decision boundary' });
const picture = (page) => plane(page).evaluate((c) => c.toDataURL());

test('Show test data, Discretize output and Regenerate: on the plane and in the link', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=circle&samples=200&hidden=4&act=tanh&lr=0.03&batch=10&epochs=2000&showtest=0&discretize=1');
  await expect(page.locator('#data-summary')).toContainText('circle: 100 training rows', { timeout: 30_000 });
  // the link's options are in the controls
  await expect(page.getByLabel('Show test data')).not.toBeChecked();
  await expect(page.getByLabel('Discretize output')).toBeChecked();
  await page.getByRole('button', { name: 'Train' }).click();
  await page.waitForTimeout(1500);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await plane(page).screenshot({ path: `${shots}/lessons-discretized.png` });
  // a discretized plane has two colours only (and white point outlines): count distinct pixels
  const colours = () => plane(page).evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return seen.size;
  });
  const discretized = await colours();
  const before = await picture(page);
  await page.getByLabel('Discretize output').uncheck();
  await expect.poll(() => picture(page)).not.toEqual(before);
  expect(await colours()).toBeGreaterThan(discretized);
  await expect.poll(() => page.url()).not.toContain('discretize=');
  // test points: shown again, and the link forgets the option; training was not reset
  const steps = await page.locator('#stats').textContent();
  const hidden = await picture(page);
  await page.getByLabel('Show test data').check();
  await expect.poll(() => picture(page)).not.toEqual(hidden);
  await expect.poll(() => page.url()).not.toContain('showtest=');
  await page.getByLabel('Discretize output').check();
  await expect.poll(() => page.url()).toContain('discretize=1');
  await expect(page.locator('#stats')).toHaveText(steps);

  // Regenerate: a new sample of the same data, its seed in the link; the model's seed stays
  const points = await page.locator('#data-summary').textContent();
  await page.getByRole('button', { name: 'Regenerate' }).click();
  await expect(page.getByLabel('Data seed')).toHaveValue('2');
  await expect.poll(() => page.url()).toContain('dseed=2');
  await expect.poll(() => page.url()).toContain('seed=1');
  await expect(page.locator('#stats')).toContainText('Ready');
  expect(await page.locator('#data-summary').textContent()).toEqual(points); // same sizes, new points
  await plane(page).screenshot({ path: `${shots}/lessons-regenerated.png` });
  // the link reproduces the regenerated sample
  const link = page.url();
  const regenerated = await picture(page);
  await page.goto('about:blank');
  await page.goto(link);
  await expect(page.locator('#data-summary')).toContainText('circle: 100 training rows', { timeout: 30_000 });
  await expect(page.getByLabel('Data seed')).toHaveValue('2');
  await expect.poll(() => picture(page)).toEqual(regenerated);
  expect(errors).toEqual([]);
});

test('Click the plane to add a training point of the chosen class', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=xor&samples=100&hidden=4&lr=0.03&batch=10&epochs=2000');
  await expect(page.locator('#data-summary')).toContainText('xor: 50 training rows', { timeout: 30_000 });
  await expect(page.getByLabel("New points' class")).toBeVisible();
  await expect(page.getByLabel("New points' value")).toBeHidden();
  const before = await picture(page);
  // three points of class "positive" in the top-left corner, one "negative" below them
  await page.getByLabel("New points' class").selectOption({ label: 'positive' });
  for (const [x, y] of [[20, 20], [30, 24], [24, 34]]) await plane(page).click({ position: { x, y } });
  await expect(page.locator('#data-summary')).toContainText('xor: 53 training rows');
  await page.getByLabel("New points' class").selectOption({ label: 'negative' });
  await plane(page).click({ position: { x: 40, y: 60 } });
  await expect(page.locator('#data-summary')).toContainText('xor: 54 training rows');
  await expect.poll(() => picture(page)).not.toEqual(before);
  // they are trained on: an epoch covers 54 rows (6 batches of at most 10)
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.locator('#stats')).toContainText('step 1');
  await plane(page).screenshot({ path: `${shots}/lessons-added-points.png` });
  // data that is not a plane has no such control
  await page.getByLabel('Dataset').selectOption('iris');
  await expect(page.locator('#data-summary')).toContainText('iris', { timeout: 30_000 });
  await expect(page.getByLabel("New points' class")).toBeHidden();
  expect(errors).toEqual([]);
});

test('Regression on the plane: new points take the value chosen', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=plane&samples=100&hidden=4&epochs=2000');
  await expect(page.locator('#data-summary')).toContainText('plane: 50 training rows', { timeout: 30_000 });
  await expect(page.getByLabel("New points' value")).toBeVisible();
  await page.getByLabel("New points' value").fill('3.5');
  await plane(page).click({ position: { x: 100, y: 100 } });
  await expect(page.locator('#data-summary')).toContainText('plane: 51 training rows');
  // not a number: said, nothing added
  await page.getByLabel("New points' value").fill('');
  await plane(page).click({ position: { x: 120, y: 100 } });
  await expect(page.locator('#error')).toContainText('value of new points');
  await expect(page.locator('#data-summary')).toContainText('plane: 51 training rows');
  expect(errors).toEqual([]);
});

test('Input features: with x₁² and x₂² a model without hidden layers separates the circle', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/#data=circle&samples=400&hidden=&lr=0.1&batch=10&epochs=40&inputs=x1sq,x2sq');
  await expect(page.locator('#data-summary')).toContainText('circle: 200 training rows, 200 test rows, 2 features', { timeout: 30_000 });
  await expect(page.getByLabel('x₁²')).toBeChecked();
  await expect(page.getByLabel('x₁', { exact: true })).not.toBeChecked();
  // the plane still shows the points as they are; the diagram names the model's inputs
  await expect(plane(page)).toBeVisible();
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('after epoch 40', { timeout: 60_000 });
  const accuracy = Number((await page.locator('#accuracy').textContent()).match(/Test accuracy: ([\d.]+) %/)[1]);
  expect(accuracy).toBeGreaterThan(95);
  await page.locator('#boundary-figure').screenshot({ path: `${shots}/lessons-circle-squares.png` });
  await page.locator('#diagram-figure').screenshot({ path: `${shots}/lessons-inputs-diagram.png` });
  // one more feature: three inputs, a new model, in the link
  await page.getByLabel('x₁x₂').check();
  await expect(page.locator('#data-summary')).toContainText('3 features', { timeout: 30_000 });
  await expect.poll(() => page.url()).toContain('inputs=x1sq,x2sq,x1x2');
  await expect(page.locator('#model-expression')).toContainText('nn.Linear(3, 2)');
  // down to one, then none at all: said, and the data of the last choice stays
  for (const f of ['x₁²', 'x₂²']) await page.getByLabel(f).uncheck();
  await expect(page.locator('#data-summary')).toContainText('1 feature,', { timeout: 30_000 });
  await page.getByLabel('x₁x₂').uncheck();
  await expect(page.locator('#error')).toContainText('choose at least one input feature');
  await expect(page.locator('#data-summary')).toContainText('1 feature,');
  expect(errors).toEqual([]);
});
