"""After Home Assistant refuses the add-on's token, the statistics wait an hour before the
next login (every sync would otherwise log in and be refused again), then try again.
Home Assistant is an in-process stand-in for its websocket (no socket)."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path

import pytest

from oura_addon.homeassistant.statistics import AUTH_RETRY_SECONDS, StatisticsImporter
from oura_addon.homeassistant.websocket import WebSocketError


class RefusingCore:
    """A websocket that asks for authentication and refuses every token; counts logins."""

    def __init__(self) -> None:
        self.logins = 0

    def __call__(self, url: str, timeout: float) -> RefusingCore:
        self.logins += 1
        self._answers = [{"type": "auth_required"}, {"type": "auth_invalid"}]
        return self

    def recv(self) -> str:
        return json.dumps(self._answers.pop(0))

    def send(self, data: str) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


def test_a_refused_token_pauses_the_logins_for_an_hour(tmp_path: Path, clock) -> None:
    core = RefusingCore()
    importer = StatisticsImporter(
        "ws://core/api/websocket",
        "token",
        tmp_path / "statistics.json",
        connect=core,
        clock=lambda: clock[0],
    )
    metrics = {"sleep_score": {"2026-01-01": 80.0, "2026-01-02": 81.0}}
    assert importer.backfill("oura", metrics, date(2026, 1, 5), UTC) == 0
    assert core.logins == 1
    clock[0] += AUTH_RETRY_SECONDS - 1
    assert importer.backfill("oura", metrics, date(2026, 1, 5), UTC) == 0
    with pytest.raises(WebSocketError, match="within the hour"), importer.session():
        pass
    assert core.logins == 1  # nobody logged in during the hour
    clock[0] += 2
    with pytest.raises(WebSocketError, match="refused"), importer.session():
        pass
    assert core.logins == 2
    assert AUTH_RETRY_SECONDS == 3600
