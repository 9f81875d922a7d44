"""Fixtures for the MQTT layer: a real mosquitto per test on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mosquitto import Mosquitto, require_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    require_mosquitto()
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def locked_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker that lets in only user ``addon`` with password ``right``."""
    require_mosquitto()
    broker = Mosquitto(tmp_path / "mosquitto-locked", username="addon", password="right")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
