"""The dashboard after a sync, at desktop and phone widths, in light and dark mode.

Screenshots go to ``test-artifacts/screenshots/dashboard-<width>-<scheme>.png`` for a human
to look at; the assertions cover what a user would notice without looking closely: sideways
scrolling, controls a screen reader cannot name, and charts missing days.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.browser.conftest import DESKTOP, SIMULATED_TIMEZONE, Panel

pytestmark = pytest.mark.browser

TREND_DAYS = 30
PHONE = {"width": 390, "height": 844}

# Accessible name of every control, the way assistive technology would compute it (roughly).
ACCESSIBLE_NAMES = """
() => {
  const nameOf = (el) => {
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) {
      const text = labelledBy.split(/\\s+/)
        .map((id) => document.getElementById(id)?.textContent || '').join(' ');
      if (text.trim()) return text.trim();
    }
    const aria = el.getAttribute('aria-label');
    if (aria && aria.trim()) return aria.trim();
    if (el.labels && el.labels.length) {
      const text = Array.from(el.labels).map((l) => l.textContent).join(' ');
      if (text.trim()) return text.trim();
    }
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type)) {
      if (el.value && el.value.trim()) return el.value.trim();
    }
    const text = (el.innerText || el.textContent || '').trim();
    if (text && !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) return text;
    const img = el.querySelector('img[alt], svg[aria-label]');
    if (img) return (img.getAttribute('alt') || img.getAttribute('aria-label') || '').trim();
    return (el.getAttribute('title') || el.getAttribute('placeholder') || '').trim();
  };
  return Array.from(document.querySelectorAll('button, a[href], input, select, textarea'))
    .filter((el) => el.type !== 'hidden')
    .map((el) => ({ tag: el.outerHTML.slice(0, 120), name: nameOf(el) }));
}
"""


def wait_for(condition, timeout: float = 60.0, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def synced(expect, browser, ingress, addon, simulator):
    """One account connected through the panel and one completed sync."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    try:
        panel = Panel(context.new_page(), ingress)
        frame = panel.connect(expect)
        frame.get_by_role("button", name="Sync now").first.click()
        wait_for(
            lambda: (a := panel.account()) and a["last_sync"] and not a["syncing"],
            what="the first sync to finish",
        )
    finally:
        context.close()
    return panel.account()


def days_with_data(simulator, addon, endpoint: str, field: str, first: date, last: date) -> int:
    """How many days in first..last the simulated Oura user has a value for, per its API."""
    token = json.loads((addon.accounts_dir / "oura.json").read_text())["tokens"]["access_token"]
    response = requests.get(
        f"{simulator.url}/v2/usercollection/{endpoint}",
        params={
            "start_date": (first - timedelta(days=1)).isoformat(),
            "end_date": (last + timedelta(days=1)).isoformat(),
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    days = set()
    for document in response.json()["data"]:
        if endpoint == "sleep" and document.get("type") != "long_sleep":
            continue
        day = date.fromisoformat(document["day"])
        if first <= day <= last and document.get(field) is not None:
            days.add(day)
    return len(days)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_dashboard_fits_names_every_control_and_charts_every_day(
    expect, browser, ingress, addon, simulator, synced, screenshots_dir, viewport, scheme
):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        panel = Panel(page, ingress)
        frame = panel.open()
        charts = frame.locator("svg.trend-chart")
        expect(charts.first).to_be_visible()
        page.wait_for_load_state("networkidle")
        name = f"dashboard-{viewport['width']}-{scheme}"
        # As seen in Home Assistant (the frame scrolls inside the page) ...
        page.screenshot(path=screenshots_dir / f"{name}.png")
        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()

        scroll_width, inner_width = inner.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, "the panel scrolls sideways"

        unnamed = [c["tag"] for c in inner.evaluate(ACCESSIBLE_NAMES) if not c["name"]]
        assert unnamed == [], f"controls without an accessible name: {unnamed}"

        today = datetime.now(ZoneInfo(SIMULATED_TIMEZONE)).date()
        first = today - timedelta(days=TREND_DAYS - 1)
        expected = {
            "Sleep score": days_with_data(simulator, addon, "daily_sleep", "score", first, today),
            "Readiness score": days_with_data(
                simulator, addon, "daily_readiness", "score", first, today
            ),
            "HRV": days_with_data(simulator, addon, "sleep", "average_hrv", first, today),
        }
        for title, count in expected.items():
            chart = frame.locator(f'svg.trend-chart[aria-label^="{title}:"]')
            expect(chart).to_have_count(1)
            assert count > 0
            expect(chart.locator("circle.point")).to_have_count(count)
        # ... and the whole panel, opened on its own, to see everything below the fold.
        whole = context.new_page()
        whole.goto(ingress.ingress_url)
        expect(whole.locator("svg.trend-chart").first).to_be_visible()
        whole.screenshot(path=screenshots_dir / f"{name}-full.png", full_page=True)
    finally:
        context.close()
