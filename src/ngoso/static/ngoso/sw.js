/* Ngõ Số field app service worker: the app shell works offline; the API always goes to the network
   (the page queues what it cannot send). Lesson audio, once played, is kept for offline listening. */
const SHELL = "ngoso-shell-v2", AUDIO = "ngoso-lesson-audio-v1";
const FILES = ["/app/", "/static/ngoso/app.css", "/static/ngoso/field.js", "/app/manifest.webmanifest"];
self.addEventListener("install", (e) => { e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES))); self.skipWaiting(); });
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((ks) => Promise.all(ks.filter((k) => k !== SHELL && k !== AUDIO).map((k) => caches.delete(k)))));
  self.clients.claim();
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/lessons/") && url.pathname.endsWith(".ogg")) {
    // the address carries the lesson's version (?v=), so a cached copy is never stale: cache first
    e.respondWith(caches.open(AUDIO).then((c) => c.match(e.request).then((hit) => hit || fetch(e.request).then((r) => {
      if (r.ok && r.status === 200) c.put(e.request, r.clone());
      return r;
    }))));
    return;
  }
  // network first, the cached copy when there is no signal
  e.respondWith(fetch(e.request).then((r) => {
    if (r.ok && (FILES.includes(url.pathname) || url.pathname.startsWith("/static/"))) {
      const copy = r.clone(); caches.open(SHELL).then((c) => c.put(e.request, copy));
    }
    return r;
  // (ignoreVary: the page varies by cookie and language, and the phone's language list may not be the one the
  // worker fetched the shell with — one shell per address is kept, and it is the one to open offline)
  }).catch(() => caches.match(e.request, {ignoreSearch: true, ignoreVary: true})));
});
