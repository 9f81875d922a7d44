"""The panel over the real account and credential stores, and served by waitress on loopback."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import waitress

from oura_addon.logs import SecretRedactor
from oura_addon.services import Services
from oura_addon.settings import Settings
from oura_addon.store.accounts import AccountStore
from oura_addon.store.credentials import AppCredentialsStore
from oura_addon.web import create_app
from tests.web.conftest import INGRESS, Panel
from tests.web.fakes import AUTH_CODE, SECRETS, FakeOAuth, FakeOuraClients, FakeSync

REDIRECT_URI = f"https://ha.example.com{INGRESS}/oauth/callback"


def real_services(data_dir: Path, client_id: str | None = None, secret: str | None = None):
    settings = Settings(data_dir=data_dir, trusted_clients=("172.30.32.2", "127.0.0.1"))
    redactor = SecretRedactor()
    services = Services(
        settings=settings,
        accounts=AccountStore(data_dir, on_secret=redactor.add),
        credentials=AppCredentialsStore(data_dir, client_id, secret, on_secret=redactor.add),
        oauth=FakeOAuth(),  # type: ignore[arg-type]
        oura_client=FakeOuraClients(),  # type: ignore[arg-type]
        sync=FakeSync(),
        redactor=redactor,
    )
    return settings, services


def test_connecting_with_the_real_stores_persists_private_files(tmp_path: Path) -> None:
    settings, services = real_services(tmp_path)
    panel = Panel(create_app(settings, services))
    saved = panel.post(
        "/api/credentials",
        json={"client_id": "app-id", "client_secret": "fake-client-secret-s3cr3t"},
    )
    assert saved.status_code == 200
    started = panel.post("/api/accounts/oura/authorize", json={"redirect_uri": REDIRECT_URI})
    state = parse_qs(urlsplit(started.get_json()["authorize_url"]).query)["state"][0]
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert page.status_code == 200
    assert "sleeper@example.com" in page.get_data(True)

    account_file = tmp_path / "accounts" / "oura.json"
    assert os.stat(account_file).st_mode & 0o777 == 0o600
    assert json.loads(account_file.read_text())["email"] == "sleeper@example.com"
    # A fresh store (an add-on restart) sees the connected account.
    reopened = AccountStore(tmp_path).get("oura")
    assert reopened is not None and reopened.connection == "connected"

    status = panel.get("/api/status")
    assert status.get_json()["accounts"][0]["connection"] == "connected"
    assert status.get_json()["credentials"]["source"] == "panel"
    for secret in SECRETS:
        assert secret not in status.get_data(True)
        assert secret not in panel.get("/").get_data(True)

    assert panel.delete("/api/accounts/oura").status_code == 200
    assert not account_file.exists()
    assert AccountStore(tmp_path).list() == []


def test_credentials_set_in_the_options_cannot_be_overwritten(tmp_path: Path) -> None:
    settings, services = real_services(tmp_path, "options-id", "options-secret-123")
    panel = Panel(create_app(settings, services))
    refused = panel.post("/api/credentials", json={"client_id": "x", "client_secret": "y"})
    assert refused.status_code == 409
    html = panel.get("/").get_data(True)
    assert "options-id" in html and "options-secret-123" not in html


def test_a_new_secret_is_needed_when_the_client_id_changes(tmp_path: Path) -> None:
    settings, services = real_services(tmp_path)
    panel = Panel(create_app(settings, services))
    panel.post("/api/credentials", json={"client_id": "first", "client_secret": "first-secret"})
    kept = panel.post("/api/credentials", json={"client_id": "first", "client_secret": ""})
    assert kept.status_code == 200
    changed = panel.post("/api/credentials", json={"client_id": "second", "client_secret": ""})
    assert changed.status_code == 400
    assert "new client id" in changed.get_json()["message"]


def test_an_invalid_account_name_gets_the_stores_message(tmp_path: Path) -> None:
    settings, services = real_services(tmp_path)
    panel = Panel(create_app(settings, services))
    response = panel.post("/api/accounts", json={"name": "9lives"})
    assert response.status_code == 400
    assert "starting with a letter" in response.get_json()["message"]


def test_the_scheduler_hears_of_a_removal_only_once_the_account_is_gone(tmp_path: Path) -> None:
    # The scheduler syncs every stored account: one it started while removing the entities
    # would find the account still there and post them again.
    settings, services = real_services(tmp_path)
    store = services.accounts
    store.create("oura")
    still_stored: list[bool] = []

    class WatchingSync(FakeSync):
        def account_removed(self, account: str, entity_prefix: str) -> None:
            still_stored.append(store.get(account) is not None)
            super().account_removed(account, entity_prefix)

    services.sync = WatchingSync()
    panel = Panel(create_app(settings, services))
    assert panel.delete("/api/accounts/oura").status_code == 200
    assert still_stored == [False]


# --- served over real HTTP --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served_panel(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    settings, services = real_services(tmp_path, "options-id", "options-secret-123")
    server = waitress.create_server(
        create_app(settings, services), host="127.0.0.1", port=_free_port(), threads=2
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", services
    finally:
        server.close()
        thread.join(timeout=5)


def test_a_script_can_drive_the_served_panel_through_an_ingress_prefix(
    served_panel: tuple[str, Services],
) -> None:
    base, services = served_panel
    session = requests.Session()
    session.headers["X-Ingress-Path"] = INGRESS
    # Like the browser behind ingress: full path, and the cookie scoped to it comes back.
    page = session.get(f"{base}{INGRESS}/", timeout=5)
    assert page.status_code == 200
    assert f'href="{INGRESS}/static/panel.css"' in page.text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    refused = session.post(f"{base}{INGRESS}/api/accounts", json={"name": "oura"}, timeout=5)
    assert refused.status_code == 403
    created = session.post(
        f"{base}{INGRESS}/api/accounts",
        json={"name": "oura"},
        headers={"X-CSRF-Token": token},
        timeout=5,
    )
    assert created.status_code == 201
    assert services.accounts.get("oura") is not None
    health = requests.get(f"{base}/healthz", timeout=5)
    assert health.status_code == 200 and health.text.strip() == "ok"
