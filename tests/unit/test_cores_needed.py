"""scripts/test builds only the Home Assistant cores the selected tests need."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ha_core import SUPPORTED_CORES, cores_needed

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "not ha and not browser"],
        ["-m", "not ha"],
        ["-mnot ha"],
        ["-m", "browser"],
        ["-m", "kill"],
        ["tests/unit", "tests/web", "-q", "-x"],
        ["tests/browser/test_connect_flow.py::test_x"],
        ["-m", "mqtt", "tests/mqtt"],
    ],
)
def test_no_core_is_built_for_tests_that_need_none(args, monkeypatch):
    monkeypatch.delenv("OURA_HA_CORES", raising=False)
    assert cores_needed(args, ROOT) == ()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-x", "-q"],
        ["-m", "ha"],
        ["-m", "mqtt"],  # the MQTT discovery core test carries both markers
        ["-m", "slow or ha"],
        ["tests"],
        ["tests/integration/test_demo.py", "-k", "restarted"],
        ["-m", "not browser", "tests/integration"],
    ],
)
def test_every_selected_core_is_built_when_a_test_needs_one(args, monkeypatch):
    monkeypatch.delenv("OURA_HA_CORES", raising=False)
    assert cores_needed(args, ROOT) == SUPPORTED_CORES


def test_oura_ha_cores_still_picks_among_them(monkeypatch):
    monkeypatch.setenv("OURA_HA_CORES", "2025.4.4")
    assert cores_needed(["-m", "ha"], ROOT) == ("2025.4.4",)
    assert cores_needed(["-m", "not ha"], ROOT) == ()
