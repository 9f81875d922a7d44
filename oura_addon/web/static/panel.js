// The panel's few behaviours: copy the redirect URI, connect (new tab or paste), confirm
// disconnect, and refresh the status every few seconds. Every URL is built from the page's
// root, so everything works under Home Assistant's ingress prefix.
(function () {
  "use strict";

  var body = document.body;
  var root = body.dataset.root || "./";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var STATUS_EVERY_MS = 10000;
  var PENDING_EVERY_MS = 2500;
  var statusTimer = null;
  var connecting = null; // account name while an authorization is in flight

  function api(method, path, payload) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(root + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || ("The add-on answered " + response.status + "."));
          error.kind = data.error;
          throw error;
        }
        return data;
      });
    });
  }

  function say(text, isError) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "message " + (isError ? "error" : "info");
    p.textContent = text;
    box.appendChild(p);
  }

  // --- The redirect URI --------------------------------------------------------------

  function panelOrigin() {
    // Inside Home Assistant the panel is an iframe: the address the user sees is the parent's.
    try {
      if (window.parent && window.parent !== window && window.parent.location.origin) {
        return window.parent.location.origin;
      }
    } catch (e) { /* cross-origin parent: fall back to our own origin */ }
    return window.location.origin;
  }

  // Oura's portal takes https, or plain http only for localhost. The demo's simulated Oura
  // also takes the loopback address, so the demo on 127.0.0.1 needs no paste step.
  function isAcceptedByOura(origin) {
    var url = new URL(origin);
    if (url.protocol === "https:" || url.hostname === "localhost") return true;
    return body.dataset.demo === "1" && url.hostname === "127.0.0.1";
  }

  var callbackUri = panelOrigin() + (body.dataset.callbackPath || "");
  var pasteUri = body.dataset.pasteUri;
  var usePasteBox = document.getElementById("use-paste");
  var mustPaste = !isAcceptedByOura(panelOrigin());

  function pasteMode() {
    return mustPaste || (usePasteBox && usePasteBox.checked);
  }

  function redirectUri() {
    return pasteMode() ? pasteUri : callbackUri;
  }

  function showRedirectUri() {
    var code = document.getElementById("redirect-uri");
    if (code) { code.textContent = redirectUri(); }
    var warning = document.getElementById("redirect-warning");
    if (warning) { warning.hidden = !mustPaste; }
  }

  if (usePasteBox) {
    if (mustPaste) { usePasteBox.checked = true; usePasteBox.disabled = true; }
    usePasteBox.addEventListener("change", showRedirectUri);
  }
  showRedirectUri();

  var copyButton = document.getElementById("copy-redirect");
  if (copyButton) {
    copyButton.addEventListener("click", function () {
      var text = redirectUri();
      var done = function () { copyButton.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { selectRedirectUri(); });
      } else {
        selectRedirectUri();
      }
    });
  }

  function selectRedirectUri() {
    var code = document.getElementById("redirect-uri");
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say("Press Ctrl+C (or ⌘C) to copy the selected redirect URI.", false);
  }

  // --- Connecting ----------------------------------------------------------------------

  function startConnect(account, button) {
    if (button) { button.disabled = true; }
    api("POST", "api/accounts/" + encodeURIComponent(account) + "/authorize", {
      redirect_uri: redirectUri()
    }).then(function (data) {
      // Oura's consent page refuses to render in a frame: it needs a top-level tab.
      var consent = window.open(data.authorize_url, "oura-consent");
      if (consent) { consent.opener = null; }  // Oura's page gets no handle on this one
      connecting = account;
      watchConsent(account, consent);
      showProgress(account, data.authorize_url);
      schedulePoll(PENDING_EVERY_MS);
    }).catch(function (error) {
      say(error.message, true);
    }).then(function () {
      if (button) { button.disabled = false; }
    });
  }

  // Home Assistant's ingress cookie is SameSite=Strict, so on the redirect back from Oura
  // the browser may withhold it and the Supervisor answers "401: Unauthorized" instead of
  // our callback page. That tab is on this origin again by then: read its address (it
  // carries the code and state) and finish through the paste route, as a person would.
  function watchConsent(account, consent) {
    if (!consent) { return; }
    var timer = window.setInterval(function () {
      var href;
      try {
        if (consent.closed) { window.clearInterval(timer); return; }
        href = consent.location.href;  // throws while the tab shows Oura's site
        if (href === "about:blank" || consent.document.readyState !== "complete") { return; }
      } catch (notOurOriginYet) {
        return;
      }
      window.clearInterval(timer);
      if (consent.document.querySelector("[data-oura-callback]")) { return; }
      if (!/[?&](code|error)=/.test(href)) { return; }
      api("POST", "api/accounts/" + encodeURIComponent(account) + "/paste", { url: href })
        .then(function () {
          consent.close();
          window.location.reload();
        })
        .catch(function (error) { say(error.message, true); });
    }, 500);
  }

  function showProgress(account, authorizeUrl) {
    var box = document.getElementById("connect-progress");
    if (!box) { return; }
    box.hidden = false;
    box.querySelector("[data-connecting-account]").textContent = account;
    document.getElementById("authorize-link").href = authorizeUrl;
    var help = document.getElementById("connect-help");
    // The paste form shows in both modes: Home Assistant's ingress cookie is SameSite=Strict,
    // so the redirect back from Oura can end on a "401: Unauthorized" page, whose address
    // still carries the code and state.
    document.getElementById("paste-form").hidden = false;
    help.textContent = pasteMode()
      ? "Oura's consent page opened in a new tab. After you approve, your browser lands on " +
        "a page that does not load: copy its whole address, paste it below and click " +
        "\"Finish connecting\"."
      : "Oura's consent page opened in a new tab. Approve access there; this panel updates " +
        "by itself. If that tab ends on an error page (such as \"401: Unauthorized\") " +
        "instead of \"Connected\", copy its whole address, paste it below and click " +
        "\"Finish connecting\".";
    box.scrollIntoView({ block: "nearest" });
    if (pasteMode()) { document.getElementById("paste-url").focus(); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-connect], [data-disconnect], [data-close-dialog]");
    if (!target) { return; }
    if (target.hasAttribute("data-connect")) {
      startConnect(target.dataset.account, target);
    } else if (target.hasAttribute("data-disconnect")) {
      var dialog = document.getElementById(target.dataset.disconnect);
      if (dialog && dialog.showModal) { dialog.showModal(); }
    } else {
      var open = target.closest("dialog");
      if (open) { open.close(); }
    }
  });

  var firstForm = document.querySelector("[data-connect-form]");
  if (firstForm) {
    firstForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = firstForm.querySelector('input[name="name"]').value.trim();
      startConnect(name, firstForm.querySelector('button[type="submit"]'));
    });
  }

  var pasteForm = document.getElementById("paste-form");
  if (pasteForm) {
    pasteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!connecting) { say("Click Connect first.", true); return; }
      var button = pasteForm.querySelector("button");
      button.disabled = true;
      api("POST", "api/accounts/" + encodeURIComponent(connecting) + "/paste", {
        url: document.getElementById("paste-url").value
      }).then(function () {
        window.location.reload();
      }).catch(function (error) {
        say(error.message, true);
      }).then(function () { button.disabled = false; });
    });
  }

  // --- Status refresh ------------------------------------------------------------------

  function formatTime(iso, empty) {
    // Same shape as the server renders ("2025-01-30 06:50"), in the add-on's time zone.
    return iso ? iso.slice(0, 16).replace("T", " ") : empty;
  }

  function setField(card, field, text) {
    var element = card.querySelector('[data-field="' + field + '"]');
    if (element) {
      element.textContent = text || "";
      if (element.tagName === "P") { element.hidden = !text; }
    }
  }

  var LABELS = { connected: "Connected", needs_reconnect: "Needs reconnecting", not_connected: "Not connected" };

  function applyStatus(status) {
    var haLine = document.getElementById("ha-status");
    if (haLine && status.home_assistant) {
      haLine.textContent = status.home_assistant.message;
      haLine.className = "status-line " + status.home_assistant.state;
    }
    var known = {};
    (status.accounts || []).forEach(function (account) {
      known[account.name] = account;
      var card = document.querySelector('.account[data-account="' + CSS.escape(account.name) + '"]');
      if (!card) { return; }
      var badge = card.querySelector('[data-field="connection"]');
      if (badge) {
        badge.textContent = LABELS[account.connection] || account.connection;
        badge.className = "badge " + account.connection;
      }
      setField(card, "email", account.email || "unknown");
      setField(card, "last_sync", formatTime(account.last_sync, "never"));
      setField(card, "next_sync", formatTime(account.next_sync, "not scheduled"));
      (account.schedule || []).forEach(function (plan) {
        setField(card, "schedule-" + plan.group, plan.message);
      });
      setField(card, "auth_error", account.auth_error);
      setField(card, "last_error", account.last_error);
      setField(card, "syncing", account.syncing ? "Syncing now…" : "");
      (account.entities || []).forEach(function (entity) {
        document.querySelectorAll('[data-entity="' + CSS.escape(entity.entity_id) + '"]').forEach(
          function (cell) { cell.textContent = entity.state + (entity.unit ? " " + entity.unit : ""); }
        );
      });
    });
    if (connecting && known[connecting] && known[connecting].connection === "connected" &&
        !known[connecting].authorizing) {
      // The callback happened in the other tab: show the connected account and its data.
      window.location.reload();
    }
  }

  function poll() {
    api("GET", "api/status").then(applyStatus).catch(function () {
      /* the next poll tries again; the add-on may be restarting */
    }).then(function () {
      schedulePoll(connecting ? PENDING_EVERY_MS : STATUS_EVERY_MS);
    });
  }

  function schedulePoll(delay) {
    if (statusTimer) { clearTimeout(statusTimer); }
    statusTimer = setTimeout(poll, delay);
  }

  schedulePoll(STATUS_EVERY_MS);
})();
