"""The background loop: poll Oura for each account, build states, publish to Home Assistant.

One loop thread wakes every ``tick_seconds``; it keeps Home Assistant's copy of the states
present (re-posting after a Home Assistant restart without asking Oura anything) and starts a
sync for each account that is due. What a sync asks is the account's schedule
(``schedule_memory``): only the endpoints whose data can have changed by now. Each account
syncs in its own daemon thread, so a slow or failing account never delays the others and
shutdown never waits on a hung request.

``AccountSync`` (sync.py) says what one sync found; this module applies that outcome:
records it in the account's runtime, publishes, keeps the trends, raises or dismisses the
reconnect notification (notifier.py) and imports past days into statistics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta, tzinfo

from oura_addon import catalogue
from oura_addon.errors import user_message
from oura_addon.history_import.days import reconciled_endpoints, reconciled_sensors, since
from oura_addon.homeassistant import (
    HomeAssistantClient,
    HomeAssistantError,
    Publisher,
    StatisticsImporter,
)
from oura_addon.homeassistant.supervisor import DASHBOARD_PATH
from oura_addon.i18n import _l
from oura_addon.oura.client import OuraClient
from oura_addon.scheduling.announcements import Announcements, Deliver
from oura_addon.scheduling.memory import ScheduleMemory, scheduled_names
from oura_addon.scheduling.notifier import ReconnectNotifier
from oura_addon.scheduling.runtime import AccountRuntime, Runtimes
from oura_addon.scheduling.sync import (
    AccountSync,
    Failed,
    NeedsReconnect,
    Synced,
    SyncOutcome,
    connected_sensor,
)
from oura_addon.scheduling.timezone import HomeTimezone
from oura_addon.services import AccountSnapshot, AddonSnapshot, HomeAssistantState
from oura_addon.settings import Settings
from oura_addon.states import FIRST_PREFIX, EntityState
from oura_addon.store.accounts import Account, AccountStore, Connection
from oura_addon.store.arrivals import ArrivalStore
from oura_addon.store.moments import MomentStore
from oura_addon.store.trends import TrendStore
from oura_addon.ticker import Ticker

_LOGGER = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        *,
        settings: Settings,
        accounts: AccountStore,
        oura_client: Callable[[str], OuraClient],
        trends: TrendStore,
        ha: HomeAssistantClient | None,
        publisher: Publisher | None,
        statistics: StatisticsImporter | None = None,
        panel_url: str = DASHBOARD_PATH,
        tick_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
        after_sync: Callable[[], None] = lambda: None,
        announce: Deliver | None = None,
    ) -> None:
        self._settings = settings
        self._after_sync = after_sync
        self._accounts = accounts
        self._trends = trends
        self._publisher = publisher
        self._statistics = statistics
        self._clock = clock
        self._sync = AccountSync(
            accounts=accounts,
            oura_client=oura_client,
            trends=trends,
            history_days=settings.history_days,
            reconcile_days=settings.reconcile_days,
        )
        self._runtimes = Runtimes()
        self._schedule = ScheduleMemory(
            ArrivalStore(settings.data_dir), settings.poll_interval_minutes
        )
        self._notifier = ReconnectNotifier(ha, panel_url)
        self._moments = Announcements(MomentStore(settings.data_dir), announce)
        self._timezone = HomeTimezone(ha, clock, settings.system_timezone)
        self._ticker = Ticker(
            "oura-scheduler",
            lambda: self.tick(),
            tick_seconds,
            "Scheduler cycle failed; continuing",
        )
        self._restored = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._ticker.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._ticker.stop(timeout)

    # -- the cycle -------------------------------------------------------------------------

    def tick(self) -> None:
        """Keep Home Assistant's copy current, then start every due account's sync."""
        self._keep_home_assistant_current()
        now = self._clock()
        for account in self._accounts.list():
            if self._ticker.stopping:
                return
            runtime = self._runtimes.claim_due(account.name, now)
            if runtime is None:
                continue
            threading.Thread(
                target=self._sync_guarded,
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
            self._publisher.publish(self._runtimes.all_states())
        except HomeAssistantError as err:
            _LOGGER.warning("Home Assistant: %s", err.user_message)
            return
        self._moments.deliver_all([a.name for a in self._accounts.list()])

    def _sync_guarded(self, name: str, runtime: AccountRuntime) -> None:
        next_due = None
        try:
            next_due = self.sync_due(name)
        except Exception:
            _LOGGER.exception("Sync of account %s failed unexpectedly", name)
            self._runtimes.update(
                runtime,
                _error(_l("An unexpected error stopped the sync; see the add-on log.")),
            )
        finally:
            interval = self._settings.poll_interval_minutes * 60
            self._runtimes.finish(runtime, next_due or self._clock() + interval)
            self._after_sync()

    def sync_account(self, name: str) -> None:
        """One account's full cycle: every endpoint, whatever the schedule says."""
        self._schedule.fetch_everything(name)
        self.sync_due(name)

    def sync_due(self, name: str) -> float | None:
        """Ask Oura what the account's schedule says is due, apply what the sync found, and
        say when the account is next due (None: when nothing can be asked, e.g. it needs
        reconnecting). A morning score that just arrived makes the rest of the night due at
        once: a second round in the same sync."""
        account = self._accounts.get(name)
        if account is None or account.connection == Connection.NOT_CONNECTED:
            return None  # removed, or added but never authorized: nothing to publish or warn
        runtime = self._runtimes.current(name)
        now = datetime.fromtimestamp(self._clock(), self._timezone.get())
        names = self._scheduled_names(name)
        for follow_up in (False, True):
            due = self._schedule.due(name, names, now, follow_up=follow_up)
            if not due:
                break
            # A daily endpoint's first answer of the day reaches back reconcile_days.
            done = self._runtimes.view(name).reconciled_on
            reconcile = [
                n for n in due if n in reconciled_endpoints() and done.get(n) != now.date()
            ]
            outcome = self._sync.run(account, self._previous_states(account), now, due, reconcile)
            match outcome:
                case Synced():
                    self._schedule.record(
                        name,
                        names,
                        outcome.asked,
                        now,
                        retry_after=outcome.retry_after,
                        rate_limited=outcome.rate_limited,
                    )
                case Failed():  # asked again at each endpoint's own pace, not every tick
                    self._schedule.record(name, names, dict.fromkeys(due, False), now)
                case NeedsReconnect():
                    self._apply(account, runtime, outcome)
                    return None
            self._apply(account, runtime, outcome, due)
        return self._schedule.next_due(name, names, now)

    def _scheduled_names(self, name: str) -> tuple[str, ...]:
        tokens = self._accounts.tokens(name)
        return scheduled_names(tokens.grants if tokens is not None else None)

    def _previous_states(self, account: Account) -> dict[str, EntityState]:
        previous = dict(self._runtimes.view(account.name).states)
        if self._publisher is None:
            return previous
        # After an add-on restart, what was last published stands in for this run's memory.
        own = set(catalogue.entity_ids(account.entity_prefix))
        published = self._publisher.published()
        return {e: s for e, s in published.items() if e in own} | previous

    def _apply(
        self,
        account: Account,
        runtime: AccountRuntime,
        outcome: SyncOutcome,
        asked: Collection[str] = (),
    ) -> None:
        match outcome:
            case NeedsReconnect(reason):
                self._auth_lost(account, runtime, reason)
            case Failed(error):
                self._runtimes.update(runtime, _error(error))
            case Synced():
                self._synced(account, runtime, outcome, asked)

    def _synced(
        self, account: Account, runtime: AccountRuntime, outcome: Synced, asked: Collection[str]
    ) -> None:
        def record(rt: AccountRuntime) -> None:
            rt.states = outcome.states
            rt.last_sync = outcome.synced_at
            # An endpoint not asked this time keeps the error it last had.
            kept = {n: e for n, e in rt.endpoint_errors.items() if n not in asked}
            rt.endpoint_errors = kept | outcome.endpoint_errors
            rt.last_error = None
            rt.reconciled_on.update(dict.fromkeys(outcome.reconciled, outcome.today))

        name, prefix = account.name, account.entity_prefix
        if not self._runtimes.update(runtime, record):
            _LOGGER.info("Account %s was removed during its sync; its data is dropped", name)
            return
        if outcome.keep_trends:
            trends = {s.key: outcome.daily.get(s.key, {}) for s, _ in catalogue.TRENDS}
            try:
                self._trends.merge(name, trends, outcome.today)
            except (OSError, ValueError, TypeError) as err:  # an extra: sensors go on
                _LOGGER.warning("Could not keep the trends of %s: %s", name, user_message(err))
        self._publish(outcome.states)
        self._announce(name, prefix, outcome)
        if self._notifier.is_notified(prefix):
            self._notifier.dismiss(prefix)
        self._import_statistics(prefix, outcome)

    def _announce(self, name: str, prefix: str, outcome: Synced) -> None:
        """The moments this sync found, after the states are out (an automation on "night
        ready" reads the new values)."""
        if self._publisher is None:
            return
        try:
            self._moments.after_sync(name, prefix, outcome.states, outcome.documents, outcome.today)
        except Exception:  # events are an extra: they must never break a sync
            _LOGGER.exception("Announcing the moments of %s failed", name)

    def _auth_lost(self, account: Account, runtime: AccountRuntime, reason: str) -> None:
        """Connected sensor off, data sensors keep their values, one notification."""
        if self._accounts.get(account.name) is None:
            return  # removed meanwhile (its tokens went with it): nothing to reconnect
        off = connected_sensor(account, False, reason=reason)

        def record(rt: AccountRuntime) -> None:
            rt.states = {**rt.states, off.entity_id: off}
            rt.last_error = _l("%(reason)s Open this panel and click Reconnect.", reason=reason)

        if not self._runtimes.update(runtime, record):
            return
        self._publish({off.entity_id: off})
        self._notifier.notify(account.name, account.entity_prefix, reason)

    def _import_statistics(self, prefix: str, outcome: Synced) -> None:
        """The reconciled past days into Home Assistant's long-term statistics, after the
        states are out; older days are the history import's."""
        if self._statistics is None:
            return
        first = outcome.today - timedelta(days=self._settings.reconcile_days)
        keys = {s.key for s in reconciled_sensors()}
        recent = {k: since(days, first) for k, days in outcome.daily.items() if k in keys}
        try:
            tz = outcome.synced_at.tzinfo
            assert tz is not None
            self._statistics.backfill(prefix, recent, outcome.today, tz)
        except Exception:  # statistics are an extra: they must never break a sync
            _LOGGER.exception("Importing statistics failed; the sync itself is complete")

    def _publish(self, states: Mapping[str, EntityState]) -> None:
        if self._publisher is None:
            return
        try:
            self._publisher.publish(self._runtimes.all_states() | dict(states))
        except HomeAssistantError as err:
            # Nothing is lost: the states stay desired and the next tick re-posts them.
            _LOGGER.warning("Could not publish to Home Assistant: %s", err.user_message)

    # -- what the panel calls (SyncControl) ---------------------------------------------------

    def sync_now(self, account: str | None = None) -> None:
        self._schedule.fetch_everything(account)
        self._runtimes.due_now(account)
        self._ticker.wake()

    def account_connected(self, account: str) -> None:
        stored = self._accounts.get(account)
        if stored is not None:
            self._notifier.dismiss(stored.entity_prefix)
        self.sync_now(account)

    def account_removed(self, account: str, entity_prefix: str) -> None:
        runtime = self._runtimes.remove(account)
        entity_ids = catalogue.entity_ids(entity_prefix)
        if runtime is not None:
            entity_ids = sorted(set(entity_ids) | set(runtime.states))
        if self._publisher is not None:
            try:
                self._publisher.remove(entity_ids)
            except HomeAssistantError as err:
                _LOGGER.warning(
                    "The entities of %s go as soon as Home Assistant can be reached: %s",
                    account,
                    err.user_message,
                )
        self._notifier.dismiss(entity_prefix)
        self._notifier.forget(entity_prefix)
        self._trends.delete(account)
        self._schedule.forget(account)
        self._moments.forget(account)
        if self._statistics is not None:
            self._statistics.forget(entity_prefix)

    # -- webhooks: what Oura pushes ------------------------------------------------------------

    def set_pushed(self, endpoints: frozenset[str]) -> None:
        """The endpoints Oura pushes: polled only as a safety net from now on."""
        self._schedule.set_pushed(endpoints, self._clock())

    def pushed_event(self, account: str, endpoint: str) -> None:
        """Oura pushed a change of ``endpoint``: the account syncs it now."""
        self._schedule.event(account, endpoint, self._clock())
        self._runtimes.due_now(account)
        self._ticker.wake()

    def push_lapsed(self) -> bool:
        return self._schedule.push_lapsed(self._clock())

    def home_timezone(self) -> tzinfo:
        """Home Assistant's time zone (the history import's days are its local days)."""
        return self._timezone.get()

    def account_snapshot(self, account: str) -> AccountSnapshot:
        stored = self._accounts.get(account)
        tz = self._timezone.last_known()
        runtime = self._runtimes.view(account)
        connected = stored is not None and stored.connection == Connection.CONNECTED
        now = datetime.fromtimestamp(self._clock(), tz)
        return AccountSnapshot(
            name=account,
            entity_prefix=stored.entity_prefix if stored else FIRST_PREFIX,
            last_sync=runtime.last_sync,
            next_sync=datetime.fromtimestamp(max(runtime.next_due, self._clock()), tz)
            if connected
            else None,
            syncing=runtime.running,
            last_error=runtime.last_error,
            endpoint_errors=runtime.endpoint_errors,
            states=tuple(sorted(runtime.states.values(), key=lambda s: s.entity_id)),
            schedule=self._schedule.plans(account, self._scheduled_names(account), now)
            if connected
            else (),
            trend_days=self._trends.load(account),
            today=now.date(),
        )

    def addon_snapshot(self) -> AddonSnapshot:
        url = self._settings.ha_api_url
        if self._publisher is None:
            return AddonSnapshot(HomeAssistantState.NOT_CONFIGURED, url)
        error = self._publisher.last_error
        success = self._publisher.last_success
        if error:
            return AddonSnapshot(HomeAssistantState.UNREACHABLE, url, success, error=error)
        state = HomeAssistantState.CONNECTED if success else HomeAssistantState.WAITING
        return AddonSnapshot(state, url, success)


def _error(message: str) -> Callable[[AccountRuntime], None]:
    def record(runtime: AccountRuntime) -> None:
        runtime.last_error = message

    return record
