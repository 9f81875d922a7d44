"""Fixtures for the simulator tests: a fake clock and simulators served on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from oura_addon.simulator import Simulator, SimulatorConfig, SimulatorServer, create_simulator

HELSINKI = ZoneInfo("Europe/Helsinki")
# A Monday noon in Helsinki (UTC+2): last night's sleep is over, the evening is not.
NOON = datetime(2025, 3, 10, 12, 0, tzinfo=HELSINKI)
REDIRECT_URI = "http://localhost:8123/oura/callback"
V2 = "/v2/usercollection"


def shared_dir() -> Path:
    configured = os.environ.get("OURA_SHARED_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".." / "shared"


def load_shared_json(relative: str) -> Any:
    path = shared_dir() / relative
    if not path.is_file():
        pytest.skip(f"../shared reference material is absent: {path}")
    return json.loads(path.read_text())


class FakeClock:
    """Epoch seconds that only move when told to."""

    def __init__(self, start: datetime = NOON) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Served:
    """A simulator on a free loopback port, with an HTTP session to call it."""

    simulator: Simulator
    clock: FakeClock
    url: str
    http: requests.Session = field(default_factory=requests.Session)

    def tokens(self, user: int = 1, scopes: list[str] | None = None) -> dict[str, Any]:
        if scopes is None:
            return self.simulator.issue_tokens(user)
        return self.simulator.issue_tokens(user, scopes)

    def api(self, name: str, token: str | None = None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.get(f"{self.url}{V2}/{name}", params=params, headers=headers, timeout=10)

    def get_json(self, name: str, token: str, **params: Any) -> Any:
        response = self.api(name, token, **params)
        assert response.status_code == 200, response.text[:300]
        return response.json()

    def token_request(self, path: str = "/oauth/token", **form: str) -> requests.Response:
        return self.http.post(f"{self.url}{path}", data=form, timeout=10)


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """``serve(**config_fields)`` starts a simulator; every one started is stopped after."""
    servers: list[SimulatorServer] = []
    sessions: list[requests.Session] = []

    def start(clock: FakeClock | None = None, sleep=None, **config: Any) -> Served:
        clock = clock or FakeClock()
        extra = {"sleep": sleep} if sleep is not None else {}
        simulator = create_simulator(SimulatorConfig(**config), clock=clock, **extra)
        server = SimulatorServer(simulator).start()
        servers.append(server)
        served = Served(simulator, clock, server.url)
        sessions.append(served.http)
        return served

    try:
        yield start
    finally:
        for session in sessions:
            session.close()
        for server in servers:
            server.stop()


@pytest.fixture
def served(serve) -> Served:
    return serve()
