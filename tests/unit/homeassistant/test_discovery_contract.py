"""The MQTT discovery message read the way Home Assistant's MQTT integration reads it: the
exact keys it looks up, so a renamed key (``platform``, ``state_topic``,
``unit_of_measurement``, ``state_class``...) fails here and not on a user's dashboard."""

from __future__ import annotations

import json

from oura_addon import catalogue
from oura_addon.homeassistant.discovery import (
    ADDON_AVAILABILITY_TOPIC,
    DEFAULT_ENTITY_ID,
    Device,
    configuration_url,
    device_messages,
    discovery_payload,
)
from oura_addon.states import EntityState

DEVICE = Device("oura", "oura", "2f3a-user")


def _all_components() -> dict:
    return discovery_payload(DEVICE, {})["components"]


def _components() -> dict:
    """The sensors' components (the catalogue's and the connection sensor)."""
    return {
        k: c for k, c in _all_components().items() if c["platform"] in ("sensor", "binary_sensor")
    }


def test_each_component_has_the_keys_home_assistant_reads() -> None:
    for key, component in _components().items():
        assert component["platform"] in ("sensor", "binary_sensor"), key
        assert component["state_topic"] == f"oura/oura_2f3a-user/{key}"
        assert component["json_attributes_topic"] == component["state_topic"]
        assert component["value_template"] == "{{ value_json.state }}"
        assert component["json_attributes_template"] == "{{ value_json.attributes | tojson }}"
        assert component["unique_id"] == f"oura_2f3a-user_{key}"
        assert component[DEFAULT_ENTITY_ID].endswith(f".oura_{key}")


def test_the_moments_are_event_entities_and_sync_now_a_button_home_assistant_can_read() -> None:
    others = {k: c for k, c in _all_components().items() if k not in _components()}
    events = {k: c for k, c in others.items() if c["platform"] == "event"}
    assert {c["default_entity_id"]: c["event_types"] for c in events.values()} == {
        "event.oura_night": ["ready"],
        "event.oura_workout": ["recorded"],
        "event.oura_session": ["recorded"],
        "event.oura_tag": ["added"],
    }
    for component in events.values():
        name = component["default_entity_id"].removeprefix("event.oura_")
        assert component["state_topic"] == f"oura/oura_2f3a-user/event/{name}"
        assert component["unique_id"] == f"oura_2f3a-user_{name}"
    (button,) = (c for c in others.values() if c["platform"] == "button")
    assert button["command_topic"] == "oura/oura_2f3a-user/sync_now/press"
    assert button["default_entity_id"] == "button.oura_sync_now"
    assert button["retain"] is False
    assert len(others) == len(events) + 1


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


def _messages(states: dict) -> dict[str, str]:
    return dict(device_messages(DEVICE, states, configuration_url=configuration_url("/x/y")))


def test_the_device_messages_say_online_until_the_account_is_disconnected() -> None:
    link = catalogue.CONNECTED.entity_id("oura")
    connected = EntityState(link, "on", {})
    messages = _messages({connected.entity_id: connected})
    assert messages["oura/oura_2f3a-user/availability"] == "online"
    assert next(iter(messages)) == "homeassistant/device/oura_2f3a-user/config"
    config = json.loads(messages["homeassistant/device/oura_2f3a-user/config"])
    assert config["device"]["configuration_url"] == "homeassistant://x/y"
    assert config["origin"]["sw_version"]
    lost = EntityState(link, "off", {})
    assert _messages({lost.entity_id: lost})["oura/oura_2f3a-user/availability"] == "offline"
    assert _messages({})["oura/oura_2f3a-user/availability"] == "online"


def test_a_state_message_carries_data_attributes_not_metadata() -> None:
    state = EntityState(
        "sensor.oura_sleep_score",
        "81",
        {"day": "2026-03-01", "icon": "mdi:x", "device_class": "d", "state_class": "m",
         "unit_of_measurement": "u", "friendly_name": "f", "options": ["a"]},
    )  # fmt: skip
    message = _messages({state.entity_id: state})["oura/oura_2f3a-user/sleep_score"]
    assert message == '{"attributes":{"day":"2026-03-01"},"state":"81"}'


def test_display_precision_and_options_are_announced() -> None:
    components = _components()
    expected = {"h": 2, "°C": 2, "br/min": 1}
    units = set()
    for component in components.values():
        unit = component.get("unit_of_measurement")
        assert component.get("suggested_display_precision") == expected.get(unit), component
        units.add(unit)
    assert {"h", "br/min"} <= units  # the precisions are exercised
    for description in catalogue.SENSORS:
        if description.options:
            assert components[description.key]["options"] == list(description.options)
        else:
            assert "options" not in components[description.key]
