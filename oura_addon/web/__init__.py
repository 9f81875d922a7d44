"""The ingress panel: ``create_app(settings, services)`` builds the Flask app.

Blueprints: ``panel`` (HTML pages and their forms), ``oauth`` (Oura's callback) and ``api``
(JSON). Everything the views need comes in through ``services``; nothing is global.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from oura_addon.i18n import _l
from oura_addon.services import Services
from oura_addon.settings import INGRESS_PROXY_ADDRESS, Settings
from oura_addon.store.sign_ins import SignInStore
from oura_addon.web import api, callback, insights_api, language, panel
from oura_addon.web.context import EXTENSION_KEY, PASTE_REDIRECT_URI, WebContext, web_context
from oura_addon.web.ingress import IngressMiddleware
from oura_addon.web.oauth_state import PendingAuthorizations
from oura_addon.web.script_messages import script_messages
from oura_addon.web.session import (
    STATE_CHANGING_METHODS,
    configure_session,
    csrf_ok,
    csrf_token,
    load_secret_key,
)
from oura_addon.web.sign_in import SignIns
from oura_addon.web.views import address_markup, entity_state_text

__all__ = ["MAX_REQUEST_BODY_BYTES", "PASTE_REDIRECT_URI", "create_app"]

_LOGGER = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
# The panel's largest request is a pasted redirect URL or a client secret: 64 KB is plenty,
# and a body is refused by its declared size before anything reads it (waitress enforces
# the same bound for bodies without a Content-Length).
MAX_REQUEST_BODY_BYTES = 64 * 1024
MAX_FORM_PARTS = 50
TOO_LARGE_MESSAGE = _l("The request body is larger than this panel accepts (64 KB).")
CSRF_MESSAGE = _l(
    "The request lacks this panel's security token. Reload the panel and try again "
    "(scripts: GET the panel first and send its csrf-token meta value as X-CSRF-Token)."
)
INTERNAL_ERROR_MESSAGE = _l(
    "Something went wrong inside the add-on; the add-on log has the details."
)


def create_app(
    settings: Settings,
    services: Services,
    pending: PendingAuthorizations | None = None,
    secret_key: bytes | None = None,
    after_request: Callable[[], None] | None = None,
) -> Flask:
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_REQUEST_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BODY_BYTES,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
    )
    # Routing redirects (``//`` merged, a trailing slash added) would build an absolute
    # Location from the client's Host header: paths are matched as sent instead.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    pending = pending or PendingAuthorizations(lifetime=settings.sign_in_seconds)
    sign_ins = SignIns(SignInStore(settings.data_dir), pending)
    app.extensions[EXTENSION_KEY] = WebContext(services, pending, sign_ins)
    configure_session(app, secret_key or load_secret_key(settings.data_dir))
    language.install(app)
    app.jinja_env.filters.update(
        address=address_markup,
        entity_state=lambda row: entity_state_text(row.state, row.unit, language.translator()),
    )
    app.register_blueprint(panel.bp)
    app.register_blueprint(callback.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(insights_api.bp)
    app.add_url_rule("/healthz", "healthz", _healthz)
    app.before_request(_refuse_large_bodies)
    app.before_request(_require_csrf)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.context_processor(_template_globals)
    if after_request is not None:
        app.teardown_request(lambda _error: after_request())
    app.wsgi_app = IngressMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, settings.trusted_clients, INGRESS_PROXY_ADDRESS
    )
    return app


def _healthz() -> Response:
    return Response("ok\n", mimetype="text/plain")


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _refuse_large_bodies():
    # Before the CSRF check, which may read a form field: nothing is read past this size.
    if (request.content_length or 0) > MAX_REQUEST_BODY_BYTES:
        raise RequestEntityTooLarge(TOO_LARGE_MESSAGE)
    return None


def _require_csrf():
    if request.method not in STATE_CHANGING_METHODS or csrf_ok():
        return None
    if _wants_json():
        return jsonify({"error": "csrf", "message": language.translator().text(CSRF_MESSAGE)}), 403
    title = _l("Security token missing")
    return render_template("error.html", title=title, message=CSRF_MESSAGE), 403


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


# Werkzeug's own sentences are English only; ours say the same in the panel's language.
HTTP_ERRORS = {
    400: (_l("Bad request"), _l("The add-on could not understand this request.")),
    403: (_l("Forbidden"), _l("This request is not allowed.")),
    404: (_l("Not found"), _l("There is nothing at this address in the add-on.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    413: (_l("Request too large"), _l("The request is larger than the add-on accepts.")),
}


def _http_error(err: HTTPException):
    status = err.code or 500
    title, default_message = HTTP_ERRORS.get(status, (err.name, err.description))
    # A description given where the error was raised says more than the generic sentence.
    own = err.description and err.description != type(err).description
    message = err.description if own else default_message
    if _wants_json():
        kind = "not_found" if status == 404 else (err.name or "error").lower().replace(" ", "_")
        return jsonify({"error": kind, "message": language.translator().text(message)}), status
    return render_template("error.html", title=title, message=message), status


def _unexpected_error(err: Exception):
    _LOGGER.exception("Unexpected error answering %s %s", request.method, request.path)
    message = INTERNAL_ERROR_MESSAGE
    if _wants_json():
        return jsonify({"error": "internal", "message": language.translator().text(message)}), 500
    return render_template("error.html", title=_l("Internal error"), message=message), 500


def _template_globals() -> dict:
    display_name = request.headers.get("X-Remote-User-Display-Name") or request.headers.get(
        "X-Remote-User-Name"
    )
    return {
        "csrf_token": csrf_token,
        "user_display_name": display_name,
        "paste_redirect_uri": PASTE_REDIRECT_URI,
        "ingress_root": request.script_root,
        "demo": web_context().services.settings.demo,
        "script_messages": lambda: script_messages(language.translator()),
    }
