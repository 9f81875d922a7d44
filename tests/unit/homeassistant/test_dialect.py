"""Which words each Home Assistant release gets (pure; the real cores are in tests/integration)."""

from __future__ import annotations

import pytest

from oura_addon.homeassistant.dialect import dialect_for, release_of


@pytest.mark.parametrize(
    ("version", "release"),
    [
        ("2026.11.0", (2026, 11)),
        ("2025.4.4", (2025, 4)),
        ("2025.10.0b3", (2025, 10)),
        ("2026.12.0.dev20261130", (2026, 12)),
        ("2025.9", (2025, 9)),
        ("", None),
        ("unknown", None),
        ("20261", None),
        (None, None),
        (2026.11, None),
    ],
)
def test_the_release_is_read_from_every_version_form_home_assistant_reports(version, release):
    assert release_of(version) == release


@pytest.mark.parametrize(
    ("version", "modern"),
    [
        ("2025.4.4", False),  # the oldest supported core
        ("2025.9.4", False),
        ("2025.10.0", True),  # where mean_type, unit_class and default_entity_id arrived
        ("2025.10.0b1", True),
        ("2026.11.0", True),
        ("2027.1.0", True),
        (None, True),  # unknown: the newest
        ("not a version", True),
        ({"version": "2025.4.4"}, True),
    ],
)
def test_releases_from_2025_10_on_and_unknown_ones_get_the_newest_dialect(version, modern):
    assert dialect_for(version).modern is modern


def test_old_cores_get_has_mean_and_new_ones_mean_type_and_the_recorders_unit_class():
    old = dialect_for("2025.4.4").statistic_metadata("sensor.oura_average_hrv", "ms")
    new = dialect_for("2026.11.0").statistic_metadata("sensor.oura_average_hrv", "ms")
    common = {
        "statistic_id": "sensor.oura_average_hrv",
        "source": "recorder",
        "name": None,
        "unit_of_measurement": "ms",
        "has_sum": False,
    }
    assert old == {**common, "has_mean": True}
    assert new == {**common, "mean_type": 1, "unit_class": "duration"}


@pytest.mark.parametrize(
    ("unit", "unit_class"),
    [
        (None, "unitless"),
        ("%", "unitless"),
        ("°C", "temperature"),
        ("bpm", None),
        ("m", "distance"),
    ],
)
def test_the_unit_class_follows_the_unit(unit, unit_class):
    metadata = dialect_for("2026.11.0").statistic_metadata("sensor.oura_x", unit)
    assert metadata["unit_class"] == unit_class


def test_mqtt_discovery_names_the_entity_id_with_default_entity_id_or_the_older_object_id():
    assert dialect_for("2026.11.0").discovery_entity_key == "default_entity_id"
    assert dialect_for("2025.9.4").discovery_entity_key == "object_id"


def test_a_daily_totals_metadata_has_a_sum_and_no_mean_in_both_dialects():
    old = dialect_for("2025.4.4").statistic_metadata("sensor.oura_steps", None, total=True)
    assert (old["has_sum"], old["has_mean"]) == (True, False)
    new = dialect_for("2026.11.0").statistic_metadata("sensor.oura_steps", None, total=True)
    assert (new["has_sum"], new["mean_type"]) == (True, 0)
    assert "has_mean" not in new
