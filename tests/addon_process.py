"""The add-on as users run it: ``python -m oura_addon`` in a subprocess, driven through its
runtime interface (environment variables and the panel's HTTP API)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from oura_addon.benchmark.memory import RUN_FLAGS
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator

SUPERVISOR_TOKEN = "test-supervisor-token"
TIME_ZONE = "Europe/Helsinki"  # the simulated users' zone and the HA harness's default


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def addon_environment(
    data_dir: Path,
    simulator_url: str,
    ha_api_url: str,
    *,
    supervisor_token: str = SUPERVISOR_TOKEN,
    time_zone: str = TIME_ZONE,
) -> dict[str, str]:
    """The environment the Supervisor would give, with every remote on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OURA_", "HA_", "SUPERVISOR"))
    }
    env.update(
        OURA_ADDON_DATA=str(data_dir),
        OURA_ADDON_HOST="127.0.0.1",
        OURA_ADDON_TRUSTED_CLIENTS="127.0.0.1",
        OURA_API_URL=simulator_url,
        OURA_AUTH_URL=simulator_url,
        HA_API_URL=ha_api_url,
        HA_WS_URL=ha_api_url.replace("http", "ws", 1).removesuffix("/api") + "/api/websocket",
        SUPERVISOR_URL="http://127.0.0.1:9",
        SUPERVISOR_TOKEN=supervisor_token,
        PYTHONUNBUFFERED="1",
        # Without Home Assistant the add-on uses the system zone for "today": match the
        # simulator's users so both agree on which days the data covers.
        TZ=time_zone,
    )
    return env


def write_options(data_dir: Path, options: dict[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "options.json").write_text(json.dumps(options))


@dataclass
class AddonProcess:
    """``python -m oura_addon`` on a free loopback port, its output captured to a file."""

    data_dir: Path
    log_path: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def accounts_dir(self) -> Path:
        return self.data_dir / "accounts"

    def start(self, timeout: float = 30.0) -> AddonProcess:
        env = {**self.env, "OURA_ADDON_PORT": str(self.port)}
        logged_before = len(self.log_text)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *RUN_FLAGS, "-m", "oura_addon"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir.parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(f"{self.url}/healthz", timeout=2)
                return self
            except requests.RequestException:
                # A test runner outside the trusted list is refused on connect: the log
                # line then says the panel is up.
                if (
                    f"panel on http://{self.env['OURA_ADDON_HOST']}:{self.port}"
                    in self.log_text[logged_before:]
                ):
                    return self
                time.sleep(0.1)
        code = self.process.poll()
        self.kill()
        pytest.fail(
            f"The add-on did not answer /healthz within {timeout:.0f} s "
            f"(exit code {code}). Its output:\n{self.log_text}"
        )

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM and wait; returns the exit code, or None if it had to be killed."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


class PanelClient:
    """The panel's HTTP API as a script uses it: cookie jar + CSRF token from the page."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        page = self.session.get(f"{self.base_url}/", timeout=10)
        page.raise_for_status()
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert match, "the panel page carries no csrf-token meta tag"
        self.session.headers["X-CSRF-Token"] = match.group(1)

    def status(self) -> dict[str, Any]:
        return self.session.get(f"{self.base_url}/api/status", timeout=10).json()

    def account(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.status()["accounts"] if a["name"] == name), None)

    def authorize(self, name: str, redirect_uri: str) -> str:
        response = self.session.post(
            f"{self.base_url}/api/accounts/{name}/authorize",
            json={"redirect_uri": redirect_uri},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["authorize_url"]

    def connect_with_auto_approve(self, name: str, user: int = 1) -> requests.Response:
        """Authorize against an auto-approving simulator and follow it back to the callback."""
        # As the panel offers it: Oura's new identity provider refuses 127.0.0.1.
        callback = self.base_url.replace("//127.0.0.1:", "//localhost:", 1)
        url = self.authorize(name, f"{callback}/oauth/callback")
        return self.session.get(f"{url}&user={user}", timeout=30)

    def sync(self, account: str | None = None) -> None:
        body = {"account": account} if account else {}
        response = self.session.post(f"{self.base_url}/api/sync", json=body, timeout=10)
        assert response.status_code == 202, response.text

    def delete(self, name: str) -> requests.Response:
        return self.session.delete(f"{self.base_url}/api/accounts/{name}", timeout=30)


def wait_for(predicate, timeout: float, interval: float = 0.25, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@contextmanager
def simulated_oura(
    client_id: str,
    client_secret: str,
    *,
    users: int,
    days: int,
    time_zone: str = TIME_ZONE,
    access_token_ttl: int = SimulatorConfig.access_token_ttl,
    auto_approve: bool = True,
    **config: Any,
) -> Iterator[SimulatorServer]:
    """An Oura simulator whose calendar day is today in ``time_zone``, so last night's sleep
    and today's activity exist whatever the hour the suite runs at. It approves every
    sign-in unless ``auto_approve`` is off (a browser then clicks its consent page)."""
    simulated = SimulatorConfig(
        client_id=client_id,
        client_secret=client_secret,
        days=days,
        users=users,
        auto_approve=auto_approve,
        today=datetime.now(ZoneInfo(time_zone)).date(),
        timezone=time_zone,
        access_token_ttl=access_token_ttl,
        **config,
    )
    with SimulatorServer(create_simulator(simulated)) as server:
        yield server


@contextmanager
def running_addon(
    root: Path, simulator_url: str, ha_api_url: str, options: dict[str, Any], **env: str
) -> Iterator[AddonProcess]:
    """The add-on process with ``options`` as its options.json; asserts it stops on SIGTERM."""
    data_dir = root / "data"
    write_options(data_dir, options)
    environment = addon_environment(data_dir, simulator_url, ha_api_url) | env
    process = AddonProcess(data_dir=data_dir, log_path=root / "addon.log", env=environment)
    process.start()
    try:
        yield process
    finally:
        assert process.stop() is not None, process.log_text
