"""The table against Home Assistant's own rules, written out here from its source
(``homeassistant/components/sensor/const.py``: ``DEVICE_CLASS_UNITS`` and
``DEVICE_CLASS_STATE_CLASSES``; ``binary_sensor.BinarySensorDeviceClass``), not from the
table. Home Assistant rejects or warns about a unit its device class does not allow, a state
class the class forbids, a non-number in a sensor with a unit or state class, an enum state
missing from its options and a timestamp without a UTC offset: a user sees an entity
unavailable, a repair issue, or a long-term statistic that stops."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from oura_addon.catalogue import CONNECTED, SENSORS, SensorDescription
from oura_addon.oura import models
from oura_addon.states import UNKNOWN
from tests.unit.catalogue.test_build import RECORDINGS, _build, _documents, _parse

ALL = (*SENSORS, CONNECTED)
STATE_CLASSES = {"measurement", "total", "total_increasing"}
# DEVICE_CLASS_UNITS, for the sensor device classes the add-on may use.
UNITS_OF = {
    "battery": {"%"},
    "distance": {"km", "m", "cm", "mm", "mi", "nmi", "yd", "ft", "in"},
    "duration": {"d", "h", "min", "s", "ms", "µs"},
    "temperature": {"°C", "°F", "K"},
}
# DEVICE_CLASS_STATE_CLASSES: which state classes a device class allows.
STATE_CLASSES_OF = {
    "battery": {"measurement"},
    "distance": STATE_CLASSES,
    "duration": STATE_CLASSES,
    "temperature": {"measurement"},
    "enum": set(),
    "timestamp": set(),
}
UNITLESS = {"enum", "timestamp"}
BINARY_SENSOR_CLASSES = {"battery_charging", "connectivity", "battery", "running", "problem"}


def _ids(descriptions) -> list[str]:
    return [description.key for description in descriptions]


@pytest.mark.parametrize("description", ALL, ids=_ids(ALL))
def test_a_device_class_comes_with_a_unit_and_state_class_home_assistant_allows(
    description: SensorDescription,
) -> None:
    device_class = description.device_class
    if description.domain == "binary_sensor":
        assert device_class is None or device_class in BINARY_SENSOR_CLASSES
        assert description.unit is None and description.state_class is None
        return
    if device_class is None:
        return
    assert device_class in STATE_CLASSES_OF, f"{device_class} is not checked here yet"
    if device_class in UNITLESS:
        assert description.unit is None
    else:
        assert description.unit in UNITS_OF[device_class]
    if description.state_class is not None:
        assert description.state_class in STATE_CLASSES_OF[device_class]


def test_the_units_a_user_reads_are_the_ones_oura_reports_in() -> None:
    units = {description.key: description.unit for description in SENSORS}

    # Night lengths in hours, everything shorter in minutes: as the Oura app shows them.
    hours = {"total_sleep_duration", "deep_sleep_duration", "rem_sleep_duration",
             "light_sleep_duration", "time_in_bed"}  # fmt: skip
    for key, unit in units.items():
        if key in hours:
            assert unit == "h", key
        elif key.endswith(("_time", "_latency", "_today")) and "heart_rate" not in key:
            assert unit in ("min", None), key
    beats = ("heart_rate", "lowest_heart_rate", "average_heart_rate", "min_heart_rate_today",
             "max_heart_rate_today")  # fmt: skip
    assert {units[key] for key in beats} == {"bpm"}
    assert units["average_hrv"] == "ms"
    assert units["average_breath"] == "br/min"
    assert units["spo2_average"] == units["sleep_efficiency"] == "%"
    assert units["ring_battery_level"] == "%"
    assert units["vo2_max"] == "mL/kg/min"
    assert units["cardiovascular_age"] == "years"
    assert units["last_workout_distance"] == units["equivalent_walking_distance"] == "m"


@pytest.fixture(scope="module")
def published() -> list[tuple[SensorDescription, str]]:
    """Every entity's state on several recorded days and on a few hand-made records."""
    records = {endpoint: _parse(endpoint, _documents(endpoint)) for endpoint in RECORDINGS}
    cet = timezone(timedelta(hours=1))
    records["ring_battery_level"] = [models.RingBatteryLevel(
        datetime(2024, 11, 12, 8, 0, tzinfo=cet), 64, True, True)]  # fmt: skip
    records["sleep_time"] = [*records["sleep_time"], models.SleepTime(
        day=date(2024, 11, 12), optimal_bedtime={"day_tz": 3600, "start_offset": -1800,
                                                 "end_offset": 2700})]  # fmt: skip
    shown = []
    for today in (date(2024, 3, 17), date(2024, 10, 31), date(2024, 11, 2), date(2024, 11, 12),
                  date(2024, 12, 13)):  # fmt: skip
        late = datetime(today.year, today.month, today.day, 23, tzinfo=cet)
        states = _build(records, today=today, tz=cet, now=late)
        shown += [(s, states[s.entity_id("oura")].state) for s in SENSORS]
    return shown


def test_recorded_days_publish_values_for_nearly_every_sensor(published) -> None:
    known = {description.key for description, state in published if state != UNKNOWN}
    # Only this one has nothing on any recorded day: the recording lacks the contributor.
    assert {s.key for s in SENSORS} - known == {"readiness_sleep_regularity_score"}


@pytest.mark.parametrize("description", SENSORS, ids=_ids(SENSORS))
def test_every_published_state_is_one_home_assistant_accepts(
    published, description: SensorDescription
) -> None:
    for shown_for, state in published:
        if shown_for is not description or state == UNKNOWN:
            continue
        if description.domain == "binary_sensor":
            assert state in ("on", "off")
        elif description.device_class == "enum":
            assert state in description.options
        elif description.device_class == "timestamp":
            assert datetime.fromisoformat(state).utcoffset() is not None
        elif description.unit is not None or description.state_class is not None:
            float(state)  # raises for a non-number, as Home Assistant would refuse it
