"""Each account's sign-in as the add-on knows it, not as a page remembers it.

``waiting`` from Connect until the answer comes back; then nothing (connected), or
``failed``, ``expired`` (not used within the state's lifetime, or the add-on restarted
meanwhile) or ``cancelled``. Outcomes live in ``/data`` (``store/sign_ins.py``) until the
account connects or the user dismisses them, so a reload or a restart still shows them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from oura_addon.i18n import Text, Translator, _l, text_from_json, text_to_json
from oura_addon.store.sign_ins import SignInStore
from oura_addon.web.oauth_state import PendingAuthorizations

WAITING = "waiting"
FAILED = "failed"
EXPIRED = "expired"
CANCELLED = "cancelled"
STATES = (WAITING, FAILED, EXPIRED, CANCELLED)

# What the card offers for each error kind; every other kind offers to connect again.
ACTIONS: Mapping[str, str] = {
    "invalid_client": "fix_secret",
    "no_credentials": "fix_secret",
    "redirect_uri_mismatch": "register_uri",
}

WAITING_MESSAGE = _l("Waiting for you to approve access on Oura's page, in the other tab.")
EXPIRED_TITLE = _l("This sign-in has expired")
EXPIRED_MESSAGE = _l(
    "The sign-in was not finished within its 10 minutes, or the add-on restarted meanwhile."
)
CANCELLED_TITLE = _l("Sign-in cancelled")
CANCELLED_MESSAGE = _l("You cancelled this sign-in; Oura's answer to it will be refused.")
CONNECT_AGAIN = _l("Click Connect to start again.")


@dataclass(frozen=True)
class SignIn:
    state: str
    at: datetime
    error: str | None = None
    title: str | None = None
    message: str | None = None
    next_step: str | None = None
    expires_at: datetime | None = None
    redirect_uri: str | None = None  # to register, for redirect_uri_mismatch

    @property
    def action(self) -> str | None:
        if self.state == WAITING:
            return "cancel"
        return ACTIONS.get(self.error or "", "retry")

    def to_json(self, translator: Translator | None = None) -> dict[str, Any]:
        text = (translator or Translator()).text
        document: dict[str, Any] = {
            "state": self.state,
            "error": self.error,
            "title": text(self.title) if self.title else None,
            "message": text(self.message) if self.message else None,
            "next_step": text(self.next_step) if self.next_step else None,
            "action": self.action,
            "at": self.at.isoformat(),
        }
        if self.expires_at is not None:
            document["expires_at"] = self.expires_at.isoformat()
        if self.redirect_uri:
            document["redirect_uri"] = self.redirect_uri
        return document


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sentence(value: object) -> Text | None:
    return text_from_json(value) if value else None


def parse(outcome: Mapping[str, Any]) -> SignIn | None:
    """A stored outcome; None when it cannot be read (it is then forgotten)."""
    state, at = outcome.get("state"), _time(outcome.get("at"))
    if state not in STATES or at is None:
        return None
    error = outcome.get("error")
    redirect_uri = outcome.get("redirect_uri")
    return SignIn(
        state=str(state),
        at=at,
        error=error if isinstance(error, str) else None,
        title=_sentence(outcome.get("title")),
        message=_sentence(outcome.get("message")),
        next_step=_sentence(outcome.get("next_step")),
        expires_at=_time(outcome.get("expires_at")),
        redirect_uri=redirect_uri if isinstance(redirect_uri, str) else None,
    )


def _serialise(sign_in: SignIn, boot: str | None = None) -> dict[str, Any]:
    outcome: dict[str, Any] = {
        "state": sign_in.state,
        "at": sign_in.at.isoformat(),
        "error": sign_in.error,
        "title": text_to_json(sign_in.title) if sign_in.title else None,
        "message": text_to_json(sign_in.message) if sign_in.message else None,
        "next_step": text_to_json(sign_in.next_step) if sign_in.next_step else None,
        "expires_at": sign_in.expires_at.isoformat() if sign_in.expires_at else None,
        "redirect_uri": sign_in.redirect_uri,
    }
    if boot is not None:
        outcome["boot"] = boot
    return outcome


class SignIns:
    """The outcomes, with the in-memory states of ``pending`` they belong to."""

    def __init__(
        self,
        store: SignInStore,
        pending: PendingAuthorizations,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._pending = pending
        self._wall_clock = wall_clock
        # A waiting outcome written by an earlier process can never be answered: its state
        # died with that process.
        self._boot = secrets.token_hex(8)

    @property
    def pending(self) -> PendingAuthorizations:
        return self._pending

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), UTC)

    def started(self, name: str) -> None:
        now = self._now()
        waiting = SignIn(
            WAITING,
            now,
            message=WAITING_MESSAGE,
            expires_at=now + timedelta(seconds=self._pending.lifetime),
        )
        self._store.put(name, _serialise(waiting, self._boot))

    def failed(
        self,
        name: str,
        kind: str,
        title: str,
        message: str,
        next_step: str | None = None,
        redirect_uri: str | None = None,
    ) -> None:
        outcome = SignIn(FAILED, self._now(), kind, title, message, next_step, None, redirect_uri)
        self._store.put(name, _serialise(outcome))

    def expired(self, name: str) -> None:
        self._store.put(name, _serialise(self._expired()))

    def _expired(self) -> SignIn:
        return SignIn(
            EXPIRED, self._now(), "expired_state", EXPIRED_TITLE, EXPIRED_MESSAGE, CONNECT_AGAIN
        )

    def cancel(self, name: str) -> SignIn | None:
        """Refuse the account's waiting states from now on; the outcome says cancelled."""
        self._pending.cancel(name)

        def cancel(current: dict[str, Any] | None) -> dict[str, Any] | None:
            if current is not None and current.get("state") != WAITING:
                return current  # an outcome that already happened stays
            return _serialise(
                SignIn(
                    CANCELLED,
                    self._now(),
                    "cancelled",
                    CANCELLED_TITLE,
                    CANCELLED_MESSAGE,
                    CONNECT_AGAIN,
                )
            )

        changed = self._store.update(name, cancel)
        return parse(changed) if changed else None

    def dismiss(self, name: str) -> None:
        """Forget a finished outcome; a waiting sign-in is left alone (cancel it instead)."""
        self._store.update(
            name, lambda current: current if current and current.get("state") == WAITING else None
        )

    def connected(self, name: str) -> None:
        self._store.clear(name)

    def forget(self, name: str) -> None:
        self._pending.cancel(name)
        self._store.clear(name)

    def current(self, name: str) -> SignIn | None:
        """The account's sign-in now: a waiting one past its time becomes ``expired``."""
        stored = self._store.get(name)
        if stored is None:
            return None
        sign_in = parse(stored)
        if sign_in is None:
            self._store.clear(name)
            return None
        if sign_in.state != WAITING:
            return sign_in
        if stored.get("boot") == self._boot and self._pending.waiting(name):
            return sign_in
        expired = self._expired()

        def expire(current: dict[str, Any] | None) -> dict[str, Any] | None:
            # Only the waiting outcome just read: a failure written meanwhile stays.
            return _serialise(expired) if current == stored else current

        changed = self._store.update(name, expire)
        return parse(changed) if changed else None
