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
    """Authorization with Oura failed.

    ``oura_error`` and ``oura_description`` keep what Oura's token endpoint answered (its
    ``error`` and ``error_description``, cleaned of anything secret) for the panel to show
    beside the sentence; None when Oura said nothing.
    """

    kind = "oauth_error"
    oura_error: str | None = None
    oura_description: str | None = None

    @property
    def oura_answer(self) -> str | None:
        """Oura's own words, e.g. ``invalid_client: Client authentication failed``."""
        parts = [p for p in (self.oura_error, self.oura_description) if p]
        return ": ".join(parts) or None


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
            or "Oura did not accept the app's client secret. Copy the client secret again "
            "from Oura's developer portal and save it in the panel (spaces around it are "
            "removed), then connect again."
        )


class CodeRejected(InvalidGrant):
    """The authorization code was refused: used already or older than 10 minutes."""

    def __init__(self) -> None:
        super().__init__(
            "Oura refused the authorization code: it was already used or has expired "
            "(a code works once, for 10 minutes). Click Connect again."
        )


class UserLimitReached(OAuthError):
    """An app Oura has not approved serves at most 10 Oura users."""

    kind = "user_limit"

    def __init__(self) -> None:
        super().__init__(
            "Your Oura app has reached its limit of 10 users: an app Oura has not approved "
            "serves at most 10 Oura accounts. Remove a user you no longer need from the app "
            "in Oura's developer portal, or ask Oura to approve the app, then connect again."
        )


class WrongIssuer(OAuthError):
    """The callback names another authorization server than Oura's (RFC 9207)."""

    kind = "wrong_issuer"

    def __init__(self, issuer: str) -> None:
        super().__init__(
            f"This sign-in answer says it comes from {issuer[:100]!r}, not from Oura's "
            "sign-in service, so it was not used. Click Connect again."
        )


class RedirectUriMismatch(OAuthError):
    kind = "redirect_uri_mismatch"

    def __init__(self, redirect_uri: str | None = None) -> None:
        self.redirect_uri = redirect_uri
        where = f"exactly {redirect_uri}" if redirect_uri else "the redirect URI shown in the panel"
        super().__init__(
            f"Oura refused the redirect address. Register {where} as a redirect URI of your "
            "app in Oura's developer portal (copy it from the panel), then connect again."
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

    def __init__(self, user_message: str | None = None, status: int | None = None) -> None:
        problem = f" (it answered HTTP {status})" if status else ""
        super().__init__(
            user_message
            or f"Oura's sign-in service has a problem right now{problem}. Nothing was "
            "stored: try again in a few minutes."
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


class MissingScope(OuraApiError):
    """A 401 saying the token lacks a scope: Oura did not grant that data, the token is fine."""

    kind = "missing_scope"

    def __init__(self, endpoint: str, scope: str) -> None:
        super().__init__(
            f"Oura did not grant access to {endpoint} (scope {scope}). Reconnect the account "
            "and tick that data on Oura's consent page.",
            endpoint,
        )
        self.scope = scope


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
