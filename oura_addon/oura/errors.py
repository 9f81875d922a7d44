"""Typed errors for talking to Oura, each with a sentence the user can act on.

Messages never contain a token, an authorization code or the client secret: callers show
``user_message`` in the panel and log ``kind``/``str()`` freely.
"""

from __future__ import annotations

from ..errors import AddonError


class OuraError(AddonError):
    """Base of every Oura error; ``kind`` is a short stable tag for logs and the panel."""

    kind = "error"

    def __init__(self, user_message: str, *, kind: str | None = None) -> None:
        super().__init__(user_message)
        if kind is not None:
            self.kind = kind


# --- OAuth (authorize, code exchange, refresh) ---


class OAuthError(OuraError):
    """Authorization with Oura failed."""

    kind = "oauth_error"


class AuthorizationDenied(OAuthError):
    kind = "access_denied"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or "Access was not granted at Oura. Connect again and approve the requested data."
        )


class InvalidGrant(OAuthError):
    """The code was used or expired, or the refresh token was used or revoked."""

    kind = "invalid_grant"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or "Oura no longer accepts this account's authorization. Reconnect the account "
            "in the panel."
        )


class InvalidClient(OAuthError):
    kind = "invalid_client"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or "Oura did not recognise the app's client ID and secret. Check the client ID "
            "and client secret in the panel."
        )


class RedirectUriMismatch(OAuthError):
    kind = "redirect_uri_mismatch"

    def __init__(self, redirect_uri: str | None = None) -> None:
        self.redirect_uri = redirect_uri
        where = f"exactly {redirect_uri}" if redirect_uri else "the redirect URI shown in the panel"
        super().__init__(
            f"Oura refused the redirect address. Register {where} as a redirect URI of your "
            "app in Oura's developer portal, then connect again."
        )


class InvalidCallback(OAuthError):
    """What the user pasted holds no authorization code."""

    kind = "invalid_callback"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or "No authorization code found. Paste the whole address your browser was sent "
            "to after approving access at Oura."
        )


class OuraUnavailable(OAuthError):
    """Network trouble, a 5xx, or an answer that is not a token response."""

    kind = "unavailable"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message or "Oura's sign-in service is unavailable right now. Try again later."
        )


# --- Data API ---


class OuraApiError(OuraError):
    """A data call failed; ``endpoint`` names the endpoint (never a URL with a token)."""

    kind = "api_error"

    def __init__(self, user_message: str, endpoint: str = "", *, kind: str | None = None):
        super().__init__(user_message, kind=kind)
        self.endpoint = endpoint


class AccessDenied(OuraApiError):
    kind = "forbidden"

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            f"Oura refused {endpoint}: membership expired or scope not granted.", endpoint
        )


class Unauthorized(OuraApiError):
    """401 even with a freshly refreshed token: the account must be reconnected."""

    kind = "unauthorized"

    def __init__(self, endpoint: str = "", user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or "Oura rejected this account's access token even after a refresh. Reconnect "
            "the account in the panel.",
            endpoint,
        )


class TokenUnavailable(OuraApiError):
    """No access token could be had (sign-in service down, app credentials refused).

    Like ``Unauthorized`` it ends a sync: no endpoint can succeed without a token.
    """

    kind = "token_unavailable"

    def __init__(self, endpoint: str, cause: OAuthError) -> None:
        super().__init__(cause.user_message, endpoint, kind=cause.kind)
        self.cause = cause


class RateLimited(OuraApiError):
    kind = "rate_limited"

    def __init__(self, endpoint: str, retry_after: float | None = None) -> None:
        wait = f" for {retry_after:.0f} seconds" if retry_after is not None else ""
        super().__init__(
            f"Oura is rate limiting requests{wait}; the next sync will try again.", endpoint
        )
        self.retry_after = retry_after


class NotFound(OuraApiError):
    kind = "not_found"

    def __init__(self, endpoint: str) -> None:
        super().__init__(f"Oura has no {endpoint} document at that address.", endpoint)


class InvalidRequest(OuraApiError):
    """400/422: Oura rejected the query (e.g. a start date after the end date)."""

    kind = "invalid_request"

    def __init__(self, endpoint: str, detail: str = "") -> None:
        reason = f": {detail}" if detail else ""
        super().__init__(f"Oura rejected the request for {endpoint}{reason}.", endpoint)
        self.detail = detail


class ApiUnavailable(OuraApiError):
    """No usable answer: network error or 5xx after the retries."""

    kind = "unavailable"

    def __init__(self, endpoint: str, reason: str = "") -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"Oura's API is unavailable for {endpoint}{why}; the next sync will try again.",
            endpoint,
        )


class BadResponse(ApiUnavailable):
    """An answer arrived but was not the JSON we expect (HTML error page, wrong shape)."""

    kind = "bad_response"
