"""OAuth credentials as values: the app's client credentials and one account's token pair."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oura_addon.oura.endpoints import bare_scope

# A token is refreshed this long before it expires, or a tenth of its lifetime if shorter:
# a token that lives under ten minutes would otherwise be refreshed on every request.
MAX_REFRESH_MARGIN = 600.0


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
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise ValueError("token response lacks access_token or refresh_token")
        try:
            expires_in = float(body.get("expires_in") or 86400)
        except (TypeError, ValueError):
            expires_in = 86400.0
        scope = body.get("scope")
        scopes = normalize_scopes(scope.split()) if isinstance(scope, str) else ()
        issued = time.time() if now is None else now
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
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=float(data["expires_at"]),
                scopes=normalize_scopes(str(s) for s in data.get("scopes") or ()),
                token_type=str(data.get("token_type") or "Bearer"),
                # Documents stored before the flag existed: listed scopes were reported.
                scopes_known=bool(data.get("scopes_known", bool(data.get("scopes")))),
                issued_at=float(issued) if issued is not None else None,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed token document: {err}") from err
