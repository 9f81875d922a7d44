"""``/_sim/*``: let another process flip faults, read the request log, get tokens."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, Response, g, jsonify, request

from oura_addon.simulator.request_log import LoggedRequest
from oura_addon.simulator.state import Simulator


def _bad_request(message: str) -> Response:
    response = jsonify({"detail": message})
    response.status_code = 400
    return response


def blueprint(simulator: Simulator) -> Blueprint:
    routes = Blueprint("simulator_control", __name__, url_prefix="/_sim")

    @routes.get("/faults")
    def list_faults():
        return jsonify({"faults": simulator.faults.active()})

    @routes.post("/faults")
    def arm_faults():
        """Body: one fault object or a list, e.g. ``{"fault": "rate_limit", "count": 2}``."""
        body = request.get_json(silent=True)
        specs = body if isinstance(body, list) else [body]
        faults = [spec for spec in specs if isinstance(spec, dict)]
        if not faults or len(faults) != len(specs):
            return _bad_request("expected a JSON fault object or a list of them")
        try:
            for spec in faults:
                simulator.faults.apply(spec)
        except ValueError as problem:
            return _bad_request(str(problem))
        return jsonify({"faults": simulator.faults.active()})

    @routes.post("/reset")
    def reset():
        simulator.faults.clear()
        simulator.requests.clear()
        return jsonify({"faults": [], "requests": []})

    @routes.get("/requests")
    def requests_log():
        return jsonify({"requests": simulator.requests.to_json()})

    @routes.post("/tokens")
    def tokens():
        """Tokens for a user without the consent page: ``{"user": 1, "scopes": [...]}``."""
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return _bad_request("expected a JSON object")
        try:
            user = int(body.get("user", 1))
            scopes = body.get("scopes")
            if scopes is None:
                return jsonify(simulator.issue_tokens(user))
            if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                return _bad_request("scopes must be a list of strings")
            return jsonify(simulator.issue_tokens(user, scopes))
        except (TypeError, ValueError) as problem:
            return _bad_request(str(problem))

    @routes.post("/moments")
    def add_moment():
        """A new workout, session or tag: ``{"kind": "workout", "user": 1, "at": ISO end
        (default now), "fields": {...}}``; answers the document (201)."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _bad_request("expected a JSON object")
        fields = body.get("fields") or {}
        if not isinstance(fields, dict):
            return _bad_request("fields must be an object")
        try:
            at = body.get("at")
            moment = datetime.fromisoformat(at) if isinstance(at, str) else None
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=simulator.tz)
            document = simulator.add_moment(
                str(body.get("kind")), int(body.get("user", 1)), moment, **fields
            )
        except (TypeError, ValueError) as problem:
            return _bad_request(str(problem))
        response = jsonify(document)
        response.status_code = 201
        return response

    @routes.post("/night")
    def publish_night():
        """Today's night at Oura now: ``{"user": 1}``."""
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return _bad_request("expected a JSON object")
        try:
            day = simulator.publish_night(int(body.get("user", 1)))
        except (TypeError, ValueError) as problem:
            return _bad_request(str(problem))
        return jsonify({"user": int(body.get("user", 1)), "day": day.isoformat()})

    return routes


def install_request_logging(app: Flask, simulator: Simulator) -> None:
    """Record every request except the control routes themselves."""

    @app.after_request
    def record(response: Response) -> Response:
        if not request.path.startswith("/_sim/"):
            simulator.requests.record(
                LoggedRequest(
                    method=request.method,
                    path=request.path,
                    query=request.args.to_dict(),
                    status=response.status_code,
                    user=g.get("sim_user"),
                    timestamp=simulator.clock(),
                )
            )
        return response
