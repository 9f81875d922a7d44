"""OAuth credentials as values: the app's client credentials and one account's token pair."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oura_addon.oura.endpoints import bare_scope

# A token is refreshed this long before it expires, or a tenth of its lifetime if shorter:
# a token that lives under ten minutes would otherwise be refreshed on every request.
MAX_REFRESH_MARGIN = 600.0


# Oura's ``expires_in`` is trusted within these bounds; an absent one means a day.
MIN_LIFETIME = 60.0
MAX_LIFETIME = 30 * 86400.0
DEFAULT_LIFETIME = 86400.0
# Stored expiry times beyond this (year 5138) are damage: datetime cannot even show them.
_LATEST_EXPIRY = 1e11


def token_lifetime(expires_in: Any) -> float:
    """Seconds a new token lives: ``expires_in`` bounded to [a minute, 30 days]; 0 is now."""
    if expires_in is None or isinstance(expires_in, bool):
        return DEFAULT_LIFETIME
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_LIFETIME
    if math.isnan(seconds):
        return DEFAULT_LIFETIME
    if seconds <= 0:
        return 0.0
    return min(MAX_LIFETIME, max(MIN_LIFETIME, seconds))


def _stored_time(value: Any) -> float:
    """An epoch time read back from /data; non-finite or absurd ones mean "long ago"."""
    seconds = float(value)
    return seconds if math.isfinite(seconds) and 0 <= seconds <= _LATEST_EXPIRY else 0.0


class RefreshOnlyAnswer(ValueError):
    """Oura answered a new refresh token without an access token.

    The old refresh token is spent by then, so ``tokens`` (an expired pair with the new
    refresh token) must be stored: the next refresh uses it.
    """

    def __init__(self, tokens: TokenSet) -> None:
        super().__init__("token response has a refresh_token but no access_token")
        self.tokens = tokens


def refresh_margin(lifetime: float | None) -> float:
    """Seconds before expiry at which a token of ``lifetime`` seconds is refreshed."""
    if lifetime is None or lifetime <= 0:
        return MAX_REFRESH_MARGIN
    return min(MAX_REFRESH_MARGIN, lifetime / 10)


@dataclass(frozen=True)
class AppCredentials:
    """The Oura application's client id and secret (from the options or the panel).

    ``portal`` is where the user said the app was created (``new`` or ``classic``); None
    when nobody said (installs from before the choice existed).
    """

    client_id: str
    client_secret: str = field(repr=False)
    portal: str | None = None


def normalize_scopes(names: Iterable[str]) -> tuple[str, ...]:
    """Oura's scope names (``x`` or ``extapi:x``) as bare names, in order, once each."""
    return tuple(dict.fromkeys(bare_scope(name) for name in names if name))


@dataclass(frozen=True)
class TokenSet:
    """One account's tokens. ``expires_at`` is epoch seconds; refresh tokens are single use.

    ``scopes`` are bare names (``daily``, never ``extapi:daily``). ``scopes_known`` says
    whether Oura reported them: tokens stored before that was recorded, or answers without
    ``scope``, count as granting everything.

    ``issued_at`` is None for pairs stored before it was recorded (lifetime unknown).
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    scopes: tuple[str, ...] = ()
    token_type: str = "Bearer"
    scopes_known: bool = False
    issued_at: float | None = None

    @classmethod
    def from_token_response(cls, body: Mapping[str, Any], now: float | None = None) -> TokenSet:
        """Build from Oura's token endpoint JSON; raises ValueError when it is unusable."""
        access = body.get("access_token")
        refresh = body.get("refresh_token")
        issued = time.time() if now is None else now
        if not isinstance(refresh, str) or not refresh:
            raise ValueError("token response lacks a refresh_token")
        if not isinstance(access, str) or not access:
            raise RefreshOnlyAnswer(cls("", refresh, expires_at=issued, issued_at=issued))
        expires_in = token_lifetime(body.get("expires_in"))
        scope = body.get("scope")
        scopes = normalize_scopes(scope.split()) if isinstance(scope, str) else ()
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=issued + expires_in,
            scopes=scopes,
            token_type=str(body.get("token_type") or "Bearer"),
            scopes_known=isinstance(scope, str),
            issued_at=issued,
        )

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - (time.time() if now is None else now) <= seconds

    def refresh_margin(self) -> float:
        lifetime = None if self.issued_at is None else self.expires_at - self.issued_at
        return refresh_margin(lifetime)

    def grants(self, scope: str) -> bool:
        """Whether ``scope`` was granted; when Oura did not say, assume it was."""
        if not self.scopes_known and not self.scopes:
            return True
        return bare_scope(scope) in self.scopes

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scopes": list(self.scopes),
            "token_type": self.token_type,
            "scopes_known": self.scopes_known,
            "issued_at": self.issued_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenSet:
        """Inverse of ``to_json``; raises ValueError on a malformed document."""
        try:
            issued = data.get("issued_at")
            scopes = data.get("scopes") or ()
            # A damaged scope list is unknown (grants everything), never characters.
            listed = isinstance(scopes, list | tuple)
            access, refresh = data["access_token"], data["refresh_token"]
            if not isinstance(access, str) or not isinstance(refresh, str) or not refresh:
                raise TypeError("the tokens are not text")
            return cls(
                access_token=access,
                refresh_token=refresh,
                expires_at=_stored_time(data["expires_at"]),
                scopes=normalize_scopes(str(s) for s in scopes) if listed else (),
                token_type=str(data.get("token_type") or "Bearer"),
                # Documents stored before the flag existed: listed scopes were reported.
                scopes_known=listed and bool(data.get("scopes_known", bool(scopes))),
                issued_at=_stored_time(issued) if issued is not None else None,
            )
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise ValueError(f"malformed token document: {err}") from err
