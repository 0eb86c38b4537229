// "Export as a PyTorch project": the page's zip holds train.py with this run's settings, the
// checkpoint, model.json and the data; Python (.venv-check, made by scripts/setup.sh) unpacks it
// and compiles train.py. With WEBGRAD_TORCH_PYTHON (a Python with torch; not in the default test
// command) train.py runs an epoch and starts from the page's test accuracy.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forbidCspViolations, watchErrors } from './helpers.mjs';

forbidCspViolations(test, expect);

const python = fileURLToPath(new URL('../../.venv-check/bin/python', import.meta.url));

/** Clicks Export as a PyTorch project and unpacks the download; returns the project folder. */
async function exportProject(page, folder) {
  await page.getByRole('button', { name: 'Export as a PyTorch project' }).click();
  const link = page.getByRole('link', { name: `Download ${folder}.zip` });
  await expect(link).toBeVisible({ timeout: 30_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const dir = mkdtempSync(join(tmpdir(), 'webgrad-torch-'));
  const zip = join(dir, `${folder}.zip`);
  await download.saveAs(zip);
  execFileSync(python, ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zip, dir]);
  const project = join(dir, folder);
  execFileSync(python, ['-m', 'py_compile', join(project, 'train.py')]);
  return project;
}

test('MNIST: the zip continues the run in PyTorch from the same weights and test accuracy', async ({ page }) => {
  test.skip(!existsSync(python), 'no .venv-check (scripts/setup.sh makes it)');
  const errors = watchErrors(page);
  await page.goto('/#epochs=1');
  await expect(page.locator('#data-summary')).toContainText('training rows', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('Test accuracy', { timeout: 90_000 });
  const accuracy = (await page.locator('#accuracy').textContent()).match(/([\d.]+) %/)[1];

  const project = await exportProject(page, 'webgrad-mnist-pytorch');
  for (const f of ['model.json', 'weights.safetensors', 'README.md', 'train-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    expect(existsSync(join(project, f)), f).toBe(true);
  }
  const script = readFileSync(join(project, 'train.py'), 'utf8');
  expect(script).toContain('torch.optim.Adam(params, lr=0.001');
  expect(script).toMatch(/START_STEP = [1-9]\d*/); // the checkpoint's position after an epoch
  expect(JSON.parse(readFileSync(join(project, 'model.json'), 'utf8')).dataset).toBe('mnist');

  const torch = process.env.WEBGRAD_TORCH_PYTHON;
  if (torch) {
    const said = execFileSync(torch, ['train.py', '--epochs', '1', '--device', 'cpu'], { cwd: project, encoding: 'utf8' });
    // the exported weights and preprocessing give PyTorch the page's test accuracy
    expect(said).toContain(`start: test loss`);
    expect(said).toMatch(new RegExp(`start: .*accuracy ${accuracy.replace('.', '\\.')}`));
    expect(existsSync(join(project, 'trained.safetensors'))).toBe(true);
  }
  expect(errors).toEqual([]);
});

test('Spiral with input features: the splits travel as model inputs', async ({ page }) => {
  test.skip(!existsSync(python), 'no .venv-check (scripts/setup.sh makes it)');
  const errors = watchErrors(page);
  await page.goto('/#data=spiral&samples=300&test=0.2&inputs=x1,x2,x1sq,sinx2&hidden=8&act=tanh&opt=momentum&lr=0.05&batch=16&epochs=2');
  await expect(page.locator('#data-summary')).toContainText('spiral', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#accuracy')).toContainText('Test accuracy', { timeout: 60_000 });
  const project = await exportProject(page, 'webgrad-spiral-pytorch');
  const shapes = execFileSync(python, ['-c', [
    'import numpy as np, sys',
    'd = sys.argv[1] + "/data/"',
    'print(*[np.load(d + f).shape for f in ("train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy")])',
  ].join('\n'), project], { encoding: 'utf8' }).trim();
  // 300 points, a fifth held out; four input features per point
  expect(shapes).toBe('(240, 4) (240,) (60, 4) (60,)');
  const script = readFileSync(join(project, 'train.py'), 'utf8');
  expect(script).toContain('torch.optim.SGD(params, lr=0.05, momentum=0.9');
  expect(script).toContain('nn.Tanh()');
  expect(errors).toEqual([]);
});
