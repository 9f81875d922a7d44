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
  var language = document.documentElement.lang || "en";

  // The page embeds this script's sentences in its language (see web/script_messages.py).
  var MESSAGES = (function () {
    var block = document.getElementById("panel-messages");
    try { return block ? JSON.parse(block.textContent) : {}; } catch (e) { return {}; }
  })();

  function text(key, values) {
    var sentence = MESSAGES[key] || key;
    return sentence.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }
  var importing = false; // a history import runs: its progress bar is refreshed more often

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
          var message = data.message || text("answered", { status: response.status });
          var answer = [data.oura_error, data.oura_error_description].filter(Boolean).join(": ");
          // Oura's own words help when asking Oura's support; they never hold a secret.
          if (answer) { message += " " + text("oura_answer", { answer: answer }); }
          var error = new Error(message);
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

  // Oura's portal takes https, or plain http only for localhost; its new identity provider
  // refuses 127.0.0.1, so a loopback address is offered as localhost (the same machine).
  function redirectOrigin(origin) {
    var url = new URL(origin);
    if (url.hostname === "127.0.0.1" || url.hostname === "[::1]") { url.hostname = "localhost"; }
    return url.origin;
  }

  function isAcceptedByOura(origin) {
    var url = new URL(origin);
    return url.protocol === "https:" || url.hostname === "localhost";
  }

  var callbackUri = redirectOrigin(panelOrigin()) + (body.dataset.callbackPath || "");
  var pasteUri = body.dataset.pasteUri;
  var usePasteBox = document.getElementById("use-paste");
  var mustPaste = !isAcceptedByOura(redirectOrigin(panelOrigin()));

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
      var done = function () { copyButton.textContent = text("copied"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { selectRedirectUri(); });
      } else {
        selectRedirectUri();
      }
    });
  }

  // Any other "Copy" button names the element whose text it copies (data-copy="id").
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.dataset.copy);
    if (source && navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = text("copied");
      }, function () {});
    }
  });

  // A notice from the last connection (e.g. the app's portal was corrected) survives the
  // reload that shows the connected account.
  var NOTICE_KEY = "oura-connect-notice";
  function finishConnected(data) {
    if (data && data.notice) {
      try { window.sessionStorage.setItem(NOTICE_KEY, data.notice); } catch (e) { /* private */ }
    }
    window.location.reload();
  }
  try {
    var pendingNotice = window.sessionStorage.getItem(NOTICE_KEY);
    if (pendingNotice) {
      window.sessionStorage.removeItem(NOTICE_KEY);
      say(pendingNotice, false);
    }
  } catch (e) { /* private mode */ }

  function selectRedirectUri() {
    var code = document.getElementById("redirect-uri");
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say(text("copy_by_hand"), false);
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
        .then(function (data) {
          consent.close();
          finishConnected(data);
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
    help.textContent = pasteMode() ? text("help_paste") : text("help_callback");
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

  // --- History import ---------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-history-form]");
    if (!form) { return; }
    event.preventDefault();
    var start = form.querySelector('input[name="start"]').value;
    var button = form.querySelector("[data-history-start]");
    button.disabled = true;
    api("POST", "api/accounts/" + encodeURIComponent(form.dataset.account) + "/history",
        start ? { start: start } : {}
    ).then(function () {
      say(text("history_started"), false);
      poll();
    }).catch(function (error) {
      button.disabled = false;
      say(error.message, true);
    });
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-history-cancel]");
    if (!cancel) { return; }
    api("DELETE", "api/accounts/" + encodeURIComponent(cancel.dataset.account) + "/history")
      .then(function () { poll(); })
      .catch(function (error) { say(error.message, true); });
  });

  function applyHistory(card, history) {
    var box = card.querySelector("[data-history]");
    if (!box || !history) { return; }
    var running = history.state === "running";
    box.dataset.state = history.state;
    setField(box, "history_message", history.message);
    box.querySelector(".history-total").hidden = history.state === "idle";
    box.querySelector(".history-groups").hidden = history.state === "idle";
    var bar = box.querySelector('[data-field="history_progress"]');
    bar.max = history.days_total || 1;
    bar.value = history.days_done;
    setField(box, "history_count", text("history_days", { done: formatNumber(history.days_done), total: formatNumber(history.days_total) }));
    Object.keys(history.groups || {}).forEach(function (group) {
      var row = box.querySelector('[data-group="' + CSS.escape(group) + '"]');
      if (!row) { return; }
      var progress = history.groups[group];
      var groupBar = row.querySelector("progress");
      groupBar.max = progress.days_total || 1;
      groupBar.value = progress.days_done;
      row.querySelector("[data-count]").textContent =
        formatNumber(progress.days_done) + " / " + formatNumber(progress.days_total);
    });
    box.querySelector("[data-history-start]").disabled = running;
    box.querySelector("[data-history-cancel]").hidden = !running;
  }

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
      if (!connecting) { say(text("click_connect_first"), true); return; }
      var button = pasteForm.querySelector("button");
      button.disabled = true;
      api("POST", "api/accounts/" + encodeURIComponent(connecting) + "/paste", {
        url: document.getElementById("paste-url").value
      }).then(finishConnected).catch(function (error) {
        say(error.message, true);
      }).then(function () { button.disabled = false; });
    });
  }

  // --- Status refresh ------------------------------------------------------------------

  // --- Locale-aware values (the server renders the first ones with the same CLDR data) ---

  function formatNumber(state) {
    var number = Number(state);
    if (state === "" || state === null || !isFinite(number)) { return state; }
    try {
      return new Intl.NumberFormat(language, { maximumFractionDigits: 20 }).format(number);
    } catch (e) { return state; }
  }

  function formatUnit(value, unit) {
    return new Intl.NumberFormat(language, { style: "unit", unit: unit, unitDisplay: "short" })
      .format(value);
  }

  function formatState(state, unit) {
    var number = Number(state);
    if (unit === "h" && state !== "" && isFinite(number)) {
      try {  // 7.17 h -> "7 hr 10 min", as the server renders durations
        var minutes = Math.round(number * 60);
        var parts = [];
        if (minutes >= 60) { parts.push(formatUnit(Math.floor(minutes / 60), "hour")); }
        if (minutes % 60 || minutes < 60) { parts.push(formatUnit(minutes % 60, "minute")); }
        return parts.join(" ");
      } catch (e) { /* an old browser without unit formats: the plain number below */ }
    }
    return formatNumber(state) + (unit ? " " + unit : "");
  }

  function setTime(card, field, iso, empty) {
    var element = card.querySelector('[data-field="' + field + '"]');
    if (!element) { return; }
    var shown = element.querySelector("time");
    if (shown && shown.getAttribute("datetime") === iso) { return; }  // unchanged
    if (!iso) { element.textContent = empty; return; }
    // The wall-clock time of the add-on's zone, as the ISO text says, in the locale's format.
    var parts = iso.match(/^(\d+)-(\d+)-(\d+)T(\d+):(\d+)/);
    var time = document.createElement("time");
    time.setAttribute("datetime", iso);
    time.textContent = parts ? new Intl.DateTimeFormat(language, {
      dateStyle: "short", timeStyle: "short", timeZone: "UTC"
    }).format(new Date(Date.UTC(+parts[1], parts[2] - 1, +parts[3], +parts[4], +parts[5]))) : iso;
    element.textContent = "";
    element.appendChild(time);
  }

  function setField(card, field, value) {
    var element = card.querySelector('[data-field="' + field + '"]');
    if (element) {
      element.textContent = value || "";
      if (element.tagName === "P") { element.hidden = !value; }
    }
  }

  var CONNECTION_LABELS = {
    connected: text("connected"),
    needs_reconnect: text("needs_reconnect"),
    not_connected: text("not_connected")
  };

  function applyStatus(status) {
    var publishLine = document.getElementById("publish-status");
    if (publishLine && status.publish) {
      var publish = status.publish;
      publishLine.textContent = publish.summary;
      publishLine.className = "status-line publish " + publish.mode +
        (publish.mode === "mqtt" && !publish.connected ? " warning" : "");
      publishLine.setAttribute("data-mode", publish.mode);
      publishLine.setAttribute("data-broker", publish.broker || "");
      publishLine.setAttribute("data-connected", publish.connected ? "true" : "false");
      publishLine.setAttribute("data-devices", String(publish.devices));
    }
    var haLine = document.getElementById("ha-status");
    if (haLine && status.home_assistant) {
      haLine.textContent = status.home_assistant.message;
      haLine.className = "status-line " + status.home_assistant.state;
    }
    var known = {};
    importing = false;
    (status.accounts || []).forEach(function (account) {
      known[account.name] = account;
      var card = document.querySelector('.account[data-account="' + CSS.escape(account.name) + '"]');
      if (!card) { return; }
      var badge = card.querySelector('[data-field="connection"]');
      if (badge) {
        badge.textContent = CONNECTION_LABELS[account.connection] || account.connection;
        badge.className = "badge " + account.connection;
      }
      setField(card, "email", account.email || text("unknown"));
      setTime(card, "last_sync", account.last_sync, text("never"));
      setTime(card, "next_sync", account.next_sync, text("not_scheduled"));
      (account.schedule || []).forEach(function (plan) {
        setField(card, "schedule-" + plan.group, plan.message);
      });
      setField(card, "auth_error", account.auth_error);
      setField(card, "last_error", account.last_error);
      setField(card, "syncing", account.syncing ? text("syncing") : "");
      applyHistory(card, account.history);
      if (account.history && account.history.state === "running") { importing = true; }
      (account.entities || []).forEach(function (entity) {
        document.querySelectorAll('[data-entity="' + CSS.escape(entity.entity_id) + '"]').forEach(
          function (cell) {
            // The server's rendering (durations, the locale's digits) stays until the value moves.
            if (cell.dataset.state === entity.state) { return; }
            cell.dataset.state = entity.state;
            cell.textContent = formatState(entity.state, entity.unit);
          }
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
      schedulePoll(connecting || importing ? PENDING_EVERY_MS : STATUS_EVERY_MS);
    });
  }

  function schedulePoll(delay) {
    if (statusTimer) { clearTimeout(statusTimer); }
    statusTimer = setTimeout(poll, delay);
  }

  schedulePoll(STATUS_EVERY_MS);
})();
