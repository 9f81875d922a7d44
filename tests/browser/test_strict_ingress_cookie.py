"""Home Assistant's ingress session cookie is SameSite=Strict: on the redirect back from Oura
(another site) the browser withholds it and the Supervisor answers "401: Unauthorized" where
our callback page should be. The panel still finishes the connection by itself: the consent
tab is on Home Assistant's origin again, so the panel reads its address (code and state) and
completes through the paste route."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from tests.browser.ingress import IngressProxy

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ingress(addon) -> Iterator[IngressProxy]:
    with IngressProxy(addon.port, public_host="localhost", session_cookie=True) as proxy:
        yield proxy


def _account(addon, name: str = "oura") -> dict | None:
    status = requests.get(f"{addon.url}/api/status", timeout=10).json()
    return next((a for a in status["accounts"] if a["name"] == name), None)


def test_the_stand_in_refuses_ingress_without_the_session_cookie(ingress):
    assert requests.get(ingress.ingress_url, timeout=10).status_code == 401


def test_connect_completes_although_the_callback_tab_is_refused(expect, panel, addon):
    frame = panel.open()
    expect(frame.get_by_label("Account name")).to_have_value("oura")
    consent = panel.open_consent("Connect")
    with consent.expect_response(re.compile(re.escape(panel.callback_url))) as landed:
        panel.approve(consent)
    # What a user of a strict-cookie browser sees in that tab: the Supervisor's refusal.
    assert landed.value.status == 401

    card = frame.locator('.account[data-account="oura"]')
    expect(card.locator('[data-field="connection"]')).to_have_text("Connected", timeout=20_000)
    account = _account(addon)
    assert account["connection"] == "connected" and account["email"]
    assert (addon.accounts_dir / "oura.json").exists()
    assert consent.is_closed()  # the panel closed the refused tab once it had its address
