// The verifier's service worker: keeps the page and its assets for offline use.
// The signed lists are kept by the page itself (Cache Storage "vaxpass-verifier-lists"),
// which stores only lists whose signature it has checked.
const PREFIX = "vaxpass-verifier-shell-";
const SHELL = PREFIX + "{{ version }}";
const PAGE = {{ page|safe }};
const ASSETS = {{ assets|safe }};
// On a poor connection, wait this long for the network before using the offline copy.
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith(PREFIX) && key !== SHELL).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

function withTimeout(promise, milliseconds) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), milliseconds);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

// The page: network first, so a new version and the language chosen show when online.
async function page(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok) await cache.put(PAGE, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(PAGE);
    if (cached) return cached;
    throw error;
  }
}

// The assets: from the cache, which a new worker replaces when they change.
async function asset(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) event.respondWith(page(event.request));
  else if (ASSETS.includes(url.pathname)) event.respondWith(asset(event.request));
});
