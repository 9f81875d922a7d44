"""Oura's OAuth2 routes: the consent page, both token URLs, and revocation."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from ..oura.endpoints import DEFAULT_SCOPES
from .data import personal_info
from .faults import REFUSE_TOKEN_ENDPOINT, TOKEN_ENDPOINT
from .oauth import Grant, OAuthError

if TYPE_CHECKING:
    from .app import Simulator

LEGACY_TOKEN_PATH = "/oauth/token"
NEW_TOKEN_PATH = "/oauth/v2/ext/oauth-token"

# What the consent page tells the user each scope shares.
SCOPE_LABELS = {
    "email": "Email address",
    "personal": "Personal information (age, height, weight, sex)",
    "daily": "Daily summaries of sleep, activity and readiness",
    "heartrate": "Heart rate time series",
    "workout": "Workouts",
    "tag": "Tags",
    "session": "Guided and unguided sessions",
    "spo2": "Blood oxygen (SpO2) during sleep",
    "ring_configuration": "Ring configuration and battery",
    "stress": "Stress and resilience",
    "heart_health": "Heart health (cardiovascular age, VO2 max)",
}


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

    def requested_scopes(raw: str | None) -> list[str] | None:
        """The scopes asked for, default when none; None if any is unknown."""
        names = (raw or "").replace(",", " ").split()
        if not names:
            return list(DEFAULT_SCOPES)
        if any(name not in SCOPE_LABELS for name in names):
            return None
        return list(dict.fromkeys(names))

    def authorize_problem(values) -> str | None:
        if values.get("response_type") != "code":
            return "Unsupported response_type: this app must ask for response_type=code."
        if not simulator.tokens.knows_client(values.get("client_id") or ""):
            return "Unknown client_id: no application is registered with this id."
        if not _valid_redirect(values.get("redirect_uri")):
            return "Missing or invalid redirect_uri."
        return None

    def chosen_user(raw: str | None) -> int | None:
        if not raw:
            return 1
        try:
            user = int(raw)
        except ValueError:
            return None
        return user if user in simulator.user_ids() else None

    def approve(redirect_uri: str, state: str | None, user: int, scopes: list[str]) -> Response:
        grant = Grant(user, tuple(scopes), config.client_id)
        code = simulator.tokens.issue_code(grant, redirect_uri)
        return redirect(with_query(redirect_uri, {"code": code, "state": state}), 302)

    @routes.get("/oauth/authorize")
    def authorize_page():
        problem = authorize_problem(request.args)
        if problem:
            return _error_page(problem)
        redirect_uri = request.args["redirect_uri"]
        state = request.args.get("state")
        scopes = requested_scopes(request.args.get("scope"))
        if scopes is None:
            return redirect(
                with_query(redirect_uri, {"error": "invalid_scope", "state": state}), 302
            )
        if config.auto_approve:
            user = chosen_user(request.args.get("user"))
            if user is None:
                return _error_page(f"user must be between 1 and {config.users}.")
            return approve(redirect_uri, state, user, scopes)
        accounts = [
            (user, personal_info(config.seed, user)["email"]) for user in simulator.user_ids()
        ]
        return render_template(
            "authorize.html",
            app_name=config.client_id,
            client_id=config.client_id,
            redirect_uri=redirect_uri,
            state=state or "",
            scopes=[(name, SCOPE_LABELS[name]) for name in scopes],
            accounts=accounts,
        )

    @routes.post("/oauth/authorize")
    def authorize_decision():
        problem = authorize_problem(request.form)
        if problem:
            return _error_page(problem)
        redirect_uri = request.form["redirect_uri"]
        state = request.form.get("state") or None
        if request.form.get("decision") != "approve":
            return redirect(
                with_query(redirect_uri, {"error": "access_denied", "state": state}), 302
            )
        user = chosen_user(request.form.get("user"))
        if user is None:
            return _error_page(f"Oura account must be between 1 and {config.users}.")
        scopes = [s for s in request.form.getlist("scope") if s in SCOPE_LABELS]
        return approve(redirect_uri, state, user, list(dict.fromkeys(scopes)))

    def token_endpoint(portal: str) -> Response:
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
            if portal != config.portal:
                # Oura refuses apps of the other portal before looking at anything else.
                if grant_type == "authorization_code":
                    raise OAuthError(401, "invalid_client", "Client authentication failed")
                raise OAuthError(400, "invalid_grant", "Invalid refresh token")
            client_id, secret = _client_credentials()
            simulator.tokens.check_client(client_id, secret)
            assert client_id is not None  # check_client refused a missing one
            if grant_type == "authorization_code":
                body = simulator.tokens.exchange_code(
                    client_id, request.form.get("code"), request.form.get("redirect_uri")
                )
            else:
                body = simulator.tokens.refresh(client_id, request.form.get("refresh_token"))
        except OAuthError as error:
            return _token_error(error)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    @routes.post(LEGACY_TOKEN_PATH)
    def legacy_token():
        return token_endpoint("legacy")

    @routes.post(NEW_TOKEN_PATH)
    def new_token():
        return token_endpoint("new")

    @routes.route("/oauth/revoke", methods=["GET", "POST"])
    def revoke():
        token = (
            request.values.get("access_token")
            or request.values.get("token")
            or request.values.get("refresh_token")
        )
        simulator.tokens.revoke_token(token)
        return jsonify({})

    return routes
