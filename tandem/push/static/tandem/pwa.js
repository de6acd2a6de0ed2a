/* Tandem as an installed app: registers the service worker (/sw.js) on every page, tells it
   to forget kept thread pages on log-out, and runs the devices page's "Enable
   notifications on this device" button. No inline script: the CSP allows only our files. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    /* Private windows and some browsers refuse workers: the site works without one. */
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-logout]") && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
  });

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function withTimeout(promise, ms, what) {
    return Promise.race([
      promise,
      new Promise(function (resolve, reject) {
        setTimeout(function () { reject(new Error(what + " took too long")); }, ms);
      }),
    ]);
  }

  function setUp(panel) {
    var status = panel.querySelector("[data-push-status]");
    var enable = panel.querySelector("[data-push-enable]");
    var disable = panel.querySelector("[data-push-disable]");
    var csrf = panel.querySelector("input[name=csrfmiddlewaretoken]").value;

    function say(text, kind) {
      status.textContent = text;
      status.className = "message message--" + (kind || "info");
      status.hidden = false;
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(data.error || "Tandem answered " + response.status);
          return data;
        });
      });
    }

    if (!("PushManager" in window) || !("Notification" in window)) {
      enable.disabled = true;
      say("This browser cannot receive push notifications. On an iPhone or iPad, add Tandem to the home screen first, then open it from there.", "warning");
      return;
    }

    var ready = withTimeout(navigator.serviceWorker.ready, 10000, "Starting the service worker");
    ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (existing) {
      if (existing && disable) disable.hidden = false;
    }).catch(function () { /* reported when the button is used */ });

    enable.addEventListener("click", function () {
      enable.disabled = true;
      say("Asking your browser…", "info");
      Promise.resolve(Notification.requestPermission()).then(function (permission) {
        if (permission !== "granted") {
          throw new Error("Notifications are blocked for this site. Allow them in your browser's site settings, then try again.");
        }
        return ready;
      }).then(function (registration) {
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing || withTimeout(registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(panel.dataset.key),
          }), 20000, "Subscribing");
        }).catch(function (error) {
          if (error && /blocked/.test(error.message)) throw error;
          throw new Error("This browser could not subscribe to push notifications (" + (error && error.message || error) + "). Try again later, or from another browser.");
        });
      }).then(function (subscription) {
        return post(panel.dataset.subscribeUrl, subscription.toJSON());
      }).then(function () {
        say("Notifications are on for this device.", "success");
        window.location.reload();
      }).catch(function (error) {
        say(error.message || String(error), "error");
        enable.disabled = false;
      });
    });

    if (disable) {
      disable.addEventListener("click", function () {
        disable.disabled = true;
        ready.then(function (registration) {
          return registration.pushManager.getSubscription();
        }).then(function (subscription) {
          if (!subscription) return null;
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return post(panel.dataset.unsubscribeUrl, { endpoint: endpoint });
          });
        }).then(function () {
          window.location.reload();
        }).catch(function (error) {
          say(error.message || String(error), "error");
          disable.disabled = false;
        });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-push-panel]");
    if (panel) setUp(panel);
  });
})();
