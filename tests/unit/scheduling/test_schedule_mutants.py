"""Schedule decisions a user would feel, each written so that a mistake the mutation run
found fails: a day's document never recognised (polling every minute all morning), a
backoff never lifted (an account that stops syncing after its first 429), a learned window
stretched to midnight or placed elsewhere than the mornings it was learned from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from oura_addon.scheduling import schedule
from oura_addon.scheduling.schedule import ScheduleState
from tests.unit.scheduling.test_schedule import DAY, NAMES, POLICY, at, due, fetched_all


@dataclass(frozen=True)
class Record:
    day: date | None


def test_an_answer_holds_today_only_with_a_document_of_today() -> None:
    assert schedule.has_day([Record(DAY - timedelta(days=1)), Record(DAY)], DAY)
    assert not schedule.has_day([Record(DAY - timedelta(days=1))], DAY)
    assert not schedule.has_day([], DAY)
    assert not schedule.has_day([Record(None), object()], DAY)


def test_a_lifted_backoff_is_gone_and_one_still_running_stays() -> None:
    limited = schedule.rate_limited(ScheduleState(), at(7).timestamp(), 600)
    assert schedule.clear_backoff(limited, at(7, 5).timestamp()) == limited
    lifted = schedule.clear_backoff(limited, at(7, 10).timestamp())
    assert isinstance(lifted, ScheduleState)
    assert lifted.backoff_until is None
    assert schedule.clear_backoff(ScheduleState(), at(7).timestamp()) == ScheduleState()
    # After the backoff the endpoints are due at their own times again.
    plan = due("daily_sleep", lifted, at(7, 10))
    assert plan.reason != "rate_limited"


def test_a_longer_backoff_is_never_shortened_by_a_shorter_one() -> None:
    state = schedule.rate_limited(ScheduleState(), at(7).timestamp(), 1800)
    state = schedule.rate_limited(state, at(7, 1).timestamp(), 60)
    assert state.backoff_until == at(7, 30).timestamp()


def test_the_learned_window_sits_around_the_learned_mornings() -> None:
    arrivals = tuple((DAY - timedelta(days=d), 7 * 60 + 5 * d) for d in range(10))
    window = schedule.arrival_window(arrivals, DAY)
    assert window.learned
    earliest, latest = 7 * 60, 7 * 60 + 45
    margin = schedule.ARRIVAL_MARGIN_MINUTES
    assert window.start == earliest - margin
    assert window.end == latest + margin
    assert window.end < 12 * 60  # never stretched to midnight


def test_a_narrow_habit_gets_exactly_an_hour_centred_on_it() -> None:
    arrivals = tuple((DAY - timedelta(days=d), 450) for d in range(5))
    window = schedule.arrival_window(arrivals, DAY)
    assert (window.start, window.end) == (450 - 30, 450 + 30)


def test_too_few_or_too_old_mornings_keep_the_default_window() -> None:
    few = tuple((DAY - timedelta(days=d), 450) for d in range(schedule.MIN_ARRIVALS - 1))
    assert not schedule.arrival_window(few, DAY).learned
    old = tuple((DAY - timedelta(days=schedule.ARRIVAL_MEMORY_DAYS + 1 + d), 450) for d in range(5))
    assert not schedule.arrival_window(old, DAY).learned
    enough = tuple((DAY - timedelta(days=d), 450) for d in range(schedule.MIN_ARRIVALS))
    assert schedule.arrival_window(enough, DAY).learned


def test_once_the_morning_is_in_it_is_not_asked_every_minute() -> None:
    state = fetched_all(at(7, 42), daily_sleep=True, daily_readiness=True)
    requests_in_an_hour = 0
    moment = at(7, 43)
    while moment < at(8, 43):
        names = schedule.due_now(state, NAMES, moment, POLICY)
        if "daily_sleep" in names:
            requests_in_an_hour += 1
            state = schedule.observe(state, dict.fromkeys(names, True), NAMES, moment)
        moment += timedelta(minutes=1)
    assert requests_in_an_hour <= 1


def test_every_night_plan_carries_the_reason_the_panel_explains() -> None:
    before = fetched_all(at(6, 0))
    assert due("daily_sleep", before, at(6, 0)).reason == "waiting_for_night"  # lead
    assert due("daily_sleep", before, at(6, 0)).at == at(6, 1).timestamp()
    assert due("daily_spo2", before, at(6, 0)).reason == "waiting_for_night"  # follower
    outside = fetched_all(at(12, 0))
    assert due("daily_sleep", outside, at(12, 0)).reason == "waiting_for_night"
    early = fetched_all(at(4, 55))
    assert due("daily_sleep", early, at(4, 55)).reason == "waiting_for_night"
    morning = schedule.observe(before, {"daily_sleep": True}, NAMES, at(7, 31))
    follows = due("daily_spo2", morning, at(7, 31))
    assert (follows.reason, follows.at) == ("night_follows", at(7, 31).timestamp())
    fetched = schedule.observe(morning, {"daily_spo2": False}, NAMES, at(7, 32))
    settled = due("daily_spo2", fetched, at(7, 32))
    assert settled.reason == "night_arrived"
    assert settled.at == at(7, 32).timestamp() + POLICY.night_settled
    for reason in ("waiting_for_night", "night_follows", "night_arrived"):
        sentence = schedule.reason_text(
            reason, at(8), schedule.ArrivalWindow(300, 660, False), POLICY
        )
        assert not sentence.startswith("next check"), reason
