"""Sleep insights against a real Home Assistant core: 120 simulated nights of an account,
bedroom entities whose hourly statistics are imported with a planted relation, no relation,
or too few nights; the insights engine reads them back over the websocket.

The core and the simulated user live in Europe/Helsinki: the nights span summer time and its
end on 2025-10-26.
"""

from __future__ import annotations

import math
import random
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from oura_addon import catalogue
from oura_addon.errors import InvalidInput
from oura_addon.homeassistant import HomeAssistantClient
from oura_addon.homeassistant.dialect import dialect_for
from oura_addon.homeassistant.publisher import CoreApiPublisher
from oura_addon.homeassistant.statistics import StatisticsImporter
from oura_addon.i18n import Translator
from oura_addon.insights import core
from oura_addon.insights.engine import Insights, compute, last_night_entity_id
from oura_addon.insights.statistics import NumericStatistic, hourly_means
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from oura_addon.store.insights import InsightStore
from tests.ha_core import HomeAssistantCore
from tests.history.rig import HELSINKI, NOON, TODAY, Rig, start_rig

pytestmark = pytest.mark.ha

DAYS = 120
READ_BACK_SECONDS = 60.0
HOUR = timedelta(hours=1)


@pytest.fixture
def rig(tmp_path, request) -> Iterator[Rig]:
    name = "ins" + str(sum(map(ord, request.node.name)) % 10000)
    made, server = start_rig(tmp_path / "data", DAYS, name=name, after="first")
    yield made
    server.stop()


def _account(rig: Rig):
    return next(a for a in rig.accounts.list() if a.name != "first")


def _nights(rig: Rig) -> tuple[dict[date, core.Night], dict[str, float]]:
    endpoints = [ENDPOINTS_BY_NAME[e] for e in ("sleep", "daily_sleep", "daily_readiness")]
    first = TODAY - timedelta(days=DAYS + 2)
    records = rig.client("x").sync(endpoints, first, TODAY, tz=HELSINKI).records
    scores = catalogue.daily_values(records, today=TODAY, tz=HELSINKI)["sleep_score"]
    return core.night_windows(records["sleep"]), scores


def _utc_hours(start: datetime, end: datetime) -> list[datetime]:
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end.astimezone(UTC):
        hours.append(hour)
        hour += HOUR
    return hours


def _import(core_: HomeAssistantCore, sid: str, name: str, unit: str, rows: dict) -> None:
    metadata = dialect_for(core_.version).statistic_metadata(sid, unit)
    metadata["name"] = name
    ordered = sorted(rows.items())
    for i in range(0, len(ordered), 500):
        core_.websocket_command(
            {
                "type": "recorder/import_statistics",
                "metadata": metadata,
                "stats": [
                    {"start": h.isoformat(), "mean": v, "min": v, "max": v}
                    for h, v in ordered[i : i + 500]
                ],
            }
        )


def _wait_for(core_: HomeAssistantCore, sid: str, rows: int) -> None:
    deadline = clock.monotonic() + READ_BACK_SECONDS
    first = min(datetime.now(UTC) - timedelta(days=400), datetime(2025, 1, 1, tzinfo=UTC))
    while True:
        found = core_.websocket_command(
            {
                "type": "recorder/statistics_during_period",
                "start_time": first.isoformat(),
                "statistic_ids": [sid],
                "period": "hour",
                "types": ["mean"],
            }
        )
        if len(found.get(sid, [])) >= rows:
            return
        assert clock.monotonic() < deadline, f"{sid}: {len(found.get(sid, []))} of {rows} rows"
        clock.sleep(0.5)


def _by_hand(night: core.Night, rows: dict[datetime, float]) -> float:
    """Each hour's mean times the seconds of it inside the night, in epoch seconds."""
    start, end = night.start.timestamp(), night.end.timestamp()
    total = weight = 0.0
    for hour, value in rows.items():
        h = hour.timestamp()
        inside = min(h + 3600, end) - max(h, start)
        if inside > 0:
            total += value * inside
            weight += inside
    return total / weight


def test_bedroom_entities_are_related_to_120_simulated_nights(running_ha_core, rig, tmp_path):
    account = _account(rig)
    windows, scores = _nights(rig)
    assert len(windows) >= 100
    base = f"sensor.bedroom_{account.name}"
    cool, noise, few, wavy = (f"{base}_{k}" for k in ("temperature", "co2", "lux", "humidity"))

    # Cooler nights, higher scores: each night's hours (the edge hours too) hold one value.
    planted: dict[datetime, float] = {}
    shuffled: dict[datetime, float] = {}
    recent: dict[datetime, float] = {}
    rng = random.Random(7)
    for day, night in sorted(windows.items()):
        score = scores.get(day.isoformat())
        level = 24.0 - (score - 60.0) * 0.15 if score is not None else 21.0
        co2 = rng.uniform(500, 1200)
        for hour in _utc_hours(night.start, night.end):
            planted[hour] = round(level + rng.uniform(-0.3, 0.3), 3)
            shuffled[hour] = round(co2, 1)
            if day > TODAY - timedelta(days=10):  # ten nights, today's included
                recent[hour] = 3.0
    # Humidity changes every hour: the night means must weigh each hour by its minutes.
    first = min(n.start for n in windows.values())
    wave = {
        h: 40.0 + 10 * math.sin(i / 3.0)
        for i, h in enumerate(_utc_hours(first, max(n.end for n in windows.values())))
    }
    _import(running_ha_core, cool, "Bedroom temperature", "°C", planted)
    _import(running_ha_core, noise, "Bedroom CO2", "ppm", shuffled)
    _import(running_ha_core, few, "Bedroom light", "lx", recent)
    _import(running_ha_core, wavy, "Bedroom humidity", "%", wave)
    for sid, rows in ((cool, planted), (noise, shuffled), (few, recent), (wavy, wave)):
        _wait_for(running_ha_core, sid, len(rows))

    importer = StatisticsImporter(
        running_ha_core.ws_url, running_ha_core.token, tmp_path / "statistics.json"
    )
    publisher = CoreApiPublisher(
        HomeAssistantClient(running_ha_core.api_url, running_ha_core.token),
        tmp_path / "published.json",
    )
    insights = Insights(
        store=InsightStore(tmp_path / "data"),
        accounts=rig.accounts,
        oura_client=rig.client,
        session=importer.session,
        timezone=lambda: HELSINKI,
        publisher=publisher,
        clock=lambda: NOON,
    )

    offered = {s.statistic_id: s for s in insights.entities()}
    assert {cool, noise, few, wavy} <= set(offered)
    assert offered[cool].unit == "°C" and offered[cool].label == "Bedroom temperature"
    assert not any(s.startswith("sensor.oura_") for s in offered)
    with pytest.raises(InvalidInput) as refused:
        insights.choose([cool, "sensor.no_such_thing"])
    assert "sensor.no_such_thing has no long-term statistics" in refused.value.user_message

    assert insights.choose([cool, noise, few, wavy]) == [cool, noise, few, wavy]
    requests_before = rig.oura_requests()
    assert insights.refresh(account.name)
    oura_calls = rig.oura_requests() - requests_before
    assert oura_calls <= 30  # three endpoints over a year, in Oura's pages
    results = insights.results(account.name)
    english = Translator()
    found = {(r["entity_id"], r["measure"]): r for r in results}

    temperature = found[(cool, "sleep_score")]
    assert temperature["nights"] >= 100
    assert temperature["correlation"] < -0.8
    low, high = temperature["interval"]
    assert low < high < 0 and temperature["clear"]
    bins = temperature["bins"]
    assert len(bins) == 4 and sum(b["nights"] for b in bins) == temperature["nights"]
    assert [b["from"] for b in bins] == sorted(b["from"] for b in bins)
    assert bins[0]["mean"] > bins[-1]["mean"] + 5  # the coolest nights score best
    sentence = english.text(temperature["sentence"])
    assert sentence.startswith("A lower Bedroom temperature goes with a higher sleep score")
    assert "cause" not in sentence
    assert results[0]["clear"]  # strongest relations first

    co2 = found[(noise, "sleep_score")]
    assert not co2["clear"] and co2["interval"][0] < 0 < co2["interval"][1]
    assert "no clear relation yet" in english.text(co2["sentence"])

    light = found[(few, "sleep_score")]
    assert light["nights"] == 10 and not light["clear"]
    assert "no clear relation yet. Only 10 nights have both" in english.text(light["sentence"])

    # Night means equal a hand computation over the imported hours: a summer night across
    # midnight, and the night summer time ended (25 hours on the wall clock that day).
    with importer.session() as session:
        span = core.hours_of(windows.values())
        hours = hourly_means(session, wavy, *span)
    nights = {d: (n, {}) for d, n in windows.items()}
    _, means = compute(nights, NumericStatistic(wavy, None, "%"), hours)
    summer = next(d for d in sorted(windows) if d.month == 8)
    autumn = date(2025, 10, 26)
    for day in (summer, autumn):
        night = windows[day]
        assert night.start.astimezone(HELSINKI).date() < day  # it crosses midnight
        assert means[day] == pytest.approx(_by_hand(night, wave), rel=1e-9), day
    assert windows[summer].start.utcoffset() == timedelta(hours=3)

    # Last night's mean of each entity is a sensor in Home Assistant, in the entity's unit.
    last = max(windows)
    sensor = running_ha_core.get_state(last_night_entity_id(account.entity_prefix, cool))
    assert sensor is not None
    assert float(sensor["state"]) == pytest.approx(_by_hand(windows[last], planted), abs=0.01)
    assert sensor["attributes"]["unit_of_measurement"] == "°C"
    assert sensor["attributes"]["day"] == last.isoformat()

    # A second refresh the same day asks Oura only for the last week.
    before = rig.oura_requests()
    assert insights.refresh(account.name)
    assert rig.oura_requests() - before <= 3
