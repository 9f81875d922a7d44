"""Debian's mosquitto on a free loopback port, for the MQTT tests.

``Mosquitto`` writes its own configuration (loopback listener, optional password file, no
persistence: a restart loses every retained message, the hardest case for the add-on) and
can be stopped and restarted on the same port. ``Watcher`` is a paho client that records
every message on the topics a test cares about.
"""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_mosquitto() -> None:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed (scripts/test installs Debian's mosquitto)")


class Mosquitto:
    def __init__(
        self, directory: Path, *, username: str | None = None, password: str | None = None
    ) -> None:
        self.directory = directory
        self.port = free_port()
        self.host = "127.0.0.1"
        self.username = username
        self.password = password
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Run as whoever runs the tests: as root it would switch to a user that cannot
        # read the test's private directory.
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            f"user {getpass.getuser()}",
        ]
        if self.username:
            passwords = self.directory / "passwords"
            passwords.write_text("", encoding="utf-8")
            subprocess.run(
                [MOSQUITTO_PASSWD, "-b", str(passwords), self.username, self.password or ""],
                check=True,
                capture_output=True,
            )
            passwords.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        config = self.directory / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        log = (self.directory / "mosquitto.log").open("ab")
        self._process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if self._process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.address}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def watcher(self, *topics: str) -> Watcher:
        return Watcher(self, topics or ("#",))


class Watcher:
    """Records (topic, payload, retained) of every message on ``topics``."""

    def __init__(self, broker: Mosquitto, topics: tuple[str, ...]) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self.retained: dict[str, str] = {}
        self._lock = threading.RLock()
        self._ready = threading.Event()
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-watcher-{uuid.uuid4().hex[:8]}",
        )
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        self._client.on_connect = lambda c, *_: (
            [c.subscribe(t, qos=1) for t in topics],
            self._ready.set(),
        )
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError("the test watcher could not connect")
        time.sleep(0.3)  # retained messages arrive right after subscribing

    def _on_message(self, client, userdata, message) -> None:
        payload = message.payload.decode()
        with self._lock:
            self.messages.append((message.topic, payload, bool(message.retain)))
            self.retained[message.topic] = payload

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(self, predicate: Callable[[Watcher], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if predicate(self):
                    return
            time.sleep(0.05)
        raise AssertionError(f"condition not met within {timeout} s; saw {self.messages[-5:]}")

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
