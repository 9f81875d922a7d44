"""Webhook subscriptions across restarts: a kill -9 while Oura creates or renews them, a
restart, Oura losing them, and the option removed. Oura's list (the simulator's) must end
with exactly one subscription per (data type, event type) pair, or none."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from oura_addon.simulator import SimulatorServer
from tests.addon_process import simulated_oura, wait_for
from tests.process.test_webhooks import CLIENT_ID, CLIENT_SECRET, PAIRS, PushedAddon

pytestmark = pytest.mark.slow


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=1, days=3) as server:
        yield server


@pytest.fixture
def addon(simulator, tmp_path) -> Iterator[PushedAddon]:
    """Connected once without webhooks, then stopped: each test starts it as it needs."""
    addon = PushedAddon(tmp_path, simulator.url)
    panel = addon.start(push=False)
    assert "Connected" in panel.connect_with_auto_approve("oura", user=1).text
    wait_for(lambda: panel.account("oura")["last_sync"], 60, what="the first sync")
    addon.stop()
    yield addon
    addon.process.kill()


def _pairs(simulator: SimulatorServer) -> dict[str, int]:
    return simulator.simulator.webhooks.pairs()


def _one_each(simulator: SimulatorServer) -> bool:
    pairs = _pairs(simulator)
    return len(pairs) == PAIRS and set(pairs.values()) == {1}


def _stored_ids(addon: PushedAddon) -> set[str]:
    stored = json.loads((addon.process.data_dir / "webhooks.json").read_text())
    return {s["id"] for s in stored["subscriptions"]}


def _oura_ids(simulator: SimulatorServer) -> set[str]:
    return {s["id"] for s in simulator.simulator.webhooks.listing()}


def test_a_kill_during_creation_and_a_restart_leave_one_per_pair(simulator, addon):
    webhooks = simulator.simulator.webhooks
    webhooks.answer_delay = 1.0  # each creation takes effect, then answers a second later
    addon.start()
    wait_for(lambda: len(webhooks.listing()) >= 3, 60, what="creations under way")
    addon.process.kill()  # kill -9: ids Oura made were never seen by the add-on
    made = len(webhooks.listing())
    assert 3 <= made < PAIRS
    webhooks.answer_delay = 0.0
    panel = addon.start()
    wait_for(lambda: _one_each(simulator), 90, what="one subscription per pair after restart")
    wait_for(lambda: panel.status()["webhooks"]["state"] == "active", 30, what="active")
    assert _stored_ids(addon) == _oura_ids(simulator)
    addon.stop()
    # A clean restart changes nothing at Oura.
    before = _oura_ids(simulator)
    addon.start()
    time.sleep(3)
    assert _oura_ids(simulator) == before and _one_each(simulator)
    addon.stop()


def test_a_kill_during_renewal_leaves_every_pair_renewed_once(simulator, addon):
    webhooks = simulator.simulator.webhooks
    addon.start()
    wait_for(lambda: _one_each(simulator), 90, what="the subscriptions")
    addon.stop()
    ids = _oura_ids(simulator)
    webhooks.expire_in(3600)  # an hour left: well inside the renewal margin
    webhooks.answer_delay = 1.0
    addon.start()
    soon = datetime.now(UTC) + timedelta(days=1)

    def renewed() -> int:
        return sum(
            datetime.fromisoformat(s["expiration_time"].replace("Z", "+00:00")) > soon
            for s in webhooks.listing()
        )

    wait_for(lambda: renewed() >= 2, 60, what="renewals under way")
    addon.process.kill()
    assert renewed() < PAIRS
    webhooks.answer_delay = 0.0
    addon.start()
    wait_for(lambda: renewed() == PAIRS, 90, what="every subscription renewed")
    assert _one_each(simulator)
    assert _oura_ids(simulator) == ids  # renewed, not re-created
    addon.stop()


def test_subscriptions_oura_lost_are_created_again(simulator, addon):
    addon.start()
    wait_for(lambda: _one_each(simulator), 90, what="the subscriptions")
    addon.stop()
    simulator.simulator.webhooks.lose_all()
    addon.start()
    wait_for(lambda: _one_each(simulator), 90, what="the subscriptions created again")
    addon.stop()


def test_removing_the_option_deletes_them(simulator, addon):
    addon.start()
    wait_for(lambda: _one_each(simulator), 90, what="the subscriptions")
    addon.stop()
    panel = addon.start(push=False)
    wait_for(lambda: not _pairs(simulator), 60, what="every subscription deleted")
    assert panel.status()["webhooks"]["state"] == "off"
    stored = json.loads((addon.process.data_dir / "webhooks.json").read_text())
    assert stored["subscriptions"] == [] and stored["client"] is None
    addon.stop()
