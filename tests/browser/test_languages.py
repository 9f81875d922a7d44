"""The panel in German and French, as a browser set to that language shows it: connected
through the German panel, then read after the script's first status refresh, at desktop
width and at 390 px (the longest translations must still fit). The add-on runs with two wrong
options, so the panel also lists what to fix; and a forged sign-in answer gets its callback
page in German: error states must not fall back to English either.

Screenshots: ``test-artifacts/screenshots/language-<lang>-<width>.png`` (+ ``-full``) and
``language-de-forged-<width>.png``.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from babel.messages.pofile import read_po

from oura_addon.i18n import LOCALES_DIR
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, DESKTOP, Panel

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
STATUS_REFRESH_S = 11  # panel.js refreshes every 10 s: its sentences must be translated too
# The options' own problem sentence per language (values as the options editor writes them).
OPTION_PROBLEMS = {
    "de": "Die Option poll_interval=0 liegt außerhalb von 1..1440",
    "fr": "L'option poll_interval=0 est hors de 1..1440",
}
# Words of the English panel that no German or French sentence of ours contains.
ENGLISH_WORDS = (
    "the", "and", "with", "your", "Sync", "never", "Connected", "Disconnect", "Reconnect",
    "Accounts", "Download", "unknown", "Latest", "Last", "Next", "waiting", "unreachable",
    "is", "not", "will", "sent", "again", "state",
)  # fmt: skip

VISIBLE_TEXT = """
() => {
  // What a person reads: rendered text (innerText skips hidden and folded parts), placeholders
  // and button labels; minus what is data, not panel text (translate="no", code, e-mail).
  const skip = '[translate="no"], code, [data-field="email"], script, style, svg';
  const hidden = new Set(Array.from(document.querySelectorAll(skip)));
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    let el = node.parentElement, skipped = false;
    while (el) { if (hidden.has(el)) { skipped = true; break; } el = el.parentElement; }
    if (skipped || !node.parentElement.checkVisibility()) continue;
    if (node.textContent.trim()) parts.push(node.textContent.trim());
  }
  document.querySelectorAll('input[placeholder]').forEach((i) => {
    if (i.checkVisibility()) parts.push(i.placeholder);
  });
  return parts.join(' \\n ');
}
"""


def english_sentences(language: str) -> list[str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=language)
    pieces = []
    for message in catalogue:
        if isinstance(message.id, str) and message.id and message.string != message.id:
            pieces += [p.strip() for p in re.split(r"%\(\w+\)[sdr]", message.id)]
    return [p for p in pieces if len(p) >= 12]


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    """Wrong options the add-on runs on defaults for, and lists in the panel."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "poll_interval": 0,
        "history_days": 30,
        "log_level": "loud",
    }


def assert_no_english(text: str, language: str, where: str) -> None:
    left = [s for s in english_sentences(language) if s in text]
    assert not left, f"English sentences on the {language} {where}: {left}"
    words = [w for w in ENGLISH_WORDS if re.search(rf"\b{w}\b", text)]
    assert not words, f"English words on the {language} {where}: {words}\n{text}"


def assert_fits(frame: Any, language: str, where: str) -> None:
    scroll_width, inner_width = frame.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"the {language} {where} scrolls sideways"


@pytest.fixture(scope="module")
def connected_in_german(expect, browser, ingress, addon):
    context = browser.new_context(viewport=DESKTOP, locale="de-DE")
    context.set_default_timeout(15_000)
    try:
        panel = Panel(context.new_page(), ingress)
        frame = panel.open()
        expect(frame.locator("html")).to_have_attribute("lang", "de-DE")
        consent = panel.open_consent("Verbinden")
        panel.approve(consent)
        consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
        expect(consent.locator("h2")).to_have_text(re.compile(r"^Verbunden\W+du kannst diesen Tab"))
        consent.close()
        expect(frame.locator('[data-field="connection"]').first).to_have_text("Verbunden")
        deadline = time.monotonic() + 60
        while not ((a := panel.account()) and a["last_sync"] and not a["syncing"]):
            assert time.monotonic() < deadline, "the first sync did not finish"
            time.sleep(0.5)
    finally:
        context.close()
    return panel.account()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    ("language", "locale", "sync_button"),
    [("de", "de-DE", "Jetzt synchronisieren"), ("fr", "fr-FR", "Synchroniser")],
)
def test_the_panel_speaks_the_browser_language_and_still_fits(
    expect,
    browser,
    ingress,
    connected_in_german,
    screenshots_dir,
    language,
    locale,
    sync_button,
    viewport,
):
    context = browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        frame = Panel(page, ingress).open()
        expect(frame.get_by_role("button", name=sync_button)).to_be_visible()
        expect(frame.locator("svg.trend-chart").first).to_be_visible()
        expect(frame.get_by_text(OPTION_PROBLEMS[language])).to_be_visible()
        page.wait_for_timeout(STATUS_REFRESH_S * 1000)  # the script has rewritten its fields
        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()
        name = f"language-{language}-{viewport['width']}"
        page.screenshot(path=screenshots_dir / f"{name}.png")

        assert_no_english(inner.evaluate(VISIBLE_TEXT), language, "panel")
        assert_fits(inner, language, "panel")
        overflowing = inner.evaluate(
            """() => Array.from(document.querySelectorAll('button, .badge, h2, h3, label, dt'))
                .filter((el) => el.checkVisibility() && el.scrollWidth > el.clientWidth + 1)
                .map((el) => el.textContent.trim())"""
        )
        assert not overflowing, f"cut-off labels on the {language} panel: {overflowing}"

        whole = context.new_page()
        whole.goto(ingress.ingress_url)
        expect(whole.locator("svg.trend-chart").first).to_be_visible()
        whole.screenshot(path=screenshots_dir / f"{name}-full.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_forged_sign_in_answer_is_refused_in_german(
    expect, browser, ingress, screenshots_dir, viewport
):
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

        assert_no_english(page.evaluate(VISIBLE_TEXT), "de", "callback page")
        assert_fits(page, "de", "callback page")
    finally:
        context.close()
