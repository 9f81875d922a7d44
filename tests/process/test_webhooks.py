"""Push from Oura, end to end: the real add-on process, its webhook port, and the simulator's
subscription API and signed deliveries.

The simulator's clock runs 60 times faster (a simulated minute a real second), so its users'
phones sync every 15 to 60 real seconds and each sync changes today's activity: the push
is what brings it in, since the add-on's own poll interval is an hour.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oura_addon.simulator import SimulatorServer
from oura_addon.simulator.webhooks import sign
from tests.addon_process import (
    AddonProcess,
    PanelClient,
    addon_environment,
    free_port,
    simulated_oura,
    wait_for,
    write_options,
)

pytestmark = pytest.mark.slow

CLIENT_ID, CLIENT_SECRET = "push-client", "push-secret-5d1a"
# Every data type the add-on reads that Oura pushes, created and updated.
PAIRS = 30
NOWHERE = "http://127.0.0.1:9/api"


def _options(webhook_url: str | None) -> dict:
    options = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "poll_interval": 60}
    if webhook_url:
        options["webhook_url"] = webhook_url
    return options


class PushedAddon:
    """The add-on process with a webhook port, restartable (and killable) on one /data."""

    def __init__(self, root: Path, simulator_url: str) -> None:
        self.root = root
        self.webhook_port = free_port()
        self.webhook_url = f"http://127.0.0.1:{self.webhook_port}/webhook"
        data_dir = root / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = addon_environment(data_dir, simulator_url, NOWHERE)
        env["OURA_WEBHOOK_PORT"] = str(self.webhook_port)
        self.process = AddonProcess(data_dir=data_dir, log_path=root / "addon.log", env=env)

    def start(self, *, push: bool = True) -> PanelClient:
        write_options(self.process.data_dir, _options(self.webhook_url if push else None))
        self.process.start()
        return PanelClient(self.process.url)

    def stop(self) -> None:
        assert self.process.stop() is not None, self.process.log_text


def _pairs(simulator: SimulatorServer) -> dict[str, int]:
    return simulator.simulator.webhooks.pairs()


def _one_each(simulator: SimulatorServer) -> bool:
    pairs = _pairs(simulator)
    return len(pairs) == PAIRS and set(pairs.values()) == {1}


def _state(account: dict, entity_id: str) -> str:
    return next(e["state"] for e in account["entities"] if e["entity_id"] == entity_id)


def _single_document_fetches(simulator: SimulatorServer) -> int:
    return sum(
        1
        for e in simulator.simulator.requests.entries()
        if e.path.startswith("/v2/usercollection/") and e.path.count("/") == 4
    )


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=2, days=5, clock_speed=60) as server:
        yield server


@pytest.fixture(scope="module")
def pushed(simulator, tmp_path_factory) -> Iterator[tuple[PushedAddon, PanelClient]]:
    addon = PushedAddon(tmp_path_factory.mktemp("push"), simulator.url)
    panel = addon.start()
    assert "Connected" in panel.connect_with_auto_approve("oura", user=1).text
    wait_for(lambda: panel.account("oura")["last_sync"], 60, what="the first sync")
    try:
        yield addon, panel
    finally:
        addon.stop()


def test_subscriptions_are_created_verified_and_shown(pushed, simulator):
    addon, panel = pushed
    wait_for(lambda: _one_each(simulator), 60, what="one subscription per pair")
    webhooks = wait_for(
        lambda: (w := panel.status()["webhooks"])["state"] == "active" and w, 30, what="active"
    )
    assert webhooks["url"] == addon.webhook_url
    assert len(webhooks["subscriptions"]) == PAIRS
    assert {s["data_type"] for s in webhooks["subscriptions"]} >= {"daily_activity", "sleep"}
    assert all(s["expiration"] for s in webhooks["subscriptions"])
    # The verification token never reaches the log.
    token = json.loads((addon.process.data_dir / "webhooks.json").read_text())
    assert token["verification_token"] not in addon.process.log_text


def test_an_event_updates_the_sensor_within_seconds(pushed, simulator):
    _, panel = pushed
    wait_for(lambda: _one_each(simulator), 60, what="the subscriptions")
    before = _state(panel.account("oura"), "sensor.oura_steps")
    fetched = _single_document_fetches(simulator)
    started = time.monotonic()
    # The next phone sync (at most a minute away) changes today's steps; no poll is due
    # for an hour, so only the push can bring the new count in.
    changed = wait_for(
        lambda: (s := _state(panel.account("oura"), "sensor.oura_steps")) != before and s,
        120,
        interval=0.5,
        what="the steps sensor to follow the pushed event",
    )
    assert changed != before
    assert _single_document_fetches(simulator) > fetched
    delivered = [
        d
        for d in simulator.simulator.webhooks.deliveries
        if d.delivered and d.event["data_type"] == "daily_activity"
    ]
    assert delivered, "no daily_activity event was delivered"
    assert time.monotonic() - started < 120


def _post(addon: PushedAddon, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(addon.webhook_url, data=body, headers=headers, timeout=10)


def _signed(body: bytes, stamp: str | None = None, secret: str = CLIENT_SECRET) -> dict:
    stamp = stamp or str(int(time.time()))
    return {"x-oura-timestamp": stamp, "x-oura-signature": sign(secret, stamp, body)}


def test_forged_stale_replayed_oversized_and_wrong_token_are_refused(pushed, simulator):
    addon, _ = pushed
    simulator.simulator.webhooks.paused = True  # only this test's requests reach the port
    try:
        fetched = _single_document_fetches(simulator)
        event = {
            "event_type": "update",
            "data_type": "meal",  # a type the add-on does not use: acknowledged, ignored
            "object_id": "x",
            "event_time": "2026-01-01T08:00:00+00:00",
            "user_id": "nobody",
        }
        body = json.dumps(event).encode()
        forged = _post(addon, body, _signed(body, secret="not-the-secret"))
        assert forged.status_code == 401
        assert _post(addon, body, {}).status_code == 401
        stale = _post(addon, body, _signed(body, stamp=str(int(time.time()) - 600)))
        assert stale.status_code == 401
        headers = _signed(body)
        assert _post(addon, body, headers).status_code == 200
        assert _post(addon, body, headers).status_code == 409  # the same body again
        big = json.dumps({**event, "pad": "x" * 17000}).encode()
        assert _post(addon, big, _signed(big)).status_code in (413, 400)
        wrong = requests.get(
            addon.webhook_url,
            params={"verification_token": "guess", "challenge": "c"},
            timeout=10,
        )
        assert wrong.status_code == 401 and "c" not in wrong.text
        assert (
            requests.get(addon.webhook_url.replace("/webhook", "/"), timeout=10).status_code == 404
        )
        time.sleep(1)
        assert _single_document_fetches(simulator) == fetched
    finally:
        simulator.simulator.webhooks.paused = False


def test_test_asks_oura_to_verify_the_address_again(pushed, simulator):
    addon, panel = pushed
    wait_for(lambda: _one_each(simulator), 60, what="the subscriptions")
    checks = simulator.simulator.webhooks.verifications
    before = len(checks)
    answer = panel.session.post(f"{panel.base_url}/api/webhooks/test", json={}, timeout=10)
    assert answer.status_code == 202
    wait_for(
        lambda: len(checks) >= before + PAIRS,
        60,
        what="Oura's verification of every subscription",
    )
    assert all(checks[before:])
    assert addon.process.log_text.count("Oura verified the address") == 1
    assert panel.status()["webhooks"]["verified"] is True


def test_a_taken_webhook_port_leaves_the_panel_and_polling_running(tmp_path):
    import socket

    addon = PushedAddon(tmp_path, "http://127.0.0.1:9")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", addon.webhook_port))
        squatter.listen()
        panel = addon.start()
        try:
            assert panel.status()["webhooks"]["url"] == addon.webhook_url
            assert "cannot listen on port" in addon.process.log_text
        finally:
            addon.stop()
