"""The "Push from Oura" card in a real browser behind the ingress stand-in: it shows the
subscriptions once an account is connected, and Test has Oura verify the address again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.addon_process import free_port, wait_for
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, Panel

pytestmark = pytest.mark.browser

WEBHOOK_PORT = free_port()


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "poll_interval": 60,
        "history_days": 30,
        "log_level": "debug",
        "webhook_url": f"http://127.0.0.1:{WEBHOOK_PORT}/webhook",
    }


@pytest.fixture(scope="module")
def addon_env() -> dict[str, str]:
    return {"OURA_WEBHOOK_PORT": str(WEBHOOK_PORT)}


def test_the_card_shows_the_subscriptions_and_test_verifies_again(
    expect, panel: Panel, simulator, served
):
    frame = panel.connect(expect)
    webhooks = simulator.simulator.webhooks
    wait_for(lambda: len(webhooks.pairs()) == 30, 60, what="the subscriptions")
    card = frame.locator("#webhooks")
    expect(card).to_be_visible()
    expect(card.locator('[data-webhooks="state"]')).to_have_text("active", timeout=20_000)
    expect(card.locator('[data-webhooks="url"]')).to_have_text(
        f"http://127.0.0.1:{WEBHOOK_PORT}/webhook"
    )
    expect(card.locator('[data-webhooks="subscriptions"]')).to_contain_text("30")
    before = len(webhooks.verifications)
    card.get_by_role("button", name="Test").click()
    expect(card.locator('[data-webhooks="message"]')).to_contain_text("check the address again")
    wait_for(lambda: len(webhooks.verifications) >= before + 30, 60, what="Oura's checks")
    assert all(webhooks.verifications[before:])
    # The verification token is never served to the browser.
    for token in webhooks.verification_tokens():
        assert not served.containing(token)
