"""Which moments fire: the pure rules, the bounded memory in /data, and delivery once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from oura_addon import catalogue
from oura_addon.catalogue.events import NIGHT, TAG, WORKOUT, EventDescription
from oura_addon.oura import models
from oura_addon.oura.models import parse_record
from oura_addon.scheduling.announcements import STALE_SECONDS, Announcements
from oura_addon.scheduling.moments import (
    KEEP_DAYS,
    MAX_IDS,
    Memory,
    new_moments,
    sample_average,
)
from oura_addon.store.moments import MAX_PENDING, AccountMoments, MomentStore, PendingEvent

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def workout(number: int, day: date = TODAY, **fields: Any) -> models.Workout:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=7)
    return parse_record(
        models.Workout,
        {
            "id": f"w{number}",
            "day": day.isoformat(),
            "activity": "running",
            "intensity": "hard",
            "calories": 312.4,
            "distance": 5012.3,
            "source": "manual",
            "start_datetime": start.isoformat(),
            "end_datetime": (start + timedelta(minutes=30)).isoformat(),
        }
        | fields,
    )


def session(number: int, day: date = TODAY) -> models.Session:
    return parse_record(
        models.Session,
        {
            "id": f"s{number}",
            "day": day.isoformat(),
            "type": "meditation",
            "mood": "good",
            "start_datetime": f"{day.isoformat()}T08:00:00+00:00",
            "end_datetime": f"{day.isoformat()}T08:10:00+00:00",
            "heart_rate": {"interval": 5.0, "items": [60.0, None, 62.0]},
            "heart_rate_variability": {"interval": 5.0, "items": [40, 45]},
        },
    )


def tag(number: int, day: date = TODAY) -> models.EnhancedTag:
    return parse_record(
        models.EnhancedTag,
        {
            "id": f"t{number}",
            "tag_type_code": "tag_generic_caffeine",
            "custom_name": None,
            "start_day": day.isoformat(),
            "start_time": f"{day.isoformat()}T10:00:00+00:00",
            "comment": "espresso",
        },
    )


def night_states(day: date | None = TODAY, prefix: str = "oura") -> dict[str, Any]:
    """The catalogue's states with last night in, dated ``day`` (None: no night at all)."""
    records: dict[str, list[Any]] = {}
    if day is not None:
        records = {
            "daily_sleep": [parse_record(models.DailySleep, {"day": str(day), "score": 81})],
            "daily_readiness": [
                parse_record(
                    models.DailyReadiness,
                    {"day": str(day), "score": 74, "temperature_deviation": -0.2},
                )
            ],
            "sleep": [
                parse_record(
                    models.Sleep,
                    {
                        "day": str(day),
                        "type": "long_sleep",
                        "total_sleep_duration": 27000,
                        "time_in_bed": 29000,
                        "average_hrv": 48,
                        "lowest_heart_rate": 51,
                        "efficiency": 90,
                    },
                )
            ],
        }
    return catalogue.build_states(prefix, records, today=TODAY, tz=UTC, now=NOW)


def after_connecting(documents: dict[str, list[Any]] | None = None) -> Memory:
    """The memory after an account's first sync (every kind's past recorded)."""
    first = {"workout": [], "session": [], "enhanced_tag": []} | (documents or {})
    found = new_moments(
        Memory(), prefix="oura", states=night_states(None), documents=first, today=TODAY
    )
    assert found.moments == ()
    return found.memory


def keys(found: Any) -> list[str]:
    return [m.id for m in found.moments]


# -- the rules ------------------------------------------------------------------------------------


def test_connecting_an_account_fires_nothing_of_its_past():
    found = new_moments(
        Memory(),
        prefix="oura",
        states=night_states(TODAY),
        documents={"workout": [workout(1)], "session": [session(1)], "enhanced_tag": [tag(1)]},
        today=TODAY,
    )
    assert found.moments == ()
    assert set(found.memory.announced) == {"night:2026-12-03", "workout:w1", "session:s1", "tag:t1"}
    again = new_moments(
        found.memory,
        prefix="oura",
        states=night_states(TODAY),
        documents={"workout": [workout(1), workout(2)]},
        today=TODAY,
    )
    assert keys(again) == ["workout:w2"]


def test_the_night_fires_once_when_all_three_documents_are_in_with_its_numbers():
    memory = after_connecting()
    # Only the scores: the main sleep is not in yet.
    partial = night_states(TODAY)
    partial["sensor.oura_total_sleep_duration"] = night_states(None)[
        "sensor.oura_total_sleep_duration"
    ]
    assert (
        new_moments(memory, prefix="oura", states=partial, documents={}, today=TODAY).moments == ()
    )
    # Yesterday's night in every sensor is not today's night.
    old = night_states(TODAY - timedelta(days=1))
    assert new_moments(memory, prefix="oura", states=old, documents={}, today=TODAY).moments == ()
    found = new_moments(
        memory, prefix="oura", states=night_states(TODAY), documents={}, today=TODAY
    )
    (night,) = found.moments
    assert night.event is NIGHT
    assert night.payload() == {
        "day": "2026-12-03",
        "sleep_score": 81,
        "readiness_score": 74,
        "total_sleep_duration": 7.5,
        "sleep_efficiency": 90,
        "average_hrv": 48,
        "lowest_heart_rate": 51,
        "temperature_deviation": -0.2,
    }
    again = new_moments(
        found.memory, prefix="oura", states=night_states(TODAY), documents={}, today=TODAY
    )
    assert again.moments == ()


def test_a_revised_document_does_not_fire_again_and_old_days_never_fire():
    memory = after_connecting()
    found = new_moments(
        memory, prefix="oura", states={}, documents={"workout": [workout(1)]}, today=TODAY
    )
    assert keys(found) == ["workout:w1"]
    (moment,) = found.moments
    assert moment.event is WORKOUT
    assert moment.payload() == {
        "id": "w1",
        "day": "2026-12-03",
        "activity": "running",
        "intensity": "hard",
        "calories": 312,
        "distance": 5012,
        "start": "2026-12-03T07:00:00+00:00",
        "end": "2026-12-03T07:30:00+00:00",
        "source": "manual",
    }
    revised = workout(1, calories=400.0, intensity="moderate")
    reconcile = [revised, workout(9, TODAY - timedelta(days=5)), workout(8, TODAY - timedelta(1))]
    later = new_moments(
        found.memory, prefix="oura", states={}, documents={"workout": reconcile}, today=TODAY
    )
    assert keys(later) == ["workout:w8"]  # yesterday's, synced late: new; 5 days ago: never


def test_sessions_and_tags_carry_their_attributes():
    memory = after_connecting()
    found = new_moments(
        memory,
        prefix="oura",
        states={},
        documents={"session": [session(1)], "enhanced_tag": [tag(1)]},
        today=TODAY,
    )
    by_key = {m.event.key: m.payload() for m in found.moments}
    assert by_key["session"]["average_heart_rate"] == 61.0
    assert by_key["session"]["average_hrv"] == 42.5
    assert by_key["session"]["type"] == "meditation"
    assert by_key["tag"] == {
        "id": "t1",
        "day": "2026-12-03",
        "code": "tag_generic_caffeine",
        "custom_name": None,
        "start": "2026-12-03T10:00:00+00:00",
        "end": None,
        "comment": "espresso",
    }


def test_a_kind_first_answered_later_records_its_past_without_firing():
    memory = after_connecting()
    without_tags = Memory(memory.announced, memory.baselined - {TAG.key})
    found = new_moments(
        without_tags, prefix="oura", states={}, documents={"enhanced_tag": [tag(1)]}, today=TODAY
    )
    assert found.moments == ()
    assert TAG.key in found.memory.baselined


def test_the_memory_keeps_only_recent_days_and_at_most_max_ids():
    memory = after_connecting()
    many = [workout(i) for i in range(MAX_IDS + 50)]
    found = new_moments(memory, prefix="oura", states={}, documents={"workout": many}, today=TODAY)
    assert len(found.moments) == MAX_IDS + 50
    assert len(found.memory.announced) == MAX_IDS
    later = TODAY + timedelta(days=KEEP_DAYS + 1)
    aged = new_moments(found.memory, prefix="oura", states={}, documents={}, today=later)
    assert aged.memory.announced == {}


@pytest.mark.parametrize("sample", [None, {}, {"items": "60"}, {"items": [None, True]}, 5])
def test_a_damaged_sample_has_no_average(sample):
    assert sample_average(sample) is None


# -- the store and delivery ---------------------------------------------------------------


class Bus:
    def __init__(self) -> None:
        self.up = True
        self.fired: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, account: str, event: EventDescription, data: Any) -> bool:
        if not self.up:
            return False
        self.fired.append((account, event.bus_event, dict(data)))
        return True


def test_a_restart_fires_nothing_again_and_an_undelivered_event_waits(tmp_path):
    bus = Bus()
    clock = [NOW.timestamp()]
    announcements = Announcements(MomentStore(tmp_path), bus, clock=lambda: clock[0])

    def sync(docs: list[Any], states: dict[str, Any] | None = None) -> int:
        return announcements.after_sync(
            "oura",
            "oura",
            states or {},
            {"workout": docs, "session": [], "enhanced_tag": []},
            TODAY,
        )

    assert sync([workout(1)], night_states(None)) == 0  # connecting
    bus.up = False
    assert sync([workout(1), workout(2)]) == 1
    assert bus.fired == []
    # The add-on restarts: a new Announcements on the same /data.
    restarted = Announcements(MomentStore(tmp_path), bus, clock=lambda: clock[0])
    bus.up = True
    restarted.deliver_all(["oura"])
    assert [(a, e, d["id"]) for a, e, d in bus.fired] == [("oura", "oura_workout_recorded", "w2")]
    assert (
        restarted.after_sync("oura", "oura", {}, {"workout": [workout(1), workout(2)]}, TODAY) == 0
    )
    restarted.deliver_all(["oura"])
    assert len(bus.fired) == 1


def test_a_stale_event_is_dropped_and_a_removed_account_is_forgotten(tmp_path):
    bus = Bus()
    clock = [NOW.timestamp()]
    store = MomentStore(tmp_path)
    announcements = Announcements(store, bus, clock=lambda: clock[0])
    announcements.after_sync("oura", "oura", {}, {"workout": []}, TODAY)
    bus.up = False
    announcements.after_sync("oura", "oura", {}, {"workout": [workout(1)]}, TODAY)
    clock[0] += STALE_SECONDS + 1
    bus.up = True
    announcements.deliver("oura")
    assert bus.fired == []
    assert store.load("oura").pending == ()
    announcements.forget("oura")
    assert not (tmp_path / "moments" / "oura.json").exists()


def test_the_store_bounds_pending_events_and_survives_a_damaged_file(tmp_path):
    store = MomentStore(tmp_path)
    pending = tuple(PendingEvent("workout", {"id": str(i)}, float(i)) for i in range(80))
    store.save("oura", AccountMoments({"workout:1": TODAY}, frozenset({"workout"}), pending))
    loaded = store.load("oura")
    assert len(loaded.pending) == MAX_PENDING
    assert loaded.pending[-1].data == {"id": "79"}
    assert loaded.announced == {"workout:1": TODAY}
    (tmp_path / "moments" / "oura.json").write_text('{"announced": 5, "pending": "x"}')
    (tmp_path / "moments" / "oura.json.bak").unlink(missing_ok=True)
    assert store.load("oura") == AccountMoments()
