"""When each Oura endpoint is next worth asking, and why. Pure functions: no I/O, no clock.

Oura's data changes at known moments. A night's documents appear once, when the phone
syncs the ring after waking; activity, stress and heart rate grow while the wearer is awake;
ring configuration and cardiovascular age change rarely. So each endpoint belongs to a
group with its own rhythm:

- ``night``: the morning scores (``daily_sleep``, ``daily_readiness``) are asked every
  minute inside the account's arrival window until today's document is in, at the poll
  interval outside it; the rest of the night's endpoints follow as soon as a morning score
  has arrived. Once in, the night is asked again only every few hours (naps, late edits).
- ``daytime``: at the poll interval while the wearer is awake, hourly while asleep (before
  the morning's arrival window when last night's data is not in yet).
- ``slow``: a few times a day, one of them right after the night's arrival.

Groups Oura pushes (webhooks, ``pushed``) are asked only as a safety net: every few hours,
and all at once after a gap in events. Heart rate and ring battery, never pushed, keep their
rhythm. When no event came for a day while polls keep finding data, the push has lapsed and
polling takes over fully until events come again.

The arrival window is learned from when the night's data arrived on recent days; before
there are enough days it is a wide default. A 429 backs every endpoint off; "Sync now"
ignores the schedule and fetches everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import Any

from oura_addon.i18n import Time, _l


class Group(Enum):
    NIGHT = "night"
    DAYTIME = "daytime"
    SLOW = "slow"


GROUP_OF: Mapping[str, Group] = {
    "daily_sleep": Group.NIGHT,
    "daily_readiness": Group.NIGHT,
    "sleep": Group.NIGHT,
    "daily_spo2": Group.NIGHT,
    "daily_resilience": Group.NIGHT,
    "sleep_time": Group.NIGHT,
    "daily_activity": Group.DAYTIME,
    "daily_stress": Group.DAYTIME,
    "heartrate": Group.DAYTIME,
    "workout": Group.DAYTIME,
    "session": Group.DAYTIME,
    "enhanced_tag": Group.DAYTIME,
    "rest_mode_period": Group.DAYTIME,
    "ring_battery_level": Group.DAYTIME,
    "ring_configuration": Group.SLOW,
    "personal_info": Group.SLOW,
    "vO2_max": Group.SLOW,
    "daily_cardiovascular_age": Group.SLOW,
}

# The documents people automate their mornings on: watched closely until they arrive.
MORNING_SCORES = ("daily_sleep", "daily_readiness")

MINUTE = 60.0
HOUR = 3600.0
# Recent days whose arrival moments teach the window.
ARRIVAL_MEMORY_DAYS = 28
# Fewer observed mornings than this: the default window.
MIN_ARRIVALS = 3
ARRIVAL_MARGIN_MINUTES = 20
# The window spans these quantiles of recent arrivals (plus the margin). The freshness
# benchmark chose them: 5-95% kept the morning scores' p95 under 3 minutes at about 1% more
# requests a day than 10-90%, whose p95 was 6.5 minutes.
WINDOW_QUANTILES = (0.05, 0.95)
MIN_WINDOW_MINUTES = 60
DAY = 24 * HOUR
# No event for this long while polls find today's data: deliveries have stopped.
PUSH_LAPSE = DAY
# An event after this much silence: the other pushed endpoints are asked once (events may
# have been lost while the add-on or the user's tunnel was down).
EVENT_GAP = 2 * HOUR
DEFAULT_WINDOW = (5 * 60, 11 * 60)  # minutes after local midnight: 05:00-11:00


@dataclass(frozen=True)  # nothing assigns to it  # pragma: no mutate
class Policy:
    """The rhythm of each group, in seconds. ``poll_interval`` is the longest wait for data
    that changes often (daytime data while awake, the night's data while awaited)."""

    poll_interval: float
    window_poll: float = MINUTE
    night_settled: float = 3 * HOUR
    asleep_interval: float = HOUR
    slow_interval: float = 6 * HOUR
    safety_net: float = 6 * HOUR

    def asleep(self) -> float:
        return max(self.poll_interval, self.asleep_interval)


@dataclass(frozen=True)  # nothing assigns to it  # pragma: no mutate
class ArrivalWindow:
    """When the night's data usually arrives, in minutes after local midnight."""

    start: int
    end: int
    learned: bool

    def contains(self, moment: datetime) -> bool:
        return self.start <= _minute_of_day(moment) < self.end

    def start_on(self, day: date, tz: tzinfo | None) -> datetime:
        return _at_minute(day, self.start, tz)

    def label(self) -> str:
        # As the reader's locale writes times, like the sentence's other times.
        return _l("%(start)s-%(end)s", start=_clock_label(self.start), end=_clock_label(self.end))


@dataclass(frozen=True)  # changed only by replace()  # pragma: no mutate
class ScheduleState:
    """What the schedule knows about one account.

    ``fetched``: endpoint -> when it was last answered (epoch seconds). ``arrived``:
    endpoint -> the latest day its answer held a document for. ``arrival_moment``: when a
    morning score first arrived for ``arrived`` day. ``arrivals``: (day, minute after local
    midnight) of recent mornings, kept in /data to learn the window.
    """

    fetched: Mapping[str, float] = field(default_factory=dict)
    arrived: Mapping[str, date] = field(default_factory=dict)
    arrivals: tuple[tuple[date, int], ...] = ()
    morning_arrived_at: float | None = None
    morning_day: date | None = None
    backoff_until: float | None = None
    # Webhooks: the endpoints Oura pushes, since when, the last event, and the last time a
    # poll of a pushed endpoint found a document of today.
    pushed: frozenset[str] = frozenset()
    push_since: float | None = None
    last_event: float | None = None
    polled_found: float | None = None


@dataclass(frozen=True)  # nothing assigns to it  # pragma: no mutate
class Due:
    """When an endpoint (or a group) is next fetched, and why (``reason`` is a code)."""

    at: float
    reason: str


# -- the arrival window -------------------------------------------------------------------


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _at_minute(day: date, minute: int, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, time(min(minute, 1439) // 60, min(minute, 1439) % 60), tzinfo=tz)


_LABEL_DAY = date(2000, 1, 1)  # any day: only the clock is shown  # pragma: no mutate


def _clock_label(minute: int) -> Time:
    return Time(datetime.combine(_LABEL_DAY, time(minute // 60 % 24, minute % 60)))


def _quantile(ordered: Sequence[int], q: float) -> int:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def arrival_window(arrivals: Iterable[tuple[date, int]], today: date) -> ArrivalWindow:
    """The window from the recent mornings' arrival minutes (5th..95th percentile plus a
    margin), or the default 05:00-11:00 before enough mornings are known."""
    oldest = today - timedelta(days=ARRIVAL_MEMORY_DAYS)
    minutes = sorted(m for day, m in arrivals if oldest <= day <= today)
    if len(minutes) < MIN_ARRIVALS:
        return ArrivalWindow(*DEFAULT_WINDOW, learned=False)
    start = max(0, _quantile(minutes, WINDOW_QUANTILES[0]) - ARRIVAL_MARGIN_MINUTES)
    end = min(24 * 60, _quantile(minutes, WINDOW_QUANTILES[1]) + ARRIVAL_MARGIN_MINUTES)
    if end - start < MIN_WINDOW_MINUTES:
        middle = (start + end) // 2
        start = max(0, middle - MIN_WINDOW_MINUTES // 2)
        end = min(24 * 60, start + MIN_WINDOW_MINUTES)
    return ArrivalWindow(start, end, learned=True)


def record_arrival(
    arrivals: Iterable[tuple[date, int]], day: date, minute: int
) -> tuple[tuple[date, int], ...]:
    """The arrivals with ``day``'s (its first one wins), trimmed to the recent days."""
    kept = {d: m for d, m in arrivals if d > day - timedelta(days=ARRIVAL_MEMORY_DAYS)}
    kept.setdefault(day, minute)
    return tuple(sorted(kept.items()))


# -- decisions ------------------------------------------------------------------------------


def leads(names: Iterable[str]) -> tuple[str, ...]:
    """The night endpoints watched closely: the morning scores the account has, else every
    night endpoint it has (an account without the ``daily`` scope still has SpO2)."""
    night = [n for n in names if GROUP_OF.get(n) is Group.NIGHT]
    scores = tuple(n for n in night if n in MORNING_SCORES)
    return scores or tuple(night)


def _awaiting_night(state: ScheduleState, names: Iterable[str], today: date) -> bool:
    return not any(state.arrived.get(n) == today for n in leads(names))


def _night_due(
    name: str,
    last: float,
    state: ScheduleState,
    names: Sequence[str],
    now: datetime,
    policy: Policy,
    window: ArrivalWindow,
) -> Due:
    today = now.date()
    if state.arrived.get(name) == today:
        return Due(last + policy.night_settled, "night_arrived")
    if name not in leads(names):
        morning = state.morning_arrived_at if state.morning_day == today else None
        if morning is not None and last < morning:
            return Due(morning, "night_follows")  # fetched with the morning scores
        if morning is not None:
            return Due(last + policy.night_settled, "night_arrived")
        return Due(last + policy.night_settled, "waiting_for_night")
    # A morning score not in yet: every minute inside the window, else at the poll interval
    # (or the window's start, whichever comes first).
    tz = now.tzinfo
    fast = last + policy.window_poll
    fast_moment = datetime.fromtimestamp(fast, tz)
    if window.contains(fast_moment) and fast_moment.date() == today:
        return Due(fast, "waiting_for_night")
    slow = last + policy.poll_interval
    for day in (today, today + timedelta(days=1)):
        start = window.start_on(day, tz).timestamp()
        if last < start < slow:
            return Due(start, "waiting_for_night")
    return Due(slow, "waiting_for_night")


def push_lapsed(state: ScheduleState, now: float) -> bool:
    """Deliveries stopped: no event for a day while polls keep finding today's data."""
    if not state.pushed:
        return False
    heard = max(state.last_event or 0.0, state.push_since or 0.0)
    return now - heard > PUSH_LAPSE and (state.polled_found or 0.0) > heard


def is_pushed(name: str, state: ScheduleState, now: float) -> bool:
    return name in state.pushed and not push_lapsed(state, now)


def with_pushed(state: ScheduleState, pushed: frozenset[str], now: float) -> ScheduleState:
    """The endpoints Oura now pushes (empty: none, polling only)."""
    if pushed == state.pushed:
        return state
    since = (state.push_since or now) if pushed else None
    return replace(state, pushed=pushed, push_since=since)


def event_received(state: ScheduleState, name: str, now: float) -> ScheduleState:
    """An event for ``name``: it is due at once; after a gap, every pushed endpoint is."""
    heard = max(state.last_event or 0.0, state.push_since or 0.0)
    catch_up = state.pushed if now - heard > EVENT_GAP else frozenset()
    fetched = {n: t for n, t in state.fetched.items() if n != name and n not in catch_up}
    return replace(state, fetched=fetched, last_event=now)


def endpoint_due(
    name: str,
    state: ScheduleState,
    names: Sequence[str],
    now: datetime,
    policy: Policy,
) -> Due:
    """When ``name`` is next worth fetching (``now`` is aware, in the home time zone).

    ``names`` are the endpoints this account fetches (its grants decide the night's leads).
    """
    last = state.fetched.get(name)
    if last is None:
        due = Due(now.timestamp(), "first_fetch")
    elif is_pushed(name, state, now.timestamp()):
        due = Due(last + policy.safety_net, "pushed")
    else:
        group = GROUP_OF.get(name, Group.DAYTIME)
        window = arrival_window(state.arrivals, now.date())
        if group is Group.NIGHT:
            due = _night_due(name, last, state, names, now, policy, window)
        elif group is Group.SLOW:
            morning = state.morning_arrived_at if state.morning_day == now.date() else None
            if morning is not None and last < morning:
                # Cardiovascular age is computed with the night: one look right after it.
                due = Due(morning, "night_follows")
            else:
                due = Due(last + policy.slow_interval, "slow")
        elif _awaiting_night(state, names, now.date()) and _minute_of_day(now) < window.start:
            due = Due(last + policy.asleep(), "asleep")
        else:
            due = Due(last + policy.poll_interval, "awake")
    if state.backoff_until is not None and due.at < state.backoff_until:
        return Due(state.backoff_until, "rate_limited")
    return due


def due_now(state: ScheduleState, names: Sequence[str], now: datetime, policy: Policy) -> list[str]:
    """The endpoints to fetch at ``now``, in ``names`` order."""
    moment = now.timestamp()
    return [n for n in names if endpoint_due(n, state, names, now, policy).at <= moment]


def next_due(
    state: ScheduleState, names: Sequence[str], now: datetime, policy: Policy
) -> float | None:
    """The earliest moment any endpoint is due (None without endpoints)."""
    moments = [endpoint_due(n, state, names, now, policy).at for n in names]
    return min(moments) if moments else None


def group_plans(
    state: ScheduleState, names: Sequence[str], now: datetime, policy: Policy
) -> dict[Group, Due]:
    """Per group the account fetches: its earliest endpoint's next fetch and that reason."""
    plans: dict[Group, Due] = {}
    for name in names:
        group = GROUP_OF.get(name, Group.DAYTIME)
        due = endpoint_due(name, state, names, now, policy)
        if group not in plans or due.at < plans[group].at:
            plans[group] = due
    return {g: plans[g] for g in Group if g in plans}


# -- learning from answers ------------------------------------------------------------------


def has_day(records: Iterable[Any], day: date) -> bool:
    """Whether an endpoint's answer holds a document of ``day`` (by its ``day`` field)."""
    return any(getattr(record, "day", None) == day for record in records)


def observe(
    state: ScheduleState,
    fetched: Mapping[str, bool],
    names: Sequence[str],
    now: datetime,
) -> ScheduleState:
    """The state after a fetch at ``now``: ``fetched`` maps each endpoint answered to whether
    its answer held a document for today (only night endpoints' answers matter); ``names``
    are all the endpoints the account fetches."""
    today = now.date()
    moment = now.timestamp()
    stamps = dict(state.fetched)
    arrived = dict(state.arrived)
    morning_at, morning_day = state.morning_arrived_at, state.morning_day
    arrivals = state.arrivals
    lead_names = leads(names)
    found = state.polled_found
    for name, has_today in fetched.items():
        stamps[name] = moment
        if has_today and name in state.pushed:
            found = moment
        if not has_today or GROUP_OF.get(name) is not Group.NIGHT:
            continue
        first_today = arrived.get(name) != today
        arrived[name] = today
        if name in lead_names and first_today and morning_day != today:
            morning_at, morning_day = moment, today
            arrivals = record_arrival(arrivals, today, _minute_of_day(now))
    return replace(
        state,
        fetched=stamps,
        arrived=arrived,
        arrivals=arrivals,
        morning_arrived_at=morning_at,
        morning_day=morning_day,
        polled_found=found,
    )


def rate_limited(state: ScheduleState, now: float, retry_after: float | None) -> ScheduleState:
    """Every endpoint waits: Oura's ``Retry-After``, at least a minute."""
    until = now + max(MINUTE, retry_after or 0.0)
    return replace(state, backoff_until=max(until, state.backoff_until or 0.0))


def clear_backoff(state: ScheduleState, now: float) -> ScheduleState:
    if state.backoff_until is not None and state.backoff_until <= now:
        return replace(state, backoff_until=None)
    return state


def forget_fetches(state: ScheduleState) -> ScheduleState:
    """ "Sync now": everything is due at once (what arrived and was learned is kept)."""
    return replace(state, fetched={}, backoff_until=None)


# -- words for the panel ----------------------------------------------------------------------

# Marked with _l: English here, translated where the panel shows them.
GROUP_LABELS: Mapping[Group, str] = {
    Group.NIGHT: _l("Last night (sleep, readiness, SpO2)"),
    Group.DAYTIME: _l("Daytime (activity, stress, heart rate)"),
    Group.SLOW: _l("Rarely changing (ring, VO2 max, cardiovascular age)"),
}


def reason_text(reason: str, at: datetime, window: ArrivalWindow, policy: Policy) -> str:
    """One sentence for the panel: why the group is fetched when it is."""
    clock = Time(at)  # as the reader's locale writes a time
    minutes = round(policy.poll_interval / MINUTE)
    if reason == "waiting_for_night":
        usual = window.label()
        return (
            _l(
                "waiting for last night's sleep (usually arrives %(window)s); "
                "next check at %(clock)s",
                window=usual,
                clock=clock,
            )
            if window.learned
            else _l(
                "waiting for last night's sleep (usually arrives %(window)s, until learned); "
                "next check at %(clock)s",
                window=usual,
                clock=clock,
            )
        )
    sentences = {
        "first_fetch": _l("first fetch since the add-on started"),
        "night_follows": _l("last night's scores are in; fetching the rest of the night now"),
        "night_arrived": _l("last night's data is in; next check at %(clock)s", clock=clock),
        "awake": _l(
            "every %(minutes)s min while you are awake; next check at %(clock)s",
            minutes=minutes,
            clock=clock,
        ),
        "asleep": _l("you are probably asleep; next check at %(clock)s", clock=clock),
        "slow": _l("changes rarely; next check at %(clock)s", clock=clock),
        "pushed": _l("Oura pushes this; a safety-net check at %(clock)s", clock=clock),
        "rate_limited": _l(
            "Oura asked to slow down; everything waits until %(clock)s", clock=clock
        ),
    }
    return sentences.get(reason, _l("next check at %(clock)s", clock=clock))
