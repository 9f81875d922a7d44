"""The catalogue turns real recorded Oura responses into the states a user sees."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from oura_addon.catalogue import SENSORS, build_states, connected_state, entity_ids
from oura_addon.oura import models
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from oura_addon.oura.models import parse_record
from oura_addon.states import UNKNOWN, EntityState

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
RECORDED = SHARED / "oura" / "recorded"

# endpoint name -> recording of a successful multi-document request
RECORDINGS = {
    "daily_sleep": "multiple_daily_sleep.json",
    "daily_readiness": "multiple_daily_readiness.json",
    "daily_activity": "multiple_daily_activity.json",
    "sleep": "multiple_sleep.json",
    "daily_spo2": "multiple_daily_sp02.json",
    "daily_stress": "multiple_daily_stress.json",
    "daily_resilience": "multiple_daily_resilience.json",
    "daily_cardiovascular_age": "multiple_daily_cardiovascular_age.json",
    "vO2_max": "multiple_vo2_max.json",
    "workout": "multiple_workout.json",
    "session": "multiple_session.json",
    "enhanced_tag": "multiple_enhanced_tag.json",
    "sleep_time": "multiple_sleep_time.json",
    "rest_mode_period": "multiple_rest_mode_period.json",
    "ring_configuration": "multiple_ring_configuration.json",
    "heartrate": "multiple_heart_rate.json",
}

CET = timezone(timedelta(hours=1))
TODAY = date(2024, 11, 12)


def _documents(endpoint: str) -> list[dict]:
    path = RECORDED / RECORDINGS[endpoint]
    if not path.exists():
        pytest.skip(f"../shared reference material is absent: {path}")
    exchanges = json.loads(path.read_text())
    return [doc for ex in exchanges if ex["status"] == 200 for doc in ex["body"]["data"]]


def _parse(endpoint: str, documents: list[dict]) -> list:
    return [parse_record(ENDPOINTS_BY_NAME[endpoint].record, doc) for doc in documents]


@pytest.fixture(scope="module")
def documents() -> dict[str, list[dict]]:
    return {endpoint: _documents(endpoint) for endpoint in RECORDINGS}


@pytest.fixture(scope="module")
def recorded(documents) -> dict[str, list]:
    return {endpoint: _parse(endpoint, docs) for endpoint, docs in documents.items()}


def _build(records, today=TODAY, tz=CET, now=None, **kwargs) -> dict[str, EntityState]:
    now = now or datetime.combine(today, time(20, 0), tzinfo=tz)
    return build_states("oura", records, today=today, tz=tz, now=now, **kwargs)


def _state(states, key: str, domain: str = "sensor") -> EntityState:
    return states[f"{domain}.oura_{key}"]


# --- the latest day, by hand from the recordings ------------------------------------------


def test_daily_scores_show_the_latest_recorded_day(recorded):
    states = _build(recorded)

    sleep = _state(states, "sleep_score")
    assert sleep.state == "83"
    assert sleep.attributes["day"] == "2024-11-12"
    assert sleep.attributes["contributors"]["deep_sleep"] == 97
    assert _state(states, "sleep_timing_score").state == "21"
    assert _state(states, "readiness_score").state == "87"
    assert _state(states, "readiness_hrv_balance_score").state == "90"
    assert _state(states, "temperature_deviation").state == "-0.29"
    assert _state(states, "temperature_trend_deviation").state == "-0.03"
    assert _state(states, "spo2_average").state == "96.2"  # 96.153
    assert _state(states, "breathing_disturbance_index").state == "6"
    assert _state(states, "stress_high_time").state == "30.0"  # 1800 s
    assert _state(states, "recovery_high_time").state == "165.0"  # 9900 s
    assert _state(states, "stress_day_summary").state == "restored"
    assert _state(states, "resilience_level").state == "adequate"
    assert _state(states, "resilience_stress_score").state == "33.9"
    assert _state(states, "cardiovascular_age").state == "35"


def test_an_older_day_is_shown_with_the_day_it_belongs_to(recorded):
    states = _build(recorded)

    steps = _state(states, "steps")
    assert steps.state == "15185"
    assert steps.attributes["day"] == "2024-11-11"  # no activity document for the 12th
    assert _state(states, "activity_score").state == "95"
    assert _state(states, "equivalent_walking_distance").state == "17850"
    assert _state(states, "high_activity_time").state == "41.0"  # 2460 s
    assert _state(states, "sedentary_time").state == "635.0"  # 38100 s
    assert _state(states, "high_activity_met_minutes").state == "417"
    vo2 = _state(states, "vo2_max")
    assert (vo2.state, vo2.attributes["day"]) == ("62", "2023-09-17")


def test_the_nights_main_sleep_values_come_from_its_long_sleep(recorded):
    states = _build(recorded)

    # 2024-11-02 long_sleep: total 28590 s, deep 4410 s, REM 3720 s, in bed 31420 s
    total = _state(states, "total_sleep_duration")
    assert total.state == "7.94"
    assert total.attributes["day"] == "2024-11-02"
    assert total.attributes["unit_of_measurement"] == "h"
    assert _state(states, "deep_sleep_duration").state == "1.23"
    assert _state(states, "rem_sleep_duration").state == "1.03"
    assert _state(states, "time_in_bed").state == "8.73"
    assert _state(states, "sleep_latency").state == "10.5"  # 630 s
    assert _state(states, "sleep_efficiency").state == "91"
    assert _state(states, "lowest_heart_rate").state == "58"
    assert _state(states, "average_hrv").state == "37"
    assert _state(states, "average_breath").state == "15.1"  # 15.125
    assert _state(states, "deep_sleep_percentage").state == "15.4"  # 4410 / 28590
    assert _state(states, "rem_sleep_percentage").state == "13.0"  # 3720 / 28590
    assert _state(states, "bedtime_start").state == "2024-11-02T01:16:31+01:00"
    assert _state(states, "bedtime_end").state == "2024-11-02T10:00:11+01:00"


def test_a_nap_later_in_the_day_never_replaces_the_long_sleep(recorded):
    # 2024-11-01 has a short sleep, the long_sleep (24180 s) and an afternoon nap, in order.
    naps_last = sorted(recorded["sleep"], key=lambda r: r.type == "long_sleep", reverse=True)
    states = _build({"sleep": naps_last}, today=date(2024, 11, 1))

    assert _state(states, "total_sleep_duration").state == "6.72"
    assert _state(states, "lowest_heart_rate").state == "70"


def test_a_night_without_long_sleep_has_no_sleep_values(recorded):
    only_naps = [r for r in recorded["sleep"] if r.type != "long_sleep"]
    states = _build({"sleep": only_naps}, today=date(2024, 11, 1))

    total = _state(states, "total_sleep_duration")
    assert total.state == UNKNOWN
    assert total.attributes["day"] == "2024-11-01"
    assert _state(states, "bedtime_start").state == UNKNOWN


def test_documents_dated_after_today_are_ignored(recorded):
    states = _build(recorded, today=date(2024, 11, 11))

    assert _state(states, "sleep_score").state == "77"
    assert _state(states, "readiness_score").state == "86"
    assert _state(states, "temperature_deviation").state == "0.1"
    assert _state(states, "stress_day_summary").state == "normal"
    assert _state(states, "cardiovascular_age").attributes["day"] == "2024-11-11"


def test_days_are_chosen_by_their_day_not_their_position(recorded):
    shuffler = random.Random(20241112)
    shuffled = {}
    for endpoint, records in recorded.items():
        mixed = list(records)
        shuffler.shuffle(mixed)
        shuffled[endpoint] = mixed
    reversed_lists = {endpoint: records[::-1] for endpoint, records in recorded.items()}

    expected = _build(recorded)
    assert _build(shuffled) == expected
    assert _build(reversed_lists) == expected
    assert _state(expected, "sleep_score").state == "83"


# --- unknown, never zero ------------------------------------------------------------------


def test_a_field_oura_does_not_have_is_unknown_not_zero(documents):
    activity = [
        {k: v for k, v in doc.items() if k != "steps"} for doc in documents["daily_activity"]
    ]
    readiness = [
        {k: v for k, v in doc.items() if k != "temperature_deviation"}
        for doc in documents["daily_readiness"]
    ]
    states = _build(
        {
            "daily_activity": _parse("daily_activity", activity),
            "daily_readiness": _parse("daily_readiness", readiness),
        }
    )

    assert _state(states, "steps").state == UNKNOWN
    assert _state(states, "temperature_deviation").state == UNKNOWN
    # The recording has no sleep_regularity contributor.
    assert _state(states, "readiness_sleep_regularity_score").state == UNKNOWN
    # A real zero stays zero.
    assert _state(states, "inactivity_alerts").state == "0"


def test_oura_placeholder_heart_rate_of_255_is_unknown():
    night = models.Sleep(day=TODAY, type="long_sleep", lowest_heart_rate=255, average_hrv=None)
    states = _build({"sleep": [night]})

    assert _state(states, "lowest_heart_rate").state == UNKNOWN
    assert _state(states, "average_hrv").state == UNKNOWN


def test_an_endpoint_that_was_not_granted_is_unknown(recorded):
    without_sleep = {k: v for k, v in recorded.items() if k != "daily_sleep"}
    states = _build(without_sleep)

    assert _state(states, "sleep_score").state == UNKNOWN
    assert "day" not in _state(states, "sleep_score").attributes
    assert _state(states, "readiness_score").state == "87"
    assert _state(states, "ring_battery_level").state == UNKNOWN  # never recorded


def test_a_document_without_a_day_is_skipped_not_fatal(documents):
    broken = [{**documents["daily_sleep"][1], "day": "not a day"}, documents["daily_sleep"][0]]
    states = _build({"daily_sleep": _parse("daily_sleep", broken)})

    assert _state(states, "sleep_score").state == "77"


def test_a_failed_endpoint_keeps_the_previous_state(recorded):
    previous = _build(recorded)
    this_cycle = {k: v for k, v in recorded.items() if k != "daily_sleep"}
    changed = {**this_cycle, "daily_readiness": recorded["daily_readiness"][:1]}

    kept = _build(changed, previous=previous, failed={"daily_sleep"})

    assert kept["sensor.oura_sleep_score"] == previous["sensor.oura_sleep_score"]
    assert _state(kept, "sleep_timing_score").state == "21"
    assert _state(kept, "readiness_score").state == "86"  # endpoints that answered move on
    assert _state(_build(changed, previous=previous), "sleep_score").state == UNKNOWN


def test_a_failed_endpoint_without_history_is_unknown(recorded):
    states = _build({}, previous={}, failed={"daily_sleep"})

    assert _state(states, "sleep_score").state == UNKNOWN


# --- today's lists, time series and periods -----------------------------------------------


def test_workouts_today_are_counted_with_their_activities(recorded):
    states = _build(recorded, today=date(2024, 10, 31))

    workouts = _state(states, "workouts_today")
    assert workouts.state == "6"
    assert workouts.attributes["activities"] == ["walking"] * 6


def test_a_day_without_workouts_counts_zero_but_a_missing_endpoint_is_unknown(recorded):
    assert _state(_build(recorded, today=date(2024, 10, 28)), "workouts_today").state == "0"
    assert _state(_build({}), "workouts_today").state == UNKNOWN


def test_the_last_workout_is_the_latest_started_one(recorded):
    shuffled = list(recorded["workout"])
    random.Random(7).shuffle(shuffled)
    states = _build({"workout": shuffled}, today=date(2024, 11, 2))

    # 2024-11-02 15:33-15:58, 93.075 kcal, 1422.496 m, moderate
    assert _state(states, "last_workout_activity").state == "walking"
    assert _state(states, "last_workout_calories").state == "93"
    assert _state(states, "last_workout_distance").state == "1422"
    assert _state(states, "last_workout_intensity").state == "moderate"
    assert _state(states, "last_workout_duration").state == "25.0"
    activity = _state(states, "last_workout_activity")
    assert activity.attributes["start_datetime"] == "2024-11-02T15:33:00+01:00"


def test_sessions_today_and_meditation_minutes(recorded):
    breathing = _build(recorded, today=date(2024, 10, 9))
    assert _state(breathing, "sessions_today").state == "1"
    assert _state(breathing, "sessions_today").attributes["types"] == ["breathing"]
    assert _state(breathing, "meditation_minutes_today").state == "0.0"

    meditation = models.Session(
        day=date(2024, 10, 9),
        type="meditation",
        start_datetime=datetime(2024, 10, 9, 7, 0, tzinfo=CET),
        end_datetime=datetime(2024, 10, 9, 7, 12, 30, tzinfo=CET),
    )
    both = _build({"session": [*recorded["session"], meditation]}, today=date(2024, 10, 9))
    assert _state(both, "sessions_today").state == "2"
    assert _state(both, "meditation_minutes_today").state == "12.5"


def test_tags_today_are_counted_with_readable_names(recorded):
    states = _build(recorded, today=date(2024, 11, 9))

    tags = _state(states, "tags_today")
    assert tags.state == "1"
    assert tags.attributes["tags"] == ["party"]


def test_latest_heart_rate_and_todays_range(documents, recorded):
    now = datetime(2024, 12, 14, 23, 0, tzinfo=UTC)
    states = _build(recorded, today=date(2024, 12, 13), tz=UTC, now=now)

    latest = _state(states, "heart_rate")
    assert latest.state == "95"
    assert latest.attributes["timestamp"] == "2024-12-14T10:42:09+00:00"
    assert latest.attributes["source"] == "workout"
    on_the_13th = [d["bpm"] for d in documents["heartrate"] if d["timestamp"][:10] == "2024-12-13"]
    assert _state(states, "min_heart_rate_today").state == str(min(on_the_13th))  # 65
    assert _state(states, "max_heart_rate_today").state == str(max(on_the_13th))  # 124
    average = round(sum(on_the_13th) / len(on_the_13th), 1)
    assert _state(states, "average_heart_rate_today").state == str(average)  # 100.1


def test_todays_heart_rate_follows_the_local_day_not_utc():
    rows = [
        models.HeartRate(datetime(2024, 12, 13, 13, 0, tzinfo=UTC), 50, "awake"),  # 23:00 local
        models.HeartRate(datetime(2024, 12, 13, 15, 0, tzinfo=UTC), 70, "awake"),  # 01:00 next
        models.HeartRate(datetime(2024, 12, 13, 16, 0, tzinfo=UTC), 90, "awake"),
    ]
    brisbane = timezone(timedelta(hours=10))
    now = datetime(2024, 12, 14, 3, 0, tzinfo=brisbane)
    states = _build({"heartrate": rows}, today=date(2024, 12, 14), tz=brisbane, now=now)

    assert _state(states, "min_heart_rate_today").state == "70"
    assert _state(states, "average_heart_rate_today").state == "80.0"
    assert _state(states, "heart_rate").attributes["day"] == "2024-12-14"


def test_rest_mode_is_on_only_while_a_period_covers_today(recorded):
    binary = "binary_sensor"
    during = _build(recorded, today=date(2024, 3, 17))
    assert _state(during, "rest_mode", binary).state == "on"
    after = _build(recorded, today=date(2024, 3, 18))
    assert _state(after, "rest_mode", binary).state == "off"

    still_open = models.RestModePeriod(start_day=date(2024, 11, 10), end_day=None)
    assert _state(_build({"rest_mode_period": [still_open]}), "rest_mode", binary).state == "on"
    assert _state(_build({}), "rest_mode", binary).state == UNKNOWN


def test_ring_battery_and_charging_come_from_the_newest_row_up_to_now():
    rows = [
        models.RingBatteryLevel(datetime(2024, 11, 12, 8, 0, tzinfo=UTC), 64, False, False),
        models.RingBatteryLevel(datetime(2024, 11, 12, 18, 0, tzinfo=UTC), 81, True, True),
        models.RingBatteryLevel(datetime(2024, 11, 12, 12, 0, tzinfo=UTC), 40, False, False),
        # Stamped after "now": a clock skew, not data to show.
        models.RingBatteryLevel(datetime(2024, 11, 12, 23, 0, tzinfo=UTC), 5, False, False),
    ]
    now = datetime(2024, 11, 12, 20, 0, tzinfo=UTC)
    states = _build({"ring_battery_level": rows}, tz=UTC, now=now)

    assert _state(states, "ring_battery_level").state == "81"
    assert _state(states, "ring_charging", "binary_sensor").state == "on"


def test_ring_firmware_describes_the_most_recently_set_up_ring(recorded):
    ring = _state(
        _build({"ring_configuration": recorded["ring_configuration"][::-1]}), "ring_firmware"
    )

    assert ring.state == "3.0.3"
    assert ring.attributes["hardware_type"] == "gen3"
    assert ring.attributes["size"] == 11


def test_optimal_bedtime_window_is_computed_in_the_days_own_offset(recorded):
    tonight = models.SleepTime(
        day=date(2024, 11, 12),
        optimal_bedtime={"day_tz": 3600, "start_offset": -1800, "end_offset": 2700},
        recommendation="follow_optimal_bedtime",
        status="optimal_found",
    )
    states = _build({"sleep_time": [*recorded["sleep_time"], tonight]})

    start = _state(states, "optimal_bedtime_start")
    assert start.state == "2024-11-11T23:30:00+01:00"
    assert _state(states, "optimal_bedtime_end").state == "2024-11-12T00:45:00+01:00"
    assert start.attributes["status"] == "optimal_found"

    # The recording only has days without an optimal window: unknown, advice kept.
    recorded_only = _state(_build(recorded), "optimal_bedtime_start")
    assert recorded_only.state == UNKNOWN
    assert recorded_only.attributes["recommendation"] == "earlier_bedtime"


def test_timestamps_carry_a_utc_offset(recorded):
    states = _build(recorded)
    timestamps = [s for s in SENSORS if s.device_class == "timestamp"]

    published = [states[s.entity_id("oura")].state for s in timestamps]
    assert any(value != UNKNOWN for value in published)
    for value in published:
        if value != UNKNOWN:
            assert datetime.fromisoformat(value).utcoffset() is not None, value


# --- identity and shared attributes -------------------------------------------------------


def test_every_published_entity_has_name_icon_and_attribution(recorded):
    for state in _build(recorded).values():
        assert state.attributes["friendly_name"].startswith("Oura ")
        assert state.attributes["icon"].startswith("mdi:")
        assert state.attributes["attribution"] == "Data provided by Oura"


def test_a_second_account_is_labelled_and_prefixed(recorded):
    states = build_states(
        "oura_alice",
        recorded,
        today=TODAY,
        tz=CET,
        now=datetime(2024, 11, 12, 20, 0, tzinfo=CET),
        account_label="Alice",
    )

    sleep = states["sensor.oura_alice_sleep_score"]
    assert sleep.attributes["friendly_name"] == "Oura Alice Sleep score"
    assert sorted(states) == sorted(
        e for e in entity_ids("oura_alice") if not e.endswith("_connected")
    )


def test_entity_ids_cover_every_published_entity_once(recorded):
    ids = entity_ids("oura")

    assert len(ids) == len(set(ids))
    assert set(_build(recorded)) | {"binary_sensor.oura_connected"} == set(ids)
    for public in (
        "sensor.oura_sleep_score",
        "sensor.oura_readiness_score",
        "sensor.oura_activity_score",
        "sensor.oura_steps",
        "sensor.oura_average_hrv",
        "sensor.oura_lowest_heart_rate",
        "sensor.oura_total_sleep_duration",
        "sensor.oura_temperature_deviation",
        "sensor.oura_resilience_level",
        "sensor.oura_ring_battery_level",
        "binary_sensor.oura_connected",
    ):
        assert public in ids


def test_connected_state_reports_the_link_and_why_it_is_down():
    up = connected_state("oura", True, reason=None, email="ann@example.com")
    down = connected_state(
        "oura_bob", False, reason="Oura refused the refresh token", email=None, account_label="Bob"
    )

    assert up.entity_id == "binary_sensor.oura_connected"
    assert up.state == "on"
    assert up.attributes["device_class"] == "connectivity"
    assert up.attributes["email"] == "ann@example.com"
    assert "reason" not in up.attributes
    assert down.entity_id == "binary_sensor.oura_bob_connected"
    assert down.state == "off"
    assert down.attributes["reason"] == "Oura refused the refresh token"
    assert down.attributes["friendly_name"] == "Oura Bob Connected"
