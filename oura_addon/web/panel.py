"""The HTML pages: set-up, accounts and dashboard, plus the plain forms they post.

Forms redirect back (post/redirect/get) with a flashed message, so a reload never resubmits.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from oura_addon.i18n import _l
from oura_addon.web import actions
from oura_addon.web.actions import ActionError
from oura_addon.web.context import web_context
from oura_addon.web.language import translator
from oura_addon.web.views import (
    account_view,
    addon_problems,
    collect_accounts,
    collect_home_assistant,
    credentials_description,
    publish_document,
)

bp = Blueprint("panel", __name__)


def _page_data() -> dict:
    ctx = web_context()
    home_assistant = collect_home_assistant(ctx.services)
    return {
        # The page lists the options' problems with /data's condition (full, read-only).
        "settings": replace(ctx.services.settings, problems=addon_problems(ctx.services)),
        "credentials": credentials_description(ctx.services),
        "home_assistant": home_assistant,
        # Without one (the demo without --ha-url) nothing is published or imported.
        "home_assistant_present": home_assistant.state not in ("demo", "not_configured"),
        "publish": publish_document(ctx.services, translator()),
    }


@bp.get("/")
def index() -> str:
    ctx = web_context()
    accounts = collect_accounts(ctx.services, ctx.sign_ins)
    return render_template("index.html", accounts=accounts, **_page_data())


@bp.get("/accounts/<name>")
def account(name: str) -> str:
    ctx = web_context()
    stored = ctx.services.accounts.get(name)
    if stored is None:
        abort(404)
    view = account_view(ctx.services, stored, ctx.sign_ins)
    return render_template("account.html", account=view, **_page_data())


def _flash(message: str, category: str) -> None:
    # The session keeps plain text: translate now, while the request's language is known.
    flash(translator().text(message), category)


def _back(default_endpoint: str = "panel.index", **values: str) -> Response:
    # Only our own pages: a form's "next" is an endpoint name, never a URL.
    target = request.form.get("next")
    if target == "account" and values.get("name"):
        return redirect(url_for("panel.account", name=values["name"]))
    return redirect(url_for(default_endpoint))


@bp.post("/credentials")
def save_credentials() -> Response:
    try:
        actions.save_credentials(
            web_context().services,
            request.form.get("client_id", ""),
            request.form.get("client_secret", ""),
            request.form.get("portal") or None,
        )
        _flash(_l("Client credentials saved."), "info")
    except ActionError as err:
        _flash(err.message, "error")
    return _back()


@bp.post("/accounts")
def add_account() -> Response:
    try:
        created = actions.add_account(web_context().services, request.form.get("name", "").lower())
        _flash(
            _l("Account %(name)r added: click Connect to link it to Oura.", name=created.name),
            "info",
        )
    except ActionError as err:
        _flash(err.message, "error")
    return _back()


@bp.post("/accounts/<name>/sync")
def sync_account(name: str) -> Response:
    try:
        actions.sync_now(web_context().services, name)
        _flash(_l("Syncing %(name)s now.", name=name), "info")
    except ActionError as err:
        _flash(err.message, "error")
    return _back(name=name)


@bp.post("/accounts/<name>/disconnect")
def disconnect_account(name: str) -> Response:
    try:
        revoked = actions.remove_account(web_context().services, name)
        web_context().sign_ins.forget(name)
        message = (
            _l(
                "Account %(name)r disconnected; its entities are being removed in the background.",
                name=name,
            )
            if revoked is None
            else _l("Account %(name)r disconnected and its entities removed.", name=name)
            if revoked
            else _l(
                "Account %(name)r disconnected and its entities removed (Oura could not be "
                "told; remove the app there if you like).",
                name=name,
            )
        )
        _flash(message, "info")
    except ActionError as err:
        _flash(err.message, "error")
    return _back()
