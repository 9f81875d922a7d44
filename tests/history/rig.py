"""An account connected to the in-process Oura simulator, and a history import over it.

Shared by tests/history and the history tests against a real Home Assistant core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from oura_addon.history_import.runner import HistoryImport
from oura_addon.http import RetryPolicy
from oura_addon.oura.client import OuraClient
from oura_addon.oura.tokens import TokenSet
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import AccountStore
from oura_addon.store.import_jobs import JobStore
from tests.history.recorder import FakeRecorder

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

    def history(self, statistics=None, **kw) -> HistoryImport:
        return HistoryImport(
            accounts=self.accounts,
            oura_client=self.client,
            statistics=statistics or self.recorder,
            store=JobStore(self.data_dir),
            timezone=lambda: HELSINKI,
            clock=lambda: NOON,
            **{"retry_seconds": 0.01, **kw},
        )

    def oura_requests(self) -> int:
        return self.simulator.requests.count("/v2/")


def start_rig(
    data_dir: Path, days: int, name: str = "alice", after: str | None = None
) -> tuple[Rig, SimulatorServer]:
    """A simulator holding ``days`` days of user 1, connected as account ``name`` (created
    after an account ``after``, so that its entities are ``sensor.oura_<name>_*``)."""
    config = SimulatorConfig(today=TODAY, days=days, timezone="Europe/Helsinki")
    simulator = create_simulator(config)
    server = SimulatorServer(simulator).start()
    accounts = AccountStore(data_dir)
    if after:
        accounts.create(after)
    accounts.create(name)
    issued = simulator.issue_tokens(1)
    accounts.save_tokens(name, TokenSet.from_token_response(issued), f"{name}@x")
    token = issued["access_token"]
    return Rig(simulator, server.url, accounts, FakeRecorder(), data_dir, token), server
