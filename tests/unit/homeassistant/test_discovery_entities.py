"""What Home Assistant creates from the add-on's MQTT discovery, entity by entity: the exact
component of a sensor and of a binary sensor, topics that stay valid for any Oura user id,
the device card, the sleep insights' extra sensors, retired entities, the retained state
messages and the topics the add-on listens on."""

from __future__ import annotations

import json
from datetime import date

from paho.mqtt.client import topic_matches_sub

from oura_addon.catalogue import CONNECTED, SENSORS
from oura_addon.homeassistant.discovery import (
    ADDON_AVAILABILITY_TOPIC,
    BIRTH_TOPIC,
    OBJECT_ID,
    ORIGIN,
    PRESS_SUBSCRIPTION,
    Device,
    account_available,
    configuration_url,
    device_messages,
    discovery_payload,
    encode,
    insight_descriptions,
    state_payload,
)
from oura_addon.states import EntityState

DEVICE = Device("oura", "oura", "u1")
PARTNER = Device("partner", "oura_partner", "u2", "Partner")
RING = "sensor.oura_ring_firmware"
INSIGHT = "sensor.oura_bedroom_temperature_last_night"


def components(device: Device = DEVICE, **options) -> dict:
    return discovery_payload(device, {}, **options)["components"]


def insight_state(**attributes) -> EntityState:
    return EntityState(
        INSIGHT,
        "18.4",
        {
            "source": "sensor.bedroom_temperature",
            "friendly_name": "Bedroom temperature last night",
            "unit_of_measurement": "°C",
            "icon": "mdi:thermometer",
            **attributes,
        },
    )


# -- the entities ----------------------------------------------------------------------------


def test_a_sleep_duration_sensor_is_announced_with_everything_home_assistant_shows():
    assert components()["total_sleep_duration"] == {
        "platform": "sensor",
        "name": "Total sleep",
        "unique_id": "oura_u1_total_sleep_duration",
        "default_entity_id": "sensor.oura_total_sleep_duration",
        "state_topic": "oura/oura_u1/total_sleep_duration",
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": "oura/oura_u1/total_sleep_duration",
        "json_attributes_template": "{{ value_json.attributes | tojson }}",
        "icon": "mdi:sleep",
        "unit_of_measurement": "h",
        "device_class": "duration",
        "state_class": "measurement",
        "suggested_display_precision": 2,
    }


def test_temperatures_show_two_decimals_and_breathing_one():
    announced = components()
    assert announced["temperature_deviation"]["suggested_display_precision"] == 2
    breathing = [c for c in announced.values() if c.get("unit_of_measurement") == "br/min"]
    assert breathing and all(c["suggested_display_precision"] == 1 for c in breathing)
    assert "suggested_display_precision" not in announced["sleep_score"]


def test_a_binary_sensor_is_announced_with_its_on_and_off_payloads():
    assert components(PARTNER)["ring_charging"] == {
        "platform": "binary_sensor",
        "name": "Ring charging",
        "unique_id": "oura_u2_ring_charging",
        "default_entity_id": "binary_sensor.oura_partner_ring_charging",
        "state_topic": "oura/oura_u2/ring_charging",
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": "oura/oura_u2/ring_charging",
        "json_attributes_template": "{{ value_json.attributes | tojson }}",
        "icon": "mdi:battery-charging",
        "payload_on": "on",
        "payload_off": "off",
        "device_class": "battery_charging",
        "entity_category": "diagnostic",
    }
    assert "payload_on" not in components()["sleep_score"]


def test_only_the_connected_sensor_stays_available_when_the_account_is_not():
    announced = components()
    assert announced["connected"]["availability"] == [{"topic": "oura/status"}]
    assert [k for k, c in announced.items() if "availability" in c] == ["connected"]


def test_older_cores_get_the_object_id_of_every_kind_of_entity():
    announced = components(PARTNER, key=OBJECT_ID)
    assert announced["ring_charging"][OBJECT_ID] == "oura_partner_ring_charging"
    assert announced["event_workout"][OBJECT_ID] == "oura_partner_workout"
    assert announced["sync_now"][OBJECT_ID] == "oura_partner_sync_now"
    assert all("default_entity_id" not in c for c in announced.values())


def test_the_event_and_button_entities_are_complete():
    announced = components(PARTNER)
    assert announced["event_night"] == {
        "platform": "event",
        "name": "Night",
        "unique_id": "oura_u2_night",
        "default_entity_id": "event.oura_partner_night",
        "state_topic": "oura/oura_u2/event/night",
        "event_types": ["ready"],
        "icon": "mdi:weather-night",
    }
    assert announced["sync_now"] == {
        "platform": "button",
        "name": "Sync now",
        "unique_id": "oura_u2_sync_now",
        "default_entity_id": "button.oura_partner_sync_now",
        "command_topic": "oura/oura_u2/sync_now/press",
        "payload_press": "PRESS",
        "retain": False,
        "icon": "mdi:cloud-sync",
    }


# -- topics ----------------------------------------------------------------------------------


def test_an_oura_user_id_with_topic_characters_gives_safe_topics_and_ids():
    device = Device("oura", "oura", "a/b+c#d e.f-g_h")
    assert device.device_id == "oura_a_b_c_d_e_f-g_h"
    assert device.discovery_topic == "homeassistant/device/oura_a_b_c_d_e_f-g_h/config"
    assert device.availability_topic == "oura/oura_a_b_c_d_e_f-g_h/availability"
    assert device.press_topic == "oura/oura_a_b_c_d_e_f-g_h/sync_now/press"
    # The unique ids follow the device id, the entity ids the account's prefix.
    sleep = discovery_payload(device, {})["components"]["sleep_score"]
    assert sleep["unique_id"] == "oura_a_b_c_d_e_f-g_h_sleep_score"
    assert sleep["default_entity_id"] == "sensor.oura_sleep_score"


def test_the_add_on_hears_every_accounts_sync_button_and_home_assistants_birth():
    for device in (DEVICE, PARTNER):
        assert topic_matches_sub(PRESS_SUBSCRIPTION, device.press_topic)
        button = components(device)["sync_now"]
        assert topic_matches_sub(PRESS_SUBSCRIPTION, button["command_topic"])
    assert not topic_matches_sub(PRESS_SUBSCRIPTION, "oura/oura_u1/sleep_score")
    assert BIRTH_TOPIC == "homeassistant/status"  # Home Assistant's default birth topic
    assert ADDON_AVAILABILITY_TOPIC == "oura/status"


def test_a_removal_clears_every_retained_topic_of_the_device():
    extra = insight_descriptions("oura", {INSIGHT: insight_state()})
    topics = DEVICE.topics(extra)
    assert topics[:2] == ["homeassistant/device/oura_u1/config", "oura/oura_u1/availability"]
    expected = {f"oura/oura_u1/{d.key}" for d in (*SENSORS, CONNECTED)}
    assert set(topics[2:]) == expected | {"oura/oura_u1/bedroom_temperature_last_night"}
    assert len(topics) == len(set(topics))


# -- the device card -------------------------------------------------------------------------


def test_the_device_card_without_a_known_ring_model_or_firmware():
    ring = EntityState(RING, "unknown", {})
    payload = discovery_payload(DEVICE, {RING: ring})
    assert payload["device"] == {
        "identifiers": ["oura_u1"],
        "name": "Oura",
        "manufacturer": "Oura",
        "model": "Oura Ring",
    }
    # No ring state yet: no model at all; no panel: no link.
    assert discovery_payload(DEVICE, {}, configuration_url=None)["device"] == {
        "identifiers": ["oura_u1"],
        "name": "Oura",
        "manufacturer": "Oura",
    }
    assert discovery_payload(PARTNER, {})["device"]["name"] == "Oura Partner"


def test_another_sensors_state_is_not_taken_for_the_ring():
    steps = EntityState("sensor.oura_steps", "1200", {"hardware_type": "gen3"})
    assert "model" not in discovery_payload(DEVICE, {steps.entity_id: steps})["device"]


def test_the_origin_names_the_add_on_and_where_to_get_help():
    payload = discovery_payload(DEVICE, {})
    assert payload["origin"] == ORIGIN
    assert ORIGIN["name"] == "Oura Ring add-on"
    assert ORIGIN["support_url"] == "https://github.com/oura-ha/oura-addon"
    assert ORIGIN["sw_version"]


def test_the_panel_link_opens_in_home_assistants_frontend():
    assert configuration_url("/hassio/ingress/oura") == "homeassistant://hassio/ingress/oura"
    assert configuration_url("app/x") == "homeassistant://app/x"


# -- the sleep insights' sensors ---------------------------------------------------------------


def test_a_last_night_sensor_is_announced_from_its_own_state():
    (insight,) = insight_descriptions("oura", {INSIGHT: insight_state()})
    component = discovery_payload(DEVICE, {}, extra=(insight,))["components"][insight.key]
    assert insight.key == "bedroom_temperature_last_night"
    assert component["name"] == "Bedroom temperature last night"
    assert component["default_entity_id"] == INSIGHT
    assert component["unique_id"] == "oura_u1_bedroom_temperature_last_night"
    assert component["unit_of_measurement"] == "°C"
    assert component["state_class"] == "measurement"
    assert component["icon"] == "mdi:thermometer"
    assert component["state_topic"] == "oura/oura_u1/bedroom_temperature_last_night"


def test_a_last_night_sensor_without_name_unit_or_icon_gets_sensible_ones():
    bare = EntityState(
        "sensor.oura_partner_heart_rate_last_night",
        "55",
        {"source": "sensor.heart_rate", "unit_of_measurement": 5},
    )
    (insight,) = insight_descriptions("oura_partner", {bare.entity_id: bare})
    assert insight.key == "heart_rate_last_night"
    assert insight.name == "heart_rate_last_night"
    assert insight.unit is None
    assert insight.icon == "mdi:bed-clock"


def test_only_last_night_sensors_count_as_insights():
    others = {
        "sensor.oura_sleep_score": EntityState("sensor.oura_sleep_score", "80", {}),
        # A source that does not match its entity id, or none that is text.
        "sensor.oura_x_last_night": EntityState(
            "sensor.oura_x_last_night", "1", {"source": "sensor.y"}
        ),
        "sensor.oura_z_last_night": EntityState("sensor.oura_z_last_night", "1", {"source": 3}),
        # Another account's insight.
        "sensor.oura_partner_y_last_night": EntityState(
            "sensor.oura_partner_y_last_night", "1", {"source": "sensor.y"}
        ),
    }
    assert insight_descriptions("oura", others) == ()
    assert [d.key for d in insight_descriptions("oura_partner", others)] == ["y_last_night"]


def test_the_insights_state_is_published_with_the_device():
    state = insight_state(day="2026-12-01")
    extra = insight_descriptions("oura", {INSIGHT: state})
    messages = dict(device_messages(DEVICE, {INSIGHT: state}, extra=extra))
    assert json.loads(messages["oura/oura_u1/bedroom_temperature_last_night"]) == {
        "state": "18.4",
        "attributes": {"source": "sensor.bedroom_temperature", "day": "2026-12-01"},
    }


# -- retired entities and the messages -------------------------------------------------------


def test_a_retired_insight_is_removed_from_home_assistant_and_its_state_cleared():
    sleep = EntityState("sensor.oura_sleep_score", "80", {})
    messages = list(device_messages(DEVICE, {sleep.entity_id: sleep}, retired=["old_last_night"]))
    topics = [topic for topic, _ in messages]
    assert topics[:3] == [
        "homeassistant/device/oura_u1/config",
        "oura/oura_u1/availability",
        "oura/oura_u1/old_last_night",
    ]
    assert dict(messages)["oura/oura_u1/old_last_night"] == ""
    config = json.loads(messages[0][1])
    assert config["components"]["old_last_night"] == {"platform": "sensor"}
    # Only the entities with a state get a state message.
    assert topics[3:] == ["oura/oura_u1/sleep_score"]


def test_the_state_message_drops_the_attribution_and_keeps_data():
    state = EntityState(
        "sensor.oura_sleep_score",
        "81",
        {"attribution": "Data provided by Oura", "friendly_name": "Oura Sleep score", "day": "d"},
    )
    assert state_payload(state) == {"state": "81", "attributes": {"day": "d"}}


def test_the_account_is_offline_only_once_its_link_is_off():
    def link(state: str) -> dict[str, EntityState]:
        entity_id = "binary_sensor.oura_connected"
        return {entity_id: EntityState(entity_id, state, {})}

    assert account_available(DEVICE, link("on"))
    assert account_available(DEVICE, link("unknown"))
    assert not account_available(DEVICE, link("off"))
    assert account_available(DEVICE, {})
    # Another account's link says nothing about this one.
    assert account_available(PARTNER, link("off"))


def test_messages_encode_the_same_value_to_the_same_compact_text():
    assert encode({"b": 1, "a": date(2026, 12, 1)}) == '{"a":"2026-12-01","b":1}'
