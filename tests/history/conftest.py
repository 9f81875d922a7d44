"""An account connected to the in-process Oura simulator, and a history import over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oura_addon.accounts import AccountStore
from oura_addon.history_import.runner import HistoryImport
from oura_addon.history_import.store import JobStore
from oura_addon.http import RetryPolicy
from oura_addon.oura.client import OuraClient
from oura_addon.oura.tokens import TokenSet
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator

from .recorder import FakeRecorder

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2025, 11, 9)
NOON = datetime.combine(TODAY, time(12), HELSINKI).timestamp()


class _Tokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self, force_refresh: bool = False) -> str:
        return self.token


@dataclass
class Rig:
    simulator: object
    url: str
    accounts: AccountStore
    recorder: FakeRecorder
    data_dir: Path
    token: str

    def client(self, _account: str) -> OuraClient:
        return OuraClient(self.url, _Tokens(self.token), policy=RetryPolicy(sleep=lambda s: None))

    def history(self, **kw) -> HistoryImport:
        return HistoryImport(
            accounts=self.accounts,
            oura_client=self.client,
            statistics=self.recorder,
            store=JobStore(self.data_dir),
            timezone=lambda: HELSINKI,
            clock=lambda: NOON,
            **{"retry_seconds": 0.01, **kw},
        )

    def oura_requests(self) -> int:
        return self.simulator.requests.count("/v2/")


@pytest.fixture
def rig_factory(tmp_path) -> Iterator:
    servers: list[SimulatorServer] = []

    def make(days: int = 400) -> Rig:
        config = SimulatorConfig(today=TODAY, days=days, timezone="Europe/Helsinki")
        simulator = create_simulator(config)
        server = SimulatorServer(simulator).start()
        servers.append(server)
        data_dir = tmp_path / f"data{len(servers)}"
        accounts = AccountStore(data_dir)
        accounts.create("alice")
        issued = simulator.issue_tokens(1)
        accounts.save_tokens("alice", TokenSet.from_token_response(issued), "alice@x")
        token = issued["access_token"]
        return Rig(simulator, server.url, accounts, FakeRecorder(), data_dir, token)

    yield make
    for server in servers:
        server.stop()
