// Playwright end-to-end tests of the built page (`trunk build --release` → dist/), served as a
// plain static site — the way a static host would serve it. Debian's Chromium, never a download.
import { defineConfig } from '@playwright/test';

const common = ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export default defineConfig({
  testDir: '.',
  timeout: 120_000,
  reporter: 'list',
  workers: 1,
  outputDir: '../../target/e2e-results',
  // service workers only where a spec allows them (offline.spec.mjs): elsewhere every request
  // reaches the server, as the specs that count requests expect
  use: { baseURL: 'http://127.0.0.1:8091', screenshot: 'only-on-failure', serviceWorkers: 'block' },
  projects: [
    {
      name: 'webgpu',
      grepInvert: /@no-webgpu/,
      use: { launchOptions: { executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', ...common] } },
    },
    {
      name: 'no-webgpu',
      grep: /@no-webgpu/,
      use: { launchOptions: { executablePath: '/usr/bin/chromium', args: common } },
    },
  ],
  webServer: {
    command: 'python3 -m http.server 8091 --bind 127.0.0.1 --directory ../../dist',
    url: 'http://127.0.0.1:8091/',
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
