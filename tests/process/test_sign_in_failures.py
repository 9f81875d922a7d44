"""Every way connecting can fail says what is wrong and what to do, keeps Oura's own words,
stores nothing, and a wrong portal choice is corrected.

The real add-on process against the simulator playing a new-portal app that may serve one
Oura user (Oura's limit for an unapproved app is 10; one keeps the test short).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oura_addon.oura.endpoints import DEFAULT_SCOPES
from oura_addon.simulator import SimulatorServer
from oura_addon.web.context import PASTE_REDIRECT_URI
from tests.addon_process import AddonProcess, PanelClient, running_addon, simulated_oura, wait_for

pytestmark = pytest.mark.slow

CLIENT_ID, CLIENT_SECRET = "failures-client", "failures-secret-77aa"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(
        CLIENT_ID, CLIENT_SECRET, users=2, days=3, portal="new", user_limit=1
    ) as server:
        yield server


@pytest.fixture(scope="module")
def addon(simulator, tmp_path_factory) -> Iterator[AddonProcess]:
    with running_addon(
        tmp_path_factory.mktemp("failures"),
        simulator.url,
        "http://127.0.0.1:9/api",
        {"poll_interval": 60},
    ) as process:
        yield process


@pytest.fixture(scope="module")
def panel(addon) -> PanelClient:
    return PanelClient(addon.url)


def save_credentials(panel: PanelClient, portal: str, secret: str = CLIENT_SECRET) -> None:
    saved = panel.session.post(
        f"{panel.base_url}/api/credentials",
        json={"client_id": CLIENT_ID, "client_secret": secret, "portal": portal},
        timeout=10,
    )
    assert saved.status_code == 200, saved.text


def token_posts(simulator: SimulatorServer) -> int:
    return len(simulator.simulator.requests.matching("/oauth/", "POST"))


def browser_lands(authorize_url: str, user: int = 1) -> str:
    """The address Oura's (auto-approving) consent page sends the browser to."""
    with requests.Session() as browser:
        browser.trust_env = False
        answer = browser.get(f"{authorize_url}&user={user}", allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def test_a_new_portal_app_chosen_as_classic_is_corrected_and_offered_the_missing_data(
    simulator, panel
) -> None:
    save_credentials(panel, "classic")
    page = panel.connect_with_auto_approve("oura")
    assert "Connected" in page.text
    assert "new developer portal" in page.text and "granted no data" in page.text
    status = panel.status()
    assert status["credentials"]["portal"] == "new"
    account = panel.account("oura")
    assert account["connection"] == "connected"
    assert account["missing_scopes"] == list(DEFAULT_SCOPES)
    assert account["granted_scopes"] == []
    html = panel.session.get(f"{panel.base_url}/", timeout=10).text
    assert "Oura did not grant this data" in html and "Reconnect to grant this data" in html

    again = panel.connect_with_auto_approve("oura")  # now the new portal's way
    assert "Connected" in again.text and "new developer portal" not in again.text
    account = wait_for(
        lambda: (a := panel.account("oura")) and not a["missing_scopes"] and a,
        30,
        what="the reconnected grant",
    )
    assert account["granted_scopes"] == list(DEFAULT_SCOPES)


def test_the_user_limit_of_an_unapproved_app_is_explained(simulator, panel) -> None:
    page = panel.connect_with_auto_approve("partner", user=2)
    assert page.status_code == 403
    assert "reached its user limit" in page.text
    assert "ask Oura to approve the app" in page.text
    assert "unauthorized_client" in page.text  # Oura's answer, kept
    assert panel.account("partner")["connection"] == "not_connected"


def test_a_wrong_secret_says_copy_it_again(simulator, panel) -> None:
    save_credentials(panel, "new", secret="not-the-secret")
    try:
        page = panel.connect_with_auto_approve("oura")
        text = html.unescape(page.text)
        assert page.status_code == 400
        assert "did not accept the app's client secret" in text
        assert "Copy the client secret again" in text
        assert "invalid_client" in text
        assert "not-the-secret" not in text
    finally:
        save_credentials(panel, "new")


def test_a_used_code_is_refused_and_never_sent_again(simulator, addon, panel) -> None:
    landed = browser_lands(panel.authorize("oura", PASTE_REDIRECT_URI))
    first = panel.session.post(
        f"{addon.url}/api/accounts/oura/paste", json={"url": landed}, timeout=30
    )
    assert first.status_code == 200, first.text
    code = parse_qs(urlsplit(landed).query)["code"][0]
    panel.authorize("oura", PASTE_REDIRECT_URI)  # a new sign-in the bare code is bound to
    before = token_posts(simulator)
    second = panel.session.post(
        f"{addon.url}/api/accounts/oura/paste", json={"url": code}, timeout=30
    )
    assert second.status_code == 400
    body = second.json()
    assert body["error"] == "invalid_grant"
    assert "already used or has expired" in body["message"] and "Connect again" in body["message"]
    assert body["oura_error"] == "invalid_grant"
    assert token_posts(simulator) == before + 1
    assert panel.account("oura")["connection"] == "connected"  # the stored pair is untouched


def test_a_denied_consent_says_so(addon, panel) -> None:
    authorize_url = panel.authorize("oura", f"{addon.url}/oauth/callback")
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    page = panel.session.get(
        f"{addon.url}/oauth/callback", params={"error": "access_denied", "state": state}
    )
    assert "Access was not granted" in page.text
    assert "approve the requested data" in page.text


def test_an_answer_from_another_issuer_is_not_used(simulator, addon, panel) -> None:
    callback = addon.url.replace("127.0.0.1", "localhost") + "/oauth/callback"
    landed = browser_lands(panel.authorize("oura", callback))
    forged = landed.replace("iss=", "iss=https%3A%2F%2Fevil.example%2F&was=")
    before = token_posts(simulator)
    page = panel.session.get(forged, timeout=30)
    assert page.status_code == 400 and "did not come from Oura" in page.text
    assert token_posts(simulator) == before  # the code was never sent anywhere


def test_oura_down_says_try_later_and_the_code_is_sent_once(simulator, panel) -> None:
    simulator.simulator.faults.refuse_token_endpoint(count=None, status=503)
    try:
        before = token_posts(simulator)
        page = panel.connect_with_auto_approve("oura")
        assert page.status_code == 502
        assert "sign-in service has a problem" in page.text and "HTTP 503" in page.text
        assert "Wait a few minutes" in page.text
        assert token_posts(simulator) == before + 1
    finally:
        simulator.simulator.faults.clear()
