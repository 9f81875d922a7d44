"""The token lifecycle (``oura.session``): refreshed ahead of expiry, once per single-use
refresh token, the new pair saved before use."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from oura_addon.i18n import Catalogues
from oura_addon.oura.errors import InvalidGrant, OuraUnavailable
from oura_addon.oura.session import RefreshesInFlight, TokenSession
from oura_addon.oura.tokens import TokenSet
from oura_addon.scheduling.notifier import reconnect_notification
from oura_addon.store import files as storage
from oura_addon.store.accounts import (
    CONNECTED,
    NEEDS_RECONNECT,
    NOT_CONNECTED_MESSAGE,
    AccountStore,
    AuthLost,
)

NOW = 1_800_000_000.0
WAIT = 10  # seconds a test waits for another thread before failing (never a timing assert)


def token_set(tag: str, expires_in: float = 86_400) -> TokenSet:
    return TokenSet(
        access_token=f"access-{tag}-secret",
        refresh_token=f"refresh-{tag}-secret",
        expires_at=NOW + expires_in,
        scopes=("personal", "daily"),
    )


def session(store: AccountStore, refresh: Callable[[str], TokenSet], name: str = "me"):
    return TokenSession(store, name, refresh, clock=lambda: NOW)


class CountingRefresh:
    """A refresh endpoint that honours single use: a spent refresh token is refused."""

    def __init__(self, pause: float = 0.0) -> None:
        self.calls: list[str] = []
        self.pause = pause
        self._lock = threading.Lock()
        self._spent: set[str] = set()

    def __call__(self, refresh_token: str) -> TokenSet:
        with self._lock:
            self.calls.append(refresh_token)
            number = len(self.calls)
            if refresh_token in self._spent:
                raise InvalidGrant("refresh token reused")
            self._spent.add(refresh_token)
        time.sleep(self.pause)  # widen the window in which a second refresh could sneak in
        return token_set(f"new{number}")


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    store = AccountStore(tmp_path, clock=lambda: NOW)
    store.create("me")
    return store


class HeldRefresh:
    """A refresh that Oura answers only once the test releases it."""

    def __init__(self, answer: TokenSet) -> None:
        self.answer = answer
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, refresh_token: str) -> TokenSet:
        self.entered.set()
        self.release.wait(WAIT)
        return self.answer


def run_in_threads(count: int, work: Callable[[], str]) -> list[str]:
    barrier = threading.Barrier(count)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            value = work()
        except BaseException as err:
            with lock:
                errors.append(err)
            return
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not errors, errors
    assert len(results) == count
    return results


def stored_tokens(tmp_path: Path, name: str = "me") -> TokenSet:
    document = json.loads((tmp_path / "accounts" / f"{name}.json").read_text())
    return TokenSet.from_json(document["tokens"])


def test_a_fresh_token_is_returned_without_refreshing(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old"))
    refresh = CountingRefresh()
    assert session(store, refresh, "me").access_token() == "access-old-secret"
    assert refresh.calls == []


def test_a_token_about_to_expire_is_refreshed_ahead_of_time(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=300))
    refresh = CountingRefresh()
    assert session(store, refresh).access_token() == "access-new1-secret"
    assert refresh.calls == ["refresh-old-secret"]


def test_the_new_pair_is_on_disk_when_the_access_token_is_handed_out(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("old", expires_in=-5))
    token = session(store, CountingRefresh(), "me").access_token()
    on_disk = stored_tokens(tmp_path)
    assert on_disk.access_token == token
    assert on_disk.refresh_token == "refresh-new1-secret"
    backup = json.loads(storage.backup_path(tmp_path / "accounts" / "me.json").read_text())
    assert backup["tokens"]["refresh_token"] == "refresh-new1-secret"
    # A restarted add-on continues with the new pair.
    assert AccountStore(tmp_path, clock=lambda: NOW).tokens("me") == on_disk


@pytest.mark.parametrize("code", [28, 30])  # ENOSPC, EROFS
def test_a_new_pair_that_cannot_be_saved_is_kept_in_memory_until_data_takes_it(
    store: AccountStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    store.save_tokens("me", token_set("old", expires_in=-5))
    real_write = storage.write_versioned
    refused = [True]

    def refusing(path: Path, value: dict[str, object]) -> int:
        if refused[0]:
            raise OSError(code, "No space left on device")
        return real_write(path, value)

    monkeypatch.setattr("oura_addon.store.accounts.write_versioned", refusing)
    refresh = CountingRefresh()
    # The old refresh token is spent at Oura: the new pair is used and kept, not lost.
    assert session(store, refresh, "me").access_token() == "access-new1-secret"
    assert stored_tokens(tmp_path).refresh_token == "refresh-old-secret"  # disk unchanged
    assert store.unsaved() == ["me"]
    assert store.get("me").connected
    # While /data refuses, every reader and the next refresh see the kept pair.
    assert store.tokens("me").refresh_token == "refresh-new1-secret"
    assert session(store, refresh, "me").access_token() == "access-new1-secret"
    assert refresh.calls == ["refresh-old-secret"]
    refused[0] = False
    assert store.unsaved() == []
    assert stored_tokens(tmp_path).refresh_token == "refresh-new1-secret"
    assert AccountStore(tmp_path, clock=lambda: NOW).tokens("me") == token_set("new1")


def test_eight_threads_needing_a_refresh_spend_the_refresh_token_once(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("old", expires_in=60))
    refresh = CountingRefresh(pause=0.05)
    results = run_in_threads(8, lambda: session(store, refresh).access_token())
    assert refresh.calls == ["refresh-old-secret"]
    assert results == ["access-new1-secret"] * 8
    assert stored_tokens(tmp_path).refresh_token == "refresh-new1-secret"


def test_two_forced_refreshes_after_the_same_rejected_token_refresh_once(
    store: AccountStore,
) -> None:
    store.save_tokens("me", token_set("old"))
    refresh = CountingRefresh(pause=0.05)
    results = run_in_threads(2, lambda: session(store, refresh).access_token(force_refresh=True))
    assert refresh.calls == ["refresh-old-secret"]
    assert results == ["access-new1-secret"] * 2


def test_token_providers_that_saw_the_same_token_rejected_refresh_once(
    store: AccountStore,
) -> None:
    store.save_tokens("me", token_set("old"))
    refresh = CountingRefresh(pause=0.05)
    providers = [session(store, refresh) for _ in range(2)]
    assert [p.access_token() for p in providers] == ["access-old-secret"] * 2
    handed = iter(providers)
    lock = threading.Lock()

    def next_provider_forces() -> str:
        with lock:
            provider = next(handed)
        return provider.access_token(force_refresh=True)

    results = run_in_threads(2, next_provider_forces)
    assert refresh.calls == ["refresh-old-secret"]
    assert results == ["access-new1-secret"] * 2


def test_a_forced_refresh_renews_even_a_token_that_has_not_expired(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old"))
    provider = session(store, CountingRefresh())
    assert provider.access_token() == "access-old-secret"
    assert provider.access_token(force_refresh=True) == "access-new1-secret"
    assert provider.access_token(force_refresh=True) == "access-new2-secret"


def test_refresh_scopes_are_kept_when_oura_does_not_repeat_them(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))

    def refresh_without_scope(refresh_token: str) -> TokenSet:
        return TokenSet("access-x-secret", "refresh-x-secret", NOW + 3600)

    session(store, refresh_without_scope, "me").access_token()
    assert store.get("me").scopes == ("personal", "daily")


def test_a_refused_refresh_asks_the_user_to_reconnect(store: AccountStore) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))

    def refused(refresh_token: str) -> TokenSet:
        raise InvalidGrant("Oura no longer accepts this login; reconnect the account.")

    with pytest.raises(AuthLost) as caught:
        session(store, refused, "me").access_token()
    assert caught.value.account == "me"
    assert caught.value.user_message == "Oura no longer accepts this login; reconnect the account."
    account = store.get("me")
    assert account.connection == NEEDS_RECONNECT
    assert account.auth_error == caught.value.user_message
    assert store.tokens("me") is None

    # Later cycles fail fast with the same message instead of hammering Oura.
    refresh = CountingRefresh()
    with pytest.raises(AuthLost, match="reconnect the account"):
        session(store, refresh, "me").access_token()
    assert refresh.calls == []

    # Reconnecting clears the error.
    assert store.save_tokens("me", token_set("again")).connection == CONNECTED
    assert store.get("me").auth_error is None


def test_the_stored_refusal_is_shown_in_the_panel_language_after_a_restart(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))

    def refused(refresh_token: str) -> TokenSet:
        raise InvalidGrant()  # its own sentence, marked for translation

    with pytest.raises(AuthLost):
        session(store, refused, "me").access_token()
    restarted = AccountStore(tmp_path, clock=lambda: NOW)  # reads the file, not memory
    with pytest.raises(AuthLost) as caught:
        session(restarted, CountingRefresh(), "me").access_token()
    # The sentence within another one: Home Assistant's reconnect notification.
    german = Catalogues().translator("de")
    _, notification = reconnect_notification("me", caught.value.user_message, "/p", german)
    assert "Autorisierung verloren: Oura akzeptiert die Autorisierung" in notification


def test_a_network_error_during_refresh_leaves_the_stored_tokens_alone(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))

    def offline(refresh_token: str) -> TokenSet:
        raise ConnectionError("Oura is unreachable")

    with pytest.raises(ConnectionError):
        session(store, offline, "me").access_token()
    assert stored_tokens(tmp_path) == token_set("old", expires_in=-1)
    assert store.get("me").connection == CONNECTED
    assert session(store, CountingRefresh(), "me").access_token() == "access-new1-secret"


def test_an_account_without_tokens_reports_that_it_is_not_connected(
    store: AccountStore,
) -> None:
    with pytest.raises(AuthLost) as caught:
        session(store, CountingRefresh(), "me").access_token()
    assert caught.value.user_message == NOT_CONNECTED_MESSAGE
    with pytest.raises(AuthLost):
        session(store, CountingRefresh(), "nobody").access_token()


def test_one_account_stuck_refreshing_does_not_block_another(tmp_path: Path) -> None:
    store = AccountStore(tmp_path, clock=lambda: NOW)
    store.save_tokens("slow", token_set("slow", expires_in=-1))
    store.save_tokens("quick", token_set("quick", expires_in=-1))
    stuck = HeldRefresh(token_set("slow-new"))
    slow = threading.Thread(target=lambda: session(store, stuck, "slow").access_token())
    slow.start()
    try:
        assert stuck.entered.wait(WAIT)
        assert session(store, CountingRefresh(), "quick").access_token() == "access-new1-secret"
    finally:
        stuck.release.set()
        slow.join(WAIT)
    assert store.tokens("slow") == token_set("slow-new")


def test_no_token_reaches_the_log(store: AccountStore, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        store.save_tokens("me", token_set("old", expires_in=-1))
        session(store, CountingRefresh(), "me").access_token()
        session(store, CountingRefresh()).access_token(force_refresh=True)
    assert caplog.records
    assert "secret" not in caplog.text


def test_known_tokens_are_announced_to_the_log_redactor(tmp_path: Path) -> None:
    announced: list[str] = []
    store = AccountStore(tmp_path, clock=lambda: NOW, on_secret=announced.append)
    store.save_tokens("me", token_set("old", expires_in=-1))
    session(store, CountingRefresh(), "me").access_token()
    assert {"access-old-secret", "refresh-old-secret"} <= set(announced)
    assert {"access-new1-secret", "refresh-new1-secret"} <= set(announced)


# ----- refresh margin, refusals of stale pairs, shutdown ---------------------------------------


def short_lived(tag: str, lifetime: float, issued: float) -> TokenSet:
    return TokenSet(
        f"access-{tag}-secret",
        f"refresh-{tag}-secret",
        issued + lifetime,
        ("daily",),
        issued_at=issued,
    )


def test_a_token_living_five_minutes_is_used_until_its_last_tenth(tmp_path: Path) -> None:
    clock = [NOW]
    store = AccountStore(tmp_path, clock=lambda: clock[0])
    store.save_tokens("me", short_lived("old", 300, NOW))
    refresh = CountingRefresh()
    tokens = TokenSession(store, "me", refresh, clock=lambda: clock[0])
    for second in range(0, 270, 10):  # a margin of 600 s would refresh on every one of these
        clock[0] = NOW + second
        assert tokens.access_token() == "access-old-secret"
    assert refresh.calls == []
    clock[0] = NOW + 271
    assert tokens.access_token() == "access-new1-secret"


def test_a_refusal_after_another_process_stored_a_newer_pair_keeps_that_pair(
    store: AccountStore,
) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))

    def refused_while_replaced(refresh_token: str) -> TokenSet:
        store.save_tokens("me", token_set("newer"))  # e.g. a reconnect meanwhile
        raise InvalidGrant("refresh token reused")

    with pytest.raises(AuthLost):
        session(store, refused_while_replaced).access_token()
    assert store.get("me").connection == CONNECTED
    assert store.tokens("me") == token_set("newer")


def test_stopping_waits_for_a_refresh_in_flight_until_its_pair_is_stored(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("old", expires_in=-1))
    in_flight = RefreshesInFlight()
    slow_oura = HeldRefresh(token_set("new"))
    tokens = TokenSession(store, "me", slow_oura, in_flight=in_flight, clock=lambda: NOW)
    worker = threading.Thread(target=tokens.access_token)
    worker.start()
    assert slow_oura.entered.wait(WAIT)
    assert in_flight.close_and_wait(timeout=0.05) is False  # still running: not stored yet
    slow_oura.release.set()
    assert in_flight.close_and_wait(timeout=WAIT) is True
    assert stored_tokens(tmp_path).refresh_token == "refresh-new-secret"
    worker.join(WAIT)

    # Once stopping, no new refresh starts: the stored pair stays unspent for the next start.
    store.save_tokens("me", token_set("later", expires_in=-1))
    refresh = CountingRefresh()
    with pytest.raises(OuraUnavailable):
        TokenSession(store, "me", refresh, in_flight=in_flight, clock=lambda: NOW).access_token()
    assert refresh.calls == []
    assert store.tokens("me") == token_set("later", expires_in=-1)
