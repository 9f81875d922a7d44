"""Discovery payloads and broker resolution: pure functions, no broker."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from oura_addon import catalogue
from oura_addon.homeassistant.broker import broker_from_options, broker_from_service
from oura_addon.homeassistant.discovery import (
    DEFAULT_ENTITY_ID,
    OBJECT_ID,
    Device,
    discovery_payload,
    entity_key,
    state_payload,
)
from oura_addon.settings import Settings, load_settings
from oura_addon.states import EntityState

FIRST = Device("oura", "oura", "2f3a-user")
SECOND = Device("work", "oura_work", "9c1b-user", "Work")


def states(prefix: str) -> dict[str, EntityState]:
    built = catalogue.build_states(
        prefix, {}, today=date(2026, 12, 1), tz=UTC, now=datetime(2026, 12, 1, tzinfo=UTC)
    )
    ring = f"sensor.{prefix}_ring_firmware"
    built[ring] = EntityState(ring, "2.9.24", {"hardware_type": "gen4", "size": 9})
    return built


def test_every_catalogue_entity_keeps_its_core_api_entity_id_and_a_unique_id_from_oura():
    components = discovery_payload(SECOND, states("oura_work"))["components"]
    core_api_ids = set(catalogue.entity_ids("oura_work"))
    automation_ids = {
        "event.oura_work_night",
        "event.oura_work_workout",
        "event.oura_work_session",
        "event.oura_work_tag",
        "button.oura_work_sync_now",
    }
    assert {c[DEFAULT_ENTITY_ID] for c in components.values()} == core_api_ids | automation_ids
    assert all(c["unique_id"].startswith("oura_9c1b-user_") for c in components.values())
    assert components["sleep_score"]["unique_id"] == "oura_9c1b-user_sleep_score"


def test_unique_ids_do_not_depend_on_the_account_name():
    renamed = Device("partner", "oura_partner", "9c1b-user", "Partner")
    before = discovery_payload(SECOND, {})["components"]
    after = discovery_payload(renamed, {})["components"]
    assert [c["unique_id"] for c in before.values()] == [c["unique_id"] for c in after.values()]


def test_older_cores_get_object_id_newer_default_entity_id():
    assert entity_key("2025.4.4") == OBJECT_ID
    assert entity_key("2025.10.0") == DEFAULT_ENTITY_ID
    assert entity_key("2026.11.0") == DEFAULT_ENTITY_ID
    assert entity_key(None) == DEFAULT_ENTITY_ID
    component = discovery_payload(FIRST, {}, key=OBJECT_ID)["components"]["sleep_score"]
    assert component[OBJECT_ID] == "oura_sleep_score"
    assert DEFAULT_ENTITY_ID not in component


def test_device_carries_model_firmware_and_the_panel():
    payload = discovery_payload(
        FIRST, states("oura"), configuration_url="homeassistant://hassio/ingress/oura"
    )
    assert payload["device"] == {
        "identifiers": ["oura_2f3a-user"],
        "name": "Oura",
        "manufacturer": "Oura",
        "model": "Oura Ring gen4",
        "sw_version": "2.9.24",
        "configuration_url": "homeassistant://hassio/ingress/oura",
    }
    assert payload["origin"]["name"] == "Oura Ring add-on"
    assert discovery_payload(SECOND, {})["device"]["name"] == "Oura Work"


def test_diagnostics_are_categorised_and_the_connected_sensor_outlives_the_account():
    components = discovery_payload(FIRST, {})["components"]
    diagnostic = {k for k, c in components.items() if c.get("entity_category") == "diagnostic"}
    assert diagnostic == {"ring_battery_level", "ring_charging", "ring_firmware", "connected"}
    assert components["connected"]["availability"] == [{"topic": "oura/status"}]
    assert components["ring_charging"]["payload_on"] == "on"
    assert components["total_sleep_duration"]["suggested_display_precision"] == 2


def test_state_payload_keeps_data_attributes_and_turns_unknown_into_none():
    state = EntityState(
        "sensor.oura_sleep_score", "unknown", {"friendly_name": "Oura Sleep score", "day": "x"}
    )
    assert state_payload(state) == {"state": None, "attributes": {"day": "x"}}


def test_options_name_a_broker_without_the_supervisor(tmp_path):
    (tmp_path / "options.json").write_text(
        '{"mqtt_host": "10.0.0.5", "mqtt_port": 1884, "mqtt_username": "u",'
        ' "mqtt_password": "s3cret", "publish_mode": "mqtt"}'
    )
    settings = load_settings({"OURA_ADDON_DATA": str(tmp_path)})
    broker = broker_from_options(settings)
    assert broker is not None and broker.address == "10.0.0.5:1884"
    assert settings.publish_mode == "mqtt"
    assert "s3cret" in settings.secrets
    assert "s3cret" not in repr(broker)
    assert broker_from_options(Settings()) is None


def test_a_bad_publish_mode_is_a_sentence(tmp_path):
    (tmp_path / "options.json").write_text('{"publish_mode": "carrier_pigeon"}')
    settings = load_settings({"OURA_ADDON_DATA": str(tmp_path)})
    assert settings.publish_mode == "auto"
    assert any("publish_mode" in p for p in settings.problems)


def test_the_supervisors_broker_answer_is_parsed_defensively():
    body = {
        "result": "ok",
        "data": {"host": "core-mosquitto", "port": 1883, "ssl": False,
                 "username": "addons", "password": "secret", "protocol": "3.1.1"},
    }  # fmt: skip
    broker = broker_from_service(body)
    assert broker is not None
    assert (broker.address, broker.username, broker.source) == (
        "core-mosquitto:1883",
        "addons",
        "supervisor",
    )
    assert broker_from_service({"result": "error"}) is None
    assert broker_from_service({"data": {"host": "", "port": 1883}}) is None
    assert broker_from_service({"data": {"host": "h", "port": "x"}}) is None


def test_the_device_has_an_event_entity_per_moment_and_a_sync_button():
    components = discovery_payload(SECOND, {})["components"]
    night = components["event_night"]
    assert night["platform"] == "event"
    assert night["event_types"] == ["ready"]
    assert night["unique_id"] == "oura_9c1b-user_night"
    assert night["state_topic"] == "oura/oura_9c1b-user/event/night"
    assert {components[f"event_{k}"]["event_types"][0] for k in ("workout", "session")} == {
        "recorded"
    }
    assert components["event_tag"]["event_types"] == ["added"]
    button = components["sync_now"]
    assert button["platform"] == "button"
    assert button["command_topic"] == "oura/oura_9c1b-user/sync_now/press"
    assert button["retain"] is False
    assert button["unique_id"] == "oura_9c1b-user_sync_now"
    older = discovery_payload(SECOND, {}, key=OBJECT_ID)["components"]
    assert older["event_night"][OBJECT_ID] == "oura_work_night"
    assert older["sync_now"][OBJECT_ID] == "oura_work_sync_now"


def test_contributor_scores_are_disabled_by_default_and_headline_sensors_are_not():
    components = discovery_payload(FIRST, {})["components"]
    assert components["sleep_deep_sleep_score"]["enabled_by_default"] is False
    assert components["readiness_hrv_balance_score"]["enabled_by_default"] is False
    assert components["high_activity_met_minutes"]["enabled_by_default"] is False
    for key in ("sleep_score", "readiness_score", "steps", "average_hrv", "connected"):
        assert "enabled_by_default" not in components[key]
    disabled = {k for k, c in components.items() if c.get("enabled_by_default") is False}
    assert disabled == {d.key for d in catalogue.SENSORS if not d.enabled_by_default}
    assert len(disabled) == 25 + 3


def test_an_event_message_carries_its_type_and_attributes():
    from oura_addon.catalogue.events import WORKOUT
    from oura_addon.homeassistant.discovery import event_payload

    message = json.loads(event_payload(WORKOUT, {"activity": "running", "day": "2026-12-01"}))
    assert message == {"event_type": "recorded", "activity": "running", "day": "2026-12-01"}
