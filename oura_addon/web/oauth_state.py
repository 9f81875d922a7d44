"""OAuth ``state`` values: issued, bound to an account and redirect URI, used once, short-lived.

Kept in memory on purpose: a restart only means the user clicks "Connect" again (the
outcome the panel shows is kept in /data by ``web/sign_in.py``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from oura_addon.errors import AddonError
from oura_addon.i18n import _l

STATE_LIFETIME_SECONDS = 600  # Oura's authorization codes live 10 minutes as well.
# Authorizations and used states kept at most; past it the oldest go first (a flood of
# Connect clicks must not grow memory, and a real user's newest click still works).
MAX_STATES = 200


@dataclass(frozen=True)
class Pending:
    account: str
    redirect_uri: str
    expires_at: float
    portal: str | None = None  # the implementation the user was sent to
    code_verifier: str | None = field(default=None, repr=False)  # PKCE, for the exchange


class StateError(AddonError):
    """The ``state`` that came back cannot be used; ``user_message`` says why and what to do."""

    kind = "state"
    account: str | None = None  # whose sign-in it was, when the add-on still knows


class UnknownState(StateError):
    kind = "unknown_state"


class ExpiredState(StateError):
    kind = "expired_state"


class ReplayedState(StateError):
    kind = "replayed_state"


class CancelledState(StateError):
    kind = "cancelled_state"


class PendingAuthorizations:
    """Thread-safe registry of authorizations in flight (waitress serves several threads)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        lifetime: float = STATE_LIFETIME_SECONDS,
    ) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self._pending: dict[str, Pending] = {}
        # Used states are remembered until they would have expired, to say "already used".
        self._used: dict[str, float] = {}
        # States cancelled in the panel, refused with their own sentence until they expire.
        self._cancelled: dict[str, float] = {}
        # Per account: until when its last used state's answer may still be in the works.
        self._answering: dict[str, float] = {}

    @property
    def lifetime(self) -> int:
        return int(self._lifetime)

    def issue(self, account: str, redirect_uri: str) -> str:
        state = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_old()
            self._pending[state] = Pending(account, redirect_uri, self._clock() + self._lifetime)
            _drop_oldest(self._pending)
        return state

    def bind(self, state: str, portal: str, code_verifier: str | None) -> None:
        """Remember which implementation ``state`` was sent to, and its PKCE verifier."""
        with self._lock:
            pending = self._pending.get(state)
            if pending is not None:
                self._pending[state] = replace(pending, portal=portal, code_verifier=code_verifier)

    def consume(self, state: str, account: str | None = None) -> Pending:
        """Return and forget the authorization ``state`` belongs to.

        With ``account`` given, a state issued for another account is refused and left
        untouched, so a paste into the wrong form cannot spoil the other authorization.
        """
        with self._lock:
            pending = self._take(state, account)
            self._used[state] = pending.expires_at
            self._answering[pending.account] = pending.expires_at
            _drop_oldest(self._used)
            return pending

    def consume_latest(self, account: str) -> Pending:
        """For a pasted bare code (no state): the account's newest unexpired authorization."""
        with self._lock:
            now = self._clock()
            candidates = [
                (pending.expires_at, state)
                for state, pending in self._pending.items()
                if pending.account == account and pending.expires_at > now
            ]
            if not candidates:
                raise UnknownState(
                    _l(
                        "No authorization for %(account)r is waiting: click Connect and try again.",
                        account=account,
                    )
                )
            _, state = max(candidates)
            pending = self._pending.pop(state)
            self._used[state] = pending.expires_at
            self._answering[pending.account] = pending.expires_at
            _drop_oldest(self._used)
            return pending

    def cancel(self, account: str) -> bool:
        """Refuse the account's states from now on; True when one was waiting."""
        with self._lock:
            now = self._clock()
            states = [s for s, p in self._pending.items() if p.account == account]
            for state in states:
                self._cancelled[state] = max(self._pending.pop(state).expires_at, now + 3600)
            _drop_oldest(self._cancelled)
            self._answering.pop(account, None)
            return bool(states)

    def waiting(self, account: str) -> bool:
        """A sign-in of the account may still end: a state unused and unexpired, or used
        and its answer still being exchanged."""
        with self._lock:
            now = self._clock()
            if self._answering.get(account, 0) > now:
                return True
            return any(p.account == account and p.expires_at > now for p in self._pending.values())

    def answered(self, account: str) -> None:
        """The account's sign-in ended (connected or failed)."""
        with self._lock:
            self._answering.pop(account, None)

    def is_pending(self, account: str) -> bool:
        with self._lock:
            now = self._clock()
            return any(p.account == account and p.expires_at > now for p in self._pending.values())

    def _take(self, state: str, account: str | None) -> Pending:
        now = self._clock()
        pending = self._pending.get(state) if state else None
        if pending is None:
            if state in self._cancelled:
                raise CancelledState(
                    _l(
                        "This sign-in was cancelled in the add-on panel. "
                        "Start again from the add-on panel."
                    )
                )
            if state in self._used and self._used[state] > now:
                raise ReplayedState(
                    _l("This sign-in link was already used. Start again from the add-on panel.")
                )
            raise UnknownState(
                _l(
                    "This sign-in answer does not match any connection started from this add-on "
                    "(or the add-on restarted meanwhile). Start again from the add-on panel."
                )
            )
        if pending.expires_at <= now:
            del self._pending[state]
            expired = ExpiredState(
                _l(
                    "More than 10 minutes passed since you clicked Connect. "
                    "Start again from the add-on panel."
                )
            )
            expired.account = pending.account
            raise expired
        if account is not None and pending.account != account:
            raise UnknownState(
                _l(
                    "This answer belongs to the account %(owner)r, not %(account)r. "
                    "Paste it into that account's form.",
                    owner=pending.account,
                    account=account,
                )
            )
        del self._pending[state]
        return pending

    def _forget_old(self) -> None:
        now = self._clock()
        for state in [s for s, p in self._pending.items() if p.expires_at <= now - 3600]:
            del self._pending[state]
        for state in [s for s, until in self._used.items() if until <= now]:
            del self._used[state]
        for state in [s for s, until in self._cancelled.items() if until <= now]:
            del self._cancelled[state]
        for account in [a for a, until in self._answering.items() if until <= now]:
            del self._answering[account]


def _drop_oldest(table: MutableMapping[str, Any]) -> None:
    """Keep ``table`` (insertion ordered) to MAX_STATES entries, the newest."""
    while len(table) > MAX_STATES:
        del table[next(iter(table))]
