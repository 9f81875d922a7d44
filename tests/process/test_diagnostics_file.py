"""The diagnostics file of the real add-on process: after a real connection (code, tokens,
refreshes) and syncs, ``GET /api/diagnostics`` holds everything a bug report needs and not
one secret. Every secret the add-on ever handled is looked for in the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oura_addon.simulator import SimulatorServer
from tests.addon_process import AddonProcess, PanelClient, running_addon, simulated_oura, wait_for

pytestmark = pytest.mark.slow

CLIENT_ID = "diagnostics-client"
CLIENT_SECRET = "MARKER-diag-client-secret-61f0"
SUPERVISOR_TOKEN = "MARKER-diag-supervisor-token-a2c9"
MQTT_PASSWORD = "MARKER-diag-mqtt-password-7d15"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=1, days=5) as server:
        yield server


@pytest.fixture(scope="module")
def addon(simulator, tmp_path_factory) -> Iterator[AddonProcess]:
    options = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "poll_interval": 60,
        "log_level": "debug",  # the most chances for a secret to reach the log
        "publish_mode": "core_api",
        "mqtt_username": "oura",
        "mqtt_password": MQTT_PASSWORD,
    }
    with running_addon(
        tmp_path_factory.mktemp("addon-diagnostics"),
        simulator.url,
        "http://127.0.0.1:9/api",
        options,
        SUPERVISOR_TOKEN=SUPERVISOR_TOKEN,
    ) as process:
        yield process


@pytest.fixture(scope="module")
def connected(addon) -> dict[str, Any]:
    panel = PanelClient(addon.url)
    landed = panel.connect_with_auto_approve("oura")
    assert "Connected" in landed.text
    code = parse_qs(urlsplit(landed.url).query)["code"][0]
    account = wait_for(lambda: panel.account("oura")["last_sync"] and panel.account("oura"), 60)
    return {"panel": panel, "code": code, "email": account["email"]}


def _tokens(addon: AddonProcess) -> list[str]:
    """The access and refresh tokens in the account's token file, wherever they sit."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("access_token", "refresh_token") and isinstance(item, str):
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads((addon.accounts_dir / "oura.json").read_text()))
    return found


def _download(addon: AddonProcess, query: str = "") -> tuple[requests.Response, str]:
    response = requests.get(f"{addon.url}/api/diagnostics{query}", timeout=30)
    assert response.status_code == 200, response.text
    return response, response.text


def test_the_file_names_no_secret(addon, connected) -> None:
    response, text = _download(addon)
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    secrets = [CLIENT_SECRET, SUPERVISOR_TOKEN, MQTT_PASSWORD, connected["code"]]
    secrets += _tokens(addon)
    assert len(secrets) >= 6, "the token file should hold an access and a refresh token"
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"secrets in the diagnostics file: {leaked}"
    assert connected["email"] and connected["email"] not in text


def test_the_file_holds_what_a_bug_report_needs(addon, connected) -> None:
    # The first post to Home Assistant follows the sync; on a busy machine it may still be out.
    def posted_once() -> dict[str, Any] | None:
        document = _download(addon)[0].json()
        return document if document["publisher"]["home_assistant"] != "waiting" else None

    document = wait_for(posted_once, 60, what="the first post to Home Assistant")
    assert document["addon"]["version"] and document["addon"]["simulator"] is False
    assert "error" in document["home_assistant"]  # nothing listens where Home Assistant would
    assert document["settings"]["client_id"] == CLIENT_ID
    assert document["settings"]["publish_mode"] == "core_api"
    (account,) = document["accounts"]
    assert account["connection"] == "connected" and account["last_sync"]
    assert account["granted_scopes"], "the simulator grants scopes"
    assert isinstance(account["endpoint_errors"], dict)
    assert document["publisher"]["home_assistant"] == "unreachable"
    assert 0 < len(document["log"]) <= 200


def test_the_email_only_when_ticked(addon, connected) -> None:
    document = _download(addon, "?include_email=1")[0].json()
    assert document["accounts"][0]["email"] == connected["email"]
