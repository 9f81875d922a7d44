"""The sleep insights in /data: the chosen entities (``insights.json``) and, per account,
the nights read from Oura, the results and last night's means (``insights/<name>.json``).

An unreadable file is logged and starts again: the nights are asked from Oura once more.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from oura_addon.store import files as storage

_LOGGER = logging.getLogger(__name__)

FORMAT = 1


class InsightStore:
    def __init__(self, data_dir: Path) -> None:
        self._choice_path = data_dir / "insights.json"
        self._dir = data_dir / "insights"
        self._lock = threading.Lock()

    # -- the choice ------------------------------------------------------------------------

    def chosen(self) -> list[str]:
        data = self._read(self._choice_path)
        ids = data.get("entity_ids") if isinstance(data, dict) else None
        return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []

    def choose(self, entity_ids: list[str]) -> None:
        with self._lock:
            storage.write_json(
                self._choice_path, {"format": FORMAT, "entity_ids": entity_ids}, keep_backup=True
            )

    # -- per account -------------------------------------------------------------------------

    def _path(self, account: str) -> Path:
        return self._dir / f"{account}.json"

    def load(self, account: str) -> dict[str, Any]:
        data = self._read(self._path(account))
        return data if isinstance(data, dict) else {}

    def save(self, account: str, document: dict[str, Any]) -> None:
        with self._lock:
            storage.write_json(self._path(account), {**document, "format": FORMAT})

    def accounts(self) -> list[str]:
        """The accounts with a file here."""
        if not self._dir.is_dir():
            return []
        return sorted(p.stem for p in self._dir.glob("*.json") if not p.name.startswith("."))

    def delete(self, account: str) -> None:
        storage.delete_with_backup(self._path(account))

    def _read(self, path: Path) -> Any:
        try:
            return storage.read_json(path, use_backup=path == self._choice_path)
        except storage.CorruptFileError as err:
            _LOGGER.warning("%s; the insights start it again", err)
            return None
