"""The history import end to end against the in-process Oura simulator: every daily sensor's
days with the live sensor's values, idempotent, resumable, cancellable, and cheap."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest

from oura_addon import catalogue
from oura_addon.history_import import job as jobs
from oura_addon.history_import.days import statistic_sensors
from oura_addon.history_import.runner import CHUNK_DAYS, EARLIEST_DAY
from oura_addon.homeassistant.statistics import statistic_id
from oura_addon.oura.endpoints import ENDPOINTS
from tests.history.rig import HELSINKI, TODAY

YESTERDAY = TODAY - timedelta(days=1)


def _run(rig, history=None, start=None):
    history = history or rig.history()
    history.start("alice", start)
    history.join(60)
    return history.status("alice")


def _local_day(at: datetime) -> str:
    return at.astimezone(HELSINKI).date().isoformat()


def test_every_daily_sensor_gets_each_day_with_the_value_its_live_sensor_showed(rig_factory):
    rig = rig_factory(days=60)
    status = _run(rig)
    assert status["state"] == "done", status
    assert status["days_done"] == status["days_total"] == 60 - 1  # up to yesterday
    assert status["start"] == (TODAY - timedelta(days=59)).isoformat()

    rows = rig.recorder.snapshot()
    sensors = statistic_sensors()
    assert set(rows) == {statistic_id("oura", s.key) for s in sensors}
    client = rig.client("alice")
    endpoints = [e for e in ENDPOINTS if e.name != "personal_info"]
    for day in (YESTERDAY, TODAY - timedelta(days=17), TODAY - timedelta(days=59)):
        records = client.sync(endpoints, day, day, tz=HELSINKI).records
        now = datetime.combine(day + timedelta(days=1), time(0), HELSINKI)
        live = catalogue.build_states("oura", records, today=day, tz=HELSINKI, now=now)
        for sensor in sensors:
            sid = statistic_id("oura", sensor.key)
            imported = {_local_day(at): r for at, r in rows[sid].items()}
            shown = live[sid].state
            row = imported.get(day.isoformat())
            if shown in ("unknown", None):
                assert row is None, (sid, day)
                continue
            value = row["state"] if sensor.total else row["mean"]
            assert value == float(shown), (sid, day)
            meta = rig.recorder.metadata[sid]
            assert meta["unit_of_measurement"] == sensor.unit
            assert (meta["has_sum"], meta["has_mean"]) == (sensor.total, not sensor.total)


def test_daily_totals_are_running_sums_whose_daily_change_is_the_days_total(rig_factory):
    rig = rig_factory(days=40)
    _run(rig)
    steps = sorted(rig.recorder.snapshot()["sensor.oura_steps"].items())
    assert len(steps) == 39
    assert steps[-1][1]["sum"] == 0.0  # where the live sensor's own sums begin
    for (_, older), (_, newer) in itertools.pairwise(steps):
        assert newer["sum"] - older["sum"] == newer["state"]


def test_a_second_run_changes_nothing(rig_factory):
    rig = rig_factory(days=200)
    _run(rig)
    first = rig.recorder.snapshot()
    assert _run(rig)["state"] == "done"
    assert rig.recorder.snapshot() == first


def test_an_import_stopped_half_way_resumes_where_it_stopped_and_ends_complete(rig_factory):
    clean = rig_factory(days=400)
    _run(clean)
    rig = rig_factory(days=400)
    rig.recorder.fail_after = 40  # Home Assistant goes away part way through
    stopped = rig.history()
    stopped.start("alice")
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while rig.recorder.fail_after and datetime.now(UTC) < deadline:
        stopped.join(0.05)
    stopped.stop()  # the add-on stops
    stopped.join(10)
    half = stopped.status("alice")
    done = sum(g["days_done"] for g in half["groups"].values())
    assert half["state"] == "running" and 0 < done < 6 * half["days_total"]

    rig.recorder.fail_after = None
    resumed = rig.history()  # a new add-on process reads the progress from /data
    resumed.resume_all()
    resumed.join(60)
    assert resumed.status("alice")["state"] == "done"
    assert rig.recorder.snapshot() == clean.recorder.snapshot()


def test_a_cancelled_import_stops_and_says_so(rig_factory):
    rig = rig_factory(days=400)
    history = rig.history()
    history.start("alice")
    history.cancel("alice")
    history.join(30)
    status = history.status("alice")
    assert status["state"] == "cancelled" and status["message"] == "Cancelled."


def test_a_start_in_the_future_is_refused_and_a_running_import_is_not_started_twice(rig_factory):
    rig = rig_factory(days=400)
    history = rig.history()
    with pytest.raises(ValueError):
        history.start("alice", TODAY)
    history.start("alice")
    with pytest.raises(jobs.HistoryBusy):
        history.start("alice")
    history.cancel("alice")
    history.join(30)


def test_rate_limits_are_waited_out_and_the_import_completes(rig_factory):
    rig = rig_factory(days=100)
    rig.simulator.faults.apply({"fault": "rate_limit", "count": 3, "retry_after": 0})
    assert _run(rig)["state"] == "done"
    assert len(rig.recorder.snapshot()["sensor.oura_sleep_score"]) == 99


def test_windows_are_wide_paged_and_never_asked_twice(rig_factory):
    rig = rig_factory(days=400)
    _run(rig)
    asked = [
        (r.path, tuple(sorted(r.query.items())))
        for r in rig.simulator.requests.entries()
        if r.path.startswith("/v2/")
    ]
    assert len(asked) == len(set(asked))
    for _, query in asked:
        q = dict(query)
        probe = q.get("start_date") == (EARLIEST_DAY - timedelta(days=1)).isoformat()
        if "start_date" in q and "next_token" not in q and not probe:
            span = datetime.fromisoformat(q["end_date"]) - datetime.fromisoformat(q["start_date"])
            assert span.days <= CHUNK_DAYS + 2
    # 2 groups of 2 endpoints, 4 of 1, ~3 chunks, a few pages each, plus the first-day probe.
    assert len(asked) < 150


def test_a_renamed_entity_gets_its_history_under_its_new_id(rig_factory):
    rig = rig_factory(days=20)
    rig.recorder.renamed = {"sensor.oura_sleep_score": "sensor.bedroom_sleep"}
    assert _run(rig)["state"] == "done"
    rows = rig.recorder.snapshot()
    assert len(rows["sensor.bedroom_sleep"]) == 19
    assert "sensor.oura_sleep_score" not in rows
