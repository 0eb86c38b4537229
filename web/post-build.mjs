// trunk post_build hook (Trunk.toml): runs on the staging directory before trunk publishes it.
// 0. the threaded worker (`cargo xtask threads-worker`: nightly, std with atomics), first, so
//    that the service worker lists its files;
// 1. web/no-inline-scripts.mjs: the start-up script leaves index.html (the CSP forbids inline script);
// 2. web/offline.mjs: the service worker, the web app manifest and its icon;
// 3. web/headers.mjs: the headers static hosts should send (_headers, .htaccess).
import { execFileSync } from 'node:child_process';
import { writeHeaders } from './headers.mjs';
import { moveInlineScripts } from './no-inline-scripts.mjs';
import { listFiles, makeOffline } from './offline.mjs';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('post-build.mjs runs as a trunk hook (TRUNK_STAGING_DIR is not set)');
execFileSync('cargo', ['xtask', 'threads-worker', dir], { stdio: 'inherit' });
moveInlineScripts(dir);
makeOffline(dir);
writeHeaders(dir, listFiles(dir));
