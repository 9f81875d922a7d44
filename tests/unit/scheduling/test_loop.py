"""The scheduler's cycle with the real account store, catalogue and history, and fakes for
the two remotes (Oura's client and Home Assistant's publisher)."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

import pytest

from oura_addon.homeassistant import HomeAssistantError
from oura_addon.i18n import Catalogues
from oura_addon.oura.client import (
    AccessDenied,
    ApiUnavailable,
    RateLimited,
    SyncResult,
    Unauthorized,
)
from oura_addon.oura.models import DailySleep, Sleep
from oura_addon.oura.tokens import TokenSet
from oura_addon.scheduling import BACKFILL_ENDPOINTS, Scheduler
from oura_addon.scheduling.memory import scheduled_names
from oura_addon.settings import Settings
from oura_addon.store.accounts import REFUSED_MESSAGE, AccountStore, AuthLost
from oura_addon.store.trends import TrendStore

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, 0).timestamp()


class FakeClient:
    def __init__(self, records=None, raise_error=None, errors=None):
        self.records = records or {}
        self.raise_error = raise_error
        self.errors = errors or {}
        self.calls: list[tuple[tuple[str, ...], date, date]] = []

    def sync(self, endpoints, start, end, granted=None, *, tz=None):
        names = tuple(e.name for e in endpoints)
        self.calls.append((names, start, end))
        if self.raise_error:
            raise self.raise_error
        return SyncResult(
            records={n: self.records.get(n, []) for n in names if n not in self.errors},
            errors={n: e for n, e in self.errors.items() if n in names},
        )


class PublishedStates(dict):
    """What Home Assistant holds; calling it answers like ``Publisher.published()``."""

    def __call__(self):
        return dict(self)


class FakePublisher:
    def __init__(self):
        self.published = PublishedStates()
        self.removed: list[str] = []
        self.down = False
        self.last_error = None
        self.last_success = None

    def publish(self, desired):
        if self.down:
            self.last_error = "Home Assistant is not reachable"
            raise HomeAssistantError("Home Assistant is not reachable")
        self.published.update(desired)
        self.last_error = None

    def republish_all(self):
        if self.down:
            raise HomeAssistantError("Home Assistant is not reachable")

    def ensure_present(self):
        if self.down:
            raise HomeAssistantError("Home Assistant is not reachable")

    def remove(self, entity_ids):
        self.removed.extend(entity_ids)


class FakeHomeAssistant:
    def __init__(self):
        self.notifications: dict[str, str] = {}
        self.created = 0

    def get_config(self):
        return {"time_zone": "Europe/Helsinki"}

    def create_notification(self, notification_id, title, message):
        self.created += 1
        self.notifications[notification_id] = message

    def dismiss_notification(self, notification_id):
        self.notifications.pop(notification_id, None)


def _tokens(expires_in=86400):
    return TokenSet("access-1", "refresh-1", NOW + expires_in, ("daily", "heartrate"))


def _records():
    return {
        "daily_sleep": [DailySleep(id="a", day=TODAY, score=81)],
        "sleep": [
            Sleep(id="s", day=TODAY, type="long_sleep", total_sleep_duration=27000, average_hrv=44)
        ],
    }


@pytest.fixture
def world(tmp_path):
    settings = Settings(data_dir=tmp_path, poll_interval_minutes=10, history_days=60)
    accounts = AccountStore(tmp_path, clock=lambda: NOW)
    clients: dict[str, FakeClient] = {}
    publisher = FakePublisher()
    ha = FakeHomeAssistant()
    scheduler = Scheduler(
        settings=settings,
        accounts=accounts,
        oura_client=lambda name: clients[name],
        trends=TrendStore(tmp_path),
        ha=ha,
        publisher=publisher,
        clock=lambda: NOW,
        tick_seconds=0.05,
    )
    return scheduler, accounts, clients, publisher, ha


def _connect(accounts, name):
    accounts.create(name)
    accounts.save_tokens(name, _tokens(), email=f"{name}@example.com")


def test_a_sync_publishes_catalogue_states_and_the_connected_sensor(world):
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    scheduler.sync_account("me")
    assert publisher.published["sensor.oura_sleep_score"].state == "81"
    assert publisher.published["sensor.oura_sleep_score"].attributes["day"] == "2026-11-25"
    assert publisher.published["binary_sensor.oura_connected"].state == "on"
    # an endpoint with no data gives unknown, never 0
    assert publisher.published["sensor.oura_readiness_score"].state == "unknown"
    snapshot = scheduler.account_snapshot("me")
    assert snapshot.last_error is None and snapshot.last_sync is not None
    assert snapshot.today == TODAY
    assert snapshot.trend_days["sleep_score"][TODAY.isoformat()] == 81.0


def test_first_sync_backfills_trend_endpoints_then_only_asks_around_today(world):
    scheduler, accounts, clients, _, _ = world
    _connect(accounts, "me")
    client = clients["me"] = FakeClient(_records())
    scheduler.sync_account("me")
    first = {names: start for names, start, _ in client.calls}
    backfill_group = next(n for n in first if set(n) == BACKFILL_ENDPOINTS)
    assert (TODAY - first[backfill_group]).days == 60
    # The day's first sync reaches back reconcile_days for the daily documents, where Oura
    # may have revised days; time series (heart rate) only around today.
    for names, start in first.items():
        if names != backfill_group:
            assert (TODAY - start).days == (2 if "heartrate" in names else 7), names
    every_endpoint = [name for names, _, _ in client.calls for name in names]
    granted = scheduled_names(lambda scope: scope in ("daily", "heartrate"))
    assert len(every_endpoint) == len(set(every_endpoint)) == len(granted)  # one request each
    client.calls.clear()
    scheduler.sync_account("me")
    assert len(client.calls) == 1 and (TODAY - client.calls[0][1]).days == 2


def test_auth_loss_turns_connected_off_keeps_data_and_notifies_once(world):
    scheduler, accounts, clients, publisher, ha = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    scheduler.sync_account("me")
    clients["me"].raise_error = AuthLost("me", "Oura refused the stored authorization.")
    scheduler.sync_account("me")
    scheduler.sync_account("me")
    assert publisher.published["binary_sensor.oura_connected"].state == "off"
    assert publisher.published["sensor.oura_sleep_score"].state == "81"
    assert ha.created == 1
    assert "/hassio/" in ha.notifications["oura_reconnect"]
    assert "Reconnect" in scheduler.account_snapshot("me").last_error

    accounts.save_tokens("me", _tokens(), email="me@example.com")
    clients["me"].raise_error = None
    scheduler.account_connected("me")
    assert ha.notifications == {}


def test_unauthorized_from_oura_counts_as_auth_loss(world):
    scheduler, accounts, clients, publisher, ha = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(raise_error=Unauthorized("daily_sleep"))
    scheduler.sync_account("me")
    assert publisher.published["binary_sensor.oura_connected"].state == "off"
    assert "oura_reconnect" in ha.notifications


def test_a_403_on_one_endpoint_is_reported_for_it_and_the_rest_publish(world):
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records(), errors={"heartrate": AccessDenied("heartrate")})
    scheduler.sync_account("me")
    snapshot = scheduler.account_snapshot("me")
    assert "heartrate" in snapshot.endpoint_errors
    assert "membership" in snapshot.endpoint_errors["heartrate"]
    assert publisher.published["sensor.oura_sleep_score"].state == "81"


def test_home_assistant_down_loses_nothing_and_the_next_tick_catches_up(world):
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    publisher.down = True
    scheduler.sync_account("me")  # must not raise
    assert publisher.published == {}
    assert scheduler.addon_snapshot().home_assistant.startswith("unreachable")
    publisher.down = False
    scheduler.tick()
    assert publisher.published["sensor.oura_sleep_score"].state == "81"


def test_a_failing_account_does_not_stop_the_others(world):
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "alice")
    _connect(accounts, "bob")
    clients["alice"] = FakeClient(raise_error=RuntimeError("boom"))
    clients["bob"] = FakeClient(_records())
    scheduler.tick()
    deadline = time.time() + 5
    while "sensor.oura_bob_sleep_score" not in publisher.published and time.time() < deadline:
        time.sleep(0.02)
    assert publisher.published["sensor.oura_bob_sleep_score"].state == "81"
    deadline = time.time() + 5
    while scheduler.account_snapshot("alice").last_error is None and time.time() < deadline:
        time.sleep(0.02)
    assert "unexpected" in scheduler.account_snapshot("alice").last_error


def test_removing_an_account_deletes_its_entities(world):
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    scheduler.sync_account("me")
    scheduler.account_removed("me", "oura")
    assert "sensor.oura_sleep_score" in publisher.removed
    assert "binary_sensor.oura_connected" in publisher.removed


def test_the_loop_stops_within_five_seconds(world):
    scheduler, accounts, clients, _, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    scheduler.start()
    scheduler.sync_now()
    scheduler.stop(timeout=5)
    assert not any(t.name == "oura-scheduler" and t.is_alive() for t in threading.enumerate())


def test_an_account_never_connected_publishes_nothing_and_raises_no_alarm(world):
    scheduler, accounts, _clients, publisher, ha = world
    accounts.create("me")
    scheduler.sync_account("me")
    assert publisher.published == {}
    assert ha.created == 0


class BlockingClient(FakeClient):
    """Holds the sync inside Oura's request until the test lets it answer."""

    def __init__(self, records=None, raise_error=None):
        super().__init__(records, raise_error)
        self.inside = threading.Event()
        self.answer = threading.Event()

    def sync(self, endpoints, start, end, granted=None, *, tz=None):
        self.inside.set()
        assert self.answer.wait(5)
        return super().sync(endpoints, start, end, granted, tz=tz)


def _remove_during_sync(world, tmp_path, raise_error=None):
    """Start a sync, remove the account as the panel does while it waits on Oura, finish it."""
    scheduler, accounts, clients, publisher, ha = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    scheduler.sync_account("me")
    clients["me"] = blocking = BlockingClient(_records())
    sync = threading.Thread(target=scheduler.sync_account, args=("me",))
    sync.start()
    assert blocking.inside.wait(5)
    accounts.delete("me")  # as the panel does: the store first, then the scheduler
    scheduler.account_removed("me", "oura")
    publisher.published.clear()  # what Home Assistant holds after the removal
    blocking.raise_error = raise_error
    blocking.answer.set()
    sync.join(5)
    scheduler.tick()
    return publisher, ha


def test_an_account_removed_while_it_syncs_does_not_come_back(world, tmp_path):
    publisher, _ = _remove_during_sync(world, tmp_path)
    assert not any(
        e.startswith(("sensor.oura_", "binary_sensor.oura_")) for e in publisher.published
    )
    assert not (tmp_path / "history" / "me.json").exists()


def test_an_account_removed_while_it_syncs_raises_no_reconnect_alarm(world, tmp_path):
    # The store answers the sync's next token request with "not connected" once it is gone.
    publisher, ha = _remove_during_sync(
        world, tmp_path, raise_error=AuthLost("me", "This account is not connected yet.")
    )
    assert "binary_sensor.oura_connected" not in publisher.published
    assert ha.notifications == {}


def test_a_backfill_cut_short_by_oura_is_asked_again_next_sync(world):
    # A rate limit or an outage during the first sync must not leave the trends and the
    # statistics without their past days for good.
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "me")
    client = clients["me"] = FakeClient(
        _records(), errors={"daily_sleep": RateLimited("daily_sleep", 60)}
    )
    scheduler.sync_account("me")
    assert publisher.published["sensor.oura_average_hrv"].state == "44"
    client.errors = {}
    client.calls.clear()
    scheduler.sync_account("me")
    asked = {name: start for names, start, _ in client.calls for name in names}
    assert (TODAY - asked["daily_sleep"]).days == 60
    client.calls.clear()
    scheduler.sync_account("me")
    assert len(client.calls) == 1 and (TODAY - client.calls[0][1]).days == 2


def test_after_an_addon_restart_a_failing_endpoint_keeps_the_values_last_published(world, tmp_path):
    scheduler, accounts, clients, publisher, ha = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(_records())
    scheduler.sync_account("me")
    restarted = Scheduler(
        settings=Settings(data_dir=tmp_path, poll_interval_minutes=10, history_days=60),
        accounts=AccountStore(tmp_path, clock=lambda: NOW),
        oura_client=lambda name: clients[name],
        trends=TrendStore(tmp_path),
        ha=ha,
        publisher=publisher,  # loads what it published before the restart
        clock=lambda: NOW,
    )
    clients["me"] = FakeClient(
        _records(), errors={"daily_sleep": ApiUnavailable("daily_sleep", "HTTP 502")}
    )
    restarted.sync_account("me")
    assert publisher.published["sensor.oura_sleep_score"].state == "81"
    assert "daily_sleep" in restarted.account_snapshot("me").endpoint_errors


def test_sync_now_while_a_sync_runs_runs_another_right_after(world):
    # E.g. the account was reconnected while a sync with the old tokens was still running.
    scheduler, accounts, clients, _, _ = world
    _connect(accounts, "me")
    clients["me"] = blocking = BlockingClient(_records())
    scheduler.tick()
    assert blocking.inside.wait(5)
    scheduler.sync_now("me")
    blocking.answer.set()
    deadline = time.time() + 5
    while scheduler.account_snapshot("me").syncing and time.time() < deadline:
        time.sleep(0.02)
    calls = len(blocking.calls)
    scheduler.tick()
    deadline = time.time() + 5
    while len(blocking.calls) == calls and time.time() < deadline:
        time.sleep(0.02)
    assert len(blocking.calls) > calls


def test_two_long_sleeps_on_one_day_give_the_sensor_and_the_trend_the_same_night(world):
    """The issue's example: the sensor showed the longer night's 40 ms, the trend 70."""
    scheduler, accounts, clients, publisher, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(
        {
            "daily_sleep": [
                DailySleep(day=TODAY, score=80, timestamp=datetime(2026, 11, 25, 9, 0)),
                DailySleep(day=TODAY, score=60, timestamp=datetime(2026, 11, 25, 7, 0)),
            ],
            "sleep": [
                Sleep(day=TODAY, type="long_sleep", time_in_bed=28800, average_hrv=40),
                Sleep(day=TODAY, type="long_sleep", time_in_bed=3600, average_hrv=70),
            ],
        }
    )
    scheduler.sync_account("me")
    trends = scheduler.account_snapshot("me").trend_days
    assert publisher.published["sensor.oura_average_hrv"].state == "40"
    assert trends["average_hrv"][TODAY.isoformat()] == 40.0
    assert publisher.published["sensor.oura_sleep_score"].state == "80"
    assert trends["sleep_score"][TODAY.isoformat()] == 80.0


def test_the_first_sync_of_each_day_reaches_back_reconcile_days_and_the_others_do_not(tmp_path):
    now = [NOW]
    accounts = AccountStore(tmp_path, clock=lambda: now[0])
    _connect(accounts, "me")
    client = FakeClient(_records())
    scheduler = Scheduler(
        settings=Settings(data_dir=tmp_path, reconcile_days=10, history_days=5),
        accounts=accounts,
        oura_client=lambda name: client,
        trends=TrendStore(tmp_path),
        ha=FakeHomeAssistant(),
        publisher=FakePublisher(),
        clock=lambda: now[0],
    )

    def starts() -> set[int]:
        """How far back the daily documents were asked (time series stay around today)."""
        found = {(TODAY - start).days for names, start, _ in client.calls if "sleep" in names}
        client.calls.clear()
        return found

    scheduler.sync_account("me")
    assert starts() == {10}
    scheduler.sync_account("me")
    assert starts() == {2}
    now[0] += 86400  # the next local day
    scheduler.sync_account("me")
    assert starts() == {9}  # ten days before the new today


def test_the_reconnect_sentence_is_shown_in_the_panel_language(world):
    scheduler, accounts, clients, _, _ = world
    _connect(accounts, "me")
    clients["me"] = FakeClient(raise_error=AuthLost("me", REFUSED_MESSAGE))
    scheduler.sync_account("me")
    last_error = scheduler.account_snapshot("me").last_error
    german = Catalogues().translator("de").text(last_error)
    assert german.startswith("Oura hat die gespeicherte Autorisierung abgelehnt")
    assert german.endswith("klicke auf „Neu verbinden“.")
