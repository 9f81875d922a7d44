"""The portal choice and the missing-data prompt, as a person meets them in a real browser.

The simulated app comes from Oura's new developer portal; the person ticks the older portal
by mistake. Oura's classic sign-in then grants nothing: the add-on switches to the new
portal, says so, names the data Oura did not grant and offers to reconnect with it ticked.
Screenshots go to ``test-artifacts/screenshots/portal-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from oura_addon.oura.endpoints import DEFAULT_SCOPES
from tests.addon_process import simulated_oura
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, SIMULATED_DAYS, SIMULATED_TIMEZONE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def simulator() -> Iterator[Any]:
    with simulated_oura(
        CLIENT_ID,
        CLIENT_SECRET,
        users=1,
        days=SIMULATED_DAYS,
        time_zone=SIMULATED_TIMEZONE,
        auto_approve=False,
        portal="new",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    return {"poll_interval": 60, "history_days": 7}  # the credentials come from the panel


def test_a_wrong_portal_choice_is_corrected_and_the_missing_data_can_be_granted(
    expect, panel, simulator, screenshots_dir
) -> None:
    frame = panel.open()
    new_portal = frame.get_by_label(re.compile("new developer portal"))
    expect(new_portal).to_be_checked()  # what every app made today needs
    frame.get_by_label("Client ID").fill(CLIENT_ID)
    frame.get_by_label("Client secret").fill(CLIENT_SECRET)
    frame.get_by_label(re.compile("older developer portal")).check()
    panel.page.screenshot(path=screenshots_dir / "portal-choice.png")
    frame.get_by_role("button", name="Save credentials").click()
    expect(frame.get_by_text("Client credentials saved.")).to_be_visible()
    assert panel.status()["credentials"]["portal"] == "classic"

    consent = panel.open_consent("Connect")
    assert "/oauth/authorize?" in consent.url  # the classic sign-in, as chosen
    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    expect(consent.get_by_text("Connected - you can close this tab")).to_be_visible()
    notice = consent.locator('[data-field="portal_notice"]')
    expect(notice).to_contain_text("new developer portal")
    expect(notice).to_contain_text("granted no data")
    consent.screenshot(path=screenshots_dir / "portal-corrected.png")
    consent.close()

    status = panel.status()
    assert status["credentials"]["portal"] == "new"
    assert status["accounts"][0]["missing_scopes"] == list(DEFAULT_SCOPES)
    frame = panel.open()
    prompt = frame.locator('[data-field="missing_scopes"]')
    expect(prompt).to_contain_text("Oura did not grant this data")
    expect(prompt).to_contain_text("Heart rate time series")
    expect(prompt.get_by_role("listitem")).to_have_count(len(DEFAULT_SCOPES))
    prompt.scroll_into_view_if_needed()
    panel.page.screenshot(path=screenshots_dir / "portal-missing-data.png")

    consent = panel.open_consent("Reconnect to grant this data")
    assert "/oauth/v2/ext/oauth-authorize?" in consent.url  # now the new portal's sign-in
    boxes = consent.get_by_role("checkbox")
    expect(boxes).to_have_count(len(DEFAULT_SCOPES))
    for index in range(len(DEFAULT_SCOPES)):
        expect(boxes.nth(index)).to_be_checked()
    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    expect(consent.get_by_text("Connected - you can close this tab")).to_be_visible()
    expect(consent.locator('[data-field="portal_notice"]')).to_have_count(0)
    consent.close()

    account = panel.account()
    assert account["missing_scopes"] == [] and account["granted_scopes"] == list(DEFAULT_SCOPES)
    frame = panel.open()
    expect(frame.locator('[data-field="missing_scopes"]')).to_have_count(0)
