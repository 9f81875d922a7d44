"""Saying no on Oura's consent page: a clear explanation, and nothing stored."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.browser


def test_denied_consent_explains_the_next_step_and_stores_nothing(expect, panel, addon):
    panel.open()
    consent = panel.open_consent("Connect")

    consent.get_by_role("button", name="Deny").click()

    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?.*error=access_denied"))
    expect(consent.get_by_text(re.compile("not granted|denied", re.I)).first).to_be_visible()
    expect(consent.get_by_text(re.compile(r"click Connect", re.I)).first).to_be_visible()
    account_files = list(addon.accounts_dir.glob("*.json*")) if addon.accounts_dir.exists() else []
    assert all(json.loads(path.read_text()).get("tokens") is None for path in account_files)
    account = panel.account()
    assert account is None or account["connection"] != "connected"
