"""Every entity's state and extra attributes for one recorded Oura day, checked by hand.

The evening of 2024-11-12 (UTC+1) with the ../shared recordings: each number below is the
recorded field, converted the way a user would convert it (seconds to hours or minutes,
a share of total sleep), with the raw value beside it. A sensor that reads the wrong Oura
field, the wrong document, rounds to other decimals or loses an attribute fails here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from oura_addon.catalogue import SENSORS, daily_values
from oura_addon.homeassistant.discovery import METADATA_ATTRIBUTES
from oura_addon.homeassistant.statistics import queue_new_days
from oura_addon.oura import models
from oura_addon.states import UNKNOWN
from tests.unit.catalogue.test_build import RECORDINGS, _build, _documents, _parse

# The state each entity shows on the recorded evening, keyed by entity key.
EXPECTED_STATES = {
    # daily_sleep 2024-11-12
    "sleep_score": "83",
    "sleep_deep_sleep_score": "97",
    "sleep_efficiency_score": "95",
    "sleep_latency_score": "67",
    "sleep_rem_sleep_score": "96",
    "sleep_restfulness_score": "79",
    "sleep_timing_score": "21",
    "sleep_total_sleep_score": "95",
    # sleep: the long_sleep of 2024-11-02 (the latest night recorded)
    "total_sleep_duration": "7.94",  # 28590 s
    "deep_sleep_duration": "1.23",  # 4410 s
    "rem_sleep_duration": "1.03",  # 3720 s
    "light_sleep_duration": "5.68",  # 20460 s
    "time_in_bed": "8.73",  # 31420 s
    "awake_time": "47.2",  # 2830 s
    "sleep_latency": "10.5",  # 630 s
    "sleep_efficiency": "91",
    "lowest_heart_rate": "58",
    "average_heart_rate": "69.2",  # 69.25
    "average_hrv": "37",
    "average_breath": "15.1",  # 15.125
    "deep_sleep_percentage": "15.4",  # 4410 / 28590
    "rem_sleep_percentage": "13.0",  # 3720 / 28590
    "bedtime_start": "2024-11-02T01:16:31+01:00",
    "bedtime_end": "2024-11-02T10:00:11+01:00",
    # daily_readiness 2024-11-12 (no sleep_regularity contributor recorded)
    "readiness_score": "87",
    "readiness_activity_balance_score": "93",
    "readiness_body_temperature_score": "95",
    "readiness_hrv_balance_score": "90",
    "readiness_previous_day_activity_score": "70",
    "readiness_previous_night_score": "93",
    "readiness_recovery_index_score": "71",
    "readiness_resting_heart_rate_score": "93",
    "readiness_sleep_balance_score": "97",
    "readiness_sleep_regularity_score": UNKNOWN,
    "temperature_deviation": "-0.29",
    "temperature_trend_deviation": "-0.03",
    # daily_activity 2024-11-11 (none recorded for the 12th yet)
    "activity_score": "95",
    "activity_meet_daily_targets_score": "100",
    "activity_move_every_hour_score": "100",
    "activity_recovery_time_score": "100",
    "activity_stay_active_score": "65",
    "activity_training_frequency_score": "100",
    "activity_training_volume_score": "100",
    "steps": "15185",
    "active_calories": "1153",
    "total_calories": "3502",
    "target_calories": "950",
    "equivalent_walking_distance": "17850",
    "high_activity_time": "41.0",  # 2460 s
    "medium_activity_time": "81.0",  # 4860 s
    "low_activity_time": "301.0",  # 18060 s
    "sedentary_time": "635.0",  # 38100 s
    "resting_time": "381.0",  # 22860 s
    "non_wear_time": "1.0",  # 60 s
    "high_activity_met_minutes": "417",
    "medium_activity_met_minutes": "260",
    "low_activity_met_minutes": "181",
    "inactivity_alerts": "0",
    # the heart-rate recording is from December: nothing up to this evening's day
    "heart_rate": UNKNOWN,
    "min_heart_rate_today": UNKNOWN,
    "average_heart_rate_today": UNKNOWN,
    "max_heart_rate_today": UNKNOWN,
    # daily_spo2, daily_stress, daily_resilience, daily_cardiovascular_age, vO2_max
    "spo2_average": "96.2",  # 96.153
    "breathing_disturbance_index": "6",
    "stress_high_time": "30.0",  # 1800 s
    "recovery_high_time": "165.0",  # 9900 s
    "stress_day_summary": "restored",
    "resilience_level": "adequate",
    "resilience_sleep_recovery_score": "46.7",
    "resilience_daytime_recovery_score": "49.8",
    "resilience_stress_score": "33.9",
    "cardiovascular_age": "35",
    "vo2_max": "62",  # 2023-09-17, the only day recorded
    # workout: the walk of 2024-11-02 15:33-15:58, 93.075 kcal, 1422.496 m
    "workouts_today": "0",
    "last_workout_activity": "walking",
    "last_workout_calories": "93",
    "last_workout_distance": "1422",
    "last_workout_intensity": "moderate",
    "last_workout_duration": "25.0",
    "sessions_today": "0",
    "meditation_minutes_today": "0.0",
    "tags_today": "0",
    # sleep_time 2024-11-02 has advice but no optimal window
    "optimal_bedtime_start": UNKNOWN,
    "optimal_bedtime_end": UNKNOWN,
    "rest_mode": "off",  # the one recorded period ended on 2024-03-17
    "ring_battery_level": UNKNOWN,  # not recorded
    "ring_charging": UNKNOWN,
    "ring_firmware": "3.0.3",  # the ring set up in 2024, not the 1970 placeholder
}

# What each entity shows besides its metadata: the day it describes and its own extras.
EXPECTED_EXTRAS = {
    "sleep_score": {
        "day": "2024-11-12",
        "contributors": {"deep_sleep": 97, "efficiency": 95, "latency": 67, "rem_sleep": 96,
                         "restfulness": 79, "timing": 21, "total_sleep": 95},
    },
    "readiness_score": {
        "day": "2024-11-12",
        "contributors": {"activity_balance": 93, "body_temperature": 95, "hrv_balance": 90,
                         "previous_day_activity": 70, "previous_night": 93,
                         "recovery_index": 71, "resting_heart_rate": 93, "sleep_balance": 97},
    },
    "activity_score": {
        "day": "2024-11-11",
        "contributors": {"meet_daily_targets": 100, "move_every_hour": 100,
                         "recovery_time": 100, "stay_active": 65, "training_frequency": 100,
                         "training_volume": 100},
    },
    "resilience_level": {
        "day": "2024-11-12",
        "contributors": {"sleep_recovery": 46.7, "daytime_recovery": 49.8, "stress": 33.9},
    },
    "last_workout_activity": {
        "day": "2024-11-02",
        "start_datetime": "2024-11-02T15:33:00+01:00",
        "end_datetime": "2024-11-02T15:58:00+01:00",
        "source": "confirmed",
        "label": None,
    },
    "workouts_today": {"day": "2024-11-12", "activities": []},
    "sessions_today": {"day": "2024-11-12", "types": []},
    "tags_today": {"day": "2024-11-12", "tags": []},
    "optimal_bedtime_start": {
        "day": "2024-11-02",
        "status": "only_recommended_found",
        "recommendation": "earlier_bedtime",
    },
    "optimal_bedtime_end": {
        "day": "2024-11-02",
        "status": "only_recommended_found",
        "recommendation": "earlier_bedtime",
    },
    "rest_mode": {"day": "2024-11-12"},
    "ring_firmware": {
        "hardware_type": "gen3",
        "design": "heritage",
        "color": "stealth_black",
        "size": 11,
    },
    "vo2_max": {"day": "2023-09-17"},
    "heart_rate": {},
    "ring_battery_level": {},
}  # fmt: skip

CET = timezone(timedelta(hours=1))


@pytest.fixture(scope="module")
def evening() -> dict[str, tuple[str, dict]]:
    records = {endpoint: _parse(endpoint, _documents(endpoint)) for endpoint in RECORDINGS}
    states = _build(records, today=date(2024, 11, 12), tz=CET)
    published = {}
    for description in SENSORS:
        state = states[description.entity_id("oura")]
        extras = {k: v for k, v in state.attributes.items() if k not in METADATA_ATTRIBUTES}
        published[description.key] = (state.state, extras)
    return published


def test_every_sensor_has_a_hand_checked_state_for_the_recorded_day() -> None:
    assert sorted(EXPECTED_STATES) == sorted(s.key for s in SENSORS)


@pytest.mark.parametrize("key", sorted(EXPECTED_STATES))
def test_the_recorded_evening_shows_what_the_documents_say(evening, key: str) -> None:
    assert evening[key][0] == EXPECTED_STATES[key]


@pytest.mark.parametrize("key", sorted(EXPECTED_EXTRAS))
def test_the_recorded_evening_carries_the_documents_details(evening, key: str) -> None:
    assert evening[key][1] == EXPECTED_EXTRAS[key]


def test_a_day_of_heart_rate_shows_the_newest_beat_and_the_days_range() -> None:
    rows = [
        models.HeartRate(datetime(2024, 12, 13, 7, 0, tzinfo=UTC), 61, "rest"),
        models.HeartRate(datetime(2024, 12, 13, 12, 0, tzinfo=UTC), 118, "workout"),
        models.HeartRate(datetime(2024, 12, 13, 9, 0, tzinfo=UTC), 74, "awake"),
    ]
    now = datetime(2024, 12, 13, 13, 0, tzinfo=UTC)
    states = _build({"heartrate": rows}, today=date(2024, 12, 13), tz=UTC, now=now)

    latest = states["sensor.oura_heart_rate"]
    assert latest.state == "118"
    assert latest.attributes["timestamp"] == "2024-12-13T12:00:00+00:00"
    assert latest.attributes["source"] == "workout"
    assert states["sensor.oura_min_heart_rate_today"].state == "61"
    assert states["sensor.oura_max_heart_rate_today"].state == "118"
    assert states["sensor.oura_average_heart_rate_today"].state == "84.3"  # 253 / 3


def test_the_ring_battery_shows_its_level_and_whether_it_sits_in_the_charger() -> None:
    row = models.RingBatteryLevel(datetime(2024, 11, 12, 18, 0, tzinfo=UTC), 81, True, False)
    now = datetime(2024, 11, 12, 20, 0, tzinfo=UTC)
    states = _build({"ring_battery_level": [row]}, tz=UTC, now=now)

    level = states["sensor.oura_ring_battery_level"]
    assert level.state == "81"
    assert level.attributes["timestamp"] == "2024-11-12T18:00:00+00:00"
    charging = states["binary_sensor.oura_ring_charging"]
    assert charging.state == "on"
    assert charging.attributes["in_charger"] is False


def test_rest_mode_names_the_days_of_the_period_it_is_on_for() -> None:
    period = models.RestModePeriod(start_day=date(2024, 11, 10), end_day=date(2024, 11, 14))
    states = _build({"rest_mode_period": [period]})

    rest = states["binary_sensor.oura_rest_mode"]
    assert rest.state == "on"
    assert rest.attributes["start_day"] == "2024-11-10"
    assert rest.attributes["end_day"] == "2024-11-14"


def test_todays_workouts_list_their_activities_oldest_first() -> None:
    day = date(2024, 11, 12)
    run = models.Workout(
        day=day, activity="running", start_datetime=datetime(2024, 11, 12, 18, 0, tzinfo=CET)
    )
    walk = models.Workout(
        day=day, activity="walking", start_datetime=datetime(2024, 11, 12, 7, 0, tzinfo=CET)
    )
    states = _build({"workout": [run, walk]})

    today = states["sensor.oura_workouts_today"]
    assert today.state == "2"
    assert today.attributes["activities"] == ["walking", "running"]
    assert states["sensor.oura_last_workout_activity"].state == "running"


def test_past_days_of_a_statistic_sensor_reach_home_assistants_statistics() -> None:
    # Deep sleep and steps have no trend chart, only long-term statistics: each recorded
    # day must still be queued with the value the sensor showed that day.
    records = {endpoint: _parse(endpoint, _documents(endpoint)) for endpoint in RECORDINGS}
    daily = daily_values(records, today=date(2024, 11, 12), tz=CET)
    queued = queue_new_days({}, "oura", daily, date(2024, 11, 13))

    deep = queued["sensor.oura_deep_sleep_duration"].pending
    assert deep["2024-10-10"] == 0.85  # 3060 s
    assert deep["2024-11-02"] == 1.23  # 4410 s
    # Daily totals are imported from the same per-day values (history import).
    assert daily["steps"] == {"2024-11-11": 15185.0}
