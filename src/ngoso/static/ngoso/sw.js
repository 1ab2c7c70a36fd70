/* Ngõ Số field app service worker: the app shell works offline; the API always goes to the network
   (the page queues what it cannot send). */
const SHELL = "ngoso-shell-v1";
const FILES = ["/app/", "/static/ngoso/app.css", "/static/ngoso/field.js", "/app/manifest.webmanifest"];
self.addEventListener("install", (e) => { e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES))); self.skipWaiting(); });
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((ks) => Promise.all(ks.filter((k) => k !== SHELL).map((k) => caches.delete(k)))));
  self.clients.claim();
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  // network first, the cached copy when there is no signal
  e.respondWith(fetch(e.request).then((r) => {
    if (r.ok && (FILES.includes(url.pathname) || url.pathname.startsWith("/static/"))) {
      const copy = r.clone(); caches.open(SHELL).then((c) => c.put(e.request, copy));
    }
    return r;
  }).catch(() => caches.match(e.request, {ignoreSearch: true})));
});
