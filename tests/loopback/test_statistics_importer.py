"""The statistics importer over a real websocket, against a small stand-in for Home
Assistant's websocket API on loopback (tests/ha_websocket.py), and the scheduler calling it."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oura_addon.homeassistant import HomeAssistantError
from oura_addon.homeassistant.statistics import (
    AUTH_RETRY_SECONDS,
    StatisticsImporter,
)
from oura_addon.oura.client import SyncResult
from oura_addon.oura.models import DailySleep, Sleep
from oura_addon.oura.tokens import TokenSet
from oura_addon.scheduling import Scheduler
from oura_addon.settings import Settings
from oura_addon.store.accounts import AccountStore
from oura_addon.store.trends import TrendStore
from tests.ha_websocket import TOKEN, HomeAssistantWebsocketStandIn

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 11, 25)


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.fixture
def home_assistant() -> Iterator[HomeAssistantWebsocketStandIn]:
    server = HomeAssistantWebsocketStandIn().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def state_path(tmp_path):
    return tmp_path / "statistics.json"


def _importer(url, state_path, **kw) -> StatisticsImporter:
    return StatisticsImporter(url, kw.pop("token", TOKEN), state_path, timeout=5.0, **kw)


def _days(count: int, end: date = TODAY, start_value: float = 60.0) -> dict[str, float]:
    """``count`` consecutive days up to and including ``end``, with distinct values."""
    return {
        (end - timedelta(days=count - 1 - i)).isoformat(): start_value + i for i in range(count)
    }


# -- the importer against the stand-in ------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "new_keys", "old_keys"),
    [
        ("2026.11.0", {"mean_type": 1, "unit_class": "duration"}, {}),
        ("2025.4.4", {}, {"has_mean": True}),
        (None, {"mean_type": 1, "unit_class": "duration"}, {}),  # /config did not say
    ],
)
def test_each_import_speaks_the_metadata_dialect_of_the_version_home_assistant_reports(
    home_assistant, state_path, version, new_keys, old_keys
):
    config = {"version": version} if version else {}
    importer = _importer(home_assistant.url, state_path, ha_config=lambda: config)
    importer.backfill("oura", {"average_hrv": _days(3)}, TODAY, HELSINKI)
    (hrv,) = home_assistant.imported("sensor.oura_average_hrv")
    assert hrv["metadata"] == {
        "statistic_id": "sensor.oura_average_hrv",
        "source": "recorder",
        "name": None,
        "unit_of_measurement": "ms",
        "has_sum": False,
        **new_keys,
        **old_keys,
    }


def test_home_assistant_upgraded_between_two_imports_gets_its_new_dialect(
    home_assistant, state_path
):
    config = {"version": "2025.4.4"}
    importer = _importer(home_assistant.url, state_path, ha_config=lambda: config)
    importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI)
    config["version"] = "2026.11.0"
    revised = {(TODAY - timedelta(days=1)).isoformat(): 99.0}
    importer.backfill("oura", {"sleep_score": revised}, TODAY, HELSINKI)
    first, second = home_assistant.imported("sensor.oura_sleep_score")
    assert "has_mean" in first["metadata"] and "mean_type" not in first["metadata"]
    assert second["metadata"]["mean_type"] == 1 and "has_mean" not in second["metadata"]


def test_home_assistant_not_telling_its_version_gets_the_newest_dialect(home_assistant, state_path):
    def config_unreachable() -> dict:
        raise HomeAssistantError("Home Assistant is not reachable at http://127.0.0.1:9.")

    importer = _importer(home_assistant.url, state_path, ha_config=config_unreachable)
    assert importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI) == 2
    (imported,) = home_assistant.imported("sensor.oura_sleep_score")
    assert imported["metadata"]["mean_type"] == 1
    assert imported["metadata"]["unit_class"] == "unitless"


def test_the_first_backfill_imports_every_past_day_of_each_metric_over_one_connection(
    home_assistant, state_path
):
    importer = _importer(home_assistant.url, state_path)
    metrics = {"sleep_score": _days(31), "average_hrv": _days(31, start_value=40.0)}
    assert importer.backfill("oura", metrics, TODAY, HELSINKI) == 60
    assert home_assistant.connections == 1
    (hrv,) = home_assistant.imported("sensor.oura_average_hrv")
    assert hrv["metadata"]["unit_of_measurement"] == "ms"
    assert len(hrv["stats"]) == 30
    assert hrv["stats"][0] == {
        "start": "2026-10-26T00:00:00+02:00",
        "mean": 40.0,
        "min": 40.0,
        "max": 40.0,
    }
    assert hrv["stats"][-1]["start"] == "2026-11-24T00:00:00+02:00"  # not today
    assert importer.pending_days() == {}


def test_with_nothing_new_no_connection_is_opened_even_after_an_addon_restart(
    home_assistant, state_path
):
    metrics = {"sleep_score": _days(10)}
    _importer(home_assistant.url, state_path).backfill("oura", metrics, TODAY, HELSINKI)
    restarted = _importer(home_assistant.url, state_path)
    assert restarted.backfill("oura", metrics, TODAY, HELSINKI) == 0
    last_three = dict(list(metrics["sleep_score"].items())[-3:])  # a later, short window
    assert restarted.backfill("oura", {"sleep_score": last_three}, TODAY, HELSINKI) == 0
    assert home_assistant.connections == 1


def test_the_next_day_sends_only_yesterday_and_a_revised_day(home_assistant, state_path):
    importer = _importer(home_assistant.url, state_path)
    importer.backfill("oura", {"sleep_score": _days(10)}, TODAY, HELSINKI)
    tomorrow = TODAY + timedelta(days=1)
    fresh = {"sleep_score": {"2026-11-23": 99.0, "2026-11-24": 68.0, "2026-11-25": 70.0}}
    assert importer.backfill("oura", fresh, tomorrow, HELSINKI) == 2
    latest = home_assistant.imported("sensor.oura_sleep_score")[-1]
    assert [(r["start"][:10], r["mean"]) for r in latest["stats"]] == [
        ("2026-11-23", 99.0),
        ("2026-11-25", 70.0),
    ]


def test_home_assistant_down_keeps_the_days_for_a_later_cycle(state_path, caplog):
    port = _free_port()  # nothing listens here yet
    importer = _importer(f"ws://127.0.0.1:{port}/api/websocket", state_path)
    with caplog.at_level(logging.WARNING, logger="oura_addon.homeassistant.statistics"):
        assert importer.backfill("oura", {"sleep_score": _days(5)}, TODAY, HELSINKI) == 0
    (warning,) = caplog.records
    assert "not reachable" in warning.getMessage()
    assert "4 past day" in warning.getMessage()
    assert len(importer.pending_days()["sensor.oura_sleep_score"]) == 4

    server = HomeAssistantWebsocketStandIn(port).start()
    try:
        # The next cycle fetches only around today; the queued days still go.
        assert importer.backfill("oura", {"sleep_score": {}}, TODAY, HELSINKI) == 4
        (sent,) = server.imported("sensor.oura_sleep_score")
        assert len(sent["stats"]) == 4
    finally:
        server.stop()
    assert importer.pending_days() == {}


def test_a_refused_token_logs_one_warning_without_the_token_and_waits_an_hour(state_path, caplog):
    server = HomeAssistantWebsocketStandIn(token="another-token").start()
    now = [1000.0]
    importer = _importer(server.url, state_path, clock=lambda: now[0])
    try:
        with caplog.at_level(logging.WARNING, logger="oura_addon.homeassistant.statistics"):
            importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI)
            importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI)
        (warning,) = caplog.records
        assert "refused the add-on's token" in warning.getMessage()
        assert TOKEN not in caplog.text
        assert server.connections == 1  # each refusal is a failed login in Home Assistant
        assert len(importer.pending_days()["sensor.oura_sleep_score"]) == 2

        server.token = TOKEN
        now[0] += AUTH_RETRY_SECONDS
        assert importer.backfill("oura", {}, TODAY, HELSINKI) == 2
        assert server.connections == 2
    finally:
        server.stop()


def test_a_statistic_home_assistant_refuses_stays_queued_while_the_others_are_imported(
    home_assistant, state_path, caplog
):
    home_assistant.refuse.add("sensor.oura_average_hrv")
    importer = _importer(home_assistant.url, state_path)
    metrics = {"sleep_score": _days(3), "average_hrv": _days(3)}
    with caplog.at_level(logging.WARNING, logger="oura_addon.homeassistant.statistics"):
        assert importer.backfill("oura", metrics, TODAY, HELSINKI) == 2
    assert "sensor.oura_average_hrv" in caplog.text
    assert list(importer.pending_days()) == ["sensor.oura_average_hrv"]

    home_assistant.refuse.clear()
    assert importer.backfill("oura", metrics, TODAY, HELSINKI) == 2
    assert len(home_assistant.imported("sensor.oura_sleep_score")) == 1  # not sent twice


def test_a_home_assistant_that_never_answers_times_out_and_keeps_the_days(state_path, caplog):
    server = HomeAssistantWebsocketStandIn(silent=True).start()
    importer = StatisticsImporter(server.url, TOKEN, state_path, timeout=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger="oura_addon.homeassistant.statistics"):
            assert importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI) == 0
    finally:
        server.stop()
    assert "websocket connection to Home Assistant failed" in caplog.text
    assert len(importer.pending_days()["sensor.oura_sleep_score"]) == 2


def test_without_a_token_nothing_is_attempted_and_the_days_wait(home_assistant, state_path):
    importer = _importer(home_assistant.url, state_path, token=None)
    assert importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI) == 0
    assert home_assistant.connections == 0
    assert len(importer.pending_days()["sensor.oura_sleep_score"]) == 2


def test_a_corrupt_state_file_starts_empty_and_the_days_are_sent_again(
    home_assistant, state_path, caplog
):
    state_path.write_text("{not json", encoding="utf-8")
    importer = _importer(home_assistant.url, state_path)
    with caplog.at_level(logging.WARNING, logger="oura_addon.homeassistant.statistics"):
        assert importer.backfill("oura", {"sleep_score": _days(4)}, TODAY, HELSINKI) == 3
    assert "statistics.json was unreadable" in caplog.text
    stored = json.loads(state_path.read_text(encoding="utf-8"))
    assert len(stored["statistics"]["sensor.oura_sleep_score"]["imported"]) == 3


def test_forgetting_a_removed_account_drops_only_its_days(state_path):
    importer = _importer(f"ws://127.0.0.1:{_free_port()}/api/websocket", state_path)
    importer.backfill("oura", {"sleep_score": _days(3)}, TODAY, HELSINKI)
    importer.backfill("oura_partner", {"sleep_score": _days(3)}, TODAY, HELSINKI)
    importer.forget("oura_partner")
    assert list(importer.pending_days()) == ["sensor.oura_sleep_score"]


# -- the scheduler calls it -------------------------------------------------------------------


class BackfillingOura:
    """Oura's client: a month of sleep for whatever window is asked."""

    def __init__(self) -> None:
        self.windows: list[date] = []

    def sync(self, endpoints, start, end, granted=None, *, tz=None):
        self.windows.append(start)
        days = [start + timedelta(days=i) for i in range((end - start).days)]
        days = [d for d in days if d <= TODAY]
        records = {
            "daily_sleep": [DailySleep(id=f"d{d}", day=d, score=70 + d.day % 20) for d in days],
            "sleep": [
                Sleep(id=f"s{d}", day=d, type="long_sleep", average_hrv=40 + d.day % 9)
                for d in days
            ],
        }
        return SyncResult(records={e.name: records.get(e.name, []) for e in endpoints})


class PublishedStates(dict):
    """What Home Assistant holds; calling it answers like ``Publisher.published()``."""

    def __call__(self) -> dict:
        return dict(self)


class QuietPublisher:
    def __init__(self) -> None:
        self.published = PublishedStates()
        self.last_error = None
        self.last_success = None

    def publish(self, desired):
        self.published.update(desired)

    def republish_all(self):
        pass

    def ensure_present(self):
        pass

    def remove(self, entity_ids):
        pass


class HelsinkiHome:
    def get_config(self):
        return {"time_zone": "Europe/Helsinki"}

    def dismiss_notification(self, notification_id):
        pass


def _scheduler(tmp_path, statistics) -> tuple[Scheduler, QuietPublisher]:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=HELSINKI).timestamp()
    accounts = AccountStore(tmp_path, clock=lambda: now)
    accounts.create("me")
    accounts.save_tokens("me", TokenSet("a", "r", now + 86400, ("daily",)), email="me@x")
    publisher = QuietPublisher()
    scheduler = Scheduler(
        settings=Settings(data_dir=tmp_path, history_days=30),
        accounts=accounts,
        oura_client=lambda name: BackfillingOura(),
        trends=TrendStore(tmp_path),
        ha=HelsinkiHome(),
        publisher=publisher,
        statistics=statistics,
        clock=lambda: now,
    )
    return scheduler, publisher


def test_the_first_sync_imports_the_reconciled_days_and_the_next_sync_connects_nowhere(
    home_assistant, tmp_path
):
    importer = _importer(home_assistant.url, tmp_path / "statistics.json")
    scheduler, publisher = _scheduler(tmp_path, importer)
    scheduler.sync_account("me")
    assert publisher.published["sensor.oura_sleep_score"].state != "unknown"
    (sleep_score,) = home_assistant.imported("sensor.oura_sleep_score")
    starts = [row["start"][:10] for row in sleep_score["stats"]]
    # reconcile_days back, not today; older days are the history import's
    assert starts == [f"2026-11-{day}" for day in range(18, 25)]
    assert home_assistant.imported("sensor.oura_average_hrv")
    assert home_assistant.connections == 1

    scheduler.sync_account("me")
    assert home_assistant.connections == 1


def test_a_failing_statistics_import_never_breaks_the_sync(tmp_path, caplog):
    class BrokenImporter:
        def backfill(self, *args):
            raise RuntimeError("boom")

    scheduler, publisher = _scheduler(tmp_path, BrokenImporter())
    scheduler.sync_account("me")
    assert publisher.published["binary_sensor.oura_connected"].state == "on"
    snapshot = scheduler.account_snapshot("me")
    assert snapshot.last_error is None and snapshot.last_sync is not None
    assert "Importing statistics failed" in caplog.text
