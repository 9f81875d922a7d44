"""The account registry: names, entity prefixes, files in /data and surviving bad files."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from oura_addon.oura.tokens import TokenSet
from oura_addon.store import files as storage
from oura_addon.store.accounts import (
    CONNECTED,
    NEEDS_RECONNECT,
    NOT_CONNECTED,
    UNREADABLE_MESSAGE,
    AccountStore,
    validate_name,
)


class SteppingClock:
    """A clock that moves one second per reading, so creation order is unambiguous."""

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1
        return self.now


def token_set(tag: str, expires_at: float = 1_900_000_000.0) -> TokenSet:
    return TokenSet(
        access_token=f"access-{tag}-secret",
        refresh_token=f"refresh-{tag}-secret",
        expires_at=expires_at,
        scopes=("personal", "daily"),
    )


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path, clock=SteppingClock())


def account_file(tmp_path: Path, name: str) -> Path:
    return tmp_path / "accounts" / f"{name}.json"


# ----- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "oura", "partner_2", "x" * 32])
def test_valid_account_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Partner", "2nd", "_me", "has space", "../etc", "a-b", "x" * 33, "é"]
)
def test_invalid_account_names_are_refused_with_a_message_saying_what_is_allowed(
    store: AccountStore, name: str
) -> None:
    with pytest.raises(ValueError, match="lowercase letters, digits or underscores"):
        store.create(name)
    assert store.list() == []


def test_a_huge_invalid_name_is_echoed_only_by_its_first_64_characters() -> None:
    with pytest.raises(ValueError) as caught:
        validate_name("N" * 100_000)
    assert "N" * 64 in str(caught.value)
    assert "N" * 65 not in str(caught.value)


def test_looking_up_an_impossible_name_finds_nothing_instead_of_touching_other_files(
    store: AccountStore, tmp_path: Path
) -> None:
    (tmp_path / "secret.json").write_text("{}")
    assert store.get("../secret") is None
    assert store.tokens("../secret") is None


# ----- prefixes and registry -----------------------------------------------------------------


def test_first_account_gets_the_plain_prefix_and_later_ones_their_own(store: AccountStore) -> None:
    assert store.create("me").entity_prefix == "oura"
    assert store.create("partner").entity_prefix == "oura_partner"
    assert [a.name for a in store.list()] == ["me", "partner"]


def test_prefixes_survive_a_restart(tmp_path: Path, store: AccountStore) -> None:
    store.create("me")
    store.create("partner")
    restarted = AccountStore(tmp_path, clock=SteppingClock(2_000_000_000.0))
    assert [(a.name, a.entity_prefix) for a in restarted.list()] == [
        ("me", "oura"),
        ("partner", "oura_partner"),
    ]


def test_deleting_the_first_account_does_not_rename_the_others_entities(
    store: AccountStore,
) -> None:
    store.create("me")
    store.create("partner")
    store.delete("me")
    assert store.get("partner").entity_prefix == "oura_partner"
    # The plain prefix is free again: the next new account takes it.
    assert store.create("newcomer").entity_prefix == "oura"
    assert store.create("another").entity_prefix == "oura_another"


def test_creating_an_existing_account_returns_it_unchanged(store: AccountStore) -> None:
    store.create("me")
    store.save_tokens("me", token_set("one"), email="me@example.com")
    again = store.create("me")
    assert again.connection == CONNECTED
    assert again.email == "me@example.com"
    assert store.tokens("me") == token_set("one")


def test_delete_removes_the_file_and_its_backup(store: AccountStore, tmp_path: Path) -> None:
    store.create("me")
    store.save_tokens("me", token_set("one"))
    store.delete("me")
    assert store.get("me") is None
    assert list((tmp_path / "accounts").iterdir()) == []


def test_a_new_account_is_not_connected_until_tokens_are_saved(store: AccountStore) -> None:
    created = store.create("me")
    assert created.connection == NOT_CONNECTED
    assert not created.has_tokens
    connected = store.save_tokens("me", token_set("one"), email="me@example.com")
    assert connected.connection == CONNECTED
    assert connected.scopes == ("personal", "daily")
    assert connected.token_expires_at is not None
    assert connected.token_expires_at.timestamp() == 1_900_000_000.0
    assert store.get("me").email == "me@example.com"


def test_saving_tokens_without_an_email_keeps_the_known_one(store: AccountStore) -> None:
    store.save_tokens("me", token_set("one"), email="me@example.com")
    store.save_tokens("me", token_set("two"))
    assert store.get("me").email == "me@example.com"


def test_the_account_view_never_shows_a_token(store: AccountStore) -> None:
    account = store.save_tokens("me", token_set("one"))
    shown = repr(account) + repr(store.list())
    assert "access-one-secret" not in shown
    assert "refresh-one-secret" not in shown


def test_stored_file_has_the_documented_layout(store: AccountStore, tmp_path: Path) -> None:
    store.save_tokens("me", token_set("one"), email="me@example.com")
    document = json.loads(account_file(tmp_path, "me").read_text())
    assert document["name"] == "me"
    assert document["entity_prefix"] == "oura"
    assert document["email"] == "me@example.com"
    assert document["status"] == CONNECTED
    assert document["auth_error"] is None
    assert document["created_at"]
    assert TokenSet.from_json(document["tokens"]) == token_set("one")


# ----- permissions ---------------------------------------------------------------------------


def test_account_files_and_backups_are_private(store: AccountStore, tmp_path: Path) -> None:
    store.save_tokens("me", token_set("one"))
    accounts_dir = tmp_path / "accounts"
    assert stat.S_IMODE(accounts_dir.stat().st_mode) == 0o700
    for path in (account_file(tmp_path, "me"), storage.backup_path(account_file(tmp_path, "me"))):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# ----- crashes and corruption ----------------------------------------------------------------


@pytest.mark.parametrize("failing_replace", [1, 2])
def test_a_crash_while_saving_keeps_the_newest_pair_and_recovery_removes_temp_files(
    store: AccountStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_replace: int
) -> None:
    store.save_tokens("me", token_set("old"))
    real_replace = storage.os.replace
    calls = []

    def crash_on_nth_rename(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == failing_replace:
            raise OSError("simulated power loss")
        real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", crash_on_nth_rename)
    with pytest.raises(OSError, match="simulated power loss"):
        store.save_tokens("me", token_set("new"))
    monkeypatch.undo()

    # The new pair was completely written (a finished temp file, or the backup): it wins,
    # since Oura may already have spent the old refresh token.
    restarted = AccountStore(tmp_path)
    restarted.recover()
    assert restarted.get("me").connection == CONNECTED
    assert restarted.tokens("me") == token_set("new")
    leftovers = [p.name for p in (tmp_path / "accounts").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    for path in (account_file(tmp_path, "me"), storage.backup_path(account_file(tmp_path, "me"))):
        assert json.loads(path.read_text())["tokens"]["refresh_token"] == "refresh-new-secret"


def test_a_stale_main_file_copied_back_loses_to_the_newer_backup(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("one"))
    stale = account_file(tmp_path, "me").read_bytes()
    store.save_tokens("me", token_set("two"))
    account_file(tmp_path, "me").write_bytes(stale)  # a crash between the two renames
    assert store.tokens("me") == token_set("two")
    assert AccountStore(tmp_path).tokens("me") == token_set("two")


def test_a_refusal_of_an_older_pair_never_overwrites_a_newer_one(store: AccountStore) -> None:
    store.save_tokens("me", token_set("one"))
    store.save_tokens("me", token_set("two"))
    assert store.mark_auth_lost("me", "refused", refused=token_set("one")).connected
    assert store.tokens("me") == token_set("two")
    assert store.mark_auth_lost("me", "refused", refused=token_set("two")).connection == (
        NEEDS_RECONNECT
    )


def test_an_account_whose_only_copy_is_a_finished_temp_file_is_listed_and_recovered(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("one"))
    main = account_file(tmp_path, "me")
    temp = main.with_name(".me.json.bak.x1y2z3.tmp")
    main.rename(temp)
    storage.backup_path(main).unlink()
    assert [a.name for a in store.list()] == ["me"]
    assert store.tokens("me") == token_set("one")
    store.recover()
    assert sorted(p.name for p in (tmp_path / "accounts").iterdir()) == ["me.json", "me.json.bak"]


def test_a_corrupt_file_is_recovered_from_its_backup(
    store: AccountStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store.save_tokens("me", token_set("one"))
    account_file(tmp_path, "me").write_text('{"name": "me", "tok')
    with caplog.at_level(logging.WARNING, logger="oura_addon.store.accounts"):
        assert store.tokens("me") == token_set("one")
        assert store.get("me").connection == CONNECTED
    assert "backup" in caplog.text
    assert "secret" not in caplog.text


def test_a_file_with_valid_json_but_wrong_content_falls_back_to_the_backup(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("one"))
    account_file(tmp_path, "me").write_text('{"name": "me", "tokens": "oops"}')
    assert store.tokens("me") == token_set("one")


def test_an_unreadable_account_asks_for_a_reconnect_without_disturbing_others(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("one"))
    store.save_tokens("partner", token_set("two"))
    account_file(tmp_path, "me").write_text("\x00garbage")
    storage.backup_path(account_file(tmp_path, "me")).write_text("[1, 2")

    accounts = {a.name: a for a in store.list()}
    assert accounts["me"].connection == NEEDS_RECONNECT
    assert accounts["me"].auth_error == UNREADABLE_MESSAGE
    assert accounts["me"].entity_prefix == "oura"
    assert accounts["partner"].connection == CONNECTED
    assert store.get("me").connection == NEEDS_RECONNECT
    assert store.tokens("me") is None
    assert store.tokens("partner") == token_set("two")


def test_reconnecting_an_unreadable_account_repairs_it(store: AccountStore, tmp_path: Path) -> None:
    store.save_tokens("me", token_set("one"))
    store.save_tokens("partner", token_set("two"))
    for path in (account_file(tmp_path, "me"), storage.backup_path(account_file(tmp_path, "me"))):
        path.write_text("not json")
    repaired = store.save_tokens("me", token_set("three"))
    assert repaired.connection == CONNECTED
    assert repaired.entity_prefix == "oura"
    assert store.tokens("me") == token_set("three")
    assert store.get("partner").entity_prefix == "oura_partner"


def test_an_account_whose_main_file_was_never_written_is_read_from_the_backup(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("one"))
    account_file(tmp_path, "me").unlink()
    assert [a.name for a in store.list()] == ["me"]
    assert store.tokens("me") == token_set("one")


def test_stray_files_in_the_accounts_directory_are_ignored(
    store: AccountStore, tmp_path: Path
) -> None:
    store.create("me")
    (tmp_path / "accounts" / ".me.json.abc.tmp").write_text("{")
    (tmp_path / "accounts" / "README.txt").write_text("hello")
    (tmp_path / "accounts" / "Bad-Name.json").write_text("{}")
    assert [a.name for a in store.list()] == ["me"]


def test_the_store_offers_name_validation_to_the_panel(store: AccountStore) -> None:
    assert store.validate_name("partner") == "partner"
    with pytest.raises(ValueError, match="not valid"):
        store.validate_name("Partner!")


def test_a_file_of_binary_garbage_is_treated_like_any_corrupt_file(
    store: AccountStore, tmp_path: Path
) -> None:
    store.save_tokens("me", token_set("one"))
    account_file(tmp_path, "me").write_bytes(b"\xff\xfe\x00\x81")
    assert store.tokens("me") == token_set("one")
    storage.backup_path(account_file(tmp_path, "me")).write_bytes(b"\xff\xfe\x00\x81")
    assert store.get("me").connection == NEEDS_RECONNECT


def test_an_unreadable_account_is_reported_once_not_on_every_listing(
    store: AccountStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store.create("me")
    for path in (account_file(tmp_path, "me"), storage.backup_path(account_file(tmp_path, "me"))):
        path.write_text("{")
    with caplog.at_level(logging.WARNING, logger="oura_addon.store.accounts"):
        for _ in range(5):
            store.list()
    assert len([r for r in caplog.records if "unreadable" in r.getMessage()]) == 1


def test_losing_authorization_of_a_removed_account_does_not_bring_it_back(
    store: AccountStore,
) -> None:
    store.save_tokens("me", token_set("one"))
    store.delete("me")
    assert store.mark_auth_lost("me", "Oura refused the login") is None
    assert store.get("me") is None
    assert store.list() == []


def test_recording_the_email_keeps_the_tokens_a_refresh_just_stored(
    store: AccountStore,
) -> None:
    store.save_tokens("me", token_set("one"))
    store.save_tokens("me", token_set("refreshed"))  # e.g. the scheduler, meanwhile
    assert store.set_email("me", "me@example.com").email == "me@example.com"
    assert store.tokens("me") == token_set("refreshed")
    assert store.get("me").connection == CONNECTED
    assert store.set_email("nobody", "x@example.com") is None
    assert store.get("nobody") is None
