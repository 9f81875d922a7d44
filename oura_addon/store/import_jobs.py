"""Each account's history import job in /data/history_import/<account>.json."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from oura_addon.history_import.job import HistoryJob, from_json, to_json
from oura_addon.store import files as storage

_LOGGER = logging.getLogger(__name__)


class JobStore:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / "history_import"
        self._lock = threading.Lock()
        self._reported: set[str] = set()  # accounts whose unreadable job was logged

    def _path(self, account: str) -> Path:
        return self._dir / f"{account}.json"

    def storage_condition(self) -> storage.DataNotWritable | None:
        """Whether /data is full or read-only now (a job started then could not be saved)."""
        return storage.storage_condition(self._dir.parent)

    def exists(self, account: str) -> bool:
        return self._path(account).exists()

    def load(self, account: str) -> HistoryJob:
        with self._lock:
            return self._load(account)

    def save(self, account: str, job: HistoryJob) -> None:
        with self._lock:
            storage.write_json(self._path(account), to_json(job))

    def update(self, account: str, change: Callable[[HistoryJob], HistoryJob]) -> HistoryJob:
        """Apply ``change`` to the stored job atomically with respect to other updates."""
        with self._lock:
            current = self._load(account)
            changed = change(current)
            if changed != current:
                storage.write_json(self._path(account), to_json(changed))
            return changed

    def accounts(self) -> list[str]:
        return sorted(p.stem for p in self._dir.glob("*.json")) if self._dir.is_dir() else []

    def delete(self, account: str) -> None:
        with self._lock:
            storage.delete_with_backup(self._path(account))

    def _load(self, account: str) -> HistoryJob:
        try:
            stored = storage.read_json(self._path(account), shape=from_json)
        except storage.CorruptFileError as err:
            if account not in self._reported:  # the panel asks every few seconds
                self._reported.add(account)
                _LOGGER.warning("History import progress of %s ignored: %s", account, err)
            stored = None
        return stored or HistoryJob()
