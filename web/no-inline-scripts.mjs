// Part of the trunk post_build hook (web/post-build.mjs): moves the inline <script type="module"> that trunk writes into
// index.html (the wasm start-up) into a file of its own, boot-<hash>.js, so the page's
// Content-Security-Policy (index.html) can forbid inline script outright:
// script-src 'self' 'wasm-unsafe-eval'. Runs on the staging directory before trunk publishes it.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Moves index.html's inline module scripts in `dir` (trunk's staging directory) to files. */
export function moveInlineScripts(dir) {
  const page = join(dir, 'index.html');
  let html = readFileSync(page, 'utf8');
  let moved = 0;
  html = html.replace(/<script type="module"(?: nonce="[^"]*")?>([\s\S]*?)<\/script>/g, (_, body) => {
    const name = `boot-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
    writeFileSync(join(dir, name), body.trim() + '\n');
    moved += 1;
    return `<script type="module" src="./${name}"></script>`;
  });
  if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) throw new Error('index.html still has an inline script');
  writeFileSync(page, html);
  console.log(`no-inline-scripts: moved ${moved} inline script(s) out of index.html`);
}
