"""Every real Oura response we have recorded parses into its record type."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest

from oura_addon.oura import models
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME, Endpoint
from oura_addon.oura.models import parse_record
from tests.oura.conftest import recorded, recorded_dir

# The deprecated /tag route has no record in the add-on (it reads enhanced_tag instead).
UNUSED_ROUTES = ("tag",)


def _endpoint_of(url: str) -> tuple[Endpoint | None, bool]:
    """(endpoint, is_single_document) from a recorded URL."""
    parts = urlsplit(url).path.strip("/").split("/")
    if parts[:2] != ["v2", "usercollection"]:
        return None, False
    return ENDPOINTS_BY_NAME.get(parts[2]), len(parts) > 3 or parts[2] == "personal_info"


def _documents_recorded():
    cases = []
    for path in sorted(recorded_dir().glob("*.json")):
        for exchange in json.loads(path.read_text(encoding="utf-8")):
            endpoint, single = _endpoint_of(exchange["url"])
            if endpoint is None or exchange["status"] != 200:
                continue
            body = exchange["body"]
            documents = [body] if single else body["data"]
            cases.append(pytest.param(endpoint, documents, id=path.stem))
    return cases


def test_recordings_cover_every_endpoint_the_addon_reads() -> None:
    covered = {case.values[0].name for case in _documents_recorded()}
    # ring_battery_level has no recording; the simulator tests cover it.
    assert set(ENDPOINTS_BY_NAME) - covered == {"ring_battery_level"}


@pytest.mark.parametrize(("endpoint", "documents"), _documents_recorded())
def test_every_recorded_document_parses_into_its_record(endpoint, documents) -> None:
    for document in documents:
        record = parse_record(endpoint.record, document)
        assert isinstance(record, endpoint.record)
        # A document the API sent is never reduced to an empty record.
        assert any(getattr(record, f.name) not in (None, {}, []) for f in fields(record))


def _first(name: str, cls: type, **match):
    body = recorded(name)["body"]
    documents = body.get("data", [body])
    for document in documents:
        record = parse_record(cls, document)
        if all(getattr(record, k) == v for k, v in match.items()):
            return record
    raise AssertionError(f"no {cls.__name__} matching {match} in {name}")


def test_daily_sleep_recording_keeps_score_and_contributors() -> None:
    record = _first("multiple_daily_sleep", models.DailySleep)
    assert (record.day, record.score) == (date(2024, 11, 11), 77)
    assert record.contributors["deep_sleep"] == 68


def test_sleep_recording_main_sleep_durations() -> None:
    record = _first("multiple_sleep", models.Sleep, type="long_sleep")
    assert record.day == date(2024, 10, 10)
    assert record.total_sleep_duration == 23220
    assert (record.average_hrv, record.lowest_heart_rate) == (38, 60)


def test_heart_rate_recording_samples() -> None:
    record = _first("multiple_heart_rate", models.HeartRate)
    assert (record.bpm, record.source) == (91, "awake")
    assert record.timestamp == datetime(2024, 12, 13, 12, 31, 21, tzinfo=UTC)


def test_readiness_recording_keeps_temperature_deviation() -> None:
    record = _first("multiple_daily_readiness", models.DailyReadiness)
    assert (record.score, record.temperature_deviation) == (86, 0.1)


def test_activity_spo2_stress_resilience_recordings() -> None:
    assert _first("multiple_daily_activity", models.DailyActivity).steps == 15185
    assert _first("multiple_daily_sp02", models.DailySpO2).average == 98.072
    stress = _first("multiple_daily_stress", models.DailyStress)
    assert (stress.stress_high, stress.recovery_high, stress.day_summary) == (
        1800,
        7200,
        "normal",
    )
    resilience = _first("multiple_daily_resilience", models.DailyResilience)
    assert resilience.level == "adequate"
    assert resilience.contributors["sleep_recovery"] == 46.2


def test_older_cardiovascular_age_recording_without_id_parses() -> None:
    record = _first("multiple_daily_cardiovascular_age", models.DailyCardiovascularAge)
    assert (record.id, record.day, record.vascular_age) == (None, date(2024, 11, 11), 39)


def test_tag_rest_mode_ring_workout_personal_recordings() -> None:
    tag = _first("multiple_enhanced_tag", models.EnhancedTag)
    assert (tag.tag_type_code, tag.day, tag.end_day) == (
        "tag_generic_fasting",
        date(2024, 8, 5),
        None,
    )
    rest = _first("multiple_rest_mode_period", models.RestModePeriod)
    assert rest.start_day == date(2024, 3, 17)
    ring = _first("multiple_ring_configuration", models.RingConfiguration, firmware_version="3.0.3")
    assert (ring.hardware_type, ring.size) == ("gen3", 11)
    workout = _first("multiple_workout", models.Workout)
    assert (workout.activity, workout.calories, workout.distance) == ("walking", 21.967, None)
    assert _first("multiple_vo2_max", models.VO2Max).vo2_max == 62
    person = _first("single_personal_info", models.PersonalInfo)
    assert (person.age, person.weight) == (42, 90.2)


class TestTolerance:
    def test_missing_fields_become_none(self) -> None:
        record = parse_record(models.Sleep, {"day": "2024-01-02"})
        assert record.day == date(2024, 1, 2)
        assert record.total_sleep_duration is None

    def test_nulls_become_none_and_empty_contributors(self) -> None:
        record = parse_record(
            models.DailyReadiness, {"score": None, "contributors": None, "day": None}
        )
        assert (record.score, record.day, dict(record.contributors)) == (None, None, {})

    def test_unknown_extra_fields_are_ignored(self) -> None:
        record = parse_record(models.HeartRate, {"bpm": 60, "timestamp_unix": 1, "new": {}})
        assert record.bpm == 60

    @pytest.mark.parametrize(
        "document",
        [
            {"score": "88", "day": 20240101, "timestamp": "yesterday"},
            {"score": True, "day": "not a day", "timestamp": 5},
            {"score": [1], "day": {}, "contributors": "x"},
        ],
    )
    def test_wrong_types_become_none(self, document) -> None:
        record = parse_record(models.DailySleep, document)
        assert (record.score, record.day, record.timestamp) == (None, None, None)

    def test_spo2_average_of_a_malformed_percentage_is_none(self) -> None:
        record = parse_record(models.DailySpO2, {"spo2_percentage": {"average": "high"}})
        assert record.average is None
