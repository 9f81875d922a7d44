"""The scheduler follows each account's schedule: what a sync asks, and when the next one is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oura_addon.oura.client import RateLimited
from oura_addon.scheduling import Scheduler
from oura_addon.settings import Settings
from oura_addon.store.accounts import AccountStore
from oura_addon.store.trends import TrendStore
from tests.simulator.conftest import FakeClock
from tests.unit.scheduling.test_loop import (
    NOW,
    FakeClient,
    FakeHomeAssistant,
    FakePublisher,
    _records,
    _tokens,
)


@pytest.fixture
def setup(tmp_path):
    clock = FakeClock(datetime.fromtimestamp(NOW, UTC))
    accounts = AccountStore(tmp_path, clock=clock)
    accounts.create("me")
    accounts.save_tokens("me", _tokens(), email="me@example.com")
    client = FakeClient(_records())
    publisher = FakePublisher()
    scheduler = Scheduler(
        settings=Settings(data_dir=tmp_path, poll_interval_minutes=10),
        accounts=accounts,
        oura_client=lambda _name: client,
        trends=TrendStore(tmp_path),
        ha=FakeHomeAssistant(),
        publisher=publisher,
        clock=clock,
    )
    return scheduler, client, clock, publisher


def asked(client: FakeClient) -> set[str]:
    names = {name for call, _, _ in client.calls for name in call}
    client.calls.clear()
    return names


def test_a_later_sync_asks_only_what_is_due_and_the_rest_keeps_its_state(setup):
    scheduler, client, clock, publisher = setup
    scheduler.sync_account("me")
    assert asked(client) >= {"daily_sleep", "heartrate"}
    clock.now += 60
    assert scheduler.sync_due("me") is not None
    assert asked(client) == set()  # nothing can have changed within a minute of a full sync
    clock.now += 10 * 60
    scheduler.sync_due("me")
    assert "heartrate" in asked(client)  # daytime data at the poll interval...
    assert publisher.published["sensor.oura_sleep_score"].state == "81"  # ...the night kept


def test_a_rate_limit_waits_everything_and_sync_now_still_asks_everything(setup):
    scheduler, client, clock, _ = setup
    client.errors = {"daily_sleep": RateLimited("daily_sleep", 1800)}
    scheduler.sync_account("me")
    asked(client)
    client.errors = {}
    clock.now += 20 * 60
    next_due = scheduler.sync_due("me")
    assert asked(client) == set()
    assert next_due is not None and next_due >= NOW + 1800
    plans = scheduler.account_snapshot("me").schedule
    assert {p.reason for p in plans} == {"rate_limited"}
    scheduler.sync_now("me")
    scheduler.sync_due("me")
    assert asked(client) >= {"daily_sleep", "heartrate"}


def test_the_account_snapshot_tells_each_groups_next_fetch(setup):
    scheduler, _client, _clock, _ = setup
    scheduler.sync_account("me")
    plans = {p.group: p for p in scheduler.account_snapshot("me").schedule}
    assert set(plans) == {"night", "daytime"}  # the test tokens grant no slow endpoint
    assert plans["daytime"].next_fetch.timestamp() == NOW + 600
    assert "next check at" in plans["daytime"].message
