"""The unit layer's guard works: sockets and processes are refused here."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.unit.conftest import LayerViolation


def test_a_unit_test_cannot_open_a_connection() -> None:
    with pytest.raises(LayerViolation):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_a_unit_test_cannot_listen() -> None:
    with pytest.raises(LayerViolation), socket.socket() as server:
        server.bind(("127.0.0.1", 0))


def test_a_unit_test_cannot_start_a_process() -> None:
    with pytest.raises(LayerViolation):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
