"""Token documents and answers with absurd numbers or shapes keep the account usable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oura_addon.oura.errors import RefreshTokenOnly
from oura_addon.oura.session import TokenSession
from oura_addon.oura.tokens import TokenSet
from oura_addon.store.accounts import CONNECTED, AccountStore
from oura_addon.web.oauth_state import MAX_STATES, PendingAuthorizations, UnknownState

NOW = 1_800_000_000.0


def _plant_tokens(tmp_path: Path, **tokens: object) -> AccountStore:
    store = AccountStore(tmp_path, clock=lambda: NOW)
    store.save_tokens("me", TokenSet("a", "r", NOW + 3600, ("daily",), scopes_known=True))
    path = tmp_path / "accounts" / "me.json"
    document = json.loads(path.read_text())
    document["tokens"].update(tokens)
    document["generation"] += 5
    path.write_text(json.dumps(document))
    return store


@pytest.mark.parametrize("expires_at", [1e300, 10**30])
def test_an_absurd_stored_expiry_is_refreshed_instead_of_hiding_every_account(
    tmp_path: Path, expires_at: float
) -> None:
    store = _plant_tokens(tmp_path, expires_at=expires_at)
    (account,) = store.list()
    assert account.connection == CONNECTED
    tokens = store.tokens("me")
    assert tokens is not None and tokens.expires_within(0, now=NOW)


def test_an_infinite_stored_expiry_written_by_python_json_is_read(tmp_path: Path) -> None:
    store = _plant_tokens(tmp_path)
    path = tmp_path / "accounts" / "me.json"
    path.write_text(path.read_text().replace('"expires_at": ', '"expires_at": Infinity, "x": '))
    (account,) = store.list()
    assert account.connection == CONNECTED and account.token_expires_at is not None


def test_a_scope_list_of_the_wrong_type_grants_everything_rather_than_nothing(
    tmp_path: Path,
) -> None:
    store = _plant_tokens(tmp_path, scopes="daily heartrate")
    tokens = store.tokens("me")
    assert tokens is not None
    assert tokens.grants("heartrate") and tokens.grants("workout")


def test_a_refresh_answer_without_an_access_token_keeps_the_new_refresh_token(
    tmp_path: Path,
) -> None:
    store = _plant_tokens(tmp_path, expires_at=NOW - 1)
    calls: list[str] = []

    def refresh(token: str) -> TokenSet:
        calls.append(token)
        if len(calls) == 1:
            raise RefreshTokenOnly(TokenSet("", "r2", NOW, issued_at=NOW))
        return TokenSet("a3", "r3", NOW + 3600, issued_at=NOW)

    session = TokenSession(store, "me", refresh, clock=lambda: NOW)
    with pytest.raises(RefreshTokenOnly):
        session.access_token()
    stored = store.tokens("me")
    assert stored is not None and stored.refresh_token == "r2"
    assert stored.scopes == ("daily",)  # the grant is unchanged
    # The next attempt spends the new refresh token, not the old spent one.
    assert session.access_token() == "a3"
    assert calls == ["r", "r2"]


def test_the_authorize_state_table_keeps_only_the_newest(tmp_path: Path) -> None:
    pending = PendingAuthorizations(clock=lambda: NOW)
    first = pending.issue("me", "http://x/cb")
    states = [pending.issue("me", "http://x/cb") for _ in range(MAX_STATES * 3)]
    assert len(pending._pending) == MAX_STATES
    with pytest.raises(UnknownState):
        pending.consume(first)
    assert pending.consume(states[-1]).account == "me"
    for state in states[-MAX_STATES:-1]:
        pending.consume(state)
    assert len(pending._used) == MAX_STATES
