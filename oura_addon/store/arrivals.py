"""When last night's data arrived on recent mornings, per account: /data/schedule/<name>.json.

The schedule (``oura_addon.scheduling.schedule``) learns each account's arrival window from these
moments. Losing them costs only a few mornings of the wide default window, so a missing or
corrupt file reads as "nothing learned yet" and is replaced on the next arrival.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from oura_addon.store import files as storage

_LOGGER = logging.getLogger(__name__)

Arrival = tuple[date, int]  # (local day, minute after local midnight)


class ArrivalStore:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / "schedule"

    def _path(self, account: str) -> Path:
        return self._dir / f"{account}.json"

    def load(self, account: str) -> tuple[Arrival, ...]:
        try:
            raw = storage.read_json(self._path(account))
        except storage.CorruptFileError:
            _LOGGER.warning("Arrival times of %s are unreadable; learning them again", account)
            return ()
        entries = raw.get("arrivals") if isinstance(raw, dict) else None
        return tuple(_parse(entries if isinstance(entries, list) else []))

    def save(self, account: str, arrivals: Iterable[Arrival]) -> None:
        document = {"arrivals": [[day.isoformat(), minute] for day, minute in arrivals]}
        try:
            storage.write_json(self._path(account), document)
        except OSError as err:
            _LOGGER.warning("Could not keep the arrival times of %s: %s", account, err.strerror)

    def delete(self, account: str) -> None:
        storage.delete_with_backup(self._path(account))


def _parse(entries: list[object]) -> Iterable[Arrival]:
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        day, minute = entry
        if not isinstance(day, str) or isinstance(minute, bool) or not isinstance(minute, int):
            continue
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            continue
        if 0 <= minute < 24 * 60:
            yield parsed, minute
