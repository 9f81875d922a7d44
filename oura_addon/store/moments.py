"""The moments announced per account, and those still to deliver: /data/moments/<name>.json.

``announced`` (moment id -> its day) is what makes each Oura document fire once, across
restarts; ``baselined`` the kinds whose past was recorded without firing; ``pending`` the
events decided but not yet confirmed by Home Assistant (or its broker), delivered at the next
chance. The scheduler trims the ids (``scheduling.moments``); pending events are bounded here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from oura_addon.store import files as storage

_LOGGER = logging.getLogger(__name__)

FORMAT = 1
# Events waiting for Home Assistant: the newest are kept; a backlog older than that is stale.
MAX_PENDING = 50


@dataclass(frozen=True)
class PendingEvent:
    key: str  # catalogue.events key: night, workout, session, tag
    data: Mapping[str, Any]  # the event's attributes, day included
    decided_at: float  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "data": dict(self.data), "decided_at": self.decided_at}


@dataclass(frozen=True)
class AccountMoments:
    announced: Mapping[str, date] = field(default_factory=dict)
    baselined: frozenset[str] = frozenset()
    pending: tuple[PendingEvent, ...] = ()


class MomentStore:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / "moments"
        self._lock = threading.Lock()

    def _path(self, account: str) -> Path:
        return self._dir / f"{account}.json"

    def load(self, account: str) -> AccountMoments:
        try:
            raw = storage.read_json(self._path(account), use_backup=True)
        except storage.CorruptFileError:
            # Without the record every kind starts from a new baseline: nothing fires twice.
            _LOGGER.warning("The moments announced for %s are unreadable; starting again", account)
            return AccountMoments()
        return _parse(raw) if isinstance(raw, dict) else AccountMoments()

    def save(self, account: str, moments: AccountMoments) -> None:
        pending: Sequence[PendingEvent] = moments.pending[-MAX_PENDING:]
        document = {
            "format": FORMAT,
            "announced": {i: d.isoformat() for i, d in moments.announced.items()},
            "baselined": sorted(moments.baselined),
            "pending": [p.to_json() for p in pending],
        }
        with self._lock:
            try:
                storage.write_json(self._path(account), document, keep_backup=True)
            except OSError as err:
                _LOGGER.warning("Could not keep the moments of %s: %s", account, err.strerror)

    def delete(self, account: str) -> None:
        storage.delete_with_backup(self._path(account))


def _parse(raw: dict[str, Any]) -> AccountMoments:
    announced: dict[str, date] = {}
    ids = raw.get("announced")
    for key, day in ids.items() if isinstance(ids, dict) else ():
        if isinstance(key, str) and isinstance(day, str):
            try:
                announced[key] = date.fromisoformat(day)
            except ValueError:
                continue
    baselined = raw.get("baselined")
    kinds = frozenset(
        k for k in (baselined if isinstance(baselined, list) else ()) if isinstance(k, str)
    )
    pending: list[PendingEvent] = []
    entries = raw.get("pending")
    for entry in entries if isinstance(entries, list) else ():
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("data"), dict)
            and isinstance(entry.get("decided_at"), int | float)
        ):
            pending.append(PendingEvent(entry["key"], entry["data"], float(entry["decided_at"])))
    return AccountMoments(announced, kinds, tuple(pending[-MAX_PENDING:]))
