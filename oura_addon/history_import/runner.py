"""Runs each account's history import in its own thread and checkpoints it in /data.

A chunk (one group's endpoints over up to ``CHUNK_DAYS`` days) is fetched with the widest
windows and ``next_token`` paging, turned into day values by the catalogue's day rule, and
sent to Home Assistant; only then does the stored cursor move. A kill at any moment thus
repeats at most one chunk, and a repeated chunk writes the same rows again.
The regular poll runs in the scheduler's own threads meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any, Protocol

from oura_addon.errors import user_message
from oura_addon.history_import import job as jobs
from oura_addon.history_import.days import (
    GROUPS,
    DayValues,
    StatisticSensor,
    daily_values,
    group_sensors,
)
from oura_addon.history_import.job import HistoryBusy
from oura_addon.history_import.rows import existing_rows_query, mean_rows, sum_plan, sum_rows
from oura_addon.homeassistant.dialect import Dialect
from oura_addon.homeassistant.statistics import statistic_id
from oura_addon.homeassistant.websocket import CommandRefused, WebSocketError
from oura_addon.i18n import Day, Number, _l
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from oura_addon.oura.errors import OuraApiError, RateLimited, Unauthorized
from oura_addon.store.accounts import AccountStore, AuthLost
from oura_addon.store.files import not_writable
from oura_addon.store.import_jobs import JobStore

_LOGGER = logging.getLogger(__name__)

# A chunk's window: a few pages per endpoint, and at most this much repeated after a kill.
CHUNK_DAYS = 180
# Failed attempts of one chunk in a row before the job is "failed" (the user may start again).
GIVE_UP_AFTER = 6
RETRY_SECONDS = 30.0
RATE_LIMIT_SECONDS = 60.0
# Before Oura's first rings; the first page of a window from here holds the oldest days.
EARLIEST_DAY = date(2015, 1, 1)
PROBE_ENDPOINTS = ("daily_sleep", "daily_readiness", "daily_activity")


class StatisticsSession(Protocol):
    def command(self, payload: Mapping[str, Any]) -> Any: ...


class StatisticsTarget(Protocol):
    """Home Assistant's statistics (``StatisticsImporter``; a counter in the benchmark)."""

    def session(self) -> AbstractContextManager[StatisticsSession]: ...

    def dialect(self) -> Dialect:
        """The metadata keys the running Home Assistant release expects."""
        ...

    def registry_ids(self, session: StatisticsSession) -> Mapping[str, str]:
        """Default statistic id -> the registry entity's id, where they differ (MQTT mode)."""
        ...


class HistoryImport:
    def __init__(
        self,
        *,
        accounts: AccountStore,
        oura_client: Callable[[str], Any],
        statistics: StatisticsTarget | None,
        store: JobStore,
        timezone: Callable[[], tzinfo],
        clock: Callable[[], float] = time.time,
        chunk_days: int = CHUNK_DAYS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._accounts = accounts
        self._oura_client = oura_client
        self._statistics = statistics
        self._store = store
        self._timezone = timezone
        self._clock = clock
        self._chunk_days = chunk_days
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._wake: dict[str, threading.Event] = {}
        # Runs that stopped because /data refused their progress: what the panel shows.
        self._halted: dict[str, str] = {}
        self._stopping = threading.Event()

    # -- what the panel and the scheduler call ------------------------------------------------

    def status(self, account: str) -> dict[str, Any]:
        job = self._store.load(account)
        with self._lock:
            halted = self._halted.get(account)
            if halted is not None and job.running and not self._alive(account):
                job = jobs.failed(job, halted)
        return jobs.status_json(job)

    def start(self, account: str, start: date | None = None) -> jobs.HistoryJob:
        """Start importing [start or the first day with data, yesterday]; raises HistoryBusy
        while a run is going on and ValueError for a start after yesterday."""
        end = self._yesterday()
        if start is not None and start > end:
            raise ValueError(_l("The start must be %(day)s or earlier.", day=Day(end)))
        refusal = self._store.storage_condition()
        if refusal is not None:
            raise refusal  # started, it could store no progress
        with self._lock:
            if self._store.load(account).running and self._alive(account):
                raise HistoryBusy(account)
            job = jobs.new_job(start, end, GROUPS, uuid.uuid4().hex)
            self._store.save(account, job)
            self._halted.pop(account, None)
            self._spawn(account, job.run_id)
        _LOGGER.info("History import of %s started", account)
        return job

    def first_connection(self, account: str, days: int) -> None:
        """An account's first connection imports its last ``days`` days (once ever)."""
        if self._store.exists(account):
            return
        with contextlib.suppress(HistoryBusy):
            self.start(account, self._yesterday() - timedelta(days=days - 1))

    def cancel(self, account: str) -> jobs.HistoryJob:
        job = self._store.update(account, jobs.cancelled)
        self._wake_up(account)
        return job

    def resume_all(self) -> None:
        """After an add-on restart, every job that was running goes on where it stopped."""
        for account in self._store.accounts():
            job = self._store.load(account)
            if job.running and self._accounts.get(account) is not None:
                with self._lock:
                    if not self._alive(account):
                        _LOGGER.info("Resuming the history import of %s", account)
                        self._spawn(account, job.run_id)

    def forget(self, account: str) -> None:
        self.cancel(account)
        self._store.delete(account)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            events = list(self._wake.values())
        for event in events:
            event.set()

    def join(self, timeout: float) -> None:
        """Wait for the running imports (tests); they are daemon threads otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- the run ---------------------------------------------------------------------------

    def _alive(self, account: str) -> bool:
        thread = self._threads.get(account)
        return thread is not None and thread.is_alive()

    def _spawn(self, account: str, run_id: str) -> None:
        self._wake[account] = threading.Event()
        thread = threading.Thread(
            target=self._run_guarded,
            args=(account, run_id),
            name=f"oura-history-{account}",
            daemon=True,
        )
        self._threads[account] = thread
        thread.start()

    def _wake_up(self, account: str) -> None:
        with self._lock:
            event = self._wake.get(account)
        if event is not None:
            event.set()

    def _wait(self, account: str, seconds: float) -> None:
        with self._lock:
            event = self._wake.get(account)
        if event is not None:
            event.wait(seconds)
            event.clear()

    def _yesterday(self) -> date:
        return datetime.fromtimestamp(self._clock(), self._timezone()).date() - timedelta(days=1)

    def _run_guarded(self, account: str, run_id: str) -> None:
        try:
            self._run(account, run_id)
        except OSError as err:
            named = not_writable(err)
            if named is None:
                raise
            # Its progress cannot be stored: stop, say why; the stored cursors are intact.
            _LOGGER.warning("History import of %s stopped: %s", account, named.user_message)
            with self._lock:
                self._halted[account] = named.user_message
        except Exception:  # a bug must never take the add-on down; the job says it failed
            _LOGGER.exception("History import of %s stopped unexpectedly", account)
            self._update(
                account,
                run_id,
                lambda j: jobs.failed(j, _l("Unexpected error; see the add-on log.")),
            )

    def _update(
        self, account: str, run_id: str, change: Callable[[jobs.HistoryJob], jobs.HistoryJob]
    ) -> jobs.HistoryJob:
        """Change the stored job only while this run still owns it and it is running."""
        return self._store.update(
            account, lambda j: change(j) if j.running and j.run_id == run_id else j
        )

    def _run(self, account: str, run_id: str) -> None:
        while not self._stopping.is_set():
            job = self._store.load(account)
            if not job.running or job.run_id != run_id:
                return
            delay = 0.0
            try:
                if job.start is None:
                    first = self._first_day(account, job)
                    self._update(account, run_id, partial(jobs.with_first_day, first_day=first))
                    continue
                chunk = jobs.next_chunk(job, self._chunk_days)
                if chunk is None:
                    self._update(account, run_id, jobs.completed)
                    return
                anchors = self._import_chunk(account, job, chunk)
                done = partial(jobs.chunk_done, chunk=chunk, anchors=anchors)
                job = self._update(account, run_id, done)
                if job.state == jobs.DONE:
                    _LOGGER.info("History import of %s: %s", account, job.message)
            except RateLimited as err:
                delay = err.retry_after or RATE_LIMIT_SECONDS
                message = _l(
                    "Oura asked to wait %(seconds)s seconds; the import goes on then.",
                    seconds=Number(round(delay)),
                )
                self._update(account, run_id, partial(jobs.with_message, message=message))
            except (AuthLost, Unauthorized) as err:
                message = _l(
                    "%(reason)s Reconnect the account, then import again.", reason=user_message(err)
                )
                self._update(account, run_id, partial(jobs.failed, message=message))
                return
            except (OuraApiError, WebSocketError, CommandRefused) as err:
                if isinstance(err, OuraApiError):
                    message = _l("%(reason)s Trying again shortly.", reason=user_message(err))
                else:  # the details (an address, an exception) are in the log
                    message = _l(
                        "Home Assistant's statistics are unreachable. Trying again shortly."
                    )
                _LOGGER.warning("History import of %s: %s", account, user_message(err))
                retry = partial(jobs.chunk_failed, message=message, give_up_after=GIVE_UP_AFTER)
                self._update(account, run_id, retry)
                delay = self._retry_seconds
            if delay:
                self._wait(account, delay)

    def _first_day(self, account: str, job: jobs.HistoryJob) -> date | None:
        """The oldest day in the first page of a few daily endpoints: 1 request each."""
        end = job.end or self._yesterday()
        since = job.requested_start or EARLIEST_DAY
        client = self._oura_client(account)
        granted = self._granted(account)
        found: list[date] = []
        for name in PROBE_ENDPOINTS:
            if granted is not None and not granted(ENDPOINTS_BY_NAME[name].scope):
                continue
            records = client.first_page(name, since - timedelta(days=1), end + timedelta(days=1))
            found += [r.day for r in records if isinstance(getattr(r, "day", None), date)]
        within = [d for d in found if since <= d <= end]
        return min(within) if within else None

    def _granted(self, account: str) -> Callable[[str], bool] | None:
        tokens = self._accounts.tokens(account)
        return tokens.grants if tokens is not None else None

    def _import_chunk(
        self, account: str, job: jobs.HistoryJob, chunk: jobs.Chunk
    ) -> dict[str, float]:
        stored = self._accounts.get(account)
        if stored is None:
            raise AuthLost(account, _l("The account was removed."))
        tz = self._timezone()
        if self._statistics is None:
            self._fetch(account, chunk, tz)
            return {}
        # Home Assistant first: while its websocket is down, Oura is not asked at all.
        with self._statistics.session() as session:
            values = self._fetch(account, chunk, tz)
            if not any(values.values()):
                return {}
            prefix, sensors = stored.entity_prefix, group_sensors(chunk.group)
            return self._send(session, prefix, sensors, values, job.anchors, chunk, tz)

    def _fetch(self, account: str, chunk: jobs.Chunk, tz: tzinfo) -> DayValues:
        endpoints = [ENDPOINTS_BY_NAME[name] for name in GROUPS[chunk.group]]
        client = self._oura_client(account)
        result = client.sync(endpoints, chunk.first, chunk.last, self._granted(account), tz=tz)
        if result.errors:
            raise next(iter(result.errors.values()))
        sensors = group_sensors(chunk.group)
        return daily_values(result.records, tz, sensors, first=chunk.first, last=chunk.last)

    def _send(
        self,
        session: StatisticsSession,
        prefix: str,
        sensors: tuple[StatisticSensor, ...],
        values: DayValues,
        anchors: Mapping[str, float],
        chunk: jobs.Chunk,
        tz: tzinfo,
    ) -> dict[str, float]:
        """Import the chunk's rows; the new anchors of its daily totals."""
        assert self._statistics is not None
        new_anchors: dict[str, float] = {}
        dialect = self._statistics.dialect()
        # In MQTT mode a renamed entity keeps its statistics under its new id.
        current = self._statistics.registry_ids(session)
        for sensor in sensors:
            days = values.get(sensor.key) or {}
            if not days:
                continue
            default = statistic_id(prefix, sensor.key)
            sid = current.get(default, default)
            if not sensor.total:
                metadata = dialect.statistic_metadata(sid, sensor.unit)
                session.command(_import(metadata, mean_rows(days, tz)))
                continue
            if sensor.key in anchors:
                anchor = anchors[sensor.key]
            else:
                # The first chunk with data: continue from the rows Home Assistant holds.
                held = session.command(existing_rows_query(sid, chunk.first, chunk.last, tz))
                rows = held.get(sid, []) if isinstance(held, dict) else []
                days, anchor = sum_plan(days, rows, tz)
            rows_out = sum_rows(days, anchor, tz)
            if rows_out:
                metadata = dialect.statistic_metadata(sid, sensor.unit, total=True)
                session.command(_import(metadata, rows_out))
            new_anchors[sensor.key] = anchor - sum(days.values())
        return new_anchors


def _import(metadata: dict[str, Any], stats: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "recorder/import_statistics", "metadata": metadata, "stats": stats}
