"""The history import as a user runs it in the panel: "Import history", the progress bars
(days done / total, and per metric group) moving while Oura answers slowly, the final
"done" state, and the phone's width, with every day landing in Home Assistant's statistics.

No Home Assistant core runs here: the add-on process imports into the websocket stand-in
(tests/ha_websocket.py) backed by the recorder stand-in of the history tests. Screenshots:
``test-artifacts/screenshots/history-{running,done}-<width>.png``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from oura_addon.simulator import SimulatorServer
from tests.addon_process import SUPERVISOR_TOKEN, simulated_oura
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, DESKTOP, SIMULATED_TIMEZONE, Panel
from tests.browser.test_dashboard import PHONE, wait_for
from tests.ha_websocket import HomeAssistantWebsocketStandIn
from tests.history.recorder import FakeRecorder

pytestmark = pytest.mark.browser

HISTORY_DAYS = 730  # two years: five chunks per group
SLOW_ANSWER = 0.4  # seconds per Oura answer while the test watches the bars move
GROUPS = ("sleep", "readiness", "activity", "spo2", "stress", "heart_health")

BAR_BETWEEN = """
(selector) => {
  const bar = document.querySelector(selector);
  return bar !== null && bar.value > 0 && bar.value < bar.max;
}
"""
BARS = """
() => Array.from(document.querySelectorAll('[data-history] progress'))
  .map((bar) => [bar.value, bar.max])
"""


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(
        CLIENT_ID,
        CLIENT_SECRET,
        users=1,
        days=HISTORY_DAYS,
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


def _days_with_a_sleep_score(simulator, addon, first: date, last: date) -> int:
    """The days in first..last the simulated user has a sleep score for, every page read."""
    token = json.loads((addon.accounts_dir / "oura.json").read_text())["tokens"]["access_token"]
    params: dict[str, str] = {"start_date": first.isoformat(), "end_date": last.isoformat()}
    days: set[date] = set()
    while True:
        response = requests.get(
            f"{simulator.url}/v2/usercollection/daily_sleep",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        days |= {date.fromisoformat(d["day"]) for d in body["data"] if d.get("score") is not None}
        if not body.get("next_token"):
            return len({d for d in days if first <= d <= last})
        params = {**params, "next_token": body["next_token"]}


def _connect(panel: Panel, expect: Any) -> Any:
    frame = panel.connect(expect)
    wait_for(
        lambda: (a := panel.account()) and a["history"]["state"] == "done",
        what="the first connection's week of history",
    )
    return frame


def test_import_history_moves_its_bars_to_done_and_every_day_reaches_the_statistics(
    expect, browser, ingress, addon, simulator, home_assistant, screenshots_dir
):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        panel = Panel(page, ingress)
        frame = _connect(panel, expect)
        page.reload()
        frame = panel.frame
        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()
        box = frame.locator("[data-history]")
        expect(box).to_have_attribute("data-state", "done")
        # A finished import is one line: a new one starts from under it.
        box.locator("details.history-done > summary").click()

        simulator.simulator.faults.slow(SLOW_ANSWER, count=None)
        frame.get_by_role("button", name="Import history").click()
        expect(box).to_have_attribute("data-state", "running")
        expect(frame.get_by_role("button", name="Cancel import")).to_be_visible()

        # Part way: the total bar between empty and full, its count saying so, and the
        # groups' bars each at their own place.
        inner.wait_for_function(BAR_BETWEEN, arg='[data-field="history_progress"]', timeout=120_000)
        running = panel.account()["history"]
        total = running["days_total"]
        assert total >= HISTORY_DAYS - 2 and running["state"] == "running"
        count = frame.locator('[data-field="history_count"]')
        done_then = int(re.match(r"(\d+) / ", count.inner_text()).group(1))
        assert 0 < done_then < total, count.inner_text()
        assert f" / {total:,} days" in count.inner_text()
        group_bars = inner.evaluate(BARS)[1:]
        assert len(group_bars) == len(GROUPS)
        assert any(0 < value < maximum for value, maximum in group_bars), group_bars
        page.screenshot(path=screenshots_dir / "history-running-1280.png")

        simulator.simulator.faults.clear()
        expect(box).to_have_attribute("data-state", "done", timeout=180_000)
        expect(count).to_have_text(f"{total:,} / {total:,} days")
        expect(frame.locator('[data-field="history_message"]')).to_contain_text(
            f"Complete. Days imported: {total:,}"
        )
        assert all(value == maximum == total for value, maximum in inner.evaluate(BARS))
        expect(frame.get_by_role("button", name="Cancel import")).to_be_hidden()
        # Done folds to one line; a new import starts from under it.
        box.locator("details.history-done > summary").click()
        expect(frame.get_by_role("button", name="Import history")).to_be_enabled()
        page.screenshot(path=screenshots_dir / "history-done-1280.png")
    finally:
        context.close()

    # Every day Oura has a sleep score for is one row of the entity's statistics.
    end = date.fromisoformat(running["end"])
    start = date.fromisoformat(running["start"])
    expected = _days_with_a_sleep_score(simulator, addon, start, end)
    rows = home_assistant.recorder.snapshot()["sensor.oura_sleep_score"]
    local = ZoneInfo(SIMULATED_TIMEZONE)
    imported = {at.astimezone(local).date() for at in rows}
    assert len([d for d in imported if start <= d <= end]) == expected > HISTORY_DAYS // 2

    _fits_a_phone(browser, ingress, expect, screenshots_dir)


def _fits_a_phone(browser, ingress, expect, screenshots_dir) -> None:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        frame = Panel(page, ingress).open()
        box = frame.locator("[data-history]")
        expect(box).to_have_attribute("data-state", "done")
        box.scroll_into_view_if_needed()
        page.screenshot(path=screenshots_dir / f"history-done-{PHONE['width']}.png")
        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()
        scroll_width, inner_width = inner.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, "the panel scrolls sideways on a phone"
        rows = inner.evaluate(
            "Array.from(document.querySelectorAll('[data-history] li, .history-total')).map("
            "(row) => [row.getBoundingClientRect().right, row.scrollWidth, row.clientWidth])"
        )
        assert len(rows) == len(GROUPS) + 1
        for right, scroll, client in rows:
            assert right <= inner_width and scroll <= client, (right, scroll, client)
    finally:
        context.close()
