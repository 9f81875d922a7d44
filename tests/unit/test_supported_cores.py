"""The Home Assistant releases the add-on declares are the ones the `ha` layer runs."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.ha_core import CORES_VARIABLE, NEWEST_CORE, OLDEST_CORE, selected_cores

REPO = Path(__file__).resolve().parents[2]


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
