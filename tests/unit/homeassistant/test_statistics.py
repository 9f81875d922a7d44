"""Home Assistant's long-term statistics, the pure part: the rows, their metadata and which
past days are queued. The importer over the websocket is in tests/loopback."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from oura_addon.catalogue import STATISTIC_SENSORS
from oura_addon.history_import.days import reconciled_sensors
from oura_addon.homeassistant.statistics import (
    StatisticDays,
    queue_new_days,
    row_start,
    statistic_rows,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 11, 25)


def _days(count: int, end: date = TODAY, start_value: float = 60.0) -> dict[str, float]:
    """``count`` consecutive days up to and including ``end``, with distinct values."""
    return {
        (end - timedelta(days=count - 1 - i)).isoformat(): start_value + i for i in range(count)
    }


# -- rows and metadata (pure) -------------------------------------------------------------


def test_a_row_starts_at_local_midnight_with_that_days_offset_across_the_autumn_dst_change():
    # Finland leaves summer time at 04:00 on Sunday 2026-10-25: that day has 25 hours.
    before, change, after = (row_start(date(2026, 10, d), HELSINKI) for d in (24, 25, 26))
    assert before.isoformat() == "2026-10-24T00:00:00+03:00"
    assert change.isoformat() == "2026-10-25T00:00:00+03:00"
    assert after.isoformat() == "2026-10-26T00:00:00+02:00"
    assert after.astimezone(UTC) - change.astimezone(UTC) == timedelta(hours=25)


def test_a_row_starts_at_local_midnight_on_the_spring_dst_change_day():
    change, after = (row_start(date(2026, 3, d), HELSINKI) for d in (29, 30))
    assert change.isoformat() == "2026-03-29T00:00:00+02:00"
    assert after.isoformat() == "2026-03-30T00:00:00+03:00"
    assert after.astimezone(UTC) - change.astimezone(UTC) == timedelta(hours=23)


def test_in_a_half_hour_zone_the_row_starts_on_the_first_whole_hour_of_that_day():
    start = row_start(date(2026, 11, 20), ZoneInfo("Asia/Kolkata"))
    assert start.isoformat() == "2026-11-20T00:30:00+05:30"
    assert start.astimezone(UTC).minute == 0


def test_where_midnight_does_not_exist_the_row_starts_at_the_first_hour_of_the_day():
    # Chile skipped 00:00-01:00 on 2022-09-11.
    start = row_start(date(2022, 9, 11), ZoneInfo("America/Santiago"))
    assert start.isoformat() == "2022-09-11T01:00:00-03:00"


def test_rows_hold_each_days_value_as_mean_min_and_max_oldest_first():
    rows = statistic_rows({"2026-11-21": 44.0, "2026-11-20": 41.5}, HELSINKI)
    assert rows == [
        {"start": "2026-11-20T00:00:00+02:00", "mean": 41.5, "min": 41.5, "max": 41.5},
        {"start": "2026-11-21T00:00:00+02:00", "mean": 44.0, "min": 44.0, "max": 44.0},
    ]


def test_the_reconciled_sensors_are_the_daily_measurements_with_their_catalogue_units():
    units = {s.key: s.unit for s in reconciled_sensors()}
    for key, unit in {
        "sleep_score": None,
        "readiness_score": None,
        "activity_score": None,
        "average_hrv": "ms",
        "lowest_heart_rate": "bpm",
        "total_sleep_duration": "h",
        "temperature_deviation": "°C",
        "vo2_max": "mL/kg/min",
    }.items():
        assert units.pop(key) == unit, key
    # Daily totals are left to Home Assistant's own sums once their sensor is live.
    assert "steps" not in units and "active_calories" not in units
    assert {s.key for s in STATISTIC_SENSORS} >= {"steps", "active_calories"}


# -- which days go (pure) -----------------------------------------------------------------


def test_only_past_days_are_queued_and_today_is_left_to_the_recorder():
    queued = queue_new_days({}, "oura", {"sleep_score": _days(3)}, TODAY)
    assert queued["sensor.oura_sleep_score"].pending == {"2026-11-23": 60.0, "2026-11-24": 61.0}
    assert "sensor.oura_readiness_score" not in queued  # no data, nothing to send


def test_days_already_imported_with_the_same_value_are_not_queued_again():
    known = {"sensor.oura_sleep_score": StatisticDays(None, imported={"2026-11-23": 60.0})}
    queued = queue_new_days(known, "oura", {"sleep_score": _days(3)}, TODAY)
    assert queued["sensor.oura_sleep_score"].pending == {"2026-11-24": 61.0}


def test_a_day_whose_value_oura_revised_is_queued_again():
    known = {"sensor.oura_sleep_score": StatisticDays(None, imported={"2026-11-23": 59.0})}
    queued = queue_new_days(known, "oura", {"sleep_score": {"2026-11-23": 60.0}}, TODAY)
    assert queued["sensor.oura_sleep_score"].pending == {"2026-11-23": 60.0}


def test_a_revision_back_to_the_imported_value_cancels_the_queued_one():
    known = {
        "sensor.oura_sleep_score": StatisticDays(
            None, imported={"2026-11-23": 60.0}, pending={"2026-11-23": 59.0}
        )
    }
    queued = queue_new_days(known, "oura", {"sleep_score": {"2026-11-23": 60.0}}, TODAY)
    assert queued["sensor.oura_sleep_score"].pending == {}


def test_each_account_gets_its_own_statistic_ids():
    queued = queue_new_days({}, "oura_partner", {"average_hrv": _days(2)}, TODAY)
    assert list(queued) == ["sensor.oura_partner_average_hrv"]
    assert queued["sensor.oura_partner_average_hrv"].unit == "ms"
