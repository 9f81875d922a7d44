"""A history import survives kill -9 of the real add-on process: started again on the same
/data it goes on from the progress stored there (not from day zero) and ends ``done`` with
every day's rows in Home Assistant's statistics exactly once, the same rows an import that
was never interrupted writes.

Home Assistant is the websocket stand-in (tests/ha_websocket.py) with the recorder stand-in
behind it; Oura is the simulator with three years of one user, answering a little slowly so
that the kills land part way through. Rounds: a few, each at a random moment of the import.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oura_addon.history_import import job as jobs
from oura_addon.history_import.days import group_sensors
from oura_addon.history_import.runner import HistoryImport
from oura_addon.homeassistant.statistics import statistic_id
from oura_addon.http import RetryPolicy
from oura_addon.oura.client import OuraClient
from oura_addon.oura.tokens import TokenSet
from oura_addon.simulator import SimulatorServer
from oura_addon.store.accounts import AccountStore
from oura_addon.store.import_jobs import JobStore
from tests.addon_process import (
    SUPERVISOR_TOKEN,
    TIME_ZONE,
    AddonProcess,
    PanelClient,
    addon_environment,
    simulated_oura,
    wait_for,
    write_options,
)
from tests.ha_websocket import HomeAssistantWebsocketStandIn
from tests.history.recorder import FakeRecorder

pytestmark = pytest.mark.slow

CLIENT_ID, CLIENT_SECRET = "history-kill-client", "history-kill-secret-3b9e"
HISTORY_DAYS = 3 * 365
SLOW_ANSWER = 0.05  # seconds per Oura answer: the import takes several seconds
ROUNDS = 3
LOCAL = ZoneInfo(TIME_ZONE)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=1, days=HISTORY_DAYS) as server:
        yield server


@pytest.fixture
def home_assistant() -> Iterator[HomeAssistantWebsocketStandIn]:
    with HomeAssistantWebsocketStandIn(token=SUPERVISOR_TOKEN, recorder=FakeRecorder()) as ha:
        yield ha


class Addon:
    """Starts of the add-on process on one /data, importing into the stand-in."""

    def __init__(self, root: Path, simulator: SimulatorServer, ha_url: str) -> None:
        self.data_dir = root / "data"
        write_options(
            self.data_dir,
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "history_days": 1,
                "reconcile_days": 1,
            },
        )
        env = addon_environment(self.data_dir, simulator.url, "http://127.0.0.1:9/api")
        self.env = env | {"HA_WS_URL": ha_url}
        self.log_path = root / "addon.log"

    def start(self) -> tuple[AddonProcess, PanelClient]:
        process = AddonProcess(data_dir=self.data_dir, log_path=self.log_path, env=self.env)
        process.start()
        return process, PanelClient(process.url)

    def stored_job(self) -> jobs.HistoryJob:
        return JobStore(self.data_dir).load("oura")


def _history(panel: PanelClient) -> dict[str, Any]:
    return panel.account("oura")["history"]


def _part_way(history: dict[str, Any], beyond: int) -> bool:
    """Running, some days done in every group (``days_done``) but not all, and more
    group-days done than ``beyond`` (the progress at the last kill)."""
    done = sum(g["days_done"] for g in history["groups"].values())
    return (
        history["state"] == "running"
        and 0 < history["days_done"] < history["days_total"]
        and done > beyond
    )


def _day(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def _reference_rows(simulator: SimulatorServer, root: Path, start: date) -> dict:
    """What an import from ``start`` that nothing interrupts leaves in the statistics."""
    accounts = AccountStore(root)
    accounts.create("oura")
    issued = simulator.simulator.issue_tokens(1)
    accounts.save_tokens("oura", TokenSet.from_token_response(issued), "oura@x")

    class Tokens:
        def access_token(self, force_refresh: bool = False) -> str:
            return issued["access_token"]

    recorder = FakeRecorder()
    history = HistoryImport(
        accounts=accounts,
        oura_client=lambda _name: OuraClient(
            simulator.url, Tokens(), policy=RetryPolicy(sleep=lambda s: None)
        ),
        statistics=recorder,
        store=JobStore(root),
        timezone=lambda: LOCAL,
    )
    history.start("oura", start)
    history.join(120)
    assert history.status("oura")["state"] == "done", history.status("oura")
    return recorder.snapshot()


def test_kill_9_during_an_import_then_it_resumes_from_data_and_ends_complete(
    tmp_path, simulator, home_assistant, capsys
) -> None:
    addon = Addon(tmp_path, simulator, home_assistant.url)
    chance = random.Random(14)
    process, panel = addon.start()
    assert "Connected" in panel.connect_with_auto_approve("oura").text
    wait_for(lambda: _history(panel)["state"] == "done", 60, what="the first connection's day")

    simulator.simulator.faults.slow(SLOW_ANSWER, count=None)
    response = panel.session.post(f"{panel.base_url}/api/accounts/oura/history", timeout=10)
    assert response.status_code == 202, response.text
    kills: list[tuple[int, int]] = []  # (group-days done in /data at the kill, of all)
    progress = 0
    try:
        for _round in range(ROUNDS):
            # Further than at the last kill, not finished; then a random moment later, kill -9.
            wait_for(
                lambda panel=panel, last=progress: _part_way(_history(panel), last),
                120,
                interval=0.05,
                what="the import further than at the last kill",
            )
            time.sleep(chance.uniform(0, 0.6))
            assert process.process is not None
            process.process.send_signal(signal.SIGKILL)
            process.process.wait(timeout=10)
            stored = addon.stored_job()
            assert stored.state == jobs.RUNNING, "killed after the import ended: slow Oura more"
            stored_groups = {g: stored.group_days_done(g) for g in stored.cursors}
            progress = sum(stored_groups.values())
            kills.append((progress, stored.days_total() * len(stored_groups)))
            cursors = dict(stored.cursors)
            imports_before = len(home_assistant.all_imports())

            process, panel = addon.start()
            resumed = _history(panel)
            # It goes on from what /data holds, group by group: never back to zero.
            assert resumed["days_done"] == stored.days_done() > 0, (resumed, kills)
            assert {g: p["days_done"] for g, p in resumed["groups"].items()} == stored_groups
            assert resumed["days_total"] == stored.days_total()
            assert resumed["start"] == stored.start.isoformat()
            wait_for(
                lambda before=imports_before: len(home_assistant.all_imports()) > before + 5,
                60,
                what="the resumed import to send rows",
            )
            _assert_nothing_newer_than_the_cursors_again(
                home_assistant.all_imports()[imports_before:], cursors, stored.end
            )
        simulator.simulator.faults.clear()
        done = wait_for(
            lambda: (h := _history(panel))["state"] != "running" and h, 180, what="the end"
        )
    finally:
        simulator.simulator.faults.clear()
        process.stop()
    assert done["state"] == "done", done
    assert done["days_done"] == done["days_total"] >= HISTORY_DAYS - 2

    imports = home_assistant.all_imports()
    _assert_every_repeated_row_is_the_same(imports)
    start, end = date.fromisoformat(done["start"]), date.fromisoformat(done["end"])
    reference = _reference_rows(simulator, tmp_path / "reference", start)
    held = home_assistant.recorder.snapshot()
    assert set(held) == set(reference)
    for sid, rows in reference.items():
        # The regular poll also sends today's value of the daily sensors: not the import's.
        kept = {at: row for at, row in held[sid].items() if start <= _day(at) <= end}
        missing = sorted(_day(at) for at in rows.keys() - kept.keys())
        extra = sorted(_day(at) for at in kept.keys() - rows.keys())
        assert missing == extra == [], f"{sid}: days missing {missing}, extra {extra}"
        for at, row in rows.items():
            fields = ("state", "sum") if "sum" in row else ("mean", "min", "max")
            assert {f: kept[at][f] for f in fields} == {f: row[f] for f in fields}, (sid, at)
    with capsys.disabled():
        print(
            f"\nhistory kill -9 rounds: {len(kills)}, group-days done in /data at each kill: "
            f"{[done for done, _ in kills]} of {kills[0][1]}; imports sent: {len(imports)}"
        )


def _assert_nothing_newer_than_the_cursors_again(
    imports: list[dict], cursors: dict[str, date], end: date | None
) -> None:
    """After a restart no group's import starts over: its rows are at or before the newest
    day it had not finished (one chunk may repeat), apart from the regular poll's last days."""
    assert end is not None
    group_of = {
        statistic_id("oura", sensor.key): group
        for group in cursors
        for sensor in group_sensors(group)
    }
    recent = end - timedelta(days=1)  # the poll re-sends reconcile_days (1) before today
    for message in imports:
        group = group_of[message["metadata"]["statistic_id"]]
        for row in message["stats"]:
            day = _day(datetime.fromisoformat(row["start"]))
            assert day <= cursors[group] or day >= recent, (group, day, cursors[group])


def _assert_every_repeated_row_is_the_same(imports: list[dict]) -> None:
    """A chunk repeated after a kill writes the rows it wrote before, never other sums."""
    first_seen: dict[tuple[str, datetime], dict] = {}
    for message in imports:
        sid = message["metadata"]["statistic_id"]
        for row in message["stats"]:
            key = (sid, datetime.fromisoformat(row["start"]).astimezone(UTC))
            assert first_seen.setdefault(key, row) == row, (key, first_seen[key], row)
