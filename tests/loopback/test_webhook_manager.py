"""The subscriptions' keeper against the simulator's webhook API (loopback), with the add-on's
own webhook port answering the verification round trip."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from oura_addon.oura.tokens import AppCredentials, TokenSet
from oura_addon.oura.webhooks import WebhookApi
from oura_addon.scheduling.webhooks import WebhookManager
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import AccountStore
from oura_addon.store.webhooks import WebhookStore
from oura_addon.web.webhook import WebhookApp, create_webhook_server
from tests.addon_process import free_port

CREDS = AppCredentials("hook-client", "hook-secret")
# The daily scope's pushed types (daily_sleep, readiness, activity, sleep, sleep_time,
# rest mode), created and updated; heart rate is granted but never pushed.
DAILY_PAIRS = 12


class Rig:
    def __init__(self, tmp_path) -> None:
        config = SimulatorConfig(client_id=CREDS.client_id, client_secret=CREDS.client_secret)
        self.server = SimulatorServer(create_simulator(config)).start()
        self.accounts = AccountStore(tmp_path)
        self.accounts.create("me")
        self.accounts.save_tokens(
            "me", TokenSet("a", "r", time.time() + 86400, ("daily", "heartrate"))
        )
        self.store = WebhookStore(tmp_path)
        self.creds: AppCredentials | None = CREDS
        self.pushed: list[frozenset[str]] = []
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/webhook"
        app = WebhookApp(
            verification_token=lambda: self.store.load().verification_token or None,
            secrets=lambda: [CREDS.client_secret],
            on_event=lambda e: True,
        )
        self.port_server = create_webhook_server(app, host="127.0.0.1", port=port)
        threading.Thread(target=self.port_server.run, daemon=True).start()

    def manager(self, url: str | None) -> WebhookManager:
        return WebhookManager(
            callback_url=url,
            accounts=self.accounts,
            credentials=lambda: self.creds,
            store=self.store,
            api=WebhookApi(self.server.url),
            on_pushed=self.pushed.append,
        )

    def oura(self) -> dict[str, int]:
        return self.server.simulator.webhooks.pairs()

    def close(self) -> None:
        self.port_server.close()
        self.server.stop()


@pytest.fixture
def rig(tmp_path) -> Iterator[Rig]:
    found = Rig(tmp_path)
    yield found
    found.close()


def test_the_option_subscribes_every_granted_pushed_type_once(rig):
    manager = rig.manager(rig.url)
    manager.reconcile()
    assert len(rig.oura()) == DAILY_PAIRS and set(rig.oura().values()) == {1}
    assert "daily_activity" in rig.pushed[-1] and "heartrate" not in rig.pushed[-1]
    status = manager.status()
    assert status["state"] == "active" and len(status["subscriptions"]) == DAILY_PAIRS
    manager.reconcile()  # nothing to do the second time
    assert len(rig.oura()) == DAILY_PAIRS


def test_the_last_account_going_deletes_them(rig):
    manager = rig.manager(rig.url)
    manager.reconcile()
    rig.accounts.delete("me")
    manager.step()  # the wish changed: reconciled without waiting for the hour
    assert rig.oura() == {}
    assert rig.pushed[-1] == frozenset()


def test_without_the_option_oura_is_not_even_asked(rig):
    manager = rig.manager(None)
    manager.reconcile()
    assert rig.server.simulator.requests.entries() == []
    assert manager.status()["state"] == "off"


def test_new_credentials_delete_the_old_apps_subscriptions_with_the_old_ones(rig):
    rig.manager(rig.url).reconcile()
    rig.creds = AppCredentials("other-client", "other-secret")  # unknown to this Oura
    manager = rig.manager(rig.url)
    manager.reconcile()
    assert rig.oura() == {}  # deleted with the credentials they were made with
    status = manager.status()
    assert status["state"] == "error" and "client id or secret" in status["message"]


def test_an_address_oura_cannot_verify_is_explained_and_not_hammered(rig):
    nowhere = f"http://127.0.0.1:{free_port()}/webhook"  # nothing listens there
    manager = rig.manager(nowhere)
    manager.step()
    status = manager.status()
    assert status["state"] == "error"
    assert nowhere in status["message"] and "8098/tcp" in status["message"]
    asked = len(rig.server.simulator.requests.entries())
    for _ in range(3):
        manager.step()  # the loop looks again and again: Oura is not asked meanwhile
    assert len(rig.server.simulator.requests.entries()) == asked
    manager.test()  # the user presses Test: asked at once
    manager.step()
    assert len(rig.server.simulator.requests.entries()) > asked
