// The "Push from Oura" card (templates/_webhooks.html): its facts from /api/status every
// few seconds, and "Test", which asks Oura to verify the callback address again.
(function () {
  "use strict";

  // The panel redraws its content in place (panel.js): the card is looked up each time.
  function currentCard() { return document.getElementById("webhooks"); }
  if (!currentCard()) { return; }
  var card = currentCard();
  var root = document.body.dataset.root || "./";
  function csrf() {
    // Read at each use: panel.js renews the token in the meta tag after a sign-in.
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
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
    card = currentCard();
    if (!webhooks || !card) { return; }
    // Without the webhook_url option the card would only say "off": it stays out of the way.
    card.hidden = webhooks.state === "off" && !webhooks.url;
    if (card.hidden) { return; }
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-webhooks-test]");
    if (!button) { return; }
    card = currentCard();
    fetch(root + "api/webhooks/test", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf() },
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
