"""``python -m oura_addon.simulator`` as another process would run it."""

from __future__ import annotations

import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.simulator.conftest import REDIRECT_URI


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_line(process: subprocess.Popen, timeout: float = 20) -> str:
    """The next stdout line, failing (not hanging) if none comes."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                return process.stdout.readline()
            if process.poll() is not None:
                break
    stderr = process.stderr.read() if process.poll() is not None else ""
    pytest.fail(f"the simulator printed nothing; exit={process.poll()} stderr={stderr[-500:]}")


@pytest.fixture
def launch() -> Iterator:
    processes: list[subprocess.Popen] = []

    def start(*arguments: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "oura_addon.simulator", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_cli_serves_a_user_through_auto_approve_then_exits_0_on_a_signal(
    launch, stop_signal
) -> None:
    port = free_port()
    process = launch(
        "--port", str(port), "--client-id", "cli-app", "--client-secret", "cli-secret",
        "--users", "2", "--days", "5", "--auto-approve",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    assert read_line(process).strip() == f"Oura simulator listening on {url}"

    with requests.Session() as http:
        answer = http.get(
            f"{url}/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": "cli-app",
                "redirect_uri": REDIRECT_URI,
                "state": "cli",
                "user": "2",
            },
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        tokens = http.post(
            f"{url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": "cli-app",
                "client_secret": "cli-secret",
            },
            timeout=10,
        ).json()
        info = http.get(
            f"{url}/v2/usercollection/personal_info",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=10,
        )
    assert info.status_code == 200
    assert info.json()["email"] == "sleeper2@example.com"

    process.send_signal(stop_signal)
    assert process.wait(timeout=15) == 0


def test_cli_refuses_an_unknown_portal_with_a_usage_error(launch) -> None:
    process = launch("--portal", "sideways")
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "--portal" in stderr


def test_cli_refuses_an_unknown_time_zone_with_a_message(launch) -> None:
    process = launch("--port", str(free_port()), "--timezone", "Mars/Olympus_Mons")
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "Mars/Olympus_Mons" in stderr
