// The composer: autosave drafts to the server (and to this device as a fallback),
// post with Ctrl/Cmd+Enter. The live preview and word count come from HTMX.
(function () {
  "use strict";

  const SAVE_EVERY_MS = 3000;

  function localKey(form) {
    return "tandem:draft:" + (form.dataset.draftUrl || form.getAttribute("action") || location.pathname);
  }

  function setStatus(form, text) {
    const status = form.querySelector("[data-draft-status]");
    if (status) status.textContent = text;
  }

  function timeNow() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function setUp(form) {
    const body = form.querySelector("[data-composer=body]");
    if (!body || form.dataset.composerReady) return;
    form.dataset.composerReady = "1";
    const key = localKey(form);
    let timer = null;
    let lastSaved = body.value;
    let lastSaveAt = 0;
    let inFlight = false;

    // A copy on this device: if the server could not be reached, the text is still here.
    const local = window.localStorage ? localStorage.getItem(key) : null;
    if (local && !body.value.trim()) {
      body.value = local;
      setStatus(form, "Restored the text you typed on this device.");
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }

    let submitted = false;

    function saveToServer(useBeacon) {
      // Once the form is sent, the post is the text's home; leaving the page saves nothing.
      if (submitted || !form.dataset.draftUrl || body.value === lastSaved) return;
      const data = new FormData(form);
      if (useBeacon && navigator.sendBeacon) {
        navigator.sendBeacon(form.dataset.draftUrl, data);
        lastSaved = body.value;
        return;
      }
      if (inFlight) return;
      inFlight = true;
      const sent = body.value;
      fetch(form.dataset.draftUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (json) {
            if (!response.ok) throw new Error(json.error || "not saved");
            lastSaved = sent;
            setStatus(form, "Draft saved at " + timeNow());
          });
        })
        .catch(function (error) {
          setStatus(form, "Saved on this device only (" + error.message + "). Keep this tab open.");
        })
        .finally(function () {
          inFlight = false;
          lastSaveAt = Date.now();
        });
    }

    function schedule() {
      if (window.localStorage) localStorage.setItem(key, body.value);
      clearTimeout(timer);
      const wait = Math.max(0, SAVE_EVERY_MS - (Date.now() - lastSaveAt));
      timer = setTimeout(function () { saveToServer(false); }, wait);
    }

    body.addEventListener("input", schedule);
    body.addEventListener("blur", function () { saveToServer(false); });
    window.addEventListener("pagehide", function () { saveToServer(true); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") saveToServer(true);
    });

    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });

    form.addEventListener("submit", function () {
      submitted = true;
      clearTimeout(timer);
      // The server keeps the draft until the post is accepted; this device's copy can go.
      if (window.localStorage) localStorage.removeItem(key);
    });
  }

  function init() {
    document.querySelectorAll("form.composer").forEach(setUp);
  }
  // Live updates (live.js) bring a reply box in when the turn comes to this writer.
  document.addEventListener("tandem:content", function (event) {
    event.target.querySelectorAll("form.composer").forEach(setUp);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
