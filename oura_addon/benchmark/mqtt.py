"""``python -m oura_addon.benchmark mqtt``: messages the MQTT publisher sends per cycle.

Three simulated accounts go through the real path (Oura simulator -> client -> catalogue ->
MQTT publisher) to a broker on loopback: Debian's ``mosquitto`` started on a free port, or
the one given with ``--broker host:port``. Printed: messages of the first cycle, of an
unchanged cycle (the goal is 0), of a cycle where one value changed, and of Home
Assistant's birth message.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from oura_addon import catalogue
from oura_addon.homeassistant.broker import Broker, BrokerLookup
from oura_addon.homeassistant.discovery import BIRTH_TOPIC, ONLINE
from oura_addon.homeassistant.mqtt import AccountRef, MqttPublisher, new_client
from oura_addon.oura.client import OuraClient
from oura_addon.oura.endpoints import ENDPOINTS
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.states import EntityState

TZ = ZoneInfo("Europe/Helsinki")
NAMES = ("alice", "bob", "carol")


class _Tokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self, force_refresh: bool = False) -> str:
        return self.token


@contextmanager
def _mosquitto(address: str | None) -> Iterator[Broker]:
    if address:
        host, _, port = address.rpartition(":")
        yield Broker(host or "127.0.0.1", int(port))
        return
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise SystemExit("mosquitto is not installed; pass --broker HOST:PORT")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Broker("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _states(clients: dict[str, OuraClient]) -> dict[str, EntityState]:
    today = datetime.now(TZ).date()
    now = datetime.now(TZ)
    endpoints = [e for e in ENDPOINTS if e.name != "personal_info"]
    states: dict[str, EntityState] = {}
    for index, (name, client) in enumerate(clients.items()):
        prefix = "oura" if index == 0 else f"oura_{name}"
        records = client.sync(endpoints, today - timedelta(days=2), today + timedelta(1)).records
        states |= catalogue.build_states(prefix, records, today=today, tz=TZ, now=now)
        connected = catalogue.connected_state(prefix, True, reason=None, email=None)
        states[connected.entity_id] = connected
    return states


def report(broker_address: str | None = None) -> None:
    config = SimulatorConfig(client_id="bench", client_secret="bench-secret", days=10, users=3)
    simulator = create_simulator(config)
    with (
        SimulatorServer(simulator) as oura,
        _mosquitto(broker_address) as broker,
        tempfile.TemporaryDirectory() as tmp,
    ):
        clients = {
            name: OuraClient(oura.url, _Tokens(simulator.issue_tokens(user)["access_token"]))
            for user, name in enumerate(NAMES, start=1)
        }
        accounts = [
            AccountRef(name, "oura" if i == 0 else f"oura_{name}") for i, name in enumerate(NAMES)
        ]
        publisher = MqttPublisher(
            lookup=lambda: BrokerLookup(broker),
            accounts=lambda: accounts,
            identify=lambda name: f"bench-{name}",
            state_path=Path(tmp) / "mqtt.json",
        )
        publisher.start()
        if not publisher.wait_connected(10):
            raise SystemExit(f"no broker answered at {broker.address}")
        print(f"MQTT publisher, 3 accounts, broker {broker.address}")

        def cycle(label: str, states: dict[str, EntityState]) -> None:
            before, started = publisher.messages_sent, time.perf_counter()
            publisher.publish(states)
            took = (time.perf_counter() - started) * 1000
            print(f"  {label:<44}messages={publisher.messages_sent - before:<4} {took:.0f} ms")

        states = _states(clients)
        cycle("first cycle (discovery + every state)", states)
        cycle("next cycle, nothing changed", _states(clients))
        changed = dict(states)
        score = changed["sensor.oura_sleep_score"]
        changed[score.entity_id] = EntityState(score.entity_id, "1", score.attributes)
        cycle("one value changed", changed)
        before = publisher.messages_sent
        birth = new_client(broker, "bench-home-assistant")
        birth.connect(broker.host, broker.port)
        birth.loop_start()
        birth.publish(BIRTH_TOPIC, ONLINE, qos=1).wait_for_publish(5)
        time.sleep(2.0)
        birth.disconnect()
        birth.loop_stop()
        print(f"  {'Home Assistant birth message':<44}messages={publisher.messages_sent - before}")
        publisher.stop()
