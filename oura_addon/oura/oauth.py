"""OAuth 2 with Oura: one client for both kinds of app, whatever portal made them.

``OAuthClient`` picks the implementation (``implementations.NewPortal`` or
``ClassicPortal``) for an app and does every token request: the code exchange (exactly
once per code), refreshes and revocation. Oura's two token URLs each refuse the other kind
of app with a fixed answer before looking at anything else (401 on a code exchange, 400 on
a refresh). A refusal like that earns one try at the other URL, and the URL that worked is
remembered per client id: it says what kind of app this is, and it corrects the choice made
in the panel or the options when that was wrong.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

import requests

from oura_addon.http import USER_AGENT, RetryPolicy, new_session
from oura_addon.i18n import _l
from oura_addon.oura.endpoints import DEFAULT_SCOPES
from oura_addon.oura.errors import (
    AuthorizationDenied,
    CodeRejected,
    InvalidCallback,
    InvalidClient,
    InvalidGrant,
    OAuthError,
    OuraUnavailable,
    RedirectUriMismatch,
    RefreshTokenOnly,
    UserLimitReached,
    WrongIssuer,
)
from oura_addon.oura.implementations import (
    PORTAL_CLASSIC,
    PORTAL_NEW,
    PORTALS,
    Authorization,
    ClassicPortal,
    Discovery,
    NewPortal,
    OAuthImplementation,
    new_code_verifier,
)
from oura_addon.oura.tokens import AppCredentials, RefreshOnlyAnswer, TokenSet

if TYPE_CHECKING:
    from oura_addon.settings import Settings

__all__ = [
    "PORTALS",
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

DEFAULT_ISSUER_URL = "https://moi.ouraring.com/oauth/v2/ext/oauth-anonymous"
_BARE_CODE = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
# Oura's words about an app over its user limit (an unapproved app serves 10 users).
_USER_LIMIT = re.compile(r"(maximum|limit|too many)\b.{0,40}\busers?\b|\busers?\b.{0,40}\blimit")
_MAX_DESCRIPTION = 200


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
    iss: str | None = None  # RFC 9207: the authorization server that answered

    def __repr__(self) -> str:  # the code is a credential for ten minutes
        code = "<set>" if self.code else None
        return f"CallbackParams(code={code!r}, state={self.state!r}, error={self.error!r})"

    def require_code(self) -> str:
        """The code, or the OAuth error the user should see."""
        if self.error == "access_denied":
            raise AuthorizationDenied()
        if self.error:
            raise OAuthError(
                _l(
                    "Oura reported '%(error)s' instead of granting access. Connect again.",
                    error=_safe_word(self.error),
                ),
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
                iss=_first(values, "iss"),
            )
    return CallbackParams()


def _error_body(response: requests.Response) -> tuple[str, str]:
    """(error code, description) from an OAuth error answer; '' when absent."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    description = body.get("error_description") or body.get("message") or body.get("detail")
    return (
        error if isinstance(error, str) else "",
        description if isinstance(description, str) else "",
    )


def _clean(text: str, secrets: Iterable[str]) -> str | None:
    """Oura's words, printable, short, and with every secret of the request cut out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "…")
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text[:_MAX_DESCRIPTION] or None


def oauth_error_for(
    response: requests.Response,
    redirect_uri: str | None,
    *,
    exchange: bool = False,
    secrets: Iterable[str] = (),
) -> OAuthError:
    """The typed error, with Oura's own words kept, for a non-200 token endpoint answer."""
    status = response.status_code
    error, description = _error_body(response)
    kind, words = error.lower(), description.lower()
    result: OAuthError
    if status == 429 or status >= 500:
        result = OuraUnavailable(status=status)
    elif _USER_LIMIT.search(words):
        result = UserLimitReached()
    elif kind in ("redirect_uri_mismatch", "invalid_redirect_uri") or "redirect" in words:
        result = RedirectUriMismatch(redirect_uri)
    elif kind in ("invalid_client", "unauthorized_client"):
        result = InvalidClient()
    elif kind == "access_denied":
        result = AuthorizationDenied()
    elif exchange and kind == "invalid_grant":
        result = CodeRejected()
    elif not kind:
        # No OAuth error in the body (a proxy's HTML page, a bare 400): nothing says the
        # grant is dead, so it stays stored and the next sync tries again.
        result = OuraUnavailable(
            _l(
                "Oura's sign-in service answered HTTP %(status)s without saying why; the add-on "
                "keeps the account's authorization and tries again later.",
                status=status,
            )
        )
    elif exchange:
        result = OAuthError(
            _l(
                "Oura refused to finish this sign-in. Click Connect again; if this stays, check "
                "the app's settings in Oura's developer portal."
            ),
            kind=kind,
        )
    else:
        result = InvalidClient() if status == 401 else InvalidGrant()
    result.oura_error = _clean(error, secrets)
    result.oura_description = _clean(description, secrets)
    return result


def _real_refusal(refusals: list[OAuthError], exchange: bool) -> OAuthError:
    """The refusal to report when both token URLs refused.

    The other portal's URL refuses an app with a fixed answer before looking at anything
    else (401 invalid_client on a code exchange, 400 on a refresh), so the refusal that
    differs from that answer is the one about this request.
    """
    noise = InvalidClient if exchange else InvalidGrant
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
        issuer_url: str | None = None,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        token_url_memory: TokenUrlMemory | None = None,
    ) -> None:
        self._session = session or new_session(USER_AGENT)
        self._policy = policy or RetryPolicy()
        # A code is sent once: never again after an answer that may have consumed it.
        self._once = replace(self._policy, attempts=1)
        self._memory = token_url_memory or TokenUrlMemory()
        issuer = issuer_url or fallback_token_url.rsplit("/", 1)[0] + "/oauth-anonymous"
        self._discovery = Discovery(issuer, self._session, self._policy)
        self._implementations: dict[str, OAuthImplementation] = {
            PORTAL_NEW: NewPortal(self._discovery),
            PORTAL_CLASSIC: ClassicPortal(
                authorize_url=authorize_url,
                token_url=token_url,
                revoke_url=revoke_url,
                issuer=lambda: self._discovery.issuer,
            ),
        }

    @classmethod
    def from_settings(
        cls, settings: Settings, token_url_memory: TokenUrlMemory | None = None
    ) -> OAuthClient:
        return cls(
            authorize_url=f"{settings.oura_auth_url}/oauth/authorize",
            token_url=settings.oura_token_url,
            fallback_token_url=settings.oura_fallback_token_url,
            revoke_url=f"{settings.oura_api_url}/oauth/revoke",
            issuer_url=settings.oura_issuer_url,
            token_url_memory=token_url_memory,
        )

    # --- which kind of app ---------------------------------------------------------------

    def portal_for(self, credentials: AppCredentials) -> str:
        """The app's portal: what worked last, else what was chosen, else the new portal.

        Installs upgraded with accounts connected have no choice stored; the token URL
        their refreshes used says which kind of app they are.
        """
        remembered = self._memory.get(credentials.client_id)
        if remembered is not None:
            classic = self._implementations[PORTAL_CLASSIC].token_url()
            return PORTAL_CLASSIC if remembered == classic else PORTAL_NEW
        return credentials.portal if credentials.portal in PORTALS else PORTAL_NEW

    def choose_portal(self, credentials: AppCredentials, portal: str) -> None:
        """The user said where the app was created: try that portal's token URL first."""
        self._memory.remember(credentials.client_id, self._implementations[portal].token_url())

    def _implementation(self, portal: str | None) -> OAuthImplementation:
        return self._implementations[portal if portal in PORTALS else PORTAL_NEW]

    # --- the flows -----------------------------------------------------------------------

    def authorization(
        self,
        credentials: AppCredentials,
        redirect_uri: str,
        state: str,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        *,
        portal: str | None = None,
    ) -> Authorization:
        """Where to send the user for consent (with the PKCE verifier to keep, if any)."""
        chosen = self._implementation(portal or self.portal_for(credentials))
        return chosen.authorization(credentials, redirect_uri, state, scopes, new_code_verifier())

    def check_issuer(self, iss: str | None) -> None:
        """RFC 9207: a callback that names an issuer must name Oura's."""
        if iss is not None and iss.rstrip("/") != self._discovery.issuer:
            raise WrongIssuer(iss)

    def exchange_code(
        self,
        credentials: AppCredentials,
        code: str,
        redirect_uri: str,
        *,
        portal: str | None = None,
        code_verifier: str | None = None,
    ) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        first = self._implementation(portal or self.portal_for(credentials))
        return self._request_tokens(credentials, form, first, redirect_uri, secrets=(code,))

    def refresh(self, credentials: AppCredentials, refresh_token: str) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        first = self._implementation(self.portal_for(credentials))
        return self._request_tokens(credentials, form, first, None, secrets=(refresh_token,))

    def revoke(self, access_token: str, credentials: AppCredentials | None = None) -> bool:
        """Ask Oura to revoke a token; best effort (False on any failure), never raises."""
        portal = self.portal_for(credentials) if credentials else PORTAL_CLASSIC
        url = self._implementation(portal).revoke_url()
        # The token goes in the body, not the query string, to stay out of access logs.
        form = {"token": access_token, "access_token": access_token}
        if credentials is not None:
            form |= {"client_id": credentials.client_id, "client_secret": credentials.client_secret}
        try:
            response = self._policy.send(
                self._session, "POST", url, label="token revoke", data=form
            )
        except requests.RequestException as err:
            _LOGGER.info("Token revoke failed: %s", type(err).__name__)
            return False
        _LOGGER.debug("Token revoke answered %s", response.status_code)
        return response.ok

    def token_urls_for(self, client_id: str) -> tuple[str, str]:
        """(first, second) token URL to try for this client id."""
        first = self._implementation(self.portal_for(AppCredentials(client_id, "")))
        return first.token_url(), self._other(first).token_url()

    def _other(self, implementation: OAuthImplementation) -> OAuthImplementation:
        other = PORTAL_CLASSIC if implementation.portal == PORTAL_NEW else PORTAL_NEW
        return self._implementations[other]

    def _request_tokens(
        self,
        credentials: AppCredentials,
        form: dict[str, str],
        first: OAuthImplementation,
        redirect_uri: str | None,
        *,
        secrets: tuple[str, ...],
    ) -> TokenSet:
        exchange = form["grant_type"] == "authorization_code"
        label = "code exchange" if exchange else "token refresh"
        form = {
            **form,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        secrets = (*secrets, credentials.client_secret)
        # Moving on to the other URL is safe only after a definite "not this app": the
        # grant was not looked at. For a code that is a 401 (client authentication failed
        # there); a 400 such as invalid_grant may mean the code was spent, so it ends here.
        # Refresh tokens are refused with 400 or 401 by the other portal's URL.
        fallback_statuses = {401} if exchange else {400, 401}
        policy = self._once if exchange else self._policy
        refusals: list[OAuthError] = []
        for implementation in (first, self._other(first)):
            url = implementation.token_url()
            try:
                response = policy.send(self._session, "POST", url, label=label, data=form)
            except requests.RequestException as err:
                _LOGGER.warning("Oura %s failed: %s", label, type(err).__name__)
                raise OuraUnavailable() from None
            _LOGGER.debug("Oura %s answered %s", label, response.status_code)
            if response.status_code == 200:
                tokens = self._token_set(response, label)
                self._memory.remember(credentials.client_id, url)
                if implementation is not first:
                    _LOGGER.info(
                        "Oura app %s is a %s-portal app (its %s worked there)",
                        credentials.client_id,
                        implementation.portal,
                        label,
                    )
                return tokens
            error = oauth_error_for(response, redirect_uri, exchange=exchange, secrets=secrets)
            if response.status_code not in fallback_statuses:
                raise error
            refusals.append(error)
        error = _real_refusal(refusals, exchange)
        _LOGGER.warning("Oura refused the %s at both token URLs (%s)", label, error.kind)
        raise error

    @staticmethod
    def _token_set(response: requests.Response, label: str) -> TokenSet:
        try:
            body: Any = response.json()
            if not isinstance(body, dict):
                raise ValueError("not an object")
            return TokenSet.from_token_response(body)
        except RefreshOnlyAnswer as answer:
            _LOGGER.warning("Oura %s answered a refresh token without an access token", label)
            raise RefreshTokenOnly(answer.tokens) from None
        except ValueError:
            _LOGGER.warning("Oura %s answered 200 without usable tokens", label)
            raise OuraUnavailable(
                _l("Oura's sign-in service gave an answer without tokens. Try again later.")
            ) from None
