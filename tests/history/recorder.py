"""A stand-in for Home Assistant's recorder statistics: what the history import sends, kept
the way the recorder keeps it (one row per statistic and start, later imports overwrite)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from oura_addon.homeassistant.dialect import Dialect, dialect_for
from oura_addon.homeassistant.websocket import WebSocketError


class FakeRecorder:
    def __init__(self) -> None:
        self.metadata: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, dict[datetime, dict[str, Any]]] = {}
        self.commands: list[str] = []
        self.fail_after: int | None = None  # imports accepted before "Home Assistant" is gone
        self.lock = threading.Lock()
        self.renamed: dict[str, str] = {}  # default entity id -> the registry's (MQTT mode)

    @contextmanager
    def session(self) -> Iterator[FakeRecorder]:
        yield self

    def dialect(self) -> Dialect:
        return dialect_for("2025.4.4")  # has_mean/has_sum, which the tests read

    def registry_ids(self, session: object) -> dict[str, str]:
        return dict(self.renamed)

    def command(self, payload: Mapping[str, Any]) -> Any:
        with self.lock:
            kind = payload["type"]
            if kind == "recorder/import_statistics":
                if self.fail_after is not None:
                    if self.fail_after <= 0:
                        raise WebSocketError("Home Assistant went away.")
                    self.fail_after -= 1
                self.commands.append(kind)
                sid = payload["metadata"]["statistic_id"]
                self.metadata[sid] = dict(payload["metadata"])
                kept = self.rows.setdefault(sid, {})
                for row in payload["stats"]:
                    kept[datetime.fromisoformat(row["start"]).astimezone(UTC)] = dict(row)
                return None
            if kind == "recorder/statistics_during_period":
                self.commands.append(kind)
                start = datetime.fromisoformat(payload["start_time"]).astimezone(UTC)
                end = datetime.fromisoformat(payload["end_time"]).astimezone(UTC)
                found = {}
                for sid in payload["statistic_ids"]:
                    found[sid] = [
                        {"start": at.timestamp() * 1000, **row}
                        for at, row in sorted(self.rows.get(sid, {}).items())
                        if start <= at < end
                    ]
                return found
            if kind == "recorder/list_statistic_ids":  # the insights' picker
                return [
                    {
                        "statistic_id": sid,
                        "name": meta.get("name"),
                        "statistics_unit_of_measurement": meta.get("unit_of_measurement"),
                    }
                    for sid, meta in sorted(self.metadata.items())
                    if meta.get("has_mean") or meta.get("mean_type")
                ]
            raise AssertionError(f"unexpected command {kind}")

    def snapshot(self) -> dict[str, dict[datetime, dict[str, Any]]]:
        with self.lock:
            return {sid: {at: dict(r) for at, r in rows.items()} for sid, rows in self.rows.items()}
