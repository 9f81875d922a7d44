"""Sleep insights as a user meets them in the panel: tick the bedroom sensor in the picker,
save, and the relation appears with its sentence and its bins chart; the phone's width too.

No Home Assistant core runs here: the add-on process reads the websocket stand-in
(tests/ha_websocket.py) whose recorder stand-in holds the sensor's hourly statistics, planted
cooler-is-better against the simulated nights. Screenshots:
``test-artifacts/screenshots/insights-<width>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest

from oura_addon.insights import core
from oura_addon.oura.models import Sleep, parse_record
from oura_addon.simulator import SimulatorServer
from tests.addon_process import SUPERVISOR_TOKEN, simulated_oura
from tests.browser.conftest import CLIENT_ID, CLIENT_SECRET, DESKTOP, SIMULATED_TIMEZONE, Panel
from tests.browser.test_dashboard import PHONE, wait_for
from tests.ha_websocket import HomeAssistantWebsocketStandIn
from tests.history.recorder import FakeRecorder

pytestmark = pytest.mark.browser

SENSOR = "sensor.bedroom_temperature"
DAYS = 60


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(
        CLIENT_ID,
        CLIENT_SECRET,
        users=1,
        days=DAYS,
        time_zone=SIMULATED_TIMEZONE,
        auto_approve=False,
    ) as server:
        yield server


def _planted(simulator: SimulatorServer) -> dict:
    state = simulator.simulator
    today = state.today()
    first = today - timedelta(days=DAYS + 2)
    tomorrow = today + timedelta(days=1)
    sleeps = [parse_record(Sleep, d) for d in state.documents("sleep", 1, first, tomorrow)]
    scores = {d["day"]: d["score"] for d in state.documents("daily_sleep", 1, first, today)}
    rows = {}
    for day, night in core.night_windows(sleeps).items():
        score = scores.get(day.isoformat())
        if score is None:
            continue
        hour = night.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while hour < night.end:
            value = round(24.0 - (score - 60) * 0.15, 2)
            rows[hour.isoformat()] = {"mean": value, "min": value, "max": value}
            hour += timedelta(hours=1)
    return rows


@pytest.fixture(scope="module")
def home_assistant(simulator) -> Iterator[HomeAssistantWebsocketStandIn]:
    recorder = FakeRecorder()
    recorder.command(
        {
            "type": "recorder/import_statistics",
            "metadata": {
                "statistic_id": SENSOR,
                "source": "recorder",
                "name": "Bedroom temperature",
                "unit_of_measurement": "°C",
                "has_mean": True,
                "has_sum": False,
            },
            "stats": [{"start": h, **r} for h, r in sorted(_planted(simulator).items())],
        }
    )
    with HomeAssistantWebsocketStandIn(token=SUPERVISOR_TOKEN, recorder=recorder) as ha:
        yield ha


@pytest.fixture(scope="module")
def addon_env(home_assistant: HomeAssistantWebsocketStandIn) -> dict[str, str]:
    return {"HA_WS_URL": home_assistant.url}


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "history_days": 2}


def test_a_ticked_bedroom_sensor_becomes_a_sentence_and_a_chart(
    expect, browser, ingress, addon, screenshots_dir
):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        panel = Panel(page, ingress)
        frame = panel.connect(expect)
        section = frame.locator("[data-insights]")
        expect(section).to_contain_text("Sleep insights from your home")
        box = section.get_by_role("checkbox", name="Bedroom temperature (°C)")
        box.check()
        section.get_by_role("button", name="Save the choice").click()
        sentence = frame.locator('[data-field="insight_sentence"]').first

        def computed() -> bool:
            if sentence.count():
                return True
            page.reload()
            frame.locator("[data-insights]").wait_for()
            return False

        wait_for(computed, 60, interval=1.0, what="the insights in the panel")
        expect(sentence).to_contain_text(
            "A lower Bedroom temperature goes with a higher sleep score"
        )
        expect(frame.locator("[data-insights] svg.insight-chart").first).to_be_visible()
        expect(frame.locator("[data-insights] summary")).to_contain_text("No clear relation yet")
        expect(section.get_by_role("checkbox", name="Bedroom temperature (°C)")).to_be_checked()
        frame.locator("[data-insights]").scroll_into_view_if_needed()
        page.screenshot(path=screenshots_dir / "insights-1280.png")
    finally:
        context.close()

    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        frame = Panel(page, ingress).open()
        frame.locator("[data-insights] svg.insight-chart").first.scroll_into_view_if_needed()
        page.screenshot(path=screenshots_dir / f"insights-{PHONE['width']}.png")
        inner = page.locator('iframe[title="Oura"]').element_handle().content_frame()
        scroll_width, inner_width = inner.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, "the panel scrolls sideways on a phone"
    finally:
        context.close()
