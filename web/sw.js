// webgrad's service worker: after one visit the page opens and trains with the network off.
// web/offline.mjs fills in VERSION (a hash of the whole build) and FILES (the page, the training
// workers, the wasm files, the styles, the bundled datasets) at build time; a new build changes
// this file, so the browser installs the new worker. It waits until no page of the old build is
// open (an open page may still start a training worker, whose files carry no hash in their
// names and must come from its own build), then takes over and drops the old build's cache.
//
// Files whose names carry a content hash (app-<hash>.js, …) and the bundled datasets never change
// under their names: cache first. The page itself and the workers (whose names carry no hash):
// network first, the cache only when the network fails, so an online visit always gets one
// consistent build. The cache holds exactly the build the worker was installed with; a new build
// drops the caches of this deployment's older builds only (their names end with its scope). Responses
// are cached with the server's own headers (CSP, and COOP/COEP where the host sends them), so
// what the page is allowed to do is the same offline; where the host sends no COOP/COEP, this
// worker adds them (`isolated`). Requests to other
// sites (data a person loads from a URL) pass through untouched.
const VERSION = '__VERSION__';
const FILES = ['__FILES__'];
// one cache per build and deployment: another copy of webgrad on the same site (another path,
// another scope) keeps its own
const SCOPE = self.registration.scope;
const CACHE = `webgrad-${VERSION} ${SCOPE}`;
const IMMUTABLE = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$|\/assets\//;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      // (and the unscoped caches of builds from before caches were named by scope)
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('webgrad-') && (k.endsWith(` ${SCOPE}`) || !k.includes(' ')) && k !== CACHE).map((k) => caches.delete(k)))),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const response = IMMUTABLE.test(url.pathname) ? cacheFirst(request) : networkFirst(request);
  event.respondWith(response.then(isolated));
});

// The shim for static hosts that cannot send headers (GitHub Pages): once this worker controls
// the page, every response of this site carries cross-origin isolation (COOP same-origin, COEP
// credentialless), so the next visit gets SharedArrayBuffer and the threaded training worker.
// A host's own headers are kept as they are. (The first visit, before this worker controls the
// page, trains on one thread and says why.)
function isolated(response) {
  if (response.type === 'opaque' || response.status === 0 || response.headers.has('Cross-Origin-Embedder-Policy')) {
    return response;
  }
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'credentialless');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function cacheFirst(request) {
  return (await caches.match(request, { cacheName: CACHE })) ?? fetch(request);
}

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (offline) {
    const hit = await caches.match(request, { cacheName: CACHE, ignoreSearch: true });
    if (hit) return hit;
    throw offline;
  }
}
