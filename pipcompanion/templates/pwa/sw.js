/* PIP Companion service worker, shell {{ version }}.
 * Caches the app shell only (CSS, JS, icons, the offline page); pages are fetched from the
 * network first and never cached, so no family data sits in this cache. Photos are never even
 * answered here: the browser fetches them itself, and nothing of them is kept. */
"use strict";
importScripts("{{ outbox_script }}");

const SHELL_CACHE = "pip-shell-{{ version }}";
const SHELL = {{ shell_json | safe }};
const OFFLINE_URL = "{{ offline_url }}";
const NEVER_CACHED = {{ never_cached_json | safe }}.map((pattern) => new RegExp(pattern));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("pip-shell-") && name !== SHELL_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // A photo (opened on its own too, as a page) is the network's, never this worker's.
  if (NEVER_CACHED.some((pattern) => pattern.test(url.pathname))) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(async () => (await caches.match(OFFLINE_URL)) || Response.error()));
    return;
  }
  // A page asking for a fresh copy ("?fresh": the offline page in a new language, app.js) gets the network's.
  if (SHELL.includes(url.pathname) && !url.searchParams.has("fresh")) {
    event.respondWith(caches.match(request, { ignoreSearch: true }).then((cached) => cached || fetch(request)));
  }
});

// Background Sync, where the browser has it: send the outbox even after the page is closed.
self.addEventListener("sync", (event) => {
  if (event.tag !== "pip-outbox") return;
  event.waitUntil((async () => {
    const userId = await self.PipOutbox.currentUser();
    if (!userId) return;
    const outcome = await self.PipOutbox.replay(userId);
    const pages = await self.clients.matchAll({ type: "window" });
    pages.forEach((page) => page.postMessage({ type: "outbox-changed", sent: outcome.sent }));
    if (outcome.failed) throw new Error("outbox not sent yet");
  })());
});
