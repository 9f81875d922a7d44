"""The history import's fixtures: see rig.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oura_addon.simulator import SimulatorServer
from tests.history.rig import start_rig


@pytest.fixture
def rig_factory(tmp_path) -> Iterator:
    servers: list[SimulatorServer] = []

    def make(days: int = 400):
        rig, server = start_rig(tmp_path / f"data{len(servers)}", days)
        servers.append(server)
        return rig

    yield make
    for server in servers:
        server.stop()
