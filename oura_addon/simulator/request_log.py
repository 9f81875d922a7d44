"""What the simulator was asked, for tests to assert on. Secrets never enter it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# Query parameters that carry credentials; they are dropped, not masked.
SECRET_PARAMETERS = frozenset(
    {"code", "access_token", "refresh_token", "client_secret", "token", "id_token"}
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request. ``status`` is None when the connection was dropped without an answer."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    status: int | None = None
    user: int | None = None
    timestamp: float = 0.0

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["query"] = dict(self.query)
        return value


def public_query(query: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in query.items() if k.lower() not in SECRET_PARAMETERS}


class RequestLog:
    """Thread-safe, append-only list of requests (waitress serves from several threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> None:
        entry = LoggedRequest(
            method=entry.method,
            path=entry.path,
            query=public_query(entry.query),
            status=entry.status,
            user=entry.user,
            timestamp=entry.timestamp,
        )
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def matching(
        self, path_prefix: str | None = None, method: str | None = None
    ) -> list[LoggedRequest]:
        return [
            e
            for e in self.entries()
            if (path_prefix is None or e.path.startswith(path_prefix))
            and (method is None or e.method.upper() == method.upper())
        ]

    def count(self, path_prefix: str | None = None, method: str | None = None) -> int:
        return len(self.matching(path_prefix, method))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def to_json(self) -> list[dict[str, Any]]:
        return [e.to_json() for e in self.entries()]
