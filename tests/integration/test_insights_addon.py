"""Sleep insights end to end: the add-on process (``python -m oura_addon``), the Oura
simulator and a real Home Assistant core. A bedroom sensor's hourly statistics, planted
cooler-is-better against the simulated nights, are chosen through the panel's API; the
add-on's own insights thread relates them and publishes last night's sensor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import pytest

from oura_addon.homeassistant.dialect import dialect_for
from oura_addon.insights import core
from oura_addon.oura.models import Sleep, parse_record
from oura_addon.simulator import SimulatorServer
from tests.addon_process import AddonProcess, PanelClient, running_addon, simulated_oura, wait_for

pytestmark = [pytest.mark.ha, pytest.mark.slow]

CLIENT_ID = "insights-client"
CLIENT_SECRET = "insights-secret-77"
SENSOR = "sensor.insights_bedroom_temperature"
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=1, days=40) as server:
        yield server


@pytest.fixture(scope="module")
def addon(ha_core, simulator, tmp_path_factory) -> Iterator[AddonProcess]:
    options = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "history_days": 2}
    with running_addon(
        tmp_path_factory.mktemp("addon-insights"),
        simulator.url,
        ha_core.api_url,
        options,
        SUPERVISOR_TOKEN=ha_core.token,
        HA_WS_URL=ha_core.ws_url,
    ) as process:
        yield process


def _plant(core_, simulator: SimulatorServer) -> dict:
    """The room's hourly means: each night 24 °C minus 0.15 °C per sleep-score point."""
    state = simulator.simulator
    today = state.today()
    first = today - timedelta(days=45)
    # sleep's window is the days strictly inside it: the day after today takes in last night
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
            rows[hour] = round(24.0 - (score - 60) * 0.15, 2)
            hour += HOUR
    metadata = dialect_for(core_.version).statistic_metadata(SENSOR, "°C")
    metadata["name"] = "Bedroom temperature"
    core_.websocket_command(
        {
            "type": "recorder/import_statistics",
            "metadata": metadata,
            "stats": [
                {"start": h.isoformat(), "mean": v, "min": v, "max": v}
                for h, v in sorted(rows.items())
            ],
        }
    )
    return rows


def test_chosen_in_the_panel_related_by_the_addon_and_published(addon, simulator, running_ha_core):
    log_start = running_ha_core.log_size()
    planted = _plant(running_ha_core, simulator)
    panel = PanelClient(addon.url)
    for name in ("first", "ins"):  # a second account: sensor.oura_ins_*, apart from others
        assert panel.session.post(f"{addon.url}/api/accounts", json={"name": name}).ok
    assert panel.connect_with_auto_approve("ins").status_code == 200

    offered = wait_for(
        lambda: (
            SENSOR
            in {
                e["entity_id"]
                for e in panel.session.get(f"{addon.url}/api/insights/entities", timeout=30)
                .json()
                .get("entities", [])
            }
        ),
        60,
        what=f"{SENSOR} among the entities the panel offers",
    )
    assert offered
    refused = panel.session.post(
        f"{addon.url}/api/insights/entities", json={"entity_ids": ["sensor.nothing_here"]}
    )
    assert refused.status_code == 400 and "no long-term statistics" in refused.json()["message"]
    chosen = panel.session.post(f"{addon.url}/api/insights/entities", json={"entity_ids": [SENSOR]})
    assert chosen.json() == {"chosen": [SENSOR]}

    url = f"{addon.url}/api/accounts/ins/insights"
    results = wait_for(
        lambda: panel.session.get(url, timeout=30).json(), 90, what="the insights computed"
    )
    score = next(r for r in results if r["measure"] == "sleep_score")
    assert score["nights"] >= 30 and score["clear"] and score["interval"][1] < 0
    assert results[0] == score  # the strongest first
    assert score["sentence"].startswith(
        "A lower Bedroom temperature goes with a higher sleep score"
    )
    german = panel.session.get(url, headers={"Accept-Language": "de"}, timeout=30).json()
    assert german[0]["sentence"].startswith("Ein niedrigerer Wert von Bedroom temperature")

    sensor = wait_for(
        lambda: running_ha_core.get_state(
            "sensor.oura_ins_insights_bedroom_temperature_last_night"
        ),
        60,
        what="last night's sensor in Home Assistant",
    )
    assert sensor["attributes"]["unit_of_measurement"] == "°C"
    last_hour = max(planted)  # last night's hours all hold one value
    assert float(sensor["state"]) == pytest.approx(planted[last_hour], abs=0.01)
    problems = running_ha_core.problems_since(log_start)
    assert problems == [], "\n".join(problems)  # the user's log stays clean
