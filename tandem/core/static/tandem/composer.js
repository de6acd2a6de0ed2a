// The composer: autosave drafts to the server (and to this device as a fallback),
// post with Ctrl/Cmd+Enter. The live preview and word count come from HTMX.
//
// Drafts never go backwards. Every edit gets a revision stamp (milliseconds, always above
// any stamp seen before); the server keeps a draft's stamp and refuses an older save
// (409), so saves arriving out of order cannot undo newer text. This device keeps its own
// copy with its stamp; on load, the newer of the server's copy (rendered into the page
// with its stamp) and this device's copy wins. "Saved" is shown only once the server has
// acknowledged the revision that is in the box.
//
// The device copy outlives the server's acknowledgement (marked as acknowledged): a reload
// can fetch the page before the last save lands, and the answer can reach the old page just
// after; without the copy the new page would show the older text it was rendered with.
(function () {
  "use strict";

  const SAVE_EVERY_MS = 2000;
  const RETRY_AFTER_MS = 5000;

  function localKey(form) {
    return "tandem:draft:" + (form.dataset.draftUrl || form.getAttribute("action") || location.pathname);
  }

  // This device's copy: {body, revision, acked}. Older pages stored the bare text.
  function readLocal(key) {
    if (!window.localStorage) return null;
    const raw = localStorage.getItem(key);
    if (raw === null) return null;
    try {
      const copy = JSON.parse(raw);
      if (copy && typeof copy.body === "string") {
        return { body: copy.body, revision: Number(copy.revision) || 0, acked: copy.acked === true };
      }
    } catch (error) { /* the bare text of an older page */ }
    return { body: raw, revision: 0, acked: false };
  }

  function writeLocal(key, body, revision, acked) {
    if (!window.localStorage) return;
    try {
      localStorage.setItem(key, JSON.stringify({ body: body, revision: revision, acked: acked === true }));
    } catch (error) { /* storage full or refused: the server copy is all there is */ }
  }

  function dropLocal(key) {
    if (window.localStorage) localStorage.removeItem(key);
  }

  function setStatus(form, text, state) {
    const status = form.querySelector("[data-draft-status]");
    if (!status) return;
    status.textContent = text;
    status.dataset.state = state || "";
  }

  // "14:05" in the writer's own time zone (the page says which), like every time Tandem shows.
  function timeNow(form) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Date().toLocaleTimeString("en-GB", Object.assign({ timeZone: form.dataset.timeZone || "UTC" }, options));
    } catch (error) {
      return new Date().toLocaleTimeString("en-GB", options);
    }
  }

  // With JavaScript the box previews and saves by itself: show those parts, drop the
  // Preview button the page offers without it, and say that drafts save as you type.
  function liven(form) {
    form.querySelectorAll("[data-composer-live]").forEach(function (part) { part.hidden = false; });
    form.querySelectorAll("[data-composer-preview-button]").forEach(function (button) { button.hidden = true; });
    const status = form.querySelector("[data-draft-status]");
    if (status && status.dataset.autosaveText && !status.dataset.state && !status.textContent.startsWith("Draft restored")) {
      status.textContent = status.dataset.autosaveText;
    }
    // The preview shows dialogue in the colour of the muse chosen to post as.
    const preview = form.querySelector("[data-composer-preview]");
    const muse = form.querySelector("select[name=muse]");
    if (preview && muse) {
      muse.addEventListener("change", function () {
        preview.className = preview.className.replace(/\bmuse-\S*/g, "").trim() + " muse-" + muse.value;
      });
    }
  }

  function setUp(form) {
    const body = form.querySelector("[data-composer=body]");
    if (!body || form.dataset.composerReady) return;
    form.dataset.composerReady = "1";
    liven(form);
    const key = localKey(form);
    const draftUrl = form.dataset.draftUrl;
    // The stamp of the text in the box, and the newest stamp the server has confirmed.
    const serverRevision = Number(form.dataset.draftRevision) || 0;
    let revision = serverRevision;
    let acked = serverRevision;
    let newestElsewhere = 0; // a newer draft another tab or device saved (409)
    let timer = null;
    let lastSaveAt = 0;
    let inFlight = false;
    let paused = false; // after a failure: retry on a slower clock, or on the next edit
    let restoring = false;
    let submitted = false;

    function refreshPreview() {
      // The preview and word count listen for input; a restore is not an edit of its own.
      restoring = true;
      body.dispatchEvent(new Event("input", { bubbles: true }));
      restoring = false;
    }

    function restoreLocal(copy) {
      body.value = copy.body;
      revision = copy.revision;
      setStatus(form, "Restored newer text from this device — saving…", "saving");
      refreshPreview();
      setTimeout(function () { saveToServer(false); }, 0);
    }

    // The server acknowledged this device's copy, yet the page came with older text: ask
    // what it holds now. Newer or the same: that is the draft (the page was rendered before
    // the save landed). Older or none: the draft was posted or replaced since; the page stands.
    function confirmAcked(copy) {
      body.readOnly = true;
      setStatus(form, "Checking the saved draft…", "saving");
      fetch(draftUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("not answered");
          return response.json();
        })
        .then(function (held) {
          const heldRevision = Number(held.revision) || 0;
          if (heldRevision >= copy.revision) {
            body.value = held.body;
            revision = acked = heldRevision;
            refreshPreview();
            saved();
          } else {
            dropLocal(key);
            setStatus(form, status0, "");
          }
        })
        .catch(function () {
          restoreLocal(copy); // unreachable: keep every word, and save it when possible
        })
        .finally(function () { body.readOnly = false; });
    }

    const statusElement = form.querySelector("[data-draft-status]");
    const status0 = statusElement ? statusElement.textContent : "";
    const local = readLocal(key);
    if (draftUrl) {
      if (local && local.revision > serverRevision && local.body !== body.value) {
        if (local.acked) {
          confirmAcked(local);
        } else {
          restoreLocal(local); // this device typed past what the server has
        }
      } else if (local && local.revision <= serverRevision) {
        dropLocal(key); // the server's copy is as new or newer
      }
    } else if (local && !body.value.trim()) {
      body.value = local.body;
      setStatus(form, "Restored the text you typed on this device.");
      refreshPreview();
    }

    function saved() {
      // The server holds this revision; the copy stays, marked, until a page shows it.
      writeLocal(key, body.value, revision, true);
      setStatus(form, "Saved at " + timeNow(form), "saved");
    }

    function answered(response, json, sent) {
      if (response.status === 409) {
        const held = Number(json.revision) || 0;
        if (held === revision) {
          acked = held; // this very text got there first (the page-hide beacon)
          saved();
        } else if (held < revision) {
          acked = Math.max(acked, held); // an earlier text of ours got there; this one follows
        } else {
          newestElsewhere = held;
          paused = true;
          setStatus(form, "Not saved — newer text was saved from another tab or device", "failed");
        }
        return;
      }
      if (response.status >= 500) throw new Error("server error");
      if (!response.ok) {
        // Refused for a reason the writer can act on (too long, no longer in the thread):
        // retrying the same text would be refused again.
        paused = true;
        setStatus(form, "Not saved — " + (json.error || "refused") + " Kept on this device.", "failed");
        return;
      }
      if (json.posted) {
        acked = Math.max(acked, sent); // this text is the writer's latest post already
        dropLocal(key);
        setStatus(form, "Already posted", "saved");
        return;
      }
      acked = Math.max(acked, Number(json.revision) || sent);
      if (acked >= revision) saved();
    }

    function saveToServer(useBeacon) {
      // Once the form is sent, the post is the text's home; leaving the page saves nothing.
      if (submitted || !draftUrl || revision <= acked) return;
      const data = new FormData(form);
      data.set("revision", String(revision));
      if (useBeacon && navigator.sendBeacon) {
        // No answer comes back: the status stays "Saving…" and the device copy stays.
        navigator.sendBeacon(draftUrl, data);
        return;
      }
      if (inFlight) return; // one at a time; the newest text follows when this one is back
      inFlight = true;
      paused = false;
      const sent = revision;
      setStatus(form, "Saving…", "saving");
      fetch(draftUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (json) { answered(response, json, sent); });
        })
        .catch(function () {
          paused = true;
          setStatus(form, "Not saved — kept on this device", "failed");
          clearTimeout(timer);
          timer = setTimeout(function () { saveToServer(false); }, RETRY_AFTER_MS);
        })
        .finally(function () {
          inFlight = false;
          lastSaveAt = Date.now();
          if (!paused && revision > acked) schedule();
        });
    }

    function schedule() {
      clearTimeout(timer);
      const wait = Math.max(0, SAVE_EVERY_MS - (Date.now() - lastSaveAt));
      timer = setTimeout(function () { saveToServer(false); }, wait);
    }

    body.addEventListener("input", function () {
      if (restoring) return;
      if (!draftUrl) {
        writeLocal(key, body.value, Date.now());
        return;
      }
      revision = Math.max(Date.now(), revision + 1, newestElsewhere + 1);
      writeLocal(key, body.value, revision); // at once: a reload a moment later finds it
      setStatus(form, "Saving…", "saving");
      schedule();
    });
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
      dropLocal(key);
    });
  }

  // Logging out takes this device's copies of text the server already holds (anyone using
  // the device next need not find them); a copy the server never got stays, or it is lost.
  function forgetAckedCopies() {
    if (!window.localStorage) return;
    const keys = [];
    for (let i = 0; i < localStorage.length; i++) keys.push(localStorage.key(i));
    keys.forEach(function (key) {
      if (!key || !key.startsWith("tandem:draft:")) return;
      const copy = readLocal(key);
      if (copy && copy.acked) dropLocal(key);
    });
  }
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-logout]")) forgetAckedCopies();
  });

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
