"""The panel in German and French, as a browser set to that language shows it: connected
through the German panel, then read after the script's first status refresh, at desktop
width and at 390 px (the longest translations must still fit).

Screenshots: ``test-artifacts/screenshots/language-<lang>-<width>.png`` (+ ``-full``).
"""

from __future__ import annotations

import re
import time

import pytest
from babel.messages.pofile import read_po

from oura_addon.i18n import LOCALES_DIR

from .conftest import DESKTOP, Panel

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
STATUS_REFRESH_S = 11  # panel.js refreshes every 10 s: its sentences must be translated too
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
        page.wait_for_timeout(STATUS_REFRESH_S * 1000)  # the script has rewritten its fields
        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()
        name = f"language-{language}-{viewport['width']}"
        page.screenshot(path=screenshots_dir / f"{name}.png")

        text = inner.evaluate(VISIBLE_TEXT)
        left = [s for s in english_sentences(language) if s in text]
        assert not left, f"English sentences on the {language} panel: {left}"
        words = [w for w in ENGLISH_WORDS if re.search(rf"\b{w}\b", text)]
        assert not words, f"English words on the {language} panel: {words}\n{text}"

        scroll_width, inner_width = inner.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, f"the {language} panel scrolls sideways"
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
