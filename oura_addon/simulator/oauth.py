"""Authorization codes and tokens, with Oura's rules: codes live 10 minutes and work once,
refresh tokens rotate and work once, revocation is server-side, PKCE is checked when the
authorize request sent a challenge, and an app serves a limited number of users.

Times come from an injected clock so tests can expire things without sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

CODE_TTL_SECONDS = 600
# Tokens from both of Oura's token URLs report their scopes with this prefix.
REPORTED_SCOPE_PREFIX = "extapi:"


class OAuthError(Exception):
    """An RFC 6749 error response: HTTP status, ``error`` code and optional description."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(f"{status} {error}: {description or ''}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class Unauthorized(Exception):
    """A data request without a usable access token; ``detail`` is what Oura says."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Grant:
    """What a user consented to: whose data, which scopes, for which app."""

    user: int
    scopes: tuple[str, ...]
    client_id: str


@dataclass(frozen=True)
class _Code:
    grant: Grant
    redirect_uri: str
    expires_at: float
    code_challenge: str | None = None
    used: bool = False


@dataclass(frozen=True)
class _AccessToken:
    grant: Grant
    expires_at: float
    refresh_token: str
    revoked: bool = False


@dataclass(frozen=True)
class _RefreshToken:
    grant: Grant
    used: bool = False
    revoked: bool = False


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def s256(verifier: str) -> str:
    """RFC 7636's S256 code challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenStore:
    """Every code and token the simulator issued, guarded by one lock."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        access_token_ttl: int,
        clock: Callable[[], float],
        user_limit: int | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._ttl = access_token_ttl
        self._clock = clock
        self._user_limit = user_limit
        self._app_users: set[int] = set()  # users who ever granted this app access
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}

    def knows_client(self, client_id: str) -> bool:
        return _same(client_id, self._client_id)

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        if not (client_id and client_secret):
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        if not (self.knows_client(client_id) and _same(client_secret, self._client_secret)):
            raise OAuthError(401, "invalid_client", "Client authentication failed")

    def issue_code(self, grant: Grant, redirect_uri: str, code_challenge: str | None = None) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                grant, redirect_uri, self._clock() + CODE_TTL_SECONDS, code_challenge
            )
        return code

    def exchange_code(
        self,
        client_id: str,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None = None,
    ) -> dict:
        if not code:
            raise OAuthError(400, "invalid_request", "Missing code")
        with self._lock:
            stored = self._codes.get(code)
            if stored is None or stored.used or stored.expires_at <= self._clock():
                raise OAuthError(400, "invalid_grant", "Invalid authorization code")
            if not _same(stored.grant.client_id, client_id):
                raise OAuthError(400, "invalid_grant", "Invalid authorization code")
            if (redirect_uri or "") != stored.redirect_uri:
                raise OAuthError(400, "invalid_grant", "Redirect URI mismatch")
            if stored.code_challenge is not None and not (
                code_verifier and _same(s256(code_verifier), stored.code_challenge)
            ):
                raise OAuthError(400, "invalid_grant", "PKCE verification failed")
            user = stored.grant.user
            if (
                self._user_limit is not None
                and user not in self._app_users
                and len(self._app_users) >= self._user_limit
            ):
                raise OAuthError(
                    400,
                    "unauthorized_client",
                    f"This application has reached its maximum number of users "
                    f"({self._user_limit}). Apply for approval to serve more users.",
                )
            self._codes[code] = replace(stored, used=True)
            self._app_users.add(user)
            return self._issue_locked(stored.grant)

    def refresh(self, client_id: str, refresh_token: str | None) -> dict:
        if not refresh_token:
            raise OAuthError(400, "invalid_request", "Missing refresh_token")
        with self._lock:
            stored = self._refresh.get(refresh_token)
            if stored is None or stored.used or stored.revoked:
                raise OAuthError(400, "invalid_grant", "Invalid refresh token")
            if not _same(stored.grant.client_id, client_id):
                raise OAuthError(400, "invalid_grant", "Invalid refresh token")
            self._refresh[refresh_token] = replace(stored, used=True)
            return self._issue_locked(stored.grant)

    def refresh_token_usable(self, refresh_token: str) -> bool:
        """Whether a refresh with ``refresh_token`` would succeed now (tests read this to
        see that a client kept a live pair)."""
        with self._lock:
            stored = self._refresh.get(refresh_token)
            return stored is not None and not stored.used and not stored.revoked

    def issue_tokens(self, grant: Grant) -> dict:
        """A token response as if the user had consented (for tests and the demo)."""
        with self._lock:
            return self._issue_locked(grant)

    def _issue_locked(self, grant: Grant) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self._access[access] = _AccessToken(grant, self._clock() + self._ttl, refresh)
        self._refresh[refresh] = _RefreshToken(grant)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": self._ttl,
            "scope": " ".join(REPORTED_SCOPE_PREFIX + scope for scope in grant.scopes),
        }

    def adopt(self, access: str, refresh: str, grant: Grant, expires_at: float) -> None:
        """Honour a token pair issued by an earlier run (the demo keeps its accounts)."""
        with self._lock:
            self._access[access] = _AccessToken(grant, expires_at, refresh)
            self._refresh[refresh] = _RefreshToken(grant)
            self._app_users.add(grant.user)

    def authenticate(self, access_token: str | None) -> Grant:
        """The grant behind a bearer token; raises Unauthorized as Oura would."""
        if not access_token:
            raise Unauthorized("Missing access token")
        with self._lock:
            stored = self._access.get(access_token)
        if stored is None:
            raise Unauthorized("Invalid access token")
        if stored.revoked:
            raise Unauthorized("Access token has been revoked")
        if stored.expires_at <= self._clock():
            raise Unauthorized("Access token has expired")
        return stored.grant

    def revoke_token(self, token: str | None) -> bool:
        """Revoke an access token and its refresh token (or a refresh token alone)."""
        if not token:
            return False
        with self._lock:
            access = self._access.get(token)
            if access is not None:
                self._access[token] = replace(access, revoked=True)
                refresh = self._refresh.get(access.refresh_token)
                if refresh is not None:
                    self._refresh[access.refresh_token] = replace(refresh, revoked=True)
                return True
            refresh = self._refresh.get(token)
            if refresh is not None:
                self._refresh[token] = replace(refresh, revoked=True)
                return True
        return False

    def granted_users(self) -> dict[int, frozenset[str]]:
        """User -> the scopes of their live grants to this app (webhook events go to them)."""
        with self._lock:
            found: dict[int, frozenset[str]] = {}
            for refresh in self._refresh.values():
                if not refresh.revoked:
                    grant = refresh.grant
                    found[grant.user] = found.get(grant.user, frozenset()) | set(grant.scopes)
            return found

    def revoke_all(self, user: int | None = None) -> None:
        with self._lock:
            for token, access in self._access.items():
                if user is None or access.grant.user == user:
                    self._access[token] = replace(access, revoked=True)
            for token, refresh in self._refresh.items():
                if user is None or refresh.grant.user == user:
                    self._refresh[token] = replace(refresh, revoked=True)

    def expire_access_tokens(self) -> None:
        now = self._clock()
        with self._lock:
            for token, access in self._access.items():
                self._access[token] = replace(access, expires_at=min(access.expires_at, now))
