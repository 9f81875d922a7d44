"""Value functions with their rounding and their refusals, on hand-made records (no
recorded data needed): durations in the unit's decimals, a day's session minutes, a
workout's start from either field, bedtime edges only with both numbers present."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from oura_addon.catalogue import derive as d

DAY = date(2026, 3, 1)


@dataclass
class Doc:
    day: date | None = DAY
    total_sleep_duration: int | None = None
    type: str = ""
    start_datetime: datetime | None = None
    end_datetime: datetime | None = None
    start_time: datetime | None = None
    optimal_bedtime: dict | None = None


def _one(record: Doc) -> d.Selection:
    return d.Selection(record.day, (record,))


def test_durations_keep_the_decimals_of_their_unit() -> None:
    record = Doc(total_sleep_duration=26_000)  # 7 h 13 min 20 s
    assert d.seconds_as("total_sleep_duration", "h")(_one(record)) == 7.22
    assert d.seconds_as("total_sleep_duration", "min")(_one(record)) == 433.3
    assert d.seconds_as("total_sleep_duration", "h")(_one(Doc())) is None


def test_session_minutes_add_up_to_one_decimal() -> None:
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    sessions = (
        Doc(type="meditation", start_datetime=start, end_datetime=start + timedelta(seconds=400)),
        Doc(type="meditation", start_datetime=start, end_datetime=start + timedelta(seconds=130)),
        Doc(type="breathing", start_datetime=start, end_datetime=start + timedelta(hours=1)),
        Doc(type="meditation", start_datetime=start, end_datetime=None),
    )
    assert d.minutes_of_type("meditation")(d.Selection(DAY, sessions)) == 8.8


def test_a_workout_starts_at_either_start_field() -> None:
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert d._start_of(Doc(start_datetime=start)) == start
    assert d._start_of(Doc(start_time=start)) == start
    assert d._start_of(Doc()) is None


def test_a_bedtime_edge_needs_its_offset_and_the_days_zone() -> None:
    edge = d.bedtime_edge("start_offset")
    window = {"start_offset": -3600, "day_tz": 7200}
    expected = datetime(2026, 2, 28, 23, tzinfo=timezone(timedelta(hours=2)))
    assert edge(_one(Doc(optimal_bedtime=window))) == expected
    assert edge(_one(Doc(optimal_bedtime={"start_offset": -3600}))) is None
    assert edge(_one(Doc(optimal_bedtime={"day_tz": 7200}))) is None
    assert edge(_one(Doc(day=None, optimal_bedtime=window))) is None
