"""Typed errors for talking to Oura, each with a sentence the user can act on.

Messages never contain a token, an authorization code or the client secret: callers show
``user_message`` in the panel and log ``kind``/``str()`` freely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oura_addon.errors import AddonError
from oura_addon.i18n import _l

if TYPE_CHECKING:
    from oura_addon.oura.tokens import TokenSet


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
            or _l("Access was not granted at Oura. Connect again and approve the requested data.")
        )


class InvalidGrant(OAuthError):
    """The code was used or expired, or the refresh token was used or revoked."""

    kind = "invalid_grant"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or _l(
                "Oura no longer accepts this account's authorization. Reconnect the account "
                "in the panel."
            )
        )


class InvalidClient(OAuthError):
    kind = "invalid_client"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or _l(
                "Oura did not accept the app's client secret. Copy the client secret again "
                "from Oura's developer portal and save it in the panel (spaces around it are "
                "removed), then connect again."
            )
        )


class CodeRejected(InvalidGrant):
    """The authorization code was refused: used already or older than 10 minutes."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Oura refused the authorization code: it was already used or has expired "
                "(a code works once, for 10 minutes). Click Connect again."
            )
        )


class UserLimitReached(OAuthError):
    """An app Oura has not approved serves at most 10 Oura users."""

    kind = "user_limit"

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Your Oura app has reached its limit of 10 users: an app Oura has not approved "
                "serves at most 10 Oura accounts. Remove a user you no longer need from the "
                "app in Oura's developer portal, or ask Oura to approve the app, then connect "
                "again."
            )
        )


class WrongIssuer(OAuthError):
    """The callback names another authorization server than Oura's (RFC 9207)."""

    kind = "wrong_issuer"

    def __init__(self, issuer: str) -> None:
        super().__init__(
            _l(
                "This sign-in answer says it comes from %(issuer)r, not from Oura's sign-in "
                "service, so it was not used. Click Connect again.",
                issuer=issuer[:100],
            )
        )


class RedirectUriMismatch(OAuthError):
    kind = "redirect_uri_mismatch"

    def __init__(self, redirect_uri: str | None = None) -> None:
        self.redirect_uri = redirect_uri
        super().__init__(
            _l(
                "Oura refused the redirect address. Register exactly %(uri)s as a redirect URI "
                "of your app in Oura's developer portal (copy it from the panel), then connect "
                "again.",
                uri=redirect_uri,
            )
            if redirect_uri
            else _l(
                "Oura refused the redirect address. Register the redirect URI shown in the "
                "panel as a redirect URI of your app in Oura's developer portal (copy it from "
                "the panel), then connect again."
            )
        )


class InvalidCallback(OAuthError):
    """What the user pasted holds no authorization code."""

    kind = "invalid_callback"

    def __init__(self, user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or _l(
                "No authorization code found. Paste the whole address your browser was sent "
                "to after approving access at Oura."
            )
        )


class OuraUnavailable(OAuthError):
    """Network trouble, a 5xx, or an answer that is not a token response."""

    kind = "unavailable"

    def __init__(self, user_message: str | None = None, status: int | None = None) -> None:
        default = (
            _l(
                "Oura's sign-in service has a problem right now (it answered HTTP %(status)s). "
                "Nothing was stored: try again in a few minutes.",
                status=status,
            )
            if status
            else _l(
                "Oura's sign-in service has a problem right now. Nothing was stored: try "
                "again in a few minutes."
            )
        )
        super().__init__(user_message or default)


class RefreshTokenOnly(OuraUnavailable):
    """Oura's refresh answer held a new refresh token but no access token.

    The old refresh token is spent, so ``tokens`` (expired, with the new refresh token)
    must be stored before this error goes further.
    """

    def __init__(self, tokens: TokenSet) -> None:
        super().__init__(
            _l(
                "Oura's sign-in service answered without an access token. Its new refresh "
                "token is stored and the next sync tries again."
            )
        )
        self.tokens = tokens


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
            _l(
                "Oura refused %(endpoint)s: membership expired or scope not granted.",
                endpoint=endpoint,
            ),
            endpoint,
        )


class MissingScope(OuraApiError):
    """A 401 saying the token lacks a scope: Oura did not grant that data, the token is fine."""

    kind = "missing_scope"

    def __init__(self, endpoint: str, scope: str) -> None:
        super().__init__(
            _l(
                "Oura did not grant access to %(endpoint)s (scope %(scope)s). Reconnect the "
                "account and tick that data on Oura's consent page.",
                endpoint=endpoint,
                scope=scope,
            ),
            endpoint,
        )
        self.scope = scope


class Unauthorized(OuraApiError):
    """401 even with a freshly refreshed token: the account must be reconnected."""

    kind = "unauthorized"

    def __init__(self, endpoint: str = "", user_message: str | None = None) -> None:
        super().__init__(
            user_message
            or _l(
                "Oura rejected this account's access token even after a refresh. Reconnect "
                "the account in the panel."
            ),
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
        super().__init__(
            _l(
                "Oura is rate limiting requests for %(seconds)s seconds; the next sync will "
                "try again.",
                seconds=f"{retry_after:.0f}",
            )
            if retry_after is not None
            else _l("Oura is rate limiting requests; the next sync will try again."),
            endpoint,
        )
        self.retry_after = retry_after


class NotFound(OuraApiError):
    kind = "not_found"

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            _l("Oura has no %(endpoint)s document at that address.", endpoint=endpoint), endpoint
        )


class InvalidRequest(OuraApiError):
    """400/422: Oura rejected the query (e.g. a start date after the end date)."""

    kind = "invalid_request"

    def __init__(self, endpoint: str, detail: str = "") -> None:
        super().__init__(
            _l(
                "Oura rejected the request for %(endpoint)s: %(detail)s.",
                endpoint=endpoint,
                detail=detail,
            )
            if detail
            else _l("Oura rejected the request for %(endpoint)s.", endpoint=endpoint),
            endpoint,
        )
        self.detail = detail


class ApiUnavailable(OuraApiError):
    """No usable answer: network error or 5xx after the retries."""

    kind = "unavailable"

    def __init__(self, endpoint: str, reason: str = "") -> None:
        super().__init__(
            _l(
                "Oura's API is unavailable for %(endpoint)s (%(reason)s); the next sync will "
                "try again.",
                endpoint=endpoint,
                reason=reason,
            )
            if reason
            else _l(
                "Oura's API is unavailable for %(endpoint)s; the next sync will try again.",
                endpoint=endpoint,
            ),
            endpoint,
        )


class BadResponse(ApiUnavailable):
    """An answer arrived but was not the JSON we expect (HTML error page, wrong shape)."""

    kind = "bad_response"
