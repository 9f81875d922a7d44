"""The MQTT publisher against a real mosquitto: what the broker holds, and how many
messages each cycle costs."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from oura_addon import catalogue
from oura_addon.homeassistant.broker import Broker, BrokerLookup
from oura_addon.homeassistant.discovery import ADDON_AVAILABILITY_TOPIC, BIRTH_TOPIC
from oura_addon.homeassistant.mqtt import AccountRef, MqttPublisher, probe_broker
from oura_addon.states import EntityState
from tests.mosquitto import Mosquitto

pytestmark = pytest.mark.mqtt

DISCOVERY = "homeassistant/device/oura_user-1/config"
SCORE_TOPIC = "oura/oura_user-1/sleep_score"


def account_states(prefix: str = "oura", score: str = "81") -> dict[str, EntityState]:
    states = catalogue.build_states(
        prefix, {}, today=date(2026, 12, 1), tz=UTC, now=datetime(2026, 12, 1, 8, tzinfo=UTC)
    )
    sleep = states[f"sensor.{prefix}_sleep_score"]
    states[sleep.entity_id] = EntityState(
        sleep.entity_id, score, {**sleep.attributes, "day": "2026-12-01"}
    )
    connected = catalogue.connected_state(prefix, True, reason=None, email="a@example.com")
    states[connected.entity_id] = connected
    return states


def make_publisher(
    broker: Mosquitto,
    data: Path,
    accounts: list[AccountRef] | None = None,
    *,
    retire: bool = False,
    home_assistant_up=lambda: True,
    password: str | None = None,
) -> MqttPublisher:
    users = {"oura": "user-1", "work": "user-2"}
    found = Broker(broker.host, broker.port, broker.username, password or broker.password)
    return MqttPublisher(
        lookup=lambda: BrokerLookup(found),
        accounts=lambda: accounts if accounts is not None else [AccountRef("oura", "oura")],
        identify=users.get,
        state_path=data / "mqtt.json",
        configuration_url="homeassistant://hassio/ingress/oura",
        home_assistant_up=home_assistant_up,
        retire=retire,
    )


@pytest.fixture
def started(mosquitto: Mosquitto, tmp_path: Path):
    publisher = make_publisher(mosquitto, tmp_path)
    publisher.start()
    assert publisher.wait_connected(10)
    yield publisher
    publisher.stop()


def test_one_retained_device_message_with_every_catalogue_entity(mosquitto, started):
    started.publish(account_states())
    watcher = mosquitto.watcher("homeassistant/#", "oura/#")
    config = json.loads(watcher.retained[DISCOVERY])
    assert config["device"]["identifiers"] == ["oura_user-1"]
    assert config["device"]["manufacturer"] == "Oura"
    # The sensors, the connected sensor, four event entities and the sync button.
    assert len(config["components"]) == len(catalogue.SENSORS) + 1 + 4 + 1
    assert json.loads(watcher.retained[SCORE_TOPIC]) == {
        "state": "81",
        "attributes": {"day": "2026-12-01"},
    }
    assert watcher.retained[ADDON_AVAILABILITY_TOPIC] == "online"
    assert watcher.retained["oura/oura_user-1/availability"] == "online"
    watcher.close()


def test_an_unchanged_cycle_sends_no_message_and_a_changed_value_one(mosquitto, started):
    started.publish(account_states())
    watcher = mosquitto.watcher("homeassistant/#", "oura/#")
    watcher.clear()
    before = started.messages_sent
    result = started.publish(account_states())
    assert started.messages_sent == before
    assert result.sent == ()
    started.publish(account_states(score="90"))
    watcher.wait_for(lambda w: w.count() >= 1)
    assert [t for t, _, _ in watcher.messages] == [SCORE_TOPIC]
    assert started.messages_sent == before + 1
    watcher.close()


def test_an_account_that_lost_its_authorization_is_unavailable_but_says_so(mosquitto, started):
    started.publish(account_states())
    lost = catalogue.connected_state("oura", False, reason="Oura refused", email=None)
    started.publish({lost.entity_id: lost})
    watcher = mosquitto.watcher("oura/#")
    assert watcher.retained["oura/oura_user-1/availability"] == "offline"
    assert json.loads(watcher.retained["oura/oura_user-1/connected"])["state"] == "off"
    watcher.close()


def test_home_assistant_birth_message_sends_discovery_and_states_again(mosquitto, started):
    started.publish(account_states())
    watcher = mosquitto.watcher(DISCOVERY, SCORE_TOPIC)
    watcher.clear()
    watcher.publish(BIRTH_TOPIC, "online")
    watcher.wait_for(lambda w: {t for t, _, _ in w.messages} == {DISCOVERY, SCORE_TOPIC})
    watcher.close()


def test_a_restarted_broker_gets_everything_back(mosquitto, started):
    started.publish(account_states())
    mosquitto.restart()  # no persistence: every retained message is gone
    assert started.wait_connected(30)
    watcher = mosquitto.watcher(DISCOVERY, SCORE_TOPIC)
    watcher.wait_for(lambda w: DISCOVERY in w.retained and SCORE_TOPIC in w.retained, 20)
    watcher.close()


def test_states_published_while_the_broker_is_down_arrive_when_it_is_back(
    mosquitto, started, tmp_path
):
    started.publish(account_states())
    mosquitto.stop()
    started.publish(account_states(score="55"))  # kept, not lost
    assert (
        json.loads((tmp_path / "mqtt.json").read_text())["states"]["sensor.oura_sleep_score"][
            "state"
        ]
        == "55"
    )
    mosquitto.start()
    assert started.wait_connected(30)
    watcher = mosquitto.watcher(SCORE_TOPIC)
    watcher.wait_for(lambda w: json.loads(w.retained.get(SCORE_TOPIC, "{}")).get("state") == "55")
    assert "Lost the connection" not in (started.last_error or "")
    watcher.close()


def test_clean_stop_says_offline(mosquitto, tmp_path):
    publisher = make_publisher(mosquitto, tmp_path)
    publisher.start()
    assert publisher.wait_connected(10)
    publisher.publish(account_states())
    publisher.stop()
    watcher = mosquitto.watcher(ADDON_AVAILABILITY_TOPIC)
    assert watcher.retained[ADDON_AVAILABILITY_TOPIC] == "offline"
    watcher.close()


def test_a_removal_while_the_broker_is_down_is_done_when_it_is_back(mosquitto, tmp_path):
    accounts = [AccountRef("oura", "oura"), AccountRef("work", "oura_work")]
    publisher = make_publisher(mosquitto, tmp_path, accounts)
    publisher.start()
    assert publisher.wait_connected(10)
    publisher.publish(account_states() | account_states("oura_work"))
    assert publisher.devices() == 2
    mosquitto.stop()
    del accounts[1]
    publisher.remove(catalogue.entity_ids("oura_work"))
    stored = json.loads((tmp_path / "mqtt.json").read_text())
    assert list(stored["removals"]) == ["oura_user-2"]
    publisher.stop()

    # The add-on restarts; the broker comes back (with the retained device, as a persistent
    # broker would keep it): the pending removal clears it.
    mosquitto.start()
    seeding = mosquitto.watcher()
    seeding.publish("homeassistant/device/oura_user-2/config", "{}", retain=True)
    seeding.close()
    again = make_publisher(mosquitto, tmp_path, accounts)
    again.start()
    assert again.wait_connected(10)
    again.ensure_present()
    watcher = mosquitto.watcher("homeassistant/#")
    assert "homeassistant/device/oura_user-2/config" not in watcher.retained
    assert DISCOVERY in watcher.retained
    assert json.loads((tmp_path / "mqtt.json").read_text())["removals"] == {}
    assert again.devices() == 1
    again.stop()
    watcher.close()


def test_a_removal_waits_for_home_assistant(mosquitto, tmp_path):
    up = [False]
    publisher = make_publisher(mosquitto, tmp_path, home_assistant_up=lambda: up[0])
    publisher.start()
    assert publisher.wait_connected(10)
    publisher.publish(account_states())
    publisher.remove(catalogue.entity_ids("oura"))
    watcher = mosquitto.watcher("homeassistant/#")
    assert DISCOVERY in watcher.retained  # Home Assistant would never see it go
    up[0] = True
    publisher.ensure_present()
    watcher.wait_for(lambda w: w.retained.get(DISCOVERY) == "")
    publisher.stop()
    watcher.close()


def test_retiring_clears_every_device_an_earlier_mqtt_mode_announced(mosquitto, tmp_path):
    publisher = make_publisher(mosquitto, tmp_path)
    publisher.start()
    assert publisher.wait_connected(10)
    publisher.publish(account_states())
    publisher.stop()

    retiring = make_publisher(mosquitto, tmp_path, retire=True)
    assert retiring.has_leftovers()
    retiring.start()
    assert retiring.wait_connected(10)
    retiring.ensure_present()
    assert not retiring.has_leftovers()
    retiring.stop()
    watcher = mosquitto.watcher("homeassistant/#", "oura/#")
    assert {t: p for t, p in watcher.retained.items() if p} == {}
    watcher.close()


def test_a_wrong_password_is_one_clear_sentence(locked_mosquitto, tmp_path):
    right = Broker(locked_mosquitto.host, locked_mosquitto.port, "addon", "right")
    assert probe_broker(right).problem is None
    wrong = Broker(locked_mosquitto.host, locked_mosquitto.port, "addon", "wrong")
    probe = probe_broker(wrong)
    problem = probe.problem
    assert probe.refused and problem is not None
    assert f"at {locked_mosquitto.address} refused the add-on's user name or password" in problem
    assert "wrong" not in problem  # never the password


def test_an_unreachable_broker_is_one_clear_sentence():
    from tests.mosquitto import free_port

    probe = probe_broker(Broker("127.0.0.1", free_port()), timeout=2)
    assert not probe.refused
    assert probe.problem is not None and "is not reachable" in probe.problem


def test_a_moment_is_one_message_that_is_not_retained(mosquitto, started):
    from oura_addon.catalogue.events import WORKOUT

    data = {"id": "w1", "activity": "running", "day": "2026-12-01"}
    assert started.fire_event("oura", WORKOUT, data) is False  # no device announced yet
    started.publish(account_states())
    watcher = mosquitto.watcher("oura/oura_user-1/event/#")
    # Just announced: Home Assistant may not listen yet, so the event waits a few seconds.
    assert started.fire_event("oura", WORKOUT, data) is False
    deadline = time.monotonic() + 10
    while not started.fire_event("oura", WORKOUT, data):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    watcher.wait_for(lambda w: w.count() == 1)
    ((topic, payload, retained),) = watcher.messages
    assert topic == "oura/oura_user-1/event/workout"
    assert json.loads(payload) == data | {"event_type": "recorded"}
    assert not retained
    watcher.close()
    later = mosquitto.watcher("oura/oura_user-1/event/#")
    assert later.retained == {}  # a new subscriber (Home Assistant restarting) gets nothing
    later.close()


def test_a_press_syncs_its_account_and_a_retained_press_does_not(mosquitto, tmp_path):
    import threading

    both = [AccountRef("oura", "oura"), AccountRef("work", "oura_work")]
    first = make_publisher(mosquitto, tmp_path, both)
    first.start()
    assert first.wait_connected(10)
    first.publish(account_states() | account_states("oura_work"))  # both devices announced
    first.stop()
    watcher = mosquitto.watcher("homeassistant/#")
    # Left retained by someone while the add-on was away: replayed with the retain flag.
    watcher.publish("oura/oura_user-2/sync_now/press", "PRESS", retain=True)

    pressed: list[str] = []
    seen = threading.Event()

    def on_press(account: str) -> None:
        pressed.append(account)
        seen.set()

    publisher = make_publisher(mosquitto, tmp_path, both)  # the same /data: knows both
    publisher.on_sync_pressed(on_press)
    publisher.start()
    try:
        assert publisher.wait_connected(10)
        time.sleep(0.5)  # the retained press has arrived by now
        assert pressed == []
        watcher.publish("oura/oura_user-1/sync_now/press", "PRESS")
        assert seen.wait(10)
        seen.clear()
        watcher.publish("oura/oura_user-2/sync_now/press", "PRESS")
        assert seen.wait(10)
        assert pressed == ["oura", "work"]
    finally:
        watcher.close()
        publisher.stop()
