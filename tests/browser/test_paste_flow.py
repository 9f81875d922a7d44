"""The paste method: Home Assistant opened over plain http on a name that is not localhost
(here 127.0.0.2 stands in for http://homeassistant.local:8123), where Oura only accepts a
localhost redirect URI that the browser then fails to load."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.ingress import IngressProxy

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ingress(addon) -> Iterator[IngressProxy]:
    with IngressProxy(addon.port, public_host="127.0.0.2") as proxy:
        yield proxy


def test_plain_http_home_assistant_gets_the_paste_method_and_connects(expect, panel, addon, served):
    frame = panel.open()
    paste_uri = frame.locator("body").get_attribute("data-paste-uri")
    assert paste_uri.startswith("http://localhost")
    # The panel explains why and shows the localhost address to register instead.
    expect(frame.locator("#redirect-warning")).to_be_visible()
    expect(frame.get_by_label(re.compile("Use the paste method"))).to_be_checked()
    expect(frame.get_by_text(paste_uri, exact=True).first).to_be_visible()

    consent = panel.open_consent("Connect")
    assert parse_qs(urlsplit(consent.url).query)["redirect_uri"] == [paste_uri]
    # Oura redirects the browser to the localhost address, where nothing answers: the tab
    # shows an error page, and its address is what the user copies.
    with consent.expect_request(lambda request: request.url.startswith(paste_uri)) as sent:
        panel.approve(consent)
    landed = sent.value.url
    assert landed.startswith(paste_uri + "?")
    code = parse_qs(urlsplit(landed).query)["code"][0]

    frame.get_by_label("Redirected URL").fill(landed)
    frame.get_by_role("button", name="Finish connecting").click()

    expect(frame.locator('[data-field="connection"]').first).to_have_text("Connected")
    account = panel.account()
    assert account["connection"] == "connected"
    assert account["email"]
    expect(frame.get_by_text(account["email"]).first).to_be_visible()
    assert (addon.accounts_dir / "oura.json").exists()
    assert served.containing(code) == []
    assert code not in addon.log_text
