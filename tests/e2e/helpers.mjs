// Shared by the end-to-end specs.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the specs keep screenshots of the main views, as test artifacts (look at them). */
export const shots = fileURLToPath(new URL('../../target/e2e-screenshots', import.meta.url));
mkdirSync(shots, { recursive: true });

/** Collects console errors and uncaught exceptions; a test ends by expecting the list empty. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Every test of the spec: no Content-Security-Policy violation (index.html's CSP forbids inline
 * script and inline styles; a violation means a feature broke under it, or an injection was
 * attempted). */
export function forbidCspViolations(test, expect) {
  test.beforeEach(async ({ page }) => {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
    });
    page.__csp = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) page.__csp.push(m.text()); });
  });
  test.afterEach(async ({ page }) => {
    expect(page.__csp).toEqual([]);
    const seen = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
    expect(seen).toEqual([]);
  });
}

/** The last evaluated epoch the page shows ("… after epoch N"), as a poll function. */
export const epochShown = (page) => async () =>
  Number(((await page.locator('#accuracy').textContent()).match(/after epoch (\d+)/) || [0, 0])[1]);
