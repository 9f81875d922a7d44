"""Oura's webhooks, simulated: subscriptions (as the spec describes them) and signed event
deliveries to their callbacks when a user's phone syncs new documents.

Creating or updating a subscription verifies the callback first (``GET
callback?verification_token=...&challenge=...`` must answer ``{"challenge": ...}``).
Subscriptions expire ``lifetime`` seconds after creation or renewal. A watcher thread looks
at the documents of every subscribed data type for every user who granted the app: a new
document is a ``create`` event, a changed one an ``update``. Each event is POSTed with
``x-oura-timestamp`` and ``x-oura-signature`` (upper-case hex HMAC-SHA256 of timestamp +
body under the client secret), retried up to 10 times on an error or timeout; a 410 answer
cancels the subscription.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from oura_addon.simulator.state import Simulator

DATA_TYPES = {
    # Oura's webhook data type -> the simulator's list route
    "tag": "tag",
    "enhanced_tag": "enhanced_tag",
    "workout": "workout",
    "session": "session",
    "sleep": "sleep",
    "daily_sleep": "daily_sleep",
    "daily_readiness": "daily_readiness",
    "daily_activity": "daily_activity",
    "daily_spo2": "daily_spo2",
    "sleep_time": "sleep_time",
    "rest_mode_period": "rest_mode_period",
    "ring_configuration": "ring_configuration",
    "daily_stress": "daily_stress",
    "daily_cardiovascular_age": "daily_cardiovascular_age",
    "daily_resilience": "daily_resilience",
    "vo2_max": "vO2_max",
    "meal": "",
}
EVENT_TYPES = ("create", "update", "delete")
DEFAULT_LIFETIME = 30 * 86400.0
RETRIES = 10
VERIFY_TIMEOUT = 10.0
DELIVERY_TIMEOUT = 10.0


@dataclass
class SimSubscription:
    id: str
    callback_url: str
    verification_token: str
    event_type: str
    data_type: str
    expires_at: float

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "callback_url": self.callback_url,
            "event_type": self.event_type,
            "data_type": self.data_type,
            "expiration_time": datetime.fromtimestamp(self.expires_at, UTC)
            .isoformat()
            .replace("+00:00", "Z"),
        }


@dataclass
class Delivery:
    subscription_id: str
    event: dict[str, str]
    attempts: int = 0
    statuses: list[int | None] = field(default_factory=list)
    delivered: bool = False


class Refused(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return digest.hexdigest().upper()


def _validation_error(field_name: str, message: str) -> Refused:
    return Refused(
        422, {"detail": [{"type": "value_error", "loc": ["body", field_name], "msg": message}]}
    )


class Webhooks:
    """The simulated webhook service of one Simulator."""

    def __init__(
        self,
        simulator: Simulator,
        *,
        lifetime: float = DEFAULT_LIFETIME,
        watch_interval: float = 1.0,
        retry_delay: Callable[[int], float] = lambda attempt: min(60.0, 0.5 * 2**attempt),
    ) -> None:
        self.simulator = simulator
        self.lifetime = lifetime
        self.watch_interval = watch_interval
        self.retry_delay = retry_delay
        self.answer_delay = 0.0  # seconds a create/renew/update waits after it took effect
        self.paused = False  # deliveries stop (the "tunnel down" of a test)
        self._lock = threading.Lock()
        self._subscriptions: dict[str, SimSubscription] = {}
        self._seen: dict[tuple[int, str], dict[str, str]] = {}
        self.deliveries: list[Delivery] = []
        self.verifications: list[bool] = []  # each verification round trip's outcome
        self._session = requests.Session()
        self._session.trust_env = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- subscriptions ------------------------------------------------------------------------

    def _check_body(self, body: Any, *, partial: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _validation_error("body", "Expected a JSON object")
        if not isinstance(body.get("verification_token"), str):
            raise _validation_error("verification_token", "Field required")
        for name, allowed in (("event_type", EVENT_TYPES), ("data_type", tuple(DATA_TYPES))):
            value = body.get(name)
            if value is None and partial:
                continue
            if value not in allowed:
                raise _validation_error(name, f"Invalid {name} value")
        url = body.get("callback_url")
        if not (url is None and partial) and not (
            isinstance(url, str) and url.startswith(("http://", "https://"))
        ):
            raise _validation_error("callback_url", "Invalid callback_url value")
        return body

    def verify(self, callback_url: str, token: str) -> None:
        challenge = uuid.uuid4().hex
        try:
            answer = self._session.get(
                callback_url,
                params={"verification_token": token, "challenge": challenge},
                timeout=VERIFY_TIMEOUT,
            )
            ok = answer.status_code == 200 and answer.json().get("challenge") == challenge
        except (requests.RequestException, ValueError, AttributeError):
            ok = False
        with self._lock:
            self.verifications.append(ok)
        if not ok:
            raise Refused(400, {"detail": "Webhook verification failed."})

    def create(self, body: Any) -> dict[str, str]:
        body = self._check_body(body, partial=False)
        self.verify(body["callback_url"], body["verification_token"])
        subscription = SimSubscription(
            id=str(uuid.uuid4()),
            callback_url=body["callback_url"],
            verification_token=body["verification_token"],
            event_type=body["event_type"],
            data_type=body["data_type"],
            expires_at=self.simulator.clock() + self.lifetime,
        )
        with self._lock:
            self._subscriptions[subscription.id] = subscription
        self._baseline(subscription.data_type)
        self._ensure_watching()
        self._slow_answer()
        return subscription.to_json()

    def _get(self, sub_id: str) -> SimSubscription:
        with self._lock:
            found = self._subscriptions.get(sub_id)
        if found is None or found.expires_at <= self.simulator.clock():
            raise Refused(403, {"detail": "Webhook with specified id does not exist."})
        return found

    def get(self, sub_id: str) -> dict[str, str]:
        return self._get(sub_id).to_json()

    def listing(self) -> list[dict[str, str]]:
        now = self.simulator.clock()
        with self._lock:
            return [s.to_json() for s in self._subscriptions.values() if s.expires_at > now]

    def update(self, sub_id: str, body: Any) -> dict[str, str]:
        current = self._get(sub_id)
        body = self._check_body(body, partial=True)
        changed = replace(
            current,
            callback_url=body.get("callback_url") or current.callback_url,
            verification_token=body["verification_token"],
            event_type=body.get("event_type") or current.event_type,
            data_type=body.get("data_type") or current.data_type,
        )
        self.verify(changed.callback_url, changed.verification_token)
        with self._lock:
            self._subscriptions[sub_id] = changed
        self._slow_answer()
        return changed.to_json()

    def renew(self, sub_id: str) -> dict[str, str]:
        current = self._get(sub_id)
        renewed = replace(current, expires_at=self.simulator.clock() + self.lifetime)
        with self._lock:
            self._subscriptions[sub_id] = renewed
        self._slow_answer()
        return renewed.to_json()

    def delete(self, sub_id: str) -> None:
        self._get(sub_id)
        with self._lock:
            self._subscriptions.pop(sub_id, None)

    def _slow_answer(self) -> None:
        if self.answer_delay:
            self.simulator.sleep(self.answer_delay)

    # -- control (tests) ----------------------------------------------------------------------

    def expire_in(self, seconds: float) -> None:
        with self._lock:
            for key, sub in self._subscriptions.items():
                self._subscriptions[key] = replace(sub, expires_at=self.simulator.clock() + seconds)

    def lose_all(self) -> None:
        with self._lock:
            self._subscriptions.clear()

    def verification_tokens(self) -> set[str]:
        """The tokens subscribers gave (a test checks they never leak)."""
        with self._lock:
            return {s.verification_token for s in self._subscriptions.values()}

    def pairs(self) -> dict[str, int]:
        """ "data_type/event_type" -> how many live subscriptions (a test wants one each)."""
        counts: dict[str, int] = {}
        for sub in self.listing():
            key = f"{sub['data_type']}/{sub['event_type']}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    # -- events -------------------------------------------------------------------------------

    def _documents(self, data_type: str, user: int) -> list[dict[str, Any]]:
        route = DATA_TYPES.get(data_type) or ""
        if not route:
            return []
        if route == "ring_configuration":
            return self.simulator.ring_configurations(user)
        today = self.simulator.today()
        start = today - timedelta(days=2)
        return self.simulator.documents(route, user, start, today + timedelta(days=1))

    def _users_for(self, data_type: str) -> list[int]:
        route = DATA_TYPES.get(data_type) or ""
        endpoint = ENDPOINTS_BY_NAME.get(route)
        scope = endpoint.scope if endpoint is not None else "tag"
        return [u for u, scopes in self.simulator.tokens.granted_users().items() if scope in scopes]

    def _fingerprints(self, data_type: str, user: int) -> dict[str, str]:
        return {
            str(d.get("id")): json.dumps(d, sort_keys=True, default=str)
            for d in self._documents(data_type, user)
        }

    def _baseline(self, data_type: str) -> None:
        """What exists when a subscription starts is no event."""
        for user in self._users_for(data_type):
            key = (user, data_type)
            if key not in self._seen:
                self._seen[key] = self._fingerprints(data_type, user)

    def _ensure_watching(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._watch, name="sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def _watch(self) -> None:
        while not self._stopping.wait(self.watch_interval):
            try:
                self.scan()
            except Exception:  # the simulator's watcher never dies
                logging.getLogger(__name__).exception("webhook watcher")

    def scan(self) -> int:
        """Compare every subscribed data type's documents with the last look; deliver what
        changed. Returns the number of events."""
        subscribed = {s["data_type"] for s in self.listing()}
        events = 0
        for data_type in sorted(subscribed):
            for user in self._users_for(data_type):
                key = (user, data_type)
                now = self._fingerprints(data_type, user)
                before = self._seen.get(key)
                self._seen[key] = now
                if before is None:
                    continue  # a user who granted after the subscription: their baseline
                for doc_id, fingerprint in now.items():
                    if doc_id not in before:
                        events += self._emit("create", data_type, doc_id, user)
                    elif before[doc_id] != fingerprint:
                        events += self._emit("update", data_type, doc_id, user)
        return events

    def _emit(self, event_type: str, data_type: str, object_id: str, user: int) -> int:
        event = {
            "event_type": event_type,
            "data_type": data_type,
            "object_id": object_id,
            "event_time": self.simulator.now().isoformat(),
            "user_id": str(self.simulator.personal_info(user)["id"]),
        }
        sent = 0
        now = self.simulator.clock()
        with self._lock:
            targets = [
                s
                for s in self._subscriptions.values()
                if s.data_type == data_type and s.event_type == event_type and s.expires_at > now
            ]
        for subscription in targets:
            delivery = Delivery(subscription.id, event)
            with self._lock:
                self.deliveries.append(delivery)
            threading.Thread(
                target=self._deliver, args=(subscription, delivery), daemon=True
            ).start()
            sent += 1
        return sent

    def _deliver(self, subscription: SimSubscription, delivery: Delivery) -> None:
        body = json.dumps(delivery.event, separators=(",", ":")).encode()
        secret = self.simulator.config.client_secret
        for attempt in range(RETRIES + 1):
            if self._stopping.is_set():
                return
            status: int | None = None
            if not self.paused:
                stamp = str(int(self.simulator.clock()))
                try:
                    answer = self._session.post(
                        subscription.callback_url,
                        data=body,
                        headers={
                            "Content-Type": "application/json",
                            "x-oura-timestamp": stamp,
                            "x-oura-signature": sign(secret, stamp, body),
                        },
                        timeout=DELIVERY_TIMEOUT,
                    )
                    status = answer.status_code
                except requests.RequestException:
                    status = None
            delivery.attempts = attempt + 1
            delivery.statuses.append(status)
            if status is not None and 200 <= status < 400:
                delivery.delivered = True
                return
            if status == 410:  # the receiver cancels the subscription
                with self._lock:
                    self._subscriptions.pop(subscription.id, None)
                return
            time.sleep(self.retry_delay(attempt))
