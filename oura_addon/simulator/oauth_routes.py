"""Oura's OAuth2 routes: both authorize URLs' consent page, both token URLs, revocation.

The classic URLs (``/oauth/...``) and the new identity provider's (``/oauth/v2/ext/...``,
see ``oauth_identity``) share one consent page and one token store; what differs per
provider (scope names, redirect rules, discovery) lives in ``oauth_identity``.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from oura_addon.oura.endpoints import SCOPE_LABELS
from oura_addon.simulator.data import personal_info
from oura_addon.simulator.faults import ABSURD_TOKEN, REFUSE_TOKEN_ENDPOINT, TOKEN_ENDPOINT
from oura_addon.simulator.oauth import Grant, OAuthError
from oura_addon.simulator.oauth_identity import CLASSIC, NEW, Provider, issuer_url
from oura_addon.simulator.state import Simulator

LEGACY_TOKEN_PATH = CLASSIC.token_path
NEW_TOKEN_PATH = NEW.token_path


def with_query(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` appended to whatever query it already had."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _valid_redirect(uri: str | None) -> bool:
    if not uri:
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


def _error_page(message: str, status: int = 400) -> tuple[str, int]:
    return render_template("error.html", message=message, status=status), status


def _token_error(error: OAuthError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    response.headers["Cache-Control"] = "no-store"
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="oura"'
    return response


def _client_credentials() -> tuple[str | None, str | None]:
    """Form fields (what Oura documents) or, failing that, HTTP Basic."""
    client_id = request.form.get("client_id")
    secret = request.form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if not secret and header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return client_id, None
        basic_id, _, basic_secret = decoded.partition(":")
        return unquote(basic_id), unquote(basic_secret)
    return client_id, secret


def blueprint(simulator: Simulator) -> Blueprint:
    routes = Blueprint("oura_oauth", __name__)
    config = simulator.config

    def authorize_problem(provider: Provider, values) -> str | None:
        if values.get("response_type") != "code":
            return "Unsupported response_type: this app must ask for response_type=code."
        if not simulator.tokens.knows_client(values.get("client_id") or ""):
            return "Unknown client_id: no application is registered with this id."
        if not _valid_redirect(values.get("redirect_uri")):
            return "Missing or invalid redirect_uri."
        return provider.redirect_problem(values["redirect_uri"])

    def pkce_problem(values) -> str | None:
        challenge = values.get("code_challenge")
        method = values.get("code_challenge_method") or "plain"
        if challenge and method != "S256":
            return "invalid_request: code_challenge_method must be S256."
        return None

    def chosen_user(raw: str | None) -> int | None:
        if not raw:
            return 1
        try:
            user = int(raw)
        except ValueError:
            return None
        return user if user in simulator.user_ids() else None

    def back_to_app(redirect_uri: str, params: dict[str, str | None]) -> WerkzeugResponse:
        # RFC 9207: Oura names its issuer on every callback, for both kinds of app.
        return redirect(with_query(redirect_uri, {**params, "iss": issuer_url()}), 302)

    def approve(
        provider: Provider,
        redirect_uri: str,
        state: str | None,
        user: int,
        scopes: list[str],
        code_challenge: str | None,
    ) -> WerkzeugResponse:
        if provider is CLASSIC and config.portal == "new":
            scopes = []  # the classic authorize URL drops a new-portal app's scopes
        grant = Grant(user, tuple(scopes), config.client_id)
        code = simulator.tokens.issue_code(grant, redirect_uri, code_challenge)
        return back_to_app(redirect_uri, {"code": code, "state": state})

    def authorize_page(provider: Provider):
        problem = authorize_problem(provider, request.args) or pkce_problem(request.args)
        if problem:
            return _error_page(problem)
        redirect_uri = request.args["redirect_uri"]
        state = request.args.get("state")
        scopes = provider.requested_scopes(request.args.get("scope"))
        if scopes is None:
            return back_to_app(redirect_uri, {"error": "invalid_scope", "state": state})
        challenge = request.args.get("code_challenge") or None
        if config.auto_approve:
            user = chosen_user(request.args.get("user"))
            if user is None:
                return _error_page(f"user must be between 1 and {config.users}.")
            return approve(provider, redirect_uri, state, user, scopes, challenge)
        accounts = [
            (user, personal_info(config.seed, user)["email"]) for user in simulator.user_ids()
        ]
        return render_template(
            "authorize.html",
            action=provider.authorize_path,
            app_name=config.client_id,
            client_id=config.client_id,
            redirect_uri=redirect_uri,
            state=state or "",
            code_challenge=challenge or "",
            scopes=[(provider.scope_name(name), SCOPE_LABELS[name]) for name in scopes],
            accounts=accounts,
        )

    def authorize_decision(provider: Provider):
        problem = authorize_problem(provider, request.form) or pkce_problem(request.form)
        if problem:
            return _error_page(problem)
        redirect_uri = request.form["redirect_uri"]
        state = request.form.get("state") or None
        if request.form.get("decision") != "approve":
            return back_to_app(redirect_uri, {"error": "access_denied", "state": state})
        user = chosen_user(request.form.get("user"))
        if user is None:
            return _error_page(f"Oura account must be between 1 and {config.users}.")
        ticked = provider.ticked_scopes(request.form.getlist("scope"))
        challenge = request.form.get("code_challenge") or None
        return approve(provider, redirect_uri, state, user, ticked, challenge)

    def token_endpoint(provider: Provider) -> Response:
        fault = simulator.faults.take(REFUSE_TOKEN_ENDPOINT, TOKEN_ENDPOINT)
        if fault is not None:
            if fault.status >= 500:
                return Response(
                    f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>",
                    status=fault.status,
                    mimetype="text/html",
                )
            return _token_error(OAuthError(fault.status, "temporarily_unavailable"))
        grant_type = request.form.get("grant_type")
        try:
            if grant_type not in ("authorization_code", "refresh_token"):
                raise OAuthError(400, "unsupported_grant_type")
            if provider.portal != config.portal:
                # Oura refuses apps of the other portal before looking at anything else.
                if grant_type == "authorization_code":
                    raise OAuthError(401, "invalid_client", "Client authentication failed")
                raise OAuthError(400, "invalid_request", "Invalid refresh token")
            client_id, secret = _client_credentials()
            simulator.tokens.check_client(client_id, secret)
            assert client_id is not None  # check_client refused a missing one
            if grant_type == "authorization_code":
                body = simulator.tokens.exchange_code(
                    client_id,
                    request.form.get("code"),
                    request.form.get("redirect_uri"),
                    request.form.get("code_verifier"),
                )
            else:
                body = simulator.tokens.refresh(client_id, request.form.get("refresh_token"))
        except OAuthError as error:
            return _token_error(error)
        if (absurd := simulator.faults.take(ABSURD_TOKEN, TOKEN_ENDPOINT)) is not None:
            body = dict(body)
            if absurd.drop_access_token:
                body.pop("access_token", None)
            if absurd.seconds == absurd.seconds:  # NaN: leave expires_in as it was
                body["expires_in"] = absurd.seconds
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    def revoke():
        token = (
            request.values.get("access_token")
            or request.values.get("token")
            or request.values.get("refresh_token")
        )
        simulator.tokens.revoke_token(token)
        return jsonify({})

    for provider in (CLASSIC, NEW):
        name = provider.portal
        routes.add_url_rule(
            provider.authorize_path,
            f"{name}_authorize_page",
            lambda p=provider: authorize_page(p),
            methods=["GET"],
        )
        routes.add_url_rule(
            provider.authorize_path,
            f"{name}_authorize_decision",
            lambda p=provider: authorize_decision(p),
            methods=["POST"],
        )
        routes.add_url_rule(
            provider.token_path,
            f"{name}_token",
            lambda p=provider: token_endpoint(p),
            methods=["POST"],
        )
        routes.add_url_rule(provider.revoke_path, f"{name}_revoke", revoke, methods=["GET", "POST"])

    @routes.get(NEW.discovery_path)
    def discovery():
        return jsonify(NEW.discovery_document())

    return routes
