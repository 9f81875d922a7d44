"""The paste method: for Home Assistant opened over plain http, where Oura only accepts a
localhost redirect URI that the browser then fails to load."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_pasting_the_redirected_url_connects_the_account(panel, addon):
    frame = panel.open()
    paste_uri = frame.locator("body").get_attribute("data-paste-uri")
    assert paste_uri.startswith("http://localhost")
    paste_toggle = frame.get_by_label(re.compile("Use the paste method"))
    if not paste_toggle.is_checked():
        paste_toggle.check()

    consent = panel.open_consent("Connect")
    authorize_query = parse_qs(urlsplit(consent.url).query)
    assert authorize_query["redirect_uri"] == [paste_uri]
    # Nothing listens at the localhost address: the browser's navigation there fails.
    landed: list[str] = []

    def refuse(route):
        landed.append(route.request.url)
        route.abort("connectionrefused")

    consent.route(re.compile("^" + re.escape(paste_uri)), refuse)
    panel.approve(consent)
    consent.wait_for_event("requestfailed")
    assert landed and landed[0].startswith(paste_uri + "?")
    assert "code=" in landed[0]

    frame.get_by_label("Redirected URL").fill(landed[0])
    frame.get_by_role("button", name="Finish connecting").click()

    expect(frame.get_by_text("Connected").first).to_be_visible()
    account = panel.account()
    assert account["connection"] == "connected"
    assert account["email"]
    assert (addon.accounts_dir / "oura.json").exists()
