"""The whole-history import into a real Home Assistant core: every daily sensor's rows, per
day, with the simulator's values and the entity's unit; idempotent; resumable; every imported
statistic belongs to an entity. The core runs in Europe/Helsinki like the simulator's user."""

from __future__ import annotations

import itertools
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import requests

from oura_addon import catalogue
from oura_addon.history_import.days import daily_values, statistic_sensors
from oura_addon.homeassistant import HomeAssistantClient
from oura_addon.homeassistant.statistics import StatisticsImporter, row_start, statistic_id
from oura_addon.homeassistant.websocket import WebSocketError
from oura_addon.oura.endpoints import ENDPOINTS
from tests.ha_core import HomeAssistantCore
from tests.history.rig import HELSINKI, TODAY, Rig, start_rig

pytestmark = pytest.mark.ha

DAYS = 45  # the simulator's history: the import covers DAYS - 1 days, up to yesterday
FIRST = TODAY - timedelta(days=DAYS - 1)
LAST = TODAY - timedelta(days=1)
READ_BACK_SECONDS = 30.0


@pytest.fixture
def rig(tmp_path, request) -> Iterator[Rig]:
    # Each test its own account name: the statistics of one never meet another's.
    name = "hist" + str(sum(map(ord, request.node.name)) % 10000)
    made, server = start_rig(tmp_path / "data", DAYS, name=name, after="first")
    yield made
    server.stop()


def _account(rig: Rig) -> tuple[str, str]:
    account = next(a for a in rig.accounts.list() if a.name != "first")
    return account.name, account.entity_prefix


def _expected(rig: Rig) -> dict[str, dict[str, float]]:
    endpoints = [e for e in ENDPOINTS if e.name != "personal_info"]
    records = rig.client("x").sync(endpoints, FIRST, LAST, tz=HELSINKI).records
    return daily_values(records, HELSINKI, statistic_sensors(), first=FIRST, last=LAST)


def _rows(core: HomeAssistantCore, ids: list[str], wanted: int) -> dict[str, list[dict]]:
    """Home Assistant's day rows, polled: an import answers before the recorder writes it."""
    deadline = clock.monotonic() + READ_BACK_SECONDS
    while True:
        found = core.websocket_command(
            {
                "type": "recorder/statistics_during_period",
                "start_time": row_start(FIRST - timedelta(days=1), HELSINKI).isoformat(),
                "end_time": row_start(TODAY, HELSINKI).isoformat(),
                "statistic_ids": ids,
                "period": "day",
                "types": ["mean", "min", "max", "sum", "state"],
            }
        )
        if sum(len(v) for v in found.values()) >= wanted or clock.monotonic() > deadline:
            return found
        clock.sleep(0.5)


def _day(row: dict) -> str:
    return datetime.fromtimestamp(row["start"] / 1000, HELSINKI).date().isoformat()


def _importer(core: HomeAssistantCore, tmp_path) -> StatisticsImporter:
    """The importer as the add-on builds it: it asks the core's version over REST."""
    return StatisticsImporter(
        core.ws_url,
        core.token,
        tmp_path / "statistics.json",
        ha_config=HomeAssistantClient(core.api_url, core.token).get_config,
    )


def _has_mean(meta: dict) -> bool:
    # has_mean until 2025.9; mean_type (1: arithmetic) from 2025.10
    return bool(meta.get("has_mean") or meta.get("mean_type"))


def _import(rig: Rig, core: HomeAssistantCore, tmp_path, statistics=None) -> dict[str, Any]:
    importer = statistics or _importer(core, tmp_path)
    history = rig.history(statistics=importer)
    name, _ = _account(rig)
    history.start(name)
    history.join(180)
    return history.status(name)


def _check_every_sensor(core: HomeAssistantCore, prefix: str, expected) -> dict[str, list[dict]]:
    sensors = statistic_sensors()
    ids = [statistic_id(prefix, s.key) for s in sensors]
    rows = _rows(core, ids, sum(len(expected[s.key]) for s in sensors))
    metadata = {
        m["statistic_id"]: m
        for m in core.websocket_command(
            {"type": "recorder/get_statistics_metadata", "statistic_ids": ids}
        )
    }
    for sensor in sensors:
        sid = statistic_id(prefix, sensor.key)
        want = expected[sensor.key]
        got = rows.get(sid, [])
        assert len(got) == len(want), sid  # exactly one row per day with a value
        assert {_day(r) for r in got} == set(want), sid
        if want:
            assert metadata[sid]["statistics_unit_of_measurement"] == sensor.unit, sid
            assert metadata[sid]["source"] == "recorder"
        if sensor.total:
            assert [r["state"] for r in got] == [want[_day(r)] for r in got], sid
            for older, newer in itertools.pairwise(got):
                assert newer["sum"] - older["sum"] == pytest.approx(newer["state"]), sid
            assert metadata[sid]["has_sum"] and not _has_mean(metadata[sid]), sid
        else:
            assert [(r["mean"], r["min"], r["max"]) for r in got] == [
                (want[_day(r)],) * 3 for r in got
            ], sid
            assert _has_mean(metadata[sid]) and not metadata[sid]["has_sum"], sid
    return rows


def test_every_daily_sensor_gets_one_row_per_day_with_the_simulators_value_and_unit(
    running_ha_core, rig, tmp_path
):
    log_start = len(running_ha_core.log_tail(100000).splitlines())
    status = _import(rig, running_ha_core, tmp_path)
    assert status["state"] == "done" and status["days_done"] == DAYS - 1
    _, prefix = _account(rig)
    expected = _expected(rig)
    assert sum(map(len, expected.values())) > 40 * len(statistic_sensors())
    first = _check_every_sensor(running_ha_core, prefix, expected)

    # A second run changes nothing.
    assert _import(rig, running_ha_core, tmp_path)["state"] == "done"
    clock.sleep(2)  # whatever the second run queued is written by now
    assert _check_every_sensor(running_ha_core, prefix, expected) == first

    new_lines = running_ha_core.log_tail(100000).splitlines()[log_start:]
    warnings = [line for line in new_lines if "WARNING" in line]
    assert [line for line in warnings if "recorder" in line or prefix in line] == []


class _GoesAway:
    """Home Assistant's statistics that vanish after ``imports`` commands (the add-on is
    stopped there)."""

    def __init__(self, real: StatisticsImporter, imports: int) -> None:
        self.real = real
        self.left = imports

    def dialect(self):
        return self.real.dialect()

    def registry_ids(self, session):
        return self.real.registry_ids(session)

    @contextmanager
    def session(self):
        with self.real.session() as session:
            outer = self

            class Session:
                def command(self, payload):
                    if payload["type"] == "recorder/import_statistics":
                        if outer.left <= 0:
                            raise WebSocketError("Home Assistant went away.")
                        outer.left -= 1
                    return session.command(payload)

            yield Session()


def test_an_import_stopped_half_way_resumes_and_ends_complete(running_ha_core, rig, tmp_path):
    real = _importer(running_ha_core, tmp_path)
    name, prefix = _account(rig)
    # A long retry pause holds the run at its first failure until the stop.
    stopped = rig.history(statistics=_GoesAway(real, 30), retry_seconds=600)
    stopped.start(name)
    deadline = clock.monotonic() + 60
    while "unreachable" not in stopped.status(name)["message"] and clock.monotonic() < deadline:
        clock.sleep(0.2)
    stopped.stop()
    stopped.join(30)
    half = stopped.status(name)
    assert half["state"] == "running" and half["days_done"] < half["days_total"]

    resumed = rig.history(statistics=real)  # the add-on started again, progress from /data
    resumed.resume_all()
    resumed.join(180)
    assert resumed.status(name)["state"] == "done"
    _check_every_sensor(running_ha_core, prefix, _expected(rig))


def test_every_imported_statistic_belongs_to_an_entity_and_has_a_mean_or_a_sum(
    running_ha_core, rig, tmp_path
):
    name, prefix = _account(rig)
    endpoints = [e for e in ENDPOINTS if e.name != "personal_info"]
    records = rig.client(name).sync(endpoints, LAST, TODAY, tz=HELSINKI).records
    now = datetime.combine(TODAY, time(12), HELSINKI)
    states = catalogue.build_states(prefix, records, today=TODAY, tz=HELSINKI, now=now)
    session = requests.Session()
    session.trust_env = False
    for state in states.values():  # the entities, as the core-API publisher posts them
        session.post(
            f"{running_ha_core.api_url}/states/{state.entity_id}",
            json={"state": state.state, "attributes": state.attributes},
            headers=running_ha_core.headers,
            timeout=10,
        ).raise_for_status()
    assert _import(rig, running_ha_core, tmp_path)["state"] == "done"
    _rows(running_ha_core, [statistic_id(prefix, s.key) for s in statistic_sensors()], 1)

    listed = running_ha_core.websocket_command({"type": "recorder/list_statistic_ids"})
    mine = f"sensor.{prefix}_"
    ours = {s["statistic_id"]: s for s in listed if s["statistic_id"].startswith(mine)}
    entities = set(running_ha_core.get_states())
    assert set(ours) <= entities  # no orphan a user could never see
    # Every imported one is there (the others are the live sensors' own, also entities).
    assert {statistic_id(prefix, s.key) for s in statistic_sensors()} <= set(ours)
    for sid, meta in ours.items():
        assert _has_mean(meta) or meta["has_sum"], sid
