"""OAuth 2 with Oura: authorize URL, code exchange, refresh, revoke, token URL fallback.

Oura serves two token URLs: apps from the older developer portal use
``api.ouraring.com/oauth/token``, apps from the newer portal are refused there (400/401) and
must use ``moi.ouraring.com/oauth/v2/ext/oauth-token``. The client tries the URL that last
worked for the client id, falls back once to the other on 400/401, and remembers the winner.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from ..http import RetryPolicy, new_session
from .endpoints import DEFAULT_SCOPES
from .errors import (
    AuthorizationDenied,
    InvalidCallback,
    InvalidClient,
    InvalidGrant,
    OAuthError,
    OuraUnavailable,
    RedirectUriMismatch,
)
from .tokens import AppCredentials, TokenSet

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "AuthorizationDenied",
    "CallbackParams",
    "InvalidCallback",
    "InvalidClient",
    "InvalidGrant",
    "OAuthClient",
    "OAuthError",
    "OuraUnavailable",
    "RedirectUriMismatch",
    "TokenUrlMemory",
    "parse_callback",
]

_LOGGER = logging.getLogger(__name__)

# Statuses with which a token URL says "not this app": worth one try at the other URL.
FALLBACK_STATUSES = frozenset({400, 401})
_BARE_CODE = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
NOT_AN_OAUTH_ANSWER = (
    "Oura's sign-in service answered HTTP {status} without saying why; the add-on keeps the "
    "account's authorization and tries again later."
)


class DocumentFile(Protocol):
    """Where a small JSON object is kept (``storage.VersionedFile`` in the add-on)."""

    def read(self) -> Any:
        """The stored object or None; raises ValueError (or OSError) when unusable."""
        ...

    def write(self, value: Mapping[str, Any]) -> None: ...


class TokenUrlMemory:
    """Which token URL worked for each client id, kept in ``storage`` when given one.

    Thread-safe: the panel's threads and the scheduler thread may refresh concurrently.
    """

    def __init__(self, storage: DocumentFile | None = None) -> None:
        self._storage = storage
        self._lock = threading.Lock()
        self._urls: dict[str, str] = self._load(storage)

    @staticmethod
    def _load(storage: DocumentFile | None) -> dict[str, str]:
        if storage is None:
            return {}
        try:
            data = storage.read()
        except (OSError, ValueError):
            _LOGGER.warning("The token URL memory is unreadable; token URLs will be rediscovered")
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}

    def get(self, client_id: str) -> str | None:
        with self._lock:
            return self._urls.get(client_id)

    def remember(self, client_id: str, url: str) -> None:
        with self._lock:
            if self._urls.get(client_id) == url:
                return
            self._urls[client_id] = url
            snapshot = dict(self._urls)
            if self._storage is not None:
                try:
                    self._storage.write(snapshot)
                except OSError as err:
                    # Losing this only costs one extra request next time.
                    _LOGGER.warning("Cannot save the token URL memory: %s", err.strerror)


@dataclass(frozen=True)
class CallbackParams:
    """What came back from Oura's authorize page (all ``None`` when nothing usable)."""

    code: str | None = None
    state: str | None = None
    error: str | None = None

    def __repr__(self) -> str:  # the code is a credential for ten minutes
        code = "<set>" if self.code else None
        return f"CallbackParams(code={code!r}, state={self.state!r}, error={self.error!r})"

    def require_code(self) -> str:
        """The code, or the OAuth error the user should see."""
        if self.error == "access_denied":
            raise AuthorizationDenied()
        if self.error:
            raise OAuthError(
                f"Oura reported '{_safe_word(self.error)}' instead of granting access. "
                "Connect again.",
                kind="authorize_error",
            )
        if not self.code:
            raise InvalidCallback()
        return self.code


def _safe_word(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", text)[:64]


def _first(values: Mapping[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[0].strip() or None if found else None


def parse_callback(text: str) -> CallbackParams:
    """Read a pasted redirect URL, its query string, or a bare authorization code."""
    text = (text or "").strip()
    if not text:
        return CallbackParams()
    if "=" not in text and _BARE_CODE.match(text):
        return CallbackParams(code=text)
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or text.startswith("/"):
        candidates = [parts.query, parts.fragment]
    else:
        candidates = [text.split("#", 1)[0].lstrip("?")]
    for query in candidates:
        values = parse_qs(query, keep_blank_values=False)
        if any(k in values for k in ("code", "error")):
            return CallbackParams(
                code=_first(values, "code"),
                state=_first(values, "state"),
                error=_first(values, "error"),
            )
    return CallbackParams()


def _error_body(response: requests.Response) -> tuple[str, str]:
    """(error code, description) from an OAuth error answer, lowercased; '' when absent."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    description = body.get("error_description") or body.get("message") or body.get("detail")
    return (
        error.lower() if isinstance(error, str) else "",
        description.lower() if isinstance(description, str) else "",
    )


def oauth_error_for(response: requests.Response, redirect_uri: str | None) -> OAuthError:
    """The typed error for a non-200 token endpoint answer."""
    status = response.status_code
    if status == 429 or status >= 500:
        return OuraUnavailable()
    error, description = _error_body(response)
    if error in ("redirect_uri_mismatch", "invalid_redirect_uri") or "redirect" in description:
        return RedirectUriMismatch(redirect_uri)
    if error in ("invalid_client", "unauthorized_client"):
        return InvalidClient()
    if error == "access_denied":
        return AuthorizationDenied()
    if error == "invalid_grant":
        return InvalidGrant()
    if error:
        return InvalidClient() if status == 401 else InvalidGrant()
    # No OAuth error in the body (a proxy's HTML page, a bare 400): nothing says the grant
    # is dead, so it stays stored and the next sync tries again.
    return OuraUnavailable(NOT_AN_OAUTH_ANSWER.format(status=status))


def _real_refusal(refusals: list[OAuthError], grant_type: str) -> OAuthError:
    """The refusal to report when both token URLs refused.

    The other portal's URL refuses an app with a fixed answer before looking at anything
    else (401 invalid_client on a code exchange, 400 invalid_grant on a refresh), so the
    refusal that differs from that answer is the one about this request.
    """
    noise = InvalidClient if grant_type == "authorization_code" else InvalidGrant
    for error in refusals:
        if not isinstance(error, noise):
            return error
    return refusals[0]


class OAuthClient:
    def __init__(
        self,
        *,
        authorize_url: str,
        token_url: str,
        fallback_token_url: str,
        revoke_url: str,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        token_url_memory: TokenUrlMemory | None = None,
    ) -> None:
        self.authorize_url = authorize_url
        self.token_url = token_url
        self.fallback_token_url = fallback_token_url
        self.revoke_url = revoke_url
        self._session = session or new_session()
        self._policy = policy or RetryPolicy()
        self._memory = token_url_memory or TokenUrlMemory()

    @classmethod
    def from_settings(
        cls, settings: Settings, token_url_memory: TokenUrlMemory | None = None
    ) -> OAuthClient:
        return cls(
            authorize_url=f"{settings.oura_auth_url}/oauth/authorize",
            token_url=settings.oura_token_url,
            fallback_token_url=settings.oura_fallback_token_url,
            revoke_url=f"{settings.oura_api_url}/oauth/revoke",
            token_url_memory=token_url_memory,
        )

    def authorization_url(
        self,
        credentials: AppCredentials,
        redirect_uri: str,
        state: str,
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": credentials.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": " ".join(scopes),
            },
            quote_via=quote,
        )
        return f"{self.authorize_url}?{query}"

    def exchange_code(self, credentials: AppCredentials, code: str, redirect_uri: str) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._request_tokens(credentials, form, "code exchange", redirect_uri)

    def refresh(self, credentials: AppCredentials, refresh_token: str) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._request_tokens(credentials, form, "token refresh", None)

    def revoke(self, access_token: str) -> bool:
        """Ask Oura to revoke a token; best effort (False on any failure), never raises."""
        try:
            # The token goes in the body, not the query string, to stay out of access logs.
            response = self._policy.send(
                self._session,
                "POST",
                self.revoke_url,
                label="token revoke",
                data={"access_token": access_token},
            )
        except requests.RequestException as err:
            _LOGGER.info("Token revoke failed: %s", type(err).__name__)
            return False
        _LOGGER.debug("Token revoke answered %s", response.status_code)
        return response.ok

    def token_urls_for(self, client_id: str) -> tuple[str, str]:
        """(first, second) token URL to try for this client id."""
        remembered = self._memory.get(client_id)
        if remembered == self.fallback_token_url:
            return self.fallback_token_url, self.token_url
        return self.token_url, self.fallback_token_url

    def _request_tokens(
        self,
        credentials: AppCredentials,
        form: dict[str, str],
        label: str,
        redirect_uri: str | None,
    ) -> TokenSet:
        form = {
            **form,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        # Codes and refresh tokens are single use. Moving on to the other URL is safe only
        # after a definite refusal (400/401): the first URL did not consume the grant. After
        # a 5xx or a lost answer the grant may have been consumed, so we never move to the
        # other URL then; the RetryPolicy's own retries at the same URL are harmless, as a
        # consumed grant just earns invalid_grant, the outcome we would have had anyway.
        refusals: list[OAuthError] = []
        for url in self.token_urls_for(credentials.client_id):
            try:
                response = self._policy.send(self._session, "POST", url, label=label, data=form)
            except requests.RequestException as err:
                _LOGGER.warning("Oura %s failed: %s", label, type(err).__name__)
                raise OuraUnavailable() from None
            _LOGGER.debug("Oura %s answered %s", label, response.status_code)
            if response.status_code == 200:
                tokens = self._token_set(response, label)
                self._memory.remember(credentials.client_id, url)
                return tokens
            error = oauth_error_for(response, redirect_uri)
            if response.status_code not in FALLBACK_STATUSES:
                raise error
            refusals.append(error)
        error = _real_refusal(refusals, form["grant_type"])
        _LOGGER.warning("Oura refused the %s at both token URLs (%s)", label, error.kind)
        raise error

    @staticmethod
    def _token_set(response: requests.Response, label: str) -> TokenSet:
        try:
            body: Any = response.json()
            if not isinstance(body, dict):
                raise ValueError("not an object")
            return TokenSet.from_token_response(body)
        except ValueError:
            _LOGGER.warning("Oura %s answered 200 without usable tokens", label)
            raise OuraUnavailable(
                "Oura's sign-in service gave an answer without tokens. Try again later."
            ) from None
