"""The panel's part of push from Oura: ``webhooks`` in /api/status, the Test action, and the
card on the page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from oura_addon.i18n import _l
from oura_addon.web import create_app
from tests.web.conftest import Panel, collect_links


class FakeWebhooks:
    def __init__(self, url: str | None = "https://oura.example.com/webhook") -> None:
        self.url = url
        self.tests = 0

    def status(self) -> dict[str, Any]:
        return {
            "state": "active" if self.url else "off",
            "url": self.url,
            "subscriptions": [
                {"data_type": "sleep", "event_type": "create", "expiration": "2026-04-01T00:00:00Z"}
            ],
            "last_event": None,
            "verified": True,
            "message": _l("Oura pushes new data to this add-on; polling is only a safety net."),
        }

    def test(self) -> None:
        self.tests += 1


def _panel(services, webhooks: FakeWebhooks | None) -> Panel:
    bundle = replace(services.bundle(), webhooks=webhooks)
    return Panel(create_app(services.settings, bundle, secret_key=b"k" * 32))


def test_status_carries_the_webhooks_in_the_panels_language(services):
    panel = _panel(services, FakeWebhooks())
    webhooks = panel.get("/api/status", headers={"Accept-Language": "de"}).get_json()["webhooks"]
    assert webhooks["state"] == "active"
    assert webhooks["subscriptions"][0]["data_type"] == "sleep"
    assert webhooks["message"].startswith("Oura meldet")


def test_without_webhooks_the_status_says_off(panel):
    assert panel.get("/api/status").get_json()["webhooks"]["state"] == "off"


def test_test_asks_for_verification_and_is_refused_while_off(services):
    fake = FakeWebhooks()
    panel = _panel(services, fake)
    assert panel.post("/api/webhooks/test", json={}).status_code == 202
    assert fake.tests == 1
    off = _panel(services, FakeWebhooks(url=None))
    refused = off.post("/api/webhooks/test", json={})
    assert refused.status_code == 409 and refused.get_json()["error"] == "webhooks_off"
    assert (
        _panel(services, FakeWebhooks()).post("/api/webhooks/test", csrf=False).status_code == 403
    )


def test_the_page_has_the_card_and_its_script_under_the_ingress_prefix(panel):
    html = panel.get("/").get_data(True)
    assert 'id="webhooks"' in html and "Push from Oura" in html
    scripts = [v for tag, name, v in collect_links(html).urls if tag == "script"]
    assert any(v.endswith("/static/webhooks.js") and v.startswith(panel.prefix) for v in scripts)
    assert panel.get("/static/webhooks.js").status_code == 200
