"""What users see at the edges of Oura's data: a missing end time, a night with no total,
a tag named by its code, clocks written without or with another UTC offset, one decimal
kept where the number has more."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from oura_addon.catalogue import build_states
from oura_addon.catalogue import derive as d
from oura_addon.oura import models
from oura_addon.states import UNKNOWN

DAY = date(2026, 3, 1)
CET = timezone(timedelta(hours=1))


def _states(records, *, today=DAY, tz=CET, now=None):
    now = now or datetime.combine(today, time(20, 0), tzinfo=tz)
    return build_states("oura", records, today=today, tz=tz, now=now)


def _one(record) -> d.Selection:
    return d.Selection(getattr(record, "day", None), (record,))


def test_a_workout_lasts_its_minutes_to_one_decimal() -> None:
    start = datetime(2026, 3, 1, 7, 0, tzinfo=CET)
    ride = models.Workout(day=DAY, activity="cycling", start_datetime=start,
                          end_datetime=start + timedelta(minutes=12, seconds=20))  # fmt: skip

    assert _states({"workout": [ride]})["sensor.oura_last_workout_duration"].state == "12.3"


def test_a_workout_without_its_start_or_end_has_no_duration() -> None:
    start = datetime(2026, 3, 1, 7, 0, tzinfo=CET)
    duration = d.minutes_between("start_datetime", "end_datetime")

    assert duration(_one(models.Workout(day=DAY, start_datetime=start))) is None
    assert duration(_one(models.Workout(day=DAY, end_datetime=start))) is None
    assert duration(d.Selection(DAY, ())) is None


def test_a_share_of_a_night_without_total_sleep_is_unknown_not_an_error() -> None:
    deep_share = d.share_of("deep_sleep_duration", "total_sleep_duration")
    night = models.Sleep(day=DAY, type="long_sleep", deep_sleep_duration=3600,
                         total_sleep_duration=0)  # fmt: skip
    no_deep = models.Sleep(day=DAY, type="long_sleep", total_sleep_duration=25200)

    assert deep_share(_one(night)) is None
    assert deep_share(_one(no_deep)) is None
    state = _states({"sleep": [night]})["sensor.oura_deep_sleep_percentage"]
    assert state.state == UNKNOWN


def test_tags_are_listed_by_the_users_name_else_by_oura_code_in_words() -> None:
    start = datetime(2026, 3, 1, 21, 0, tzinfo=CET)
    tags = [
        models.EnhancedTag(tag_type_code="tag_generic_late_meal", start_day=DAY,
                           start_time=start),
        models.EnhancedTag(tag_type_code="custom", custom_name="Sauna", start_day=DAY,
                           start_time=start + timedelta(minutes=1)),
        models.EnhancedTag(start_day=DAY, start_time=start + timedelta(minutes=2)),
    ]  # fmt: skip

    tags_today = _states({"enhanced_tag": tags[::-1]})["sensor.oura_tags_today"]
    assert tags_today.state == "3"
    assert tags_today.attributes["tags"] == ["late meal", "Sauna", None]


def test_a_clock_without_offset_is_read_as_utc() -> None:
    # 23:30 UTC on 28 Feb is 00:30 on 1 March in Central Europe.
    rows = [models.HeartRate(datetime(2026, 2, 28, 23, 30), 57, "rest")]
    now = datetime(2026, 3, 1, 8, 0, tzinfo=CET)

    states = _states({"heartrate": rows}, now=now)
    assert states["sensor.oura_heart_rate"].attributes["day"] == "2026-03-01"
    assert states["sensor.oura_min_heart_rate_today"].state == "57"


def test_a_clock_with_its_own_offset_is_compared_in_real_time() -> None:
    plus_two = timezone(timedelta(hours=2))
    rows = [
        models.RingBatteryLevel(datetime(2026, 3, 1, 9, 0, tzinfo=plus_two), 70, False, False),
        # 10:30 at UTC+2 is 08:30 UTC: still in the future at 08:00 UTC.
        models.RingBatteryLevel(datetime(2026, 3, 1, 10, 30, tzinfo=plus_two), 20, False, False),
    ]
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    states = _states({"ring_battery_level": rows}, tz=UTC, now=now)
    assert states["sensor.oura_ring_battery_level"].state == "70"


def test_an_empty_selection_has_no_record_and_no_attributes() -> None:
    empty = d.Selection(DAY, ())

    assert empty.record is None
    assert d.contributors(empty) == {}
    assert d.fields("start_day")(empty) == {}
    assert d.contributor("stress")(empty) is None
    assert d.listed("types", "type")(empty) == {"types": []}


def test_of_two_long_sleeps_in_one_night_the_longer_in_bed_stands_for_it() -> None:
    # A night split by getting up: Oura records two long_sleep periods for one day.
    short = models.Sleep(day=DAY, type="long_sleep", time_in_bed=7200, total_sleep_duration=5400)
    long = models.Sleep(day=DAY, type="long_sleep", time_in_bed=21600,
                        total_sleep_duration=19800)  # fmt: skip

    for night in ([short, long], [long, short]):
        states = _states({"sleep": night})
        assert states["sensor.oura_total_sleep_duration"].state == "5.5"  # 19800 s
        assert states["sensor.oura_time_in_bed"].state == "6.0"
