"""The real scheduler against the simulator on loopback, both on one accelerated clock.

A morning from before waking to after the phone's morning sync goes by in seconds: the
clock jumps one scheduler tick at a time. The morning scores must reach Home Assistant (a
recording publisher) within two minutes of Oura having them, and no endpoint may be asked
more often than its group allows.
"""

from __future__ import annotations

import time as real_time
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from oura_addon.oura.client import OuraClient
from oura_addon.oura.tokens import TokenSet
from oura_addon.scheduling import Scheduler, schedule
from oura_addon.settings import Settings
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import AccountStore
from oura_addon.store.trends import TrendStore
from tests.loopback.test_statistics_importer import HelsinkiHome, QuietPublisher
from tests.simulator.conftest import FakeClock

TZ = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 3, 11)
TICK = 15.0
POLL_MINUTES = 10
MORNING_SCORES = ("sensor.oura_sleep_score", "sensor.oura_readiness_score")


class StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self, force_refresh: bool = False) -> str:
        return self.token


class RecordingPublisher(QuietPublisher):
    """Home Assistant's states, with the (virtual) moment each one first took its value."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.states: dict[str, str] = {}
        self.changed_at: dict[tuple[str, str], float] = {}

    def publish(self, desired):
        super().publish(desired)
        for entity_id, state in desired.items():
            if self.states.get(entity_id) != state.state:
                self.states[entity_id] = state.state
                self.changed_at.setdefault((entity_id, state.state), self.clock())


@pytest.fixture(scope="module")
def morning(tmp_path_factory):
    """One morning, 05:30 until an hour after the phone's morning sync, already replayed."""
    tmp_path = tmp_path_factory.mktemp("morning")
    start = datetime.combine(DAY, time(5, 30), tzinfo=TZ)
    clock = FakeClock(start)
    config = SimulatorConfig(
        today=DAY, start_time=time(5, 30), wake_times=("07:00",), days=10, users=1
    )
    simulator = create_simulator(config, clock=clock)
    with SimulatorServer(simulator) as server:
        accounts = AccountStore(tmp_path, clock=clock)
        accounts.create("oura")
        tokens = simulator.issue_tokens(1)
        accounts.save_tokens("oura", TokenSet.from_token_response(tokens), "sleeper1@example.com")
        client = OuraClient(server.url, StaticTokens(tokens["access_token"]))
        publisher = RecordingPublisher(clock)
        scheduler = Scheduler(
            settings=Settings(data_dir=tmp_path, poll_interval_minutes=POLL_MINUTES),
            accounts=accounts,
            oura_client=lambda _name: client,
            trends=TrendStore(tmp_path),
            ha=HelsinkiHome(),
            publisher=publisher,
            clock=clock,
            tick_seconds=TICK,
        )
        sync = simulator.context(1).plan(DAY).morning_sync
        run_until(scheduler, clock, sync + timedelta(hours=1))
        yield simulator, sync, publisher
        client.close()


def run_until(scheduler: Scheduler, clock: FakeClock, end: datetime) -> None:
    """Tick by tick, each sync finished before the clock moves on."""
    while clock.now < end.timestamp():
        scheduler.tick()
        deadline = real_time.monotonic() + 30
        while scheduler.account_snapshot("oura").syncing:
            assert real_time.monotonic() < deadline, "a sync hung"
            real_time.sleep(0.002)
        clock.now += TICK


def test_morning_scores_reach_home_assistant_within_two_minutes_of_oura(morning):
    simulator, sync, publisher = morning
    expected = {
        "sensor.oura_sleep_score": simulator.documents("daily_sleep", 1, DAY, DAY)[0]["score"],
        "sensor.oura_readiness_score": simulator.documents("daily_readiness", 1, DAY, DAY)[0][
            "score"
        ],
    }
    for entity_id, score in expected.items():
        landed = publisher.changed_at.get((entity_id, str(score)))
        assert landed is not None, f"{entity_id} never showed today's {score}"
        delay = landed - sync.timestamp()
        assert 0 <= delay <= 120, f"{entity_id} landed {delay:.0f} s after Oura had it"
    # The rest of the night came with them, in the same sync.
    spo2 = "sensor.oura_spo2_average"
    assert publisher.changed_at[(spo2, publisher.states[spo2])] <= landed


def test_nothing_is_asked_more_often_than_its_group_allows(morning):
    simulator, sync, _publisher = morning
    end = sync + timedelta(hours=1)
    asked: dict[str, list[float]] = defaultdict(list)
    for entry in simulator.requests.entries():
        if entry.path.startswith("/v2/usercollection/"):
            asked[entry.path.rsplit("/", 1)[-1]].append(entry.timestamp)
    hours = (end.timestamp() - datetime.combine(DAY, time(5, 30), tzinfo=TZ).timestamp()) / 3600
    for name, moments in asked.items():
        gaps = [b - a for a, b in pairwise(moments)]
        group = schedule.GROUP_OF[name]
        if name in schedule.MORNING_SCORES:
            assert min(gaps) >= 60, f"{name} asked {min(gaps):.0f} s apart"
            assert len(moments) <= hours * 60 + 1
            # Once last night's scores are in, the minute-by-minute watch stops: in the hour
            # after they landed (two minutes' grace) they are asked at most once more.
            settled = sync.timestamp() + 120
            later = [m for m in moments if m > settled]
            assert len(later) <= 1, f"{name} asked {len(later)} times after the night arrived"
        elif group is schedule.Group.DAYTIME:
            assert min(gaps) >= POLL_MINUTES * 60, f"{name} asked {min(gaps):.0f} s apart"
        else:  # the rest of the night, and slow data: at start, once after the night, rarely
            assert len(moments) <= 3, f"{name} asked {len(moments)} times in {hours:.1f} h"
