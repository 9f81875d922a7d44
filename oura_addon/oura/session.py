"""One account's token lifecycle, modelled on Home Assistant core's ``OAuth2Session``.

``TokenSession.access_token()`` hands out a token that is valid for a while yet, refreshing
it ahead of expiry, or after a 401 when forced. A refresh is single flight (the account's
lock in the store), and the new pair is on disk before anyone uses it: Oura's refresh
tokens are single use, so the new pair exists nowhere else. ``TokenSessions`` knows the
refreshes in flight, so the add-on's shutdown can wait for them to be stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from oura_addon.i18n import _l, stored_text
from oura_addon.oura.errors import InvalidClient, InvalidGrant, OuraUnavailable, RefreshTokenOnly
from oura_addon.oura.tokens import AppCredentials, TokenSet
from oura_addon.store.accounts import (
    NOT_CONNECTED_MESSAGE,
    REFUSED_MESSAGE,
    UNREADABLE_MESSAGE,
    AccountStore,
    AuthLost,
    Document,
)
from oura_addon.store.files import CorruptFileError

_LOGGER = logging.getLogger(__name__)

Refresh = Callable[[str], TokenSet]

STOPPING_MESSAGE = _l("The add-on is stopping; the next start continues with the stored tokens.")
NO_CREDENTIALS_MESSAGE = _l("The Oura app's client id and secret are missing; enter them.")


class RefreshesInFlight:
    """Counts refreshes from their request until their new pair is stored.

    Once closed (the add-on is stopping) it refuses to start new ones.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._running = 0
        self._closed = False

    @contextmanager
    def scope(self) -> Iterator[Callable[[], None]]:
        """Yields ``begin``: call it right before the request; the count drops on exit."""
        begun = False

        def begin() -> None:
            nonlocal begun
            with self._condition:
                if self._closed:
                    # Transient: the stored pair is unspent and the next start uses it.
                    raise OuraUnavailable(STOPPING_MESSAGE)
                self._running += 1
                begun = True

        try:
            yield begin
        finally:
            if begun:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()

    def close_and_wait(self, timeout: float) -> bool:
        """Refuse new refreshes, wait up to ``timeout`` for running ones; True if none left."""
        with self._condition:
            self._closed = True
            return self._condition.wait_for(lambda: self._running == 0, timeout)


class TokenSession:
    """One account's access token, as the Oura client asks for it.

    Remembers the token it handed out, so a forced refresh after a 401 refreshes only if
    nobody has replaced that token in the meantime.
    """

    def __init__(
        self,
        store: AccountStore,
        account: str,
        refresh: Refresh,
        *,
        in_flight: RefreshesInFlight | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        store.validate_name(account)
        self._store = store
        self._account = account
        self._refresh = refresh
        self._in_flight = in_flight or RefreshesInFlight()
        self._clock = clock or store.clock
        self._lock = threading.Lock()
        self._last_handed_out: str | None = None

    @property
    def account(self) -> str:
        return self._account

    def access_token(self, force_refresh: bool = False) -> str:
        """A usable access token; raises AuthLost when only a reconnect can help.

        Other refresh errors (Oura down, an answer that is not Oura's OAuth error) propagate
        and leave the stored pair as it is, for the next attempt.
        """
        with self._lock:
            rejected = self._last_handed_out if force_refresh else None
        if force_refresh and rejected is None:
            before = self._store.tokens(self._account)
            rejected = before.access_token if before else None
        token = self._valid_token(force_refresh, rejected)
        with self._lock:
            self._last_handed_out = token
        return token

    def _valid_token(self, force: bool, rejected: str | None) -> str:
        name = self._account
        renewed: TokenSet | None = None
        partial: RefreshTokenOnly | None = None

        def refresh_if_due(document: Document) -> Document | None:
            nonlocal renewed, partial
            if not document.get("tokens"):
                stored = document.get("auth_error")
                raise AuthLost(name, stored_text(stored) if stored else NOT_CONNECTED_MESSAGE)
            current = TokenSet.from_json(document["tokens"])
            if force:
                if rejected is not None and current.access_token != rejected:
                    renewed = current  # someone else refreshed since that 401
                    return None
            elif not current.expires_within(current.refresh_margin(), now=self._clock()):
                renewed = current
                return None
            begin()
            try:
                renewed = self._refreshed(current)
            except RefreshTokenOnly as err:
                # The old refresh token is spent: keep the new one (its access token expired).
                partial = err
                kept = replace(err.tokens, scopes=current.scopes, scopes_known=current.scopes_known)
                return {**document, "tokens": kept.to_json()}
            return {**document, "tokens": renewed.to_json(), "auth_error": None}

        # Single flight: the account's lock is held from the read to the stored new pair.
        with self._store.locked(name), self._in_flight.scope() as begin:
            try:
                # update() persists the new pair before returning it.
                account = self._store.update(name, refresh_if_due)
            except CorruptFileError as err:
                raise AuthLost(name, UNREADABLE_MESSAGE) from err
        if partial is not None:
            raise partial
        if account is None:
            raise AuthLost(name, NOT_CONNECTED_MESSAGE)
        assert renewed is not None
        return renewed.access_token

    def _refreshed(self, current: TokenSet) -> TokenSet:
        """The new pair from Oura; a refusal marks the account (if it still holds ``current``)."""
        try:
            new = self._refresh(current.refresh_token)
        except InvalidGrant as err:
            message = err.user_message or REFUSED_MESSAGE
            self._store.mark_auth_lost(self._account, message, refused=current)
            raise AuthLost(self._account, message) from err
        if not new.scopes:
            # Oura may omit ``scope`` on refresh; the grant itself is unchanged.
            new = replace(new, scopes=current.scopes, scopes_known=current.scopes_known)
        _LOGGER.info("Account %s: access token refreshed", self._account)
        return new


class TokenSessions:
    """Every account's session, sharing the app credentials and the refreshes in flight."""

    def __init__(
        self,
        store: AccountStore,
        credentials: Callable[[], AppCredentials | None],
        refresh: Callable[[AppCredentials, str], TokenSet],
    ) -> None:
        self._store = store
        self._credentials = credentials
        self._refresh = refresh
        self._in_flight = RefreshesInFlight()

    def _refresh_with_app(self, refresh_token: str) -> TokenSet:
        credentials = self._credentials()
        if credentials is None:
            raise InvalidClient(NO_CREDENTIALS_MESSAGE)
        return self._refresh(credentials, refresh_token)

    def session(self, account: str) -> TokenSession:
        return TokenSession(self._store, account, self._refresh_with_app, in_flight=self._in_flight)

    def stop(self, timeout: float) -> bool:
        """Start no more refreshes and wait up to ``timeout`` for running ones to be stored."""
        started = time.monotonic()
        idle = self._in_flight.close_and_wait(timeout)
        waited = time.monotonic() - started
        if not idle:
            _LOGGER.warning("A token refresh was still running after %.1f s", waited)
        elif waited > 0.05:
            _LOGGER.info("Waited %.1f s for a token refresh to be stored", waited)
        return idle
