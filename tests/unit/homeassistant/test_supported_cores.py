"""The Home Assistant releases the add-on declares are the ones the `ha` layer runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.ha_core import CORES_VARIABLE, NEWEST_CORE, OLDEST_CORE, log_problems, selected_cores

REPO = Path(__file__).resolve().parents[3]


def test_config_yaml_declares_the_oldest_core_the_tests_run_as_the_minimum():
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    assert config["homeassistant"] == OLDEST_CORE


def test_the_documentation_states_the_tested_range():
    docs = (REPO / "DOCS.md").read_text(encoding="utf-8")
    assert f"Home Assistant {OLDEST_CORE} or newer" in docs
    assert NEWEST_CORE in docs


def test_every_supported_core_runs_unless_the_environment_picks_some(monkeypatch):
    monkeypatch.delenv(CORES_VARIABLE, raising=False)
    assert selected_cores() == (OLDEST_CORE, NEWEST_CORE)
    monkeypatch.setenv(CORES_VARIABLE, f" {NEWEST_CORE} ,")
    assert selected_cores() == (NEWEST_CORE,)


HA_LOG = """\
2026-12-01 20:36:25.033 WARNING (MainThread) [homeassistant.bootstrap] Skipping pip installation of required modules. This may cause issues
2026-12-01 20:36:27.100 INFO (MainThread) [homeassistant.setup] Setting up recorder
2026-12-01 20:36:28.337 ERROR (ImportExecutor_0) [homeassistant.components.camera.img_util] Error loading libturbojpeg; Camera snapshot performance will be sub-optimal
Traceback (most recent call last):
RuntimeError: Unable to locate turbojpeg library automatically.
2026-12-01 20:37:01.500 WARNING (MainThread) [homeassistant.components.recorder.websocket_api] WS command recorder/import_statistics called without specifying mean_type in metadata, this is deprecated and will stop working in HA Core 2026.11
2026-12-01 20:37:02.000 ERROR (MainThread) [homeassistant.components.http] Invalid state
Traceback (most recent call last):
ValueError: too long
"""  # noqa: E501


def test_the_log_check_reads_the_newer_cores_timestamps_with_their_offset():
    line = (
        "2026-12-01 20:59:41.679+00:00 WARNING (MainThread) "
        "[homeassistant.components.recorder.websocket_api] WS command "
        "recorder/import_statistics called without specifying unit_class in metadata"
    )
    assert log_problems(line) == [line]


def test_a_log_in_an_unknown_format_fails_the_check_instead_of_passing_it():
    with pytest.raises(ValueError, match="no Home Assistant log record"):
        log_problems("20:59:41 WARNING something new\n")


def test_the_log_check_reports_what_the_addon_caused_with_its_traceback_and_not_the_noise():
    problems = log_problems(HA_LOG)
    assert [p.split()[2] for p in problems] == ["WARNING", "ERROR"]
    assert "called without specifying mean_type" in problems[0]
    assert problems[1].endswith("ValueError: too long")
