"""The MQTT discovery message read the way Home Assistant's MQTT integration reads it: the
exact keys it looks up, so a renamed key (``platform``, ``state_topic``,
``unit_of_measurement``, ``state_class``...) fails here and not on a user's dashboard."""

from __future__ import annotations

from oura_addon import catalogue
from oura_addon.homeassistant.discovery import (
    ADDON_AVAILABILITY_TOPIC,
    DEFAULT_ENTITY_ID,
    Device,
    discovery_payload,
)

DEVICE = Device("oura", "oura", "2f3a-user")


def _components() -> dict:
    return discovery_payload(DEVICE, {})["components"]


def test_each_component_has_the_keys_home_assistant_reads() -> None:
    for key, component in _components().items():
        assert component["platform"] in ("sensor", "binary_sensor"), key
        assert component["state_topic"] == f"oura/oura_2f3a-user/{key}"
        assert component["json_attributes_topic"] == component["state_topic"]
        assert component["value_template"] == "{{ value_json.state }}"
        assert component["json_attributes_template"] == "{{ value_json.attributes | tojson }}"
        assert component["unique_id"] == f"oura_2f3a-user_{key}"
        assert component[DEFAULT_ENTITY_ID].endswith(f".oura_{key}")


def test_units_classes_and_categories_come_from_the_catalogue() -> None:
    components = _components()
    for description in catalogue.SENSORS:
        component = components[description.key]
        assert component.get("unit_of_measurement") == description.unit
        assert component.get("state_class") == description.state_class
        assert component.get("device_class") == description.device_class
        assert component.get("entity_category") == description.entity_category
        assert component["icon"] == description.icon
        assert component["name"] == description.name
    measured = [c for c in components.values() if c.get("state_class") == "measurement"]
    assert measured and all("unit_of_measurement" in c for c in measured if c.get("device_class"))


def test_binary_sensors_say_on_and_off_and_the_link_sensor_follows_the_add_on() -> None:
    components = _components()
    binary = [c for c in components.values() if c["platform"] == "binary_sensor"]
    assert binary
    assert all((c["payload_on"], c["payload_off"]) == ("on", "off") for c in binary)
    connected = [c for c in components.values() if "availability" in c]
    assert len(connected) == 1
    assert connected[0]["availability"] == [{"topic": ADDON_AVAILABILITY_TOPIC}]


def test_the_device_and_origin_are_announced() -> None:
    payload = discovery_payload(DEVICE, {}, configuration_url="homeassistant://x")
    assert payload["device"]["identifiers"] == ["oura_2f3a-user"]
    assert payload["device"]["configuration_url"] == "homeassistant://x"
    assert payload["origin"]["name"] == "Oura Ring add-on"
    assert payload["device"]["name"] == "Oura" and payload["device"]["manufacturer"] == "Oura"
    # Both the add-on and the account must be online for the entities to be available.
    assert payload["availability"] == [
        {"topic": ADDON_AVAILABILITY_TOPIC},
        {"topic": "oura/oura_2f3a-user/availability"},
    ]
    assert payload["availability_mode"] == "all"
    assert payload["qos"] == 1
