"""The core API client and the publisher against a real Home Assistant core on loopback.

All tests share one core (see conftest.py); each uses its own entity ids, and the tests
that stop or restart the core leave it running.
"""

from __future__ import annotations

import pytest

from oura_addon.homeassistant import CoreApiPublisher, HomeAssistantClient, PublishError
from oura_addon.states import EntityState
from tests.ha_core import HomeAssistantCore

pytestmark = pytest.mark.ha


def temperature_deviation(entity_id: str, value: str = "-0.2") -> EntityState:
    return EntityState(
        entity_id,
        value,
        {
            "unit_of_measurement": "°C",
            "device_class": "temperature",
            "state_class": "measurement",
            "friendly_name": "Oura temperature deviation",
            "icon": "mdi:thermometer",
            "day": "2026-11-25",
        },
    )


def heart_rate(entity_id: str, value: str = "52") -> EntityState:
    return EntityState(
        entity_id,
        value,
        {"unit_of_measurement": "bpm", "state_class": "measurement", "friendly_name": "Oura HR"},
    )


@pytest.fixture
def client(running_ha_core: HomeAssistantCore) -> HomeAssistantClient:
    return HomeAssistantClient(running_ha_core.api_url, running_ha_core.token)


def test_a_published_state_lands_with_its_unit_class_name_and_icon(
    running_ha_core, client, tmp_path
):
    publisher = CoreApiPublisher(client, tmp_path / "published.json")

    publisher.publish(
        {"sensor.oura_it_temperature": temperature_deviation("sensor.oura_it_temperature")}
    )

    landed = running_ha_core.get_state("sensor.oura_it_temperature")
    assert landed is not None
    assert landed["state"] == "-0.2"
    assert landed["attributes"] == {
        "unit_of_measurement": "°C",
        "device_class": "temperature",
        "state_class": "measurement",
        "friendly_name": "Oura temperature deviation",
        "icon": "mdi:thermometer",
        "day": "2026-11-25",
    }
    assert client.get_state("sensor.oura_it_temperature") == temperature_deviation(
        "sensor.oura_it_temperature"
    )


def test_get_config_returns_the_configured_time_zone(running_ha_core, client):
    config = client.get_config()

    assert config["time_zone"] == running_ha_core.time_zone == "Europe/Helsinki"
    assert config["unit_system"]["temperature"] == "°C"


def test_a_notification_is_created_and_dismissed(running_ha_core, client):
    client.create_notification("oura_it_reconnect", "Oura needs you", "Open the **Oura** panel.")

    shown = running_ha_core.notifications()["oura_it_reconnect"]
    assert shown["title"] == "Oura needs you"
    assert shown["message"] == "Open the **Oura** panel."

    client.dismiss_notification("oura_it_reconnect")
    assert "oura_it_reconnect" not in running_ha_core.notifications()


def test_an_invalid_state_is_refused_and_the_others_still_land(running_ha_core, client, tmp_path):
    publisher = CoreApiPublisher(client, tmp_path / "published.json")
    too_long = EntityState("sensor.oura_it_too_long", "x" * 300)

    with pytest.raises(PublishError) as caught:
        publisher.publish(
            {
                "sensor.oura_it_too_long": too_long,
                "sensor.oura_it_hr": heart_rate("sensor.oura_it_hr"),
            }
        )

    assert "Invalid state" in caught.value.user_message
    assert running_ha_core.get_state("sensor.oura_it_too_long") is None
    assert running_ha_core.get_state("sensor.oura_it_hr")["state"] == "52"


def test_an_addon_restart_republishes_into_home_assistant_from_the_file(
    running_ha_core, client, tmp_path
):
    path = tmp_path / "published.json"
    CoreApiPublisher(client, path).publish(
        {"sensor.oura_it_file": heart_rate("sensor.oura_it_file")}
    )
    client.delete_state("sensor.oura_it_file")

    restarted = CoreApiPublisher(
        HomeAssistantClient(running_ha_core.api_url, running_ha_core.token), path
    )
    restarted.republish_all()

    assert running_ha_core.get_state("sensor.oura_it_file")["state"] == "52"


def test_after_a_ha_restart_one_ensure_present_restores_every_state(
    running_ha_core, client, tmp_path
):
    publisher = CoreApiPublisher(client, tmp_path / "published.json")
    wanted = {
        "sensor.oura_it_restart_temperature": temperature_deviation(
            "sensor.oura_it_restart_temperature"
        ),
        "sensor.oura_it_restart_hr": heart_rate("sensor.oura_it_restart_hr"),
        "binary_sensor.oura_it_restart_connected": EntityState(
            "binary_sensor.oura_it_restart_connected", "on", {"device_class": "connectivity"}
        ),
    }
    publisher.publish(wanted)

    running_ha_core.restart()

    assert all(running_ha_core.get_state(e) is None for e in wanted)  # pushed states are gone
    # Same client, same long-lived token: it survives the restart.
    assert publisher.ensure_present() is True
    for entity_id, state in wanted.items():
        landed = running_ha_core.get_state(entity_id)
        assert landed is not None, entity_id
        assert (landed["state"], landed["attributes"]) == (state.state, dict(state.attributes))
    assert publisher.ensure_present() is False  # and once restored, nothing more to do


def test_ha_down_fails_clearly_loses_nothing_and_the_next_publish_sends_everything(
    running_ha_core, client, tmp_path
):
    publisher = CoreApiPublisher(client, tmp_path / "published.json")
    publisher.publish({"sensor.oura_it_down_hr": heart_rate("sensor.oura_it_down_hr", "50")})
    wanted = {
        "sensor.oura_it_down_hr": heart_rate("sensor.oura_it_down_hr", "53"),
        "sensor.oura_it_down_temperature": temperature_deviation(
            "sensor.oura_it_down_temperature", "0.3"
        ),
    }

    running_ha_core.stop()
    try:
        with pytest.raises(PublishError) as caught:
            publisher.publish(wanted)
        assert caught.value.user_message.startswith(
            f"Home Assistant is not reachable at {running_ha_core.api_url}"
        )
        assert running_ha_core.token not in caught.value.user_message
        assert set(caught.value.failed) == set(wanted)
        assert publisher.last_error == caught.value.user_message
    finally:
        running_ha_core.start()

    result = publisher.publish(wanted)

    assert sorted(result.sent) == sorted(wanted)
    assert running_ha_core.get_state("sensor.oura_it_down_hr")["state"] == "53"
    assert running_ha_core.get_state("sensor.oura_it_down_temperature")["state"] == "0.3"
    assert publisher.last_error is None


def test_remove_deletes_the_entities_from_home_assistant(running_ha_core, client, tmp_path):
    publisher = CoreApiPublisher(client, tmp_path / "published.json")
    publisher.publish({"sensor.oura_it_gone": heart_rate("sensor.oura_it_gone")})

    assert publisher.remove(["sensor.oura_it_gone"]) == 1
    assert running_ha_core.get_state("sensor.oura_it_gone") is None
