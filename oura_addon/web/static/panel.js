// The panel's behaviours. Every button works in place: it calls the JSON API, shows an
// error beside the control that caused it, and redraws the page's content from the server
// (no reload, no navigation). The status is polled every few seconds; a sign-in's outcome
// (kept by the add-on) appears on its account's card. Every URL is built from the page's
// root, so everything works under Home Assistant's ingress prefix.
(function () {
  "use strict";

  var body = document.body;
  var root = body.dataset.root || "./";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var STATUS_EVERY_MS = 10000;
  var BUSY_EVERY_MS = 2000;
  var NOTE_MS = 6000;
  var statusTimer = null;
  var busy = false; // a sign-in waits or an import runs: the status is asked for more often
  var authorizeUrls = {}; // account -> Oura's consent URL opened from this page
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

  function accountPath(account, rest) {
    return "api/accounts/" + encodeURIComponent(account) + (rest || "");
  }

  // --- Messages beside their controls ----------------------------------------------------

  var errorCount = 0;

  // Where a message about ``control`` goes: after an input, or after the row of buttons.
  function messageAnchor(control) {
    if (control.matches("input, select, textarea, fieldset")) { return control; }
    return control.closest(".actions, form") || control;
  }

  function clearError(control) {
    if (!control) { return; }
    var id = control.dataset.errorId;
    if (id) {
      var old = document.getElementById(id);
      if (old) { old.remove(); }
      delete control.dataset.errorId;
    }
    control.removeAttribute("aria-invalid");
    var described = (control.getAttribute("aria-describedby") || "").split(" ")
      .filter(function (token) { return token && token !== id; });
    if (described.length) {
      control.setAttribute("aria-describedby", described.join(" "));
    } else {
      control.removeAttribute("aria-describedby");
    }
  }

  function clearErrorsIn(container) {
    if (!container) { return; }
    container.querySelectorAll("[data-error-id]").forEach(clearError);
  }

  // The server's sentence, next to the control, announced (role=alert) and focused.
  function showError(control, message) {
    if (!control) { return; }
    clearError(control);
    var note = document.createElement("p");
    note.className = "field-error";
    note.id = "field-error-" + (++errorCount);
    note.setAttribute("role", "alert");
    note.textContent = message;
    messageAnchor(control).insertAdjacentElement("afterend", note);
    control.dataset.errorId = note.id;
    if (control.matches("input, select, textarea")) {
      control.setAttribute("aria-invalid", "true");
    }
    var described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
    control.focus();
  }

  // A finished action's message: shown beside its control, then it goes away.
  function showNote(control, message) {
    if (!control) { return; }
    var note = document.createElement("p");
    note.className = "field-note";
    note.setAttribute("role", "status");
    note.textContent = message;
    messageAnchor(control).insertAdjacentElement("afterend", note);
    window.setTimeout(function () { note.remove(); }, NOTE_MS);
  }

  // A sentence with no control of its own (a notice from Oura's answer), with a close button.
  function say(message) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "message info";
    p.textContent = message + " ";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = text("dismiss");
    close.addEventListener("click", function () { p.remove(); });
    p.appendChild(close);
    box.appendChild(p);
  }

  // --- Redrawing in place -------------------------------------------------------------------

  var refreshing = null;

  // The page's content again from the server, swapped in without a navigation: open
  // sections stay open, the address stays as it was.
  function refreshMain() {
    if (refreshing) { return refreshing; }
    var here = window.location.href.split("#")[0];
    refreshing = fetch(here, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // This account's own page, and the account is gone: back to the list of accounts.
        if (response.status === 404) { window.location.href = root; return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) { return; }
        var parsed = new DOMParser().parseFromString(html, "text/html");
        var fresh = parsed.querySelector("main");
        // The page that came with the session cookie now in the jar carries its token.
        var freshToken = parsed.querySelector('meta[name="csrf-token"]');
        if (freshToken && freshToken.content) {
          csrf = freshToken.content;
          // Other scripts of the page (webhooks.js) read the token from the page's meta tag.
          var ownToken = document.querySelector('meta[name="csrf-token"]');
          if (ownToken) { ownToken.content = csrf; }
        }
        var main = document.querySelector("main");
        if (!fresh || !main) { return; }
        var open = {};
        main.querySelectorAll("details[id]").forEach(function (details) {
          open[details.id] = details.open;
        });
        var messages = document.getElementById("messages");
        main.innerHTML = fresh.innerHTML;
        var newMessages = document.getElementById("messages");
        if (messages && newMessages) { newMessages.replaceWith(messages); }
        main.querySelectorAll("details[id]").forEach(function (details) {
          if (details.id in open) { details.open = open[details.id]; }
        });
        afterDraw();
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { refreshing = null; });
    return refreshing;
  }

  function afterDraw() {
    showRedirectUri();
    Object.keys(authorizeUrls).forEach(function (account) {
      var box = signInBox(account);
      var link = box && box.querySelector("[data-authorize-link]");
      if (link) { link.href = authorizeUrls[account]; link.hidden = false; }
    });
    document.querySelectorAll("[data-sign-in][data-state]").forEach(function (box) {
      if (box.dataset.state === "waiting") {
        var help = box.querySelector("[data-sign-in-help]");
        if (help) { help.textContent = pasteMode() ? text("help_paste") : text("help_callback"); }
      }
    });
  }

  function card(account) {
    return document.querySelector('.account[data-account="' + CSS.escape(account) + '"]');
  }

  function signInBox(account) {
    var found = card(account);
    return found ? found.querySelector("[data-sign-in]") : null;
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
  var mustPaste = !isAcceptedByOura(redirectOrigin(panelOrigin()));
  var pasteChosen = false;

  function pasteMode() {
    return mustPaste || pasteChosen;
  }

  function redirectUri() {
    return pasteMode() ? pasteUri : callbackUri;
  }

  // An address that wraps only after / ? & (as the server writes them).
  function writeAddress(element, address) {
    element.textContent = "";
    // No look-behind: older Safari (the companion app on older iPhones) cannot parse it.
    (address.match(/[^/?&]*[/?&]|[^/?&]+$/g) || []).forEach(function (part, index) {
      if (index) { element.appendChild(document.createElement("wbr")); }
      element.appendChild(document.createTextNode(part));
    });
  }

  function showRedirectUri() {
    var code = document.getElementById("redirect-uri");
    if (code) { writeAddress(code, redirectUri()); }
    var warning = document.getElementById("redirect-warning");
    if (warning) { warning.hidden = !mustPaste; }
    var box = document.getElementById("use-paste");
    if (box) {
      box.checked = pasteMode();
      box.disabled = mustPaste;
    }
  }
  showRedirectUri();

  document.addEventListener("change", function (event) {
    if (event.target.id === "use-paste") {
      pasteChosen = event.target.checked;
      showRedirectUri();
    }
  });

  function copy(button, value) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(function () {
        button.textContent = text("copied");
      }, function () { showNote(button, text("copy_by_hand")); });
    } else {
      showNote(button, text("copy_by_hand"));
    }
  }

  // --- Connecting ----------------------------------------------------------------------

  function startConnect(account, button, nameInput) {
    account = (account || "").trim().toLowerCase();
    clearError(button);
    if (nameInput) { clearError(nameInput); }
    if (button) { button.disabled = true; }
    api("POST", accountPath(account, "/authorize"), { redirect_uri: redirectUri() })
      .then(function (data) {
        // Oura's consent page refuses to render in a frame: it needs a top-level tab.
        var consent = window.open(data.authorize_url, "oura-consent");
        if (consent) { consent.opener = null; }  // Oura's page gets no handle on this one
        authorizeUrls[account] = data.authorize_url;
        watchConsent(account, consent);
        return refreshMain().then(function () {
          var box = signInBox(account);
          if (box) {
            box.scrollIntoView({ block: "nearest" });
            if (pasteMode()) {
              var input = box.querySelector('input[name="url"]');
              if (input) { input.focus(); }
            }
          }
          schedulePoll(BUSY_EVERY_MS);
        });
      })
      .catch(function (error) {
        var nameKinds = ["bad_name", "exists", "not_found"];
        var target = nameInput && nameKinds.indexOf(error.kind) >= 0 ? nameInput : button;
        if (button) { button.disabled = false; }
        showError(target, error.message);
      })
      .then(function () { if (button && document.contains(button)) { button.disabled = false; } });
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
        if (consent.closed) { window.clearInterval(timer); poll(); return; }
        href = consent.location.href;  // throws while the tab shows Oura's site
        if (href === "about:blank" || consent.document.readyState !== "complete") { return; }
      } catch (notOurOriginYet) {
        return;
      }
      window.clearInterval(timer);
      if (consent.document.querySelector("[data-oura-callback]")) { poll(); return; }
      if (!/[?&](code|error)=/.test(href)) { return; }
      api("POST", accountPath(account, "/paste"), { url: href })
        .then(function (data) {
          consent.close();
          connected(data);
        })
        .catch(function () { poll(); });  // the card shows the outcome the add-on kept
    }, 500);
  }

  function connected(data) {
    refreshMain().then(function () {
      if (data && data.notice) { say(data.notice); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-paste-form]")) {
      event.preventDefault();
      var input = form.querySelector('input[name="url"]');
      var button = form.querySelector('button[type="submit"]');
      clearError(input);
      button.disabled = true;
      api("POST", accountPath(form.dataset.account, "/paste"), { url: input.value })
        .then(connected)
        .catch(function (error) {
          button.disabled = false;
          // A refused answer ends the sign-in: its card says so; a malformed paste stays here.
          poll();
          showError(input, error.message);
        });
    } else if (form.matches("[data-connect-form]")) {
      event.preventDefault();
      var name = form.querySelector("[data-account-name]");
      startConnect(name.value, form.querySelector('button[type="submit"]'), name);
    } else if (form.matches("[data-add-account-form]")) {
      event.preventDefault();
      var field = form.querySelector("[data-account-name]");
      clearError(field);
      api("POST", "api/accounts", { name: field.value.trim().toLowerCase() })
        .then(function () { return refreshMain(); })
        .catch(function (error) { showError(field, error.message); });
    } else if (form.matches("[data-credentials-form]")) {
      event.preventDefault();
      saveCredentials(form);
    } else if (form.matches("[data-disconnect-form]")) {
      event.preventDefault();
      var dialog = form.closest("dialog");
      var submit = form.querySelector('button[type="submit"]');
      submit.disabled = true;
      api("DELETE", accountPath(form.dataset.account))
        .then(function () {
          if (dialog) { dialog.close(); }
          return refreshMain();
        })
        .catch(function (error) {
          submit.disabled = false;
          showError(submit, error.message);
        });
    } else if (form.matches("[data-history-form]")) {
      event.preventDefault();
      startHistory(form);
    }
  });

  function saveCredentials(form) {
    var id = form.querySelector('[name="client_id"]');
    var secret = form.querySelector('[name="client_secret"]');
    var portal = form.querySelector('[name="portal"]:checked');
    var button = form.querySelector('button[type="submit"]');
    clearErrorsIn(form);
    api("POST", "api/credentials", {
      client_id: id.value,
      client_secret: secret.value,
      portal: portal ? portal.value : undefined
    }).then(function () {
      return refreshMain().then(function () {
        showNote(document.getElementById("credentials-title"), text("credentials_saved"));
      });
    }).catch(function (error) {
      var target = !id.value.trim() ? id : (error.kind === "bad_portal"
        ? form.querySelector("fieldset") : secret);
      showError(target || button, error.message);
    });
  }

  // Account names are lower-case: what is typed is shown as it will be.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches("[data-account-name]")) {
      var start = field.selectionStart;
      var lower = field.value.toLowerCase();
      if (lower !== field.value) {
        field.value = lower;
        field.setSelectionRange(start, start);
      }
    }
    if (field.dataset && field.dataset.errorId) { clearError(field); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest(
      "[data-connect], [data-disconnect], [data-close-dialog], [data-sync], [data-copy], " +
      "#copy-redirect, [data-sign-in-cancel], [data-sign-in-dismiss], [data-fix-secret], " +
      "[data-history-cancel]"
    );
    if (!target) { return; }
    if (target.hasAttribute("data-connect")) {
      startConnect(target.dataset.account, target);
    } else if (target.hasAttribute("data-disconnect")) {
      var dialog = document.getElementById(target.dataset.disconnect);
      if (dialog && dialog.showModal) { dialog.showModal(); }
    } else if (target.hasAttribute("data-close-dialog")) {
      var open = target.closest("dialog");
      if (open) { open.close(); }
    } else if (target.hasAttribute("data-sync")) {
      syncNow(target);
    } else if (target.id === "copy-redirect") {
      copy(target, redirectUri());
    } else if (target.hasAttribute("data-copy")) {
      var source = document.getElementById(target.dataset.copy);
      if (source) { copy(target, source.textContent.trim()); }
    } else if (target.hasAttribute("data-sign-in-cancel")) {
      api("DELETE", accountPath(target.dataset.account, "/authorize"))
        .then(function () { return refreshMain(); })
        .catch(function (error) { showError(target, error.message); });
    } else if (target.hasAttribute("data-sign-in-dismiss")) {
      api("DELETE", accountPath(target.dataset.account, "/sign_in"))
        .then(function () { return refreshMain(); })
        .catch(function (error) { showError(target, error.message); });
    } else if (target.hasAttribute("data-fix-secret")) {
      fixSecret();
    } else if (target.hasAttribute("data-history-cancel")) {
      api("DELETE", accountPath(target.dataset.account, "/history"))
        .then(function () { poll(); })
        .catch(function (error) { showError(target, error.message); });
    }
  });

  function fixSecret() {
    ["setup-details", "credentials-details"].forEach(function (id) {
      var details = document.getElementById(id);
      if (details) { details.open = true; }
    });
    var secret = document.getElementById("client-secret");
    if (secret) {
      secret.scrollIntoView({ block: "center" });
      secret.focus();
    }
  }

  function syncNow(button) {
    var account = button.dataset.account;
    clearError(button);
    button.disabled = true;
    api("POST", "api/sync", { account: account }).then(function () {
      var found = card(account);
      if (found) { setField(found, "syncing", text("syncing")); }
      schedulePoll(BUSY_EVERY_MS);
    }).catch(function (error) {
      showError(button, error.message);
    }).then(function () { button.disabled = false; });
  }

  // --- History import ---------------------------------------------------------------

  function startHistory(form) {
    var start = form.querySelector('input[name="start"]');
    var button = form.querySelector("[data-history-start]");
    clearError(start);
    clearError(button);
    button.disabled = true;
    api("POST", accountPath(form.dataset.account, "/history"),
        start.value ? { start: start.value } : {}
    ).then(function () {
      showNote(button, text("history_started"));
      poll();
    }).catch(function (error) {
      button.disabled = false;
      showError(error.kind === "bad_start" ? start : button, error.message);
    });
  }

  function applyHistory(found, history) {
    var box = found.querySelector("[data-history]");
    if (!box || !history) { return; }
    var running = history.state === "running";
    var total = box.querySelector(".history-total");
    var groups = box.querySelector(".history-groups");
    if (total) { total.hidden = history.state === "idle"; }
    if (groups) { groups.hidden = history.state === "idle"; }
    var message = box.querySelector('[data-field="history_message"]');
    if (message) {
      message.textContent = history.message || "";
      if (message.tagName === "P") { message.hidden = !history.message; }
    }
    var bar = box.querySelector('[data-field="history_progress"]');
    if (bar) {
      bar.max = history.days_total || 1;
      bar.value = history.days_done;
    }
    setField(box, "history_count", text("history_days", {
      done: formatNumber(history.days_done), total: formatNumber(history.days_total)
    }));
    Object.keys(history.groups || {}).forEach(function (group) {
      var row = box.querySelector('[data-group="' + CSS.escape(group) + '"]');
      var groupBar = row && row.querySelector("progress");
      if (!groupBar) { return; }  // a group Oura did not grant: skipped
      var progress = history.groups[group];
      groupBar.max = progress.days_total || 1;
      groupBar.value = progress.days_done;
      row.querySelector("[data-count]").textContent =
        formatNumber(progress.days_done) + " / " + formatNumber(progress.days_total);
    });
    var startButton = box.querySelector("[data-history-start]");
    if (startButton) { startButton.disabled = running; }
    var cancel = box.querySelector("[data-history-cancel]");
    if (cancel) { cancel.hidden = !running; }
  }

  // --- Locale-aware values: one way to write them, as the server does (CLDR) --------------

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

  // The wall-clock date and time the ISO text says (its own zone), as the locale writes it.
  function formatMoment(iso) {
    var parts = iso.match(/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/);
    if (!parts) { return iso; }
    try {
      return new Intl.DateTimeFormat(language, {
        dateStyle: "short", timeStyle: "short", timeZone: "UTC"
      }).format(new Date(Date.UTC(+parts[1], parts[2] - 1, +parts[3], +parts[4], +parts[5])));
    } catch (e) { return iso; }
  }

  function formatState(state, unit) {
    var number = Number(state);
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d.*([+-]\d\d:\d\d|Z)$/.test(state)) { return formatMoment(state); }
    if (unit === "h" && state !== "" && isFinite(number)) {
      try {  // 7.17 h -> "7 hr 10 min", as the server writes durations
        var minutes = Math.round(number * 60);
        var parts = [];
        if (minutes >= 60) { parts.push(formatUnit(Math.floor(minutes / 60), "hour")); }
        if (minutes % 60 || minutes < 60) { parts.push(formatUnit(minutes % 60, "minute")); }
        return parts.join(" ");
      } catch (e) { /* an old browser without unit formats: the plain number below */ }
    }
    return formatNumber(state) + (unit ? " " + unit : "");
  }

  function setTime(found, field, iso, empty) {
    var element = found.querySelector('[data-field="' + field + '"]');
    if (!element) { return; }
    var shown = element.querySelector("time");
    if (shown && shown.getAttribute("datetime") === iso) { return; }  // unchanged
    if (!iso) { element.textContent = empty; return; }
    var time = document.createElement("time");
    time.setAttribute("datetime", iso);
    time.textContent = formatMoment(iso);
    element.textContent = "";
    element.appendChild(time);
  }

  function setField(found, field, value) {
    var element = found.querySelector('[data-field="' + field + '"]');
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

  // What, when it changes, the page draws differently rather than only fills in.
  function shape(account) {
    var signIn = account.sign_in;
    return [account.connection, signIn ? signIn.state + "@" + signIn.at : "",
      account.history ? account.history.state === "done" : false].join("|");
  }

  function drawnShape(found) {
    var box = found.querySelector("[data-sign-in]");
    var history = found.querySelector("[data-history]");
    return [found.dataset.connection, box && box.dataset.state ? box.dataset.state + "@" +
      box.dataset.at : "", history ? history.dataset.state === "done" : false].join("|");
  }

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
    var redraw = false;
    var drawn = document.querySelectorAll(".account[data-account]").length;
    var onThisPage = document.querySelector("[data-connect-form], [data-add-account-form]");
    if (onThisPage && drawn !== (status.accounts || []).length) { redraw = true; }
    busy = false;
    (status.accounts || []).forEach(function (account) {
      var signIn = account.sign_in;
      if ((signIn && signIn.state === "waiting") ||
          (account.history && account.history.state === "running")) { busy = true; }
      var found = card(account.name);
      if (!found) { return; }
      if (shape(account) !== drawnShape(found)) { redraw = true; return; }
      var badge = found.querySelector('[data-field="connection"]');
      if (badge) {
        badge.textContent = CONNECTION_LABELS[account.connection] || account.connection;
        badge.className = "badge " + account.connection;
      }
      setField(found, "email", account.email || text("unknown"));
      setTime(found, "last_sync", account.last_sync, text("never"));
      setTime(found, "next_sync", account.next_sync, text("not_scheduled"));
      (account.schedule || []).forEach(function (plan) {
        setField(found, "schedule-" + plan.group, plan.message);
      });
      if (!account.auth_error) { setField(found, "last_error", account.last_error); }
      setField(found, "syncing", account.syncing ? text("syncing") : "");
      applyHistory(found, account.history);
      (account.entities || []).forEach(function (entity) {
        document.querySelectorAll('[data-entity="' + CSS.escape(entity.entity_id) + '"]').forEach(
          function (cell) {
            // The server's rendering stays until the value moves.
            if (cell.dataset.state === entity.state) { return; }
            cell.dataset.state = entity.state;
            cell.textContent = formatState(entity.state, entity.unit);
          }
        );
      });
    });
    if (redraw) {
      var before = {};
      document.querySelectorAll("[data-sign-in]").forEach(function (box) {
        before[box.dataset.account] = box.dataset.state;
      });
      refreshMain().then(function () {
        // A sign-in that just ended: its action button is where the keyboard goes next.
        document.querySelectorAll("[data-sign-in]").forEach(function (box) {
          var state = box.dataset.state;
          if (state && state !== "waiting" && before[box.dataset.account] !== state) {
            var action = box.querySelector("button");
            if (action) { action.focus(); }
          }
        });
      });
    }
  }

  function poll() {
    api("GET", "api/status").then(applyStatus).catch(function () {
      /* the next poll tries again; the add-on may be restarting */
    }).then(function () {
      schedulePoll(busy ? BUSY_EVERY_MS : STATUS_EVERY_MS);
    });
  }

  function schedulePoll(delay) {
    if (statusTimer) { clearTimeout(statusTimer); }
    statusTimer = setTimeout(poll, delay);
  }

  afterDraw();
  busy = !!document.querySelector('[data-sign-in][data-state="waiting"], [data-history][data-state="running"]');
  schedulePoll(busy ? BUSY_EVERY_MS : STATUS_EVERY_MS);
})();
