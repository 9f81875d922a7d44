"""The README's run command: demo mode with the built-in Oura simulator.

A person opens the panel, clicks Connect, approves on the simulated consent page and sees the
data; with a local Home Assistant given, the sensors land there too.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.addon_process import PanelClient, free_port, wait_for

pytestmark = pytest.mark.slow


class Demo:
    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "demo.log"
        args = ["--port", str(self.port), "--data", str(tmp_path / "demo-data"), "--users", "2"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "oura_addon.demo", *args, "--days", "40", *extra],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"},
            )
        wait_for(self._answers, 30, what="the demo panel to answer")

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.log_path.read_text()
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).ok
        except requests.RequestException:
            return False

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)


def localhost(url: str) -> str:
    """The address as the panel offers it for redirects (Oura refuses 127.0.0.1)."""
    return url.replace("//127.0.0.1:", "//localhost:", 1)


def approve_on_simulated_consent_page(panel: PanelClient, authorize_url: str) -> requests.Response:
    """What a person does in the new tab: look at the consent page and click Approve."""
    page = panel.session.get(authorize_url, timeout=10)
    assert "Approve" in page.text and "Deny" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    scopes = re.findall(r'name="scope" value="([^"]+)" checked', page.text)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, "the consent page has no form"
    simulator = "/".join(authorize_url.split("/")[:3])
    return panel.session.post(
        f"{simulator}{action.group(1)}",
        data={**fields, "user": "1", "scope": scopes, "decision": "approve"},
        timeout=30,
    )


@pytest.fixture
def demo_without_ha(tmp_path) -> Iterator[Demo]:
    demo = Demo(tmp_path)
    try:
        yield demo
    finally:
        assert demo.stop() == 0, demo.log_path.read_text()


def test_demo_connects_a_simulated_account_and_fills_the_dashboard(demo_without_ha):
    panel = PanelClient(demo_without_ha.url)
    status = panel.status()
    assert status["demo"] is True
    assert "shown only in this panel" in status["home_assistant"]["message"]
    authorize_url = panel.authorize("oura", f"{localhost(demo_without_ha.url)}/oauth/callback")
    landed = approve_on_simulated_consent_page(panel, authorize_url)
    assert landed.status_code == 200 and "Connected" in landed.text
    account = wait_for(
        lambda: (a := panel.account("oura")) and a["entities"] and a,
        60,
        what="the demo's first sync",
    )
    assert account["email"].endswith("@example.com")
    states = {e["entity_id"]: e["state"] for e in account["entities"]}
    assert states["sensor.oura_sleep_score"].isdigit()
    assert states["binary_sensor.oura_connected"] == "on"
    page = panel.session.get(f"{demo_without_ha.url}/", timeout=10).text
    assert page.count('class="point"') >= 5 * 20  # five trend charts with weeks of points


def test_a_restarted_demo_shows_its_accounts_connected(tmp_path):
    demo = Demo(tmp_path)
    try:
        panel = PanelClient(demo.url)
        authorize_url = panel.authorize("oura", f"{localhost(demo.url)}/oauth/callback")
        assert "Connected" in approve_on_simulated_consent_page(panel, authorize_url).text
        wait_for(lambda: panel.account("oura")["last_sync"], 60, what="the first sync")
    finally:
        assert demo.stop() == 0, demo.log_path.read_text()

    again = Demo(tmp_path)
    try:
        panel = PanelClient(again.url)
        panel.sync("oura")
        account = wait_for(
            lambda: (a := panel.account("oura")) and a["syncing"] is False and a["last_sync"] and a,
            60,
            what="a sync after the restart",
        )
        assert account["connection"] == "connected"
        assert account["last_error"] is None and account["auth_error"] is None
        assert "still connected from the last run: oura" in again.log_path.read_text()
    finally:
        assert again.stop() == 0, again.log_path.read_text()


def test_a_busy_port_is_one_sentence_and_exit_code_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "oura_addon.demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip() == (
        f"Port {port} is already in use (is the demo already running?): stop the other program "
        "or start the demo with --port."
    )
    assert not (tmp_path / "demo-data").exists()


def test_demo_pushes_the_sensors_into_a_local_home_assistant(tmp_path, running_ha_core):
    demo = Demo(tmp_path, "--ha-url", running_ha_core.api_url, "--ha-token", running_ha_core.token)
    try:
        panel = PanelClient(demo.url)
        authorize_url = panel.authorize("oura", f"{localhost(demo.url)}/oauth/callback")
        assert "Connected" in approve_on_simulated_consent_page(panel, authorize_url).text
        state = wait_for(
            lambda: running_ha_core.get_state("sensor.oura_readiness_score"),
            60,
            what="the demo's sensors in Home Assistant",
        )
        assert state["attributes"]["attribution"]
    finally:
        assert demo.stop() == 0, demo.log_path.read_text()
        for entity_id in list(running_ha_core.get_states()):
            if entity_id.startswith(("sensor.oura_", "binary_sensor.oura_")):
                requests.delete(
                    f"{running_ha_core.api_url}/states/{entity_id}",
                    headers=running_ha_core.headers,
                    timeout=10,
                )
