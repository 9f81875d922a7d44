"""``/data/webhooks.json``: Oura webhook subscriptions, the verification token, the user ids.

Intents are written before Oura is called: after a kill -9 the next start knows which
callback addresses (and credentials) may have subscriptions it never heard the id of, and
reconciles them against Oura's own list. The verification token and the credentials kept
with the subscriptions are registered with the log redactor as soon as they are read.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oura_addon.store.files import CorruptFileError, VersionedFile, recover

_LOGGER = logging.getLogger(__name__)

FILE_NAME = "webhooks.json"


@dataclass(frozen=True)
class Subscription:
    """One subscription as Oura described it."""

    id: str
    data_type: str
    event_type: str
    callback_url: str
    expiration_time: str

    @property
    def pair(self) -> tuple[str, str]:
        return (self.data_type, self.event_type)

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "data_type": self.data_type,
            "event_type": self.event_type,
            "callback_url": self.callback_url,
            "expiration_time": self.expiration_time,
        }


def parse_subscription(raw: Any) -> Subscription | None:
    if not isinstance(raw, Mapping):
        return None
    values = [raw.get(k) for k in ("id", "data_type", "event_type", "callback_url")]
    texts = [v for v in values if isinstance(v, str) and v]
    if len(texts) != len(values):
        return None
    expiration = raw.get("expiration_time")
    return Subscription(
        texts[0], texts[1], texts[2], texts[3], expiration if isinstance(expiration, str) else ""
    )


@dataclass(frozen=True)
class WebhookRecord:
    """What /data remembers. ``client`` holds the credentials the subscriptions were made
    with (so they can still be deleted after the credentials change); ``callbacks`` every
    callback address an intent was written for and not yet reconciled."""

    verification_token: str = ""
    client: tuple[str, str] | None = field(default=None, repr=False)
    subscriptions: tuple[Subscription, ...] = ()
    callbacks: tuple[str, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict)  # account -> Oura user id
    last_event: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verification_token": self.verification_token,
            "client": list(self.client) if self.client else None,
            "subscriptions": [s.to_json() for s in self.subscriptions],
            "callbacks": list(self.callbacks),
            "users": dict(self.users),
            "last_event": self.last_event,
        }


def _parse(raw: Any) -> WebhookRecord:
    if not isinstance(raw, Mapping):
        return WebhookRecord()
    client = raw.get("client")
    subscriptions = tuple(
        s for s in map(parse_subscription, raw.get("subscriptions") or ()) if s is not None
    )
    users = raw.get("users")
    last_event = raw.get("last_event")
    return WebhookRecord(
        verification_token=str(raw.get("verification_token") or ""),
        client=(str(client[0]), str(client[1]))
        if isinstance(client, list) and len(client) == 2
        else None,
        subscriptions=subscriptions,
        callbacks=tuple(c for c in raw.get("callbacks") or () if isinstance(c, str)),
        users={str(k): str(v) for k, v in users.items()} if isinstance(users, Mapping) else {},
        last_event=float(last_event) if isinstance(last_event, int | float) else None,
    )


class WebhookStore:
    def __init__(self, data_dir: Path, on_secret: Callable[..., None] = lambda *_: None) -> None:
        self._file = VersionedFile(data_dir / FILE_NAME)
        self._on_secret = on_secret
        self._lock = threading.Lock()
        recover(self._file.path)

    def _read(self) -> WebhookRecord:
        try:
            record = _parse(self._file.read())
        except CorruptFileError as err:
            _LOGGER.warning(
                "%s is unreadable (%s); subscriptions are reconciled anew", FILE_NAME, err
            )
            record = WebhookRecord()
        self._on_secret(record.verification_token or None, *(record.client or ()))
        return record

    def load(self) -> WebhookRecord:
        with self._lock:
            return self._read()

    def update(self, change: Callable[[WebhookRecord], WebhookRecord]) -> WebhookRecord:
        with self._lock:
            record = change(self._read())
            self._on_secret(record.verification_token or None, *(record.client or ()))
            self._file.write(record.to_json())
            return record

    def verification_token(self) -> str:
        """The token Oura must present when it verifies the callback; made once, random."""
        record = self.load()
        if record.verification_token:
            return record.verification_token

        def make(current: WebhookRecord) -> WebhookRecord:
            if current.verification_token:
                return current
            return replace(current, verification_token=secrets.token_urlsafe(32))

        return self.update(make).verification_token
