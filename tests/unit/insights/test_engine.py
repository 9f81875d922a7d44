"""When the insights are recomputed and what each recompute costs: the first asks Oura for a
year, later ones from a week before the last fetch; once a day after the night is ready (or in
the afternoon) and when the choice changes; Home Assistant down spares Oura; a removed
account's insights and sensors go."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oura_addon.homeassistant.websocket import WebSocketError
from oura_addon.insights.engine import Insights, InsightsUnavailable
from oura_addon.oura.client import SyncResult
from oura_addon.oura.models import DailyReadiness, DailySleep, Sleep, parse_record
from oura_addon.oura.tokens import TokenSet
from oura_addon.store.accounts import AccountStore
from oura_addon.store.insights import InsightStore

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2025, 11, 9)
ROOM = "sensor.bedroom_temperature"


def _nights(last: date, count: int) -> dict[str, list]:
    records: dict[str, list] = {"sleep": [], "daily_sleep": [], "daily_readiness": []}
    for i in range(count):
        day = last - timedelta(days=i)
        start = datetime.combine(day - timedelta(days=1), time(23), HELSINKI)
        records["sleep"].append(
            parse_record(
                Sleep,
                {
                    "day": day.isoformat(),
                    "type": "long_sleep",
                    "bedtime_start": start.isoformat(),
                    "bedtime_end": (start + timedelta(hours=8)).isoformat(),
                    "time_in_bed": 8 * 3600,
                },
            )
        )
        score = 70 + (i * 7) % 20
        records["daily_sleep"].append(
            parse_record(DailySleep, {"day": day.isoformat(), "score": score})
        )
        records["daily_readiness"].append(
            parse_record(DailyReadiness, {"day": day.isoformat(), "score": 80})
        )
    return records


class FakeOura:
    def __init__(self) -> None:
        self.windows: list[tuple[date, date]] = []
        self.last = TODAY

    def __call__(self, _account: str) -> FakeOura:
        return self

    def sync(self, endpoints, start, end, granted=None, *, tz=UTC) -> SyncResult:
        self.windows.append((start, end))
        everything = _nights(self.last, 400)
        return SyncResult(
            records={
                e.name: [r for r in everything[e.name] if start <= r.day <= end] for e in endpoints
            }
        )


class FakeSession:
    """Home Assistant's statistics: the room is 18 °C the whole time."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.down = False
        self.opened = 0

    @contextmanager
    def __call__(self):
        self.opened += 1
        if self.down:
            raise WebSocketError("Home Assistant's websocket API is not reachable.")
        yield self

    def command(self, payload):
        self.commands.append(payload["type"])
        if payload["type"] == "recorder/list_statistic_ids":
            return [
                {"statistic_id": ROOM, "name": "Bedroom", "statistics_unit_of_measurement": "°C"}
            ]
        start = datetime.fromisoformat(payload["start_time"])
        end = datetime.fromisoformat(payload["end_time"])
        hours = int((end - start).total_seconds() // 3600)
        rows = [
            {"start": (start + timedelta(hours=h)).timestamp() * 1000, "mean": 18.0}
            for h in range(hours)
        ]
        return {ROOM: rows}


class FakePublisher:
    def __init__(self) -> None:
        self.states: dict = {}
        self.removed: list[str] = []

    def publish(self, states):
        self.states.update(states)

    def remove(self, entity_ids):
        self.removed += list(entity_ids)
        for e in entity_ids:
            self.states.pop(e, None)
        return len(self.removed)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.combine(TODAY, time(9), HELSINKI).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rig(tmp_path):
    accounts = AccountStore(tmp_path)
    accounts.create("alice")
    tokens = TokenSet.from_token_response({"access_token": "a", "refresh_token": "r"})
    accounts.save_tokens("alice", tokens, "a@example.com")
    oura, session, publisher, clock = FakeOura(), FakeSession(), FakePublisher(), Clock()
    ready = {"night": True}
    store = InsightStore(tmp_path)
    insights = Insights(
        store=store,
        accounts=accounts,
        oura_client=oura,
        session=session,
        timezone=lambda: HELSINKI,
        night_ready=lambda name, day: ready["night"],
        publisher=publisher,
        clock=clock,
    )
    insights.choose([ROOM])
    session.commands.clear()  # the choice checked the room's statistics
    return insights, accounts, oura, session, publisher, clock, ready, store


def test_a_recompute_is_due_once_a_day_after_the_night_and_when_the_choice_changes(rig):
    insights, accounts, oura, session, publisher, clock, ready, _ = rig
    alice = accounts.get("alice")
    assert insights.due(alice)  # never computed
    insights.tick()
    assert oura.windows == [(TODAY - timedelta(days=365), TODAY)]
    assert session.commands == [
        "recorder/list_statistic_ids",
        "recorder/statistics_during_period",
    ]
    assert not insights.due(alice)  # done for today

    clock.now += 86400  # the next morning, before the night arrived
    ready["night"] = False
    assert not insights.due(alice)
    clock.now += 5 * 3600  # 14:00: computed without it
    assert insights.due(alice)
    ready["night"] = True
    clock.now -= 5 * 3600
    assert insights.due(alice)
    oura.last = TODAY + timedelta(days=1)
    insights.tick()
    tomorrow = TODAY + timedelta(days=1)
    assert oura.windows[-1] == (TODAY - timedelta(days=7), tomorrow)  # a week back, no more
    assert not insights.due(alice)

    insights.choose([])  # the choice changed
    assert insights.due(alice)
    insights.tick()
    assert insights.results("alice") == []
    assert publisher.removed == ["sensor.oura_bedroom_temperature_last_night"]


def test_results_and_last_nights_sensor(rig):
    insights, *_, publisher, _clock, _ready, store = rig
    assert insights.refresh("alice")
    results = insights.results("alice")
    assert {r["measure"] for r in results} == {
        "sleep_score", "deep_sleep_duration", "average_hrv", "lowest_heart_rate",
        "readiness_score",
    }  # fmt: skip
    # The room never changed: no relation, and the sentence says why.
    assert all(not r["clear"] for r in results)
    assert "did not change" in results[0]["sentence"]
    sensor = publisher.states["sensor.oura_bedroom_temperature_last_night"]
    assert sensor.state == "18.0"
    assert sensor.attributes["unit_of_measurement"] == "°C"
    assert sensor.attributes["day"] == TODAY.isoformat()
    assert len(store.load("alice")["nights"]) == 365


def test_home_assistant_down_spares_oura(rig):
    insights, _, oura, session, *_ = rig
    session.down = True
    assert not insights.refresh("alice")
    assert oura.windows == []


def test_a_removed_accounts_insights_and_sensors_go(rig):
    insights, accounts, _, _, publisher, *_, store = rig
    insights.tick()
    assert store.accounts() == ["alice"]
    accounts.delete("alice")
    insights.tick()
    assert store.accounts() == []
    assert publisher.states == {}


def test_the_picker_asks_home_assistant_at_most_every_five_minutes(rig):
    insights, _, _, session, _, clock, *_ = rig
    opened = session.opened  # the fixture's choice asked a moment ago
    assert [s.statistic_id for s in insights.entities()] == [ROOM]
    insights.entities()
    assert session.opened == opened
    session.down = True
    clock.now += 301
    for _ in range(2):  # a page that cannot wait for an unreachable Home Assistant every time
        with pytest.raises(InsightsUnavailable):
            insights.entities()
    assert session.opened == opened + 1
    session.down = False
    assert insights.entities(fresh=True)  # a choice is always checked against the present
    assert session.opened == opened + 2
