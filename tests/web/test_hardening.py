"""The panel under hostile or broken conditions: account names judged over the whole
string, at most 20 accounts, a removal that answers at once while a refresh holds the
account, and /data full or read-only shown with its sentence instead of a 500."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from oura_addon.oura.tokens import TokenSet
from oura_addon.store.accounts import MAX_ACCOUNTS, AccountStore
from oura_addon.store.files import DataNotWritable
from oura_addon.web import create_app
from tests.web.conftest import Panel
from tests.web.fakes import FakeServices, fake_services


@pytest.mark.parametrize(
    "name", ["oura\n", "oura\x0b", "\x1coura", "ou\x00ra", "oura\u2028", "oura\t", "oura!"]
)
def test_a_name_with_any_character_outside_the_rule_is_refused(panel: Panel, name: str) -> None:
    response = panel.post("/api/accounts", json={"name": name})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_name"
    assert panel.get("/api/status").get_json()["accounts"] == []


def test_spaces_typed_around_a_name_are_forgiven(panel: Panel) -> None:
    assert panel.post("/api/accounts", json={"name": " oura "}).status_code == 201


def test_the_twenty_first_account_is_refused_with_a_sentence(panel: Panel) -> None:
    for number in range(MAX_ACCOUNTS):
        assert panel.post("/api/accounts", json={"name": f"a{number}"}).status_code == 201
    response = panel.post("/api/accounts", json={"name": "one_more"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "too_many"
    assert "at most 20 accounts" in response.get_json()["message"]
    assert len(panel.get("/api/status").get_json()["accounts"]) == MAX_ACCOUNTS


def test_the_store_itself_refuses_the_twenty_first_account(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    for number in range(MAX_ACCOUNTS):
        store.create(f"a{number}")
    with pytest.raises(ValueError, match="at most 20"):
        store.create("one_more")


@pytest.fixture
def real_store(tmp_path: Path) -> tuple[FakeServices, AccountStore, Panel]:
    services = fake_services(tmp_path)
    store = AccountStore(tmp_path / "data")
    services.accounts = store  # type: ignore[assignment]
    app = create_app(services.settings, services.bundle(), secret_key=b"k" * 32)
    return services, store, Panel(app)


def test_removing_an_account_whose_refresh_hangs_answers_at_once(real_store) -> None:
    _services, store, panel = real_store
    store.save_tokens("oura", TokenSet("a", "r", 4_000_000_000.0))
    store.save_tokens("partner", TokenSet("b", "s", 4_000_000_000.0))
    holding, release = threading.Event(), threading.Event()

    def slow_refresh() -> None:  # what TokenSession does while Oura is slow to answer
        with store.locked("partner"):
            holding.set()
            release.wait(30)

    refresher = threading.Thread(target=slow_refresh)
    refresher.start()
    holding.wait(5)
    try:
        started = time.monotonic()
        response = panel.delete("/api/accounts/partner")
        answered_in = time.monotonic() - started
        assert response.status_code == 200
        assert response.get_json() == {"deleted": True, "revoked": False, "finishing": True}
        assert answered_in < 5
        names = [a["name"] for a in panel.get("/api/status").get_json()["accounts"]]
        assert names == ["oura"]
        assert (store.directory / "partner.json").exists()  # still held by the refresh
    finally:
        release.set()
        refresher.join(5)
    deadline = time.monotonic() + 10
    while (store.directory / "partner.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (store.directory / "partner.json").exists()
    assert store.get("oura") is not None


def test_a_full_data_is_in_the_problems_and_the_page(
    panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("oura_addon.web.views.storage_condition", lambda _d: DataNotWritable(28))
    problems = panel.get("/api/status").get_json()["problems"]
    assert any("(/data) is full" in p for p in problems)
    assert "(/data) is full" in panel.get("/").get_data(as_text=True)


def test_a_read_only_data_refuses_a_new_account_with_its_sentence(
    panel: Panel, services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(name: str, check: object = None) -> None:
        raise DataNotWritable(30)

    monkeypatch.setattr(services.accounts, "create", read_only)
    response = panel.post("/api/accounts", json={"name": "oura"})
    assert response.status_code == 507
    assert "read-only" in response.get_json()["message"]


def test_starting_a_history_import_on_a_full_data_says_so(
    panel: Panel, services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web.fakes import connect

    connect(services, "oura")

    def full(account: str, start: object = None) -> None:
        raise DataNotWritable(28)

    monkeypatch.setattr(services.history, "start", full)
    response = panel.post("/api/accounts/oura/history", json={})
    assert response.status_code == 507
    assert "full" in response.get_json()["message"]
