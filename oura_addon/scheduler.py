"""The background loop: poll Oura for each account, build states, publish to Home Assistant.

One loop thread wakes every ``tick_seconds``; it keeps Home Assistant's copy of the states
present (re-posting after a Home Assistant restart without asking Oura anything) and starts a
sync for each account that is due. Each account syncs in its own daemon thread, so a slow or
failing account never delays the others and shutdown never waits on a hung request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import catalogue
from .accounts import AccountStore, AuthLost
from .errors import user_message
from .history import HistoryStore, trend_series
from .homeassistant import HomeAssistantClient, HomeAssistantError, Publisher, StatisticsImporter
from .oura.client import ApiUnavailable, OuraApiError, RateLimited, Unauthorized
from .oura.endpoints import ENDPOINTS
from .services import AccountSnapshot, AddonSnapshot
from .settings import Settings
from .states import EntityState

_LOGGER = logging.getLogger(__name__)

# Endpoints whose history feeds the dashboard's trends: backfilled on an account's first sync.
BACKFILL_ENDPOINTS = frozenset({"daily_sleep", "daily_readiness", "daily_activity", "sleep"})
# Errors after which a backfill is asked again: the past days were not refused, only not had.
TRANSIENT_ERRORS = (ApiUnavailable, RateLimited)
# Days of margin around "today": Oura's windows differ per endpoint (see shared README).
WINDOW_MARGIN_DAYS = 2
TIMEZONE_CACHE_SECONDS = 3600


@dataclass
class _AccountRuntime:
    next_due: float = 0.0
    running: bool = False
    rerun: bool = False  # "sync now" came while running: the next sync is due at once
    last_sync: datetime | None = None
    last_error: str | None = None
    endpoint_errors: dict[str, str] = field(default_factory=dict)
    states: dict[str, EntityState] = field(default_factory=dict)
    notified: bool = False


class Scheduler:
    def __init__(
        self,
        *,
        settings: Settings,
        accounts: AccountStore,
        oura_client: Callable[[str], object],
        history: HistoryStore,
        ha: HomeAssistantClient | None,
        publisher: Publisher | None,
        statistics: StatisticsImporter | None = None,
        panel_url: str = "/hassio/dashboard",
        tick_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self._oura_client = oura_client
        self._history = history
        self._ha = ha
        self._publisher = publisher
        self._statistics = statistics
        self._panel_url = panel_url
        self._tick_seconds = tick_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._runtime: dict[str, _AccountRuntime] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._timezone: tuple[float, tzinfo] | None = None
        self._restored = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="oura-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # one bad cycle must never end the loop
                _LOGGER.exception("Scheduler cycle failed; continuing")
            self._wake.wait(self._tick_seconds)
            self._wake.clear()

    # -- the cycle -------------------------------------------------------------------------

    def tick(self) -> None:
        """Keep Home Assistant's copy current, then start every due account's sync."""
        self._keep_home_assistant_current()
        now = self._clock()
        for account in self._accounts.list():
            with self._lock:
                runtime = self._runtime.setdefault(account.name, _AccountRuntime())
                if runtime.running or runtime.next_due > now or self._stopping.is_set():
                    continue
                runtime.running = True
            threading.Thread(
                target=self._sync_account_guarded,
                args=(account.name, runtime),
                name=f"oura-sync-{account.name}",
                daemon=True,
            ).start()

    def _keep_home_assistant_current(self) -> None:
        if self._publisher is None:
            return
        try:
            if not self._restored:
                # States posted before an add-on restart are back before any Oura call.
                self._publisher.republish_all()
                self._restored = True
            self._publisher.ensure_present()
            self._publisher.publish(self._all_desired())
        except HomeAssistantError as err:
            _LOGGER.warning("Home Assistant: %s", err.user_message)

    def _all_desired(self) -> dict[str, EntityState]:
        with self._lock:
            return {eid: s for rt in self._runtime.values() for eid, s in rt.states.items()}

    def _sync_account_guarded(self, name: str, runtime: _AccountRuntime) -> None:
        try:
            self.sync_account(name)
        except Exception:
            _LOGGER.exception("Sync of account %s failed unexpectedly", name)
            self._record(
                name,
                error="An unexpected error stopped the sync; see the add-on log.",
                runtime=runtime,
            )
        finally:
            # The captured runtime: a removed account's must not be brought back.
            with self._lock:
                runtime.running = False
                interval = self._settings.poll_interval_minutes * 60
                runtime.next_due = 0.0 if runtime.rerun else self._clock() + interval
                runtime.rerun = False

    def sync_account(self, name: str) -> None:
        """One account's cycle: one request per granted endpoint, states, publish."""
        account = self._accounts.get(name)
        if account is None:
            return
        prefix = account.entity_prefix
        if account.connection == "not_connected":
            return  # added in the panel but never authorized: nothing to publish or to warn about
        with self._lock:
            # The account's removal replaces it: this sync's results are then dropped.
            runtime = self._runtime.setdefault(name, _AccountRuntime())
        if account.connection != "connected":
            self._auth_lost(
                name, prefix, account.auth_error or "This account is not connected.", runtime
            )
            return
        tz = self._home_timezone()
        now = datetime.fromtimestamp(self._clock(), tz)
        today = now.date()
        client = self._oura_client(name)
        tokens = self._accounts.tokens(name)
        granted = tokens.grants if tokens is not None else None
        backfilling = not self._history.has_history(name)
        try:
            records, errors = self._fetch(client, today, tz, granted, name)
        except (AuthLost, Unauthorized) as err:
            self._auth_lost(name, prefix, user_message(err), runtime)
            return
        except OuraApiError as err:
            self._record(name, error=user_message(err), runtime=runtime)
            return

        with self._lock:
            previous = dict(runtime.states)
        if self._publisher is not None:
            # After an add-on restart, what was last published stands in for this run's memory.
            own = set(catalogue.entity_ids(prefix))
            published = self._publisher.published()
            previous = {e: s for e, s in published.items() if e in own} | previous
        states = catalogue.build_states(
            prefix,
            records,
            today=today,
            tz=tz,
            now=now,
            account_label=_account_label(name, prefix),
            previous=previous,
            failed=set(errors),
        )
        connected = _connected_sensor(name, prefix, True, reason=None, email=account.email)
        states[connected.entity_id] = connected
        metrics = catalogue.daily_values(records, today=today, tz=tz)
        endpoint_errors = {n: user_message(e) for n, e in errors.items()}
        if not self._record(
            name,
            states=states,
            synced_at=now,
            endpoint_errors=endpoint_errors,
            error=None,
            runtime=runtime,
        ):
            _LOGGER.info("Account %s was removed during its sync; its data is dropped", name)
            return
        if backfilling and any(
            isinstance(errors.get(e), TRANSIENT_ERRORS) for e in BACKFILL_ENDPOINTS
        ):
            # Without a history file the next sync asks for the past days again.
            _LOGGER.info("Account %s: the past days are asked again at the next sync", name)
        else:
            trends = {s.key: metrics.get(s.key, {}) for s, _ in catalogue.TRENDS}
            self._history.merge(name, trends, today)
        self._publish(states)
        if self._runtime_notified(name):
            self._dismiss(name, prefix)
        self._import_statistics(prefix, metrics, today, tz)

    def _fetch(self, client, today: date, tz: tzinfo, granted, name: str) -> tuple[dict, dict]:
        """One request per endpoint (plus pages): the trend endpoints reach back
        ``history_days`` on an account's first sync, the rest only around today."""
        start = today - timedelta(days=WINDOW_MARGIN_DAYS)
        end = today + timedelta(days=1)
        endpoints = [e for e in ENDPOINTS if e.name != "personal_info"]
        if self._history.has_history(name):
            groups = [(endpoints, start)]
        else:
            backfill_start = min(start, today - timedelta(days=self._settings.history_days))
            groups = [
                ([e for e in endpoints if e.name in BACKFILL_ENDPOINTS], backfill_start),
                ([e for e in endpoints if e.name not in BACKFILL_ENDPOINTS], start),
            ]
        records: dict = {}
        errors: dict = {}
        for group, group_start in groups:
            result = client.sync(group, group_start, end, granted=granted, tz=tz)
            records.update(result.records)
            errors.update(result.errors)
        return records, errors

    # -- helpers -----------------------------------------------------------------------------

    def _import_statistics(self, prefix: str, metrics: dict, today: date, tz: tzinfo) -> None:
        """Past days into Home Assistant's long-term statistics, after the states are out."""
        if self._statistics is None:
            return
        try:
            self._statistics.backfill(prefix, metrics, today, tz)
        except Exception:  # statistics are an extra: they must never break a sync
            _LOGGER.exception("Importing statistics failed; the sync itself is complete")

    def _publish(self, states: Mapping[str, EntityState]) -> None:
        if self._publisher is None:
            return
        try:
            self._publisher.publish(self._all_desired() | dict(states))
        except HomeAssistantError as err:
            # Nothing is lost: the states stay desired and the next tick re-posts them.
            _LOGGER.warning("Could not publish to Home Assistant: %s", err.user_message)

    def _record(
        self,
        name: str,
        *,
        error: str | None,
        states: dict[str, EntityState] | None = None,
        synced_at: datetime | None = None,
        endpoint_errors: dict[str, str] | None = None,
        runtime: _AccountRuntime | None = None,
    ) -> bool:
        """Store a sync's outcome; False (and nothing stored) when ``runtime`` is given and
        is no longer the account's, i.e. the account was removed meanwhile."""
        with self._lock:
            if runtime is None:
                runtime = self._runtime.setdefault(name, _AccountRuntime())
            elif self._runtime.get(name) is not runtime:
                return False
            runtime.last_error = error
            if states is not None:
                runtime.states = states
            if synced_at is not None:
                runtime.last_sync = synced_at
            if endpoint_errors is not None:
                runtime.endpoint_errors = endpoint_errors
        return True

    def _runtime_notified(self, name: str) -> bool:
        with self._lock:
            return self._runtime.setdefault(name, _AccountRuntime()).notified

    def _auth_lost(self, name: str, prefix: str, reason: str, runtime: _AccountRuntime) -> None:
        """Connected sensor off, data sensors keep their values, one notification."""
        account = self._accounts.get(name)
        if account is None:
            return  # removed meanwhile (its tokens went with it): nothing to reconnect
        off = _connected_sensor(name, prefix, False, reason=reason, email=account.email)
        with self._lock:
            if self._runtime.get(name) is not runtime:
                return
            runtime.states = {**runtime.states, off.entity_id: off}
            runtime.last_error = f"{reason} Open this panel and click Reconnect."
            already = runtime.notified
            runtime.notified = True
        self._publish({off.entity_id: off})
        if self._ha is not None and not already:
            try:
                self._ha.create_notification(
                    _notification_id(prefix),
                    "Oura account needs reconnecting",
                    f"The Oura account **{name}** lost its authorization: {reason}\n\n"
                    f"Open the [Oura panel]({self._panel_url}) and click **Reconnect**.",
                )
            except HomeAssistantError as err:
                with self._lock:
                    runtime.notified = False  # try again next cycle
                _LOGGER.warning("Could not create the reconnect notification: %s", err.user_message)

    def _dismiss(self, name: str, prefix: str) -> None:
        if self._ha is None:
            return
        try:
            self._ha.dismiss_notification(_notification_id(prefix))
        except HomeAssistantError as err:
            _LOGGER.warning("Could not dismiss the reconnect notification: %s", err.user_message)
            return
        with self._lock:
            runtime = self._runtime.get(name)  # gone when the account was just removed
            if runtime is not None:
                runtime.notified = False

    def _home_timezone(self) -> tzinfo:
        """Home Assistant's time zone (its /config), cached; the system's when unknown."""
        now = self._clock()
        if self._timezone and now - self._timezone[0] < TIMEZONE_CACHE_SECONDS:
            return self._timezone[1]
        zone: tzinfo | None = None
        if self._ha is not None:
            try:
                name = self._ha.get_config().get("time_zone")
                zone = ZoneInfo(name) if isinstance(name, str) else None
            except (HomeAssistantError, ZoneInfoNotFoundError, ValueError) as err:
                _LOGGER.debug("Home Assistant time zone unavailable: %s", err)
        if zone is None:
            if self._timezone:
                return self._timezone[1]
            zone = datetime.now(UTC).astimezone().tzinfo or UTC
        self._timezone = (now, zone)
        return zone

    # -- what the panel calls (SyncControl) ---------------------------------------------------

    def sync_now(self, account: str | None = None) -> None:
        with self._lock:
            for name, runtime in self._runtime.items():
                if account is None or name == account:
                    runtime.next_due = 0.0
                    runtime.rerun = runtime.running
            if account is not None:
                self._runtime.setdefault(account, _AccountRuntime()).next_due = 0.0
        self._wake.set()

    def account_connected(self, account: str) -> None:
        stored = self._accounts.get(account)
        if stored is not None:
            self._dismiss(account, stored.entity_prefix)
        self.sync_now(account)

    def account_removed(self, account: str, entity_prefix: str) -> None:
        with self._lock:
            runtime = self._runtime.pop(account, None)
        entity_ids = catalogue.entity_ids(entity_prefix)
        if runtime is not None:
            entity_ids = sorted(set(entity_ids) | set(runtime.states))
        if self._publisher is not None:
            try:
                self._publisher.remove(entity_ids)
            except HomeAssistantError as err:
                _LOGGER.warning("Could not remove entities: %s", err.user_message)
        self._dismiss(account, entity_prefix)
        self._history.delete(account)
        if self._statistics is not None:
            self._statistics.forget(entity_prefix)

    def account_snapshot(self, account: str) -> AccountSnapshot:
        stored = self._accounts.get(account)
        prefix = stored.entity_prefix if stored else "oura"
        tz = self._timezone[1] if self._timezone else UTC
        today = datetime.fromtimestamp(self._clock(), tz).date()
        with self._lock:
            runtime = self._runtime.get(account) or _AccountRuntime()
            next_due = runtime.next_due
            snapshot_states = tuple(sorted(runtime.states.values(), key=lambda s: s.entity_id))
            last_sync, last_error = runtime.last_sync, runtime.last_error
            endpoint_errors, syncing = dict(runtime.endpoint_errors), runtime.running
        stored_history = self._history.load(account)
        return AccountSnapshot(
            name=account,
            entity_prefix=prefix,
            last_sync=last_sync,
            next_sync=datetime.fromtimestamp(max(next_due, self._clock()), tz)
            if stored and stored.connection == "connected"
            else None,
            syncing=syncing,
            last_error=last_error,
            endpoint_errors=endpoint_errors,
            states=snapshot_states,
            history={
                s.key: trend_series(stored_history, s.key, today) for s, _ in catalogue.TRENDS
            },
        )

    def addon_snapshot(self) -> AddonSnapshot:
        url = self._settings.ha_api_url
        if self._publisher is None:
            return AddonSnapshot("not configured", url)
        error = self._publisher.last_error
        success = self._publisher.last_success
        if error:
            return AddonSnapshot(f"unreachable: {error}", url, success)
        return AddonSnapshot("connected" if success else "waiting", url, success)


def _connected_sensor(
    name: str, prefix: str, connected: bool, *, reason: str | None, email: str | None
) -> EntityState:
    return catalogue.connected_state(
        prefix, connected, reason=reason, email=email, account_label=_account_label(name, prefix)
    )


def _account_label(name: str, prefix: str) -> str | None:
    """Friendly names carry the account's name for every account but the first."""
    return None if prefix == "oura" else name.replace("_", " ").title()


def _notification_id(prefix: str) -> str:
    return f"{prefix}_reconnect"
