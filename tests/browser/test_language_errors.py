"""Error states in German, as a browser set to German shows them: the add-on started with
wrong options (the panel lists what to fix) and a forged sign-in answer (the callback page).
No English sentence or word of ours may be visible, at desktop width and at 390 px.

Screenshots: ``test-artifacts/screenshots/language-de-<state>-<width>.png``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import CLIENT_ID, CLIENT_SECRET, DESKTOP, Panel
from .test_languages import ENGLISH_WORDS, PHONE, VISIBLE_TEXT, english_sentences

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    """Two wrong options: the add-on runs on their defaults and says so in the panel."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "poll_interval": 0,
        "log_level": "loud",
    }


def assert_all_german(text: str, where: str) -> None:
    left = [s for s in english_sentences("de") if s in text]
    assert not left, f"English sentences on the German {where}: {left}"
    words = [w for w in ENGLISH_WORDS if re.search(rf"\b{w}\b", text)]
    assert not words, f"English words on the German {where}: {words}\n{text}"


def assert_fits(frame: Any, where: str) -> None:
    scroll_width, inner_width = frame.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"the German {where} scrolls sideways"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_wrong_options_are_listed_in_german(
    expect, browser, ingress, screenshots_dir, viewport
) -> None:
    context = browser.new_context(viewport=viewport, locale="de-DE")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        frame = Panel(page, ingress).open()
        card = frame.locator("section.card.warning")
        expect(card.locator("h2")).to_have_text("Prüfe die Optionen des Add-ons")
        expect(card).to_contain_text("Die Option poll_interval=0 liegt außerhalb von 1..1440")
        expect(card).to_contain_text("Die Option log_level muss einer dieser Werte sein")
        page.screenshot(path=screenshots_dir / f"language-de-options-{viewport['width']}.png")

        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()
        assert_all_german(inner.evaluate(VISIBLE_TEXT), "panel with wrong options")
        assert_fits(inner, "panel with wrong options")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_forged_sign_in_answer_is_refused_in_german(
    expect, browser, ingress, screenshots_dir, viewport
) -> None:
    context = browser.new_context(viewport=viewport, locale="de-DE")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        callback = Panel(page, ingress).callback_url
        response = page.goto(f"{callback}?code=forged-code&state=forged-state")
        assert response is not None and response.status == 400
        expect(page.locator("h2").first).to_have_text("Diese Anmeldung kennt das Add-on nicht")
        expect(page.get_by_text(re.compile("passt zu keiner Verbindung"))).to_be_visible()
        page.screenshot(path=screenshots_dir / f"language-de-forged-{viewport['width']}.png")

        assert_all_german(page.evaluate(VISIBLE_TEXT), "callback page")
        assert_fits(page, "callback page")
    finally:
        context.close()
