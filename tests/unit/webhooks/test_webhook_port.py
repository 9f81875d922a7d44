"""The webhook port's application, in process: what it answers, what it refuses, and that a
refused request never reaches the event queue."""

from __future__ import annotations

import io
import json
import logging

import pytest

from oura_addon.simulator.webhooks import sign
from oura_addon.web import webhook
from oura_addon.web.webhook import WebhookApp, WebhookEvent

SECRET = "app-secret"
TOKEN = "verify-me-0123456789"
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rig():
    events: list[WebhookEvent] = []
    clock = Clock()
    app = WebhookApp(
        verification_token=lambda: TOKEN,
        secrets=lambda: [SECRET],
        on_event=lambda e: events.append(e) or True,
        clock=clock,
    )
    return app, events, clock


def call(app, method="POST", path="/webhook", body=b"", headers=None, query=""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status = []
    chunks = app(environ, lambda s, h: status.append(int(s.split()[0])))
    return status[0], json.loads(b"".join(chunks))


def event_body(**changes) -> bytes:
    event = {
        "event_type": "update",
        "data_type": "daily_activity",
        "object_id": "doc-1",
        "event_time": "2026-03-10T08:00:00+00:00",
        "user_id": "user-1",
    }
    return json.dumps({**event, **changes}).encode()


def signed(body: bytes, stamp: float = NOW, secret: str = SECRET) -> dict[str, str]:
    text = str(int(stamp))
    return {"x-oura-timestamp": text, "x-oura-signature": sign(secret, text, body)}


def test_a_signed_fresh_event_is_queued(rig):
    app, events, _ = rig
    body = event_body()
    assert call(app, body=body, headers=signed(body)) == (200, {"received": True})
    assert [(e.data_type, e.object_id, e.user_id) for e in events] == [
        ("daily_activity", "doc-1", "user-1")
    ]


def test_the_addon_and_the_simulator_sign_alike():
    assert webhook.signature(SECRET, "1", b"{}") == sign(SECRET, "1", b"{}")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (signed(event_body(), secret="wrong"), 401),
        (signed(event_body(), stamp=NOW - 301), 401),
        (signed(event_body(), stamp=NOW + 301), 401),
        ({**signed(event_body()), "x-oura-signature": "00"}, 401),
    ],
)
def test_bad_signatures_and_stale_timestamps_are_refused(rig, headers, status):
    app, events, _ = rig
    assert call(app, body=event_body(), headers=headers)[0] == status
    assert events == []


def test_a_replayed_body_is_refused(rig):
    app, events, _ = rig
    body = event_body()
    headers = signed(body)
    assert call(app, body=body, headers=headers)[0] == 200
    assert call(app, body=body, headers=headers)[0] == 409
    assert len(events) == 1


def test_an_oversized_body_is_refused_unread(rig):
    app, events, _ = rig
    body = event_body(pad="x" * webhook.MAX_BODY_BYTES)
    assert call(app, body=body, headers=signed(body))[0] == 413
    assert events == []


def test_a_burst_beyond_the_rate_is_refused(rig):
    app, _events, _ = rig
    answers = []
    for index in range(webhook.RATE_BURST + 5):
        body = event_body(object_id=f"doc-{index}")
        answers.append(call(app, body=body, headers=signed(body))[0])
    assert answers.count(200) == webhook.RATE_BURST
    assert answers[-1] == 429


def test_verification_answers_only_the_own_token(rig):
    app, _, _ = rig
    ok = call(app, "GET", query=f"verification_token={TOKEN}&challenge=abc")
    assert ok == (200, {"challenge": "abc"})
    assert call(app, "GET", query="verification_token=guess&challenge=abc")[0] == 401


def test_every_other_path_is_not_found(rig):
    app, _, _ = rig
    for path in ("/", "/api/status", "/webhook/", "/webhooks"):
        assert call(app, "GET", path=path)[0] == 404


def test_refusals_are_logged_once_per_kind(rig, caplog):
    app, _, _ = rig
    with caplog.at_level(logging.WARNING, logger="oura_addon.web.webhook"):
        for _ in range(5):
            call(app, body=event_body(), headers={})
    assert len(caplog.records) == 1


def test_a_full_queue_lets_oura_deliver_again():
    accepted = iter([False, True])
    app = WebhookApp(
        verification_token=lambda: TOKEN,
        secrets=lambda: [SECRET],
        on_event=lambda e: next(accepted),
        clock=lambda: NOW,
    )
    body = event_body()
    assert call(app, body=body, headers=signed(body))[0] == 503
    assert call(app, body=body, headers=signed(body))[0] == 200  # Oura's retry: no replay
