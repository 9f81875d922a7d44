"""What the token lifecycle's bookkeeping promises a user, each written so that the
mistakes a mutation run found (a counter that goes negative, a session factory that hands
out nothing, the stop's log lines) fail a test."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from oura_addon.oura.errors import InvalidClient, InvalidGrant, OuraUnavailable
from oura_addon.oura.session import (
    NO_CREDENTIALS_MESSAGE,
    STOPPING_MESSAGE,
    RefreshesInFlight,
    TokenSession,
    TokenSessions,
)
from oura_addon.oura.tokens import AppCredentials, TokenSet
from oura_addon.store.accounts import NEEDS_RECONNECT, REFUSED_MESSAGE, AccountStore, AuthLost
from tests.unit.store.test_token_store import NOW, WAIT, HeldRefresh, token_set

APP = AppCredentials("client", "secret")


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    store = AccountStore(tmp_path, clock=lambda: NOW)
    store.create("me")
    return store


def test_sessions_that_never_refresh_leave_nothing_in_flight(store: AccountStore) -> None:
    store.save_tokens("me", token_set("fresh"))
    in_flight = RefreshesInFlight()
    tokens = TokenSession(store, "me", lambda _r: token_set("x"), in_flight=in_flight)
    for _ in range(3):
        assert tokens.access_token() == "access-fresh-secret"
    # A counter below zero would make the stop wait its whole bound for nothing.
    assert in_flight.close_and_wait(timeout=0) is True


def test_one_refresh_in_flight_is_counted_until_it_ends() -> None:
    in_flight = RefreshesInFlight()
    started, release = threading.Event(), threading.Event()

    def refreshing() -> None:
        with in_flight.scope() as begin:
            begin()
            started.set()
            release.wait(WAIT)

    worker = threading.Thread(target=refreshing)
    worker.start()
    assert started.wait(WAIT)
    assert in_flight.close_and_wait(timeout=0.01) is False
    release.set()
    assert in_flight.close_and_wait(timeout=WAIT) is True
    worker.join(WAIT)


def test_two_refreshes_in_flight_both_count() -> None:
    in_flight = RefreshesInFlight()
    first, second = in_flight.scope(), in_flight.scope()
    first.__enter__()()
    second.__enter__()()
    first.__exit__(None, None, None)
    assert in_flight.close_and_wait(timeout=0.01) is False  # the second still runs
    second.__exit__(None, None, None)
    assert in_flight.close_and_wait(timeout=0) is True


def test_a_stopping_add_on_starts_no_refresh_and_says_why() -> None:
    in_flight = RefreshesInFlight()
    assert in_flight.close_and_wait(timeout=0) is True
    with pytest.raises(OuraUnavailable) as refused, in_flight.scope() as begin:
        begin()
    assert refused.value.user_message == STOPPING_MESSAGE


def test_the_sessions_refresh_with_the_apps_credentials(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))
    seen: list[tuple[AppCredentials, str]] = []

    def refresh(credentials: AppCredentials, refresh_token: str) -> TokenSet:
        seen.append((credentials, refresh_token))
        return token_set("new")

    sessions = TokenSessions(store, lambda: APP, refresh)
    session = sessions.session("me")
    assert session.account == "me"
    assert session.access_token() == "access-new-secret"
    assert seen == [(APP, "refresh-old-secret")]
    assert sessions.stop(timeout=0) is True


def test_without_the_apps_credentials_the_refresh_asks_for_them(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))
    sessions = TokenSessions(store, lambda: None, lambda c, r: token_set("never"))
    with pytest.raises(InvalidClient) as refused:
        sessions.session("me").access_token()
    assert refused.value.user_message == NO_CREDENTIALS_MESSAGE
    assert store.tokens("me") == token_set("old", expires_in=-1)


def test_a_refusal_shows_oura_s_own_sentence(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))

    def refused(_token: str) -> TokenSet:
        raise InvalidGrant("")

    with pytest.raises(AuthLost) as lost:
        TokenSession(store, "me", refused, clock=lambda: NOW).access_token()
    sentence = InvalidGrant("").user_message
    assert sentence != REFUSED_MESSAGE
    assert lost.value.user_message == sentence
    account = store.get("me")
    assert account.connection == NEEDS_RECONNECT and account.auth_error == sentence


def test_stopping_logs_only_what_happened(
    store: AccountStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oura_addon.oura.session")
    idle = TokenSessions(store, lambda: APP, lambda c, r: token_set("x"))
    assert idle.stop(timeout=1) is True
    assert caplog.records == []

    store.save_tokens("me", token_set("old", expires_in=-1))
    held = HeldRefresh(token_set("new"))
    busy = TokenSessions(store, lambda: APP, lambda c, r: held(r))
    worker = threading.Thread(target=busy.session("me").access_token)
    worker.start()
    assert held.entered.wait(WAIT)
    assert busy.stop(timeout=0.05) is False
    assert any("still running" in r.getMessage() for r in caplog.records)
    caplog.clear()
    threading.Timer(0.2, held.release.set).start()
    assert busy.stop(timeout=WAIT) is True
    assert any(r.getMessage().startswith("Waited") for r in caplog.records)
    worker.join(WAIT)


def test_a_forced_refresh_after_another_process_renewed_the_pair_spends_nothing(
    store: AccountStore,
) -> None:
    store.save_tokens("me", token_set("old"))
    calls: list[str] = []

    def refresh(token: str) -> TokenSet:
        calls.append(token)
        return token_set("mine")

    tokens = TokenSession(store, "me", refresh, clock=lambda: NOW)
    assert tokens.access_token() == "access-old-secret"
    store.save_tokens("me", token_set("theirs"))  # e.g. the history import refreshed it
    # Oura refused "old" (handed out before): the newer stored pair is used as it is.
    assert tokens.access_token(force_refresh=True) == "access-theirs-secret"
    assert calls == []


def test_a_successful_refresh_clears_an_old_auth_error(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))
    store.update("me", lambda document: {**document, "auth_error": "an old refusal"})
    assert store.get("me").auth_error == "an old refusal"
    TokenSession(store, "me", lambda _r: token_set("new"), clock=lambda: NOW).access_token()
    assert store.get("me").auth_error is None
