"""The history import's state machine and its pure row builders."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from oura_addon.history_import import job as jobs
from oura_addon.history_import.days import GROUPS, statistic_sensors
from oura_addon.history_import.rows import sum_plan, sum_rows

END = date(2025, 11, 8)
HELSINKI = ZoneInfo("Europe/Helsinki")


def _started(first_day: date = date(2025, 1, 1)) -> jobs.HistoryJob:
    return jobs.with_first_day(jobs.new_job(None, END, ("sleep", "activity"), "r1"), first_day)


def test_chunks_walk_from_the_newest_day_back_to_the_first_taking_turns_per_group():
    job = _started()
    seen = []
    while (chunk := jobs.next_chunk(job, 100)) is not None:
        seen.append(chunk)
        job = jobs.chunk_done(job, chunk)
    assert job.state == jobs.DONE
    assert [c.group for c in seen[:4]] == ["sleep", "activity", "sleep", "activity"]
    for group in ("sleep", "activity"):
        mine = [c for c in seen if c.group == group]
        assert mine[0].last == END and mine[-1].first == date(2025, 1, 1)
        # contiguous, newest first, no day twice
        pairs = itertools.pairwise(mine)
        assert all(a.first - timedelta(days=1) == b.last for a, b in pairs)
        assert sum(c.days for c in mine) == job.days_total() == (END - date(2025, 1, 1)).days + 1


def test_progress_counts_days_complete_in_every_group():
    job = _started()
    chunk = jobs.next_chunk(job, 30)
    job = jobs.chunk_done(job, chunk)
    status = jobs.status_json(job)
    assert status["groups"]["sleep"]["days_done"] == 30
    assert status["groups"]["activity"]["days_done"] == 0
    assert status["days_done"] == 0 and status["days_total"] == 312
    assert status["state"] == "running" and status["start"] == "2025-01-01"


def test_a_requested_start_before_the_first_day_with_data_starts_at_that_first_day():
    job = jobs.new_job(date(2020, 1, 1), END, ("sleep",), "r")
    assert jobs.with_first_day(job, date(2024, 5, 1)).start == date(2024, 5, 1)
    assert jobs.with_first_day(job, date(2019, 5, 1)).start == date(2020, 1, 1)
    assert jobs.with_first_day(job, None).state == jobs.DONE


def test_cancel_ends_a_running_job_only_and_failures_give_up_after_the_limit():
    job = jobs.cancelled(_started())
    assert job.state == jobs.CANCELLED and jobs.next_chunk(job, 10) is None
    assert jobs.cancelled(jobs.completed(_started())).state == jobs.DONE
    failing = _started()
    for _ in range(2):
        failing = jobs.chunk_failed(failing, "Oura is down.", 3)
    assert failing.state == jobs.RUNNING
    assert jobs.chunk_failed(failing, "Oura is down.", 3).state == jobs.FAILED


def test_the_stored_job_survives_a_round_trip_and_garbage_reads_as_idle():
    job = jobs.chunk_done(_started(), jobs.Chunk("sleep", date(2025, 10, 1), END), {"steps": -5.0})
    assert jobs.from_json(jobs.to_json(job)) == job
    for garbage in (None, [], {"format": 99}, {"format": 1, "state": "bogus", "cursors": {}}):
        assert jobs.from_json(garbage) is None


def test_every_daily_sensor_belongs_to_a_group_and_daily_totals_are_sums():
    sensors = {s.key: s for s in statistic_sensors()}
    for key in ("sleep_score", "sleep_deep_sleep_score", "total_sleep_duration", "average_hrv",
                "lowest_heart_rate", "temperature_deviation", "spo2_average",
                "breathing_disturbance_index", "resilience_stress_score", "cardiovascular_age",
                "vo2_max", "readiness_score", "activity_score", "sleep_efficiency"):  # fmt: skip
        assert key in sensors and not sensors[key].total, key
    for key in ("steps", "active_calories", "total_calories", "stress_high_time"):
        assert sensors[key].total, key
    assert {s.group for s in sensors.values()} == set(GROUPS)
    # Moments, not days: never a statistic of their own from the history.
    for key in ("heart_rate", "workouts_today", "ring_battery_level", "last_workout_calories"):
        assert key not in sensors


def test_sums_end_on_the_anchor_and_each_day_adds_its_own_total():
    days = {"2025-11-01": 100.0, "2025-11-02": 250.0, "2025-11-04": 40.0}
    rows = sum_rows(days, 1000.0, HELSINKI)
    assert [r["state"] for r in rows] == [100.0, 250.0, 40.0]
    assert [r["sum"] for r in rows] == [710.0, 960.0, 1000.0]


def test_sums_stop_before_the_days_home_assistant_recorded_and_continue_its_sums():
    days = {"2025-11-01": 100.0, "2025-11-02": 250.0, "2025-11-03": 70.0}
    midnight_3rd = 1762120800000  # 2025-11-03 00:00 in Helsinki, in ms
    held = [{"start": midnight_3rd, "sum": 5000.0, "state": 800.0}]
    kept, anchor = sum_plan(days, held, HELSINKI)
    assert kept == {"2025-11-01": 100.0, "2025-11-02": 250.0}
    assert anchor == 4200.0  # Home Assistant's sum when the 3rd began
