"""tests/unit is in-process only: a test here that opens a socket or starts a process fails.

Tests that need loopback servers live in tests/loopback (and the other layers' folders),
the add-on process in tests/process, the linters in tests/packaging.
"""

from __future__ import annotations

import socket
import subprocess

import pytest


class LayerViolation(AssertionError):
    pass


def _refuse(what: str):
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise LayerViolation(f"a unit test must not {what}; move it to its layer's folder")

    return refuse


@pytest.fixture(autouse=True)
def in_process_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse("open a connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("open a connection"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("listen on a socket"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("start a process"))
