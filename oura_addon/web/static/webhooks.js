// The "Push from Oura" card (templates/_webhooks.html): its facts from /api/status every
// few seconds, and "Test", which asks Oura to verify the callback address again.
(function () {
  "use strict";

  var card = document.getElementById("webhooks");
  if (!card) { return; }
  var root = document.body.dataset.root || "./";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var language = document.documentElement.lang || "en";
  var EVERY_MS = 10000;

  function field(name) { return card.querySelector('[data-webhooks="' + name + '"]'); }

  function when(iso) {
    if (!iso) { return card.dataset.none; }
    try {
      return new Date(iso).toLocaleString(language, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { return iso; }
  }

  function show(webhooks) {
    if (!webhooks) { return; }
    card.hidden = false;
    var badge = field("state");
    badge.textContent = webhooks.state;
    badge.className = "badge" + (webhooks.state === "active" ? " connected" : "") +
      (webhooks.state === "error" || webhooks.state === "lapsed" ? " needs_reconnect" : "");
    field("message").textContent = webhooks.message || "";
    field("url").textContent = webhooks.url || "-";
    var subscriptions = webhooks.subscriptions || [];
    var first = subscriptions.map(function (s) { return s.expiration; }).filter(Boolean).sort()[0];
    field("subscriptions").textContent = subscriptions.length
      ? card.dataset.count.replace("{count}", subscriptions.length).replace("{date}", when(first))
      : "-";
    field("last_event").textContent = when(webhooks.last_event);
    card.querySelector("[data-webhooks-test]").hidden = !webhooks.url;
  }

  function refresh() {
    fetch(root + "api/status", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (status) { if (status) { show(status.webhooks); } })
      .catch(function () { /* the next refresh tries again */ });
  }

  card.querySelector("[data-webhooks-test]").addEventListener("click", function () {
    fetch(root + "api/webhooks/test", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: "{}"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        field("message").textContent = r.ok ? card.dataset.testing : (data.message || r.status);
        setTimeout(refresh, 3000);
      });
    });
  });

  refresh();
  setInterval(refresh, EVERY_MS);
})();
