"""One day, one value: the sensor, the dashboard's trend point and the statistics row agree.

A seeded generator builds record sets with what real accounts have: several documents for
one day (a recomputed daily_sleep, two long_sleeps), naps, rests, ``deleted`` sleep periods,
missing fields, Oura's 255 "no heart rate", undated documents and documents for tomorrow.
For every day, what the sensor showed that day must be what the trend draws and what Home
Assistant's statistics hold for it.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from oura_addon import catalogue
from oura_addon.homeassistant.statistics import queue_new_days
from oura_addon.oura.models import DailyActivity, DailyReadiness, DailySleep, Sleep
from oura_addon.states import UNKNOWN
from oura_addon.web.views import trend_series

FIRST_DAY = date(2026, 3, 1)
DAYS = 12
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
SLEEP_TYPES = ("long_sleep", "long_sleep", "sleep", "late_nap", "rest", "deleted")


def _maybe(rng: random.Random, value, chance: float = 0.15):
    return None if rng.random() < chance else value


def _day(rng: random.Random, day: date) -> date | None:
    roll = rng.random()
    if roll < 0.03:
        return None  # an undated document
    if roll < 0.06:
        return day + timedelta(days=1)  # already tomorrow's
    return day


def _stamp(rng: random.Random, day: date) -> datetime | None:
    return _maybe(rng, datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
                  + timedelta(minutes=rng.randrange(0, 900)))  # fmt: skip


def _records(seed: int) -> dict[str, list]:
    rng = random.Random(seed)
    records: dict[str, list] = {"daily_sleep": [], "daily_readiness": [], "daily_activity": [],
                                "sleep": []}  # fmt: skip
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        for kind, make in (
            ("daily_sleep", DailySleep),
            ("daily_readiness", DailyReadiness),
            ("daily_activity", DailyActivity),
        ):
            for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
                records[kind].append(make(
                    day=_day(rng, day), score=_maybe(rng, rng.randrange(30, 100)),
                    timestamp=_stamp(rng, day),
                ))  # fmt: skip
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
            records["sleep"].append(Sleep(
                day=_day(rng, day),
                type=rng.choice(SLEEP_TYPES),
                time_in_bed=_maybe(rng, rng.randrange(600, 36000)),
                average_hrv=_maybe(rng, rng.randrange(15, 120)),
                lowest_heart_rate=_maybe(rng, rng.choice((rng.randrange(38, 70), 255))),
            ))  # fmt: skip
    for documents in records.values():
        rng.shuffle(documents)  # Oura's order is not a rule anyone may rely on
    return records


def _sensor_values(records: dict[str, list], keys: set[str]) -> dict[str, dict[str, str]]:
    """Per sensor key, ISO day -> the state the sensor showed on that day (for that day)."""
    shown: dict[str, dict[str, str]] = {key: {} for key in keys}
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        now = datetime(day.year, day.month, day.day, 23, tzinfo=UTC)
        states = catalogue.build_states("oura", records, today=day, tz=UTC, now=now)
        for key in keys:
            state = states[f"sensor.oura_{key}"]
            if state.state != UNKNOWN and state.attributes.get("day") == day.isoformat():
                shown[key][day.isoformat()] = state.state
    return shown


def _daily(records: dict[str, list]) -> dict[str, dict[str, float]]:
    return catalogue.daily_values(records, today=LAST_DAY, tz=UTC)


def _trend_points(records: dict[str, list]) -> dict[str, dict[str, float]]:
    daily = _daily(records)
    return {
        s.key: {d.isoformat(): v for d, v in trend_series(daily[s.key], LAST_DAY) if v is not None}
        for s, _ in catalogue.TRENDS
    }


def _statistics_rows(records: dict[str, list]) -> dict[str, dict[str, float]]:
    queued = queue_new_days({}, "oura", _daily(records), LAST_DAY + timedelta(days=1))
    return {
        sensor.key: dict(queued[f"sensor.oura_{sensor.key}"].pending)
        for sensor in catalogue.STATISTIC_SENSORS
        if f"sensor.oura_{sensor.key}" in queued
    }


@pytest.mark.parametrize("seed", range(150))
def test_the_sensor_the_trend_and_the_statistics_agree_on_every_day(seed: int) -> None:
    records = _records(seed)
    trends = _trend_points(records)
    statistics = _statistics_rows(records)
    shown = _sensor_values(records, set(trends) | set(statistics))

    for key, points in trends.items():
        sensor = {day: float(state) for day, state in shown[key].items()}
        assert points == sensor, f"trend of {key} (seed {seed})"
    for key, rows in statistics.items():
        sensor = {day: float(state) for day, state in shown[key].items()}
        assert rows == sensor, f"statistics of {key} (seed {seed})"


def test_the_generator_makes_the_hard_cases() -> None:
    """The agreement above is only worth something if the record sets hold the hard cases."""
    all_records = [_records(seed) for seed in range(150)]

    def days_with(kind: str, keep) -> int:
        count = 0
        for records in all_records:
            days = [r.day for r in records[kind] if keep(r)]
            count += sum(days.count(d) > 1 for d in set(days))
        return count

    assert days_with("daily_sleep", lambda r: r.day is not None) > 50
    assert days_with("sleep", lambda r: r.type == "long_sleep") > 50
    sleeps = [r for records in all_records for r in records["sleep"]]
    assert {r.type for r in sleeps} >= {"long_sleep", "late_nap", "rest", "deleted"}
    assert any(r.lowest_heart_rate == 255 for r in sleeps)
    assert any(r.average_hrv is None for r in sleeps)


SCORES = {"daily_sleep": "sleep_score", "daily_readiness": "readiness_score",
          "daily_activity": "activity_score"}  # fmt: skip


def _newest_of_each_day(documents: list) -> dict[str, object]:
    """Written apart from the catalogue: per day, the document computed last (by its
    timestamp, an undated one oldest); days whose newest is a tie are left out."""
    newest: dict[str, object] = {}
    for day in {d.day for d in documents if d.day is not None}:
        same_day = [d for d in documents if d.day == day]
        stamps = [d.timestamp.timestamp() if d.timestamp else float("-inf") for d in same_day]
        if stamps.count(max(stamps)) == 1:
            newest[day.isoformat()] = same_day[stamps.index(max(stamps))]
    return newest


@pytest.mark.parametrize("seed", range(150))
def test_each_day_shows_the_score_of_its_newest_document(seed: int) -> None:
    records = _records(seed)
    shown = _sensor_values(records, set(SCORES.values()))
    for kind, key in SCORES.items():
        for day, document in _newest_of_each_day(records[kind]).items():
            if date.fromisoformat(day) > LAST_DAY:
                continue
            if document.score is None:
                assert day not in shown[key], f"{key} on {day} (seed {seed})"
            else:
                assert float(shown[key][day]) == document.score, f"{key} on {day} (seed {seed})"
