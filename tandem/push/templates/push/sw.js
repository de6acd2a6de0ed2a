{% autoescape off %}/* Tandem's service worker (served at /sw.js so its scope is the whole site).

   - Navigations go to the network first. A thread's story or OOC page that arrives is kept
     (the last MAX_THREADS opened), so it can be read again offline; with no network the
     kept copy is shown, else the offline page.
   - Static files: network first as well, the last good copy when offline.
   - Push messages become notifications; a tap opens (or focuses) the page they point at.
   - On log-out the page tells the worker to forget kept pages ("forget" message), so the
     next writer on this device cannot read them offline. */
"use strict";

const VERSION = {{ version }};
const SHELL = "tandem-shell-" + VERSION;
const THREADS = "tandem-threads";
const OFFLINE_URL = {{ offline_url }};
const PRECACHE = {{ precache }};
const ICON = {{ icon }};
const MAX_THREADS = 20;
// A thread's story page or OOC page, not /t/new/ or /t/public/.
const THREAD_PAGE = /^\/t\/(?!new\/|public\/|invitations\/)[^/]+\/(ooc\/)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("tandem-shell-") && name !== SHELL).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function keepable(response) {
  // Only a page the writer really got: not a redirect to the log-in page, not an error,
  // not something the server asked nobody to store.
  return response.ok && !response.redirected && response.type === "basic" &&
    !(response.headers.get("Cache-Control") || "").includes("no-store");
}

async function keepThread(request, response) {
  const cache = await caches.open(THREADS);
  await cache.delete(request, { ignoreSearch: true });
  await cache.put(request, response);
  const keys = await cache.keys();
  // Oldest first (insertion order): trim to the most recently opened threads.
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_THREADS)).map((key) => cache.delete(key)));
}

async function navigate(event) {
  const request = event.request;
  const path = new URL(request.url).pathname;
  try {
    const response = await fetch(request);
    if (THREAD_PAGE.test(path) && keepable(response)) {
      event.waitUntil(keepThread(request, response.clone()));
    }
    return response;
  } catch (error) {
    const threads = await caches.open(THREADS);
    const kept = (await threads.match(request)) || (await threads.match(request, { ignoreSearch: true }));
    if (kept) return kept;
    return (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

async function staticFile(request) {
  try {
    const response = await fetch(request);
    if (keepable(response)) {
      const copy = response.clone();
      caches.open(SHELL).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (error) {
    return (await caches.match(request, { ignoreSearch: true })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  }
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") {
    event.waitUntil(caches.delete(THREADS));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "Tandem";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: ICON,
    badge: ICON,
    data: { url: data.url || "/notifications/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;  // only ever open this site
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).pathname === target.pathname && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(target.href);
  })());
});
{% endautoescape %}
