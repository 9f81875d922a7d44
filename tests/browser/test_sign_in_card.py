"""Connecting never leaves anyone guessing: every way a sign-in ends shows on its account's
card with its sentence and one action, also after a reload and an add-on restart; errors sit
beside the control that caused them; one Oura user is connected once; buttons work in place.

The add-on here has no client credentials in its options: they are entered in the panel, so
a wrong secret can be typed as a user would. Screenshots of each card land in
test-artifacts/screenshots/sign-in-*.png at 1280 and 390 px, light and dark, English and
German.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.addon_process import AddonProcess, PanelClient, wait_for
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, DESKTOP, Panel

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = [
    (viewport, scheme, locale)
    for viewport in (DESKTOP, PHONE)
    for scheme in ("light", "dark")
    for locale in ("en-US", "de-DE")
]
# The German card says the same: its title, read after a restart from /data.
GERMAN_TITLES = {
    "denied": "Zugriff wurde nicht gewährt",
    "expired": "Diese Anmeldung ist abgelaufen",
    "cancelled": "Anmeldung abgebrochen",
    "same-user": "Diese Oura-Person ist bereits verbunden",
}


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    return {"poll_interval": 60, "history_days": 30, "log_level": "debug"}


@pytest.fixture
def fresh(panel: Panel) -> Iterator[PanelClient]:
    """No account and the right credentials, whatever the test before left."""
    client = PanelClient(panel.ingress.ingress_url)
    for account in client.status()["accounts"]:
        assert client.delete(account["name"]).status_code == 200
    saved = client.session.post(
        f"{client.base_url}/api/credentials",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "portal": "new"},
        timeout=10,
    )
    assert saved.status_code == 200, saved.text
    yield client


def card(frame: Any, name: str = "oura") -> Any:
    return frame.locator(f'.account[data-account="{name}"]')


def outcome(frame: Any, name: str = "oura") -> Any:
    return card(frame, name).locator("[data-sign-in]")


def connect_from_first_form(panel: Panel, name: str | None = None) -> Any:
    """Type the name (if given) and click Connect; returns Oura's consent tab."""
    frame = panel.open()
    if name is not None:
        frame.get_by_label("Account name").fill(name)
    return panel.open_consent("Connect")


def shoot(browser: Any, panel: Panel, screenshots_dir: Any, name: str, account: str) -> None:
    """The account's card as each kind of user sees it: a fresh page, nothing remembered."""
    for viewport, scheme, locale in SHOTS:
        context = browser.new_context(viewport=viewport, color_scheme=scheme, locale=locale)
        try:
            page = context.new_page()
            other = Panel(page, panel.ingress)
            frame = other.open()
            target = card(frame, account)
            target.wait_for()
            language = "de" if locale.startswith("de") else "en"
            assert frame.locator("html").get_attribute("lang").startswith(language)
            if language == "de" and name in GERMAN_TITLES:
                assert GERMAN_TITLES[name] in target.inner_text()
            target.screenshot(
                path=screenshots_dir / f"sign-in-{name}-{viewport['width']}-{scheme}-{language}.png"
            )
        finally:
            context.close()


def test_denied_consent_stays_on_the_card_after_a_reload_and_a_restart(
    expect, panel, fresh, addon: AddonProcess, browser, screenshots_dir
):
    consent = connect_from_first_form(panel)
    frame = panel.frame
    # The add-on knows the sign-in waits: the card says so and offers Cancel.
    expect(outcome(frame)).to_have_attribute("data-state", "waiting")
    expect(outcome(frame).get_by_role("button", name="Cancel")).to_be_visible()

    consent.get_by_role("button", name="Deny").click()
    consent.wait_for_url(re.compile(r"error=access_denied"))
    consent.close()

    # Within seconds, without a reload: the sentence and one action.
    expect(outcome(frame)).to_have_attribute("data-state", "failed", timeout=10_000)
    expect(outcome(frame)).to_contain_text("Access was not granted")
    expect(outcome(frame).get_by_role("button", name="Connect again")).to_be_visible()
    expect(outcome(frame).get_by_role("button", name="Connect again")).to_be_focused()
    assert fresh.account("oura")["sign_in"]["error"] == "access_denied"

    panel.page.reload()
    frame = panel.open()
    expect(outcome(frame)).to_contain_text("Access was not granted")

    addon.stop()
    addon.start()
    frame = panel.open()
    expect(outcome(frame)).to_contain_text("Access was not granted")
    shoot(browser, panel, screenshots_dir, "denied", "oura")

    # Dismissed, it is gone for good.
    outcome(frame).get_by_role("button", name="Dismiss").click()
    expect(outcome(frame)).to_be_hidden()
    assert PanelClient(panel.ingress.ingress_url).account("oura")["sign_in"] is None


def test_a_wrong_secret_is_shown_with_a_way_to_fix_it(
    expect, panel, fresh, addon: AddonProcess, browser, screenshots_dir
):
    frame = panel.open()
    frame.get_by_text("Enter client credentials").or_(
        frame.get_by_text("Change client credentials")
    ).first.click()
    frame.get_by_label("Client secret").fill("not-the-secret")
    frame.get_by_role("button", name="Save credentials").click()
    expect(frame.get_by_text("Client credentials saved.")).to_be_visible()
    url = frame.locator("body").evaluate("() => location.href")

    consent = panel.open_consent("Connect")
    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    expect(consent.get_by_text("did not accept the app's client secret")).to_be_visible()
    consent.close()

    expect(outcome(frame)).to_contain_text("did not accept the app's client secret", timeout=10_000)
    addon.stop()
    addon.start()
    frame = panel.open()
    fix = outcome(frame).get_by_role("button", name="Enter the client secret again")
    expect(fix).to_be_visible()
    shoot(browser, panel, screenshots_dir, "wrong-secret", "oura")

    fix.click()
    secret = frame.get_by_label("Client secret")
    expect(secret).to_be_focused()
    secret.fill(CLIENT_SECRET)
    frame.get_by_role("button", name="Save credentials").click()
    expect(frame.get_by_text("Client credentials saved.")).to_be_visible()
    # A finished action's message goes away by itself.
    expect(frame.get_by_text("Client credentials saved.")).to_be_hidden(timeout=10_000)
    assert frame.locator("body").evaluate("() => location.href") == url


def test_a_closed_consent_tab_expires_on_the_card(
    expect, panel, fresh, addon: AddonProcess, browser, screenshots_dir
):
    addon.stop()
    addon.env["OURA_ADDON_SIGN_IN_SECONDS"] = "3"
    addon.start()
    try:
        consent = connect_from_first_form(panel)
        consent.close()  # the user closed Oura's tab and forgot about it
        frame = panel.frame
        expect(outcome(frame)).to_have_attribute("data-state", "expired", timeout=15_000)
        expect(outcome(frame)).to_contain_text("This sign-in has expired")
        expect(outcome(frame).get_by_role("button", name="Connect again")).to_be_visible()
    finally:
        addon.stop()
        del addon.env["OURA_ADDON_SIGN_IN_SECONDS"]
        addon.start()
    frame = panel.open()
    expect(outcome(frame)).to_contain_text("This sign-in has expired")
    shoot(browser, panel, screenshots_dir, "expired", "oura")


def test_cancel_ends_the_sign_in_and_refuses_oura_s_late_answer(
    expect, panel, fresh, addon: AddonProcess, browser, screenshots_dir
):
    consent = connect_from_first_form(panel)
    frame = panel.frame
    outcome(frame).get_by_role("button", name="Cancel").click()
    expect(outcome(frame)).to_have_attribute("data-state", "cancelled")
    expect(outcome(frame)).to_contain_text("Sign-in cancelled")

    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    expect(consent.get_by_text("cancelled in the add-on panel")).to_be_visible()
    consent.close()
    assert fresh.account("oura")["connection"] == "not_connected"

    panel.page.reload()
    frame = panel.open()
    expect(outcome(frame)).to_contain_text("Sign-in cancelled")
    addon.stop()
    addon.start()
    frame = panel.open()
    expect(outcome(frame)).to_contain_text("Sign-in cancelled")
    shoot(browser, panel, screenshots_dir, "cancelled", "oura")


def test_a_malformed_paste_and_a_refused_name_are_explained_beside_their_field(
    expect, panel, fresh, browser, screenshots_dir
):
    frame = panel.open()
    name = frame.get_by_label("Account name")
    # The rule is there before anyone gets it wrong.
    expect(frame.locator("#first-account-help")).to_contain_text("Lower-case letters")
    name.fill("9 lives")
    frame.get_by_role("button", name="Connect", exact=True).click()
    error = frame.locator("#first-account-name + .field-error")
    expect(error).to_contain_text("is not valid")  # the server's sentence, not the browser's
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    assert error.get_attribute("role") == "alert"
    frame.locator("main").screenshot(path=screenshots_dir / "sign-in-refused-name-1280.png")

    name.press_sequentially("")
    name.fill("")
    name.press_sequentially("Oura")
    expect(name).to_have_value("oura")  # lower-cased as it is typed
    expect(error).to_have_count(0)

    consent = panel.open_consent("Connect")
    paste = frame.get_by_label("Redirected URL")
    paste.fill("this is not an address")
    frame.get_by_role("button", name="Finish connecting").click()
    beside = frame.locator('[data-paste-form] input[name="url"] + .field-error')
    expect(beside).to_be_visible()
    expect(paste).to_be_focused()
    # A malformed paste spoils nothing: the sign-in still waits for Oura's answer.
    expect(outcome(frame)).to_have_attribute("data-state", "waiting")
    card(frame).screenshot(path=screenshots_dir / "sign-in-malformed-paste-1280.png")
    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    consent.close()
    expect(card(frame).locator('[data-field="connection"]')).to_have_text("Connected")


def test_a_refused_name_on_a_german_phone_in_the_dark_is_explained_beside_the_field(
    expect, panel, fresh, browser, screenshots_dir
):
    context = browser.new_context(viewport=PHONE, color_scheme="dark", locale="de-DE")
    try:
        frame = Panel(context.new_page(), panel.ingress).open()
        name = frame.get_by_label("Kontoname")
        name.fill("9 lives")
        frame.get_by_role("button", name="Verbinden", exact=True).click()
        error = frame.locator("#first-account-name + .field-error")
        expect(error).to_contain_text("ist ungültig")
        expect(name).to_be_focused()
        # The sentence fits the phone: nothing runs off to the side.
        box = error.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        frame.locator('section[aria-labelledby="first-account-title"]').screenshot(
            path=screenshots_dir / "sign-in-refused-name-390-dark-de.png"
        )
    finally:
        context.close()


def test_the_same_oura_user_under_a_second_name_is_refused(
    expect, panel, fresh, browser, screenshots_dir
):
    consent = connect_from_first_form(panel)
    panel.approve(consent, user_index=0)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    consent.close()
    frame = panel.frame
    expect(card(frame).locator('[data-field="connection"]')).to_have_text("Connected")

    frame.get_by_label("Account name").fill("partner")
    frame.get_by_role("button", name="Add account").click()
    expect(card(frame, "partner")).to_be_visible()
    with panel.page.context.expect_page() as new_tab:
        card(frame, "partner").get_by_role("button", name="Connect", exact=True).click()
    consent = new_tab.value
    consent.wait_for_load_state()
    panel.approve(consent, user_index=0)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    expect(consent.get_by_text("already connected as the account 'oura'")).to_be_visible()
    consent.close()

    expect(outcome(frame, "partner")).to_contain_text("already connected", timeout=10_000)
    partner = fresh.account("partner")
    assert partner["connection"] == "not_connected"
    assert partner["sign_in"]["error"] == "same_oura_user"
    assert fresh.account("oura")["connection"] == "connected"
    shoot(browser, panel, screenshots_dir, "same-user", "partner")

    # Another person connects beside the first.
    with panel.page.context.expect_page() as new_tab:
        outcome(frame, "partner").get_by_role("button", name="Connect again").click()
    consent = new_tab.value
    consent.wait_for_load_state()
    panel.approve(consent, user_index=1)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    consent.close()
    expect(card(frame, "partner").locator('[data-field="connection"]')).to_have_text(
        "Connected", timeout=10_000
    )


def test_sync_now_works_in_place(expect, panel, fresh):
    consent = connect_from_first_form(panel)
    panel.approve(consent)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    consent.close()
    frame = panel.frame
    expect(card(frame).locator('[data-field="connection"]')).to_have_text("Connected")
    wait_for(lambda: fresh.account("oura")["last_sync"], 30, what="the first sync")
    frame.locator("body").evaluate("() => { window.stillThisPage = true; }")
    url = frame.locator("body").evaluate("() => location.href")
    outer = panel.page.url

    card(frame).get_by_role("button", name="Sync now").click()

    expect(card(frame).locator('[data-field="syncing"]')).to_be_visible()
    assert frame.locator("body").evaluate("() => window.stillThisPage === true")
    assert frame.locator("body").evaluate("() => location.href") == url
    assert panel.page.url == outer
    # A never-connected account offers neither Sync now nor Disconnect.
    frame.get_by_label("Account name").fill("spare")
    frame.get_by_role("button", name="Add account").click()
    spare = card(frame, "spare")
    expect(spare).to_be_visible()
    expect(spare.get_by_role("button", name="Sync now")).to_have_count(0)
    expect(spare.get_by_role("button", name="Disconnect")).to_have_count(0)
    expect(spare.get_by_role("button", name="Remove")).to_be_visible()
    assert frame.locator("body").evaluate("() => window.stillThisPage === true")
