"""MQTT discovery end to end: the add-on process, the Oura simulator, Debian's mosquitto and
a REAL Home Assistant core with its MQTT integration set up through the config-flow API.

The module has its own core (the MQTT config entry and registry must not leak into the
core-API tests) and its own broker; the scenarios run in order on one add-on data directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from oura_addon import catalogue
from oura_addon.catalogue.events import EVENTS, SYNC_NOW
from oura_addon.homeassistant import HomeAssistantClient
from oura_addon.homeassistant.statistics import StatisticsImporter
from oura_addon.simulator import SimulatorServer
from tests.addon_process import (
    AddonProcess,
    PanelClient,
    addon_environment,
    simulated_oura,
    wait_for,
    write_options,
)
from tests.ha_core import HomeAssistantCore
from tests.mosquitto import Mosquitto, require_mosquitto

pytestmark = [pytest.mark.ha, pytest.mark.mqtt, pytest.mark.slow]

CLIENT_ID = "mqtt-test-client"
CLIENT_SECRET = "mqtt-test-secret-77a1"
BROKER_USER, BROKER_PASSWORD = "oura-addon", "broker-pass-5e2"
ENTITY_IDS = catalogue.entity_ids("oura")
# MQTT mode adds the automation entities (events and the sync button) to the device.
MQTT_ENTITY_IDS = [
    *ENTITY_IDS,
    *(e.entity_id("oura") for e in EVENTS),
    SYNC_NOW.entity_id("oura"),
]
# Registered disabled (contributor scores...): Home Assistant holds no state for them.
DISABLED_IDS = {d.entity_id("oura") for d in catalogue.SENSORS if not d.enabled_by_default}
HELSINKI = ZoneInfo("Europe/Helsinki")
DIAGNOSTIC_KEYS = {"ring_battery_level", "ring_charging", "ring_firmware", "connected"}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(ha_install, tmp_path_factory) -> Iterator[Mosquitto]:
    """One broker per core: nothing retained for one core leaks into the other's run."""
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
    """A core of its own per supported release (``ha_install`` is parametrized by core)."""
    core = HomeAssistantCore(ha_install, tmp_path_factory.mktemp(f"ha-mqtt-{ha_install.version}"))
    try:
        core.start()
        set_up_mqtt_integration(core, broker)
        yield core
    finally:
        core.stop()


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=2, days=10) as server:
        yield server


class Addon:
    """The add-on process over one data directory, restartable with other options."""

    def __init__(self, root: Path, simulator: SimulatorServer, core: HomeAssistantCore) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.env = addon_environment(self.data_dir, simulator.url, core.api_url) | {
            "SUPERVISOR_TOKEN": core.token,
            "HA_WS_URL": core.ws_url,
        }
        self.process: AddonProcess | None = None
        self.starts = 0

    def start(self, broker: Mosquitto, **options: Any) -> PanelClient:
        write_options(
            self.data_dir,
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "poll_interval": 60,
                "history_days": 5,
                "log_level": "debug",
                "mqtt_host": broker.host,
                "mqtt_port": broker.port,
                "mqtt_username": BROKER_USER,
                "mqtt_password": BROKER_PASSWORD,
            }
            | options,
        )
        # One log per start: a start waits for its own "panel on" line, not an earlier one.
        self.starts += 1
        self.process = AddonProcess(
            data_dir=self.data_dir, log_path=self.root / f"addon-{self.starts}.log", env=self.env
        )
        self.process.start()
        return PanelClient(self.process.url)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.root.glob("addon-*.log")))

    def stop(self) -> None:
        if self.process is not None:
            assert self.process.stop() is not None, self.process.log_text
            self.process = None


@pytest.fixture(scope="module")
def addon(mqtt_core, simulator, tmp_path_factory) -> Iterator[Addon]:
    runner = Addon(tmp_path_factory.mktemp("addon-mqtt"), simulator, mqtt_core)
    try:
        yield runner
    finally:
        runner.stop()


@pytest.fixture(scope="module")
def panel(addon, broker, mqtt_core) -> PanelClient:
    client = addon.start(broker)
    response = client.connect_with_auto_approve("oura")
    assert "Connected" in response.text, response.text
    wait_for(
        lambda: len(oura_entities(mqtt_core)) == len(MQTT_ENTITY_IDS), 90, what="MQTT entities"
    )
    wait_for(
        lambda: (
            (mqtt_core.get_state("sensor.oura_sleep_score") or {}).get("state")
            not in (None, "unknown", "unavailable")
        ),
        60,
        what="sensor.oura_sleep_score to get its value over MQTT",
    )
    return client


# -- helpers ----------------------------------------------------------------------------------


def set_up_mqtt_integration(core: HomeAssistantCore, broker: Mosquitto) -> None:
    """The MQTT integration through the config-flow REST API, as a person would in the UI."""
    session = requests.Session()
    session.trust_env = False
    url = core.api_url + "/config/config_entries/flow"
    answer: dict[str, Any] = {}
    for extra in ({}, {"other_settings": {"set_client_cert": False, "set_ca_cert": "off"}}):
        flow = session.post(url, json={"handler": "mqtt"}, headers=core.headers, timeout=30)
        flow.raise_for_status()
        body = {
            "broker": broker.host,
            "port": broker.port,
            "username": BROKER_USER,
            "password": BROKER_PASSWORD,
        } | extra
        answer = session.post(
            f"{url}/{flow.json()['flow_id']}", json=body, headers=core.headers, timeout=30
        ).json()
        if answer.get("type") == "create_entry":
            return
    raise AssertionError(f"the MQTT config flow did not create an entry: {answer}")


def entity_registry(core: HomeAssistantCore) -> list[dict[str, Any]]:
    return core.websocket_command({"type": "config/entity_registry/list"})


def device_registry(core: HomeAssistantCore) -> list[dict[str, Any]]:
    return core.websocket_command({"type": "config/device_registry/list"})


def oura_entities(core: HomeAssistantCore) -> dict[str, dict[str, Any]]:
    """Our MQTT registry entries by unique id."""
    return {
        e["unique_id"]: e
        for e in entity_registry(core)
        if e["platform"] == "mqtt" and str(e["unique_id"]).startswith("oura_")
    }


def oura_devices(core: HomeAssistantCore) -> list[dict[str, Any]]:
    return [d for d in device_registry(core) if d.get("manufacturer") == "Oura"]


def same_value(ours: str, theirs: str | None) -> bool:
    if theirs == ours:
        return True
    if theirs is None:
        return False
    try:
        return abs(float(ours) - float(theirs)) < 1e-6
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(ours) == datetime.fromisoformat(theirs)
    except ValueError:
        return False


def published(panel: PanelClient, name: str = "oura") -> dict[str, str]:
    account = panel.account(name)
    assert account is not None
    return {
        e["entity_id"]: e["state"]
        for e in account["entities"]
        if e["entity_id"] not in DISABLED_IDS
    }


def all_states_match(core: HomeAssistantCore, expected: dict[str, str]) -> bool:
    states = core.get_states()
    return all(
        same_value(value, (states.get(entity_id) or {}).get("state"))
        for entity_id, value in expected.items()
    )


# -- scenarios, in order ----------------------------------------------------------------------


def test_every_catalogue_entity_is_a_registry_entity_under_one_device(panel, broker, mqtt_core):
    entities = oura_entities(mqtt_core)
    assert sorted(e["entity_id"] for e in entities.values()) == sorted(MQTT_ENTITY_IDS)
    disabled = {e["entity_id"] for e in entities.values() if e["disabled_by"] == "integration"}
    assert disabled == DISABLED_IDS
    devices = oura_devices(mqtt_core)
    assert len(devices) == 1
    device = devices[0]
    assert {e["device_id"] for e in entities.values()} == {device["id"]}
    firmware = published(panel)["sensor.oura_ring_firmware"]
    assert firmware not in ("unknown", "")
    assert device["sw_version"] == firmware
    assert device["model"].startswith("Oura Ring")
    assert device["name"] == "Oura"
    diagnostic = {
        e["entity_id"] for e in entities.values() if e.get("entity_category") == "diagnostic"
    }
    assert diagnostic == {
        d.entity_id("oura") for d in (*catalogue.SENSORS, catalogue.CONNECTED)
        if d.key in DIAGNOSTIC_KEYS
    }  # fmt: skip
    status = panel.status()["publish"]
    assert status["mode"] == "mqtt"
    assert status["connected"] is True
    assert status["broker"] == broker.address
    assert status["devices"] == 1
    assert BROKER_PASSWORD not in json.dumps(panel.status())


def test_values_equal_the_simulators(panel, mqtt_core, simulator):
    expected = published(panel)
    wait_for(lambda: all_states_match(mqtt_core, expected), 30, what="every value over MQTT")
    sleep_score = mqtt_core.get_state("sensor.oura_sleep_score")
    day = date.fromisoformat(sleep_score["attributes"]["day"])
    documents = simulator.simulator.documents("daily_sleep", 1, day, day)
    assert sleep_score["state"] == str(documents[-1]["score"])
    assert sleep_score["attributes"]["friendly_name"] == "Oura Sleep score"


def test_a_rename_survives_an_addon_restart_and_the_next_sync(panel, addon, broker, mqtt_core):
    unique_id = next(
        u for u, e in oura_entities(mqtt_core).items() if e["entity_id"] == "sensor.oura_steps"
    )
    mqtt_core.websocket_command(
        {
            "type": "config/entity_registry/update",
            "entity_id": "sensor.oura_steps",
            "new_entity_id": "sensor.my_steps",
            "name": "My steps",
        }
    )
    addon.stop()
    client = addon.start(broker)
    client.sync("oura")
    before = client.account("oura")["last_sync"]
    wait_for(lambda: client.account("oura")["last_sync"] != before, 60, what="a sync")
    entry = oura_entities(mqtt_core)[unique_id]
    assert entry["entity_id"] == "sensor.my_steps"
    assert mqtt_core.get_state("sensor.oura_steps") is None
    # 2025.4 shows the user's name as is; 2026.11 puts the device's name before it.
    friendly = mqtt_core.get_state("sensor.my_steps")["attributes"]["friendly_name"]
    assert friendly in ("My steps", "Oura My steps")


def test_statistics_are_imported_into_the_renamed_entity(panel, mqtt_core, tmp_path):
    entities = oura_entities(mqtt_core)
    unique_id = next(u for u, e in entities.items() if e["entity_id"] == "sensor.oura_average_hrv")
    rename = {"type": "config/entity_registry/update", "entity_id": "sensor.oura_average_hrv"}
    mqtt_core.websocket_command(rename | {"new_entity_id": "sensor.my_hrv"})
    try:
        importer = StatisticsImporter(
            mqtt_core.ws_url,
            mqtt_core.token,
            tmp_path / "statistics.json",
            ha_config=HomeAssistantClient(mqtt_core.api_url, mqtt_core.token).get_config,
            unique_ids=lambda: {"sensor.oura_average_hrv": unique_id},
        )
        today = date(2025, 11, 9)
        days = {(today - timedelta(days=i)).isoformat(): 40.0 + i for i in range(1, 4)}
        assert importer.backfill("oura", {"average_hrv": days}, today, HELSINKI) == 3
        wait_for(
            lambda: (
                "sensor.my_hrv"
                in {
                    s["statistic_id"]
                    for s in mqtt_core.websocket_command({"type": "recorder/list_statistic_ids"})
                }
            ),
            30,
            what="statistics under the renamed entity id",
        )
    finally:
        mqtt_core.websocket_command(
            {"type": "config/entity_registry/update", "entity_id": "sensor.my_hrv"}
            | {"new_entity_id": "sensor.oura_average_hrv"}
        )


def test_home_assistant_restart_brings_every_state_back_from_retained_messages(
    addon, broker, mqtt_core
):
    client = PanelClient(addon.process.url)
    expected = published(client) | {}
    expected["sensor.my_steps"] = expected.pop("sensor.oura_steps")
    mqtt_core.restart()
    wait_for(lambda: all_states_match(mqtt_core, expected), 60, what="states after a restart")


def test_addon_stopped_makes_the_entities_unavailable(addon, broker, mqtt_core):
    addon.stop()
    wait_for(
        lambda: (
            (mqtt_core.get_state("sensor.oura_sleep_score") or {}).get("state") == "unavailable"
        ),
        30,
        what="sensor.oura_sleep_score to turn unavailable",
    )
    client = addon.start(broker)
    wait_for(
        lambda: (
            (mqtt_core.get_state("sensor.oura_sleep_score") or {}).get("state")
            not in (None, "unavailable")
        ),
        30,
        what="sensor.oura_sleep_score to come back",
    )
    assert client.status()["publish"]["connected"] is True


def test_broker_restart_is_recovered_and_nothing_is_lost(addon, broker, mqtt_core):
    client = PanelClient(addon.process.url)
    broker.stop()
    wait_for(
        lambda: client.status()["publish"]["connected"] is False, 30, what="the panel to say so"
    )
    assert client.status()["publish"]["message"]
    before = client.account("oura")["last_sync"]
    client.sync("oura")  # Oura is still polled
    wait_for(lambda: client.account("oura")["last_sync"] != before, 60, what="a sync")
    broker.start()  # empty: no persistence
    wait_for(lambda: client.status()["publish"]["connected"], 90, what="a reconnect")
    expected = published(client)
    expected["sensor.my_steps"] = expected.pop("sensor.oura_steps")
    wait_for(lambda: all_states_match(mqtt_core, expected), 60, what="states after the broker")


def test_two_accounts_are_two_devices_and_removing_one_removes_its_device(addon, broker, mqtt_core):
    client = PanelClient(addon.process.url)
    assert (
        client.session.post(
            f"{client.base_url}/api/accounts", json={"name": "partner"}, timeout=10
        ).status_code
        == 201
    )
    assert "Connected" in client.connect_with_auto_approve("partner", user=2).text
    wait_for(lambda: len(oura_devices(mqtt_core)) == 2, 60, what="a second device")
    names = sorted(d["name"] for d in oura_devices(mqtt_core))
    assert names == ["Oura", "Oura Partner"]
    wait_for(
        lambda: mqtt_core.get_state("sensor.oura_partner_sleep_score") is not None,
        30,
        what="the second account's entities",
    )
    assert client.delete("partner").status_code == 200
    wait_for(lambda: len(oura_devices(mqtt_core)) == 1, 30, what="the device to go")
    assert not [e for e in oura_entities(mqtt_core).values() if "partner" in e["entity_id"]]


def test_switching_to_the_core_api_and_back_leaves_no_orphan(addon, broker, mqtt_core):
    addon.stop()
    client = addon.start(broker, publish_mode="core_api")
    wait_for(lambda: not oura_entities(mqtt_core), 30, what="the MQTT entities to go")
    assert oura_devices(mqtt_core) == []
    wait_for(
        lambda: mqtt_core.get_state("sensor.oura_sleep_score") is not None,
        60,
        what="the core-API states",
    )
    assert client.status()["publish"]["mode"] == "core_api"

    addon.stop()
    client = addon.start(broker)  # auto: the broker is there, so MQTT again
    wait_for(lambda: len(oura_entities(mqtt_core)) == len(MQTT_ENTITY_IDS), 60, what="MQTT again")
    ids = {e["entity_id"] for e in oura_entities(mqtt_core).values()}
    # The same ids as before the switch (no sensor.oura_sleep_score_2); a core that
    # remembers the renamed entity gives it its user's id back.
    renamed_back = (set(MQTT_ENTITY_IDS) - {"sensor.oura_steps"}) | {"sensor.my_steps"}
    assert ids in (set(MQTT_ENTITY_IDS), renamed_back)
    states = mqtt_core.get_states()
    without_unique_id = set(ENTITY_IDS) - {e["entity_id"] for e in entity_registry(mqtt_core)}
    assert not without_unique_id & set(states)
    assert client.status()["publish"]["mode"] == "mqtt"


def test_a_wrong_broker_password_is_one_sentence_and_auto_uses_the_core_api(
    addon, broker, mqtt_core
):
    addon.stop()
    client = addon.start(broker, mqtt_password="not-the-password")
    status = client.status()["publish"]
    assert status["mode"] == "core_api"
    assert "refused the add-on's user name or password" in status["message"]
    assert "not-the-password" not in json.dumps(client.status())
    log = addon.log_text()
    assert "not-the-password" not in log
