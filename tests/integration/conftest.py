"""Fixtures for tests that run against a real Home Assistant core on loopback.

One core per session: starting it takes seconds, so tests share it and only the tests that
need a restart restart it. Every test that uses ``ha_core`` is marked ``ha`` automatically,
so ``pytest -m "not ha"`` skips them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ha_core import HomeAssistantCore, HomeAssistantCoreError, locate_venv

HA_FIXTURES = frozenset({"ha_venv", "ha_core"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.ha)


@pytest.fixture(scope="session")
def ha_venv() -> Path:
    """The cached Home Assistant venv; installs it on first use (minutes, once)."""
    try:
        return locate_venv()
    except HomeAssistantCoreError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Cannot prepare the Home Assistant venv: {err}")
        pytest.skip(f"Cannot prepare the Home Assistant venv: {err}")


@pytest.fixture(scope="session")
def ha_core(ha_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HomeAssistantCore]:
    """A running, onboarded core with a long-lived token, shared by the whole session.

    Tests that stop or restart it must leave it running again.
    """
    core = HomeAssistantCore(ha_venv, tmp_path_factory.mktemp("ha-config"))
    try:
        core.start()
        yield core
    finally:
        core.stop()


@pytest.fixture
def running_ha_core(ha_core: HomeAssistantCore) -> HomeAssistantCore:
    """The shared core, started again if an earlier test left it stopped."""
    if not ha_core.running:
        ha_core.start()
    return ha_core
