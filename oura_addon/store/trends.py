"""The 30-day trends the dashboard charts, kept per account in /data/history/<name>.json.

The values come from ``catalogue.daily_values`` (sensor key -> ISO day -> value).
``TrendStore`` merges each cycle's values into what earlier cycles saw, so a short sync
window still yields a month of points.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from oura_addon.store import files as storage

_LOGGER = logging.getLogger(__name__)

TREND_DAYS = 30


class TrendStore:
    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / "history"
        self._lock = threading.Lock()

    def _path(self, account: str) -> Path:
        return self._dir / f"{account}.json"

    def load(self, account: str) -> dict[str, dict[str, float]]:
        try:
            data = storage.read_json(self._path(account), shape=_trend_values)
        except storage.CorruptFileError as err:
            _LOGGER.warning(
                "Trend history of %s was unreadable (%s); starting it again", account, err
            )
            return {}
        return data or {}

    def merge(
        self, account: str, fresh: Mapping[str, Mapping[str, float]], today: date
    ) -> dict[str, dict[str, float]]:
        """Add this cycle's values, drop days older than the trend window, persist."""
        oldest = (today - timedelta(days=TREND_DAYS * 2)).isoformat()
        with self._lock:
            merged = self.load(account)
            for metric, values in fresh.items():
                days = {**merged.get(metric, {}), **values}
                merged[metric] = {d: v for d, v in sorted(days.items()) if d >= oldest}
            storage.write_json(self._path(account), merged)
        return merged

    def has_history(self, account: str) -> bool:
        return self._path(account).exists()

    def delete(self, account: str) -> None:
        storage.delete_with_backup(self._path(account))


def _trend_values(raw: object) -> dict[str, dict[str, float]]:
    """Metric -> ISO day -> number; entries of any other shape are dropped."""
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    values: dict[str, dict[str, float]] = {}
    for metric, days in raw.items():
        if not isinstance(days, dict):
            continue
        values[metric] = {
            day: float(value)
            for day, value in days.items()
            if isinstance(value, int | float) and not isinstance(value, bool) and _is_day(day)
        }
    return values


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
