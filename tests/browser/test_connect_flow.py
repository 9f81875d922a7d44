"""Connecting an Oura account from the panel, in a real browser, through the ingress stand-in."""

from __future__ import annotations

import json
import re
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.browser.conftest import CLIENT_SECRET

pytestmark = pytest.mark.browser


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def stored_tokens(addon, name: str = "oura") -> dict:
    return json.loads((addon.accounts_dir / f"{name}.json").read_text())["tokens"]


def test_connect_from_the_panel_stores_tokens_privately_and_updates_the_panel(
    expect, panel, addon, served
):
    frame = panel.open()
    expect(frame.get_by_label("Account name")).to_have_value("oura")
    # The panel shows the redirect URI to register at Oura, computed from the outer page.
    expect(frame.get_by_text(panel.callback_url).first).to_be_visible()

    consent = panel.open_consent("Connect")
    assert query(consent.url)["redirect_uri"] == panel.callback_url
    panel.approve(consent)

    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    code = query(consent.url)["code"]
    expect(consent.get_by_text("Connected").first).to_be_visible()

    # The first tab learns about it by itself, without a reload.
    email = panel.account()["email"]
    assert email
    card = frame.locator('.account[data-account="oura"]')
    expect(card.locator('[data-field="connection"]')).to_have_text("Connected")
    expect(card.get_by_text(email)).to_be_visible()
    assert panel.account()["connection"] == "connected"

    token_file = addon.accounts_dir / "oura.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    tokens = stored_tokens(addon)
    secrets = {
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "authorization code": code,
        "client secret": CLIENT_SECRET,
    }
    # The recorder sees what the panel served: the email it displays is in there.
    assert served.containing(email), "the served pages were not recorded"
    assert not served.unreadable
    for what, value in secrets.items():
        assert served.containing(value) == [], f"the {what} was served to the browser"
        assert value not in addon.log_text, f"the {what} appears in the add-on log"


def test_replayed_callback_is_refused_and_keeps_the_tokens(expect, panel, addon, served):
    panel.open()
    account = panel.account()
    button = "Reconnect" if account and account["connection"] == "connected" else "Connect"
    consent = panel.open_consent(button)
    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    expect(consent.get_by_text("Connected").first).to_be_visible()
    callback = consent.url
    before = stored_tokens(addon)

    consent.goto(callback)

    expect(consent.get_by_text(re.compile("already used|expired", re.I)).first).to_be_visible()
    expect(consent.get_by_text(re.compile("Connect", re.I)).first).to_be_visible()
    assert stored_tokens(addon) == before
    assert panel.account()["connection"] == "connected"
    assert requests.get(callback, timeout=10).status_code >= 400


def test_disconnect_asks_first_then_forgets_the_account(expect, panel, addon):
    frame = panel.open()
    if not panel.account() or panel.account()["connection"] != "connected":
        consent = panel.open_consent("Connect")
        panel.approve(consent)
        consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
        panel.open()
    card = frame.locator('.account[data-account="oura"]')

    card.get_by_role("button", name="Disconnect").click()
    dialog = frame.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert panel.account()["connection"] == "connected"

    card.get_by_role("button", name="Disconnect").click()
    frame.get_by_role("button", name="Yes, disconnect").click()

    expect(frame.locator('.account[data-account="oura"]')).to_have_count(0)
    expect(frame.get_by_label("Account name")).to_have_value("oura")
    assert panel.account() is None
    assert list(addon.accounts_dir.glob("oura.json*")) == []  # tokens and their backup
