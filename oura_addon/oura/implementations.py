"""Oura's two OAuth 2 implementations, one per kind of app, behind one small interface.

- ``new``: apps from developer.ouraring.com, served by Oura's new identity provider. Its
  endpoints come from the discovery document at ``{issuer}/.well-known/openid-configuration``
  (cached; the documented paths when it cannot be read); scopes carry the ``extapi:``
  prefix; PKCE S256, ``state`` and ``prompt=consent`` on every authorization.
- ``classic``: apps from the older portal, at the URLs Oura documents in its API spec,
  with bare scope names.

``OAuthClient`` (in ``oauth``) picks one per app and does the token requests; an
implementation only says where to send the user, which token and revoke URLs to use and how
to ask for scopes. Like Home Assistant's ``AbstractOAuth2Implementation``, what differs
between providers lives here and nothing else does.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import requests

from oura_addon.http import RetryPolicy
from oura_addon.oura.endpoints import NEW_SCOPE_PREFIX, bare_scope
from oura_addon.oura.tokens import AppCredentials

_LOGGER = logging.getLogger(__name__)

PORTAL_NEW = "new"
PORTAL_CLASSIC = "classic"
PORTALS = (PORTAL_NEW, PORTAL_CLASSIC)
DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TTL_SECONDS = 24 * 3600.0
# After a failed discovery the documented paths serve a while before asking again.
DISCOVERY_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class Authorization:
    """Where to send the user, and what the code exchange will need to prove."""

    url: str
    portal: str
    code_verifier: str | None = None

    def __repr__(self) -> str:  # the verifier proves possession of the code
        return f"Authorization(portal={self.portal!r}, url={self.url!r})"


class OAuthImplementation(Protocol):
    """What differs between Oura's two kinds of app."""

    portal: str

    def authorization(
        self,
        credentials: AppCredentials,
        redirect_uri: str,
        state: str,
        scopes: Iterable[str],
        code_verifier: str,
    ) -> Authorization: ...

    def token_url(self) -> str: ...

    def revoke_url(self) -> str: ...

    def issuer(self) -> str:
        """The ``iss`` Oura's callbacks carry (RFC 9207)."""
        ...


def new_code_verifier() -> str:
    """A fresh RFC 7636 code verifier (64 URL-safe characters)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _code_request(
    credentials: AppCredentials, redirect_uri: str, state: str, scope: str
) -> dict[str, str]:
    """The authorization-code request both providers take, before their own additions."""
    return {
        "response_type": "code",
        "client_id": credentials.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": scope,
    }


def _with_query(url: str, params: dict[str, str]) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return url + separator + urlencode(params, quote_via=quote)


class ClassicPortal:
    """Apps from Oura's older developer portal: its documented URLs, bare scope names."""

    portal = PORTAL_CLASSIC

    def __init__(
        self, *, authorize_url: str, token_url: str, revoke_url: str, issuer: Callable[[], str]
    ) -> None:
        self._authorize_url = authorize_url
        self._token_url = token_url
        self._revoke_url = revoke_url
        self._issuer = issuer

    def authorization(
        self,
        credentials: AppCredentials,
        redirect_uri: str,
        state: str,
        scopes: Iterable[str],
        code_verifier: str,
    ) -> Authorization:
        scope = " ".join(bare_scope(s) for s in scopes)
        params = _code_request(credentials, redirect_uri, state, scope)
        return Authorization(_with_query(self._authorize_url, params), self.portal)

    def token_url(self) -> str:
        return self._token_url

    def revoke_url(self) -> str:
        return self._revoke_url

    def issuer(self) -> str:
        # Oura's callbacks name the new provider as issuer for classic apps too.
        return self._issuer()


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorize_url: str
    token_url: str
    revoke_url: str

    @classmethod
    def documented(cls, issuer: str) -> ProviderEndpoints:
        """The paths Oura's new provider is known to serve, beside its issuer path."""
        base = issuer.rsplit("/", 1)[0]
        return cls(issuer, f"{base}/oauth-authorize", f"{base}/oauth-token", f"{base}/oauth-revoke")

    @classmethod
    def from_discovery(cls, issuer: str, document: Any) -> ProviderEndpoints:
        """Raises ValueError unless the document is this issuer's and names usable URLs."""
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        if document.get("issuer") != issuer:
            raise ValueError(f"issuer is {str(document.get('issuer'))[:100]!r}")
        documented = cls.documented(issuer)
        urls = {}
        for key, fallback in (
            ("authorization_endpoint", documented.authorize_url),
            ("token_endpoint", documented.token_url),
            ("revocation_endpoint", documented.revoke_url),
        ):
            value = document.get(key, fallback)
            parts = urlsplit(value) if isinstance(value, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{key} is not an http(s) URL")
            urls[key] = value
        return cls(
            issuer,
            urls["authorization_endpoint"],
            urls["token_endpoint"],
            urls["revocation_endpoint"],
        )


class Discovery:
    """The new provider's endpoints from its discovery document, cached for a day.

    When the document cannot be read, the documented paths are used (and the document is
    asked for again a few minutes later): connecting never depends on discovery.
    """

    def __init__(
        self,
        issuer: str,
        session: requests.Session,
        policy: RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._session = session
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: ProviderEndpoints | None = None
        self._fresh_until = 0.0

    def endpoints(self) -> ProviderEndpoints:
        with self._lock:
            if self._cached is not None and self._clock() < self._fresh_until:
                return self._cached
            found, ttl = self._fetch()
            self._cached, self._fresh_until = found, self._clock() + ttl
            return found

    def _fetch(self) -> tuple[ProviderEndpoints, float]:
        try:
            response = self._policy.send(
                self._session, "GET", self.issuer + DISCOVERY_PATH, label="OAuth discovery"
            )
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            return (
                ProviderEndpoints.from_discovery(self.issuer, response.json()),
                DISCOVERY_TTL_SECONDS,
            )
        except (requests.RequestException, ValueError) as err:
            reason = err if isinstance(err, ValueError) else type(err).__name__
            _LOGGER.warning("Oura's OAuth discovery is unusable (%s); using known paths", reason)
            return ProviderEndpoints.documented(self.issuer), DISCOVERY_RETRY_SECONDS


class NewPortal:
    """Apps from developer.ouraring.com: the new identity provider, ``extapi:`` scopes, PKCE."""

    portal = PORTAL_NEW

    def __init__(self, discovery: Discovery) -> None:
        self._discovery = discovery

    def authorization(
        self,
        credentials: AppCredentials,
        redirect_uri: str,
        state: str,
        scopes: Iterable[str],
        code_verifier: str,
    ) -> Authorization:
        # Bare names are silently not granted there.
        scope = " ".join(NEW_SCOPE_PREFIX + bare_scope(s) for s in scopes)
        params = _code_request(credentials, redirect_uri, state, scope) | {
            "code_challenge": code_challenge(code_verifier),
            "code_challenge_method": "S256",
            # Show the boxes again on a reconnect, so missing data can be granted.
            "prompt": "consent",
        }
        url = _with_query(self._discovery.endpoints().authorize_url, params)
        return Authorization(url, self.portal, code_verifier)

    def token_url(self) -> str:
        return self._discovery.endpoints().token_url

    def revoke_url(self) -> str:
        return self._discovery.endpoints().revoke_url

    def issuer(self) -> str:
        return self._discovery.issuer
