"""The statistics importer's bookkeeping against an in-process Home Assistant (its
websocket answered by a stand-in object, no socket): what is queued is kept in
statistics.json across restarts, sent once, refused statistics wait, a removed account's
days are forgotten, and the state file is read back exactly."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path

from oura_addon.homeassistant.statistics import (
    StatisticDays,
    StatisticsImporter,
    state_from_json,
    state_to_json,
)

TODAY = date(2026, 1, 10)
METRICS = {"sleep_score": {"2026-01-08": 80.0, "2026-01-09": 82.0, "2026-01-10": 90.0}}
SLEEP = "sensor.oura_sleep_score"


class Core:
    """Home Assistant's websocket: accepts the token, answers each command (or refuses the
    statistics named in ``refuse``); remembers the logins and the imports."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = refuse
        self.logins = 0
        self.imports: list[dict] = []

    def __call__(self, url: str, timeout: float) -> Core:
        self.logins += 1
        self._outbox = [{"type": "auth_required"}]
        return self

    def send(self, data: str) -> None:
        message = json.loads(data)
        if message.get("type") == "auth":
            self._outbox.append({"type": "auth_ok"})
            return
        if message.get("type") == "recorder/import_statistics":
            self.imports.append(message)
            sid = message["metadata"]["statistic_id"]
            if sid in self.refuse:
                error = {"code": "invalid", "message": "no"}
                self._outbox.append({"id": message["id"], "type": "result", "success": False,
                                     "error": error})  # fmt: skip
                return
        self._outbox.append({"id": message["id"], "type": "result", "success": True,
                             "result": None})  # fmt: skip

    def recv(self) -> str:
        return json.dumps(self._outbox.pop(0))

    def close(self) -> None:
        pass


def importer(tmp_path: Path, core: Core) -> StatisticsImporter:
    return StatisticsImporter("ws://core", "token", tmp_path / "statistics.json", connect=core)


def test_past_days_are_imported_once_and_remembered(tmp_path: Path) -> None:
    core = Core()
    assert importer(tmp_path, core).backfill("oura", METRICS, TODAY, UTC) == 2
    (sent,) = core.imports
    assert sent["metadata"]["statistic_id"] == SLEEP
    assert [row["mean"] for row in sent["stats"]] == [80.0, 82.0]  # today is the recorder's
    # A restarted add-on reads what was imported and sends nothing, opening no connection.
    again = importer(tmp_path, core)
    assert again.backfill("oura", METRICS, TODAY, UTC) == 0
    assert core.logins == 1
    assert again.pending_days() == {}
    # A revised day is sent again.
    revised = {"sleep_score": {**METRICS["sleep_score"], "2026-01-09": 85.0}}
    assert again.backfill("oura", revised, TODAY, UTC) == 1
    assert [row["mean"] for row in core.imports[-1]["stats"]] == [85.0]


def test_a_refused_statistic_waits_for_the_next_sync(tmp_path: Path) -> None:
    core = Core(refuse=(SLEEP,))
    first = importer(tmp_path, core)
    assert first.backfill("oura", METRICS, TODAY, UTC) == 0
    assert first.pending_days()[SLEEP] == {"2026-01-08": 80.0, "2026-01-09": 82.0}
    core.refuse = ()
    later = importer(tmp_path, core)  # after a restart too
    assert later.backfill("oura", {}, TODAY, UTC) == 2
    assert later.pending_days() == {}


def test_a_removed_accounts_days_are_forgotten_and_others_kept(tmp_path: Path) -> None:
    core = Core(refuse=(SLEEP, "sensor.oura_work_sleep_score"))
    stats = importer(tmp_path, core)
    stats.backfill("oura", METRICS, TODAY, UTC)
    stats.backfill("oura_work", METRICS, TODAY, UTC)
    assert set(stats.pending_days()) == {SLEEP, "sensor.oura_work_sleep_score"}
    stats.forget("oura_work")
    assert set(importer(tmp_path, core).pending_days()) == {SLEEP}


def test_a_session_is_one_authenticated_connection(tmp_path: Path) -> None:
    core = Core()
    stats = importer(tmp_path, core)
    with stats.session() as session:
        assert session.command({"type": "ping"}) is None
    assert core.logins == 1
    assert stats.registry_ids(session) == {}  # core-API mode: no renamed entities


def test_the_state_file_reads_back_exactly() -> None:
    known = {
        SLEEP: StatisticDays(None, {"2026-01-01": 80.0}, {"2026-01-02": 81.5}),
        "sensor.oura_total_sleep_duration": StatisticDays("h", {}, {"2026-01-02": 7.5}),
    }
    assert state_from_json(json.loads(json.dumps(state_to_json(known)))) == known
    damaged = {
        "statistics": {SLEEP: {"unit": 5, "imported": [1], "pending": {"x": 1, "2026-01-02": "a"}}}
    }
    assert state_from_json(damaged) == {SLEEP: StatisticDays(None, {}, {})}
    assert state_from_json({"statistics": []}) == {}
