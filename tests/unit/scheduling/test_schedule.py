"""The per-endpoint schedule's decisions, as pure functions of state and time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oura_addon.scheduling import schedule
from oura_addon.scheduling.schedule import Group, Policy, ScheduleState

TZ = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 3, 10)
NAMES = tuple(schedule.GROUP_OF)
POLICY = Policy(poll_interval=600)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def fetched_all(moment: datetime, state: ScheduleState | None = None, **today) -> ScheduleState:
    """Every endpoint answered at ``moment``; keyword endpoints said they had today's data."""
    answers = {name: today.get(name, False) for name in NAMES}
    return schedule.observe(state or ScheduleState(), answers, NAMES, moment)


def due(name: str, state: ScheduleState, now: datetime, policy: Policy = POLICY):
    return schedule.endpoint_due(name, state, NAMES, now, policy)


def minutes_after(due_at: float, moment: datetime) -> float:
    return (due_at - moment.timestamp()) / 60


def test_every_endpoint_the_addon_reads_has_a_group():
    from oura_addon.oura.endpoints import ENDPOINTS

    assert {e.name for e in ENDPOINTS} == set(schedule.GROUP_OF)


def test_everything_is_due_on_the_first_fetch():
    state = ScheduleState()
    assert schedule.due_now(state, NAMES, at(14), POLICY) == list(NAMES)
    assert due("daily_sleep", state, at(14)).reason == "first_fetch"


def test_morning_scores_are_asked_every_minute_inside_the_window_until_they_arrive():
    state = fetched_all(at(7, 0))
    for name in schedule.MORNING_SCORES:
        plan = due(name, state, at(7, 0))
        assert minutes_after(plan.at, at(7, 0)) == 1
        assert plan.reason == "waiting_for_night"


def test_outside_the_window_the_morning_scores_wait_the_poll_interval_or_the_window_start():
    state = fetched_all(at(2, 0))
    assert minutes_after(due("daily_sleep", state, at(2, 0)).at, at(2, 0)) == 10
    # 04:55 + 10 min crosses the default window's start (05:00): asked at 05:00.
    state = fetched_all(at(4, 55))
    assert due("daily_sleep", state, at(4, 55)).at == at(5, 0).timestamp()
    # After the window a late night is still asked at the poll interval, never more rarely.
    state = fetched_all(at(12, 0))
    assert minutes_after(due("daily_readiness", state, at(12, 0)).at, at(12, 0)) == 10


def test_the_rest_of_the_night_follows_the_morning_scores_at_once():
    state = fetched_all(at(6, 0))
    assert due("daily_spo2", state, at(6, 0)).reason == "waiting_for_night"
    assert minutes_after(due("daily_spo2", state, at(6, 0)).at, at(6, 0)) == 180
    arrived = schedule.observe(
        state, {"daily_sleep": True, "daily_readiness": True}, NAMES, at(7, 31)
    )
    assert set(schedule.due_now(arrived, NAMES, at(7, 31), POLICY)) >= {
        "sleep",
        "daily_spo2",
        "daily_resilience",
        "sleep_time",
    }
    assert "daily_sleep" not in schedule.due_now(arrived, NAMES, at(7, 31), POLICY)


def test_once_the_night_is_in_it_is_asked_only_every_few_hours():
    state = fetched_all(at(7, 31), daily_sleep=True, daily_readiness=True, sleep=True)
    plan = due("daily_sleep", state, at(7, 31))
    assert plan.reason == "night_arrived"
    assert minutes_after(plan.at, at(7, 31)) == 180


def test_a_new_day_waits_for_the_new_night_again():
    state = fetched_all(at(7, 31), daily_sleep=True, daily_readiness=True)
    tomorrow = DAY + timedelta(days=1)
    state = fetched_all(at(6, 0, tomorrow), state)
    assert due("daily_sleep", state, at(6, 0, tomorrow)).reason == "waiting_for_night"


def test_daytime_data_at_the_poll_interval_while_awake_and_hourly_while_asleep():
    awake = fetched_all(at(13, 0), daily_sleep=True)
    assert minutes_after(due("daily_activity", awake, at(13, 0)).at, at(13, 0)) == 10
    assert due("heartrate", awake, at(13, 0)).reason == "awake"
    asleep = fetched_all(at(3, 0))
    assert minutes_after(due("heartrate", asleep, at(3, 0)).at, at(3, 0)) == 60
    assert due("heartrate", asleep, at(3, 0)).reason == "asleep"
    # A poll interval longer than an hour is never shortened by sleep.
    long = Policy(poll_interval=2 * 3600)
    assert minutes_after(due("heartrate", asleep, at(3, 0), long).at, at(3, 0)) == 120


def test_slow_data_a_few_times_a_day_and_once_right_after_the_night():
    state = fetched_all(at(9, 0), daily_sleep=True)
    for name in ("ring_configuration", "vO2_max", "daily_cardiovascular_age"):
        assert minutes_after(due(name, state, at(9, 0)).at, at(9, 0)) == 360
    waiting = fetched_all(at(6, 0))
    arrived = schedule.observe(waiting, {"daily_sleep": True}, NAMES, at(7, 12))
    assert due("daily_cardiovascular_age", arrived, at(7, 12)).at == at(7, 12).timestamp()


def test_poll_interval_is_the_longest_wait_for_frequently_changing_data():
    for moment in (at(h, m) for h in range(24) for m in (0, 17, 44)):
        state = fetched_all(moment)
        for name in (*schedule.MORNING_SCORES, "daily_activity", "heartrate"):
            if due(name, state, moment).reason == "asleep":
                continue
            assert minutes_after(due(name, state, moment).at, moment) <= 10


def test_a_rate_limit_backs_everything_off():
    state = schedule.rate_limited(fetched_all(at(7, 0)), at(7, 0).timestamp(), 300)
    for name in NAMES:
        plan = due(name, state, at(7, 0))
        assert plan.at >= at(7, 5).timestamp()
    assert due("daily_sleep", state, at(7, 0)).reason == "rate_limited"
    assert schedule.due_now(state, NAMES, at(7, 4), POLICY) == []
    # Without a Retry-After, still at least a minute.
    state = schedule.rate_limited(ScheduleState(), at(7, 0).timestamp(), None)
    assert due("daily_sleep", state, at(7, 0)).at == at(7, 1).timestamp()


def test_sync_now_makes_everything_due_but_keeps_what_was_learned():
    state = fetched_all(at(7, 31), daily_sleep=True, daily_readiness=True)
    state = schedule.rate_limited(state, at(7, 31).timestamp(), 600)
    forced = schedule.forget_fetches(state)
    assert schedule.due_now(forced, NAMES, at(7, 32), POLICY) == list(NAMES)
    assert forced.arrivals == state.arrivals


def test_the_window_is_learned_from_recent_arrivals():
    arrivals: tuple = ()
    assert schedule.arrival_window(arrivals, DAY) == schedule.ArrivalWindow(300, 660, False)
    for back, minute in enumerate((7 * 60 + 10, 7 * 60 + 30, 7 * 60 + 45, 8 * 60, 7 * 60 + 20)):
        arrivals = schedule.record_arrival(arrivals, DAY - timedelta(days=back), minute)
    window = schedule.arrival_window(arrivals, DAY)
    assert window.learned
    assert window.start == 7 * 60 + 10 - schedule.ARRIVAL_MARGIN_MINUTES
    assert window.end == 8 * 60 + schedule.ARRIVAL_MARGIN_MINUTES
    # A learned window is narrower than the default, so fewer minute-by-minute checks.
    assert window.end - window.start < 660 - 300


def test_arrivals_keep_the_first_of_a_day_and_forget_old_days():
    arrivals = schedule.record_arrival((), DAY, 450)
    arrivals = schedule.record_arrival(arrivals, DAY, 700)
    assert arrivals == ((DAY, 450),)
    later_day = DAY + timedelta(days=schedule.ARRIVAL_MEMORY_DAYS)
    assert schedule.record_arrival(arrivals, later_day, 400) == ((later_day, 400),)


def test_a_narrow_habit_still_gets_an_hour_of_window():
    arrivals = tuple((DAY - timedelta(days=d), 450) for d in range(5))
    window = schedule.arrival_window(arrivals, DAY)
    assert window.end - window.start >= schedule.MIN_WINDOW_MINUTES


def test_observing_the_morning_records_its_arrival_once():
    state = fetched_all(at(7, 42), daily_sleep=True)
    assert state.arrivals == ((DAY, 7 * 60 + 42),)
    state = fetched_all(at(7, 43), state, daily_sleep=True, daily_readiness=True)
    assert state.arrivals == ((DAY, 7 * 60 + 42),)


def test_an_account_without_morning_scores_watches_what_night_data_it_has():
    names = ("daily_spo2", "heartrate")
    state = schedule.observe(
        ScheduleState(), {"daily_spo2": False, "heartrate": False}, names, at(7)
    )
    plan = schedule.endpoint_due("daily_spo2", state, names, at(7), POLICY)
    assert minutes_after(plan.at, at(7)) == 1


def test_group_plans_name_each_group_with_its_earliest_fetch():
    state = fetched_all(at(7, 0))
    plans = schedule.group_plans(state, NAMES, at(7, 0), POLICY)
    assert list(plans) == [Group.NIGHT, Group.DAYTIME, Group.SLOW]
    assert minutes_after(plans[Group.NIGHT].at, at(7, 0)) == 1
    assert plans[Group.NIGHT].reason == "waiting_for_night"


@pytest.mark.parametrize(
    "reason, expected",
    [
        ("waiting_for_night", "waiting for last night's sleep"),
        ("awake", "every 10 min while you are awake; next check at 2:30\u202fPM"),
        ("rate_limited", "until 2:30\u202fPM"),
    ],
)
def test_reasons_read_as_sentences(reason, expected):
    window = schedule.arrival_window((), DAY)
    assert expected in schedule.reason_text(reason, at(14, 30), window, POLICY)
