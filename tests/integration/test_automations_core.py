"""Automations end to end on a REAL Home Assistant core with the real mosquitto: Oura's
moments as event entities and bus events, the sync button, the blueprints and the DOCS
examples.

The core gets counters, automations triggered by each event entity, instances of the
repository's blueprints and a core-API event automation from its own configuration. The
simulated night is not over when the account connects (its clock starts at 02:00), so the
moments happen afterwards, made by the simulator's control routes. The scenarios run in
order on one add-on data directory.
"""

from __future__ import annotations

import re
import shutil
import time as clock
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml

from oura_addon.simulator import SimulatorServer
from tests.addon_process import PanelClient, simulated_oura, wait_for
from tests.ha_core import REPO_ROOT, HomeAssistantCore
from tests.integration.test_mqtt_discovery_core import (
    BROKER_PASSWORD,
    BROKER_USER,
    Addon,
    entity_registry,
    oura_devices,
    set_up_mqtt_integration,
)
from tests.mosquitto import Mosquitto, require_mosquitto

pytestmark = [pytest.mark.ha, pytest.mark.mqtt, pytest.mark.slow]

CLIENT_ID = "mqtt-test-client"  # the Addon runner of the MQTT test writes these options
CLIENT_SECRET = "mqtt-test-secret-77a1"
HELSINKI = ZoneInfo("Europe/Helsinki")
BLUEPRINTS = REPO_ROOT / "blueprints" / "automation" / "oura"
DOCS = REPO_ROOT / "DOCS.md"
EVENT_ENTITIES = {
    "night": ("event.oura_night", "ready"),
    "workout": ("event.oura_workout", "recorded"),
    "session": ("event.oura_session", "recorded"),
    "tag": ("event.oura_tag", "added"),
}
COUNTERS = [
    *EVENT_ENTITIES,
    "blueprint_workouts",
    "core_workouts",
    "core_nights",
]


def counter_automation(key: str) -> dict[str, Any]:
    entity_id, event_type = EVENT_ENTITIES[key]
    return {
        "id": f"count_{key}",
        "alias": f"Count {key}",
        "mode": "queued",
        "triggers": [
            {
                "trigger": "state",
                "entity_id": entity_id,
                "not_from": ["unavailable"],
                "not_to": ["unavailable", "unknown"],
            }
        ],
        "conditions": [
            {
                "condition": "template",
                "value_template": (
                    f"{{{{ trigger.to_state.attributes.event_type == '{event_type}' }}}}"
                ),
            }
        ],
        "actions": [{"action": "counter.increment", "target": {"entity_id": f"counter.{key}"}}],
    }


AUTOMATIONS: list[dict[str, Any]] = [
    *(counter_automation(key) for key in EVENT_ENTITIES),
    {
        "id": "blueprint_after_workout",
        "alias": "After a workout (blueprint)",
        "use_blueprint": {
            "path": "oura/after_workout.yaml",
            "input": {
                "workout_event": "event.oura_workout",
                "activities": ["cycling"],
                "actions": [
                    {
                        "action": "counter.increment",
                        "target": {"entity_id": "counter.blueprint_workouts"},
                    }
                ],
            },
        },
    },
    {
        "id": "blueprint_morning_summary",
        "alias": "Morning summary (blueprint)",
        "use_blueprint": {
            "path": "oura/morning_summary.yaml",
            "input": {
                "night_event": "event.oura_night",
                "notify_action": "persistent_notification.create",
                "title": "Oura morning",
            },
        },
    },
    *(
        {
            "id": f"core_{key}",
            "alias": f"Core API {key}",
            "triggers": [
                {"trigger": "event", "event_type": bus, "event_data": {"account": "oura"}}
            ],
            "actions": [
                {"action": "counter.increment", "target": {"entity_id": f"counter.core_{key}"}}
            ],
        }
        for key, bus in (("workouts", "oura_workout_recorded"), ("nights", "oura_night_ready"))
    ),
]

EXTRA_CONFIGURATION = (
    "automation: !include automations.yaml\n"
    + "counter:\n"
    + "".join(f"  {name}:\n    initial: 0\n" for name in COUNTERS)
)


# -- fixtures ---------------------------------------------------------------------------------


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
def core(ha_install, broker, tmp_path_factory) -> Iterator[HomeAssistantCore]:
    config_dir = tmp_path_factory.mktemp(f"ha-automations-{ha_install.version}")
    (config_dir / "automations.yaml").write_text(yaml.safe_dump(AUTOMATIONS), encoding="utf-8")
    shutil.copytree(BLUEPRINTS, config_dir / "blueprints" / "automation" / "oura")
    running = HomeAssistantCore(ha_install, config_dir, extra_configuration=EXTRA_CONFIGURATION)
    try:
        running.start()
        set_up_mqtt_integration(running, broker)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    # 02:00 on today's date: last night is not over, so it arrives after connecting.
    with simulated_oura(
        CLIENT_ID, CLIENT_SECRET, users=1, days=10, start_time=time(2, 0), wake_times=("08:00",)
    ) as server:
        yield server


@pytest.fixture(scope="module")
def addon(core, simulator, tmp_path_factory) -> Iterator[Addon]:
    runner = Addon(tmp_path_factory.mktemp("addon-automations"), simulator, core)
    try:
        yield runner
    finally:
        runner.stop()


@pytest.fixture(scope="module")
def panel(addon, broker, core, simulator) -> PanelClient:
    # A workout of yesterday evening: there before the account is connected, never fired.
    yesterday = simulator.simulator.now() - timedelta(hours=6)
    add_moment(simulator, "workout", at=yesterday)
    client = addon.start(broker)
    assert "Connected" in client.connect_with_auto_approve("oura").text
    wait_for(
        lambda: all(core.get_state(e) is not None for e, _ in EVENT_ENTITIES.values()),
        90,
        what="the event entities",
    )
    wait_for(lambda: core.get_state("button.oura_sync_now") is not None, 30, what="the button")
    wait_for(
        lambda: (
            (core.get_state("sensor.oura_sleep_score") or {}).get("state")
            not in (None, "unknown", "unavailable")
        ),
        60,
        what="the sensors",
    )
    return client


# -- helpers ----------------------------------------------------------------------------------


def add_moment(simulator: SimulatorServer, kind: str, **body: Any) -> dict[str, Any]:
    if isinstance(body.get("at"), datetime):
        body["at"] = body["at"].isoformat()
    answer = requests.post(
        f"{simulator.url}/_sim/moments", json={"kind": kind, "user": 1, **body}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def publish_night(simulator: SimulatorServer) -> None:
    answer = requests.post(f"{simulator.url}/_sim/night", json={"user": 1}, timeout=10)
    assert answer.status_code == 200, answer.text


def oura_requests(simulator: SimulatorServer) -> list[dict[str, Any]]:
    log = requests.get(f"{simulator.url}/_sim/requests", timeout=10).json()["requests"]
    return [r for r in log if r["path"].startswith("/v2/usercollection/")]


def counters(core: HomeAssistantCore) -> dict[str, int]:
    states = core.get_states()
    return {name: int(float(states[f"counter.{name}"]["state"])) for name in COUNTERS}


def press_sync(core: HomeAssistantCore) -> None:
    response = requests.post(
        f"{core.api_url}/services/button/press",
        json={"entity_id": "button.oura_sync_now"},
        headers=core.headers,
        timeout=10,
    )
    response.raise_for_status()


def synced_after(client: PanelClient, before: str | None, timeout: float = 60) -> None:
    wait_for(
        lambda: (
            (client.account("oura") or {}).get("last_sync") not in (None, before)
            and not client.account("oura")["syncing"]
        ),
        timeout,
        what="a sync",
    )


def docs_blocks(marker: str) -> list[Any]:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(rf"<!-- {marker} -->\n```yaml\n(.*?)```", text, re.DOTALL)
    assert blocks, f"no {marker} example in DOCS.md"
    return [yaml.safe_load(block) for block in blocks]


# -- scenarios, in order ----------------------------------------------------------------------


def test_the_event_entities_and_the_button_are_under_the_accounts_device(panel, core):
    (device,) = oura_devices(core)
    mine = {e["entity_id"]: e for e in entity_registry(core) if e["device_id"] == device["id"]}
    for entity_id, _ in EVENT_ENTITIES.values():
        assert mine[entity_id]["platform"] == "mqtt"
        assert mine[entity_id]["unique_id"].startswith("oura_")
    assert mine["button.oura_sync_now"]["unique_id"].endswith("_sync_now")
    assert "sensor.oura_sleep_score" in mine
    # Rarely used ones are there, disabled by the integration until the user enables them.
    assert mine["sensor.oura_readiness_hrv_balance_score"]["disabled_by"] == "integration"
    assert mine["sensor.oura_readiness_score"]["disabled_by"] is None
    assert core.get_state("sensor.oura_readiness_hrv_balance_score") is None
    assert core.get_state("event.oura_night")["attributes"]["event_types"] == ["ready"]


def test_connecting_fired_nothing_of_the_past(panel, core):
    clock.sleep(2)
    assert set(counters(core).values()) == {0}


def test_pressing_the_button_in_home_assistant_makes_the_addon_ask_oura(panel, core, simulator):
    before_sync = panel.account("oura")["last_sync"]
    asked = len(oura_requests(simulator))
    press_sync(core)
    wait_for(
        lambda: (
            {r["path"].rsplit("/", 1)[1] for r in oura_requests(simulator)[asked:]}
            >= {"daily_sleep", "workout", "session", "enhanced_tag"}
        ),
        60,
        what="the add-on to ask Oura after the press",
    )
    synced_after(panel, before_sync)
    assert set(counters(core).values()) == {0}


def test_each_moment_runs_its_automation_once(panel, core, simulator):
    workout = add_moment(simulator, "workout", fields={"activity": "cycling"})
    session = add_moment(simulator, "session")
    add_moment(simulator, "enhanced_tag", fields={"custom_name": "Late coffee"})
    publish_night(simulator)
    before = panel.account("oura")["last_sync"]
    press_sync(core)
    synced_after(panel, before)
    wait_for(
        lambda: all(counters(core)[k] == 1 for k in EVENT_ENTITIES),
        30,
        what=f"each event automation to run (counters {counters(core)})",
    )
    night = core.get_state("event.oura_night")["attributes"]
    sleep_score = core.get_state("sensor.oura_sleep_score")
    assert night["event_type"] == "ready"
    assert str(night["sleep_score"]) == sleep_score["state"]
    assert night["day"] == sleep_score["attributes"]["day"]
    assert night["readiness_score"] is not None
    recorded = core.get_state("event.oura_workout")["attributes"]
    assert recorded["id"] == workout["id"]
    assert recorded["activity"] == "cycling"
    assert recorded["calories"] == round(workout["calories"])
    assert core.get_state("event.oura_session")["attributes"]["id"] == session["id"]
    assert core.get_state("event.oura_tag")["attributes"]["custom_name"] == "Late coffee"
    # Blueprints instantiated from YAML ran end to end: the workout filter, the summary's
    # numbers in a notification.
    wait_for(lambda: counters(core)["blueprint_workouts"] == 1, 30, what="the blueprint")
    summaries = [n for n in core.notifications().values() if n.get("title") == "Oura morning"]
    assert len(summaries) == 1
    assert f"Sleep score {sleep_score['state']}" in summaries[0]["message"]
    assert counters(core)["core_workouts"] == 0  # MQTT mode: nothing on the bus


def test_a_restart_a_reconcile_and_another_press_fire_nothing_again(
    panel, addon, broker, core, simulator
):
    expected = counters(core)
    addon.stop()
    client = addon.start(broker)
    # The first sync after a start reaches back reconcile_days for every daily endpoint.
    wait_for(lambda: (client.account("oura") or {}).get("last_sync"), 60, what="a sync")
    wait_for(
        lambda: core.get_state("event.oura_night")["state"] != "unavailable",
        30,
        what="the event entities to come back",
    )
    before = client.account("oura")["last_sync"]
    press_sync(core)
    synced_after(client, before)
    clock.sleep(2)
    assert counters(core) == expected
    assert len([n for n in core.notifications().values() if n.get("title") == "Oura morning"]) == 1


def test_every_blueprint_is_listed_by_the_core(panel, core):
    listed = core.websocket_command({"type": "blueprint/list", "domain": "automation"})
    ours = {path: body for path, body in listed.items() if path.startswith("oura/")}
    assert set(ours) == {f"oura/{p.name}" for p in BLUEPRINTS.glob("*.yaml")}
    assert len(ours) >= 3
    for path, body in ours.items():
        assert "error" not in body, (path, body)
        assert body["metadata"]["domain"] == "automation"


def test_the_core_logged_no_problem_with_the_events_button_or_blueprints(core):
    # Before the switch to the core API below (removing a device makes 2025.4 log warnings).
    problems = core.problems_since(0)
    assert not problems, "\n".join(problems)


def test_core_api_mode_fires_the_moments_on_the_bus(panel, addon, broker, core, simulator):
    addon.stop()
    client = addon.start(broker, publish_mode="core_api")
    assert client.status()["publish"]["mode"] == "core_api"
    wait_for(lambda: (client.account("oura") or {}).get("last_sync"), 60, what="a sync")
    before = client.account("oura")["last_sync"]
    add_moment(simulator, "workout", fields={"activity": "walking"})
    client.sync("oura")
    synced_after(client, before)
    wait_for(lambda: counters(core)["core_workouts"] == 1, 30, what="the bus event automation")
    assert counters(core)["core_nights"] == 0  # the night was announced already over MQTT
    assert counters(core)["workout"] == 1


def test_the_docs_automations_and_dashboard_pass_the_cores_configuration_check(core, tmp_path):
    automations = docs_blocks("automation")
    (dashboard,) = docs_blocks("dashboard")
    (tmp_path / "automations.yaml").write_text(yaml.safe_dump(automations), encoding="utf-8")
    (tmp_path / "oura_dashboard.yaml").write_text(yaml.safe_dump(dashboard), encoding="utf-8")
    (tmp_path / "configuration.yaml").write_text(
        "homeassistant:\n  time_zone: Europe/Helsinki\n"
        "automation: !include automations.yaml\n"
        "input_boolean:\n  awake:\n"
        "lovelace:\n  dashboards:\n    oura-sleep:\n      mode: yaml\n"
        "      filename: oura_dashboard.yaml\n      title: Oura\n",
        encoding="utf-8",
    )
    report = core.install.check_config(tmp_path)
    assert report.startswith("exit 0"), report
    assert "EXCEPT {}" in report and "WARN {}" in report, report
    assert not re.search(r"^(ERROR|CRITICAL|WARNING) ", report, re.MULTILINE), report
    # The check proves it would catch a broken one.
    broken = [{**automations[0], "triggers": [{"trigger": "stat", "entity_id": "event.x"}]}]
    (tmp_path / "automations.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert re.search(r"^ERROR ", core.install.check_config(tmp_path), re.MULTILINE)
    # Every card's entity is a catalogue sensor with statistics (the statistics graph needs
    # them); the running core validates every automation's parts too.
    cards = dashboard["views"][0]["cards"]
    assert {c["type"] for c in cards} >= {"tile", "statistics-graph"}
    graph = next(c for c in cards if c["type"] == "statistics-graph")
    assert graph["days_to_show"] >= 365
    assert core.get_state(graph["entities"][0])["attributes"]["state_class"] == "measurement"
    for automation in automations:
        parts = {k: automation[k] for k in ("triggers", "conditions", "actions") if k in automation}
        result = core.websocket_command({"type": "validate_config", **parts})
        assert all(part["valid"] for part in result.values()), (automation["alias"], result)
