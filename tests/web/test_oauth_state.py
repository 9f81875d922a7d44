"""OAuth state values: bound to one account and redirect URI, single use, ten minutes."""

from __future__ import annotations

import threading

import pytest

from oura_addon.web.oauth_state import (
    ExpiredState,
    PendingAuthorizations,
    ReplayedState,
    UnknownState,
)
from tests.web.conftest import FakeClock

URI = "https://ha.example.com/api/hassio_ingress/t/oauth/callback"


def test_a_state_gives_back_the_account_and_redirect_uri_it_was_issued_for(
    pending: PendingAuthorizations,
) -> None:
    state = pending.issue("oura", URI)
    assert len(state) >= 43  # 32 random bytes, urlsafe
    found = pending.consume(state)
    assert (found.account, found.redirect_uri) == ("oura", URI)


def test_states_are_unpredictable(pending: PendingAuthorizations) -> None:
    assert len({pending.issue("oura", URI) for _ in range(50)}) == 50


def test_a_state_works_only_once(pending: PendingAuthorizations) -> None:
    state = pending.issue("oura", URI)
    pending.consume(state)
    with pytest.raises(ReplayedState, match="already used"):
        pending.consume(state)


def test_a_state_expires_after_ten_minutes(
    pending: PendingAuthorizations, clock: FakeClock
) -> None:
    state = pending.issue("oura", URI)
    clock.advance(599)
    assert pending.is_pending("oura")
    clock.advance(2)
    assert not pending.is_pending("oura")
    with pytest.raises(ExpiredState, match="10 minutes"):
        pending.consume(state)


def test_an_unknown_state_is_refused_with_a_next_step(pending: PendingAuthorizations) -> None:
    with pytest.raises(UnknownState, match="Start again"):
        pending.consume("made-up")
    with pytest.raises(UnknownState):
        pending.consume("")


def test_a_state_for_another_account_is_refused_and_stays_usable(
    pending: PendingAuthorizations,
) -> None:
    state = pending.issue("partner", URI)
    with pytest.raises(UnknownState, match="partner"):
        pending.consume(state, account="oura")
    assert pending.consume(state, account="partner").account == "partner"


def test_a_bare_code_uses_the_accounts_newest_authorization(
    pending: PendingAuthorizations, clock: FakeClock
) -> None:
    pending.issue("oura", "http://localhost/old")
    clock.advance(5)
    pending.issue("oura", "http://localhost/new")
    pending.issue("partner", "http://localhost/partner")
    assert pending.consume_latest("oura").redirect_uri == "http://localhost/new"
    assert pending.consume_latest("oura").redirect_uri == "http://localhost/old"
    with pytest.raises(UnknownState, match="Connect"):
        pending.consume_latest("oura")


def test_concurrent_callbacks_with_one_state_succeed_exactly_once() -> None:
    pending = PendingAuthorizations()
    state = pending.issue("oura", URI)
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        try:
            pending.consume(state)
            outcome = "ok"
        except (ReplayedState, UnknownState):
            outcome = "refused"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok"] + ["refused"] * 7
