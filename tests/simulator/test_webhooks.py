"""The simulator's webhook API as Oura's spec describes it, and its signed deliveries (checked
by the add-on's own webhook port application)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from oura_addon.web.webhook import WebhookApp, WebhookEvent, create_webhook_server
from tests.addon_process import free_port
from tests.simulator.conftest import Served, load_shared_json

CLIENT = {"x-client-id": "demo-client", "x-client-secret": "demo-secret"}
TOKEN = "the-receivers-token"
PATH = "/v2/webhook/subscription"


class Receiver:
    """The add-on's webhook application on a loopback port."""

    def __init__(self, served: Served) -> None:
        self.events: list[WebhookEvent] = []
        self.app = WebhookApp(
            verification_token=lambda: TOKEN,
            secrets=lambda: ["demo-secret"],
            on_event=lambda e: self.events.append(e) or True,
            clock=served.clock,
        )
        self.port = free_port()
        self.server = create_webhook_server(self.app, host="127.0.0.1", port=self.port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/webhook"

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def receiver(served) -> Iterator[Receiver]:
    found = Receiver(served)
    yield found
    found.close()


@pytest.fixture(scope="module")
def model() -> Draft202012Validator:
    spec = load_shared_json("oura/openapi-1.37.json")
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": "urn:spec#/components/schemas/WebhookSubscriptionModel"},
        registry=registry,
        format_checker=FormatChecker(),
    )


def create(served: Served, url: str, token: str = TOKEN, **body: Any):
    payload = {
        "callback_url": url,
        "verification_token": token,
        "event_type": "update",
        "data_type": "daily_activity",
        **body,
    }
    return served.http.post(f"{served.url}{PATH}", json=payload, headers=CLIENT, timeout=30)


def test_create_verifies_the_callback_and_answers_the_spec_model(served, receiver, model):
    answer = create(served, receiver.url)
    assert answer.status_code == 201, answer.text
    assert not list(model.iter_errors(answer.json()))
    listed = served.http.get(f"{served.url}{PATH}", headers=CLIENT, timeout=10).json()
    assert [s["id"] for s in listed] == [answer.json()["id"]]


def test_a_wrong_token_at_the_callback_fails_creation(served, receiver):
    assert create(served, receiver.url, token="not-the-receivers").status_code == 400
    assert served.simulator.webhooks.listing() == []


def test_bad_credentials_and_bad_bodies_are_refused(served, receiver):
    bad = served.http.get(f"{served.url}{PATH}", headers={"x-client-id": "demo-client"})
    assert bad.status_code == 401
    invalid = create(served, receiver.url, data_type="not_a_type")
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "data_type"]


def test_renew_update_delete_and_expiry(served, receiver, model):
    made = create(served, receiver.url).json()
    served.clock.advance(86400)
    renewed = served.http.put(f"{served.url}{PATH}/renew/{made['id']}", headers=CLIENT).json()
    assert not list(model.iter_errors(renewed))
    assert renewed["expiration_time"] > made["expiration_time"]
    updated = served.http.put(
        f"{served.url}{PATH}/{made['id']}",
        json={"verification_token": TOKEN, "event_type": "create"},
        headers=CLIENT,
        timeout=30,
    ).json()
    assert updated["event_type"] == "create" and updated["id"] == made["id"]
    gone = served.http.delete(f"{served.url}{PATH}/{made['id']}", headers=CLIENT)
    assert gone.status_code == 204
    assert served.http.get(f"{served.url}{PATH}/{made['id']}", headers=CLIENT).status_code == 403
    # Expiry: a subscription past its expiration_time is gone from the list.
    create(served, receiver.url)
    served.simulator.webhooks.expire_in(0)
    assert served.http.get(f"{served.url}{PATH}", headers=CLIENT).json() == []


def test_phone_syncs_deliver_signed_events_for_granted_users(served, receiver):
    served.tokens(user=1)
    assert create(served, receiver.url).status_code == 201
    assert served.simulator.webhooks.scan() == 0  # nothing new yet
    served.clock.advance(3 * 3600)  # a few phone syncs later: today's activity changed
    assert served.simulator.webhooks.scan() >= 1
    deliveries = served.simulator.webhooks.deliveries
    for delivery in deliveries:
        for _ in range(200):
            if delivery.delivered:
                break
            threading.Event().wait(0.02)
    assert all(d.delivered for d in deliveries)
    # Accepted by the add-on's own signature check: the signature is Oura's.
    assert {(e.data_type, e.event_type) for e in receiver.events} == {("daily_activity", "update")}
    user_id = served.simulator.personal_info(1)["id"]
    assert {e.user_id for e in receiver.events} == {user_id}


def test_a_failing_callback_is_retried_ten_times(served, receiver):
    served.tokens(user=1)
    create(served, receiver.url)
    webhooks = served.simulator.webhooks
    webhooks.retry_delay = lambda attempt: 0.01
    webhooks.paused = True  # every attempt fails as if the receiver were down
    served.clock.advance(3 * 3600)
    assert webhooks.scan() >= 1
    delivery = webhooks.deliveries[0]
    for _ in range(300):
        if delivery.attempts == 11:
            break
        threading.Event().wait(0.02)
    assert delivery.attempts == 11 and not delivery.delivered
