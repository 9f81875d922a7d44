"""Oura's redirect back to ``/oauth/callback``: success, and every failure with its next step."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from oura_addon.oura.errors import (
    AuthorizationDenied,
    InvalidClient,
    InvalidGrant,
    OAuthError,
    OuraUnavailable,
    RedirectUriMismatch,
    UserLimitReached,
)
from tests.web.conftest import INGRESS, FakeClock, Panel
from tests.web.fakes import AUTH_CODE, EMAIL, SECRETS, BrokenPersonalInfo, FakeServices

REDIRECT_URI = f"https://ha.example.com{INGRESS}/oauth/callback"


def start(panel: Panel, account: str = "oura", redirect_uri: str = REDIRECT_URI) -> str:
    response = panel.post(f"/api/accounts/{account}/authorize", json={"redirect_uri": redirect_uri})
    assert response.status_code == 200, response.get_json()
    query = parse_qs(urlsplit(response.get_json()["authorize_url"]).query)
    return query["state"][0]


def assert_nothing_stored(services: FakeServices, account: str = "oura") -> None:
    assert services.accounts.tokens(account) is None
    stored = services.accounts.get(account)
    assert stored is None or stored.connection != "connected"
    assert ("account_connected", account) not in services.sync.calls


def assert_no_secret_in(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html


def test_a_successful_callback_stores_tokens_and_email_and_starts_syncing(
    panel: Panel, services: FakeServices
) -> None:
    state = start(panel)
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    html = page.get_data(True)
    assert page.status_code == 200
    assert "Connected - you can close this tab" in html
    assert "oura" in html and EMAIL in html
    assert services.oauth.exchanges == [(AUTH_CODE, REDIRECT_URI)]
    assert services.accounts.tokens("oura") is not None
    account = services.accounts.get("oura")
    assert account.connection == "connected" and account.email == EMAIL
    assert ("account_connected", "oura") in services.sync.calls
    assert_no_secret_in(html)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_tokens_are_added_to_the_log_redactor(panel: Panel, services: FakeServices) -> None:
    state = start(panel)
    panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    stored = services.accounts.tokens("oura")
    line = services.redactor.redact(f"got {stored.access_token} and {stored.refresh_token}")
    assert stored.access_token not in line and stored.refresh_token not in line


def test_an_unreadable_email_still_connects_the_account(
    panel: Panel, services: FakeServices
) -> None:
    services.oura_clients.error = BrokenPersonalInfo()
    state = start(panel)
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert page.status_code == 200
    assert "could not be read" in page.get_data(True)
    assert services.accounts.get("oura").connection == "connected"
    assert services.accounts.get("oura").email is None
    assert ("account_connected", "oura") in services.sync.calls


def test_denied_consent_says_so_and_stores_nothing(panel: Panel, services: FakeServices) -> None:
    state = start(panel)
    page = panel.get(f"/oauth/callback?error=access_denied&state={state}")
    html = page.get_data(True)
    assert page.status_code == 400
    assert "Access was not granted" in html
    assert "Connect again" in html and "Start again" in html
    assert services.oauth.exchanges == []
    assert_nothing_stored(services)
    # The state is spent: the same answer cannot be replayed into a success.
    replay = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert replay.status_code == 400


def test_an_unknown_state_is_refused_before_anything_is_exchanged(
    panel: Panel, services: FakeServices
) -> None:
    start(panel)
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state=forged")
    assert page.status_code == 400
    assert "not known to the add-on" in page.get_data(True)
    assert services.oauth.exchanges == []
    assert_nothing_stored(services)


def test_a_callback_without_any_state_is_refused(panel: Panel, services: FakeServices) -> None:
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}")
    assert page.status_code == 400
    assert services.oauth.exchanges == []
    assert_no_secret_in(page.get_data(True))


def test_an_expired_state_says_to_start_again(
    panel: Panel, services: FakeServices, clock: FakeClock
) -> None:
    state = start(panel)
    clock.advance(11 * 60)
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    html = page.get_data(True)
    assert page.status_code == 400
    assert "expired" in html and "Start again" in html
    assert services.oauth.exchanges == []
    assert_nothing_stored(services)


def test_a_replayed_state_is_refused(panel: Panel, services: FakeServices) -> None:
    state = start(panel)
    assert panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}").status_code == 200
    services.accounts.delete("oura")
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert page.status_code == 400
    assert "already used" in page.get_data(True)
    assert len(services.oauth.exchanges) == 1
    assert services.accounts.get("oura") is None


@pytest.mark.parametrize(
    ("error", "status", "title", "detail"),
    [
        (InvalidGrant(), 400, "already used or expired", "valid once"),
        (InvalidClient(), 400, "client secret", "Copy the client secret again"),
        (RedirectUriMismatch(REDIRECT_URI), 400, "not registered at Oura", REDIRECT_URI),
        (OuraUnavailable(status=503), 502, "sign-in service has a problem", "Wait a few minutes"),
        (OAuthError("Oura said something odd.", kind="odd"), 400, "Connecting failed", "odd"),
        (UserLimitReached(), 403, "reached its user limit", "ask Oura to approve the app"),
        (AuthorizationDenied(), 400, "Access was not granted", "approve the requested data"),
    ],
)
def test_a_refused_code_exchange_explains_what_happened_and_stores_nothing(
    panel: Panel,
    services: FakeServices,
    error: OAuthError,
    status: int,
    title: str,
    detail: str,
) -> None:
    services.oauth.exchange_error = error
    state = start(panel)
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    html = page.get_data(True)
    assert page.status_code == status
    assert title in html
    assert detail in html
    assert "Nothing was stored" in html
    assert f'href="{INGRESS}/"' in html  # the way back to the panel
    assert_nothing_stored(services)
    assert_no_secret_in(html)


def test_a_callback_without_credentials_explains_what_to_enter(
    panel: Panel, services: FakeServices
) -> None:
    state = start(panel)
    services.credentials.clear()
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert page.status_code == 400
    assert "client id and secret" in page.get_data(True)
    assert_nothing_stored(services)


def test_a_redirect_mismatch_offers_the_uri_to_copy_and_ouras_words(
    panel: Panel, services: FakeServices
) -> None:
    refused = RedirectUriMismatch(REDIRECT_URI)
    refused.oura_error, refused.oura_description = "invalid_request", "redirect_uri mismatch"
    services.oauth.exchange_error = refused
    state = start(panel)
    html = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}").get_data(True)
    assert f'<code id="failure-redirect-uri">{REDIRECT_URI}</code>' in html
    assert 'data-copy="failure-redirect-uri"' in html
    assert "invalid_request: redirect_uri mismatch" in html


def test_a_callback_naming_another_issuer_is_not_exchanged(
    panel: Panel, services: FakeServices
) -> None:
    state = start(panel)
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}&iss=https://evil.example")
    assert page.status_code == 400
    assert "did not come from Oura" in page.get_data(True)
    assert services.oauth.exchanges == []
