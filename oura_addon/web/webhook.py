"""The webhook port: one path, ``/webhook``, for Oura and nobody else.

- ``GET /webhook?verification_token=...&challenge=...`` answers ``{"challenge": ...}`` only
  for the add-on's own token (compared in constant time).
- ``POST /webhook`` is an event: its ``x-oura-signature`` must be the upper-case hex
  HMAC-SHA256 of ``x-oura-timestamp`` + body under the app's client secret, the timestamp
  within 5 minutes, the body new, at most 16 KB, and the sender within a small rate. The
  answer comes first; the event is handed to ``on_event`` (a queue) and worked on after.

Everything else is 404. Refusals are cheap and each kind is logged once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from waitress.server import create_server

_LOGGER = logging.getLogger(__name__)

PATH = "/webhook"
MAX_BODY_BYTES = 16 * 1024
TIMESTAMP_WINDOW = 300.0  # seconds either side of now
# Bodies remembered: more than the rate lets in over the timestamp window (10/s x 300 s),
# so a body is remembered for as long as its timestamp is accepted.
REPLAY_MEMORY = 4096
# Token bucket: a burst of this many events, refilled at this many a second.
RATE_BURST = 60
RATE_PER_SECOND = 10.0


@dataclass(frozen=True)
class WebhookEvent:
    event_type: str
    data_type: str
    object_id: str
    user_id: str
    received_at: float


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Oura's signature of an event (the simulator signs with the same function)."""
    return hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest().upper()


def parse_event(body: bytes, received_at: float) -> WebhookEvent | None:
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    values = [raw.get(k) for k in ("event_type", "data_type", "object_id", "user_id")]
    texts = [v for v in values if isinstance(v, str) and v]
    if len(texts) != len(values):
        return None
    return WebhookEvent(texts[0], texts[1], texts[2], texts[3], received_at)


class _Bucket:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens = float(RATE_BURST)
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(RATE_BURST, self._tokens + (now - self._at) * RATE_PER_SECOND)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class WebhookApp:
    """The WSGI application of the webhook port.

    ``verification_token`` and ``secrets`` are read per request (they live in /data and the
    credentials store); ``on_event`` must not block.
    """

    def __init__(
        self,
        *,
        verification_token: Callable[[], str | None],
        secrets: Callable[[], Iterable[str]],
        on_event: Callable[[WebhookEvent], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = verification_token
        self._secrets = secrets
        self._on_event = on_event
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._bucket = _Bucket(clock)
        self._logged: set[str] = set()
        self.refused: dict[str, int] = {}
        self.verified = 0

    def _refuse(self, kind: str, status: int, start_response: Callable) -> list[bytes]:
        with self._lock:
            self.refused[kind] = self.refused.get(kind, 0) + 1
            first = kind not in self._logged
            self._logged.add(kind)
        if first:
            _LOGGER.warning("Webhook: refused a request (%s); further ones are not logged", kind)
        return _answer(start_response, status, {"detail": "refused"})

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return _answer(start_response, 404, {"detail": "Not Found"})
        method = environ.get("REQUEST_METHOD", "")
        if method == "GET":
            return self._verify(environ, start_response)
        if method == "POST":
            return self._event(environ, start_response)
        return _answer(start_response, 405, {"detail": "Method Not Allowed"})

    def _verify(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), max_num_fields=10)
        given = (query.get("verification_token") or [""])[0]
        challenge = (query.get("challenge") or [""])[0]
        expected = self._token()
        if (
            not expected
            or not challenge
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            return self._refuse("wrong verification token", 401, start_response)
        with self._lock:
            self.verified += 1
            first = self.verified == 1
        # One subscription, one check: the first says it works, the rest would only repeat it.
        _LOGGER.log(logging.INFO if first else logging.DEBUG, "Webhook: Oura verified the address")
        return _answer(start_response, 200, {"challenge": challenge})

    def _event(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return self._refuse("body over 16 KB", 413, start_response)
        with self._lock:
            allowed = self._bucket.take()
        if not allowed:
            return self._refuse("too many events", 429, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        given = environ.get("HTTP_X_OURA_SIGNATURE", "")
        stamp = environ.get("HTTP_X_OURA_TIMESTAMP", "")
        now = self._clock()
        if not any(
            hmac.compare_digest(given.encode(), signature(s, stamp, body).encode())
            for s in self._secrets()
            if s
        ):
            return self._refuse("bad or missing signature", 401, start_response)
        try:
            moment = float(stamp)
        except ValueError:
            moment = float("nan")
        if not abs(now - moment) <= TIMESTAMP_WINDOW:
            return self._refuse("timestamp outside 5 minutes", 401, start_response)
        key = hashlib.sha256(stamp.encode() + b"." + body).hexdigest()
        with self._lock:
            replayed = key in self._seen
            if not replayed:
                self._seen[key] = now
                while len(self._seen) > REPLAY_MEMORY:
                    self._seen.popitem(last=False)
        if replayed:
            return self._refuse("replayed body", 409, start_response)
        event = parse_event(body, now)
        if event is None:
            return self._refuse("not an event", 400, start_response)
        if not self._on_event(event):
            with self._lock:  # Oura delivers it again later: not a replay then
                self._seen.pop(key, None)
            return _answer(start_response, 503, {"detail": "busy"})
        return _answer(start_response, 200, {"received": True})


def create_webhook_server(application: WebhookApp, *, host: str, port: int) -> Any:
    """waitress for the webhook port: any peer (Oura comes through the user's proxy), small
    bodies, few threads, idle connections closed quickly."""
    return create_server(
        application,
        host=host,
        port=port,
        threads=2,
        ident="oura-addon-webhook",
        connection_limit=50,
        channel_timeout=10,
        cleanup_interval=5,
        max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=8 * 1024,
        clear_untrusted_proxy_headers=True,
    )


def _answer(start_response: Callable, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        413: "Payload Too Large",
        429: "Too Many Requests",
        503: "Service Unavailable",
    }[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
