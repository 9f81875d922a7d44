"""What importing an account's whole history costs: ``python -m oura_addon.benchmark history``.

Runs the real history import (``oura_addon.history_import``) against the in-process Oura
simulator holding 1 and 5 years of one account, with a stand-in for Home Assistant's
recorder that only counts, and prints the requests to Oura, the commands and rows sent to
Home Assistant, and the time taken. Figures only, never asserted.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from oura_addon.history_import.runner import CHUNK_DAYS, HistoryImport
from oura_addon.homeassistant.dialect import Dialect, dialect_for
from oura_addon.http import RetryPolicy
from oura_addon.oura.client import OuraClient
from oura_addon.oura.tokens import TokenSet
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import AccountStore
from oura_addon.store.import_jobs import JobStore

TZ = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 11, 20)


class _CountingRecorder:
    """Accepts every import and counts it; holds no rows of its own (a fresh install)."""

    def __init__(self) -> None:
        self.imports = 0
        self.queries = 0
        self.rows = 0

    @contextmanager
    def session(self) -> Iterator[_CountingRecorder]:
        yield self

    def dialect(self) -> Dialect:
        return dialect_for(None)  # the current releases'

    def registry_ids(self, session: object) -> dict[str, str]:
        return {}  # core-API mode: every statistic under its default id

    def command(self, payload: Mapping[str, Any]) -> Any:
        if payload["type"] == "recorder/import_statistics":
            self.imports += 1
            self.rows += len(payload["stats"])
            return None
        self.queries += 1
        return {}


class _StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self, force_refresh: bool = False) -> str:
        return self.token


def measure(years: int, data_dir: Path) -> dict[str, float]:
    days = 365 * years
    simulator = create_simulator(SimulatorConfig(today=TODAY, days=days, timezone=TZ.key))
    recorder = _CountingRecorder()
    with SimulatorServer(simulator) as oura:
        accounts = AccountStore(data_dir)
        accounts.create("bench")
        issued = simulator.issue_tokens(1)
        accounts.save_tokens("bench", TokenSet.from_token_response(issued), "bench@x")
        client = OuraClient(oura.url, _StaticTokens(issued["access_token"]), policy=RetryPolicy())
        noon = datetime.combine(TODAY, clock_time(12), TZ).timestamp()
        history = HistoryImport(
            accounts=accounts,
            oura_client=lambda _name: client,
            statistics=recorder,
            store=JobStore(data_dir),
            timezone=lambda: TZ,
            clock=lambda: noon,
        )
        simulator.requests.clear()
        started = time.perf_counter()
        history.start("bench")
        history.join(3600)
        elapsed = time.perf_counter() - started
        status = history.status("bench")
        requests = simulator.requests.entries()
    oura_requests = [r for r in requests if r.path.startswith("/v2/")]
    return {
        "days": float(status["days_total"]),
        "state_done": float(status["state"] == "done"),
        "requests": float(len(oura_requests)),
        "pages": float(sum(1 for r in oura_requests if "next_token" in r.query)),
        "imports": float(recorder.imports),
        "queries": float(recorder.queries),
        "rows": float(recorder.rows),
        "seconds": elapsed,
    }


def report(years: list[int]) -> None:
    page = SimulatorConfig().page_size
    print(
        f"History import, one account, simulator on loopback ({page} documents per page, "
        f"{CHUNK_DAYS}-day windows, newest first)"
    )
    for count in years:
        with tempfile.TemporaryDirectory() as tmp:
            figures = measure(count, Path(tmp))
        state = "done" if figures["state_done"] else "NOT done"
        print(
            f"  {count} year(s), {figures['days']:.0f} days ({state}): "
            f"oura requests={figures['requests']:.0f} (of which next_token pages "
            f"{figures['pages']:.0f}), ha imports={figures['imports']:.0f} "
            f"rows={figures['rows']:.0f} queries={figures['queries']:.0f}, "
            f"{figures['seconds']:.1f} s"
        )
    print(f"  (Oura allows 5000 requests per 5 minutes; days before {TODAY - timedelta(1)})")
