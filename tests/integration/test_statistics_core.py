"""Past days imported as long-term statistics into a real Home Assistant core on loopback.

The core runs in Europe/Helsinki (see tests/ha_core.py); the imported month spans the end of
summer time on 2025-10-26, so the day boundaries Home Assistant draws must match ours.
"""

from __future__ import annotations

import json
import logging
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oura_addon.catalogue.table import SENSORS
from oura_addon.homeassistant import HomeAssistantClient
from oura_addon.homeassistant.dialect import UNIT_CLASSES, dialect_for
from oura_addon.homeassistant.statistics import StatisticsImporter, row_start
from tests.ha_core import HomeAssistantCore

pytestmark = pytest.mark.ha

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2025, 11, 9)
FIRST_DAY = TODAY - timedelta(days=30)
READ_BACK_SECONDS = 30.0


def _month(base: float) -> dict[str, float]:
    """The 30 days before TODAY, each with its own value, plus TODAY itself."""
    return {(FIRST_DAY + timedelta(days=i)).isoformat(): base + i for i in range(31)}


def _statistics(
    core: HomeAssistantCore, statistic_id: str, expected_rows: int, period: str = "day"
) -> list:
    """Home Assistant's statistics rows, polled: the import answers before it is written."""
    deadline = clock.monotonic() + READ_BACK_SECONDS
    while True:
        result = core.websocket_command(
            {
                "type": "recorder/statistics_during_period",
                "start_time": row_start(FIRST_DAY - timedelta(days=1), HELSINKI).isoformat(),
                "end_time": row_start(TODAY + timedelta(days=1), HELSINKI).isoformat(),
                "statistic_ids": [statistic_id],
                "period": period,
                "types": ["mean", "min", "max"],
            }
        )
        rows = result.get(statistic_id, [])
        if len(rows) >= expected_rows or clock.monotonic() > deadline:
            return rows
        clock.sleep(0.3)


def _importer(core: HomeAssistantCore, state_path, token: str | None = None):
    """The importer as the add-on builds it: it asks the core's version over REST."""
    return StatisticsImporter(
        core.ws_url,
        token or core.token,
        state_path,
        ha_config=HomeAssistantClient(core.api_url, core.token).get_config,
    )


def _local_day(row: dict) -> str:
    return datetime.fromtimestamp(row["start"] / 1000, UTC).astimezone(HELSINKI).date().isoformat()


def test_a_month_of_past_days_appears_as_daily_statistics_of_the_sensor(running_ha_core, tmp_path):
    importer = _importer(running_ha_core, tmp_path / "statistics.json")
    metrics = {"sleep_score": _month(60.0), "average_hrv": _month(30.0)}

    assert importer.backfill("test_oura_stats", metrics, TODAY, HELSINKI) == 60

    rows = _statistics(running_ha_core, "sensor.test_oura_stats_sleep_score", 30)
    assert len(rows) == 30
    got = {_local_day(row): (row["mean"], row["min"], row["max"]) for row in rows}
    expected = {day: (v, v, v) for day, v in metrics["sleep_score"].items() if day < "2025-11-09"}
    assert got == expected  # one row per local day, across the DST change, today left out
    hrv = _statistics(running_ha_core, "sensor.test_oura_stats_average_hrv", 30, "hour")
    assert [row["mean"] for row in hrv] == [30.0 + i for i in range(30)]
    # Each stored hour is that day's local midnight: +03:00 before the DST change, +02:00 after.
    assert [row["start"] / 1000 for row in hrv] == [
        datetime.combine(FIRST_DAY + timedelta(days=i), time(0), HELSINKI).timestamp()
        for i in range(30)
    ]

    metadata = running_ha_core.websocket_command(
        {
            "type": "recorder/get_statistics_metadata",
            "statistic_ids": ["sensor.test_oura_stats_average_hrv"],
        }
    )
    assert metadata[0]["statistics_unit_of_measurement"] == "ms"
    assert metadata[0]["source"] == "recorder"
    if dialect_for(running_ha_core.version).modern:
        assert metadata[0]["mean_type"] == 1
        assert metadata[0]["unit_class"] == "duration"
    else:
        assert metadata[0]["has_mean"] is True


def test_the_unit_class_of_every_catalogue_unit_is_the_one_the_cores_recorder_gives(ha_install):
    """What we send as unit_class must match what the recorder compiles for the live sensor,
    or the two would fight over the statistic's metadata."""
    if not dialect_for(ha_install.version).modern:
        pytest.skip(f"Home Assistant {ha_install.version} has no unit classes")
    pairs = sorted({(s.unit, s.device_class) for s in SENSORS if s.state_class}, key=str)
    printed = ha_install.python(
        "import json, sys\n"
        "from homeassistant.components.sensor.recorder import _get_unit_class\n"
        f"print(json.dumps([_get_unit_class(d, u) for u, d in {pairs!r}]))"
    )
    theirs = dict(zip(pairs, json.loads(printed), strict=True))
    ours = {(unit, device_class): UNIT_CLASSES.get(unit) for unit, device_class in pairs}
    assert ours == theirs


def test_a_revised_day_replaces_its_value_in_home_assistant(running_ha_core, tmp_path):
    importer = _importer(running_ha_core, tmp_path / "statistics.json")
    month = _month(70.0)
    importer.backfill("test_oura_revised", {"readiness_score": month}, TODAY, HELSINKI)
    _statistics(running_ha_core, "sensor.test_oura_revised_readiness_score", 30)

    revised = {"2025-11-07": 11.0, "2025-11-08": month["2025-11-08"]}
    assert importer.backfill("test_oura_revised", {"readiness_score": revised}, TODAY, HELSINKI)

    deadline = clock.monotonic() + READ_BACK_SECONDS
    while True:
        rows = _statistics(running_ha_core, "sensor.test_oura_revised_readiness_score", 30)
        means = {_local_day(row): row["mean"] for row in rows}
        if means.get("2025-11-07") == 11.0 or clock.monotonic() > deadline:
            break
        clock.sleep(0.3)
    assert len(rows) == 30
    assert means["2025-11-07"] == 11.0
    assert means["2025-11-06"] == month["2025-11-06"]


def test_a_token_home_assistant_refuses_is_a_warning_and_the_days_wait(
    running_ha_core, tmp_path, caplog
):
    importer = _importer(running_ha_core, tmp_path / "statistics.json", "not-a-valid-token")
    try:
        with caplog.at_level(logging.WARNING, logger="oura_addon.homeassistant.statistics"):
            done = importer.backfill(
                "test_oura_refused", {"sleep_score": _month(50.0)}, TODAY, HELSINKI
            )
        assert done == 0
        assert "refused the add-on's token" in caplog.text
        assert "not-a-valid-token" not in caplog.text
        assert len(importer.pending_days()["sensor.test_oura_refused_sleep_score"]) == 30
    finally:
        # Home Assistant reports the failed login; other tests expect no notifications.
        running_ha_core.websocket_command(
            {
                "type": "call_service",
                "domain": "persistent_notification",
                "service": "dismiss",
                "service_data": {"notification_id": "http-login"},
            }
        )


def test_each_core_objects_to_the_other_releases_dialect(running_ha_core, tmp_path):
    """Why the add-on asks the version: a new core warns in the user's log about the old keys
    (and will refuse them), an old core refuses the new ones."""
    modern = dialect_for(running_ha_core.version).modern
    other = "2025.4.4" if modern else "2026.11.0"
    logged_from = running_ha_core.log_size()
    importer = StatisticsImporter(
        running_ha_core.ws_url,
        running_ha_core.token,
        tmp_path / "statistics.json",
        ha_config=lambda: {"version": other},
    )
    accepted = importer.backfill(
        "test_oura_dialect", {"sleep_score": _month(50.0)}, TODAY, HELSINKI
    )
    if not modern:
        assert accepted == 0
        assert len(importer.pending_days()["sensor.test_oura_dialect_sleep_score"]) == 30
        return
    assert accepted == 30
    deadline = clock.monotonic() + READ_BACK_SECONDS
    while not (problems := running_ha_core.problems_since(logged_from)):
        assert clock.monotonic() < deadline, "no warning in Home Assistant's log"
        clock.sleep(0.3)
    assert any("without specifying mean_type" in p for p in problems), problems
    assert any("without specifying unit_class" in p for p in problems), problems
