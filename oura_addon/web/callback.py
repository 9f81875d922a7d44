"""``GET /oauth/callback``: where Oura sends the browser back after the consent page.

Reached in a new top-level tab, so no CSRF token: the single-use ``state`` protects it.
The page never contains the code, a token or the secret.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Blueprint, render_template, request

from oura_addon.i18n import _l
from oura_addon.oura.errors import (
    AuthorizationDenied,
    InvalidClient,
    InvalidGrant,
    OAuthError,
    OuraUnavailable,
    RedirectUriMismatch,
    UserLimitReached,
    WrongIssuer,
)
from oura_addon.oura.oauth import CallbackParams
from oura_addon.web import actions
from oura_addon.web.actions import ActionError
from oura_addon.web.context import web_context
from oura_addon.web.oauth_state import CancelledState, ExpiredState, ReplayedState, StateError

bp = Blueprint("oauth", __name__)

START_AGAIN = _l("Start again: click Connect in the add-on panel.")


@dataclass(frozen=True)
class Failure:
    title: str
    message: str
    next_step: str
    status: int = 400
    register_uri: str | None = None
    oura_answer: str | None = None  # Oura's own error and description, when it gave them


def state_failure(err: StateError) -> Failure:
    if isinstance(err, ExpiredState):
        title = _l("This sign-in has expired")
    elif isinstance(err, ReplayedState):
        title = _l("This sign-in was already used")
    elif isinstance(err, CancelledState):
        title = _l("Sign-in cancelled")
    else:
        title = _l("This sign-in is not known to the add-on")
    return Failure(title, err.user_message, START_AGAIN)


def oauth_failure(err: OAuthError, redirect_uri: str | None) -> Failure:
    return replace(_failure_for(err, redirect_uri), oura_answer=err.oura_answer)


def _failure_for(err: OAuthError, redirect_uri: str | None) -> Failure:
    if isinstance(err, AuthorizationDenied):
        return Failure(
            _l("Access was not granted"),
            _l("Oura's consent page was answered with Deny, so the add-on got no access."),
            _l("If that was a mistake, click Connect again and approve the requested data."),
        )
    if isinstance(err, InvalidGrant):
        return Failure(
            _l("The authorization code was already used or expired"),
            _l("Oura refused the authorization code: it is valid once, for 10 minutes."),
            START_AGAIN,
        )
    if isinstance(err, InvalidClient):
        return Failure(
            _l("Oura did not accept the app's client secret"),
            _l("Oura's sign-in service refused the app's client ID and secret."),
            _l(
                "Copy the client secret again from Oura's developer portal and save it in the "
                "add-on panel (spaces around it are removed), then connect again."
            ),
        )
    if isinstance(err, UserLimitReached):
        return Failure(
            _l("Your Oura app has reached its user limit"),
            _l("An app Oura has not approved serves at most 10 Oura accounts."),
            _l(
                "Remove a user you no longer need from the app in Oura's developer portal, or "
                "ask Oura to approve the app, then connect again."
            ),
            status=403,
        )
    if isinstance(err, WrongIssuer):
        return Failure(_l("This answer did not come from Oura"), err.user_message, START_AGAIN)
    if isinstance(err, RedirectUriMismatch):
        return Failure(
            _l("The redirect URI is not registered at Oura"),
            _l("Oura refused the redirect address this sign-in used."),
            _l(
                "Register exactly the address below as a redirect URI of your app in Oura's "
                "developer portal, then connect again."
            ),
            register_uri=redirect_uri,
        )
    if isinstance(err, OuraUnavailable):
        return Failure(
            _l("Oura's sign-in service has a problem"),
            err.user_message,
            _l("Nothing was stored. Wait a few minutes, then click Connect again."),
            status=502,
        )
    return Failure(_l("Connecting failed"), err.user_message, START_AGAIN)


def _failure_page(failure: Failure):
    return render_template("callback.html", failure=failure, connected=None), failure.status


def action_failure(err: ActionError) -> Failure:
    if err.kind == "same_oura_user":
        return Failure(
            _l("This Oura user is already connected"),
            err.message,
            _l("Sign out of Oura's site, sign in as the other person, then click Connect again."),
            status=409,
        )
    return Failure(
        _l("Connecting failed"),
        err.message,
        _l("Fix this in the add-on panel, then connect again."),
    )


def record_failure(account: str, kind: str, failure: Failure) -> None:
    """The card shows what happened: kept in /data until connected or dismissed."""
    sign_ins = web_context().sign_ins
    sign_ins.pending.answered(account)
    sign_ins.failed(
        account, kind, failure.title, failure.message, failure.next_step, failure.register_uri
    )


@bp.get("/oauth/callback")
def callback():
    ctx = web_context()
    params = CallbackParams(
        code=request.args.get("code") or None,
        state=request.args.get("state") or None,
        error=request.args.get("error") or None,
        iss=request.args.get("iss") or None,
    )
    try:
        pending = ctx.pending.consume(params.state or "")
    except StateError as err:
        if isinstance(err, ExpiredState) and err.account:
            ctx.sign_ins.expired(err.account)
        if params.error == "access_denied":  # the answer is "no" either way
            return _failure_page(oauth_failure(AuthorizationDenied(), None))
        return _failure_page(state_failure(err))
    try:
        code = params.require_code()
        connected = actions.finish_authorization(ctx.services, pending, code, params.iss)
    except OAuthError as err:
        failure = oauth_failure(err, pending.redirect_uri)
        record_failure(pending.account, err.kind, failure)
        return _failure_page(failure)
    except ActionError as err:
        failure = action_failure(err)
        record_failure(pending.account, err.kind, failure)
        return _failure_page(failure)
    ctx.pending.answered(pending.account)
    ctx.sign_ins.connected(pending.account)
    return render_template("callback.html", failure=None, connected=connected)
