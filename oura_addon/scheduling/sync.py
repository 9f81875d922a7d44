"""One account's sync: ask Oura, build the states and day values, say what happened.

``AccountSync.run`` talks to Oura and reads the stores, but changes nothing: it returns a
``SyncOutcome`` that the loop applies (record, publish, notify, import).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from oura_addon import catalogue
from oura_addon.errors import user_message
from oura_addon.i18n import _l
from oura_addon.oura.client import (
    ApiUnavailable,
    OuraApiError,
    OuraClient,
    RateLimited,
    Unauthorized,
)
from oura_addon.oura.endpoints import Endpoint
from oura_addon.scheduling import schedule
from oura_addon.scheduling.memory import SCHEDULED_ENDPOINTS as SCHEDULED
from oura_addon.states import EntityState, account_label
from oura_addon.store.accounts import Account, AccountStore, AuthLost, Connection
from oura_addon.store.trends import TREND_DAYS, TrendStore

_LOGGER = logging.getLogger(__name__)

# Endpoints whose history feeds the dashboard's trends: backfilled on an account's first sync.
BACKFILL_ENDPOINTS = frozenset({"daily_sleep", "daily_readiness", "daily_activity", "sleep"})
# Errors after which a backfill is asked again: the past days were not refused, only not had.
TRANSIENT_ERRORS = (ApiUnavailable, RateLimited)
# Days of margin around "today": Oura's windows differ per endpoint (see shared README).
WINDOW_MARGIN_DAYS = 2
# Endpoints whose documents are moments (a workout, a session, a tag): the sync hands them on.
MOMENT_ENDPOINTS = ("workout", "session", "enhanced_tag")
# The trend store keeps two trend windows; a first sync fetches no more than that. Older
# days reach Home Assistant through the history import.
TREND_BACKFILL_DAYS = 2 * TREND_DAYS


@dataclass(frozen=True)
class NeedsReconnect:
    """The account's authorization is gone: only the user reconnecting helps."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Nothing could be had this time (Oura down, rate limited); the next sync tries again."""

    error: str


@dataclass(frozen=True)
class Synced:
    states: dict[str, EntityState]
    synced_at: datetime
    endpoint_errors: dict[str, str]
    daily: dict[str, dict[str, float]]  # catalogue.daily_values of this sync's records
    # False when a first sync's backfill was cut short: no trend file, so the next sync
    # asks for the past days again.
    keep_trends: bool = True
    # Endpoint -> whether its answer held a document of today, for each endpoint answered
    # or failed (the schedule learns from it); None: every endpoint was asked.
    asked: dict[str, bool] = field(default_factory=dict)
    # Oura answered 429: everything waits (Retry-After seconds when it said).
    rate_limited: bool = False
    retry_after: float | None = None
    # Endpoints answered over the last reconcile_days (the day's first ask of each).
    reconciled: tuple[str, ...] = ()
    # The documents of MOMENT_ENDPOINTS answered this time (absent: not asked or failed).
    documents: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    today: date = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", self.synced_at.date())


SyncOutcome = NeedsReconnect | Failed | Synced


class AccountSync:
    def __init__(
        self,
        *,
        accounts: AccountStore,
        oura_client: Callable[[str], OuraClient],
        trends: TrendStore,
        history_days: int,
        reconcile_days: int = 7,
    ) -> None:
        self._accounts = accounts
        self._oura_client = oura_client
        self._trends = trends
        self._history_days = history_days
        self._reconcile_days = reconcile_days

    def run(
        self,
        account: Account,
        previous: Mapping[str, EntityState],
        now: datetime,
        endpoints: Collection[str] | None = None,
        reconcile: Collection[str] = (),
    ) -> SyncOutcome:
        """One request per granted endpoint in ``endpoints`` (None: all), then the states.

        ``previous`` holds the states last published for the account: an endpoint that fails
        or is not asked this time keeps them instead of turning unknown. The endpoints in
        ``reconcile`` reach back ``reconcile_days``, where Oura may have revised days.
        """
        name = account.name
        if account.connection != Connection.CONNECTED:
            return NeedsReconnect(account.auth_error or _l("This account is not connected."))
        tz = now.tzinfo
        assert tz is not None  # the loop passes Home Assistant's local time
        today = now.date()
        client = self._oura_client(name)
        tokens = self._accounts.tokens(name)
        granted = tokens.grants if tokens is not None else None
        backfilling = not self._trends.has_history(name)
        try:
            records, errors = self._fetch(
                client, today, tz, granted, backfilling, endpoints, reconcile
            )
        except (AuthLost, Unauthorized) as err:
            return NeedsReconnect(user_message(err))
        except OuraApiError as err:
            return Failed(user_message(err))
        not_asked = set() if endpoints is None else {e.name for e in SCHEDULED} - set(endpoints)
        states = _states(account, records, now, previous, kept=set(errors) | not_asked)
        limits = [e for e in errors.values() if isinstance(e, RateLimited)]
        cut_short = backfilling and any(
            isinstance(errors.get(e), TRANSIENT_ERRORS) for e in BACKFILL_ENDPOINTS
        )
        if cut_short:
            _LOGGER.info("Account %s: the past days are asked again at the next sync", name)
        return Synced(
            states=states,
            synced_at=now,
            endpoint_errors={n: user_message(e) for n, e in errors.items()},
            daily=catalogue.daily_values(records, today=today, tz=tz),
            keep_trends=not cut_short,
            asked={n: schedule.has_day(records.get(n, ()), today) for n in (*records, *errors)},
            rate_limited=bool(limits),
            retry_after=max((e.retry_after or 0 for e in limits), default=None) or None,
            reconciled=tuple(n for n in records if n in reconcile),
            documents={n: tuple(records[n]) for n in MOMENT_ENDPOINTS if n in records},
        )

    def _fetch(
        self,
        client: OuraClient,
        today: date,
        tz: tzinfo,
        granted: Callable[[str], bool] | None,
        backfilling: bool,
        wanted: Collection[str] | None,
        reconcile: Collection[str],
    ) -> tuple[dict[str, Sequence[Any]], dict[str, OuraApiError]]:
        """Around today; the endpoints in ``reconcile`` from ``reconcile_days`` back; the
        trend endpoints on an account's first sync from ``history_days`` back (at most the
        trends' window). One ``client.sync`` per distinct start."""
        end = today + timedelta(days=1)
        endpoints = [e for e in SCHEDULED if wanted is None or e.name in wanted]
        starts: dict[date, list[Endpoint]] = {}
        for endpoint in endpoints:
            back = WINDOW_MARGIN_DAYS
            if endpoint.name in reconcile:
                back = max(back, self._reconcile_days)
            if backfilling and endpoint.name in BACKFILL_ENDPOINTS:
                back = max(back, min(self._history_days, TREND_BACKFILL_DAYS))
            starts.setdefault(today - timedelta(days=back), []).append(endpoint)
        groups = [(group, start) for start, group in starts.items()]
        records: dict[str, Sequence[Any]] = {}
        errors: dict[str, OuraApiError] = {}
        for group, group_start in groups:
            limited = next((e for e in errors.values() if isinstance(e, RateLimited)), None)
            if limited is not None:  # Oura asked to wait: the backfill's second half too
                errors.update({e.name: limited for e in group})
                continue
            result = client.sync(group, group_start, end, granted=granted, tz=tz)
            records.update(result.records)
            errors.update(result.errors)
        return records, errors


def _states(
    account: Account,
    records: Mapping[str, Sequence[Any]],
    now: datetime,
    previous: Mapping[str, EntityState],
    *,
    kept: set[str],
) -> dict[str, EntityState]:
    """The catalogue's states and the connected sensor; the endpoints in ``kept`` (failed or
    not asked) keep their ``previous`` states."""
    assert now.tzinfo is not None
    states = catalogue.build_states(
        account.entity_prefix,
        records,
        today=now.date(),
        tz=now.tzinfo,
        now=now,
        account_label=account_label(account.name, account.entity_prefix),
        previous=previous,
        failed=kept,
    )
    connected = connected_sensor(account, True, reason=None)
    states[connected.entity_id] = connected
    return states


def connected_sensor(account: Account, connected: bool, *, reason: str | None) -> EntityState:
    prefix = account.entity_prefix
    return catalogue.connected_state(
        prefix,
        connected,
        reason=reason,
        email=account.email,
        account_label=account_label(account.name, prefix),
    )
