"""The sleep insights' ``_last_night`` sensors over MQTT discovery, against a real mosquitto:
a component of the account's device with the entity's unit and its own state topic; a sensor
no longer chosen is removed from the device (platform-only component, state cleared)."""

from __future__ import annotations

import json

import pytest

from oura_addon import catalogue
from oura_addon.catalogue.events import EVENTS
from oura_addon.insights.engine import last_night_state
from tests.mqtt.test_publisher import DISCOVERY, account_states
from tests.mqtt.test_publisher import started as started  # the fixture

pytestmark = pytest.mark.mqtt

KEY = "bedroom_temperature_last_night"
TOPIC = f"oura/oura_user-1/{KEY}"
# The catalogue's sensors, the connection sensor, the event entities and the sync button.
BASE_COMPONENTS = len(catalogue.SENSORS) + 1 + len(EVENTS) + 1


def _entry(value: float | None) -> dict:
    return {"day": "2026-12-01", "value": value, "unit": "°C", "name": "Bedroom temperature"}


def test_last_nights_mean_is_a_component_of_the_accounts_device(mosquitto, started):
    sensor = last_night_state("oura", None, "sensor.bedroom_temperature", _entry(18.25))
    assert sensor.entity_id == "sensor.oura_bedroom_temperature_last_night"
    started.publish(account_states() | {sensor.entity_id: sensor})
    watcher = mosquitto.watcher("homeassistant/#", "oura/#")
    config = json.loads(watcher.retained[DISCOVERY])
    assert len(config["components"]) == BASE_COMPONENTS + 1
    component = config["components"][KEY]
    assert component["default_entity_id"] == sensor.entity_id
    assert component["unit_of_measurement"] == "°C"
    assert component["state_class"] == "measurement"
    assert component["unique_id"] == f"oura_user-1_{KEY}"
    assert json.loads(watcher.retained[TOPIC]) == {
        "state": "18.25",
        "attributes": {"day": "2026-12-01", "source": "sensor.bedroom_temperature"},
    }

    started.remove([sensor.entity_id])  # the entity is no longer chosen
    watcher.wait_for(lambda w: not w.retained.get(TOPIC))  # the retained state cleared
    config = json.loads(watcher.retained[DISCOVERY])
    assert config["components"][KEY] == {"platform": "sensor"}
    assert config["components"]["sleep_score"]["platform"] == "sensor"
    assert len(config["components"]) == BASE_COMPONENTS + 1
    watcher.close()


def test_another_accounts_sensor_is_not_taken_for_the_first_accounts(mosquitto, started):
    second = last_night_state("oura_work", "Work", "sensor.bedroom_temperature", _entry(19.0))
    started.publish(account_states() | {second.entity_id: second})
    watcher = mosquitto.watcher("homeassistant/#")
    config = json.loads(watcher.retained[DISCOVERY])
    assert "work_bedroom_temperature_last_night" not in config["components"]
    assert len(config["components"]) == BASE_COMPONENTS
    watcher.close()
