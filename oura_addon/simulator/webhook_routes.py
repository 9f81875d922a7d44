"""``/v2/webhook/subscription`` as Oura's spec describes it, and ``/_sim/webhooks`` to steer
the simulated webhook service from a test."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from oura_addon.simulator.webhooks import Refused, Webhooks

PREFIX = "/v2/webhook/subscription"


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def blueprint(webhooks: Webhooks) -> Blueprint:
    routes = Blueprint("oura_webhooks", __name__)
    config = webhooks.simulator.config

    def guarded(work: Callable[[], Any], status: int = 200) -> Response:
        client_id = request.headers.get("x-client-id", "")
        secret = request.headers.get("x-client-secret", "")
        if not (
            hmac.compare_digest(client_id.encode(), config.client_id.encode())
            and hmac.compare_digest(secret.encode(), config.client_secret.encode())
        ):
            return _json({"detail": "Invalid client credentials"}, 401)
        try:
            result = work()
        except Refused as refused:
            return _json(refused.body, refused.status)
        if result is None:
            return Response(status=204)
        return _json(result, status)

    @routes.get(PREFIX)
    def list_subscriptions() -> Response:
        return guarded(webhooks.listing)

    @routes.post(PREFIX)
    def create_subscription() -> Response:
        return guarded(lambda: webhooks.create(request.get_json(silent=True)), 201)

    @routes.get(f"{PREFIX}/<sub_id>")
    def get_subscription(sub_id: str) -> Response:
        return guarded(lambda: webhooks.get(sub_id))

    @routes.put(f"{PREFIX}/<sub_id>")
    def update_subscription(sub_id: str) -> Response:
        return guarded(lambda: webhooks.update(sub_id, request.get_json(silent=True)))

    @routes.delete(f"{PREFIX}/<sub_id>")
    def delete_subscription(sub_id: str) -> Response:
        return guarded(lambda: webhooks.delete(sub_id))

    @routes.put(f"{PREFIX}/renew/<sub_id>")
    def renew_subscription(sub_id: str) -> Response:
        return guarded(lambda: webhooks.renew(sub_id))

    # -- control ------------------------------------------------------------------------------

    def number(name: str) -> float:
        body = request.get_json(silent=True) or {}
        value = body.get(name, 0) if isinstance(body, dict) else 0
        return float(value) if isinstance(value, int | float) else 0.0

    @routes.get("/_sim/webhooks")
    def state() -> Response:
        return _json(
            {
                "subscriptions": webhooks.listing(),
                "pairs": webhooks.pairs(),
                "deliveries": [
                    {
                        "event": d.event,
                        "attempts": d.attempts,
                        "statuses": d.statuses,
                        "delivered": d.delivered,
                    }
                    for d in list(webhooks.deliveries)
                ],
            }
        )

    @routes.post("/_sim/webhooks/expire")
    def expire() -> Response:
        webhooks.expire_in(number("seconds"))
        return _json({"subscriptions": webhooks.listing()})

    @routes.post("/_sim/webhooks/delay")
    def delay() -> Response:
        webhooks.answer_delay = number("seconds")
        return _json({"delay": webhooks.answer_delay})

    @routes.post("/_sim/webhooks/lose")
    def lose() -> Response:
        webhooks.lose_all()
        return _json({"subscriptions": []})

    @routes.post("/_sim/webhooks/pause")
    def pause() -> Response:
        body = request.get_json(silent=True) or {}
        webhooks.paused = bool(body.get("paused", True)) if isinstance(body, dict) else True
        return _json({"paused": webhooks.paused})

    @routes.post("/_sim/webhooks/scan")
    def scan() -> Response:
        return _json({"events": webhooks.scan()})

    return routes
