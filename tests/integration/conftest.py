"""Fixtures for tests that run against real Home Assistant cores on loopback.

Every scenario runs once per supported core (``tests/ha_core.py``: the oldest supported
release and the newest), one core at a time: ``ha_core`` is a session fixture with one
parameter per core, so pytest runs every test against the first core, stops it, then starts
the next. Test ids carry the core (``[ha-2026.11.0]``); ``OURA_HA_CORES=2026.11.0`` or
``-k ha-2026.11.0`` runs one for a quick check. Every test that uses ``ha_core`` is marked
``ha`` automatically, so ``pytest -m "not ha"`` skips them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.ha_core import CoreInstall, HomeAssistantCore, HomeAssistantCoreError, selected_cores

HA_FIXTURES = frozenset({"ha_install", "ha_core"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.ha)


@pytest.fixture(scope="session", params=selected_cores(), ids=lambda version: f"ha-{version}")
def ha_install(request: pytest.FixtureRequest) -> CoreInstall:
    """A cached Home Assistant install; built on first use (minutes, once per version)."""
    try:
        return CoreInstall.locate(request.param)
    except HomeAssistantCoreError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Cannot prepare Home Assistant {request.param}: {err}")
        pytest.skip(f"Cannot prepare Home Assistant {request.param}: {err}")


@pytest.fixture(scope="session")
def ha_core(
    ha_install: CoreInstall, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HomeAssistantCore]:
    """A running, onboarded core with a long-lived token, shared by the whole session.

    Tests that stop or restart it must leave it running again.
    """
    core = HomeAssistantCore(ha_install, tmp_path_factory.mktemp(f"ha-{ha_install.version}"))
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
