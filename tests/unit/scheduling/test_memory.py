"""The scheduler's memory of each account's schedule: decisions, learning kept in /data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from oura_addon.scheduling.memory import ScheduleMemory, scheduled_names
from oura_addon.store.arrivals import ArrivalStore

TZ = ZoneInfo("Europe/Helsinki")
NAMES = scheduled_names(None)


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def test_grants_decide_what_is_scheduled_and_personal_info_never_is():
    assert "personal_info" not in NAMES and "heartrate" in NAMES
    names = scheduled_names(lambda scope: scope == "spo2")
    assert names == ("daily_spo2",)


def test_a_mornings_arrival_is_kept_for_the_next_start(tmp_path):
    memory = ScheduleMemory(ArrivalStore(tmp_path), 10)
    memory.record("oura", NAMES, {n: False for n in NAMES}, at(7, 0))
    memory.record("oura", NAMES, {"daily_sleep": True, "daily_readiness": True}, at(7, 31))
    restarted = ScheduleMemory(ArrivalStore(tmp_path), 10)
    assert restarted.state("oura").arrivals == ((at(7).date(), 7 * 60 + 31),)
    # Fresh memory after a restart: everything is asked once.
    assert restarted.due("oura", NAMES, at(7, 40)) == list(NAMES)


def test_sync_now_asks_everything_and_lifts_a_rate_limit(tmp_path):
    memory = ScheduleMemory(ArrivalStore(tmp_path), 10)
    memory.record(
        "oura", NAMES, {n: False for n in NAMES}, at(13), rate_limited=True, retry_after=3600
    )
    assert memory.due("oura", NAMES, at(13, 0)) == []
    assert memory.plans("oura", NAMES, at(13))[0].reason == "rate_limited"
    memory.fetch_everything("oura")
    assert memory.due("oura", NAMES, at(13, 0)) == list(NAMES)


def test_plans_speak_in_the_home_time_zone(tmp_path):
    memory = ScheduleMemory(ArrivalStore(tmp_path), 10)
    memory.record("oura", NAMES, {n: False for n in NAMES}, at(13, 20), retry_after=None)
    night, daytime, slow = memory.plans("oura", NAMES, at(13, 20))
    assert (night.group, daytime.group, slow.group) == ("night", "daytime", "slow")
    assert daytime.message == "every 10 min while you are awake; next check at 1:30\u202fPM"
    assert night.message.startswith("waiting for last night's sleep")
    assert slow.next_fetch == at(19, 20)


def test_forgetting_an_account_drops_what_was_learned(tmp_path):
    memory = ScheduleMemory(ArrivalStore(tmp_path), 10)
    memory.record("bob", NAMES, {"daily_sleep": True}, at(7, 31))
    memory.forget("bob")
    assert ScheduleMemory(ArrivalStore(tmp_path), 10).state("bob").arrivals == ()


def test_sync_now_pressed_during_a_sync_is_kept_for_the_next_one(tmp_path):
    memory = ScheduleMemory(ArrivalStore(tmp_path), 10)
    memory.record("oura", NAMES, {n: False for n in NAMES}, at(13))
    memory.fetch_everything("oura")  # pressed while that sync still ran...
    memory.record("oura", NAMES, {n: False for n in NAMES}, at(13))  # ...which then recorded
    assert memory.due("oura", NAMES, at(13), follow_up=True) == []
    assert memory.due("oura", NAMES, at(13)) == list(NAMES)
    assert memory.due("oura", NAMES, at(13)) == list(NAMES)  # until answers are recorded
