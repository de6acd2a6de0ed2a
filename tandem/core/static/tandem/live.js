// Live updates over WebSockets: new and changed posts, the turn banner, "Ivy is writing…",
// the queue badge and the home page's queue. Every page works the same without this
// script or without a socket; it only saves a reload.
//
// A page opts in on <main>: data-live-thread (a thread's page; with data-live-ooc, for its
// writers, the OOC count too), data-live-ooc-thread (a thread's OOC talk), data-live-me
// (the writer's queue count), data-live-queue (the home page). Messages only say what
// changed; the page fetches the changed HTML over HTTP, rendered for this reader.
(function () {
  "use strict";

  const main = document.getElementById("main");
  if (!main || !("WebSocket" in window) || !window.fetch) return;
  // The page's CSP nonce, to re-nonce <style> elements arriving in fetched HTML (each
  // response carries its own nonce, which this page's policy would refuse).
  const NONCE = (document.currentScript && document.currentScript.nonce) || "";
  const FORBIDDEN = 4403;
  const TYPING_EVERY_MS = 3000;
  const MAX_GAP = 50;

  // --------------------------------------------------------------------- plumbing

  // While a socket is open, <main> carries data-live-<name>-open (for tests and styling).
  function socket(name, path, handlers) {
    const flag = "live" + name + "Open";
    let attempt = 0;
    let openedAt = 0;
    let everOpened = false;
    let ws = null;

    function open() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      ws = new WebSocket(scheme + "//" + location.host + path);
      ws.addEventListener("open", function () {
        openedAt = Date.now();
        main.dataset[flag] = "";
        if (everOpened && handlers.reconnected) handlers.reconnected();
        everOpened = true;
      });
      ws.addEventListener("message", function (event) {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (message && typeof message.type === "string") handlers.message(message);
      });
      ws.addEventListener("close", function (event) {
        delete main.dataset[flag];
        if (event.code === FORBIDDEN) return; // not ours to read: no point retrying
        if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
        openedAt = 0;
        // 1 s, 2 s, 4 s … up to 30 s, with jitter so a restarted server is not stampeded.
        const delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
        attempt += 1;
        setTimeout(open, delay);
      });
    }

    open();
    return {
      send: function (message) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return false;
        ws.send(JSON.stringify(message));
        return true;
      },
    };
  }

  function getHTML(url) {
    // Tandem-Live marks a background fetch: the page it renders must leave the writer's
    // one-time messages ("Posted as Hale.") for the page they are actually looking at.
    const headers = { Accept: "text/html", "Tandem-Live": "1" };
    return fetch(url, { credentials: "same-origin", headers: headers }).then(
      function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.text().then(function (text) {
          return { text: text, headers: response.headers };
        });
      }
    );
  }

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    adoptStyles(template.content);
    return template.content;
  }

  // Fetched HTML brings muse colours as <style nonce="theirs">: keep the CSS, under ours,
  // in <head> (styles in the page's body may be swapped out with the content around them).
  function adoptStyles(root) {
    const known = new Set();
    document.head.querySelectorAll("style").forEach(function (style) {
      known.add(style.textContent);
    });
    root.querySelectorAll("style").forEach(function (style) {
      const css = style.textContent;
      style.remove();
      if (known.has(css)) return;
      known.add(css);
      const own = document.createElement("style");
      own.setAttribute("nonce", NONCE);
      own.textContent = css;
      document.head.appendChild(own);
    });
  }

  function activate(element) {
    if (window.htmx) window.htmx.process(element);
    element.dispatchEvent(new CustomEvent("tandem:content", { bubbles: true }));
  }

  // --------------------------------------------------------------------- a thread's page

  function threadPage(publicId) {
    const base = main.dataset.liveUrl;
    const onLastPage = "liveLastPage" in main.dataset;
    const article = main.querySelector("article") || main;
    let highestRequested = highestOnPage();
    let turnTimer = null;
    let turnRequest = 0;
    const writing = new Map();

    function highestOnPage() {
      let highest = 0;
      main.querySelectorAll("ol.posts > li.post[id^='post-']").forEach(function (li) {
        highest = Math.max(highest, parseInt(li.id.slice(5), 10) || 0);
      });
      return highest;
    }

    function postList() {
      let list = main.querySelector("ol.posts");
      if (list) return list;
      list = document.createElement("ol");
      list.className = "posts";
      list.setAttribute("aria-label", "Posts");
      const empty = article.querySelector("p.empty");
      const presence = article.querySelector("[data-live-presence]");
      if (empty) empty.replaceWith(list);
      else if (presence) presence.before(list);
      else article.append(list);
      return list;
    }

    function place(number, html) {
      const item = fragment(html).querySelector("li.post");
      if (!item) return;
      const existing = document.getElementById("post-" + number);
      if (existing) {
        existing.replaceWith(item);
      } else {
        const list = postList();
        const later = Array.from(list.children).find(function (li) {
          return (parseInt(li.id.slice(5), 10) || 0) > number;
        });
        list.insertBefore(item, later || null);
      }
      activate(item);
      const muse = item.querySelector(".muse-name");
      if (muse) stopWriting(muse.textContent.trim());
    }

    function fetchPost(number) {
      const read = document.visibilityState === "visible" ? "?read=1" : "";
      return getHTML(base + "posts/" + number + "/fragment/" + read)
        .then(function (result) {
          place(number, result.text);
        })
        .catch(function () {});
    }

    function fetchUpTo(number) {
      const from = Math.max(highestRequested + 1, number - MAX_GAP + 1);
      for (let n = from; n <= number; n += 1) fetchPost(n);
      highestRequested = Math.max(highestRequested, number);
    }

    function onPost(message) {
      const number = message.number;
      if (document.getElementById("post-" + number)) {
        fetchPost(number);
      } else if (message.op === "created" && onLastPage) {
        fetchUpTo(number);
      }
    }

    function swapTurn(incoming) {
      // The people in the thread, their order and the OOC count.
      const people = main.querySelector("[data-live-people]");
      const freshPeople = incoming.querySelector("[data-live-people]");
      if (people && freshPeople) {
        people.replaceWith(freshPeople);
        activate(freshPeople);
      }
      const banner = article.querySelector(".turn-banner");
      const fresh = incoming.querySelector(".turn-banner");
      if (banner && fresh) {
        if (banner.tagName === fresh.tagName) {
          // Same element, new content: screen readers announce the role=status change.
          banner.replaceChildren.apply(banner, Array.from(fresh.childNodes));
          banner.className = fresh.className;
          activate(banner);
        } else {
          banner.replaceWith(fresh);
          activate(fresh);
        }
      }
      const reply = document.getElementById("reply");
      const freshReply = incoming.querySelector("#reply");
      // Never take away a reply box: the writer may be typing in it.
      if (reply && reply.querySelector("form.composer")) return;
      if (reply && freshReply) reply.replaceWith(freshReply);
      else if (reply) reply.remove();
      else if (freshReply) {
        const presence = article.querySelector("[data-live-presence]");
        if (presence) presence.after(freshReply);
        else article.append(freshReply);
      }
      if (freshReply) activate(freshReply);
    }

    function refreshTurn(catchUp) {
      clearTimeout(turnTimer);
      // Several changes in a burst (a post moves the turn too) make one request.
      turnTimer = setTimeout(function () {
        const request = (turnRequest += 1);
        const next = encodeURIComponent(location.pathname + location.search);
        getHTML(base + "turn/fragment/?next=" + next + (onLastPage ? "&last=1" : ""))
          .then(function (result) {
            if (request !== turnRequest) return; // a newer answer is on its way
            swapTurn(fragment(result.text));
            const count = parseInt(result.headers.get("Tandem-Post-Count"), 10);
            if (catchUp && onLastPage && count > highestRequested) fetchUpTo(count);
          })
          .catch(function () {});
      }, 50);
    }

    function showWriting() {
      const status = article.querySelector("[data-live-presence]");
      if (!status) return;
      const names = Array.from(writing.keys());
      if (names.length === 0) status.textContent = "";
      else if (names.length === 1) status.textContent = names[0] + " is writing…";
      else
        status.textContent =
          names.slice(0, -1).join(", ") + " and " + names[names.length - 1] + " are writing…";
    }

    function startWriting(muse, seconds) {
      clearTimeout(writing.get(muse));
      writing.set(
        muse,
        setTimeout(function () {
          stopWriting(muse);
        }, seconds * 1000)
      );
      showWriting();
    }

    function stopWriting(muse) {
      if (!writing.has(muse)) return;
      clearTimeout(writing.get(muse));
      writing.delete(muse);
      showWriting();
    }

    const live = socket("Thread", "/ws/threads/" + encodeURIComponent(publicId) + "/", {
      message: function (message) {
        if (message.type === "post") onPost(message);
        else if (message.type === "turn") refreshTurn(false);
        else if (message.type === "presence" && message.muse)
          startWriting(String(message.muse), Number(message.expires_in) || 8);
      },
      reconnected: function () {
        refreshTurn(true);
      },
    });

    // The thread's writers also hear of new OOC talk: the count beside "OOC talk" follows.
    if ("liveOoc" in main.dataset) {
      socket("Ooc", "/ws/threads/" + encodeURIComponent(publicId) + "/ooc/", {
        message: function (message) {
          if (message.type === "ooc") refreshTurn(false);
        },
      });
    }

    // Tell the others this writer is typing in the reply box, at most every 3 s.
    let lastTyping = 0;
    document.addEventListener("input", function (event) {
      const body = event.target;
      if (!event.isTrusted || !body.matches || !body.matches("[data-composer=body]")) return;
      const form = body.closest("form.composer");
      if (!form || form.dataset.composerId !== "reply") return;
      const now = Date.now();
      if (now - lastTyping < TYPING_EVERY_MS) return;
      const muse = form.querySelector("[name=muse]");
      if (live.send({ type: "typing", muse: muse ? muse.value : null })) lastTyping = now;
    });
  }

  // --------------------------------------------------------------------- a thread's OOC talk

  function oocPage(publicId) {
    const base = main.dataset.liveUrl;
    const status = main.querySelector("[data-live-ooc-status]");

    function oocList() {
      let list = main.querySelector("ol.ooc-list");
      if (list) return list;
      list = document.createElement("ol");
      list.className = "ooc-list";
      list.setAttribute("aria-label", "OOC messages");
      const empty = main.querySelector("p.empty");
      if (empty) empty.replaceWith(list);
      return list;
    }

    function place(id, html) {
      const item = fragment(html).querySelector("li.ooc");
      if (!item) return;
      const existing = main.querySelector('li.ooc[data-ooc="' + id + '"]');
      if (existing) {
        existing.replaceWith(item);
      } else {
        const list = oocList();
        if (!list.isConnected) return;
        const later = Array.from(list.children).find(function (li) {
          return (parseInt(li.dataset.ooc, 10) || 0) > id;
        });
        list.insertBefore(item, later || null);
        // The newest message keeps the anchor notifications link to.
        const latest = document.getElementById("ooc-latest");
        if (latest) latest.removeAttribute("id");
        list.lastElementChild.id = "ooc-latest";
        const who = item.querySelector(".ooc__meta strong");
        if (status && who) status.textContent = "New OOC message from " + who.textContent + ".";
      }
      activate(item);
    }

    function fetchMessage(id) {
      const read = document.visibilityState === "visible" ? "?read=1" : "";
      getHTML(base + "ooc/" + id + "/fragment/" + read)
        .then(function (result) {
          place(id, result.text);
        })
        .catch(function () {});
    }

    function catchUp() {
      // Back after a gap: take the list as it is now (the form, perhaps half typed, stays).
      getHTML(location.pathname)
        .then(function (result) {
          const content = fragment(result.text);
          const fresh = content.querySelector("ol.ooc-list");
          const list = main.querySelector("ol.ooc-list");
          if (!fresh) return;
          if (list) list.replaceWith(fresh);
          else {
            const empty = main.querySelector("p.empty");
            if (empty) empty.replaceWith(fresh);
          }
          activate(fresh);
        })
        .catch(function () {});
    }

    socket("Ooc", "/ws/threads/" + encodeURIComponent(publicId) + "/ooc/", {
      message: function (message) {
        const id = parseInt(message.id, 10);
        if (message.type === "ooc" && id > 0) fetchMessage(id);
      },
      reconnected: catchUp,
    });
  }

  // --------------------------------------------------------------------- the writer's queue

  function queueLink() {
    return document.querySelector('.site-nav a[href="/"]');
  }

  function shownCount() {
    const badge = queueLink() && queueLink().querySelector(".badge");
    return badge ? parseInt(badge.textContent, 10) || 0 : 0;
  }

  function setCount(count) {
    const link = queueLink();
    if (!link) return;
    let badge = link.querySelector(".badge");
    // The count stays in the link's name beside the word (WCAG 2.5.3): "Queue 2 waiting on you".
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        badge.title = "Threads waiting on you";
        const words = document.createElement("span");
        words.className = "visually-hidden";
        words.textContent = " waiting on you";
        link.append(" ", badge, words);
      }
      badge.textContent = String(count);
    } else {
      if (badge) link.textContent = "Queue";
    }
  }

  function setUnread(count) {
    const bell = document.querySelector(".site-nav a.bell");
    if (!bell) return;
    let badge = bell.querySelector("[data-unread-count]");
    let words = bell.querySelector("[data-unread-word]");
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        badge.setAttribute("data-unread-count", "");
        words = document.createElement("span");
        words.className = "visually-hidden";
        words.setAttribute("data-unread-word", "");
        words.textContent = " unread";
        bell.append(" ", badge, words);
      }
      badge.textContent = String(count);
    } else {
      if (badge) badge.remove();
      if (words) words.remove();
    }
  }

  function refreshQueue() {
    getHTML(location.pathname + location.search)
      .then(function (result) {
        // Parsed in a <template>, which is inert: a DOMParser document would apply the
        // response's <style nonce="theirs"> under this page's policy, and be refused.
        const content = fragment(result.text).getElementById("main");
        if (!content) return;
        main.replaceChildren.apply(main, Array.from(content.childNodes));
        activate(main);
      })
      .catch(function () {});
  }

  function writerPages() {
    let known = shownCount();
    const isQueue = "liveQueue" in main.dataset;
    socket("Me", "/ws/me/", {
      message: function (message) {
        if (message.type !== "queue") return;
        const count = Number(message.your_turn) || 0;
        const changed = count !== known;
        known = count;
        setCount(count);
        if ("unread" in message) setUnread(Number(message.unread) || 0);
        // The first message after (re)connecting only matters if something moved meanwhile.
        if (isQueue && (changed || !message.initial)) refreshQueue();
      },
    });
  }

  if (main.dataset.liveThread) threadPage(main.dataset.liveThread);
  if (main.dataset.liveOocThread) oocPage(main.dataset.liveOocThread);
  if ("liveMe" in main.dataset) writerPages();
})();
