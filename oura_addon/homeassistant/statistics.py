"""Past days of the daily sensors, imported into Home Assistant's long-term statistics.

Pushed states only give Home Assistant "now"; an entity's history and statistics graphs draw
the recorder's statistics. So each past day's value (sleep score, HRV, ...) is imported as one
hourly statistics row at that day's local midnight, over Home Assistant's websocket API.

The functions at the top are pure (which days are new, what the rows look like).
``StatisticsImporter`` keeps, in /data/statistics.json, every day Home Assistant accepted and
every day still waiting, and opens one websocket connection per batch, only when a day is new
or Oura revised its value.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from oura_addon.catalogue import STATISTIC_SENSORS
from oura_addon.errors import user_message
from oura_addon.history_import.days import reconciled_sensors
from oura_addon.homeassistant.dialect import Dialect, dialect_for
from oura_addon.homeassistant.registry import CommandSession, statistic_ids
from oura_addon.homeassistant.rest import HomeAssistantError
from oura_addon.homeassistant.websocket import (
    DEFAULT_TIMEOUT,
    CommandRefused,
    Connector,
    WebSocketError,
    WebSocketSession,
    connect,
    open_websocket,
)
from oura_addon.i18n import _l
from oura_addon.settings import RECONCILE_DAYS_RANGE
from oura_addon.store import files as storage

_LOGGER = logging.getLogger(__name__)

STATE_FORMAT = 1
# A refused token is not retried every cycle: each refusal is a failed login in Home Assistant.
AUTH_RETRY_SECONDS = 3600.0
# Only the reconciled days are compared; older ones are the history import's.
KEEP_DAYS = RECONCILE_DAYS_RANGE[1] + 7


# -- pure --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatisticDays:
    """One statistic's days (ISO day -> value): accepted by Home Assistant, or still waiting."""

    unit: str | None
    imported: Mapping[str, float] = field(default_factory=dict)
    pending: Mapping[str, float] = field(default_factory=dict)


def row_start(day: date, tz: tzinfo) -> datetime:
    """Where ``day``'s row starts: local midnight, or the first whole hour after it.

    Home Assistant keeps hourly rows on whole UTC hours; in a zone with a half-hour offset
    midnight is not one, and rounding down would file the value under the day before.
    """
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    hour = midnight.replace(minute=0, second=0, microsecond=0)
    if hour < midnight:
        hour += timedelta(hours=1)
    return hour.astimezone(tz)


def statistic_rows(days: Mapping[str, float], tz: tzinfo) -> list[dict[str, Any]]:
    """One row per day, oldest first; the day's value is its mean, min and max."""
    return [
        {"start": row_start(date.fromisoformat(day), tz).isoformat(), "mean": v, "min": v, "max": v}
        for day, v in sorted(days.items())
    ]


def statistic_id(prefix: str, key: str) -> str:
    return f"sensor.{prefix}_{key}"


def queue_new_days(
    known: Mapping[str, StatisticDays],
    prefix: str,
    metrics: Mapping[str, Mapping[str, float]],
    today: date,
) -> dict[str, StatisticDays]:
    """``known`` plus, as pending, every day before ``today`` that is new or has a new value.

    Today is left out: its value still changes, and the recorder compiles the live sensor.
    """
    cutoff = today.isoformat()
    queued = dict(known)
    for sensor in reconciled_sensors():
        sid = statistic_id(prefix, sensor.key)
        current = queued.get(sid, StatisticDays(sensor.unit))
        fresh = {
            day: value
            for day, value in metrics.get(sensor.key, {}).items()
            if day < cutoff and math.isfinite(value)
        }
        # A fresh value equal to the imported one also cancels a queued revision of it.
        pending = {
            day: value
            for day, value in {**current.pending, **fresh}.items()
            if current.imported.get(day) != value
        }
        if pending != current.pending or current.unit != sensor.unit:
            queued[sid] = replace(current, unit=sensor.unit, pending=pending)
    return queued


def mark_imported(days: StatisticDays) -> StatisticDays:
    return replace(days, imported={**days.imported, **days.pending}, pending={})


def forget_old_days(known: Mapping[str, StatisticDays], today: date) -> dict[str, StatisticDays]:
    oldest = (today - timedelta(days=KEEP_DAYS)).isoformat()
    return {
        sid: replace(
            days,
            imported={d: v for d, v in days.imported.items() if d >= oldest},
            pending={d: v for d, v in days.pending.items() if d >= oldest},
        )
        for sid, days in known.items()
    }


def state_to_json(known: Mapping[str, StatisticDays]) -> dict[str, Any]:
    return {
        "format": STATE_FORMAT,
        "statistics": {
            sid: {"unit": d.unit, "imported": dict(d.imported), "pending": dict(d.pending)}
            for sid, d in sorted(known.items())
        },
    }


def state_from_json(data: Any) -> dict[str, StatisticDays]:
    """The stored state; anything malformed is dropped (a day is then simply sent again)."""
    statistics = data.get("statistics") if isinstance(data, dict) else None
    if not isinstance(statistics, dict):
        return {}
    known: dict[str, StatisticDays] = {}
    for sid, entry in statistics.items():
        if not isinstance(entry, dict):
            continue
        unit = entry.get("unit")
        known[sid] = StatisticDays(
            unit if isinstance(unit, str) else None,
            _day_values(entry.get("imported")),
            _day_values(entry.get("pending")),
        )
    return known


def _day_values(raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict):
        return {}
    values: dict[str, float] = {}
    for day, value in raw.items():
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[day] = float(value)
    return values


# -- the importer ----------------------------------------------------------------------------


class StatisticsImporter:
    """Imports the past days of the daily sensors. Home Assistant being down or refusing is
    a logged warning, never an exception; only a failing disk can raise."""

    def __init__(
        self,
        ws_url: str,
        token: str | None,
        state_path: Path,
        *,
        ha_config: Callable[[], Mapping[str, Any]] | None = None,
        connect: Connector = open_websocket,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        unique_ids: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """``ha_config`` is Home Assistant's ``GET /api/config``: its ``version`` picks the
        metadata keys that release expects (asked again per import: an upgrade restarts it)."""
        self.ws_url = ws_url
        self._ha_config = ha_config
        # MQTT mode: default entity id -> unique id, to import under a renamed entity's id.
        self._unique_ids = unique_ids
        self._token = token
        self._state_path = state_path
        self._connect = connect
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._auth_refused_at: float | None = None

    def __repr__(self) -> str:
        return f"StatisticsImporter({self.ws_url!r})"

    def backfill(
        self,
        prefix: str,
        metrics: Mapping[str, Mapping[str, float]],
        today: date,
        tz: tzinfo,
    ) -> int:
        """Queue the new or revised past days of ``metrics`` and import everything queued.

        Returns how many days Home Assistant accepted. Days it did not accept stay queued in
        the state file for the next call; with nothing queued no connection is opened.
        """
        with self._lock:
            stored = self._load()
            known = forget_old_days(queue_new_days(stored, prefix, metrics, today), today)
            if known != stored:
                self._save(known)  # queued days survive an add-on restart before the import
            waiting = {sid: d for sid, d in known.items() if d.pending}
            if not waiting or self._waiting_after_refusal():
                return 0
            accepted, problem = self._import(waiting, tz, self.dialect())
            if accepted:
                known = {**known, **{sid: mark_imported(known[sid]) for sid in accepted}}
                self._save(known)
            if problem:
                left = sum(len(d.pending) for sid, d in waiting.items() if sid not in accepted)
                _LOGGER.warning(
                    "Statistics: %s %d past day value(s) wait for the next sync.", problem, left
                )
            count = sum(len(waiting[sid].pending) for sid in accepted)
            if count:
                _LOGGER.info(
                    "Imported %d past day value(s) into Home Assistant's statistics of %s",
                    count,
                    ", ".join(sorted(accepted)),
                )
            return count

    def forget(self, prefix: str) -> None:
        """Drop a removed account's days (queued ones would otherwise wait forever)."""
        ids = {statistic_id(prefix, s.key) for s in STATISTIC_SENSORS}
        with self._lock:
            stored = self._load()
            kept = {sid: d for sid, d in stored.items() if sid not in ids}
            if kept != stored:
                self._save(kept)

    @contextmanager
    def session(self) -> Iterator[WebSocketSession]:
        """One authenticated websocket session for a batch of commands (the history import).

        Raises ``WebSocketError`` when Home Assistant is unreachable or refuses the token.
        """
        if self._waiting_after_refusal():
            raise WebSocketError(
                _l("Home Assistant refused the add-on's token; trying again within the hour."),
                auth_refused=True,
            )
        try:
            with connect(
                self.ws_url, self._token, timeout=self._timeout, connector=self._connect
            ) as session:
                yield session
        except WebSocketError as err:
            if err.auth_refused:
                self._auth_refused_at = self._clock()
            raise

    def pending_days(self) -> dict[str, dict[str, float]]:
        """The days still waiting for Home Assistant, per statistic id."""
        with self._lock:
            return {sid: dict(d.pending) for sid, d in self._load().items() if d.pending}

    # -- internals -------------------------------------------------------------------------

    def registry_ids(self, session: CommandSession) -> dict[str, str]:
        """Where each statistic lives now: a renamed entity's statistics follow it."""
        if self._unique_ids is None:
            return {}
        try:
            return statistic_ids(session, self._unique_ids())
        except CommandRefused as err:
            _LOGGER.info("Statistics: the entity registry is unavailable (%s)", err)
            return {}

    def _waiting_after_refusal(self) -> bool:
        if self._auth_refused_at is None:
            return False
        if self._clock() - self._auth_refused_at < AUTH_RETRY_SECONDS:
            return True
        self._auth_refused_at = None
        return False

    def dialect(self) -> Dialect:
        """The statistics dialect of the Home Assistant release now running."""
        version = None
        if self._ha_config is not None:
            try:
                version = self._ha_config().get("version")
            except HomeAssistantError as err:
                _LOGGER.debug("Home Assistant's version unknown: %s", err.user_message)
        return dialect_for(version)

    def _import(
        self, waiting: Mapping[str, StatisticDays], tz: tzinfo, dialect: Dialect
    ) -> tuple[set[str], str | None]:
        """Send each waiting statistic; the ids Home Assistant accepted, and what went wrong."""
        accepted: set[str] = set()
        refused: list[str] = []
        try:
            with connect(
                self.ws_url, self._token, timeout=self._timeout, connector=self._connect
            ) as session:
                renamed = self.registry_ids(session)
                for sid, days in waiting.items():
                    target = renamed.get(sid, sid)  # a renamed entity keeps its statistics
                    try:
                        session.command(
                            {
                                "type": "recorder/import_statistics",
                                "metadata": dialect.statistic_metadata(target, days.unit),
                                "stats": statistic_rows(days.pending, tz),
                            }
                        )
                    except CommandRefused as err:
                        refused.append(f"{sid} ({err})")
                    else:
                        accepted.add(sid)
        except WebSocketError as err:
            if err.auth_refused:
                self._auth_refused_at = self._clock()
            return accepted, err.user_message
        if refused:
            refusal = _l(
                "Home Assistant refused the import of %(statistics)s.",
                statistics=", ".join(refused),
            )
            return accepted, refusal
        return accepted, None

    def _load(self) -> dict[str, StatisticDays]:
        try:
            return state_from_json(storage.read_json(self._state_path))
        except storage.CorruptFileError:
            _LOGGER.warning(
                "%s was unreadable; starting it again (past days are sent once more).",
                self._state_path.name,
            )
            return {}

    def _save(self, known: Mapping[str, StatisticDays]) -> None:
        try:
            storage.write_json(self._state_path, state_to_json(known))
        except OSError as err:  # /data full or read-only: days not noted are sent again
            _LOGGER.warning("Could not save %s: %s", self._state_path.name, user_message(err))
