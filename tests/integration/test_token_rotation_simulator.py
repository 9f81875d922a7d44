"""Refresh-token rotation end to end: the token store, the real OAuth client, the simulator.

Oura's refresh tokens are single use. These tests prove over loopback HTTP that the store
spends each one exactly once, keeps the pair that replaced it, and that a restarted add-on
carries on with that pair.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oura_addon.oura.oauth import InvalidGrant, OAuthClient, parse_callback
from oura_addon.oura.session import TokenSession
from oura_addon.oura.tokens import AppCredentials, TokenSet
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import CONNECTED, NEEDS_RECONNECT, AccountStore, AuthLost

CREDENTIALS = AppCredentials("rotation-client", "rotation-secret", "classic")
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the code is read off Location
WAIT = 30


@pytest.fixture
def oura() -> Iterator[SimulatorServer]:
    simulator = create_simulator(
        SimulatorConfig(
            client_id=CREDENTIALS.client_id,
            client_secret=CREDENTIALS.client_secret,
            auto_approve=True,
            days=3,
        )
    )
    with SimulatorServer(simulator, port=0) as server:
        yield server


@pytest.fixture
def oauth(oura: SimulatorServer) -> OAuthClient:
    return OAuthClient(
        authorize_url=f"{oura.url}/oauth/authorize",
        token_url=f"{oura.url}/oauth/token",
        fallback_token_url=f"{oura.url}/oauth/v2/ext/oauth-token",
        revoke_url=f"{oura.url}/oauth/revoke",
    )


def connect(oauth: OAuthClient) -> TokenSet:
    """The user's round trip through the (auto-approving) authorize page."""
    url = oauth.authorization(CREDENTIALS, REDIRECT_URI, state="rotation-state").url
    answer = requests.get(url, allow_redirects=False, timeout=WAIT)
    assert answer.is_redirect, answer.status_code
    callback = parse_callback(answer.headers["Location"])
    assert callback.state == "rotation-state"
    return oauth.exchange_code(CREDENTIALS, callback.require_code(), REDIRECT_URI)


def oura_accepts(oura: SimulatorServer, access_token: str) -> bool:
    answer = requests.get(
        f"{oura.url}/v2/usercollection/personal_info",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=WAIT,
    )
    return answer.status_code == 200


class CountingRefresh:
    def __init__(self, oauth: OAuthClient) -> None:
        self._oauth = oauth
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self, refresh_token: str) -> TokenSet:
        with self._lock:
            self.calls += 1
        return self._oauth.refresh(CREDENTIALS, refresh_token)


def test_a_store_refresh_rotates_the_pair_and_a_restart_continues_with_the_new_one(
    tmp_path: Path, oura: SimulatorServer, oauth: OAuthClient
) -> None:
    store = AccountStore(tmp_path)
    first = connect(oauth)
    store.save_tokens("me", first)
    refresh = CountingRefresh(oauth)

    renewed_access = TokenSession(store, "me", refresh).access_token(force_refresh=True)
    assert refresh.calls == 1
    assert renewed_access != first.access_token
    assert oura_accepts(oura, renewed_access)

    # The spent refresh token is refused by Oura from now on.
    with pytest.raises(InvalidGrant):
        oauth.refresh(CREDENTIALS, first.refresh_token)

    # An add-on restart reads the new pair from disk, and that pair still works.
    restarted = AccountStore(tmp_path)
    on_disk = restarted.tokens("me")
    assert on_disk is not None
    assert on_disk.access_token == renewed_access
    assert on_disk.refresh_token != first.refresh_token
    again = TokenSession(restarted, "me", CountingRefresh(oauth)).access_token(force_refresh=True)
    assert oura_accepts(oura, again)
    assert restarted.get("me").connection == CONNECTED


def test_concurrent_forced_refreshes_spend_the_refresh_token_once(
    tmp_path: Path, oura: SimulatorServer, oauth: OAuthClient
) -> None:
    store = AccountStore(tmp_path)
    first = connect(oauth)
    store.save_tokens("me", first)
    refresh = CountingRefresh(oauth)
    providers = [TokenSession(store, "me", refresh) for _ in range(4)]
    assert {p.access_token() for p in providers} == {first.access_token}

    barrier = threading.Barrier(len(providers))
    results: list[str] = []
    errors: list[BaseException] = []
    collected = threading.Lock()

    def force(provider_index: int) -> None:
        barrier.wait()
        try:
            token = providers[provider_index].access_token(force_refresh=True)
        except BaseException as err:
            with collected:
                errors.append(err)
            return
        with collected:
            results.append(token)

    threads = [threading.Thread(target=force, args=(i,)) for i in range(len(providers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)

    assert errors == []  # a reused refresh token would have surfaced here as AuthLost
    assert refresh.calls == 1
    assert len(set(results)) == 1 and len(results) == len(providers)
    assert oura_accepts(oura, results[0])
    assert store.get("me").connection == CONNECTED


def test_a_refresh_token_spent_elsewhere_makes_the_account_ask_for_a_reconnect(
    tmp_path: Path, oura: SimulatorServer, oauth: OAuthClient
) -> None:
    store = AccountStore(tmp_path)
    first = connect(oauth)
    store.save_tokens("me", first)
    oauth.refresh(CREDENTIALS, first.refresh_token)  # e.g. a second copy of the add-on

    with pytest.raises(AuthLost):
        TokenSession(store, "me", CountingRefresh(oauth)).access_token(force_refresh=True)
    account = store.get("me")
    assert account.connection == NEEDS_RECONNECT
    assert account.auth_error
