"""The insights' ``_last_night`` sensor over MQTT discovery in a REAL core with its MQTT
integration: it becomes an entity of the account's device with the sensor's unit, and a
sensor no longer chosen leaves the registry (its component sent with the platform only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from oura_addon import catalogue
from oura_addon.homeassistant.broker import Broker, BrokerLookup
from oura_addon.homeassistant.dialect import dialect_for
from oura_addon.homeassistant.mqtt import AccountRef, MqttPublisher
from oura_addon.insights.engine import last_night_state
from oura_addon.states import EntityState
from tests.addon_process import wait_for
from tests.ha_core import HomeAssistantCore
from tests.integration.test_mqtt_discovery_core import (
    BROKER_PASSWORD,
    BROKER_USER,
    oura_entities,
    set_up_mqtt_integration,
)
from tests.mosquitto import Mosquitto, require_mosquitto

pytestmark = [pytest.mark.ha, pytest.mark.mqtt, pytest.mark.slow]

SENSOR = "sensor.oura_bedroom_temperature_last_night"


@pytest.fixture(scope="module")
def broker(ha_install, tmp_path_factory) -> Iterator[Mosquitto]:
    require_mosquitto()
    server = Mosquitto(
        tmp_path_factory.mktemp("mosquitto"), username=BROKER_USER, password=BROKER_PASSWORD
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mqtt_core(ha_install, broker, tmp_path_factory) -> Iterator[HomeAssistantCore]:
    core = HomeAssistantCore(ha_install, tmp_path_factory.mktemp(f"ha-ins-{ha_install.version}"))
    try:
        core.start()
        set_up_mqtt_integration(core, broker)
        yield core
    finally:
        core.stop()


def _states() -> dict[str, EntityState]:
    today, now = date(2026, 12, 1), datetime(2026, 12, 1, 8, tzinfo=UTC)
    states = catalogue.build_states("oura", {}, today=today, tz=UTC, now=now)
    connected = catalogue.connected_state("oura", True, reason=None, email="a@example.com")
    return states | {connected.entity_id: connected}


def test_last_nights_sensor_comes_and_goes_with_the_choice(broker, mqtt_core, tmp_path):
    found = Broker(broker.host, broker.port, BROKER_USER, BROKER_PASSWORD)
    publisher = MqttPublisher(
        lookup=lambda: BrokerLookup(found),
        accounts=lambda: [AccountRef("oura", "oura")],
        identify=lambda name: "user-1",
        state_path=tmp_path / "mqtt.json",
        entity_key=lambda: dialect_for(mqtt_core.version).discovery_entity_key,
    )
    publisher.start()
    try:
        assert publisher.wait_connected(10)
        entry = {"day": "2026-12-01", "value": 18.25, "unit": "°C", "name": "Bedroom temperature"}
        sensor = last_night_state("oura", None, "sensor.bedroom_temperature", entry)
        publisher.publish(_states() | {sensor.entity_id: sensor})

        state = wait_for(
            lambda: (
                (mqtt_core.get_state(SENSOR) or {}).get("state") == "18.25"
                and mqtt_core.get_state(SENSOR)
            ),
            60,
            what=f"{SENSOR} over MQTT",
        )
        assert state["attributes"]["unit_of_measurement"] == "°C"
        assert state["attributes"]["source"] == "sensor.bedroom_temperature"
        entities = oura_entities(mqtt_core)
        ours = entities["oura_user-1_bedroom_temperature_last_night"]
        score = next(e for e in entities.values() if e["entity_id"] == "sensor.oura_sleep_score")
        assert ours["device_id"] == score["device_id"]  # one device per account

        publisher.remove([SENSOR])
        wait_for(
            lambda: "oura_user-1_bedroom_temperature_last_night" not in oura_entities(mqtt_core),
            60,
            what=f"{SENSOR} removed from the registry",
        )
        assert mqtt_core.get_state(SENSOR) is None
        assert mqtt_core.get_state("sensor.oura_sleep_score") is not None  # the rest stays
    finally:
        publisher.stop()
