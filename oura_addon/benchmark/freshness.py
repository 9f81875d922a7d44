"""The replay behind ``python -m oura_addon.benchmark freshness``: figures, never asserted.

A simulated fortnight on a virtual clock. The Oura simulator's users publish each day's
data at their phone's syncs (last night's documents at the morning sync, activity and heart
rate sync by sync); a poller decides when each endpoint is asked: the add-on's schedule
(``oura_addon.scheduling.schedule``, fed with what each answer held) or a fixed interval. Every
answer the schedule learns from is what the simulator serves at that moment (its document
functions, in-process: the cost of the HTTP round trip is the main benchmark's figure).

For each moment Oura gets new data for an endpoint, the delay is the time until that
endpoint is next asked: the sync that asks publishes the states to Home Assistant at once,
so this is "available at Oura" to "state in Home Assistant" (plus the sync's own fraction
of a second). Requests are counted per endpoint call (one page each at these windows).

The ``webhooks`` column is the add-on with Oura's webhooks: a document new or changed at a
phone sync is announced 30 s later (Oura's documented delay), the event fetches that
document and makes its endpoint due at once, and pushed endpoints are otherwise asked only
as the schedule's safety net.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oura_addon.oura.endpoints import ENDPOINTS
from oura_addon.oura.webhooks import DATA_TYPE_OF
from oura_addon.scheduling import schedule
from oura_addon.scheduling.schedule import Group, Policy, ScheduleState
from oura_addon.simulator import Simulator, SimulatorConfig, create_simulator
from oura_addon.simulator.data import documents_on, ring_configurations

# What the scheduler fetches (personal_info only when an account connects).
SYNCED = tuple(e.name for e in ENDPOINTS if e.name != "personal_info")
PUSHED = tuple(n for n in SYNCED if n in DATA_TYPE_OF)  # what Oura's webhooks announce
TICK_SECONDS = 15.0  # the scheduler loop's tick: a due endpoint waits for the next one
# sleep_time's recommendation does not wait for a sync; the other night documents do.
NIGHT_EVENTS = ("daily_sleep", "daily_readiness", "sleep", "daily_spo2", "daily_resilience")
DAYTIME_EVENTS = ("daily_activity", "heartrate", "ring_battery_level")

ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("morning scores (sleep, readiness)", schedule.MORNING_SCORES),
    ("night (sleep, SpO2, resilience...)", NIGHT_EVENTS),
    ("daytime (activity, heart rate...)", DAYTIME_EVENTS),
    ("slow (cardiovascular age, VO2 max)", ("daily_cardiovascular_age", "vO2_max")),
)
# The webhook column's extra row: the daytime data Oura pushes (heart rate and battery are
# polled whatever happens, so the daytime row above mixes both).
PUSHED_DAYTIME_ROW = ("daytime pushed (activity)", ("daily_activity",))
# Oura's documented delay from a phone sync to the webhook event.
WEBHOOK_DELAY = 30.0
# The event's work: the single document, then the endpoint's window (the same sync path).
EVENT_REQUESTS = 2


class VirtualClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    """One poller over the replay: endpoint -> moments it was asked, per user."""

    label: str
    fetches: dict[tuple[int, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    # Requests besides the endpoints' windows: the single documents webhook events name.
    documents: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def requests(self, names: Iterable[str]) -> int:
        wanted = set(names)
        windows = sum(len(v) for (_, name), v in self.fetches.items() if name in wanted)
        return windows + sum(n for name, n in self.documents.items() if name in wanted)

    def delivered(self, user: int, name: str, available: float) -> float | None:
        """When ``name`` was first asked at or after ``available`` (None: never)."""
        moments = self.fetches.get((user, name), [])
        index = bisect.bisect_left(moments, available)
        return moments[index] if index < len(moments) else None


@dataclass(frozen=True)
class Replay:
    simulator: Simulator
    clock: VirtualClock
    users: tuple[int, ...]
    start: datetime
    days: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def at(self, moment: float) -> datetime:
        self.clock.now = moment
        return self.simulator.now()

    def has_today(self, user: int, name: str, moment: float) -> bool:
        """Whether asking ``name`` at ``moment`` brings a document of that day (the night's
        endpoints are the ones whose answers the schedule learns from)."""
        if schedule.GROUP_OF[name] is not Group.NIGHT:
            return False
        now = self.at(moment)
        return bool(documents_on(name, self.simulator.context(user), now.date()))


def build_replay(days: int, users: int, wake_times: Sequence[str], seed: int) -> Replay:
    first = date(2026, 3, 2)  # a Monday; the data reach 30 days back from each moment
    config = SimulatorConfig(
        days=30,
        users=users,
        today=first,
        start_time=time(0, 0),
        wake_times=tuple(wake_times),
        seed=seed,
    )
    # The virtual clock counts real epoch seconds from the first midnight, so its moments
    # and the simulator's datetimes are one time line.
    midnight = datetime.combine(first, time(0), tzinfo=ZoneInfo(config.timezone))
    clock = VirtualClock(midnight.timestamp())
    simulator = create_simulator(config, clock=clock)
    return Replay(simulator, clock, tuple(range(1, users + 1)), simulator.now(), days)


def _tick_after(moment: float, origin: float) -> float:
    return origin + math.ceil((moment - origin) / TICK_SECONDS) * TICK_SECONDS


def run_schedule(replay: Replay, poll_interval: float) -> Outcome:
    """The add-on's schedule: each tick, the endpoints due are asked and their answers
    (did they hold today's document?) teach it, as the scheduler does."""
    policy = Policy(poll_interval=poll_interval)
    outcome = Outcome("per-endpoint schedule")
    origin, end = replay.start.timestamp(), replay.end.timestamp()
    for user in replay.users:
        state = ScheduleState()
        moment = origin
        while moment < end:
            now = replay.at(moment)
            due = schedule.due_now(state, SYNCED, now, policy)
            # A second round: what follows a morning that just arrived goes in the same sync.
            for _round in range(2):
                due = schedule.due_now(state, SYNCED, now, policy)
                for name in due:
                    outcome.fetches[(user, name)].append(moment)
                answers = {n: replay.has_today(user, n, moment) for n in due}
                state = schedule.observe(state, answers, SYNCED, now)
            following = schedule.next_due(state, SYNCED, now, policy) or end
            moment = _tick_after(max(following, moment + TICK_SECONDS), origin)
    return outcome


def pushed_events(replay: Replay, pushed: Iterable[str]) -> dict[int, list[tuple[float, str]]]:
    """user -> (moment Oura's event arrives, endpoint), in time order: a document new or
    changed at a phone sync (the simulator's documents compared sync by sync), announced
    ``WEBHOOK_DELAY`` later."""
    names = sorted(pushed)
    found: dict[int, list[tuple[float, str]]] = {}
    for user in replay.users:
        seen: dict[str, dict[str, str]] = {}
        events: list[tuple[float, str]] = []
        moments: list[float] = []
        for offset in range(-1, replay.days):
            day = replay.start.date() + timedelta(days=offset)
            replay.at(replay.end.timestamp())
            plan = replay.simulator.context(user).plan(day)
            moments += [s.timestamp() for s in plan.phone_syncs]
        for moment in sorted(m for m in moments if m < replay.end.timestamp()):
            now = replay.at(moment + 1)
            ctx = replay.simulator.context(user)
            for name in names:
                documents = (
                    ring_configurations(ctx)
                    if name == "ring_configuration"
                    else [
                        d
                        for back in range(3)
                        for d in documents_on(name, ctx, now.date() - timedelta(days=back))
                    ]
                )
                prints = {str(d.get("id")): repr(sorted(d.items())) for d in documents}
                before = seen.get(name)
                seen[name] = prints
                if before is not None and moment >= replay.start.timestamp():
                    changed = any(before.get(k) != v for k, v in prints.items())
                    if changed:
                        events.append((moment + WEBHOOK_DELAY, name))
        found[user] = events
    return found


def run_webhooks(replay: Replay, poll_interval: float, pushed: Iterable[str]) -> Outcome:
    """The add-on with Oura's webhooks: each event fetches its document and makes its
    endpoint due at once; the schedule asks pushed endpoints only as a safety net."""
    pushed = frozenset(pushed)
    policy = Policy(poll_interval=poll_interval)
    outcome = Outcome("webhooks")
    origin, end = replay.start.timestamp(), replay.end.timestamp()
    events_of = pushed_events(replay, pushed)
    for user in replay.users:
        state = schedule.with_pushed(ScheduleState(), pushed, origin)
        events = events_of[user]
        index = 0
        moment = origin
        while moment < end:
            now = replay.at(moment)
            while index < len(events) and events[index][0] <= moment:
                _, name = events[index]
                state = schedule.event_received(state, name, moment)
                outcome.documents[name] += EVENT_REQUESTS - 1
                index += 1
            for _round in range(2):
                due = schedule.due_now(state, SYNCED, now, policy)
                for name in due:
                    outcome.fetches[(user, name)].append(moment)
                answers = {n: replay.has_today(user, n, moment) for n in due}
                state = schedule.observe(state, answers, SYNCED, now)
            following = schedule.next_due(state, SYNCED, now, policy) or end
            if index < len(events):
                following = min(following, events[index][0])
            # An event wakes the loop at once; the schedule waits for the next tick.
            step = following if index < len(events) and following == events[index][0] else None
            moment = (
                step
                if step is not None and step > moment
                else _tick_after(max(following, moment + TICK_SECONDS), origin)
            )
    return outcome


def run_fixed(replay: Replay, minutes: int) -> Outcome:
    """Every endpoint every ``minutes``, whatever the answers."""
    outcome = Outcome(f"fixed {minutes} min")
    origin, end = replay.start.timestamp(), replay.end.timestamp()
    moments = [origin + i * minutes * 60 for i in range(int((end - origin) // (minutes * 60)))]
    for user in replay.users:
        for name in SYNCED:
            outcome.fetches[(user, name)] = list(moments)
    return outcome


def availability(replay: Replay) -> dict[str, list[tuple[int, float]]]:
    """endpoint -> (user, moment Oura got new data for it), over the replayed days."""
    found: dict[str, list[tuple[int, float]]] = defaultdict(list)
    end = replay.end.timestamp()
    for user in replay.users:
        replay.at(end)
        ctx = replay.simulator.context(user)
        for offset in range(replay.days):
            day = replay.start.date() + timedelta(days=offset)
            plan = ctx.plan(day)
            morning = plan.morning_sync.timestamp()
            for name in (*NIGHT_EVENTS, "daily_cardiovascular_age"):
                found[name].append((user, morning))
            for sync in plan.phone_syncs:
                for name in DAYTIME_EVENTS:
                    found[name].append((user, sync.timestamp()))
            for document in documents_on("vO2_max", ctx, day):
                measured = datetime.fromisoformat(document["timestamp"])
                after = [s for s in plan.phone_syncs if s >= measured]
                if after:
                    found["vO2_max"].append((user, after[0].timestamp()))
    return {n: [(u, m) for u, m in v if m < end] for n, v in found.items()}


@dataclass(frozen=True)
class Figures:
    median: float | None
    p95: float | None
    per_day: float


def figures(
    outcome: Outcome,
    events: Mapping[str, list[tuple[int, float]]],
    names: Sequence[str],
    requests_of: Sequence[str],
    days: int,
    users: int,
) -> Figures:
    delays = []
    for name in names:
        for user, available in events.get(name, ()):
            delivered = outcome.delivered(user, name, available)
            if delivered is not None:
                delays.append((delivered - available) / 60)
    per_day = outcome.requests(requests_of) / days / users
    if not delays:
        return Figures(None, None, per_day)
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return Figures(statistics.median(delays), p95, per_day)


def _group_members(group: Group) -> tuple[str, ...]:
    return tuple(n for n in SYNCED if schedule.GROUP_OF[n] is group)


def report(
    days: int = 14,
    users: int = 3,
    poll_interval_minutes: int = 10,
    wake_times: Sequence[str] = (),
    seed: int = 1,
    out: Callable[[str], None] = print,
    webhooks: bool = True,
) -> dict[str, dict[str, Figures]]:
    """Replay and print the table; returns the figures (row -> poller -> Figures)."""
    replay = build_replay(days, users, wake_times, seed)
    outcomes = [
        run_schedule(replay, poll_interval_minutes * 60),
        run_fixed(replay, 10),
        run_fixed(replay, 5),
    ]
    if webhooks:
        outcomes.append(run_webhooks(replay, poll_interval_minutes * 60, PUSHED))
    events = availability(replay)
    request_sets = {
        ROWS[0][0]: schedule.MORNING_SCORES,
        ROWS[1][0]: _group_members(Group.NIGHT),
        ROWS[2][0]: _group_members(Group.DAYTIME),
        ROWS[3][0]: _group_members(Group.SLOW),
        PUSHED_DAYTIME_ROW[0]: tuple(n for n in _group_members(Group.DAYTIME) if n in PUSHED),
    }
    table: dict[str, dict[str, Figures]] = {}
    out(
        f"Freshness over {days} simulated days, {users} users ({replay.simulator.config.timezone}),"
        f" poll_interval {poll_interval_minutes} min, scheduler tick {TICK_SECONDS:.0f} s"
    )
    out('minutes from "available at Oura" to "state in Home Assistant"; requests per day a user')
    header = "".join(f"{o.label:>30}" for o in outcomes)
    out(f"{'data group':<36}{header}")
    out(f"{'':<36}" + "".join(f"{'median':>10}{'p95':>8}{'req/day':>12}" for _ in outcomes))
    for label, names in (*ROWS, PUSHED_DAYTIME_ROW) if webhooks else ROWS:
        row = {
            o.label: figures(o, events, names, request_sets[label], days, users) for o in outcomes
        }
        table[label] = row
        cells = "".join(_cells(row[o.label]) for o in outcomes)
        out(f"{label:<36}{cells}")
    totals = "".join(
        f"{'':>18}{(o.requests(SYNCED)) / days / len(replay.users):>12.0f}" for o in outcomes
    )
    out(f"{'all endpoints':<36}{totals}")
    return table


def _cells(figure: Figures) -> str:
    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    return f"{minutes(figure.median):>10}{minutes(figure.p95):>8}{figure.per_day:>12.0f}"
