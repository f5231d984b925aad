// The portal's service worker: the shell (style, script, logo, the offline page) is kept on
// the phone; pages always come from the server (they hold personal data: nothing of a case is
// cached), and when the network is gone the offline page says so — the draft stays on the phone.
"use strict";

const CACHE = "fq-portal-v1";
const SHELL = ["/assets/app.css", "/assets/portal.js", "/assets/logo.svg", "/portal/offline"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/portal/offline")));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(request)));
  }
});
