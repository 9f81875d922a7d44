"""What the statistics importer sends Home Assistant and keeps in statistics.json, seen
from outside: the exact file on disk, the metadata a given core release expects, renamed
entities, a damaged or unwritable state file, old days dropped, the log lines a user reads,
and the login pause after a refused token. Home Assistant's websocket is the in-process
stand-in of test_statistics_flow (no socket)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest

from oura_addon.homeassistant.rest import HomeAssistantError
from oura_addon.homeassistant.statistics import StatisticsImporter
from oura_addon.homeassistant.websocket import WebSocketError
from tests.unit.homeassistant.test_statistics_flow import METRICS, SLEEP, TODAY, Core
from tests.unit.homeassistant.test_statistics_refusal import RefusingCore

HRV = "sensor.oura_average_hrv"
DURATION = "sensor.oura_total_sleep_duration"


class RegistryCore(Core):
    """Home Assistant whose entity registry holds the given MQTT entities (unique id ->
    entity id), or refuses to list them when ``entries`` is None."""

    def __init__(self, entries: Mapping[str, str] | None, refuse: tuple[str, ...] = ()) -> None:
        super().__init__(refuse)
        self.entries = entries

    def send(self, data: str) -> None:
        message = json.loads(data)
        if message.get("type") != "config/entity_registry/list":
            super().send(data)
            return
        if self.entries is None:
            error = {"code": "unauthorized", "message": "admin only"}
            self._outbox.append({"id": message["id"], "type": "result", "success": False,
                                 "error": error})  # fmt: skip
            return
        listed = [
            {"platform": "mqtt", "unique_id": unique_id, "entity_id": entity_id}
            for unique_id, entity_id in self.entries.items()
        ]
        self._outbox.append({"id": message["id"], "type": "result", "success": True,
                             "result": listed})  # fmt: skip


def unreachable(url: str, timeout: float) -> Any:
    raise OSError("connection refused")


def importer(tmp_path: Path, connect: Any, **options: Any) -> StatisticsImporter:
    return StatisticsImporter(
        "ws://core", "token", tmp_path / "statistics.json", connect=connect, **options
    )


def stored(tmp_path: Path) -> Any:
    return json.loads((tmp_path / "statistics.json").read_text())


# -- the state file ------------------------------------------------------------------------


def test_days_waiting_for_home_assistant_are_on_disk_before_any_connection(tmp_path: Path):
    # Home Assistant down: the queued days must survive an add-on restart.
    assert importer(tmp_path, unreachable).backfill("oura", METRICS, TODAY, UTC) == 0
    assert stored(tmp_path) == {
        "format": 1,
        "statistics": {
            SLEEP: {
                "unit": None,
                "imported": {},
                "pending": {"2026-01-08": 80.0, "2026-01-09": 82.0},
            }
        },
    }


def test_accepted_days_are_noted_as_imported_in_the_file(tmp_path: Path):
    metrics = {**METRICS, "average_hrv": {"2026-01-09": 41.0}}
    assert importer(tmp_path, Core()).backfill("oura", metrics, TODAY, UTC) == 3
    assert stored(tmp_path)["statistics"] == {
        HRV: {"unit": "ms", "imported": {"2026-01-09": 41.0}, "pending": {}},
        SLEEP: {"unit": None, "imported": {"2026-01-08": 80.0, "2026-01-09": 82.0}, "pending": {}},
    }


def test_a_damaged_state_file_is_started_again_and_the_days_sent_once_more(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    (tmp_path / "statistics.json").write_text("{not json")
    core = Core()
    assert importer(tmp_path, core).backfill("oura", METRICS, TODAY, UTC) == 2
    assert [row["mean"] for row in core.imports[0]["stats"]] == [80.0, 82.0]
    assert "statistics.json was unreadable" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        [SLEEP],
        {"format": 1, "statistics": {SLEEP: ["2026-01-08"]}},
    ],
)
def test_a_state_file_of_the_wrong_shape_only_makes_the_days_go_again(tmp_path: Path, content):
    (tmp_path / "statistics.json").write_text(json.dumps(content))
    core = Core()
    assert importer(tmp_path, core).backfill("oura", METRICS, TODAY, UTC) == 2


def test_hand_edited_entries_keep_what_is_readable(tmp_path: Path):
    (tmp_path / "statistics.json").write_text(
        json.dumps(
            {
                "format": 1,
                "statistics": {
                    "sensor.oura_broken": "x",
                    DURATION: {
                        "unit": "h",
                        "imported": {},
                        "pending": {"2026-01-07": 7, "yesterday": 8.0, "2026-01-06": True},
                    },
                },
            }
        )
    )
    pending = importer(tmp_path, unreachable).pending_days()
    # Whole numbers are values; a day that is no date and a true/false are not.
    assert pending == {DURATION: {"2026-01-07": 7.0}}
    assert isinstance(pending[DURATION]["2026-01-07"], float)


def test_an_unwritable_state_file_is_a_warning_and_the_import_still_happens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    (tmp_path / "data").write_text("a file where /data should be a folder")
    core = Core()
    stats = StatisticsImporter(
        "ws://core", "token", tmp_path / "data" / "statistics.json", connect=core
    )
    assert stats.backfill("oura", METRICS, TODAY, UTC) == 2
    assert len(core.imports) == 1
    assert "Could not save statistics.json" in caplog.text


def test_days_older_than_the_longest_reconcile_window_and_a_week_are_dropped(tmp_path: Path):
    # The longest reconcile window is 60 days; a week's margin keeps 67 days back.
    kept, dropped = (TODAY - timedelta(days=67)).isoformat(), (TODAY - timedelta(days=68))
    metrics = {"sleep_score": {dropped.isoformat(): 70.0, kept: 71.0}}
    stats = importer(tmp_path, unreachable)
    stats.backfill("oura", metrics, TODAY, UTC)
    assert stats.pending_days() == {SLEEP: {kept: 71.0}}
    # Imported days age out the same way.
    importer(tmp_path, Core()).backfill("oura", {}, TODAY, UTC)
    importer(tmp_path, Core()).backfill("oura", {}, TODAY + timedelta(days=1), UTC)
    assert stored(tmp_path)["statistics"][SLEEP]["imported"] == {}


def test_a_day_just_inside_the_kept_window_stays_imported(tmp_path: Path):
    day = (TODAY - timedelta(days=67)).isoformat()
    core = Core()
    importer(tmp_path, core).backfill("oura", {"sleep_score": {day: 71.0}}, TODAY, UTC)
    assert stored(tmp_path)["statistics"][SLEEP]["imported"] == {day: 71.0}
    # Sent again unchanged: nothing goes.
    importer(tmp_path, core).backfill("oura", {"sleep_score": {day: 71.0}}, TODAY, UTC)
    assert len(core.imports) == 1


def test_a_catalogue_unit_change_reaches_the_days_still_waiting(tmp_path: Path):
    # Queued by an older release that showed the duration in minutes.
    (tmp_path / "statistics.json").write_text(
        json.dumps(
            {
                "format": 1,
                "statistics": {
                    DURATION: {"unit": "min", "imported": {}, "pending": {"2026-01-08": 7.5}}
                },
            }
        )
    )
    core = Core()
    assert importer(tmp_path, core).backfill("oura", {}, TODAY, UTC) == 1
    assert core.imports[0]["metadata"]["unit_of_measurement"] == "h"


def test_days_that_are_not_numbers_are_never_queued(tmp_path: Path):
    metrics = {"sleep_score": {"2026-01-07": float("nan"), "2026-01-08": float("inf")}}
    core = Core()
    assert importer(tmp_path, core).backfill("oura", metrics, TODAY, UTC) == 0
    assert core.logins == 0


def test_removing_an_account_leaves_the_file_untouched_when_it_had_no_days(tmp_path: Path):
    stats = importer(tmp_path, unreachable)
    stats.backfill("oura", METRICS, TODAY, UTC)
    before = (tmp_path / "statistics.json").stat().st_mtime_ns
    stats.forget("oura_work")
    assert (tmp_path / "statistics.json").stat().st_mtime_ns == before
    assert stats.pending_days() == {SLEEP: {"2026-01-08": 80.0, "2026-01-09": 82.0}}
    stats.forget("oura")
    assert stats.pending_days() == {}


# -- what Home Assistant receives ----------------------------------------------------------


def test_the_import_message_names_the_statistic_its_metadata_and_rows(tmp_path: Path):
    core = Core()
    importer(tmp_path, core).backfill("oura", {"average_hrv": {"2026-01-09": 41.0}}, TODAY, UTC)
    (sent,) = core.imports
    assert sent == {
        "id": 1,
        "type": "recorder/import_statistics",
        "metadata": {
            "statistic_id": HRV,
            "source": "recorder",
            "name": None,
            "unit_of_measurement": "ms",
            "has_sum": False,
            "mean_type": 1,
            "unit_class": "duration",
        },
        "stats": [{"start": "2026-01-09T00:00:00+00:00", "mean": 41.0, "min": 41.0, "max": 41.0}],
    }


def test_an_older_core_gets_the_metadata_it_understands(tmp_path: Path):
    core = Core()
    stats = importer(tmp_path, core, ha_config=lambda: {"version": "2025.4.2"})
    stats.backfill("oura", METRICS, TODAY, UTC)
    metadata = core.imports[0]["metadata"]
    assert metadata["has_mean"] is True
    assert "mean_type" not in metadata and "unit_class" not in metadata


def test_an_unknown_core_version_gets_the_newest_metadata(tmp_path: Path):
    def config() -> Mapping[str, Any]:
        raise HomeAssistantError("Home Assistant is starting", 502)

    core = Core()
    assert importer(tmp_path, core, ha_config=config).backfill("oura", METRICS, TODAY, UTC) == 2
    assert core.imports[0]["metadata"]["mean_type"] == 1


def test_a_renamed_entity_gets_the_days_under_its_new_id(tmp_path: Path):
    core = RegistryCore({"oura_u1_sleep_score": "sensor.my_sleep"})
    stats = importer(
        tmp_path, core, unique_ids=lambda: {SLEEP: "oura_u1_sleep_score", HRV: "oura_u1_hrv"}
    )
    metrics = {**METRICS, "average_hrv": {"2026-01-09": 41.0}}
    assert stats.backfill("oura", metrics, TODAY, UTC) == 3
    sent = {m["metadata"]["statistic_id"] for m in core.imports}
    assert sent == {"sensor.my_sleep", HRV}  # the HRV entity is not in the registry yet
    # The bookkeeping stays under the default id.
    assert stats.pending_days() == {}


def test_without_the_registry_the_days_go_under_the_default_ids(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    core = RegistryCore(None)
    stats = importer(tmp_path, core, unique_ids=lambda: {SLEEP: "oura_u1_sleep_score"})
    assert stats.backfill("oura", METRICS, TODAY, UTC) == 2
    assert [m["metadata"]["statistic_id"] for m in core.imports] == [SLEEP]
    assert "the entity registry is unavailable" in caplog.text


def test_the_importer_shows_its_address_but_never_its_token(tmp_path: Path):
    stats = StatisticsImporter("ws://core/api/websocket", "secret-token", tmp_path / "s.json")
    assert repr(stats) == "StatisticsImporter('ws://core/api/websocket')"


# -- the log a user reads --------------------------------------------------------------------


def test_the_log_says_how_many_days_were_imported_and_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    metrics = {**METRICS, "average_hrv": {"2026-01-09": 41.0}}
    importer(tmp_path, Core()).backfill("oura", metrics, TODAY, UTC)
    assert (
        "Imported 3 past day value(s) into Home Assistant's statistics of "
        f"{HRV}, {SLEEP}" in caplog.text
    )


def test_nothing_imported_logs_no_import_line(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    importer(tmp_path, Core(refuse=(SLEEP,))).backfill("oura", METRICS, TODAY, UTC)
    assert "Imported" not in caplog.text


def test_a_refused_statistic_is_named_with_the_days_still_waiting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    metrics = {**METRICS, "average_hrv": {"2026-01-09": 41.0}}
    core = Core(refuse=(SLEEP,))
    assert importer(tmp_path, core).backfill("oura", metrics, TODAY, UTC) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"Statistics: Home Assistant refused the import of {SLEEP} (invalid: no). "
        "2 past day value(s) wait for the next sync."
    ]


def test_an_unreachable_home_assistant_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    importer(tmp_path, unreachable).backfill("oura", METRICS, TODAY, UTC)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "is not reachable" in warning
    assert warning.endswith("2 past day value(s) wait for the next sync.")


def test_a_clean_import_logs_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    importer(tmp_path, Core()).backfill("oura", METRICS, TODAY, UTC)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- after a refused token -------------------------------------------------------------------


def test_logins_resume_exactly_an_hour_after_a_refused_token(tmp_path: Path):
    clock = [500.0]
    core = RefusingCore()
    stats = importer(tmp_path, core, clock=lambda: clock[0])
    assert stats.backfill("oura", METRICS, TODAY, UTC) == 0
    clock[0] += 3600
    assert stats.backfill("oura", METRICS, TODAY, UTC) == 0
    assert core.logins == 2


def test_during_the_pause_a_session_is_refused_as_a_refused_token(tmp_path: Path):
    clock = [500.0]
    core = RefusingCore()
    stats = importer(tmp_path, core, clock=lambda: clock[0])
    with pytest.raises(WebSocketError), stats.session():
        pass
    with pytest.raises(WebSocketError) as raised, stats.session():
        pass
    assert raised.value.auth_refused
    assert core.logins == 1


def test_an_unreachable_home_assistant_does_not_pause_the_next_attempt(tmp_path: Path):
    attempts = []

    def flaky(url: str, timeout: float) -> Any:
        attempts.append(url)
        raise OSError("connection refused")

    stats = importer(tmp_path, flaky, clock=lambda: 0.0)
    with pytest.raises(WebSocketError), stats.session():
        pass
    with pytest.raises(WebSocketError), stats.session():
        pass
    stats.backfill("oura", METRICS, TODAY, UTC)
    assert len(attempts) == 3
