// Part of the trunk post_build hook (web/post-build.mjs): makes the built page an offline,
// installable app.
// - sw.js: web/sw.js with the build's version (a hash of every file it caches, so any change to
//   the build changes sw.js, which makes browsers install the new worker and drop the old cache)
//   and the list of files to cache: the page, the training workers, the wasm files, the styles
//   and the bundled datasets;
// - manifest.webmanifest and icon.svg, copied.
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('.', import.meta.url));

/** Every file under `dir`, as paths relative to it with '/' separators, sorted. */
export function listFiles(dir, under = dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path, under) : [relative(under, path).split(sep).join('/')];
    })
    .sort();
}

/** The build's version: the first 16 hex digits of a SHA-256 over each file's name and bytes. */
export function buildVersion(dir, files) {
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Writes sw.js, manifest.webmanifest and icon.svg into `dir` (trunk's staging directory). */
export function makeOffline(dir) {
  copyFileSync(join(web, 'manifest.webmanifest'), join(dir, 'manifest.webmanifest'));
  copyFileSync(join(web, 'icon.svg'), join(dir, 'icon.svg'));
  const files = listFiles(dir).filter((f) => f !== 'sw.js' && !f.startsWith('_') && !f.startsWith('.'));
  const version = buildVersion(dir, files);
  const template = readFileSync(join(web, 'sw.js'), 'utf8');
  const filled = template
    .replace("'__VERSION__'", JSON.stringify(version))
    .replace("['__FILES__']", JSON.stringify(['./', ...files], null, 2));
  if (filled.includes('__VERSION__') || filled.includes('__FILES__')) throw new Error('web/sw.js lost its placeholders');
  writeFileSync(join(dir, 'sw.js'), filled);
  console.log(`offline: sw.js caches ${files.length} files, version ${version}`);
}
