"""The panel looks like part of Home Assistant: its theme from the frame around it, no header
of its own there, addresses that wrap only at / ? &, several accounts as compact cards with
their charts one click away, a finished history import folded to one line, groups Oura did
not grant shown as skipped, and one way of writing times, durations and numbers.

Screenshots: test-artifacts/screenshots/look-*.png (1280 and 390 px, light and dark, English
and German).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape
from typing import Any

import pytest

from oura_addon.simulator import SimulatorServer
from tests.addon_process import SUPERVISOR_TOKEN, simulated_oura, wait_for
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, DESKTOP, SIMULATED_TIMEZONE, Panel
from tests.browser.ingress import IngressProxy
from tests.ha_websocket import HomeAssistantWebsocketStandIn
from tests.history.recorder import FakeRecorder

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Home Assistant's theme variables as its frontend sets them on <html> (a made-up theme, so
# a panel that kept its own colours cannot pass).
THEMES = {
    "light": {
        "--primary-color": "#e91e63",
        "--primary-background-color": "#fdf6e3",
        "--card-background-color": "#fffaf0",
        "--primary-text-color": "#3b2f2f",
        "--secondary-text-color": "#7a6a5a",
        "--divider-color": "rgba(59, 47, 47, 0.2)",
        "--paper-font-body1_-_font-family": "Georgia, serif",
    },
    "dark": {
        "--primary-color": "#22c55e",
        "--primary-background-color": "#111827",
        "--card-background-color": "#1f2937",
        "--primary-text-color": "#f9fafb",
        "--secondary-text-color": "#9ca3af",
        "--divider-color": "rgba(249, 250, 251, 0.15)",
        "--paper-font-body1_-_font-family": "Georgia, serif",
    },
}
RGB = {
    "#e91e63": "rgb(233, 30, 99)",
    "#fdf6e3": "rgb(253, 246, 227)",
    "#fffaf0": "rgb(255, 250, 240)",
    "#3b2f2f": "rgb(59, 47, 47)",
    "#22c55e": "rgb(34, 197, 94)",
    "#111827": "rgb(17, 24, 39)",
    "#1f2937": "rgb(31, 41, 55)",
    "#f9fafb": "rgb(249, 250, 251)",
}


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(
        CLIENT_ID,
        CLIENT_SECRET,
        users=2,
        days=35,
        time_zone=SIMULATED_TIMEZONE,
        auto_approve=False,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def home_assistant() -> Iterator[HomeAssistantWebsocketStandIn]:
    with HomeAssistantWebsocketStandIn(token=SUPERVISOR_TOKEN, recorder=FakeRecorder()) as ha:
        yield ha


@pytest.fixture(scope="module")
def addon_env(home_assistant: HomeAssistantWebsocketStandIn) -> dict[str, str]:
    return {"HA_WS_URL": home_assistant.url}


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "poll_interval": 60,
        "history_days": 7,  # the first connection's import: a week, quickly done
    }


def themed_outer_page(ingress: IngressProxy, theme: dict[str, str] | None) -> None:
    """Home Assistant's frontend with a theme: its variables on <html>, the panel framed."""
    variables = "; ".join(f"{name}: {value}" for name, value in (theme or {}).items())
    src = escape(f"{ingress.ingress_path}/")
    (ingress.workdir / "www" / "outer.html").write_text(
        f"""<!doctype html>
<html lang="en" style="{escape(variables)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Oura - Home Assistant</title>
<style>
  html, body {{ margin: 0; height: 100%; }}
  body {{ display: flex; flex-direction: column; background: var(--primary-background-color); }}
  header {{ flex: none; height: 56px; line-height: 56px; padding: 0 16px;
           background: var(--primary-color); color: #fff; font-size: 20px; }}
  iframe {{ flex: 1; width: 100%; border: 0; display: block; }}
</style></head>
<body><header>Home Assistant</header><iframe title="Oura" src="{src}"></iframe></body>
</html>
"""
    )


def open_panel(browser: Any, ingress: IngressProxy, viewport: dict, scheme: str, locale: str):
    context = browser.new_context(viewport=viewport, color_scheme=scheme, locale=locale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    panel = Panel(page, ingress)
    panel.open()
    return context, panel


def style_of(frame: Any, selector: str, prop: str) -> str:
    return frame.locator(selector).first.evaluate(
        "(element, prop) => getComputedStyle(element).getPropertyValue(prop)", prop
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_panel_takes_home_assistant_s_theme_and_has_no_header_of_its_own(
    expect, browser, ingress, scheme, screenshots_dir
):
    theme = THEMES[scheme]
    themed_outer_page(ingress, theme)
    try:
        # The operating system says the opposite: Home Assistant's choice wins.
        opposite = "dark" if scheme == "light" else "light"
        for viewport, locale in ((DESKTOP, "en-US"), (PHONE, "de-DE")):
            context, panel = open_panel(browser, ingress, viewport, opposite, locale)
            try:
                frame = panel.frame
                expect(frame.locator("html")).to_have_class(
                    re.compile(rf"\bha-theme\b.*\b{scheme}\b")
                )
                background = RGB[theme["--primary-background-color"]]
                assert style_of(frame, "body", "background-color") == background
                assert style_of(frame, "body", "color") == RGB[theme["--primary-text-color"]]
                assert (
                    style_of(frame, ".card", "background-color")
                    == RGB[theme["--card-background-color"]]
                )
                assert "Georgia" in style_of(frame, "body", "font-family")
                primary = frame.locator("button.primary").first
                assert (
                    style_of(frame, "button.primary", "background-color")
                    == RGB[theme["--primary-color"]]
                )
                expect(primary).to_be_visible()
                expect(frame.locator(".topbar")).to_be_hidden()
                language = locale[:2]
                panel.page.screenshot(
                    path=screenshots_dir / f"look-theme-{viewport['width']}-{scheme}-{language}.png"
                )
            finally:
                context.close()
    finally:
        themed_outer_page(ingress, None)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_without_a_readable_theme_the_panel_follows_the_system(expect, browser, ingress, scheme):
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(ingress.ingress_url)  # not framed: its own header, the system's colours
        expect(page.locator(".topbar")).to_be_visible()
        background = page.locator("body").evaluate("(b) => getComputedStyle(b).backgroundColor")
        assert background == ("rgb(17, 17, 17)" if scheme == "dark" else "rgb(250, 250, 250)")
    finally:
        context.close()


def test_addresses_wrap_only_after_a_slash_question_mark_or_ampersand(
    browser, ingress, screenshots_dir
):
    context, panel = open_panel(browser, ingress, PHONE, "light", "en-US")
    try:
        frame = panel.frame
        code = frame.locator("#redirect-uri")
        # Each piece between the break points stays on one line.
        pieces = code.evaluate(
            """(code) => Array.from(code.childNodes).filter((n) => n.nodeType === 3).map((n) => {
                const range = document.createRange();
                range.selectNodeContents(n);
                const rects = Array.from(range.getClientRects());
                const tops = new Set(rects.map((r) => Math.round(r.top)));
                return [n.textContent, tops.size];
            })"""
        )
        assert "".join(text for text, _ in pieces) == panel.callback_url
        assert len(pieces) > 4
        assert all(lines == 1 for _, lines in pieces), pieces
        lines = code.evaluate(
            "(c) => new Set(Array.from(c.getClientRects()).map((r) => Math.round(r.top))).size"
        )
        code.screenshot(path=screenshots_dir / "look-redirect-uri-390.png")
        assert code.evaluate("(c) => c.scrollWidth <= c.clientWidth + 1")
        assert lines >= 1
    finally:
        context.close()


def _connect(panel: Panel, name: str, user: int, refuse: tuple[str, ...] = ()) -> None:
    frame = panel.frame
    button = frame.locator(f'.account[data-account="{name}"]').get_by_role(
        "button", name=re.compile("^(Connect|Connect again)$")
    )
    with panel.page.context.expect_page() as new_tab:
        if button.count():
            button.first.click()
        else:
            frame.get_by_role("button", name="Connect", exact=True).click()
    consent = new_tab.value
    consent.wait_for_load_state()
    for label in refuse:
        consent.get_by_label(re.compile(label)).uncheck()
    panel.approve(consent, user_index=user)
    consent.wait_for_url(re.compile(re.escape(panel.callback_url) + r"\?"))
    consent.close()


def test_several_accounts_read_as_compact_cards(expect, browser, ingress, screenshots_dir):
    context, panel = open_panel(browser, ingress, DESKTOP, "light", "en-US")
    try:
        frame = panel.frame
        _connect(panel, "oura", 0)
        expect(
            frame.locator('.account[data-account="oura"] [data-field="connection"]')
        ).to_have_text("Connected", timeout=15_000)
        frame.get_by_label("Account name").fill("partner")
        frame.get_by_role("button", name="Add account").click()
        expect(frame.locator('.account[data-account="partner"]')).to_be_visible()
        _connect(panel, "partner", 1, refuse=("Blood oxygen", "Stress and resilience"))
        for name in ("oura", "partner"):
            wait_for(
                lambda n=name: (a := panel.account(n)) and a["history"]["state"] == "done",
                60,
                what=f"the first import of {name}",
            )
        wait_for(lambda: panel.account("partner")["last_sync"], 60, what="a sync")

        partner = frame.locator('.account[data-account="partner"]')
        history = partner.locator("[data-history]")
        expect(history).to_have_attribute("data-state", "done", timeout=15_000)
        # Done: one line, the bars folded away.
        expect(history.locator("details.history-done > summary")).to_contain_text("Complete")
        expect(history.locator("progress").first).to_be_hidden()
        history.locator("details.history-done > summary").click()
        # Groups Oura did not grant are listed as skipped, never as imported.
        for group in ("spo2", "stress"):
            row = history.locator(f'[data-group="{group}"]')
            expect(row).to_contain_text("not granted")
            expect(row.locator("progress")).to_have_count(0)
        expect(history.locator('[data-group="sleep"] progress')).to_be_visible()
        assert panel.account("partner")["history"]["not_granted"] == ["spo2", "stress"]

        # The charts are one click away on the main page.
        charts = partner.locator("details.charts")
        expect(charts.locator("svg").first).to_be_hidden()
        charts.locator("summary").click()
        expect(charts.locator("svg").first).to_be_visible()
        expect(history.locator('input[type="date"]')).to_have_attribute(
            "max", re.compile(r"\d{4}-\d\d-\d\d")
        )
    finally:
        context.close()

    for viewport, scheme, locale in (
        (DESKTOP, "light", "en-US"),
        (PHONE, "light", "en-US"),
        (DESKTOP, "dark", "de-DE"),
        (PHONE, "dark", "de-DE"),
    ):
        context, panel = open_panel(browser, ingress, viewport, scheme, locale)
        try:
            language = locale[:2]
            inner = panel.page.locator('iframe[title="Oura"]').element_handle().content_frame()
            height = inner.evaluate("document.documentElement.scrollHeight")
            panel.page.set_viewport_size({"width": viewport["width"], "height": height + 60})
            panel.page.screenshot(
                path=screenshots_dir / f"look-accounts-{viewport['width']}-{scheme}-{language}.png"
            )
            if viewport is PHONE:
                # Two accounts on a phone: compact, not thousands of pixels of bars.
                assert height < 2600, height
        finally:
            context.close()


def test_times_durations_and_numbers_are_written_one_way(expect, browser, ingress):
    context, panel = open_panel(browser, ingress, DESKTOP, "light", "de-DE")
    try:
        frame = panel.frame
        panel.page.goto(f"{ingress.url}/")
        frame = panel.frame
        frame.locator(".account").first.wait_for()
        details = frame.locator('.account[data-account="oura"]').get_by_role("link", name="Details")
        frame.locator("body").evaluate("() => 0")
        details.click()
        table = frame.locator("table.entities")
        frame.locator("details.entities-list > summary").click()
        expect(table).to_be_visible()
        text = table.inner_text()
        # No raw ISO timestamp and no decimal hours anywhere in the table.
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), text
        assert not re.search(r"\d+[.,]\d+ h\b", text), text
        assert re.search(r"\d+ Std\.", text), text  # German durations
        assert re.search(r"\d\d\.\d\d\.\d\d, \d\d:\d\d", text), text  # German date and time
        last_sync = frame.locator('[data-field="last_sync"]').inner_text()
        assert re.fullmatch(r"\d\d\.\d\d\.\d\d, \d\d:\d\d", last_sync), last_sync
    finally:
        context.close()
