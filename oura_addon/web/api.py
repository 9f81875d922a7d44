"""The JSON API under ``/api``: what the panel's script (and any tool) drives."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from oura_addon.i18n import _l
from oura_addon.oura.errors import OAuthError
from oura_addon.oura.oauth import parse_callback
from oura_addon.services import WebhookControl
from oura_addon.web import actions
from oura_addon.web.actions import ActionError
from oura_addon.web.callback import action_failure, oauth_failure, record_failure
from oura_addon.web.context import web_context
from oura_addon.web.diagnostics import diagnostics_document
from oura_addon.web.language import translator
from oura_addon.web.oauth_state import ExpiredState, StateError
from oura_addon.web.views import portal_of, status_document

bp = Blueprint("api", __name__, url_prefix="/api")

JSON_OBJECT_MESSAGE = _l("Send a JSON object as the request body.")


def _body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise ActionError("bad_request", _l("The JSON body is nested too deeply.")) from None
    if body is None and request.get_data():
        raise ActionError("bad_request", JSON_OBJECT_MESSAGE)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ActionError("bad_request", JSON_OBJECT_MESSAGE)
    return body


@bp.errorhandler(ActionError)
def _action_error(err: ActionError) -> tuple[Response, int]:
    body = {"error": err.kind, "message": translator().text(err.message), **err.details}
    return jsonify(body), err.status


@bp.get("/status")
def status() -> Response:
    ctx = web_context()
    document = status_document(ctx.services, ctx.sign_ins, translator())
    document["webhooks"] = _webhooks_status(ctx.services.webhooks)
    return jsonify(document)


def _webhooks_status(webhooks: WebhookControl | None) -> dict[str, Any]:
    if webhooks is None:
        return {"state": "off", "url": None, "subscriptions": [], "last_event": None}
    found = webhooks.status()
    return {**found, "message": translator().text(found["message"])}


@bp.post("/webhooks/test")
def test_webhooks() -> tuple[Response, int]:
    webhooks = web_context().services.webhooks
    if webhooks is None or webhooks.status()["url"] is None:
        raise ActionError(
            "webhooks_off", _l("Set the webhook_url option first: webhooks are off."), status=409
        )
    webhooks.test()
    return jsonify({"started": True}), 202


@bp.get("/diagnostics")
def diagnostics() -> Response:
    """One JSON file for a bug report; every secret redacted, the email only if asked."""
    include_email = request.args.get("include_email", "") in ("1", "true", "on", "yes")
    document = diagnostics_document(web_context().services, include_email)
    response = jsonify(document)
    stamp = document["generated_at"][:10]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="oura-diagnostics-{stamp}.json"'
    )
    return response


@bp.post("/credentials")
def save_credentials() -> Response:
    body = _body()
    actions.save_credentials(
        web_context().services, body.get("client_id"), body.get("client_secret"), body.get("portal")
    )
    return jsonify({"saved": True})


@bp.post("/accounts")
def add_account() -> tuple[Response, int]:
    name = _body().get("name")
    if not isinstance(name, str):
        raise ActionError("bad_name", _l("Send the account name as text."))
    # Names are lower-case: "Partner" is the account "partner", not a refusal.
    account = actions.add_account(web_context().services, name.lower())
    return jsonify({"name": account.name, "entity_prefix": account.entity_prefix}), 201


@bp.post("/accounts/<name>/authorize")
def authorize(name: str) -> Response:
    ctx = web_context()
    url = actions.start_authorization(ctx.services, ctx.pending, name, _body().get("redirect_uri"))
    ctx.sign_ins.started(name)
    return jsonify({"authorize_url": url, "state_expires_in": ctx.pending.lifetime})


@bp.delete("/accounts/<name>/authorize")
def cancel_authorization(name: str) -> Response:
    """Cancel a waiting sign-in: Oura's answer to it is refused from now on."""
    ctx = web_context()
    actions.require_account(ctx.services, name)
    ctx.sign_ins.cancel(name)
    return jsonify({"sign_in": _sign_in_json(name)})


@bp.delete("/accounts/<name>/sign_in")
def dismiss_sign_in(name: str) -> Response:
    """Forget a finished sign-in's outcome (the card stops showing it)."""
    ctx = web_context()
    actions.require_account(ctx.services, name)
    ctx.sign_ins.dismiss(name)
    return jsonify({"sign_in": _sign_in_json(name)})


def _sign_in_json(name: str) -> dict[str, Any] | None:
    sign_in = web_context().sign_ins.current(name)
    return sign_in.to_json(translator()) if sign_in else None


def _paste_failure(account: str, err: OAuthError | ActionError, redirect_uri: str) -> ActionError:
    """Record what failed for the account's card and answer with the same sentence."""
    if isinstance(err, ActionError):
        record_failure(account, err.kind, action_failure(err))
        return err
    record_failure(account, err.kind, oauth_failure(err, redirect_uri))
    return actions.oauth_failure(err)


@bp.post("/accounts/<name>/paste")
def paste(name: str) -> Response:
    ctx = web_context()
    text = _body().get("url")
    if not isinstance(text, str) or not text.strip():
        raise ActionError(
            "invalid_callback", _l("Paste the whole address your browser was sent to.")
        )
    actions.require_account(ctx.services, name)
    params = parse_callback(text)
    try:
        if params.state:
            pending = ctx.pending.consume(params.state, account=name)
            code = params.require_code()
        else:  # a bare code: bind it to this account's newest pending authorization
            code = params.require_code()
            pending = ctx.pending.consume_latest(name)
    except StateError as err:
        if isinstance(err, ExpiredState) and err.account == name:
            ctx.sign_ins.expired(name)
        raise ActionError(err.kind, err.user_message) from err
    except OAuthError as err:
        raise actions.oauth_failure(err) from err
    try:
        connected = actions.finish_authorization(ctx.services, pending, code, params.iss)
    except (OAuthError, ActionError) as err:
        raise _paste_failure(pending.account, err, pending.redirect_uri) from err
    ctx.pending.answered(pending.account)
    ctx.sign_ins.connected(pending.account)
    return jsonify(
        {
            "connected": True,
            "account": connected.account,
            "email": connected.email,
            "notice": translator().text(connected.notice) if connected.notice else None,
            "portal": portal_of(ctx.services),
        }
    )


@bp.post("/sync")
def sync() -> tuple[Response, int]:
    actions.sync_now(web_context().services, _body().get("account"))
    return jsonify({"started": True}), 202


@bp.post("/accounts/<name>/history")
def start_history(name: str) -> tuple[Response, int]:
    history = actions.start_history(web_context().services, name, _body().get("start"))
    return jsonify(history), 202


@bp.delete("/accounts/<name>/history")
def cancel_history(name: str) -> Response:
    return jsonify(actions.cancel_history(web_context().services, name))


@bp.delete("/accounts/<name>")
def delete_account(name: str) -> Response:
    ctx = web_context()
    revoked = actions.remove_account(ctx.services, name)
    ctx.sign_ins.forget(name)
    # finishing: Oura and Home Assistant are still being told (the account is gone already).
    return jsonify({"deleted": True, "revoked": revoked is True, "finishing": revoked is None})
