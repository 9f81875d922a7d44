"""Every entry of the sensor table obeys Home Assistant's rules for its kind."""

from __future__ import annotations

import re

import pytest

from oura_addon.catalogue import (
    CONNECTED,
    DAILY_SENSORS,
    HEADLINES,
    SENSORS,
    STATISTIC_SENSORS,
    TRENDS,
    catalogue_rows,
)
from oura_addon.catalogue import derive as d
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME

ALL = (*SENSORS, CONNECTED)
HA_STATE_CLASSES = {None, "measurement", "total", "total_increasing"}


def _ids(descriptions):
    return [d.key for d in descriptions]


def test_keys_are_unique_lowercase_snake_case():
    keys = [(d.domain, d.key) for d in ALL]

    assert len(keys) == len(set(keys))
    for _, key in keys:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", key), key


@pytest.mark.parametrize("description", SENSORS, ids=_ids(SENSORS))
def test_every_sensor_reads_a_known_endpoint(description):
    assert description.endpoint in ENDPOINTS_BY_NAME


@pytest.mark.parametrize("description", ALL, ids=_ids(ALL))
def test_every_entity_has_an_icon_a_name_and_a_valid_domain(description):
    assert description.icon.startswith("mdi:")
    assert description.name and description.name[0].isupper()
    assert description.domain in ("sensor", "binary_sensor")
    assert description.state_class in HA_STATE_CLASSES
    assert description.entity_category in (None, "diagnostic")


@pytest.mark.parametrize("description", ALL, ids=_ids(ALL))
def test_binary_sensors_have_no_unit_or_state_class(description):
    if description.domain == "binary_sensor":
        assert description.unit is None
        assert description.state_class is None


@pytest.mark.parametrize(
    "description", [d for d in SENSORS if d.device_class == "duration"], ids=lambda d: d.key
)
def test_durations_carry_a_time_unit(description):
    assert description.unit in ("min", "h")
    assert description.state_class is not None


@pytest.mark.parametrize("description", SENSORS, ids=_ids(SENSORS))
def test_time_units_are_declared_as_durations(description):
    if description.unit in ("min", "h", "s"):
        assert description.device_class == "duration"


@pytest.mark.parametrize("description", SENSORS, ids=_ids(SENSORS))
def test_enums_list_their_options_and_have_no_state_class(description):
    if description.device_class == "enum":
        assert description.options
        assert description.state_class is None
    else:
        assert not description.options


@pytest.mark.parametrize("description", SENSORS, ids=_ids(SENSORS))
def test_timestamps_have_no_unit_or_state_class(description):
    if description.device_class == "timestamp":
        assert description.unit is None
        assert description.state_class is None


def test_temperature_deviation_is_a_difference_not_a_temperature():
    by_key = {d.key: d for d in SENSORS}
    for key in ("temperature_deviation", "temperature_trend_deviation"):
        assert by_key[key].device_class is None
        assert by_key[key].unit == "°C"
        assert by_key[key].state_class == "measurement"


def test_met_minutes_are_not_durations():
    met = [d for d in SENSORS if "met_minutes" in d.key]

    assert len(met) == 3
    for description in met:
        assert description.device_class is None
        assert description.unit == "MET min"


def test_daily_running_totals_reset_and_scores_are_measurements():
    by_key = {d.key: d for d in SENSORS}
    for key in ("steps", "active_calories", "total_calories", "equivalent_walking_distance"):
        assert by_key[key].state_class == "total_increasing", key
    for key in ("sleep_score", "readiness_score", "activity_score", "average_hrv"):
        assert by_key[key].state_class == "measurement", key


def test_ring_diagnostics_are_categorised():
    by_key = {d.key: d for d in ALL}

    assert by_key["ring_battery_level"].device_class == "battery"
    assert by_key["ring_charging"].device_class == "battery_charging"
    for key in ("ring_battery_level", "ring_charging", "ring_firmware", "connected"):
        assert by_key[key].entity_category == "diagnostic", key


def test_catalogue_rows_document_every_entity():
    rows = catalogue_rows()

    assert [row["key"] for row in rows] == [d.key for d in ALL]
    steps = next(row for row in rows if row["key"] == "steps")
    assert steps["unit"] == "steps"
    assert steps["state_class"] == "total_increasing"


def test_the_panel_charts_and_headlines_read_their_sensors_in_a_fixed_order():
    assert [(s.key, p.label) for s, p in TRENDS] == [
        ("sleep_score", "Sleep score"),
        ("readiness_score", "Readiness score"),
        ("activity_score", "Activity score"),
        ("average_hrv", "HRV"),
        ("lowest_heart_rate", "Resting heart rate"),
    ]
    assert [(s.key, p.label) for s, p in HEADLINES] == [
        *[(s.key, p.label) for s, p in TRENDS],
        ("total_sleep_duration", "Total sleep"),
        ("steps", "Steps"),
    ]
    for places in (TRENDS, HEADLINES):
        positions = [p.position for _, p in places]
        assert len(positions) == len(set(positions))


@pytest.mark.parametrize("description", DAILY_SENSORS, ids=_ids(DAILY_SENSORS))
def test_a_sensor_with_a_value_per_day_picks_its_document_by_day(description):
    # Trends and statistics ask the selector for one day at a time: it must choose by day.
    assert description.selector in (d.latest_day, d.main_sleep)


@pytest.mark.parametrize("description", STATISTIC_SENSORS, ids=_ids(STATISTIC_SENSORS))
def test_statistics_are_measurements_or_daily_totals_of_a_plain_sensor(description):
    # Measurements get mean rows, daily totals (total_increasing) sums: see DOCS.md.
    assert description.state_class in ("measurement", "total_increasing")
    assert description.domain == "sensor"


@pytest.mark.parametrize("description", SENSORS, ids=_ids(SENSORS))
def test_every_sensor_with_one_number_per_day_is_a_statistic(description):
    per_day = description.selector in (d.latest_day, d.main_sleep)
    numeric = description.state_class in ("measurement", "total_increasing")
    assert description.statistic == (per_day and numeric and description.domain == "sensor")
