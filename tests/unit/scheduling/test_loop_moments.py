"""The scheduler announces a sync's moments after its states are out, once, across restarts."""

from __future__ import annotations

from oura_addon.oura.models import DailyReadiness, DailySleep, Sleep, Workout
from oura_addon.oura.tokens import TokenSet
from oura_addon.scheduling import Scheduler
from oura_addon.settings import Settings
from oura_addon.store.accounts import AccountStore
from oura_addon.store.trends import TrendStore
from tests.unit.scheduling.test_loop import (
    NOW,
    TODAY,
    FakeClient,
    FakeHomeAssistant,
    FakePublisher,
)

SCOPES = ("daily", "workout")


def night():
    return {
        "daily_sleep": [DailySleep(id="ds", day=TODAY, score=81)],
        "daily_readiness": [DailyReadiness(id="dr", day=TODAY, score=70)],
        "sleep": [
            Sleep(id="s", day=TODAY, type="long_sleep", total_sleep_duration=27000, time_in_bed=1)
        ],
    }


class Bus:
    def __init__(self, publisher: FakePublisher) -> None:
        self.publisher = publisher
        self.fired: list[tuple[str, str, dict]] = []
        self.score_when_fired: list[str] = []

    def __call__(self, account, event, data) -> bool:
        self.fired.append((account, event.bus_event, dict(data)))
        score = self.publisher.published.get("sensor.oura_sleep_score")
        self.score_when_fired.append(score.state if score else "none")
        return True


def scheduler(tmp_path, client, publisher, bus) -> Scheduler:
    return Scheduler(
        settings=Settings(data_dir=tmp_path, poll_interval_minutes=10, history_days=60),
        accounts=AccountStore(tmp_path, clock=lambda: NOW),
        oura_client=lambda name: client,
        trends=TrendStore(tmp_path),
        ha=FakeHomeAssistant(),
        publisher=publisher,
        clock=lambda: NOW,
        announce=bus,
    )


def test_moments_fire_after_the_states_once_and_never_again_after_a_restart(tmp_path):
    accounts = AccountStore(tmp_path, clock=lambda: NOW)
    accounts.create("me")
    accounts.save_tokens("me", TokenSet("a", "r", NOW + 86400, SCOPES), email="me@example.com")
    client = FakeClient({"workout": [Workout(id="w1", day=TODAY, activity="yoga")]})
    publisher = FakePublisher()
    bus = Bus(publisher)
    first = scheduler(tmp_path, client, publisher, bus)
    first.sync_account("me")  # connecting: the past is remembered, not fired
    assert bus.fired == []

    client.records = {
        **night(),
        "workout": [*client.records["workout"], Workout(id="w2", day=TODAY)],
    }
    first.sync_account("me")
    assert sorted(e for _, e, _ in bus.fired) == ["oura_night_ready", "oura_workout_recorded"]
    assert set(bus.score_when_fired) == {"81"}  # the new values were out before the events
    night_data = next(d for _, e, d in bus.fired if e == "oura_night_ready")
    assert night_data["sleep_score"] == 81 and night_data["readiness_score"] == 70

    restarted = scheduler(tmp_path, client, publisher, bus)
    restarted.sync_account("me")
    restarted.tick()
    assert len(bus.fired) == 2

    restarted.account_removed("me", "oura")
    assert not (tmp_path / "moments" / "me.json").exists()
