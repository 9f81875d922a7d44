"""The schedule as the panel tells it, word for word, and the documented rhythms a user
lives with: a window learned from the last four weeks from three mornings on, 20 minutes of
margin, a lie-in that does not stretch it, a safety net every six hours, a catch-up after
two hours without events, polling back after a day without them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from oura_addon.scheduling import schedule
from oura_addon.scheduling.schedule import ArrivalWindow, Policy, ScheduleState
from tests.unit.scheduling.test_schedule import DAY, NAMES, POLICY, at, due

NARROW_NBSP = "\u202f"
DEFAULT = ArrivalWindow(5 * 60, 11 * 60, learned=False)


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        (
            "waiting_for_night",
            "waiting for last night's sleep (usually arrives 5:00 AM-11:00 AM, until learned); "
            "next check at 2:30 PM",
        ),
        ("first_fetch", "first fetch since the add-on started"),
        ("night_follows", "last night's scores are in; fetching the rest of the night now"),
        ("night_arrived", "last night's data is in; next check at 2:30 PM"),
        ("awake", "every 10 min while you are awake; next check at 2:30 PM"),
        ("asleep", "you are probably asleep; next check at 2:30 PM"),
        ("slow", "changes rarely; next check at 2:30 PM"),
        ("pushed", "Oura pushes this; a safety-net check at 2:30 PM"),
        ("rate_limited", "Oura asked to slow down; everything waits until 2:30 PM"),
        ("something_new", "next check at 2:30 PM"),
    ],
)
def test_each_reason_reads_as_its_sentence(reason: str, sentence: str) -> None:
    text = schedule.reason_text(reason, at(14, 30), DEFAULT, POLICY)
    assert str(text) == sentence.replace(" AM", NARROW_NBSP + "AM").replace(
        " PM", NARROW_NBSP + "PM"
    )


def test_a_learned_window_is_named_without_until_learned() -> None:
    window = ArrivalWindow(6 * 60 + 40, 8 * 60 + 10, learned=True)
    text = schedule.reason_text("waiting_for_night", at(6, 1), window, POLICY)
    assert str(text) == (
        f"waiting for last night's sleep (usually arrives 6:40{NARROW_NBSP}AM-"
        f"8:10{NARROW_NBSP}AM); next check at 6:01{NARROW_NBSP}AM"
    )


def test_a_window_reaching_midnight_is_labelled_with_midnight() -> None:
    late = tuple((DAY - timedelta(days=d), 23 * 60 + 50) for d in range(5))
    window = schedule.arrival_window(late, DAY)
    assert window.end == 24 * 60
    assert str(window.label()) == f"11:15{NARROW_NBSP}PM-12:00{NARROW_NBSP}AM"


def _mornings(*days_ago: int, minute: int = 7 * 60) -> tuple:
    return tuple((DAY - timedelta(days=d), minute) for d in days_ago)


def test_the_window_is_learned_from_three_mornings_of_the_last_four_weeks() -> None:
    assert not schedule.arrival_window(_mornings(0, 1), DAY).learned
    assert schedule.arrival_window(_mornings(0, 1, 2), DAY).learned
    assert schedule.arrival_window(_mornings(0, 1, 28), DAY).learned
    assert not schedule.arrival_window(_mornings(0, 1, 29), DAY).learned


def test_a_morning_four_weeks_old_is_forgotten_when_a_new_one_is_recorded() -> None:
    kept = schedule.record_arrival(_mornings(27, 28), DAY, 7 * 60)
    assert [day for day, _ in kept] == [DAY - timedelta(days=27), DAY]


def test_the_learned_window_has_twenty_minutes_of_margin() -> None:
    mornings = _mornings(0, minute=7 * 60) + _mornings(1, 2, 3, minute=8 * 60)
    window = schedule.arrival_window(mornings, DAY)
    assert (window.start, window.end) == (6 * 60 + 40, 8 * 60 + 20)


def test_one_lie_in_in_four_weeks_does_not_stretch_the_window() -> None:
    mornings = _mornings(*range(1, 28), minute=7 * 60) + _mornings(0, minute=11 * 60)
    window = schedule.arrival_window(mornings, DAY)
    assert (window.start, window.end) == (6 * 60 + 30, 7 * 60 + 30)


def _pushed(moment: datetime) -> ScheduleState:
    state = schedule.with_pushed(ScheduleState(), frozenset({"daily_activity"}), 0.0)
    return schedule.observe(state, {"daily_activity": False}, NAMES, moment)


def test_a_pushed_endpoint_gets_a_safety_net_check_every_six_hours() -> None:
    state = _pushed(at(14))
    plan = due("daily_activity", state, at(14, 1))
    assert (plan.reason, plan.at) == ("pushed", at(20).timestamp())
    assert Policy(poll_interval=600).safety_net == 6 * 3600


def test_an_event_after_two_hours_of_silence_catches_up_on_the_other_pushed_data() -> None:
    pushed = frozenset({"daily_activity", "workout"})
    state = schedule.with_pushed(ScheduleState(), pushed, at(12).timestamp())
    state = schedule.observe(state, dict.fromkeys(pushed, False), NAMES, at(12))
    soon = schedule.event_received(state, "workout", at(13, 30).timestamp())
    assert set(soon.fetched) == {"daily_activity"}  # only the event's endpoint is due
    late = schedule.event_received(state, "workout", at(14, 1).timestamp())
    assert late.fetched == {}


def test_a_day_without_events_while_polls_find_data_hands_back_to_polling() -> None:
    state = schedule.with_pushed(ScheduleState(), frozenset({"daily_activity"}), at(8).timestamp())
    state = schedule.observe(state, {"daily_activity": True}, NAMES, at(9))
    assert schedule.is_pushed(
        "daily_activity", state, at(8, 0, DAY + timedelta(days=1)).timestamp()
    )
    assert not schedule.is_pushed(
        "daily_activity", state, at(8, 1, DAY + timedelta(days=1)).timestamp()
    )


def test_a_window_just_after_midnight_starts_at_midnight() -> None:
    spread = _mornings(0, 1, minute=5) + _mornings(2, 3, minute=2 * 60)
    window = schedule.arrival_window(spread, DAY)
    assert (window.start, window.end) == (0, 2 * 60 + 20)
    narrow = schedule.arrival_window(_mornings(0, 1, 2, minute=5), DAY)
    assert (narrow.start, narrow.end) == (0, 60)
    assert str(narrow.label()) == f"12:00{NARROW_NBSP}AM-1:00{NARROW_NBSP}AM"


def test_without_push_or_without_data_found_polling_has_not_taken_over() -> None:
    next_week = at(9, 0, DAY + timedelta(days=7)).timestamp()
    assert not schedule.push_lapsed(ScheduleState(), next_week)
    state = schedule.with_pushed(ScheduleState(), frozenset({"daily_activity"}), at(8).timestamp())
    state = schedule.observe(state, {"daily_activity": False}, NAMES, at(9))
    assert not schedule.push_lapsed(state, next_week)  # Oura had nothing to push either
    found = schedule.observe(state, {"daily_activity": True}, NAMES, at(9))
    assert schedule.push_lapsed(found, next_week)
    heard = schedule.event_received(found, "daily_activity", at(9, 30).timestamp())
    assert not schedule.push_lapsed(heard, next_week)  # the event came after the data


def test_with_a_long_poll_interval_the_morning_is_asked_when_tomorrow_s_window_opens() -> None:
    policy = Policy(poll_interval=8 * 3600)
    state = schedule.observe(ScheduleState(), dict.fromkeys(NAMES, False), NAMES, at(23))
    plan = schedule.endpoint_due("daily_sleep", state, NAMES, at(23), policy)
    assert plan.at == at(5, 0, DAY + timedelta(days=1)).timestamp()
    assert plan.reason == "waiting_for_night"


def _panel_sentence(name: str, state: ScheduleState, now: datetime) -> str:
    plan = due(name, state, now)
    window = schedule.arrival_window(state.arrivals, now.date())
    when = datetime.fromtimestamp(plan.at, now.tzinfo)
    return str(schedule.reason_text(plan.reason, when, window, POLICY))


def test_rarely_changing_data_is_explained_before_and_after_the_night_arrives() -> None:
    state = schedule.observe(ScheduleState(), dict.fromkeys(NAMES, False), NAMES, at(6))
    assert _panel_sentence("vO2_max", state, at(6, 1)) == (
        f"changes rarely; next check at 12:00{NARROW_NBSP}PM"
    )
    morning = schedule.observe(state, {"daily_sleep": True}, NAMES, at(7, 30))
    assert _panel_sentence("daily_cardiovascular_age", morning, at(7, 30)) == (
        "last night's scores are in; fetching the rest of the night now"
    )


def test_a_pushed_endpoint_is_explained_as_pushed() -> None:
    assert _panel_sentence("daily_activity", _pushed(at(14)), at(14, 1)) == (
        f"Oura pushes this; a safety-net check at 8:00{NARROW_NBSP}PM"
    )


def test_adding_a_webhook_later_does_not_restart_the_wait_for_events() -> None:
    one = frozenset({"daily_activity"})
    state = schedule.with_pushed(ScheduleState(), one, at(8).timestamp())
    state = schedule.observe(state, {"daily_activity": True}, NAMES, at(9))
    next_day = DAY + timedelta(days=1)
    state = schedule.with_pushed(state, one | {"workout"}, at(8, 0, next_day).timestamp())
    assert schedule.push_lapsed(state, at(8, 1, next_day).timestamp())
    assert schedule.with_pushed(state, one | {"workout"}, at(9, 0, next_day).timestamp()) is state


def test_without_webhooks_every_endpoint_is_polled_again() -> None:
    state = _pushed(at(14))
    polled = schedule.with_pushed(state, frozenset(), at(14, 1).timestamp())
    assert polled.push_since is None
    assert _panel_sentence("daily_activity", polled, at(14, 1)) == (
        f"every 10 min while you are awake; next check at 2:10{NARROW_NBSP}PM"
    )


def test_the_next_wake_up_is_the_earliest_due_endpoint() -> None:
    state = schedule.observe(ScheduleState(), dict.fromkeys(NAMES, False), NAMES, at(14))
    assert schedule.next_due(state, NAMES, at(14), POLICY) == at(14, 10).timestamp()
    assert schedule.next_due(state, (), at(14), POLICY) is None


def test_the_window_is_learned_from_the_morning_scores_not_from_spo2_arriving_earlier() -> None:
    state = schedule.observe(ScheduleState(), dict.fromkeys(NAMES, False), NAMES, at(5))
    state = schedule.observe(state, {"daily_spo2": True}, NAMES, at(6))
    state = schedule.observe(state, {"daily_sleep": True}, NAMES, at(7, 30))
    state = schedule.observe(state, {"daily_readiness": True}, NAMES, at(7, 45))
    assert state.arrivals == ((DAY, 7 * 60 + 30),)
    assert state.morning_arrived_at == at(7, 30).timestamp()
