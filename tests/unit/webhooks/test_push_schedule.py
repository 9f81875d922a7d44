"""The schedule when Oura pushes: safety-net polls for pushed data, today's rhythm for heart
rate and battery, an event makes its endpoint due at once, a gap in events a catch-up,
and deliveries that stop hand everything back to polling."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from oura_addon.oura.webhooks import DATA_TYPE_OF
from oura_addon.scheduling import schedule
from oura_addon.scheduling.schedule import Policy, ScheduleState

TZ = ZoneInfo("Europe/Helsinki")
NAMES = tuple(schedule.GROUP_OF)
POLICY = Policy(poll_interval=600)
PUSHED = frozenset(DATA_TYPE_OF)


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def pushed_state(moment: datetime) -> ScheduleState:
    state = schedule.with_pushed(ScheduleState(), PUSHED, moment.timestamp())
    answers = {n: n == "daily_activity" for n in NAMES}
    return schedule.observe(state, answers, NAMES, moment)


def minutes_until(name: str, state: ScheduleState, now: datetime) -> float:
    due = schedule.endpoint_due(name, state, NAMES, now, POLICY)
    return (due.at - now.timestamp()) / 60


def test_pushed_data_is_polled_only_as_a_safety_net():
    start = at(14)
    state = pushed_state(start)
    now = start + timedelta(minutes=30)
    for name in ("daily_activity", "daily_stress", "workout", "daily_sleep"):
        assert minutes_until(name, state, now) > 5 * 60, name
        assert schedule.endpoint_due(name, state, NAMES, now, POLICY).reason == "pushed"
    # Not pushed by Oura: the usual poll interval.
    assert minutes_until("heartrate", state, now) <= 10
    assert minutes_until("ring_battery_level", state, now) <= 10


def test_without_push_daytime_data_is_polled_at_the_interval():
    start = at(14)
    state = schedule.observe(ScheduleState(), dict.fromkeys(NAMES, False), NAMES, start)
    assert minutes_until("daily_activity", state, start + timedelta(minutes=1)) <= 10


def test_an_event_makes_its_endpoint_due_at_once_and_only_it():
    start = at(14)
    state = pushed_state(start)
    now = start + timedelta(minutes=20)
    state = schedule.event_received(state, "workout", now.timestamp())
    due = schedule.due_now(state, NAMES, now, POLICY)
    assert [n for n in due if n in PUSHED] == ["workout"]
    assert "heartrate" in due  # not pushed: due at its 10-minute interval as before


def test_an_event_after_a_gap_asks_every_pushed_endpoint_once():
    start = at(9)
    state = pushed_state(start)
    later = start + timedelta(hours=3)  # the tunnel was down meanwhile
    state = schedule.event_received(state, "daily_activity", later.timestamp())
    due = set(schedule.due_now(state, NAMES, later, POLICY))
    assert due >= PUSHED & set(NAMES)
    # The next event, minutes later, is no gap.
    state = schedule.observe(state, dict.fromkeys(due, False), NAMES, later)
    soon = later + timedelta(minutes=5)
    state = schedule.event_received(state, "session", soon.timestamp())
    assert [n for n in schedule.due_now(state, NAMES, soon, POLICY) if n in PUSHED] == ["session"]


def test_deliveries_that_stop_hand_back_to_polling():
    start = at(8)
    state = pushed_state(start)
    state = schedule.event_received(state, "daily_activity", start.timestamp())
    # A day and more without events while the safety net keeps finding today's activity.
    next_day = start + timedelta(hours=25)
    state = schedule.observe(state, {"daily_activity": True}, NAMES, next_day)
    assert schedule.push_lapsed(state, next_day.timestamp())
    assert minutes_until("daily_activity", state, next_day + timedelta(minutes=1)) <= 10
    # An event again: push is trusted again.
    back = next_day + timedelta(minutes=2)
    state = schedule.event_received(state, "daily_activity", back.timestamp())
    assert not schedule.push_lapsed(state, back.timestamp())
    state = schedule.observe(state, {"daily_activity": True}, NAMES, back)
    assert minutes_until("daily_activity", state, back + timedelta(minutes=1)) > 60


def test_a_quiet_day_without_new_data_is_not_a_lapse():
    start = at(8)
    state = pushed_state(start)
    state = schedule.event_received(state, "daily_activity", start.timestamp())
    # Ring off for a day: polls find nothing new either.
    state = schedule.observe(state, {"daily_activity": False}, NAMES, start + timedelta(hours=25))
    assert not schedule.push_lapsed(state, (start + timedelta(hours=26)).timestamp())


def test_push_off_polls_as_before():
    start = at(14)
    state = schedule.with_pushed(pushed_state(start), frozenset(), start.timestamp())
    assert minutes_until("daily_activity", state, start + timedelta(minutes=1)) <= 10
    assert state.push_since is None


def test_the_panel_has_words_for_pushed_groups():
    text = schedule.reason_text(
        "pushed", at(18), schedule.arrival_window((), date(2026, 3, 10)), POLICY
    )
    assert "6:00\u202fPM" in text and "safety" in text  # a time as the locale writes it


def test_the_loops_memory_reports_a_lapse_and_polls_again(tmp_path):
    from oura_addon.scheduling.memory import ScheduleMemory
    from oura_addon.store.arrivals import ArrivalStore

    memory = ScheduleMemory(ArrivalStore(tmp_path), poll_interval_minutes=10)
    start = at(8)
    memory.set_pushed(PUSHED, start.timestamp())
    memory.record("me", NAMES, dict.fromkeys(NAMES, False), start)
    memory.event("me", "daily_activity", start.timestamp())
    assert memory.due("me", NAMES, start) == ["daily_activity"]
    memory.record("me", NAMES, {"daily_activity": True}, start)
    assert not memory.push_lapsed((start + timedelta(hours=2)).timestamp())
    later = start + timedelta(hours=25)
    memory.record("me", NAMES, {"daily_activity": True}, later)
    assert memory.push_lapsed(later.timestamp())
    soon = later + timedelta(minutes=11)
    assert "daily_activity" in memory.due("me", NAMES, soon)
