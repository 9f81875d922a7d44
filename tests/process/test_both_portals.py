"""Apps from both of Oura's developer portals connect, sync, refresh and disconnect.

The real add-on process against the Oura simulator playing a new-portal app (its new
identity provider) or a classic one. The panel is driven as a person's browser would:
the ingress callback (the browser follows Oura's redirect) and the paste method (the user
copies the address the browser landed on).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oura_addon.oura.endpoints import DEFAULT_SCOPES, ENDPOINTS
from oura_addon.simulator import SimulatorServer
from oura_addon.web.context import PASTE_REDIRECT_URI
from tests.addon_process import AddonProcess, PanelClient, running_addon, simulated_oura, wait_for

pytestmark = pytest.mark.slow

CLIENT_ID, CLIENT_SECRET = "portal-client", "portal-secret-9f1d"
TOKEN_PATHS = {"new": "/oauth/v2/ext/oauth-token", "classic": "/oauth/token"}
AUTHORIZE_PATHS = {"new": "/oauth/v2/ext/oauth-authorize", "classic": "/oauth/authorize"}
READ_ENDPOINTS = {e.name for e in ENDPOINTS}


@pytest.fixture(scope="module", params=["new", "classic"])
def portal(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def simulator(portal) -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=2, days=5, portal=portal) as server:
        yield server


@pytest.fixture(scope="module")
def addon(simulator, tmp_path_factory) -> Iterator[AddonProcess]:
    with running_addon(
        tmp_path_factory.mktemp("portals"),
        simulator.url,
        "http://127.0.0.1:9/api",
        {"poll_interval": 60},
    ) as process:
        yield process


@pytest.fixture(scope="module")
def panel(addon, portal) -> PanelClient:
    client = PanelClient(addon.url)
    saved = client.session.post(
        f"{addon.url}/api/credentials",
        json={"client_id": CLIENT_ID, "client_secret": f"  {CLIENT_SECRET} ", "portal": portal},
        timeout=10,
    )
    assert saved.status_code == 200, saved.text
    return client


def token_requests(simulator: SimulatorServer, portal: str) -> int:
    return len(simulator.simulator.requests.matching(TOKEN_PATHS[portal], "POST"))


def stored_access_token(addon: AddonProcess, name: str) -> str:
    document = json.loads((addon.accounts_dir / f"{name}.json").read_text())
    return document["tokens"]["access_token"]


def synced(panel: PanelClient, name: str, after: str | None = None) -> dict:
    return wait_for(
        lambda: (
            (a := panel.account(name))
            and a["entities"]
            and a["last_sync"]
            and a["last_sync"] != after
            and not a["syncing"]
            and a
        ),
        60,
        what=f"a sync of {name}",
    )


def test_the_app_connects_through_the_ingress_callback_and_syncs_every_endpoint(
    simulator, addon, panel, portal
) -> None:
    authorize_url = panel.authorize("oura", addon.url.replace("127.0.0.1", "localhost"))
    parts = urlsplit(authorize_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == AUTHORIZE_PATHS[portal]
    if portal == "new":
        assert query["scope"].split() == [f"extapi:{s}" for s in DEFAULT_SCOPES]
        assert query["code_challenge_method"] == "S256" and query["prompt"] == "consent"
    else:
        assert query["scope"].split() == list(DEFAULT_SCOPES)
        assert "code_challenge" not in query
    assert "localhost" in query["redirect_uri"] and "127.0.0.1" not in query["redirect_uri"]

    landed = panel.connect_with_auto_approve("oura", user=1)
    assert landed.status_code == 200 and "Connected" in landed.text, landed.text[:500]
    assert token_requests(simulator, portal) == 1  # the code went to its portal's URL, once

    status = panel.status()
    assert status["credentials"]["portal"] == portal
    account = synced(panel, "oura")
    assert account["granted_scopes"] == list(DEFAULT_SCOPES)
    assert account["missing_scopes"] == []
    assert account["email"] == "sleeper1@example.com"
    asked = {
        e.path.rsplit("/", 1)[-1]
        for e in simulator.simulator.requests.matching("/v2/usercollection/")
    }
    assert asked >= READ_ENDPOINTS
    assert account["endpoint_errors"] == {}


def test_the_paste_method_connects_a_second_account(simulator, addon, panel, portal) -> None:
    authorize_url = panel.authorize("partner", PASTE_REDIRECT_URI)
    with requests.Session() as browser:
        browser.trust_env = False
        answer = browser.get(f"{authorize_url}&user=2", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    landed_on = answer.headers["Location"]
    assert landed_on.startswith(PASTE_REDIRECT_URI) and "iss=" in landed_on
    pasted = panel.session.post(
        f"{addon.url}/api/accounts/partner/paste", json={"url": landed_on}, timeout=30
    )
    assert pasted.status_code == 200, pasted.text
    assert pasted.json()["email"] == "sleeper2@example.com"
    assert pasted.json()["notice"] is None
    assert synced(panel, "partner")["missing_scopes"] == []


def test_an_expired_token_is_refreshed_at_the_apps_token_url(simulator, addon, panel, portal):
    before = synced(panel, "oura")
    refreshes = token_requests(simulator, portal)
    other = "classic" if portal == "new" else "new"
    others = token_requests(simulator, other)
    simulator.simulator.faults.expire_tokens()
    panel.sync("oura")
    after = synced(panel, "oura", after=before["last_sync"])
    assert after["connection"] == "connected" and after["endpoint_errors"] == {}
    assert token_requests(simulator, portal) == refreshes + 1
    assert token_requests(simulator, other) == others  # never a detour


def test_disconnecting_revokes_the_token_at_oura(simulator, addon, panel) -> None:
    token = stored_access_token(addon, "partner")
    removed = panel.delete("partner")
    assert removed.status_code == 200 and removed.json()["revoked"] is True
    refused = requests.get(
        f"{simulator.url}/v2/usercollection/personal_info",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert refused.status_code == 401
    assert panel.account("partner") is None
