"""The Oura API v2 ``/v2/usercollection`` routes: auth, scopes, faults, windows, paging.

Every usercollection route of Oura's spec is served, including those the add-on never
calls (the deprecated ``tag``) and the ``/v2/sandbox/usercollection`` twins, which answer
like the real ones for any valid token.
"""

from __future__ import annotations

import gzip
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME, Endpoint, Window
from oura_addon.simulator.faults import FORBID, HUGE_ANSWER, RATE_LIMIT, SERVER_ERROR, Fault
from oura_addon.simulator.oauth import Unauthorized
from oura_addon.simulator.queries import (
    Cursor,
    QueryError,
    date_window,
    datetime_window,
    decode_cursor,
    page,
    parse_bool,
)
from oura_addon.simulator.state import Simulator

# The add-on's endpoint table plus the routes of the spec it does not read.
ROUTES: dict[str, Endpoint] = {
    **ENDPOINTS_BY_NAME,
    "tag": Endpoint("tag", Window.DATE, "tag", dict),
}
SANDBOX_PREFIX = "/v2/sandbox/usercollection"

# Routes with a /<document_id> twin in Oura's API. Any id not found is a 404, as recorded
# (``daily_sleep/not-existing``), whatever its shape.
_SINGLE_DOCUMENT_ROUTES = frozenset(
    e.name for e in ROUTES.values() if e.window in (Window.DATE, Window.NONE)
)

_PROXY_ERROR_PAGE = """<html>
<head><title>{status} Service Temporarily Unavailable</title></head>
<body>
<center><h1>{status} Service Temporarily Unavailable</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _not_found() -> Response:
    return _json({"detail": "Not Found"}, 404)


def blueprint(simulator: Simulator) -> Blueprint:
    routes = Blueprint("oura_api", __name__)

    def guard(endpoint: Endpoint) -> tuple[int, frozenset[str]] | Response:
        """Faults, then the bearer token, then membership and scope: (user, scopes) or refusal."""
        if (fault := simulator.faults.take(RATE_LIMIT, endpoint.name)) is not None:
            return _json(
                {"detail": "Rate limit exceeded"},
                429,
                {"Retry-After": str(fault.retry_after)},
            )
        if (fault := simulator.faults.take(SERVER_ERROR, endpoint.name)) is not None:
            return Response(
                _PROXY_ERROR_PAGE.format(status=fault.status),
                status=fault.status,
                mimetype="text/html",
            )
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            grant = simulator.tokens.authenticate(
                token.strip() if scheme.lower() == "bearer" else None
            )
        except Unauthorized as refused:
            return _json({"detail": refused.detail}, 401, {"WWW-Authenticate": "Bearer"})
        g.sim_user = grant.user
        if simulator.faults.take(FORBID, endpoint.name) is not None:
            return _json({"detail": "Forbidden"}, 403)
        if endpoint.scope not in grant.scopes:
            if simulator.config.portal == "new":
                # The new identity provider's tokens: a 401 naming the scope, not a 403.
                detail = f"Token is not authorized access {endpoint.scope} scope."
                return _json({"detail": detail}, 401)
            return _json({"detail": "Forbidden"}, 403)
        return grant.user, frozenset(grant.scopes)

    @routes.get("/v2/usercollection/<name>")
    @routes.get(f"{SANDBOX_PREFIX}/<name>")
    def list_documents(name: str) -> Response:
        endpoint = ROUTES.get(name)
        if endpoint is None:
            return _not_found()
        allowed = guard(endpoint)
        if isinstance(allowed, Response):
            return allowed
        user, scopes = allowed
        if (fault := simulator.faults.take(HUGE_ANSWER, endpoint.name)) is not None:
            return _huge(fault)
        try:
            if endpoint.window is Window.SINGLE:
                info = simulator.personal_info(user)
                if "email" not in scopes:
                    info = {**info, "email": None}
                return _json(info)
            return _json(_listing(simulator, endpoint, user))
        except QueryError as refused:
            return _json(refused.body, refused.status)

    @routes.get("/v2/usercollection/<name>/<document_id>")
    @routes.get(f"{SANDBOX_PREFIX}/<name>/<document_id>")
    def single_document(name: str, document_id: str) -> Response:
        endpoint = ROUTES.get(name)
        if endpoint is None or name not in _SINGLE_DOCUMENT_ROUTES:
            return _not_found()
        allowed = guard(endpoint)
        if isinstance(allowed, Response):
            return allowed
        user, _ = allowed
        document = simulator.find_document(name, user, document_id)
        if document is None:
            return _json({"detail": "Document not found."}, 404)
        return _json(document)

    return routes


def _huge(fault: Fault) -> Response:
    """An empty page padded to ``fault.size`` bytes; gzip-encoded when ``compressed``."""
    head, tail = b'{"data": [], "next_token": null, "padding": "', b'"}'
    body = head + b" " * (fault.size - len(head) - len(tail)) + tail
    response = Response(
        gzip.compress(body, 9) if fault.compressed else body, mimetype="application/json"
    )
    if fault.compressed:
        response.headers["Content-Encoding"] = "gzip"
    return response


def _listing(simulator: Simulator, endpoint: Endpoint, user: int) -> dict[str, Any]:
    """One page of a list endpoint; a next_token carries the window it was cut from."""
    args = request.args
    token = args.get("next_token") or None
    if endpoint.window is Window.DATE:
        if token:
            cursor = decode_cursor(token)
            start, end = _dates(cursor)
        else:
            start, end = date_window(args, simulator.today())
            cursor = Cursor((start.isoformat(), end.isoformat()), 0)
        items = simulator.documents(endpoint.name, user, start, end)
        size = simulator.config.page_size
    elif endpoint.window is Window.DATETIME:
        if token:
            cursor = decode_cursor(token)
            start_at, end_at = _datetimes(cursor)
        else:
            start_at, end_at = datetime_window(args, simulator.now())
            latest = parse_bool("latest", args.get("latest"))
            cursor = Cursor((start_at.isoformat(), end_at.isoformat()), 0, latest)
        items = simulator.series(endpoint.name, user, start_at, end_at)
        if cursor.latest:
            items = items[-1:]
        size = simulator.config.series_page_size
    else:
        cursor = decode_cursor(token) if token else Cursor(("", ""), 0)
        items = simulator.ring_configurations(user)
        size = simulator.config.page_size
    data, following = page(items, cursor, size)
    return {"data": data, "next_token": following}


def _dates(cursor: Cursor) -> tuple[date, date]:
    try:
        return date.fromisoformat(cursor.window[0]), date.fromisoformat(cursor.window[1])
    except ValueError:
        raise QueryError(400, {"detail": "Invalid next_token"}) from None


def _datetimes(cursor: Cursor) -> tuple[datetime, datetime]:
    try:
        start, end = (datetime.fromisoformat(v) for v in cursor.window)
    except ValueError:
        raise QueryError(400, {"detail": "Invalid next_token"}) from None
    if start.tzinfo is None or end.tzinfo is None:
        raise QueryError(400, {"detail": "Invalid next_token"})
    return start, end
