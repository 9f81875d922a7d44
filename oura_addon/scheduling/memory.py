"""What the scheduler remembers of each account's schedule, and asks of it.

``oura_addon.scheduling.schedule`` decides; this holds its state per account (guarded by one lock),
keeps the learned arrival moments in /data through ``ArrivalStore``, and turns a sync's
answers into the next decisions. The scheduler's loop calls it; nothing here calls Oura.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from oura_addon.oura.endpoints import ENDPOINTS
from oura_addon.scheduling import schedule
from oura_addon.scheduling.schedule import Policy, ScheduleState
from oura_addon.services import FetchPlan
from oura_addon.store.arrivals import ArrivalStore

# personal_info is read when an account connects (its email), not by the scheduler.
SCHEDULED_ENDPOINTS = tuple(e for e in ENDPOINTS if e.name != "personal_info")


def scheduled_names(granted: Callable[[str], bool] | None) -> tuple[str, ...]:
    """The endpoints a sync of an account with these grants asks (None: every one)."""
    return tuple(e.name for e in SCHEDULED_ENDPOINTS if granted is None or granted(e.scope))


def answers(
    names: Iterable[str], records: Mapping[str, Sequence[Any]], today: datetime
) -> dict[str, bool]:
    """Per endpoint asked: whether its answer held a document of today."""
    day = today.date()
    return {name: schedule.has_day(records.get(name, ()), day) for name in names}


class ScheduleMemory:
    def __init__(self, arrivals: ArrivalStore, poll_interval_minutes: int) -> None:
        self._arrivals = arrivals
        self.policy = Policy(poll_interval=poll_interval_minutes * 60)
        self._lock = threading.Lock()
        self._states: dict[str, ScheduleState] = {}
        # "Sync now" for these accounts: their next sync asks everything. A flag rather than
        # forgotten fetch times, so a sync still running when the button was pressed cannot
        # undo it by recording its own answers.
        self._forced: set[str] = set()
        # Webhooks: what Oura pushes (the same for every account: subscriptions are the app's).
        self._pushed: frozenset[str] = frozenset()
        self._pushed_at = 0.0

    def _state(self, account: str) -> ScheduleState:
        """Under the lock: the account's state, with its arrivals read on first use."""
        state = self._states.get(account)
        if state is None:
            state = ScheduleState(arrivals=self._arrivals.load(account))
            state = schedule.with_pushed(state, self._pushed, self._pushed_at)
            self._states[account] = state
        return state

    def due(
        self, account: str, names: Sequence[str], now: datetime, *, follow_up: bool = False
    ) -> list[str]:
        """What to ask now. ``follow_up``: a second round within one sync (the rest of a
        night that just arrived); a "sync now" pressed meanwhile waits for the next sync."""
        with self._lock:
            if follow_up and account in self._forced:
                return []
            state = schedule.clear_backoff(self._state(account), now.timestamp())
            if account in self._forced:
                self._forced.discard(account)
                state = schedule.forget_fetches(state)
            self._states[account] = state
            return schedule.due_now(state, names, now, self.policy)

    def record(
        self,
        account: str,
        names: Sequence[str],
        fetched: Mapping[str, bool],
        now: datetime,
        *,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        """A sync asked ``fetched`` (endpoint -> held today's document) at ``now``."""
        with self._lock:
            before = self._state(account)
            state = schedule.observe(before, fetched, names, now)
            if rate_limited:
                state = schedule.rate_limited(state, now.timestamp(), retry_after)
            self._states[account] = state
            learned = state.arrivals != before.arrivals
        if learned:
            self._arrivals.save(account, state.arrivals)

    def next_due(self, account: str, names: Sequence[str], now: datetime) -> float:
        with self._lock:
            state = self._state(account)
        moment = schedule.next_due(state, names, now, self.policy)
        return now.timestamp() + self.policy.poll_interval if moment is None else moment

    def fetch_everything(self, account: str | None = None) -> None:
        """ "Sync now" (or a reconnect): every endpoint due at once, the 429 wait lifted."""
        with self._lock:
            self._forced |= set(self._states) if account is None else {account}

    def forget(self, account: str) -> None:
        with self._lock:
            self._states.pop(account, None)
            self._forced.discard(account)
        self._arrivals.delete(account)

    def plans(self, account: str, names: Sequence[str], now: datetime) -> tuple[FetchPlan, ...]:
        """Per group the account fetches: when next, and why, in words for the panel."""
        with self._lock:
            state = self._state(account)
        window = schedule.arrival_window(state.arrivals, now.date())
        plans = []
        for group, due in schedule.group_plans(state, names, now, self.policy).items():
            at = datetime.fromtimestamp(max(due.at, now.timestamp()), now.tzinfo)
            plans.append(
                FetchPlan(
                    group=group.value,
                    label=schedule.GROUP_LABELS[group],
                    next_fetch=at,
                    reason=due.reason,
                    message=schedule.reason_text(due.reason, at, window, self.policy),
                )
            )
        return tuple(plans)

    def set_pushed(self, endpoints: frozenset[str], now: float) -> None:
        """The endpoints Oura now pushes (webhook subscriptions live), for every account."""
        with self._lock:
            self._pushed, self._pushed_at = endpoints, now
            for account, state in self._states.items():
                self._states[account] = schedule.with_pushed(state, endpoints, now)

    def event(self, account: str, endpoint: str, now: float) -> None:
        """Oura pushed an event for the account's ``endpoint``: it is due at once."""
        with self._lock:
            self._states[account] = schedule.event_received(self._state(account), endpoint, now)

    def push_lapsed(self, now: float) -> bool:
        """Whether any account's deliveries have stopped (polling has taken over)."""
        with self._lock:
            return any(schedule.push_lapsed(s, now) for s in self._states.values())

    def state(self, account: str) -> ScheduleState:
        """A copy of the account's state (tests, diagnostics)."""
        with self._lock:
            return replace(self._state(account))
