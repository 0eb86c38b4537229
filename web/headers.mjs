// Part of the trunk post_build hook (web/post-build.mjs): the HTTP headers a static host should
// send with the built page, as the files the common hosts read:
// - _headers: Netlify and Cloudflare Pages;
// - .htaccess: Apache (mod_headers, mod_mime).
// What they set: cross-origin isolation (COOP same-origin + COEP credentialless: the threaded
// build's SharedArrayBuffer needs it; credentialless still lets the page fetch data from other
// sites), the page's Content-Security-Policy (the same as index.html's <meta>, which a header
// makes binding for the workers too), nosniff, the wasm and manifest types, and caching: files
// whose names carry a content hash for a year ("immutable"), the bundled data (no hash) for a
// day; the page, the service worker and the workers (no hash either) revalidated on every visit.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// trunk writes its content hash as an unpadded 64-bit hex number: 16 digits, or fewer when it
// starts with zeros (app-e5edc18e7687851_bg.wasm)
export const HASHED = /-[0-9a-f]{8,16}(_bg)?\.(js|wasm|css)$/;

/** The CSP of index.html's <meta http-equiv="Content-Security-Policy">. */
export function pageCsp(html) {
  const m = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/);
  if (!m) throw new Error('index.html has no Content-Security-Policy <meta>');
  return m[1];
}

const common = (csp) => [
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Embedder-Policy', 'credentialless'],
  ['Content-Security-Policy', csp],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
];
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The `_headers` file for the build whose files are `files` (paths relative to the site root). */
export function netlifyHeaders(files, csp) {
  const block = (path, headers) => `${path}\n${headers.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`;
  const fresh = ['/', '/index.html', ...files.filter((f) => f === 'sw.js' || /^worker.*\.(js|wasm)$/.test(f)).map((f) => `/${f}`)];
  return [
    '# Headers for Netlify and Cloudflare Pages (written by web/headers.mjs at build time).',
    block('/*', common(csp)),
    ...fresh.map((p) => block(p, [['Cache-Control', 'no-cache']])),
    ...files.filter((f) => HASHED.test(f)).map((f) => block(`/${f}`, [['Cache-Control', IMMUTABLE]])),
    block('/assets/*', [['Cache-Control', 'public, max-age=86400']]),
  ].join('\n');
}

/** The `.htaccess` for Apache (mod_headers and mod_mime). */
export function apacheHeaders(csp) {
  const set = ([k, v]) => `  Header set ${k} "${v.replace(/"/g, '\\"')}"`;
  return [
    '# Headers for Apache (written by web/headers.mjs at build time).',
    'AddType application/wasm .wasm',
    'AddType application/manifest+json .webmanifest',
    '<IfModule mod_headers.c>',
    ...common(csp).map(set),
    `  <FilesMatch "${HASHED.source}">`,
    `    Header set Cache-Control "${IMMUTABLE}"`,
    '  </FilesMatch>',
    '  <FilesMatch "^(index\\.html|sw\\.js|worker.*)$">',
    '    Header set Cache-Control "no-cache"',
    '  </FilesMatch>',
    '</IfModule>',
    '',
  ].join('\n');
}

/** Writes _headers and .htaccess into `dir` (trunk's staging directory) for `files`. */
export function writeHeaders(dir, files) {
  const csp = pageCsp(readFileSync(join(dir, 'index.html'), 'utf8'));
  writeFileSync(join(dir, '_headers'), netlifyHeaders(files, csp));
  writeFileSync(join(dir, '.htaccess'), apacheHeaders(csp));
}
