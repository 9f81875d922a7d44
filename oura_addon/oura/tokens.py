"""OAuth credentials as values: the app's client credentials and one account's token pair."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AppCredentials:
    """The Oura application's client id and secret (from the options or the panel)."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class TokenSet:
    """One account's tokens. ``expires_at`` is epoch seconds; refresh tokens are single use."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    scopes: tuple[str, ...] = ()
    token_type: str = "Bearer"

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
        scopes = tuple(scope.split()) if isinstance(scope, str) else ()
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=(time.time() if now is None else now) + expires_in,
            scopes=scopes,
            token_type=str(body.get("token_type") or "Bearer"),
        )

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - (time.time() if now is None else now) <= seconds

    def grants(self, scope: str) -> bool:
        """Whether ``scope`` was granted; an empty scope list means Oura did not say: assume yes."""
        return not self.scopes or scope in self.scopes

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scopes": list(self.scopes),
            "token_type": self.token_type,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenSet:
        """Inverse of ``to_json``; raises ValueError on a malformed document."""
        try:
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=float(data["expires_at"]),
                scopes=tuple(str(s) for s in data.get("scopes") or ()),
                token_type=str(data.get("token_type") or "Bearer"),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed token document: {err}") from err
