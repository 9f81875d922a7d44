"""Client credentials: options win, the panel can enter them, the secret never comes back out."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from oura_addon.oura.tokens import AppCredentials
from oura_addon.store.credentials import (
    PARTIAL_OPTIONS_MESSAGE,
    UNREADABLE_MESSAGE,
    AppCredentialsStore,
)


def panel_store(tmp_path: Path) -> AppCredentialsStore:
    return AppCredentialsStore(tmp_path, None, None)


def test_nothing_configured_means_no_credentials(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    assert store.get() is None
    assert store.source() is None
    assert store.describe()["configured"] is False


def test_panel_entered_credentials_are_stored_privately_and_survive_a_restart(
    tmp_path: Path,
) -> None:
    panel_store(tmp_path).save("  my-client  ", " my-secret-value ")
    assert stat.S_IMODE((tmp_path / "app.json").stat().st_mode) == 0o600
    restarted = panel_store(tmp_path)
    assert restarted.get() == AppCredentials("my-client", "my-secret-value")
    assert restarted.source() == "panel"


def test_options_take_precedence_over_panel_entries(tmp_path: Path) -> None:
    panel_store(tmp_path).save("panel-client", "panel-secret")
    store = AppCredentialsStore(tmp_path, "options-client", "options-secret")
    assert store.get() == AppCredentials("options-client", "options-secret")
    assert store.source() == "options"
    described = store.describe()
    assert described["source"] == "options"
    assert described["client_id"] == "options-client"
    assert described["panel_client_id"] == "panel-client"


def test_half_filled_options_fall_back_to_the_panel_and_say_so(tmp_path: Path) -> None:
    panel_store(tmp_path).save("panel-client", "panel-secret")
    store = AppCredentialsStore(tmp_path, "options-client", "")
    assert store.get() == AppCredentials("panel-client", "panel-secret")
    assert PARTIAL_OPTIONS_MESSAGE in store.describe()["problems"]


def test_an_empty_secret_keeps_the_stored_one(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    store.save("my-client", "my-secret-value")
    store.save("my-client", "")
    assert store.get() == AppCredentials("my-client", "my-secret-value")


def test_a_new_client_id_needs_its_own_secret(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    store.save("my-client", "my-secret-value")
    with pytest.raises(ValueError, match="secret that belongs to the new client id"):
        store.save("other-client", "")
    assert store.get() == AppCredentials("my-client", "my-secret-value")


@pytest.mark.parametrize(
    ("client_id", "secret", "message"),
    [
        ("", "s3cret", "Enter the client id"),
        ("   ", "s3cret", "Enter the client id"),
        ("has space", "s3cret", "client id looks wrong"),
        ("my-client", "", "Enter the client secret"),
    ],
)
def test_incomplete_panel_entries_are_refused_with_a_message(
    tmp_path: Path, client_id: str, secret: str, message: str
) -> None:
    store = panel_store(tmp_path)
    with pytest.raises(ValueError, match=message):
        store.save(client_id, secret)
    assert not (tmp_path / "app.json").exists()


def test_the_description_never_contains_the_secret(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    store.save("my-client", "my-secret-value")
    described = store.describe()
    assert described["has_secret"] is True
    assert described["client_id"] == "my-client"
    assert described["source"] == "panel"
    assert "my-secret-value" not in json.dumps(described)


def test_clear_forgets_panel_credentials_but_not_options(tmp_path: Path) -> None:
    panel_store(tmp_path).save("panel-client", "panel-secret")
    panel_store(tmp_path).clear()
    assert panel_store(tmp_path).get() is None
    assert not (tmp_path / "app.json.bak").exists()
    with_options = AppCredentialsStore(tmp_path, "options-client", "options-secret")
    with_options.clear()
    assert with_options.get() == AppCredentials("options-client", "options-secret")


def test_a_corrupt_file_is_recovered_from_its_backup(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    store.save("my-client", "my-secret-value")
    (tmp_path / "app.json").write_text("{ broken")
    assert store.get() == AppCredentials("my-client", "my-secret-value")


def test_unreadable_credentials_are_reported_instead_of_crashing(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    store.save("my-client", "my-secret-value")
    (tmp_path / "app.json").write_text("{ broken")
    (tmp_path / "app.json.bak").write_text('["not", "an", "object"]')
    assert store.get() is None
    described = store.describe()
    assert described["configured"] is False
    assert UNREADABLE_MESSAGE in described["problems"]
    store.save("my-client", "fresh-secret")
    assert store.get() == AppCredentials("my-client", "fresh-secret")


def test_secrets_are_announced_to_the_log_redactor(tmp_path: Path) -> None:
    announced: list[str] = []
    AppCredentialsStore(tmp_path, "options-client", "options-secret", on_secret=announced.append)
    AppCredentialsStore(tmp_path, None, None, on_secret=announced.append).save("c", "panel-secret")
    assert announced == ["options-secret", "panel-secret"]


def test_a_file_with_the_wrong_shape_is_recovered_from_its_backup(tmp_path: Path) -> None:
    store = panel_store(tmp_path)
    store.save("my-client", "my-secret-value")
    (tmp_path / "app.json").write_text('{"client_id": "my-client"}')
    assert store.get() == AppCredentials("my-client", "my-secret-value")
